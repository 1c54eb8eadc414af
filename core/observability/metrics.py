"""Business and operational counters for Prometheus, and the protected /metrics endpoint.

Request counts, latencies by view, status codes, database and cache timings come from
django-prometheus (middleware and backend wrappers in settings). What only the app knows is
counted here; services call the small `record_*` helpers so label names stay in one place.
Label values must come from small fixed sets (providers, outcomes), never from user input.

With several worker processes, set PROMETHEUS_MULTIPROC_DIR (see .env.example) so a scrape
sees every worker's counts rather than one worker's.
"""

import hmac
import time
from contextlib import contextmanager

from django.conf import settings
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from django_prometheus.exports import ExportToDjangoView
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest

from core.exceptions import error_body
from core.http.client_ip import address_in, client_ip

REGISTRATIONS = Counter(
    "englishapp_registrations_total", "Accounts created, by sign-up method (email, google, apple, facebook).",
    ["method"],
)
SESSIONS_SAVED = Counter("englishapp_game_sessions_saved_total", "Practice sessions saved.")
SCORING_REQUESTS = Counter(
    "englishapp_scoring_requests_total",
    "Calls to a pronunciation scoring provider, by provider and outcome: ok, or the error's class name.",
    ["provider", "outcome"],
)
SCORING_DURATION = Histogram(
    "englishapp_scoring_duration_seconds", "Time a scoring provider took to answer.", ["provider"],
    buckets=(0.1, 0.25, 0.5, 1, 2, 3, 5, 7.5, 10, 15, 30),
)
IMPORTS = Counter(
    "englishapp_imports_total", "Import steps, by kind (audio, csv) and outcome (ok, invalid, error).",
    ["kind", "outcome"],
)
IMPORTED_SPEECHES = Counter("englishapp_imported_speeches_total", "Speeches created by CSV imports.")
RATE_LIMITED = Counter("englishapp_rate_limited_total", "Requests refused with 429, by rate-limit scope.", ["scope"])
RATE_LIMIT_UNAVAILABLE = Counter(
    "englishapp_rate_limit_unavailable_total",
    "Requests served without a rate-limit check because the cache could not be reached.",
)
CACHE_BREAKER = Counter(
    "englishapp_cache_breaker_transitions_total",
    "Times this process stopped using the shared cache after a failure (to=open) or resumed (to=closed).",
    ["to"],
)

MAILS = Counter(
    "englishapp_mails_total",
    "Account mails by kind (verify_email, reset_password, ...) and outcome: sent, failed (retried), "
    "skipped (no such account, or the address's hourly budget used up) or not_queued (broker down).",
    ["kind", "outcome"],
)


def record_registration(*, method: str) -> None:
    REGISTRATIONS.labels(method=method).inc()


def record_session_saved() -> None:
    SESSIONS_SAVED.inc()


def record_scoring(*, provider: str, outcome: str, seconds: float | None = None) -> None:
    SCORING_REQUESTS.labels(provider=provider, outcome=outcome).inc()
    if seconds is not None:
        SCORING_DURATION.labels(provider=provider).observe(seconds)


@contextmanager
def scoring_call(*, provider: str):
    """Time one provider call and count its outcome ("ok" or the exception's class name)."""
    started = time.perf_counter()
    try:
        yield
    except Exception as exc:
        record_scoring(provider=provider, outcome=type(exc).__name__, seconds=time.perf_counter() - started)
        raise
    record_scoring(provider=provider, outcome="ok", seconds=time.perf_counter() - started)


def record_import(*, kind: str, outcome: str, speeches: int = 0) -> None:
    IMPORTS.labels(kind=kind, outcome=outcome).inc()
    if speeches:
        IMPORTED_SPEECHES.inc(speeches)


def record_mail(*, kind: str, outcome: str) -> None:
    MAILS.labels(kind=kind, outcome=outcome).inc()


def record_rate_limited(*, scope: str) -> None:
    RATE_LIMITED.labels(scope=scope).inc()


def record_rate_limit_unavailable() -> None:
    RATE_LIMIT_UNAVAILABLE.inc()


def record_cache_breaker(*, opened: bool) -> None:
    CACHE_BREAKER.labels(to="open" if opened else "closed").inc()


def _may_scrape(request) -> bool:
    token = settings.METRICS_TOKEN
    if token:
        supplied = request.headers.get("Authorization", "")
        if hmac.compare_digest(supplied.encode(), f"Bearer {token}".encode()):
            return True
    return address_in(client_ip(request), settings.METRICS_ALLOWED_IPS)


_SCRAPE_TIME_COLLECTORS: list = []


def add_scrape_time_collector(collector) -> None:
    """A collector read at each scrape (counts from the database, say): apps add theirs at start-up.

    Needed beside the process registry because with several workers (multiprocess mode) a
    scrape reads only the workers' metric files, not any in-process collector.
    """
    if collector not in _SCRAPE_TIME_COLLECTORS:
        _SCRAPE_TIME_COLLECTORS.append(collector)


@never_cache
@require_GET
def metrics_view(request):
    """Prometheus exposition, for allowed addresses or the bearer token only."""
    if not _may_scrape(request):
        return JsonResponse(error_body("permission_denied", "Metrics are not available to this client."), status=403)
    response = ExportToDjangoView(request)
    if _SCRAPE_TIME_COLLECTORS:
        registry = CollectorRegistry(auto_describe=True)
        for collector in _SCRAPE_TIME_COLLECTORS:
            registry.register(collector)
        response.content = response.content + generate_latest(registry)
    return response
