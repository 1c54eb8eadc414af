"""Issue 16's "ASGI or threads" decision: the same app and data under each way of serving it.

Each mode serves bench.bare_settings (the project's settings plus GET /bench/bare, the authenticated endpoint
that queries nothing) from the same database, and is measured with harness.bursts at each client count of
BENCH_CLIENTS (default "8,32"): every client sends only one target, BENCH_REQUESTS (80) requests per target
per round shared among the clients, the targets one after the other (order rotated every round); a warm-up
round, then BENCH_ROUNDS (5) rounds; req/s, p50 and p95 are medians over the rounds. Targets: GET /bench/bare,
GET /api/v1/users/me/progress and GET /api/v1/game/sessions (history page 1) as a learner with 1 000 sessions,
and POST /api/v1/game/sessions (10 results; each client its own learner, so saves do not queue on one
learner's lock).

Modes:
  (a) gunicorn, 4 sync workers (--threads 1: gunicorn.conf.py sets 4 threads, which would turn sync into gthread)
  (b) gunicorn gthread, 2 workers x 4 threads: the image's way (DATABASE_CONN_MAX_AGE 60, the default)
  (b0) as (b) with DATABASE_CONN_MAX_AGE=0: a new database connection per request
  (c) gunicorn gthread, 4 workers x 4 threads
  (d) uvicorn config.asgi:application --workers 2 (plain uvicorn: h11, asyncio), DATABASE_CONN_MAX_AGE=0: Django
      runs every ASGI request's sync code in a new thread, whose persistent connection is never reused (with the
      default 60 a trial run at 32 clients ran PostgreSQL out of its 100 connections: 503s)
Django 5.2's connection pool ("pool": True in OPTIONS) is not measured: config/settings.py cannot be told to use
it by the environment (DATABASE_URL's query string reaches OPTIONS only as a string or an int, and Django wants
True or a dict), and this benchmark does not change the settings.

What it does: recreates its own database (BENCH_DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/englishapp_bench_modes) and a redis-server of its own; seeds the demo
content (2 000 speeches), the learner's 1 000 sessions of 10 results by COPY and its derived tables by the
project's rebuild services (harness.seed_sessions, harness.rebuild_learner), and one learner per save client;
then starts each mode in turn on a free port, measures it, stops it. Prints, per mode and client count, req/s,
p50/p95 and the ratios to bare in the same mode, then each mode's req/s against the image's (b), and the load
average before and after every mode.

Any failed request ends it with a non-zero status. Timings are printed, never asserted.
Run:  .venv/bin/python bench/server_modes.py   (or make bench-server-modes); about 6 minutes on 2 CPUs.
"""

import os
import random
import time

import harness
from harness import Call, step

DATABASE_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/englishapp_bench_modes")
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "5"))
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "80"))
CLIENTS = harness.client_counts("8,32")
SESSIONS = 1000
RESULTS_PER_SESSION = 10
SPEECHES = 2000
GUNICORN = ["gunicorn", "config.wsgi:application", "--bind", "127.0.0.1:{port}", "--access-logfile", "/dev/null"]
MODES = {  # name: (argv, extra environment)
    "(a) gunicorn sync 4": ([*GUNICORN, "--workers", "4", "--worker-class", "sync", "--threads", "1"], {}),
    "(b) gthread 2x4": ([*GUNICORN, "--workers", "2", "--worker-class", "gthread", "--threads", "4"], {}),
    "(b0) gthread 2x4 age 0": ([*GUNICORN, "--workers", "2", "--worker-class", "gthread", "--threads", "4"],
                               {"DATABASE_CONN_MAX_AGE": "0"}),
    "(c) gthread 4x4": ([*GUNICORN, "--workers", "4", "--worker-class", "gthread", "--threads", "4"], {}),
    "(d) uvicorn ASGI 2 age 0": (["uvicorn", "config.asgi:application", "--host", "127.0.0.1", "--port", "{port}",
                            "--workers", "2", "--no-access-log", "--log-level", "warning"],
                           # Django runs each ASGI request's sync code in a thread of its own, so persistent
                           # connections pile up (with 60, a trial run exhausted PostgreSQL's 100): Django's advice
                           # for ASGI is CONN_MAX_AGE 0.
                           {"DATABASE_CONN_MAX_AGE": "0"}),
}
REFERENCE = "(b) gthread 2x4"

run_started = time.perf_counter()
harness.prepare_database(DATABASE_URL, fresh=True)
REDIS_URL, _redis = harness.start_redis()
harness.start_django(DATABASE_URL=DATABASE_URL, REDIS_URL=REDIS_URL, DJANGO_SETTINGS_MODULE="bench.bare_settings",
                     MEDIA_ROOT=harness.temp_dir("bench-modes-media-"), ALLOWED_HOSTS="127.0.0.1",
                     SEED_STAFF_PASSWORD="bench-editor-pass-1", SEED_LEARNER_PASSWORD="bench-learner-pass-1")

