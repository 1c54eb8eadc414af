from rest_framework.test import APIClient

from tests.accounts.factories import DEFAULT_PASSWORD

REGISTER = "/api/v1/auth/register"
LOGIN = "/api/v1/auth/login"
REFRESH = "/api/v1/auth/refresh"
LOGOUT = "/api/v1/auth/logout"
SOCIAL = "/api/v1/auth/social"
PASSWORD = "/api/v1/auth/password"
SESSIONS = "/api/v1/auth/sessions"
ME = "/api/v1/users/me"


def login(email: str, password: str = DEFAULT_PASSWORD, *, user_agent: str = "pytest") -> dict:
    response = APIClient().post(LOGIN, {"email": email, "password": password}, HTTP_USER_AGENT=user_agent)
    assert response.status_code == 200, response.content
    return response.json()


def client_for(access_token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access_token}")
    return client
