"""Practice-set latency with Redis up, stopped and hung, through a real gunicorn, against a bare endpoint.

The app treats Redis as an optimisation (core/cache.py): while it is stopped (connections
refused) or hung (SIGSTOP: connections open, no answers), requests read from PostgreSQL and
a circuit breaker keeps them from waiting on the socket timeout more than once per period.
This prints, for each phase, p50/p95 of POST /api/v1/game/speeches/random and of GET /health
(the bare endpoint: no database, no cache) in the same server, requests interleaved one to
one, each figure the median over BENCH_ROUNDS rounds, and the practice/bare ratio of p50s.

Phases, in order: up (warm caches), hung, recovered (SIGCONT, after the breaker closed), down.
It recreates its own database (BENCH_DATABASE_URL, default .../englishapp_bench_outage),
seeds BENCH_SPEECHES (default 100 000) and runs a redis-server of its own on a free port
(never the shared one). gunicorn runs 1 worker, 4 threads, as the image's defaults do for a
small box. Run:  .venv/bin/python bench/cache_outage.py
"""

import os
import random
import shutil
import signal
import statistics
import subprocess
import time

import harness

DATABASE_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/englishapp_bench_outage")
SPEECHES = int(os.environ.get("BENCH_SPEECHES", "100000"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "5"))
PAIRS = int(os.environ.get("BENCH_PAIRS", "100"))

redis_port = harness.free_port()
redis = subprocess.Popen([shutil.which("redis-server") or "redis-server", "--bind", "127.0.0.1", "--port",
                          str(redis_port), "--save", "", "--appendonly", "no"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
time.sleep(0.5)

harness.prepare_database(DATABASE_URL, fresh=True)
harness.start_django(DATABASE_URL=DATABASE_URL, REDIS_URL=f"redis://127.0.0.1:{redis_port}/0",
                     MEDIA_ROOT=harness.temp_dir("bench-outage-media-"), ALLOWED_HOSTS="127.0.0.1",
                     SEED_STAFF_PASSWORD="bench-editor-pass-1", SEED_LEARNER_PASSWORD="bench-learner-pass-1")

import requests  # noqa: E402
from django.core.management import call_command  # noqa: E402

from content.models import Level, SentenceType, Tag  # noqa: E402


def percentiles(seconds: list[float]) -> tuple[float, float]:
    figures = harness.latency(seconds)
    return figures.p50, figures.p95


def measure(base: str, headers: dict, filters: list[dict]) -> dict[str, float]:
    rounds = []
    with requests.Session() as http:
        for _ in range(ROUNDS):
            practice, bare = [], []
            for _ in range(PAIRS):
                started = time.perf_counter()
                response = http.post(f"{base}/api/v1/game/speeches/random", json=random.choice(filters),
                                     headers=headers, timeout=30)
                practice.append(time.perf_counter() - started)
                assert response.status_code == 200, response.text[:300]
                started = time.perf_counter()
                assert http.get(f"{base}/health", timeout=30).status_code == 200
                bare.append(time.perf_counter() - started)
            rounds.append((*percentiles(practice), *percentiles(bare)))
    p50, p95, bare50, bare95 = (statistics.median(values) for values in zip(*rounds, strict=True))
    return {"p50": p50, "p95": p95, "bare_p50": bare50, "bare_p95": bare95, "ratio": p50 / bare50}


def wait_for_cache(base: str) -> None:
    for _ in range(100):
        if requests.get(f"{base}/health/ready", timeout=30).json()["status"] == "ok":
            return
        time.sleep(0.2)
    raise SystemExit("the cache did not come back")


def main() -> None:
    started = time.perf_counter()
    call_command("seed", speeches=SPEECHES, verbosity=0, stdout=open(os.devnull, "w"))
    print(f"{SPEECHES:,} speeches seeded in {time.perf_counter() - started:.0f} s; "
          f"{ROUNDS} rounds of {PAIRS} interleaved pairs per phase\n")
    rng = random.Random(7)
    tag_ids = [str(tag_id) for tag_id in Tag.objects.values_list("id", flat=True)]
    filters = [{"level": rng.choice(Level.values), "type": rng.choice(SentenceType.values),
                "tags": rng.sample(tag_ids, rng.randint(1, 3)), "limit": 10} for _ in range(40)]
    headers = {"Authorization": harness.bearer(harness.new_user("outage"))}

    results = {}
    with harness.gunicorn("--workers", "1", "--threads", "4") as base:
        for body in filters:  # every filter's ids cached
            requests.post(f"{base}/api/v1/game/speeches/random", json=body, headers=headers, timeout=30)
        measure(base, headers, filters)  # warm-up, not reported: connections, buffers, code paths
        results["up"] = measure(base, headers, filters)
        redis.send_signal(signal.SIGSTOP)
        results["hung"] = measure(base, headers, filters)
        redis.send_signal(signal.SIGCONT)
        wait_for_cache(base)
        results["recovered"] = measure(base, headers, filters)
        redis.terminate()
        redis.wait(timeout=10)
        results["down"] = measure(base, headers, filters)

    print(f"{'Redis':<10} {'p50 ms':>8} {'p95 ms':>8} {'bare p50':>9} {'bare p95':>9} {'p50/bare':>9}"
          f" {'p95 vs up':>10}")
    for phase, figures in results.items():
        print(f"{phase:<10} {figures['p50']:>8.2f} {figures['p95']:>8.2f} {figures['bare_p50']:>9.2f} "
              f"{figures['bare_p95']:>9.2f} {figures['ratio']:>9.1f} {figures['p95'] / results['up']['p95']:>9.1f}x")


try:
    main()
finally:
    if redis.poll() is None:
        redis.send_signal(signal.SIGCONT)
        redis.terminate()