# Below: modules that need Django set up.
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import User  # noqa: E402
from content.models import Speech  # noqa: E402
from content.seeding import seed as seed_content  # noqa: E402
from game.seeding import seed_achievements, seed_course  # noqa: E402


def seed(now) -> tuple[User, list[User], list[Speech]]:
    rng = random.Random(16)
    print("Seeding:")
    with step(f"demo content: {SPEECHES:,} speeches with audio, achievements, a course"):
        seed_content(speeches=SPEECHES)
        seed_achievements()
        seed_course()
    speeches = list(Speech.objects.only("id", "level", "type", "text"))
    learner = harness.new_user(f"history-{SESSIONS}")
    with step(f"{SESSIONS:,} sessions x {RESULTS_PER_SESSION} results, rewarded sessions, XP ledger"):
        week_xp = harness.seed_sessions(learner, speeches, sessions=SESSIONS,
                                        results_per_session=RESULTS_PER_SESSION, now=now, rng=rng)
    with step("rebuild its derived tables"):
        harness.rebuild_learner(learner, now=now, week_xp=week_xp)
    savers = [harness.new_user(f"saver-{n}") for n in range(max(CLIENTS))]
    with step("VACUUM ANALYZE"), connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    return learner, savers, speeches


def measure(learner: User, savers: list[User], speeches: list[Speech]):
    figures: dict[str, dict[int, dict[str, harness.Throughput]]] = {}
    for mode, (argv, env) in MODES.items():
        figures[mode] = {}
        with harness.server(*argv, env=env, label=mode) as base:
            print(f"\n{mode}: {' '.join(argv[:2])} ...; before: {harness.load_average()}", flush=True)
            for clients in CLIENTS:
                per_client = -(-REQUESTS // clients)  # rounded up: every client sends as many
                rngs = [random.Random(1000 * clients + n) for n in range(clients)]
                # Reads as the learner with the history (the clients' session headers), each save as the client's
                # own learner (the Call's headers).
                savers_headers = [{"Authorization": harness.bearer(saver)} for saver in savers[:clients]]
                targets: dict[str, harness.Target] = {
                    "bare": Call("get", "/bench/bare"),
                    "progress": Call("get", "/api/v1/users/me/progress"),
                    "history": Call("get", "/api/v1/game/sessions"),
                    "save": lambda client, rngs=rngs, own=savers_headers: Call(
                        "post", "/api/v1/game/sessions", expect=201, headers=own[client],
                        json=harness.session_body(speeches, rngs[client], results=RESULTS_PER_SESSION)),
                }
                headers = {"Authorization": harness.bearer(learner)}
                started = time.perf_counter()
                harness.bursts(base, targets, headers, rounds=1, requests_per_client=per_client, clients=clients)
                result = harness.bursts(base, targets, headers, rounds=ROUNDS, requests_per_client=per_client,
                                        clients=clients)
                figures[mode][clients] = result
                print(f"  {clients} clients: warm-up + {ROUNDS} rounds x {per_client * clients} requests per target "
                      f"in {time.perf_counter() - started:.0f} s", flush=True)
            print(f"  after: {harness.load_average()}", flush=True)
    return figures


def report(figures: dict[str, dict[int, dict[str, harness.Throughput]]]) -> None:
    print("\nPer mode (bursts of one target; medians over the rounds; ratios to bare in the same mode)")
    print(f"{'mode':<23} {'clients':>7}  {'target':<9} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} "
          f"{'rps/bare':>8} {'p50/bare':>8} {'p95/bare':>8}")
    for mode, by_clients in figures.items():
        for clients, targets in by_clients.items():
            bare = targets["bare"]
            for name, value in targets.items():
                print(f"{mode:<23} {clients:>7}  {name:<9} {value.rps:>8.1f} {value.p50:>8.2f} {value.p95:>8.2f} "
                      f"{value.rps / bare.rps:>8.2f} {value.p50 / bare.p50:>8.2f} {value.p95 / bare.p95:>8.2f}")
    reference = figures[REFERENCE]
    names = list(next(iter(reference.values())))
    print(f"\nreq/s of each mode over {REFERENCE}'s (the image's way), same target and clients")
    print(f"{'mode':<23} {'clients':>7}  " + " ".join(f"{name:>9}" for name in names))
    for mode, by_clients in figures.items():
        for clients, targets in by_clients.items():
            print(f"{mode:<23} {clients:>7}  "
                  + " ".join(f"{targets[name].rps / reference[clients][name].rps:>9.2f}" for name in names))


def main() -> None:
    now = timezone.now()
    version = connection.cursor().connection.info.server_version
    print(f"database {connection.settings_dict['NAME']} on PostgreSQL {version}, own Redis at {REDIS_URL}; "
          f"{harness.load_average()}")
    learner, savers, speeches = seed(now)
    figures = measure(learner, savers, speeches)
    report(figures)
    print("\nNot measured: Django's connection pool (OPTIONS \"pool\": True): config/settings.py takes no setting "
          "for it from the environment.")
    print(f"Whole run: {time.perf_counter() - run_started:.0f} s")


if __name__ == "__main__":
    main()
