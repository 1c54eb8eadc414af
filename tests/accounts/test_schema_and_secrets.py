import json

import pytest
from rest_framework.test import APIClient

from audit.models import AuditLog
from game.models import GameResult, GameSession
from tests.accounts.factories import DEFAULT_PASSWORD, UserFactory
from tests.accounts.helpers import LOGIN, LOGOUT, ME, PASSWORD, REFRESH, REGISTER, SESSIONS, client_for
from tests.game.factories import GameResultFactory

pytestmark = pytest.mark.django_db

ACCOUNT_PATHS = {
    "/api/v1/auth/register": {"post"},
    "/api/v1/auth/login": {"post"},
    "/api/v1/auth/social": {"post"},
    "/api/v1/auth/refresh": {"post"},
    "/api/v1/auth/logout": {"post"},
    "/api/v1/auth/password": {"post"},
    "/api/v1/auth/sessions": {"get"},
    "/api/v1/auth/sessions/{session_id}": {"delete"},
    "/api/v1/users/me": {"get", "put", "delete"},
    "/api/v1/auth/email/verify": {"post"},
    "/api/v1/auth/email/verify/resend": {"post"},
    "/api/v1/auth/password/reset": {"post"},
    "/api/v1/auth/password/reset/confirm": {"post"},
    "/api/v1/users/me/email": {"post"},
    "/api/v1/users/me/email/confirm": {"post"},
}
# Operations that take no body.
BODYLESS = {("/api/v1/auth/email/verify/resend", "post")}


def test_every_accounts_endpoint_is_documented_with_schemas():
    response = APIClient().get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    schema = json.loads(response.content)
    for path, methods in ACCOUNT_PATHS.items():
        assert path in schema["paths"], path
        for method in methods:
            operation = schema["paths"][path][method]
            success = next(code for code in operation["responses"] if code.startswith("2"))
            if method in {"post", "put"} and (path, method) not in BODYLESS:
                assert "application/json" in operation["requestBody"]["content"], (path, method)
            if success != "204":
                assert "schema" in operation["responses"][success]["content"]["application/json"], (path, method)
            assert any(code.startswith("4") for code in operation["responses"]), (path, method)
    login = schema["paths"]["/api/v1/auth/login"]["post"]["responses"]
    assert {"200", "401", "429"} <= set(login)
    social = schema["paths"]["/api/v1/auth/social"]["post"]["responses"]
    assert {"200", "400", "401", "503"} <= set(social)
    reset = schema["paths"]["/api/v1/auth/password/reset"]["post"]
    assert {"202", "400", "503"} <= set(reset["responses"])
    assert reset["summary"]
    assert APIClient().get("/api/docs/").status_code == 200


def test_audit_rows_never_hold_passwords_or_tokens():
    api = APIClient()
    password, new_password = "Tr1cky-Passphrase", "Other-Tr1cky-Pass"
    registered = api.post(REGISTER, {"email": "audit@example.com", "password": password, "name": "A"}).json()
    api.post(LOGIN, {"email": "audit@example.com", "password": "wrong-password-1"})
    tokens = api.post(LOGIN, {"email": "audit@example.com", "password": password}).json()
    refreshed = api.post(REFRESH, {"refresh_token": tokens["refresh_token"]}).json()
    client = client_for(refreshed["access_token"])
    client.post(PASSWORD, {"current_password": password, "new_password": new_password})
    client.put(ME, {"name": "B"})
    other = client.get(SESSIONS).json()["sessions"]
    api.post(LOGOUT, {"refresh_token": refreshed["refresh_token"]})
    last = api.post(LOGIN, {"email": "audit@example.com", "password": new_password}).json()
    assert client_for(last["access_token"]).delete(ME).status_code == 204

    rows = list(AuditLog.objects.values())
    assert {"user.register", "user.login_failed", "user.login", "user.password_change", "user.profile_update",
            "user.logout", "user.delete"} <= {row["action"] for row in rows}
    dumped = json.dumps(rows, default=str)
    secrets = [password, new_password, "wrong-password-1", registered["access_token"], registered["refresh_token"],
               tokens["access_token"], tokens["refresh_token"], refreshed["access_token"], refreshed["refresh_token"],
               last["access_token"], last["refresh_token"]]
    for secret in secrets:
        assert secret not in dumped
    for part in (token.split(".")[2] for token in secrets[3:]):  # not even a JWT signature
        assert part not in dumped
    assert other  # the session list was read while signed in
    assert all(row["request_id"] for row in rows)
    assert all(row["ip"] == "127.0.0.1" for row in rows)


def test_deleting_the_account_deletes_its_game_history():
    result = GameResultFactory()
    user = result.session.user
    UserFactory()  # someone else's data stays
    other_result = GameResultFactory()
    tokens = APIClient().post(LOGIN, {"email": user.email, "password": DEFAULT_PASSWORD}).json()
    assert client_for(tokens["access_token"]).delete(ME).status_code == 204
    assert not GameSession.objects.filter(pk=result.session_id).exists()
    assert not GameResult.objects.filter(pk=result.pk).exists()
    assert GameResult.objects.filter(pk=other_result.pk).exists()
