"""/metrics: request, database, cache and business metrics, for allowed scrapers only."""

import os
import re
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from django.conf import settings as django_settings
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.parser import text_string_to_metric_families
from rest_framework.test import APIClient

from core.observability import metrics
from tests.content.factories import SpeechFactory
from tests.core.fresh_django import PRODUCTION_ENV, run_django, settings_in
from tests.game.payloads import session_body
from tests.scoring.helpers import clip, post_score

pytestmark = pytest.mark.django_db


def scrape(client=None, **headers) -> dict[tuple[str, frozenset], float]:
    response = (client or APIClient()).get("/metrics", **headers)
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain")
    samples = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return samples


def value(samples, name: str, **labels) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def test_request_count_latency_and_status_per_view_are_exposed(client):
    before = scrape()

    for _ in range(3):
        assert client.get("/health").status_code == 200
    assert client.get("/api/v1/no-such-endpoint").status_code == 404
    after = scrape()

    assert value(after, "django_http_requests_latency_seconds_by_view_method_count", view="health", method="GET") \
        - value(before, "django_http_requests_latency_seconds_by_view_method_count", view="health", method="GET") == 3
    assert value(after, "django_http_responses_total_by_status_view_method_total",
                 status="200", view="health", method="GET") \
        - value(before, "django_http_responses_total_by_status_view_method_total",
                status="200", view="health", method="GET") == 3
    assert value(after, "django_http_responses_total_by_status_total", status="404") \
        - value(before, "django_http_responses_total_by_status_total", status="404") >= 1


def test_database_and_cache_timings_are_exposed(client):
    vendor = "postgresql" if django_settings.DATABASES["default"]["ENGINE"].endswith("postgresql") else "sqlite"
    cache_backend = "redis" if "redis" in django_settings.CACHES["default"]["BACKEND"].lower() else "locmem"
    before = scrape()

    assert client.get("/health/ready").status_code == 200  # one query, one cache write and read
    after = scrape()

    labels = {"alias": "default", "vendor": vendor}
    assert value(after, "django_db_execute_total", **labels) > value(before, "django_db_execute_total", **labels)
    assert value(after, "django_db_query_duration_seconds_count", **labels) \
        > value(before, "django_db_query_duration_seconds_count", **labels)
    assert value(after, "django_cache_get_total", backend=cache_backend) \
        > value(before, "django_cache_get_total", backend=cache_backend)


def test_business_counters_are_exposed():
    before = scrape()

    metrics.record_registration(method="email")
    metrics.record_registration(method="google")
    metrics.record_registration(method="email")
    metrics.record_session_saved()
    metrics.record_scoring(provider="azure", outcome="fallback", seconds=1.2)
    metrics.record_scoring(provider="local", outcome="ok", seconds=0.3)
    metrics.record_import(kind="csv", outcome="ok", speeches=7)
    metrics.record_import(kind="csv", outcome="invalid")
    after = scrape()

    def grew(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)

    assert grew("englishapp_registrations_total", method="email") == 2
    assert grew("englishapp_registrations_total", method="google") == 1
    assert grew("englishapp_game_sessions_saved_total") == 1
    assert grew("englishapp_scoring_requests_total", provider="azure", outcome="fallback") == 1
    assert grew("englishapp_scoring_requests_total", provider="local", outcome="ok") == 1
    assert grew("englishapp_scoring_duration_seconds_count", provider="azure") == 1
    assert grew("englishapp_scoring_duration_seconds_sum", provider="azure") == pytest.approx(1.2)
    assert grew("englishapp_imports_total", kind="csv", outcome="ok") == 1
    assert grew("englishapp_imports_total", kind="csv", outcome="invalid") == 1
    assert grew("englishapp_imported_speeches_total") == 7


@pytest.mark.parametrize("address", ["203.0.113.9", "10.0.0.5", "::2"])
def test_strangers_are_refused(address):
    response = APIClient(REMOTE_ADDR=address).get("/metrics")

    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert "django_http" not in response.content.decode()


def test_allowed_ranges_may_scrape(settings):
    settings.METRICS_ALLOWED_IPS = ["10.0.0.0/8"]

    assert APIClient(REMOTE_ADDR="10.20.30.40").get("/metrics").status_code == 200
    assert APIClient(REMOTE_ADDR="127.0.0.1").get("/metrics").status_code == 403


def test_the_bearer_token_admits_any_address(settings):
    settings.METRICS_TOKEN = "scrape-secret-0123456789"
    stranger = APIClient(REMOTE_ADDR="203.0.113.9")

    assert stranger.get("/metrics", HTTP_AUTHORIZATION="Bearer scrape-secret-0123456789").status_code == 200
    assert stranger.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 403
    assert stranger.get("/metrics").status_code == 403


def test_without_a_configured_token_an_empty_bearer_is_refused(settings):
    settings.METRICS_TOKEN = ""

    response = APIClient(REMOTE_ADDR="203.0.113.9").get("/metrics", HTTP_AUTHORIZATION="Bearer ")

    assert response.status_code == 403


def test_behind_a_local_proxy_the_forwarded_client_is_checked(settings):
    # A reverse proxy on the same host makes every request come from 127.0.0.1.
    settings.TRUSTED_PROXY_COUNT = 1
    via_proxy = APIClient(REMOTE_ADDR="127.0.0.1")

    assert via_proxy.get("/metrics", HTTP_X_FORWARDED_FOR="203.0.113.9").status_code == 403
    assert via_proxy.get("/metrics", HTTP_X_FORWARDED_FOR="127.0.0.1").status_code == 200


