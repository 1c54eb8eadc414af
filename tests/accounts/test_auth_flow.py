import jwt
import pytest
from django.conf import settings
from rest_framework.test import APIClient

from accounts.models import DeviceSession, User
from audit.models import AuditLog
from tests.accounts.factories import DEFAULT_PASSWORD, UserFactory
from tests.accounts.helpers import LOGIN, LOGOUT, ME, REFRESH, REGISTER, client_for, login

pytestmark = pytest.mark.django_db
STRONG = "Tr1cky-Passphrase"


def register(client=None, **overrides):
    body = {"email": "learner@example.com", "password": STRONG, "name": "Nguyen Van A", **overrides}
    return (client or APIClient()).post(REGISTER, body)


def test_full_flow_register_login_me_refresh_logout_delete():
    api = APIClient()
    created = register(api)
    assert created.status_code == 201
    body = created.json()
    assert set(body) == {"user", "access_token", "refresh_token", "token_type"}
    assert body["token_type"] == "Bearer"
    assert body["user"]["email"] == "learner@example.com"
    assert body["user"]["name"] == "Nguyen Van A"
    assert body["user"]["avatar_url"] is None
    user = User.objects.get(email="learner@example.com")
    assert body["user"]["id"] == str(user.pk)
    assert jwt.decode(body["access_token"], options={"verify_signature": False})["user_id"] == str(user.pk)

    signed_in = api.post(LOGIN, {"email": "learner@example.com", "password": STRONG})
    assert signed_in.status_code == 200
    tokens = signed_in.json()
    assert tokens["user"]["id"] == str(user.pk) and tokens["token_type"] == "Bearer"

    me = client_for(tokens["access_token"]).get(ME)
    assert me.status_code == 200 and me.json()["email"] == "learner@example.com"

    refreshed = api.post(REFRESH, {"refresh_token": tokens["refresh_token"]})
    assert refreshed.status_code == 200
    new_tokens = refreshed.json()
    assert set(new_tokens) == {"access_token", "refresh_token", "token_type"}
    assert new_tokens["refresh_token"] != tokens["refresh_token"]
    assert client_for(new_tokens["access_token"]).get(ME).status_code == 200
    reused = api.post(REFRESH, {"refresh_token": tokens["refresh_token"]})
    assert reused.status_code == 401
    assert reused.json()["code"] == "token_not_valid"
    # Reuse of a rotated token means a copy is out there: the whole device is signed out.
    assert api.post(REFRESH, {"refresh_token": new_tokens["refresh_token"]}).status_code == 401

    new_tokens = api.post(LOGIN, {"email": "learner@example.com", "password": STRONG}).json()
    assert api.post(LOGOUT, {"refresh_token": new_tokens["refresh_token"]}).status_code == 204
    after_logout = api.post(REFRESH, {"refresh_token": new_tokens["refresh_token"]})
    assert after_logout.status_code == 401 and after_logout.json()["code"] == "token_not_valid"

    # The registration's own session is still signed in until the account goes.
    deleted = client_for(body["access_token"]).delete(ME)
    assert deleted.status_code == 204
    assert not User.objects.filter(pk=user.pk).exists()
    assert not DeviceSession.objects.filter(user_id=user.pk).exists()
    failed = api.post(LOGIN, {"email": "learner@example.com", "password": STRONG})
    assert failed.status_code == 401 and failed.json()["code"] == "invalid_credentials"
    assert client_for(new_tokens["access_token"]).get(ME).status_code == 401
    assert api.post(REFRESH, {"refresh_token": body["refresh_token"]}).status_code == 401
    actions = set(AuditLog.objects.values_list("action", flat=True))
    assert {"user.register", "user.login", "user.logout", "user.delete"} <= actions


def test_register_rejects_a_taken_email_case_insensitively():
    UserFactory(email="taken@example.com")
    response = register(email="  Taken@EXAMPLE.com ")
    assert response.status_code == 409
    assert response.json() == {"code": "email_taken", "detail": "An account with this email already exists."}
    assert User.objects.count() == 1


def test_register_stores_the_email_lowercased():
    assert register(email="Mixed.Case@Example.COM").status_code == 201
    assert User.objects.get().email == "mixed.case@example.com"


@pytest.mark.parametrize("email", ["not-an-email", "a@", "", "@example.com"])
def test_register_rejects_a_bad_email(email):
    response = register(email=email)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_input"
    assert "email" in response.json()["errors"]
    assert not User.objects.exists()


@pytest.mark.parametrize("password", ["Sh0rt!", "password123", "12345678901", "learner@example"])
def test_register_rejects_a_weak_password(password):
    response = register(password=password)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "weak_password"
    assert body["errors"]["password"]
    assert not User.objects.exists()
    assert not AuditLog.objects.exists()


def test_register_requires_every_field():
    response = APIClient().post(REGISTER, {})
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"email", "password", "name"}


