"""Does the time of a password-reset answer tell whether an address has an account?

Interleaves POST /auth/password/reset (and /auth/password/reset/confirm with a wrong code)
for an existing and an unknown address, BENCH_TRIES (30) of each, and prints mean and
median ms per kind and their difference. The requests go through Django's test client
against PostgreSQL (BENCH_DATABASE_URL) with a real Redis broker (BENCH_BROKER_URL): the
request only queues the mail, so that is what is timed; no worker runs, and the queue is
purged at the end.  Run:  .venv/bin/python bench/account_enumeration.py
"""

import os
import statistics

import harness

DATABASE_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/englishapp_bench_accounts")
BROKER_URL = os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/12")
TRIES = int(os.environ.get("BENCH_TRIES", "30"))
WARMUP = 5

harness.prepare_database(DATABASE_URL, fresh=False)
harness.start_django(DATABASE_URL=DATABASE_URL, CELERY_BROKER_URL=BROKER_URL)

from rest_framework.test import APIClient  # noqa: E402

from config.celery import app  # noqa: E402


def measure(path: str, body_for, expect: int) -> dict[str, list[float]]:
    existing = harness.new_user("reset", password="bench-password-123")
    times: dict[str, list[float]] = {"existing": [], "unknown": []}
    client = APIClient()
    for n in range(TRIES + WARMUP):
        for kind, email in (("existing", existing.email), ("unknown", f"nobody-{n}@example.com"))[::1 - 2 * (n % 2)]:
            seconds, _ = harness.timed_request(client, "post", path, data=body_for(email), format="json",
                                               expect=expect)
            if n >= WARMUP:  # the first rounds warm connections and caches up
                times[kind].append(seconds * 1000)
    return times


def report(title: str, times: dict[str, list[float]]) -> None:
    print(f"{title} ({TRIES} tries each, interleaved):")
    for kind, series in times.items():
        print(f"  {kind:8s} mean {statistics.fmean(series):6.2f} ms  median {statistics.median(series):6.2f} ms"
              f"  max {max(series):6.2f} ms")
    print(f"  difference of means {statistics.fmean(times['existing']) - statistics.fmean(times['unknown']):+.2f} ms")


try:
    report("POST /auth/password/reset", measure("/api/v1/auth/password/reset", lambda email: {"email": email}, 202))
    report("POST /auth/password/reset/confirm, wrong code",
           measure("/api/v1/auth/password/reset/confirm",
                   lambda email: {"email": email, "code": "123456", "new_password": "bench-new-password-9"}, 400))
finally:
    app.control.purge()