def test_rate_limited_responses_show_up_by_status(settings, client, clock):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "login": "1/h"}
    before = scrape()

    client.post("/api/v1/auth/login", {"email": "a@example.com", "password": "x"}, content_type="application/json")
    refused = client.post("/api/v1/auth/login", {"email": "a@example.com", "password": "x"},
                          content_type="application/json")
    after = scrape()

    assert refused.status_code == 429
    assert value(after, "django_http_responses_total_by_status_total", status="429") \
        - value(before, "django_http_responses_total_by_status_total", status="429") == 1
    assert value(after, "englishapp_rate_limited_total", scope="login") \
        - value(before, "englishapp_rate_limited_total", scope="login") == 1


# --- several worker processes (gunicorn, as in the image) ----------------------------------------

def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _health_count(files) -> float:
    """Requests to /health recorded in these metrics files (one file per worker process)."""
    return sum(sample.value for metric in MultiProcessCollector.merge([str(f) for f in files])
               for sample in metric.samples
               if sample.name == "django_http_requests_latency_seconds_by_view_method_count"
               and sample.labels.get("view") == "health")


def _worker_pids(tmp_path) -> set[str]:
    return {re.search(r"_(\d+)\.db$", path.name).group(1)
            for folder in tmp_path.glob("englishapp-metrics-*") for path in folder.glob("*.db")}


@pytest.fixture
def gunicorn_server(tmp_path):
    port = _free_port()
    # No PROMETHEUS_MULTIPROC_DIR: gunicorn.conf.py must choose a folder itself (under TMPDIR).
    env = {"PATH": os.environ.get("PATH", ""), "HOME": os.environ.get("HOME", "/tmp"), "TMPDIR": str(tmp_path),
           "SECRET_KEY": "gunicorn-test-secret-" + "x" * 40, "DEBUG": "0", "SECURE_SSL_REDIRECT": "0",
           "ALLOWED_HOSTS": "127.0.0.1"}
    # Started like the Dockerfile starts it; gunicorn.conf.py is picked up from the working directory.
    process = subprocess.Popen(
        [str(Path(sys.executable).with_name("gunicorn")), "config.wsgi:application", "--bind", f"127.0.0.1:{port}",
         "--workers", "3"],
        cwd=django_settings.BASE_DIR, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        # Ready when all 3 workers have loaded the app: each then has its own metrics files.
        deadline = time.monotonic() + 60
        while len(_worker_pids(tmp_path)) < 3:
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError(f"gunicorn did not start: {process.stderr.read1().decode()}")
            time.sleep(0.2)
        yield base_url, tmp_path
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_metrics_add_up_all_gunicorn_workers(gunicorn_server):
    base_url, tmp_path = gunicorn_server

    def health_requests() -> float:
        scraped = requests.get(f"{base_url}/metrics", timeout=10)
        assert scraped.status_code == 200
        samples = {(s.name, frozenset(s.labels.items())): s.value
                   for family in text_string_to_metric_families(scraped.text) for s in family.samples}
        return value(samples, "django_http_requests_latency_seconds_by_view_method_count", view="health", method="GET")

    before = health_requests()
    with ThreadPoolExecutor(max_workers=12) as pool:
        statuses = list(pool.map(lambda _: requests.get(f"{base_url}/health", timeout=10).status_code, range(120)))
    assert statuses == [200] * 120

    served_by = [path for path in tmp_path.glob("englishapp-metrics-*/histogram_*.db") if _health_count([path])]
    assert len(served_by) >= 2, "the requests did not reach several workers; the test would prove nothing"
    # Whichever worker answers a scrape, it reports the whole server.
    assert [health_requests() for _ in range(6)] == [before + 120] * 6


def test_scrapers_come_from_the_environment():
    loaded = settings_in(["METRICS_ALLOWED_IPS", "METRICS_TOKEN"], **PRODUCTION_ENV,
                         METRICS_ALLOWED_IPS="10.0.0.0/8,192.0.2.7", METRICS_TOKEN="t0ken")
    refused = run_django("", **PRODUCTION_ENV, METRICS_ALLOWED_IPS="10.0.0.0/33")

    assert loaded == {"METRICS_ALLOWED_IPS": ["10.0.0.0/8", "192.0.2.7"], "METRICS_TOKEN": "t0ken"}
    assert refused.returncode != 0 and "METRICS_ALLOWED_IPS" in refused.stderr


# --- the apps count their events ------------------------------------------------------------------

def test_registrations_saved_sessions_and_scoring_are_counted_by_the_apps(auth_client):
    before = scrape()

    registered = APIClient().post("/api/v1/auth/register",
                                  {"email": "counted@example.com", "password": "a-Long-pass-phrase-9", "name": "C"})
    taken = APIClient().post("/api/v1/auth/register",
                             {"email": "counted@example.com", "password": "a-Long-pass-phrase-9", "name": "C"})
    saved = auth_client.post("/api/v1/game/sessions", session_body(SpeechFactory.create_batch(2, level="A1")))
    scored = post_score(auth_client, clip("right.wav"))
    after = scrape()

    assert (registered.status_code, taken.status_code, saved.status_code, scored.status_code) == (201, 409, 201, 200)
    grew = {name: value(after, name, **labels) - value(before, name, **labels) for name, labels in [
        ("englishapp_registrations_total", {"method": "email"}),
        ("englishapp_game_sessions_saved_total", {}),
        ("englishapp_scoring_requests_total", {"provider": "local", "outcome": "ok"}),
        ("englishapp_scoring_duration_seconds_count", {"provider": "local"}),
    ]}
    assert grew == {"englishapp_registrations_total": 1, "englishapp_game_sessions_saved_total": 1,
                    "englishapp_scoring_requests_total": 1, "englishapp_scoring_duration_seconds_count": 1}
