import uuid
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone
from rest_framework.test import APIClient
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

from accounts.models import DeviceSession, User
from audit.models import AuditLog
from tests.accounts.factories import DEFAULT_PASSWORD, UserFactory
from tests.accounts.helpers import LOGIN, LOGOUT, PASSWORD, REFRESH, SESSIONS, client_for, login

pytestmark = pytest.mark.django_db
NEW_PASSWORD = "Another-Strong-Pass-42"


@pytest.fixture
def member():
    return UserFactory(email="member@example.com")


def test_sessions_lists_each_signed_in_device(member):
    phone = login(member.email, user_agent="EnglishApp/1.0 (iPhone)")
    tablet = login(member.email, user_agent="EnglishApp/1.0 (Android tablet)")
    other_user = UserFactory()
    login(other_user.email)

    response = client_for(phone["access_token"]).get(SESSIONS)
    assert response.status_code == 200
    body = response.json()
    assert body["pagination"] == {"page": 1, "limit": 20, "total": 2, "total_pages": 1}
    by_agent = {item["user_agent"]: item for item in body["sessions"]}
    assert set(by_agent) == {"EnglishApp/1.0 (iPhone)", "EnglishApp/1.0 (Android tablet)"}
    assert by_agent["EnglishApp/1.0 (iPhone)"]["current"] is True
    assert by_agent["EnglishApp/1.0 (Android tablet)"]["current"] is False
    item = by_agent["EnglishApp/1.0 (iPhone)"]
    assert item["ip"] == "127.0.0.1"
    assert item["auth_method"] == "email"
    assert {"id", "created_at", "last_used_at", "expires_at"} <= set(item)
    assert tablet  # both signed in


def test_refreshing_updates_last_used_without_adding_a_session(member):
    tokens = login(member.email)
    before = client_for(tokens["access_token"]).get(SESSIONS).json()["sessions"][0]
    tokens = APIClient().post(REFRESH, {"refresh_token": tokens["refresh_token"]},
                              HTTP_USER_AGENT="EnglishApp/2.0").json()
    after = client_for(tokens["access_token"]).get(SESSIONS).json()["sessions"]
    assert len(after) == 1
    assert after[0]["id"] == before["id"]
    assert after[0]["last_used_at"] >= before["last_used_at"]
    assert after[0]["user_agent"] == "EnglishApp/2.0"


def test_revoking_a_session_stops_its_refresh_tokens(member):
    phone = login(member.email, user_agent="phone")
    tablet = login(member.email, user_agent="tablet")
    sessions = client_for(phone["access_token"]).get(SESSIONS).json()["sessions"]
    tablet_id = next(item["id"] for item in sessions if item["user_agent"] == "tablet")

    assert client_for(phone["access_token"]).delete(f"{SESSIONS}/{tablet_id}").status_code == 204
    refused = APIClient().post(REFRESH, {"refresh_token": tablet["refresh_token"]})
    assert refused.status_code == 401 and refused.json()["code"] == "token_not_valid"
    assert APIClient().post(REFRESH, {"refresh_token": phone["refresh_token"]}).status_code == 200
    remaining = client_for(phone["access_token"]).get(SESSIONS).json()["sessions"]
    assert [item["user_agent"] for item in remaining] == ["phone"]
    event = AuditLog.objects.get(action="session.revoke")
    assert event.object_id == tablet_id and event.actor == member


def test_a_revoked_session_cannot_be_refreshed_even_with_an_older_rotated_token(member):
    first = login(member.email)
    second = APIClient().post(REFRESH, {"refresh_token": first["refresh_token"]}).json()
    session_id = client_for(second["access_token"]).get(SESSIONS).json()["sessions"][0]["id"]
    assert client_for(second["access_token"]).delete(f"{SESSIONS}/{session_id}").status_code == 204
    for tokens in (first, second):
        assert APIClient().post(REFRESH, {"refresh_token": tokens["refresh_token"]}).status_code == 401


def test_revoking_an_unknown_or_foreign_session_is_a_404(member):
    mine = login(member.email)
    stranger = UserFactory()
    theirs = login(stranger.email)
    their_id = client_for(theirs["access_token"]).get(SESSIONS).json()["sessions"][0]["id"]
    for session_id in (their_id, str(uuid.uuid4())):
        response = client_for(mine["access_token"]).delete(f"{SESSIONS}/{session_id}")
        assert response.status_code == 404
        assert response.json()["code"] == "session_not_found"
    assert APIClient().post(REFRESH, {"refresh_token": theirs["refresh_token"]}).status_code == 200


def test_revoking_twice_is_a_404(member):
    phone = login(member.email, user_agent="phone")
    login(member.email, user_agent="tablet")
    sessions = client_for(phone["access_token"]).get(SESSIONS).json()["sessions"]
    tablet_id = next(item["id"] for item in sessions if item["user_agent"] == "tablet")
    assert client_for(phone["access_token"]).delete(f"{SESSIONS}/{tablet_id}").status_code == 204
    assert client_for(phone["access_token"]).delete(f"{SESSIONS}/{tablet_id}").status_code == 404


def test_sessions_need_authentication():
    assert APIClient().get(SESSIONS).status_code == 401
    assert APIClient().delete(f"{SESSIONS}/{uuid.uuid4()}").status_code == 401


