import threading
import time

import pytest
from django.core.cache import cache
from django.db import connection
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


def test_a_locked_address_does_not_lock_the_owner_out_elsewhere():
    UserFactory(email="owner@example.com")
    for _ in range(6):
        APIClient().post(LOGIN, {"email": "owner@example.com", "password": "guess"}, REMOTE_ADDR="203.0.113.9")
    attacker = APIClient().post(LOGIN, {"email": "owner@example.com", "password": DEFAULT_PASSWORD},
                                REMOTE_ADDR="203.0.113.9")
    owner = APIClient().post(LOGIN, {"email": "owner@example.com", "password": DEFAULT_PASSWORD},
                             REMOTE_ADDR="198.51.100.20")
    assert attacker.status_code == 429
    assert owner.status_code == 200


def test_guesses_spread_over_many_addresses_meet_the_slower_per_account_limit(settings):
    settings.LOGIN_LOCKOUT_ACCOUNT_ATTEMPTS = 8
    UserFactory(email="spread@example.com")
    statuses = [APIClient().post(LOGIN, {"email": "spread@example.com", "password": "guess"},
                                 REMOTE_ADDR=f"203.0.113.{n}").status_code for n in range(1, 11)]
    assert statuses == [401] * 8 + [429] * 2


@pytest.mark.django_db(transaction=True)
def test_concurrent_guesses_get_no_more_password_checks_than_the_limit():
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writes need PostgreSQL (run with DATABASE_URL=postgres://...)")
    UserFactory(email="race@example.com")
    barrier = threading.Barrier(20)
    statuses: list[int] = []

    def guess():
        barrier.wait()
        try:
            statuses.append(attempt("race@example.com").status_code)
        finally:
            connection.close()  # each thread has its own connection

    threads = [threading.Thread(target=guess) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses.count(401) == 5 and statuses.count(429) == 15
    assert AuditLog.objects.filter(action="user.login_failed").count() == 5


def test_the_admin_sign_in_form_uses_the_same_lockout_and_audit(client):
    staff = UserFactory(email="staff@example.com", is_staff=True)
    for n in range(5):
        page = client.post("/admin/login/", {"username": staff.email, "password": f"guess-{n}"})
        assert page.status_code == 200  # the form again, with its error
    refused = client.post("/admin/login/", {"username": staff.email, "password": DEFAULT_PASSWORD})
    assert refused.status_code == 200 and "_auth_user_id" not in client.session
    assert AuditLog.objects.filter(action="user.login_failed", changes__method="admin").count() == 5
    assert AuditLog.objects.filter(action="user.locked_out").exists()

    cache.clear()  # the window has passed
    signed_in = client.post("/admin/login/", {"username": staff.email, "password": DEFAULT_PASSWORD})
    assert signed_in.status_code == 302
    assert AuditLog.objects.filter(action="user.login", changes__method="admin", actor=staff).exists()
