"""Nobody keeps access to an account they do not own: pre-registration, stolen refresh tokens, sign-out."""

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from accounts.models import DeviceSession, User
from audit.models import AuditLog
from tests.accounts.factories import DEFAULT_PASSWORD, UserFactory
from tests.accounts.helpers import LOGIN, LOGOUT, ME, REFRESH, SESSIONS, client_for, login
from tests.accounts.test_social import social, valid_token

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("provider", ["google", "apple", "facebook"])
def test_a_squatter_who_registered_the_address_loses_every_way_in(providers, provider):
    """Someone registers the owner's address with a password; the owner then signs in with a verified identity."""
    squatter = APIClient().post("/api/v1/auth/register", {"email": "person@example.com",
                                                            "password": "Squatter-pass-99", "name": "Not Me"})
    assert squatter.status_code == 201
    stolen = squatter.json()

    owner = social(provider, valid_token(providers, provider, email="person@example.com"))

    assert owner.status_code == 200
    assert owner.json()["user"]["id"] == stolen["user"]["id"]  # the address is the owner's account now
    assert APIClient().post(LOGIN, {"email": "person@example.com", "password": "Squatter-pass-99"}).status_code == 401
    assert APIClient().post(REFRESH, {"refresh_token": stolen["refresh_token"]}).status_code == 401
    assert client_for(stolen["access_token"]).get(ME).status_code == 401
    assert client_for(owner.json()["access_token"]).get(ME).json()["email_verified"] is True
    user = User.objects.get(email="person@example.com")
    assert not user.has_usable_password()
    assert DeviceSession.objects.active().filter(user=user).count() == 1  # only the owner's device
    assert AuditLog.objects.filter(action="user.unverified_access_removed", object_id=str(user.pk)).exists()


def test_an_account_whose_address_was_verified_keeps_its_password_when_linked(providers):
    existing = UserFactory(email="person@example.com", email_verified=True)
    tokens = login(existing.email)

    assert social("google", valid_token(providers, "google")).status_code == 200

    assert APIClient().post(LOGIN, {"email": existing.email, "password": DEFAULT_PASSWORD}).status_code == 200
    assert client_for(tokens["access_token"]).get(ME).status_code == 200


def test_reusing_a_rotated_refresh_token_signs_the_whole_device_out():
    user = UserFactory()
    first = login(user.email)
    second = APIClient().post(REFRESH, {"refresh_token": first["refresh_token"]}).json()

    # Someone replays the old token (it was stolen): refused, and the device's newer tokens die with it.
    assert APIClient().post(REFRESH, {"refresh_token": first["refresh_token"]}).status_code == 401
    assert APIClient().post(REFRESH, {"refresh_token": second["refresh_token"]}).status_code == 401
    assert client_for(second["access_token"]).get(ME).status_code == 401
    event = AuditLog.objects.get(action="session.refresh_reuse")
    assert event.actor == user
    assert DeviceSession.objects.get(pk=event.object_id).revoked_at is not None


def test_reuse_on_one_device_leaves_the_others_signed_in():
    user = UserFactory()
    phone, tablet = login(user.email, user_agent="phone"), login(user.email, user_agent="tablet")
    APIClient().post(REFRESH, {"refresh_token": phone["refresh_token"]})
    APIClient().post(REFRESH, {"refresh_token": phone["refresh_token"]})

    assert client_for(tablet["access_token"]).get(SESSIONS).status_code == 200


def test_a_signed_out_access_token_stays_refused_after_the_cache_is_emptied():
    user = UserFactory()
    tokens = login(user.email)
    assert APIClient().post(LOGOUT, {"refresh_token": tokens["refresh_token"]}).status_code == 204

    cache.clear()  # what a Redis restart does

    assert client_for(tokens["access_token"]).get(ME).status_code == 401


@pytest.mark.parametrize("path", ["/api/v1/auth/register", LOGIN, REFRESH])
def test_responses_carrying_tokens_are_never_cached(path):
    user = UserFactory(email="cached@example.com")
    bodies = {
        "/api/v1/auth/register": {"email": "new@example.com", "password": "Long-enough-pass-1", "name": "N"},
        LOGIN: {"email": user.email, "password": DEFAULT_PASSWORD},
        REFRESH: {"refresh_token": login(user.email)["refresh_token"]} if path == REFRESH else {},
    }
    response = APIClient().post(path, bodies[path])
    assert response.status_code in (200, 201)
    assert "no-store" in response["Cache-Control"]
