"""Benchmark of the game endpoints on PostgreSQL, in one process through Django's test client.

Prints:
  * how many POST /game/sessions (10 results each) per second the API sustains with
    BENCH_THREADS concurrent clients for BENCH_SECONDS;
  * p50/p95/max latency of history (GET /game/sessions), detail (GET /game/sessions/{id}),
    progress (GET /users/me/progress) and review-set reads for a learner with
    BENCH_HISTORY_SESSIONS (1 000) sessions of 10 results each.

It creates and migrates its own database (BENCH_DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/englishapp_bench_sessions); rate limits are off and the
cache is local memory, so the numbers are the application and the database only (no HTTP
server, no network). Run:  .venv/bin/python bench/sessions.py
"""

import os
import random
import statistics
import sys
import tempfile
import threading
import time
import uuid
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DATABASE_URL = os.environ.get("BENCH_DATABASE_URL",
                              "postgres://postgres@127.0.0.1:5432/englishapp_bench_sessions")
THREADS = int(os.environ.get("BENCH_THREADS", "8"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "15"))
HISTORY_SESSIONS = int(os.environ.get("BENCH_HISTORY_SESSIONS", "1000"))
READS = int(os.environ.get("BENCH_READS", "300"))
RESULTS_PER_SESSION = 10

os.environ.update({
    "DATABASE_URL": DATABASE_URL,
    "DEBUG": "0",
    "SECRET_KEY": os.environ.get("SECRET_KEY", "bench-only-secret-key-" + "x" * 40),
    "ALLOWED_HOSTS": "testserver",
    "RATE_LIMIT_ENABLED": "0",
    "REDIS_URL": "",
    "SECURE_SSL_REDIRECT": "0",
    "MEDIA_ROOT": tempfile.mkdtemp(prefix="bench-sessions-media-"),
    "LOG_LEVEL": "WARNING",
    "DJANGO_SETTINGS_MODULE": "config.settings",
})


def ensure_database() -> None:
    import environ
    import psycopg

    config = environ.Env.db_url_config(DATABASE_URL)
    admin = psycopg.connect(host=config["HOST"] or "127.0.0.1", port=config["PORT"] or 5432,
                            user=config["USER"], password=config["PASSWORD"] or None, dbname="postgres",
                            autocommit=True)
    with admin:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [config["NAME"]]).fetchone()
        if not exists:
            admin.execute(f'CREATE DATABASE "{config["NAME"]}"')


ensure_database()

import django  # noqa: E402

django.setup()

from django.core.files.base import ContentFile  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402
from rest_framework.test import APIClient  # noqa: E402
from rest_framework_simplejwt.tokens import RefreshToken  # noqa: E402

from accounts.models import User  # noqa: E402
from content.models import Speech, Tag  # noqa: E402
from game.models import GameResult, GameSession  # noqa: E402

WAV = (b"RIFF$\x00\x00\x00WAVEfmt \x10\x00\x00\x00\x01\x00\x01\x00\x80>\x00\x00\x00}\x00\x00"
       b"\x02\x00\x10\x00data\x00\x00\x00\x00")


def client_for(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(user).access_token}")
    return client


def new_user(label: str) -> User:
    return User.objects.create_user(f"bench-{label}-{uuid.uuid4().hex[:10]}@example.com", name="Bench")


def make_speeches(count: int) -> tuple[list[Speech], Tag]:
    tag = Tag.objects.create(name=f"bench-{uuid.uuid4().hex[:10]}")
    speeches = []
    for n in range(count):
        speech = Speech(text=f"Benchmark sentence {n}.", level="A1", type="question")
        speech.audio.save("bench.wav", ContentFile(WAV), save=True)
        speech.tags.add(tag)
        speeches.append(speech)
    return speeches, tag


