"""Rate limits: each scope's budget, who shares a budget, Retry-After and reset, outages.

django-ratelimit counts in fixed windows aligned to the clock. So that no test depends on
where in a minute it runs, the `clock` fixture pins the time that django-ratelimit reads
(and only that); resetting is shown by moving it, and once in real time with a 1-second window.
"""

import logging
import socket
import time

import pytest
from django.conf import settings as django_settings
from django.test import RequestFactory, override_settings
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.test import APIClient

from accounts.models import User
from core.http.client_ip import client_ip
from core.observability import metrics
from tests.accounts.factories import DEFAULT_PASSWORD, StaffUserFactory, UserFactory
from tests.conftest import bearer
from tests.core.fresh_django import PRODUCTION_ENV, run_django, settings_in
from tests.core.ratelimit_urls import scoped
from tests.faults.redis_server import caches_for

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.core.ratelimit_urls")]

SPEC_LIMITS = {
    "login": "10/m", "register": "5/m", "practice_set": "60/m", "session_save": "60/m",
    "history": "100/m", "scoring": "30/m", "admin": "200/m", "default": "100/m",
    # Ours (the contract has no mail endpoints): mails on request, per user and per address.
    "account_mail": "5/h", "password_reset": "10/h",
}


@pytest.fixture
def limits(settings):
    """Set some scopes' rates for one test: limits(history="3/h")."""
    def apply(**rates):
        settings.RATE_LIMITS = {**settings.RATE_LIMITS, **rates}
    return apply


def count(rate: str) -> int:
    return int(rate.split("/")[0])


def window_seconds(rate: str) -> int:
    """The window of a rate such as "5/m", "5/h" or "50/10m"."""
    period = rate.split("/")[1]
    return int(period[:-1] or 1) * {"s": 1, "m": 60, "h": 3600, "d": 86400}[period[-1]]


def client_for(user=None, ip: str = "127.0.0.1") -> APIClient:
    client = APIClient(REMOTE_ADDR=ip)
    if user is not None:
        client.credentials(**bearer(user))
    return client


def spend(client: APIClient, path: str, times: int, method: str = "get") -> list[int]:
    return [getattr(client, method)(path).status_code for _ in range(times)]


def assert_rate_limited(response) -> int:
    assert response.status_code == 429
    body = response.json()
    assert body["code"] == "rate_limited"
    assert "Try again in" in body["detail"]
    retry_after = int(response["Retry-After"])
    assert retry_after >= 1
    return retry_after


def test_defaults_are_the_contract_limits():
    assert django_settings.RATE_LIMITS == SPEC_LIMITS
    assert django_settings.RATE_LIMIT_ENABLED is True


def test_limits_come_from_the_environment():
    loaded = settings_in(["RATE_LIMITS", "RATE_LIMIT_ENABLED", "TRUSTED_PROXY_COUNT"], **PRODUCTION_ENV,
                         RATE_LIMIT_LOGIN="3/m", RATE_LIMIT_SCORING="50/10m", RATE_LIMIT_ENABLED="0",
                         TRUSTED_PROXY_COUNT="2")

    assert loaded == {"RATE_LIMITS": {**SPEC_LIMITS, "login": "3/m", "scoring": "50/10m"},
                      "RATE_LIMIT_ENABLED": False, "TRUSTED_PROXY_COUNT": 2}


def test_a_malformed_limit_stops_the_start():
    result = run_django("", **PRODUCTION_ENV, RATE_LIMIT_HISTORY="100 per minute")

    assert result.returncode != 0
    assert "RATE_LIMIT_HISTORY=100 per minute" in result.stderr


@pytest.mark.parametrize("scope", list(SPEC_LIMITS))
def test_each_scope_allows_its_limit_then_answers_429_until_the_window_ends(scope, clock):
    rate = django_settings.RATE_LIMITS[scope]
    user = StaffUserFactory() if scope == "admin" else UserFactory()
    client = client_for(None if scope in ("login", "register", "password_reset") else user)
    path = f"/api/v1/limited/{scope}"

    assert spend(client, path, count(rate), method="post") == [200] * count(rate)
    refused = client.post(path)
    retry_after = assert_rate_limited(refused)
    assert retry_after <= window_seconds(rate)

    clock.advance(retry_after - 1)
    assert_rate_limited(client.post(path))
    clock.advance(1)
    assert client.post(path).status_code == 200


