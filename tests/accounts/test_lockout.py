import time

import pytest
from rest_framework.test import APIClient

from audit.models import AuditLog
from tests.accounts.factories import DEFAULT_PASSWORD, UserFactory
from tests.accounts.helpers import LOGIN

pytestmark = pytest.mark.django_db


def attempt(email: str, password: str = "wrong-password-x"):
    return APIClient().post(LOGIN, {"email": email, "password": password})


def test_five_failures_lock_the_account_even_for_the_right_password():
    UserFactory(email="locked@example.com")
    statuses = [attempt("locked@example.com").status_code for _ in range(5)]
    assert statuses == [401] * 5
    response = attempt("locked@example.com", DEFAULT_PASSWORD)
    assert response.status_code == 429
    assert response.json()["code"] == "account_locked"
    assert 890 <= int(response["Retry-After"]) <= 900
    assert AuditLog.objects.filter(action="user.login_failed").count() == 5
    locked = AuditLog.objects.get(action="user.locked_out")
    assert locked.actor_email == "locked@example.com" and locked.actor is not None
    assert not AuditLog.objects.filter(action="user.login").exists()


def test_lockout_does_not_reveal_whether_the_account_exists():
    UserFactory(email="exists@example.com")
    for _ in range(5):
        attempt("exists@example.com")
        attempt("ghost@example.com")
    existing, ghost = attempt("exists@example.com"), attempt("ghost@example.com")
    assert existing.status_code == ghost.status_code == 429
    assert existing.json() == ghost.json()
    assert existing.json()["code"] == "account_locked"
    assert existing["Retry-After"] == ghost["Retry-After"] or \
        abs(int(existing["Retry-After"]) - int(ghost["Retry-After"])) <= 1
    assert AuditLog.objects.filter(action="user.locked_out").count() == 2


def test_lockout_counts_by_normalised_email_and_only_for_that_email():
    UserFactory(email="norm@example.com")
    UserFactory(email="other@example.com")
    variants = ["norm@example.com", "NORM@example.com", " Norm@Example.com ", "norm@EXAMPLE.COM", "norm@example.com"]
    for variant in variants:
        assert attempt(variant).status_code == 401
    assert attempt("norm@example.com", DEFAULT_PASSWORD).status_code == 429
    assert attempt("other@example.com", DEFAULT_PASSWORD).status_code == 200


def test_a_successful_login_resets_the_count():
    UserFactory(email="reset@example.com")
    for _ in range(4):
        assert attempt("reset@example.com").status_code == 401
    assert attempt("reset@example.com", DEFAULT_PASSWORD).status_code == 200
    for _ in range(4):
        assert attempt("reset@example.com").status_code == 401
    assert attempt("reset@example.com", DEFAULT_PASSWORD).status_code == 200


def test_limits_come_from_settings_and_the_lock_ends_with_the_window(settings):
    settings.LOGIN_LOCKOUT_ATTEMPTS = 2
    settings.LOGIN_LOCKOUT_WINDOW_SECONDS = 1
    UserFactory(email="short@example.com")
    assert attempt("short@example.com").status_code == 401
    assert attempt("short@example.com").status_code == 401
    locked = attempt("short@example.com", DEFAULT_PASSWORD)
    assert locked.status_code == 429 and locked["Retry-After"] == "1"
    time.sleep(1.2)
    assert attempt("short@example.com", DEFAULT_PASSWORD).status_code == 200