def session_body(speeches: list[Speech], tag: Tag) -> dict:
    chosen = random.sample(speeches, RESULTS_PER_SESSION)
    responses = [random.choice(["correct", "correct", "incorrect", "skipped"]) for _ in chosen]
    scores = [None if r == "skipped" else round(random.uniform(30, 100), 1) for r in responses]
    streak = run = 0
    for response in responses:
        run = run + 1 if response == "correct" else 0
        streak = max(streak, run)
    scored = [s for s in scores if s is not None]
    completed = timezone.now() - timedelta(seconds=5)
    return {
        "mode": "listen_and_repeat", "level": "A1", "sentence_type": "question", "selected_tags": [str(tag.id)],
        "total_sentences": RESULTS_PER_SESSION, "correct_count": responses.count("correct"), "max_streak": streak,
        "avg_pronunciation_score": round(sum(scored) / len(scored), 1) if scored else None,
        "duration_seconds": 240, "started_at": (completed - timedelta(minutes=4)).isoformat(),
        "completed_at": completed.isoformat(),
        "results": [
            {"speech_id": str(s.id), "sequence_number": i, "user_response": r, "pronunciation_score": sc,
             "recognized_text": None if sc is None else s.text, "response_time_ms": random.randint(1500, 9000)}
            for i, (s, r, sc) in enumerate(zip(chosen, responses, scores), start=1)
        ],
    }


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def describe(name: str, latencies: list[float]) -> str:
    ms = [value * 1000 for value in latencies]
    return (f"{name:<34} n={len(ms):>5}  p50={statistics.median(ms):7.1f} ms  p95={percentile(ms, 0.95):7.1f} ms  "
            f"max={max(ms):7.1f} ms")


def bench_submissions(speeches: list[Speech], tag: Tag) -> None:
    users = [new_user(f"writer{n}") for n in range(THREADS)]
    bodies = [[session_body(speeches, tag) for _ in range(50)] for _ in range(THREADS)]
    latencies: list[float] = []
    failures: list[str] = []
    lock = threading.Lock()
    start_gate = threading.Barrier(THREADS + 1)
    stop_at = [0.0]

    def writer(index: int) -> None:
        client = client_for(users[index])
        mine, errors = [], []
        start_gate.wait()
        n = 0
        while time.perf_counter() < stop_at[0]:
            body = bodies[index][n % len(bodies[index])]
            began = time.perf_counter()
            response = client.post("/api/v1/game/sessions", body, format="json",
                                   HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex)
            mine.append(time.perf_counter() - began)
            if response.status_code != 201:
                errors.append(f"{response.status_code} {response.content[:200]!r}")
            n += 1
        connection.close()
        with lock:
            latencies.extend(mine)
            failures.extend(errors)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    stop_at[0] = time.perf_counter() + SECONDS
    began = time.perf_counter()
    start_gate.wait()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    saved = GameSession.objects.filter(user__in=users).count()
    print(f"\nPOST /game/sessions ({RESULTS_PER_SESSION} results, Idempotency-Key, {THREADS} threads, "
          f"{elapsed:.1f} s)")
    print(f"  sessions saved: {saved}  ->  {saved / elapsed:.1f} sessions/s "
          f"({saved * RESULTS_PER_SESSION / elapsed:.0f} results/s); failures: {len(failures)}")
    print("  " + describe("latency per request", latencies))
    if failures:
        print("  first failure:", failures[0])