@pytest.mark.parametrize("attempt", [1, 2])
def test_counters_do_not_leak_between_tests(attempt, clock, limits):
    # Both runs share one window and one address; the second would start at 429 if the
    # first one's counts survived the per-test cache clearing.
    limits(login="3/h")
    client = client_for()

    assert spend(client, "/api/v1/limited/login", 3) == [200, 200, 200]
    assert_rate_limited(client.get("/api/v1/limited/login"))


def test_window_resets_in_real_time():
    with override_settings(RATE_LIMITS={**django_settings.RATE_LIMITS, "login": "2/s"}):
        client = client_for()
        statuses = []
        for _ in range(30):  # at most 2 fit in any one second, so a 429 comes within a few requests
            response = client.get("/api/v1/limited/login")
            statuses.append(response.status_code)
            if response.status_code == 429:
                break
        assert statuses[-1] == 429
        retry_after = assert_rate_limited(response)

        time.sleep(retry_after + 0.05)

        assert client.get("/api/v1/limited/login").status_code == 200


def test_users_have_separate_budgets_and_anonymous_callers_count_per_address(clock, limits):
    limits(history="3/h")
    alice, bob = UserFactory(), UserFactory()
    alice_here, alice_elsewhere = client_for(alice, "198.51.100.1"), client_for(alice, "198.51.100.2")

    assert spend(alice_here, "/api/v1/limited/history", 2) == [200, 200]
    assert alice_elsewhere.get("/api/v1/limited/history").status_code == 200
    assert_rate_limited(alice_elsewhere.get("/api/v1/limited/history"))  # one budget per user, any address

    assert spend(client_for(bob, "198.51.100.1"), "/api/v1/limited/history", 3) == [200, 200, 200]
    assert spend(client_for(None, "198.51.100.1"), "/api/v1/limited/history", 3) == [200, 200, 200]
    assert_rate_limited(client_for(None, "198.51.100.1").get("/api/v1/limited/history"))
    assert client_for(None, "198.51.100.9").get("/api/v1/limited/history").status_code == 200


def test_login_and_register_count_per_address_even_for_signed_in_callers(clock, limits):
    limits(login="2/h")
    alice, bob = UserFactory(), UserFactory()

    assert client_for(alice, "203.0.113.5").get("/api/v1/limited/login").status_code == 200
    assert client_for(bob, "203.0.113.5").get("/api/v1/limited/login").status_code == 200
    assert_rate_limited(client_for(None, "203.0.113.5").get("/api/v1/limited/login"))
    assert client_for(alice, "203.0.113.6").get("/api/v1/limited/login").status_code == 200


def test_scopes_are_separate_budgets(clock, limits):
    limits(practice_set="2/h", scoring="2/h")
    client = client_for(UserFactory())

    assert spend(client, "/api/v1/limited/practice_set", 2) == [200, 200]
    assert_rate_limited(client.get("/api/v1/limited/practice_set"))
    assert spend(client, "/api/v1/limited/scoring", 2) == [200, 200]


def test_a_view_without_a_scope_uses_the_default_budget(clock, limits):
    limits(default="2/h")
    client = client_for(UserFactory())

    assert spend(client, "/api/v1/limited-unscoped", 2) == [200, 200]
    assert_rate_limited(client.get("/api/v1/limited-unscoped"))
    # The default budget is shared by every default-scope view.
    assert_rate_limited(client.get("/api/v1/limited/default"))


def test_a_view_may_choose_its_scope_per_method(clock, limits):
    limits(history="3/h", session_save="1/h")
    client = client_for(UserFactory())

    assert client.post("/api/v1/limited-sessions").status_code == 200
    assert_rate_limited(client.post("/api/v1/limited-sessions"))
    assert spend(client, "/api/v1/limited-sessions", 3) == [200, 200, 200]
    assert_rate_limited(client.get("/api/v1/limited-sessions"))


def test_an_unknown_scope_is_a_server_error_not_a_silent_default(caplog):
    view_with_a_typo = scoped("logins").as_view()

    with caplog.at_level(logging.ERROR):
        response = view_with_a_typo(RequestFactory().get("/api/v1/anything"))

    assert response.status_code == 500
    assert "'logins' is not one of" in caplog.text