def test_login_failure_says_the_same_whether_or_not_the_email_exists():
    UserFactory(email="known@example.com")
    wrong_password = APIClient().post(LOGIN, {"email": "known@example.com", "password": "nope-nope-nope"})
    unknown_email = APIClient().post(LOGIN, {"email": "unknown@example.com", "password": "nope-nope-nope"})
    assert wrong_password.status_code == unknown_email.status_code == 401
    assert wrong_password.json() == unknown_email.json() == {
        "code": "invalid_credentials", "detail": "Invalid email or password."}


def test_login_is_case_insensitive_on_the_email():
    user = UserFactory(email="case@example.com")
    assert login("  CASE@Example.com ")["user"]["id"] == str(user.pk)


def test_login_of_a_deactivated_account_is_refused():
    UserFactory(email="off@example.com", is_active=False)
    response = APIClient().post(LOGIN, {"email": "off@example.com", "password": DEFAULT_PASSWORD})
    assert response.status_code == 403
    assert response.json()["code"] == "account_disabled"


def test_social_only_accounts_cannot_use_a_password():
    user = User.objects.create_user(email="social@example.com", name="S", auth_provider="google",
                                    auth_provider_id="g-1")
    assert not user.has_usable_password()
    for password in ("", "!", user.password):
        response = APIClient().post(LOGIN, {"email": "social@example.com", "password": password or "x"})
        assert response.status_code == 401


def test_login_ignores_a_stale_authorization_header():
    UserFactory(email="stale@example.com")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION="Bearer expired.or.garbage")
    response = api.post(LOGIN, {"email": "stale@example.com", "password": DEFAULT_PASSWORD})
    assert response.status_code == 200


def _resigned(token: str, **claims) -> str:
    payload = jwt.decode(token, options={"verify_signature": False})
    payload.update(claims)
    return jwt.encode(payload, settings.SIMPLE_JWT["SIGNING_KEY"], algorithm="HS256")


@pytest.mark.parametrize("make_token", [
    lambda tokens: "garbage",
    lambda tokens: tokens["access_token"],  # wrong token type
    lambda tokens: _resigned(tokens["refresh_token"], exp=1_000_000_000),  # expired
    lambda tokens: jwt.encode(jwt.decode(tokens["refresh_token"], options={"verify_signature": False}),
                              "another-key-entirely-0123456789abcdef", algorithm="HS256"),  # forged
    lambda tokens: _resigned(tokens["refresh_token"], sid="not-a-uuid"),
    lambda tokens: _resigned(tokens["refresh_token"], sid="00000000-0000-0000-0000-000000000000"),
], ids=["garbage", "access-token", "expired", "bad-signature", "bad-sid", "unknown-sid"])
def test_refresh_rejects_invalid_tokens(make_token):
    UserFactory(email="r@example.com")
    tokens = login("r@example.com")
    response = APIClient().post(REFRESH, {"refresh_token": make_token(tokens)})
    assert response.status_code == 401
    assert response.json()["code"] == "token_not_valid"


def test_refresh_without_a_token_is_a_400():
    response = APIClient().post(REFRESH, {})
    assert response.status_code == 400
    assert "refresh_token" in response.json()["errors"]


def test_refresh_keeps_the_device_session():
    UserFactory(email="fam@example.com")
    tokens = login("fam@example.com")
    sid = jwt.decode(tokens["refresh_token"], options={"verify_signature": False})["sid"]
    for _ in range(3):
        tokens = APIClient().post(REFRESH, {"refresh_token": tokens["refresh_token"]}).json()
    assert jwt.decode(tokens["refresh_token"], options={"verify_signature": False})["sid"] == sid
    assert DeviceSession.objects.count() == 1


def test_tokens_of_a_deactivated_user_are_rejected():
    user = UserFactory(email="later-off@example.com")
    tokens = login(user.email)
    user.is_active = False
    user.save()
    assert client_for(tokens["access_token"]).get(ME).status_code == 401
    response = APIClient().post(REFRESH, {"refresh_token": tokens["refresh_token"]})
    assert response.status_code == 401


def test_logout_with_an_invalid_token_is_a_401_and_a_used_one_cannot_log_out_twice():
    UserFactory(email="out@example.com")
    tokens = login("out@example.com")
    assert APIClient().post(LOGOUT, {"refresh_token": "garbage"}).status_code == 401
    assert APIClient().post(LOGOUT, {"refresh_token": tokens["refresh_token"]}).status_code == 204
    assert APIClient().post(LOGOUT, {"refresh_token": tokens["refresh_token"]}).status_code == 401


def test_delete_me_blacklists_every_refresh_token_and_removes_owned_data():
    user = UserFactory(email="bye@example.com")
    first, second = login(user.email), login(user.email)
    assert client_for(first["access_token"]).delete(ME).status_code == 204
    for tokens in (first, second):
        assert APIClient().post(REFRESH, {"refresh_token": tokens["refresh_token"]}).status_code == 401
        assert client_for(tokens["access_token"]).get(ME).status_code == 401
    event = AuditLog.objects.get(action="user.delete")
    assert event.actor is None and event.actor_email == "bye@example.com" and event.object_id == str(user.pk)


def test_delete_me_needs_authentication():
    assert APIClient().delete(ME).status_code == 401
