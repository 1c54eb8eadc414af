import pytest

from audit.models import AuditLog

pytestmark = pytest.mark.django_db
ME = "/api/v1/users/me"


def test_get_me_returns_the_profile(auth_client, user):
    response = auth_client.get(ME)
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == str(user.pk)
    assert body["email"] == user.email
    assert body["name"] == user.name
    assert body["avatar_url"] is None
    assert body["auth_provider"] == "email"
    assert body["timezone"] == "UTC"
    assert body["created_at"].endswith("Z")
    assert "password" not in body


def test_get_me_needs_a_token(api_client):
    response = api_client.get(ME)
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_put_me_updates_name_avatar_and_timezone(auth_client, user):
    response = auth_client.put(ME, {"name": "Nguyen Van B", "avatar_url": "https://cdn.example.com/a.jpg",
                                    "timezone": "Asia/Ho_Chi_Minh"})
    assert response.status_code == 200
    body = response.json()
    assert body["name"] == "Nguyen Van B"
    assert body["avatar_url"] == "https://cdn.example.com/a.jpg"
    assert body["timezone"] == "Asia/Ho_Chi_Minh"
    assert "updated_at" in body
    user.refresh_from_db()
    assert (user.name, user.avatar_url, user.timezone) == ("Nguyen Van B", "https://cdn.example.com/a.jpg",
                                                            "Asia/Ho_Chi_Minh")
    event = AuditLog.objects.get(action="user.profile_update")
    assert event.changes["after"]["timezone"] == "Asia/Ho_Chi_Minh"
    assert event.changes["before"]["timezone"] == "UTC"


def test_put_me_with_only_some_fields_keeps_the_others(auth_client, user):
    response = auth_client.put(ME, {"timezone": "Europe/Paris"})
    assert response.status_code == 200
    user.refresh_from_db()
    assert user.timezone == "Europe/Paris"
    assert user.name == response.json()["name"]


def test_put_me_can_clear_the_avatar(auth_client, user):
    user.avatar_url = "https://cdn.example.com/old.jpg"
    user.save()
    assert auth_client.put(ME, {"avatar_url": None}).status_code == 200
    user.refresh_from_db()
    assert user.avatar_url is None


@pytest.mark.parametrize("payload, field", [
    ({"timezone": "Mars/Olympus"}, "timezone"),
    ({"timezone": "../../etc/passwd"}, "timezone"),
    ({"avatar_url": "not a url"}, "avatar_url"),
    ({"avatar_url": "ftp://example.com/a.png"}, "avatar_url"),
    ({"name": ""}, "name"),
    ({"name": "x" * 151}, "name"),
])
def test_put_me_rejects_invalid_fields(auth_client, user, payload, field):
    response = auth_client.put(ME, payload)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid_input"
    assert field in body["errors"]
    user.refresh_from_db()
    assert user.timezone == "UTC" and user.name and user.avatar_url is None