def _api_view_classes(patterns, prefix=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _api_view_classes(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern) and hasattr(pattern.callback, "cls"):
            yield prefix + str(pattern.pattern), pattern.callback.cls


def test_every_api_view_declares_a_known_scope():
    views = list(_api_view_classes(get_resolver("config.urls").url_patterns))
    api_views = [(route, cls) for route, cls in views if route.startswith("api/v1/")]
    assert api_views, "no API views found"

    problems = []
    for route, cls in api_views:
        scope = cls.__dict__.get("rate_limit_scope") or next(
            (base.__dict__["rate_limit_scope"] for base in cls.__mro__ if "rate_limit_scope" in base.__dict__), None)
        scopes = scope.values() if isinstance(scope, dict) else [scope]
        if scope is None or any(value not in django_settings.RATE_LIMITS for value in scopes):
            problems.append(f"{route}: {cls.__name__}.rate_limit_scope = {scope!r}")
    assert problems == []


def test_switched_off_nothing_is_limited(settings, clock, limits):
    limits(login="1/h")
    settings.RATE_LIMIT_ENABLED = False

    assert spend(client_for(), "/api/v1/limited/login", 5) == [200] * 5


def test_ipv6_callers_in_one_64_share_a_budget(clock, limits):
    limits(login="2/h")

    assert client_for(None, "2001:db8:1:2::a").get("/api/v1/limited/login").status_code == 200
    assert client_for(None, "2001:db8:1:2:ffff::b").get("/api/v1/limited/login").status_code == 200
    assert_rate_limited(client_for(None, "2001:db8:1:2::c").get("/api/v1/limited/login"))
    assert client_for(None, "2001:db8:1:3::a").get("/api/v1/limited/login").status_code == 200


# --- client address behind proxies -------------------------------------------------------

def _address(remote_addr: str, forwarded_for: str | None = None) -> str:
    headers = {"HTTP_X_FORWARDED_FOR": forwarded_for} if forwarded_for is not None else {}
    return client_ip(RequestFactory().get("/", REMOTE_ADDR=remote_addr, **headers))


def test_without_trusted_proxies_forwarded_for_is_ignored(settings):
    settings.TRUSTED_PROXY_COUNT = 0

    assert _address("192.0.2.10", "203.0.113.7") == "192.0.2.10"


@pytest.mark.parametrize("proxies, forwarded_for, expected", [
    (1, "203.0.113.7", "203.0.113.7"),
    (1, "6.6.6.6, 203.0.113.7", "203.0.113.7"),               # the client's own entry is not trusted
    (2, "6.6.6.6, 203.0.113.7, 10.0.0.2", "203.0.113.7"),      # second from the right
    (2, "203.0.113.7", "10.0.0.1"),                            # too few entries: a proxy was bypassed
    (1, "", "10.0.0.1"),
    (1, "not-an-address", "10.0.0.1"),
    (1, "2001:db8::7", "2001:db8::7"),
])
def test_trusted_proxies_take_the_nth_forwarded_address_from_the_right(settings, proxies, forwarded_for, expected):
    settings.TRUSTED_PROXY_COUNT = proxies

    assert _address("10.0.0.1", forwarded_for) == expected


def test_forged_forwarded_for_does_not_escape_the_login_limit(settings, clock, limits):
    limits(login="2/h")
    settings.TRUSTED_PROXY_COUNT = 0
    client = client_for(None, "192.0.2.10")

    for forged in ("1.1.1.1", "2.2.2.2"):
        assert client.get("/api/v1/limited/login", HTTP_X_FORWARDED_FOR=forged).status_code == 200
    assert_rate_limited(client.get("/api/v1/limited/login", HTTP_X_FORWARDED_FOR="3.3.3.3"))


def test_behind_one_proxy_each_forwarded_client_has_its_own_budget(settings, clock, limits):
    limits(login="2/h")
    settings.TRUSTED_PROXY_COUNT = 1
    proxy = client_for(None, "10.0.0.1")

    def login_from(forwarded_for):
        return proxy.get("/api/v1/limited/login", HTTP_X_FORWARDED_FOR=forwarded_for)

    assert login_from("203.0.113.7").status_code == 200
    assert login_from("9.9.9.9, 203.0.113.7").status_code == 200  # a forged left entry changes nothing
    assert_rate_limited(login_from("8.8.8.8, 203.0.113.7"))
    assert login_from("203.0.113.8").status_code == 200


# --- outages -------------------------------------------------------------------------------

def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _value(counter) -> float:
    return counter._value.get()


def test_with_the_redis_counter_store_down_limits_are_counted_in_the_process(clock):
    unreachable_redis = caches_for(f"redis://127.0.0.1:{_closed_port()}/0")

    with override_settings(CACHES=unreachable_redis,
                           RATE_LIMITS={**django_settings.RATE_LIMITS, "login": "2/h"}):
        statuses = spend(client_for(), "/api/v1/limited/login", 4)

    assert statuses == [200, 200, 429, 429]


def test_refusals_are_counted_for_monitoring(clock, limits):
    limits(scoring="1/h")
    client = client_for(UserFactory())
    before = _value(metrics.RATE_LIMITED.labels(scope="scoring"))

    spend(client, "/api/v1/limited/scoring", 3)

    assert _value(metrics.RATE_LIMITED.labels(scope="scoring")) - before == 2


# --- the real endpoints ----------------------------------------------------------------------

@pytest.mark.urls("config.urls")
def test_real_login_endpoint_is_limited_per_address(clock):
    limit = count(django_settings.RATE_LIMITS["login"])
    client = client_for(None, "198.51.100.20")

    # Different unknown emails each time, so the per-account lockout never starts.
    statuses = [client.post("/api/v1/auth/login", {"email": f"nobody{i}@example.com", "password": "wrong-pass-1"})
                .status_code for i in range(limit)]
    assert statuses == [401] * limit
    user = UserFactory()
    refused = client.post("/api/v1/auth/login", {"email": user.email, "password": DEFAULT_PASSWORD})
    assert_rate_limited(refused)

    other = client_for(None, "198.51.100.21").post("/api/v1/auth/login",
                                                    {"email": user.email, "password": DEFAULT_PASSWORD})
    assert other.status_code == 200


@pytest.mark.urls("config.urls")
def test_real_register_endpoint_is_limited_per_address(clock):
    limit = count(django_settings.RATE_LIMITS["register"])
    client = client_for(None, "198.51.100.30")

    def register(i):
        return client.post("/api/v1/auth/register",
                           {"email": f"new{i}@example.com", "password": "a-Long-pass-phrase-9", "name": f"New {i}"})

    assert [register(i).status_code for i in range(limit)] == [201] * limit
    refused = register(limit)
    assert_rate_limited(refused)
    assert User.objects.filter(email__startswith="new").count() == limit


# --- API docs -------------------------------------------------------------------------------

def test_every_operation_documents_its_429_and_limit(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()

    operations = {(path, method): op for path, ops in schema["paths"].items()
                  for method, op in ops.items() if path.startswith("/api/v1/")}
    assert [key for key, op in operations.items() if "429" not in op["responses"]] == []
    login = operations[("/api/v1/limited/login", "post")]["responses"]["429"]
    assert "more than 10 requests per minute per client IP" in login["description"]
    assert "Retry-After" in login["headers"]
    saving = operations[("/api/v1/limited-sessions", "post")]["responses"]["429"]["description"]
    assert "60 requests per minute per user" in saving and "`session_save`" in saving
    assert "`history`" in operations[("/api/v1/limited-sessions", "get")]["responses"]["429"]["description"]


@pytest.mark.urls("config.urls")
def test_admin_sign_in_form_shares_the_login_budget(client, clock, limits):
    limits(login="3/h")
    staff = StaffUserFactory()

    attempts = [client.post("/admin/login/", {"username": staff.email, "password": f"guess-{i}"},
                            REMOTE_ADDR="192.0.2.40")
                for i in range(2)]
    assert [a.status_code for a in attempts] == [200, 200]  # the form again, with an error
    assert client.get("/admin/login/", REMOTE_ADDR="192.0.2.40").status_code == 200  # showing the form is free
    api = client_for(None, "192.0.2.40").post("/api/v1/auth/login", {"email": staff.email, "password": "guess"})
    assert api.status_code == 401

    refused = client.post("/admin/login/", {"username": staff.email, "password": DEFAULT_PASSWORD},
                          REMOTE_ADDR="192.0.2.40")
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) >= 1
    assert "_auth_user_id" not in client.session

    elsewhere = client.post("/admin/login/", {"username": staff.email, "password": DEFAULT_PASSWORD},
                            REMOTE_ADDR="192.0.2.41")
    assert elsewhere.status_code == 302