def seed_history(speeches: list[Speech]) -> User:
    learner = new_user("reader")
    now = timezone.now()
    sessions, results = [], []
    for n in range(HISTORY_SESSIONS):
        completed = now - timedelta(hours=7 * n, minutes=random.randint(0, 300))
        responses = [random.choice(["correct", "correct", "incorrect", "skipped"])
                     for _ in range(RESULTS_PER_SESSION)]
        scores = [None if r == "skipped" else round(random.uniform(30, 100), 1) for r in responses]
        streak = run = 0
        for response in responses:
            run = run + 1 if response == "correct" else 0
            streak = max(streak, run)
        scored = [s for s in scores if s is not None]
        session = GameSession(
            user=learner, mode=random.choice(["listen_only", "listen_and_repeat"]), level="A1",
            sentence_type="question", selected_tags=[], total_sentences=RESULTS_PER_SESSION,
            correct_count=responses.count("correct"), max_streak=streak,
            avg_pronunciation_score=round(sum(scored) / len(scored), 1) if scored else None,
            duration_seconds=240, started_at=completed - timedelta(minutes=4), completed_at=completed,
        )
        sessions.append(session)
        for i, (speech, response, score) in enumerate(
                zip(random.sample(speeches, RESULTS_PER_SESSION), responses, scores), start=1):
            results.append(GameResult(session=session, speech=speech, sequence_number=i, user_response=response,
                                      pronunciation_score=score, response_time_ms=3000))
    GameSession.objects.bulk_create(sessions, batch_size=500)
    GameResult.objects.bulk_create(results, batch_size=2000)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE game_gamesession; ANALYZE game_gameresult;")
    return learner


def timed(client: APIClient, method: str, path: str, **kwargs) -> float:
    began = time.perf_counter()
    response = getattr(client, method)(path, **kwargs)
    elapsed = time.perf_counter() - began
    if response.status_code != 200:
        raise SystemExit(f"{method.upper()} {path} answered {response.status_code}: {response.content[:300]!r}")
    return elapsed


def bench_reads(learner: User) -> None:
    client = client_for(learner)
    ids = [str(i) for i in GameSession.objects.filter(user=learner).values_list("id", flat=True)]
    pages = (HISTORY_SESSIONS + 19) // 20
    for _ in range(20):  # warm connections and caches
        timed(client, "get", "/api/v1/game/sessions")
        timed(client, "get", f"/api/v1/game/sessions/{random.choice(ids)}")

    print(f"\nReads for a learner with {HISTORY_SESSIONS} sessions x {RESULTS_PER_SESSION} results "
          f"(sequential, {READS} requests each)")
    first_page = [timed(client, "get", "/api/v1/game/sessions") for _ in range(READS)]
    print("  " + describe("history, page 1 (limit 20)", first_page))
    any_page = [timed(client, "get", f"/api/v1/game/sessions?page={random.randint(1, pages)}&limit=20")
                for _ in range(READS)]
    print("  " + describe("history, random page", any_page))
    filtered = [timed(client, "get", "/api/v1/game/sessions?mode=listen_only&from_date=2020-01-01&limit=100")
                for _ in range(READS)]
    print("  " + describe("history, filtered, limit 100", filtered))
    detail = [timed(client, "get", f"/api/v1/game/sessions/{random.choice(ids)}") for _ in range(READS)]
    print("  " + describe("detail (10 results)", detail))
    fewer = max(READS // 5, 20)
    progress = [timed(client, "get", "/api/v1/users/me/progress") for _ in range(fewer)]
    print("  " + describe("progress", progress))
    review = [timed(client, "post", "/api/v1/game/speeches/review", data={"limit": 10}, format="json")
              for _ in range(fewer)]
    print("  " + describe("review set (limit 10)", review))


def reset() -> None:
    """Start every run from the same state: drop what earlier runs created."""
    User.objects.filter(email__startswith="bench-").delete()  # cascades to sessions and results
    Speech.objects.filter(text__startswith="Benchmark sentence ").delete()
    Tag.objects.filter(name__startswith="bench-").delete()


def main() -> None:
    call_command("migrate", verbosity=0)
    reset()
    print(f"database: {connection.settings_dict['NAME']} on PostgreSQL "
          f"{connection.cursor().connection.info.server_version}; python {sys.version.split()[0]}")
    speeches, tag = make_speeches(60)
    bench_submissions(speeches, tag)
    learner = seed_history(speeches)
    bench_reads(learner)


if __name__ == "__main__":
    main()
