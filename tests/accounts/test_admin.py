import pytest
from django.core.management import call_command
from django.test import Client

from accounts.models import DeviceSession, User
from audit.models import AuditLog
from tests.accounts.factories import DEFAULT_PASSWORD, UserFactory
from tests.accounts.helpers import REFRESH, login

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client():
    superuser = User.objects.create_superuser(email="root@example.com", password=DEFAULT_PASSWORD, name="Root")
    client = Client()
    client.force_login(superuser)
    return client


def test_user_list_shows_columns_and_filters(admin_client):
    UserFactory(email="listed@example.com", name="Listed Person")
    User.objects.create_user(email="g@example.com", name="Googler", auth_provider="google", auth_provider_id="1")
    page = admin_client.get("/admin/accounts/user/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "listed@example.com" in html and "Listed Person" in html
    for column in ("column-email", "column-name", "column-auth_provider", "column-is_staff", "column-created_at"):
        assert column in html
    google_only = admin_client.get("/admin/accounts/user/", {"auth_provider__exact": "google"}).content.decode()
    assert "g@example.com" in google_only and "listed@example.com" not in google_only
    staff_only = admin_client.get("/admin/accounts/user/", {"is_staff__exact": "1"}).content.decode()
    assert "root@example.com" in staff_only and "listed@example.com" not in staff_only


@pytest.mark.parametrize("query", ["listed@", "Listed Per"])
def test_user_search_by_email_and_name(admin_client, query):
    UserFactory(email="listed@example.com", name="Listed Person")
    UserFactory(email="other@example.com", name="Somebody Else")
    html = admin_client.get("/admin/accounts/user/", {"q": query}).content.decode()
    assert "listed@example.com" in html and "other@example.com" not in html


def test_user_change_page_never_shows_the_password_hash(admin_client):
    user = UserFactory(email="secret@example.com")
    html = admin_client.get(f"/admin/accounts/user/{user.pk}/change/").content.decode()
    assert "secret@example.com" in html
    algorithm, *_, digest = user.password.split("$")
    assert user.password not in html and digest not in html
    assert 'href="../password/"' in html  # a form to set it instead
    assert "algorithm" in html and "salt" not in html


def test_admin_creates_an_email_user_with_a_hashed_password(admin_client):
    response = admin_client.post("/admin/accounts/user/add/", {
        "email": "New.Editor@Example.com", "name": "New Editor", "usable_password": "true",
        "password1": "Str0ng-Admin-Pass", "password2": "Str0ng-Admin-Pass",
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    user = User.objects.get(email="new.editor@example.com")
    assert user.check_password("Str0ng-Admin-Pass")
    assert user.password != "Str0ng-Admin-Pass"
    assert AuditLog.objects.filter(action="user.admin_create", object_id=str(user.pk)).exists()


def test_admin_refuses_a_duplicate_email_in_another_case(admin_client):
    UserFactory(email="dup@example.com")
    response = admin_client.post("/admin/accounts/user/add/", {
        "email": "DUP@example.com", "name": "Dup", "usable_password": "true",
        "password1": "Str0ng-Admin-Pass", "password2": "Str0ng-Admin-Pass",
    })
    assert response.status_code == 200
    assert "An account with this email already exists." in response.content.decode()
    assert User.objects.filter(email__iexact="dup@example.com").count() == 1


def test_admin_edits_are_audited_without_the_password(admin_client):
    user = UserFactory(email="edit@example.com", name="Before")
    page = admin_client.get(f"/admin/accounts/user/{user.pk}/change/")
    assert page.status_code == 200
    response = admin_client.post(f"/admin/accounts/user/{user.pk}/change/", {
        "email": "edit@example.com", "name": "After", "timezone": "UTC", "is_active": "on", "is_staff": "on",
        "avatar_url": "",
    })
    assert response.status_code == 302, response.content.decode()[:3000]
    event = AuditLog.objects.get(action="user.admin_update")
    assert event.actor_email == "root@example.com"
    assert event.changes["before"]["name"] == "Before" and event.changes["after"]["name"] == "After"
    assert event.changes["after"]["is_staff"] is True
    assert "password" not in str(event.changes)


def test_admin_group_changes_are_audited_by_name(admin_client):
    from django.contrib.auth.models import Group

    editors = Group.objects.create(name="Editors")
    user = UserFactory(email="grouped@example.com", name="G")
    response = admin_client.post(f"/admin/accounts/user/{user.pk}/change/", {
        "email": "grouped@example.com", "name": "G", "timezone": "UTC", "is_active": "on",
        "groups": [str(editors.pk)],
    })
    assert response.status_code == 302, response.content.decode()[:3000]
    assert list(user.groups.values_list("name", flat=True)) == ["Editors"]
    event = AuditLog.objects.get(action="user.admin_update")
    assert event.changes == {"before": {"groups": []}, "after": {"groups": ["Editors"]}}


def test_admin_password_reset_signs_the_user_out_everywhere(admin_client):
    user = UserFactory(email="reset@example.com")
    tokens = login(user.email)
    response = admin_client.post(f"/admin/accounts/user/{user.pk}/password/", {
        "password1": "Brand-New-Pass-77", "password2": "Brand-New-Pass-77", "usable_password": "true",
    })
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("Brand-New-Pass-77")
    assert Client().post(REFRESH, {"refresh_token": tokens["refresh_token"]},
                         content_type="application/json").status_code == 401
    assert AuditLog.objects.filter(action="user.password_reset_by_admin", object_id=str(user.pk)).exists()


def test_admin_deletion_goes_through_the_account_deletion_service(admin_client):
    user = UserFactory(email="removed@example.com")
    tokens = login(user.email)
    response = admin_client.post(f"/admin/accounts/user/{user.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not User.objects.filter(pk=user.pk).exists()
    assert Client().post(REFRESH, {"refresh_token": tokens["refresh_token"]},
                         content_type="application/json").status_code == 401
    event = AuditLog.objects.get(action="user.delete")
    assert event.actor_email == "root@example.com" and event.changes["email"] == "removed@example.com"


def test_device_sessions_can_be_revoked_from_the_admin(admin_client):
    user = UserFactory()
    tokens = login(user.email)
    session = DeviceSession.objects.get(user=user)
    response = admin_client.post("/admin/accounts/devicesession/",
                                 {"action": "revoke", "_selected_action": [str(session.pk)]})
    assert response.status_code == 302
    assert Client().post(REFRESH, {"refresh_token": tokens["refresh_token"]},
                         content_type="application/json").status_code == 401
    assert AuditLog.objects.get(action="session.revoke").actor_email == "root@example.com"


def test_createsuperuser_noinput_reads_the_environment(monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_EMAIL", "Ops@Example.com")
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "Super-Secret-Ops-1")
    monkeypatch.setenv("DJANGO_SUPERUSER_NAME", "Ops Team")
    call_command("createsuperuser", interactive=False, verbosity=0)
    admin_user = User.objects.get(email="ops@example.com")
    assert admin_user.name == "Ops Team"
    assert admin_user.is_staff and admin_user.is_superuser and admin_user.is_active
    assert admin_user.check_password("Super-Secret-Ops-1")
    client = Client()
    assert client.login(email="ops@example.com", password="Super-Secret-Ops-1")
    assert client.get("/admin/").status_code == 200


def test_createsuperuser_refuses_an_existing_email_in_another_case(monkeypatch):
    from django.core.management.base import CommandError

    UserFactory(email="ops@example.com")
    monkeypatch.setenv("DJANGO_SUPERUSER_EMAIL", "OPS@example.com")
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "Super-Secret-Ops-1")
    monkeypatch.setenv("DJANGO_SUPERUSER_NAME", "Ops Team")
    with pytest.raises(CommandError):
        call_command("createsuperuser", interactive=False, verbosity=0)
    assert User.objects.count() == 1