def test_password_change_signs_other_devices_out(member):
    here = login(member.email, user_agent="here")
    elsewhere = login(member.email, user_agent="elsewhere")
    response = client_for(here["access_token"]).post(
        PASSWORD, {"current_password": DEFAULT_PASSWORD, "new_password": NEW_PASSWORD})
    assert response.status_code == 204

    assert APIClient().post(LOGIN, {"email": member.email, "password": DEFAULT_PASSWORD}).status_code == 401
    assert APIClient().post(LOGIN, {"email": member.email, "password": NEW_PASSWORD}).status_code == 200
    assert APIClient().post(REFRESH, {"refresh_token": elsewhere["refresh_token"]}).status_code == 401
    assert APIClient().post(REFRESH, {"refresh_token": here["refresh_token"]}).status_code == 200
    event = AuditLog.objects.get(action="user.password_change")
    assert event.changes == {"other_sessions_revoked": 1}


def test_password_change_with_a_wrong_current_password(member):
    tokens = login(member.email)
    response = client_for(tokens["access_token"]).post(
        PASSWORD, {"current_password": "not-it-at-all", "new_password": NEW_PASSWORD})
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_password"
    assert "current_password" in response.json()["errors"]
    member.refresh_from_db()
    assert member.check_password(DEFAULT_PASSWORD)


def test_password_change_rejects_a_weak_new_password(member):
    tokens = login(member.email)
    response = client_for(tokens["access_token"]).post(
        PASSWORD, {"current_password": DEFAULT_PASSWORD, "new_password": "12345678"})
    assert response.status_code == 400
    assert response.json()["code"] == "weak_password"
    assert "new_password" in response.json()["errors"]
    member.refresh_from_db()
    assert member.check_password(DEFAULT_PASSWORD)


def test_password_change_for_a_social_only_account(member):
    social = User.objects.create_user(email="only-social@example.com", name="S", auth_provider="apple",
                                      auth_provider_id="a-1")
    from tests.conftest import bearer

    client = APIClient()
    client.credentials(**bearer(social))
    response = client.post(PASSWORD, {"current_password": "anything", "new_password": NEW_PASSWORD})
    assert response.status_code == 400
    assert response.json()["code"] == "password_not_set"


def test_password_change_guesses_are_locked_out_too(member, settings):
    settings.LOGIN_LOCKOUT_ATTEMPTS = 3
    tokens = login(member.email)
    client = client_for(tokens["access_token"])
    for _ in range(3):
        response = client.post(PASSWORD, {"current_password": "guess-guess", "new_password": NEW_PASSWORD})
        assert response.status_code == 400
    response = client.post(PASSWORD, {"current_password": DEFAULT_PASSWORD, "new_password": NEW_PASSWORD})
    assert response.status_code == 429
    assert response.json()["code"] == "account_locked"


def test_purge_sessions_removes_long_ended_sessions_and_expired_tokens(member):
    live = login(member.email, user_agent="live")
    login(member.email, user_agent="revoked")
    login(member.email, user_agent="expired")
    long_ago = timezone.now() - timedelta(days=40)
    DeviceSession.objects.filter(user_agent="revoked").update(revoked_at=long_ago)
    DeviceSession.objects.filter(user_agent="expired").update(expires_at=long_ago)
    expired_jti = DeviceSession.objects.get(user_agent="expired").current_jti
    OutstandingToken.objects.filter(jti=expired_jti).update(expires_at=long_ago)

    out = StringIO()
    call_command("purge_sessions", stdout=out)
    assert "Deleted 2 ended session(s) and 1 expired token(s)." in out.getvalue()
    assert list(DeviceSession.objects.values_list("user_agent", flat=True)) == ["live"]
    assert not OutstandingToken.objects.filter(jti=expired_jti).exists()
    assert APIClient().post(REFRESH, {"refresh_token": live["refresh_token"]}).status_code == 200


def test_access_tokens_of_a_revoked_device_stop_working_at_once(member):
    phone = login(member.email, user_agent="phone")
    tablet = login(member.email, user_agent="tablet")
    sessions = client_for(phone["access_token"]).get(SESSIONS).json()["sessions"]
    tablet_id = next(item["id"] for item in sessions if item["user_agent"] == "tablet")

    client_for(phone["access_token"]).delete(f"{SESSIONS}/{tablet_id}")

    refused = client_for(tablet["access_token"]).get(SESSIONS)
    assert refused.status_code == 401
    assert refused.json()["code"] == "token_not_valid"
    assert client_for(phone["access_token"]).get(SESSIONS).status_code == 200


def test_logout_makes_that_device_access_token_unusable(member):
    tokens = login(member.email)

    assert APIClient().post(LOGOUT, {"refresh_token": tokens["refresh_token"]}).status_code == 204

    assert client_for(tokens["access_token"]).get(SESSIONS).status_code == 401


def test_password_change_signs_other_devices_out_but_keeps_this_one(member):
    here = login(member.email, user_agent="here")
    elsewhere = login(member.email, user_agent="elsewhere")

    changed = client_for(here["access_token"]).post(
        PASSWORD, {"current_password": DEFAULT_PASSWORD, "new_password": NEW_PASSWORD})

    assert changed.status_code == 204
    assert client_for(here["access_token"]).get(SESSIONS).status_code == 200
    assert client_for(elsewhere["access_token"]).get(SESSIONS).status_code == 401
