"""Production hashing: the shared test fixture swaps in a fast hasher, these tests put Argon2 back."""

import pytest
from rest_framework.test import APIClient

from accounts.models import User
from config.settings import PASSWORD_HASHERS as PRODUCTION_HASHERS
from tests.accounts.factories import DEFAULT_PASSWORD, UserFactory
from tests.accounts.helpers import LOGIN, PASSWORD, REGISTER, client_for

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def production_hashers(settings):
    settings.PASSWORD_HASHERS = PRODUCTION_HASHERS


def test_production_hashing_is_argon2_first():
    assert PRODUCTION_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"


def test_new_accounts_get_an_argon2_hash():
    response = APIClient().post(REGISTER, {"email": "argon@example.com", "password": "Tr1cky-Passphrase",
                                           "name": "Argon"})
    assert response.status_code == 201
    user = User.objects.get(email="argon@example.com")
    assert user.password.startswith("argon2$argon2id$")
    assert "Tr1cky-Passphrase" not in user.password


def test_changed_passwords_get_an_argon2_hash():
    user = UserFactory(email="change@example.com")
    tokens = APIClient().post(LOGIN, {"email": user.email, "password": DEFAULT_PASSWORD}).json()
    response = client_for(tokens["access_token"]).post(
        PASSWORD, {"current_password": DEFAULT_PASSWORD, "new_password": "Another-Strong-Pass-42"})
    assert response.status_code == 204
    user.refresh_from_db()
    assert user.password.startswith("argon2$argon2id$")


def test_an_older_pbkdf2_hash_is_upgraded_to_argon2_at_login(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    user = UserFactory(email="legacy@example.com")
    assert user.password.startswith("pbkdf2_sha256$")
    settings.PASSWORD_HASHERS = PRODUCTION_HASHERS
    assert APIClient().post(LOGIN, {"email": user.email, "password": DEFAULT_PASSWORD}).status_code == 200
    user.refresh_from_db()
    assert user.password.startswith("argon2$")
