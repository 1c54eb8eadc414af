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

import itertools
import os
import random
import sys
import time
import uuid
from datetime import timedelta

import harness

DATABASE_URL = os.environ.get("BENCH_DATABASE_URL",
                              "postgres://postgres@127.0.0.1:5432/englishapp_bench_sessions")
THREADS = int(os.environ.get("BENCH_THREADS", "8"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "15"))
HISTORY_SESSIONS = int(os.environ.get("BENCH_HISTORY_SESSIONS", "1000"))
READS = int(os.environ.get("BENCH_READS", "300"))
RESULTS_PER_SESSION = 10

harness.prepare_database(DATABASE_URL, fresh=False)
harness.start_django(DATABASE_URL=DATABASE_URL, MEDIA_ROOT=harness.temp_dir("bench-sessions-media-"))

# Below: modules that need Django set up.
from django.core.files.base import ContentFile  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import User  # noqa: E402
from content.models import Speech, Tag  # noqa: E402
from game.models import GameResult, GameSession  # noqa: E402


def make_speeches(count: int) -> tuple[list[Speech], Tag]:
    tag = Tag.objects.create(name=f"bench-{uuid.uuid4().hex[:10]}")
    speeches = []
    for n in range(count):
        speech = Speech(text=f"Benchmark sentence {n}.", level="A1", type="question")
        speech.audio.save("bench.wav", ContentFile(harness.wav_clip(n)), save=True)
        speech.tags.add(tag)
        speeches.append(speech)
    return speeches, tag


def played() -> tuple[list[str], list[float | None], dict]:
    """One game's answers, their scores (none when skipped) and the session fields that follow from them."""
    responses = [random.choice(["correct", "correct", "incorrect", "skipped"]) for _ in range(RESULTS_PER_SESSION)]
    scores = [None if r == "skipped" else round(random.uniform(30, 100), 1) for r in responses]
    scored = [s for s in scores if s is not None]
    return responses, scores, {
        "total_sentences": RESULTS_PER_SESSION, "correct_count": responses.count("correct"),
        "max_streak": harness.longest_run(responses),
        "avg_pronunciation_score": round(sum(scored) / len(scored), 1) if scored else None,
        "duration_seconds": 240,
    }


def session_body(speeches: list[Speech], tag: Tag) -> dict:
    chosen = random.sample(speeches, RESULTS_PER_SESSION)
    responses, scores, totals = played()
    completed = timezone.now() - timedelta(seconds=5)
    return {
        "mode": "listen_and_repeat", "level": "A1", "sentence_type": "question", "selected_tags": [str(tag.id)],
        **totals, "started_at": (completed - timedelta(minutes=4)).isoformat(), "completed_at": completed.isoformat(),
        "results": [
            {"speech_id": str(s.id), "sequence_number": i, "user_response": r, "pronunciation_score": sc,
             "recognized_text": None if sc is None else s.text, "response_time_ms": random.randint(1500, 9000)}
            for i, (s, r, sc) in enumerate(zip(chosen, responses, scores, strict=True), start=1)
        ],
    }


def describe(name: str, latencies: list[float]) -> str:
    stats = harness.latency(latencies)
    return f"{name:<34} n={stats.n:>5}  p50={stats.p50:7.1f} ms  p95={stats.p95:7.1f} ms  max={stats.max:7.1f} ms"


def bench_submissions(speeches: list[Speech], tag: Tag) -> None:
    users = [harness.new_user(f"writer{n}") for n in range(THREADS)]
    bodies = [[session_body(speeches, tag) for _ in range(50)] for _ in range(THREADS)]

    def writer(index: int) -> tuple[list[float], list[str]]:
        client = harness.api_client(users[index])
        latencies, failures = [], []
        stop_at = time.perf_counter() + SECONDS
        for body in itertools.cycle(bodies[index]):
            if time.perf_counter() >= stop_at:
                break
            began = time.perf_counter()
            response = client.post("/api/v1/game/sessions", body, format="json",
                                   HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex)
            latencies.append(time.perf_counter() - began)
            if response.status_code != 201:
                failures.append(f"{response.status_code} {response.content[:200]!r}")
        return latencies, failures

    results, elapsed = harness.in_threads(THREADS, writer)
    latencies = [latency for mine, _ in results for latency in mine]
    failures = [failure for _, errors in results for failure in errors]
    saved = GameSession.objects.filter(user__in=users).count()
    print(f"\nPOST /game/sessions ({RESULTS_PER_SESSION} results, Idempotency-Key, {THREADS} threads, "
          f"{elapsed:.1f} s)")
    print(f"  sessions saved: {saved}  ->  {saved / elapsed:.1f} sessions/s "
          f"({saved * RESULTS_PER_SESSION / elapsed:.0f} results/s); failures: {len(failures)}")
    print("  " + describe("latency per request", latencies))
    if failures:
        print("  first failure:", failures[0])


def seed_history(speeches: list[Speech]) -> User:
    learner = harness.new_user("reader")
    now = timezone.now()
    sessions, results = [], []
    for n in range(HISTORY_SESSIONS):
        completed = now - timedelta(hours=7 * n, minutes=random.randint(0, 300))
        responses, scores, totals = played()
        session = GameSession(
            user=learner, mode=random.choice(["listen_only", "listen_and_repeat"]), level="A1",
            sentence_type="question", selected_tags=[], **totals,
            started_at=completed - timedelta(minutes=4), completed_at=completed,
        )
        sessions.append(session)
        for i, (speech, response, score) in enumerate(
                zip(random.sample(speeches, RESULTS_PER_SESSION), responses, scores, strict=True), start=1):
            results.append(GameResult(session=session, speech=speech, sequence_number=i, user_response=response,
                                      pronunciation_score=score, response_time_ms=3000))
    GameSession.objects.bulk_create(sessions, batch_size=500)
    GameResult.objects.bulk_create(results, batch_size=2000)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE game_gamesession; ANALYZE game_gameresult;")
    return learner


def bench_reads(learner: User) -> None:
    client = harness.api_client(learner)

    def timed(method: str, path: str, **kwargs) -> float:
        return harness.timed_request(client, method, path, **kwargs)[0]

    ids = [str(i) for i in GameSession.objects.filter(user=learner).values_list("id", flat=True)]
    pages = (HISTORY_SESSIONS + 19) // 20
    for _ in range(20):  # warm connections and caches
        timed("get", "/api/v1/game/sessions")
        timed("get", f"/api/v1/game/sessions/{random.choice(ids)}")

    print(f"\nReads for a learner with {HISTORY_SESSIONS} sessions x {RESULTS_PER_SESSION} results "
          f"(sequential, {READS} requests each)")
    first_page = [timed("get", "/api/v1/game/sessions") for _ in range(READS)]
    print("  " + describe("history, page 1 (limit 20)", first_page))
    any_page = [timed("get", f"/api/v1/game/sessions?page={random.randint(1, pages)}&limit=20")
                for _ in range(READS)]
    print("  " + describe("history, random page", any_page))
    filtered = [timed("get", "/api/v1/game/sessions?mode=listen_only&from_date=2020-01-01&limit=100")
                for _ in range(READS)]
    print("  " + describe("history, filtered, limit 100", filtered))
    detail = [timed("get", f"/api/v1/game/sessions/{random.choice(ids)}") for _ in range(READS)]
    print("  " + describe("detail (10 results)", detail))
    fewer = max(READS // 5, 20)
    progress = [timed("get", "/api/v1/users/me/progress") for _ in range(fewer)]
    print("  " + describe("progress", progress))
    review = [timed("post", "/api/v1/game/speeches/review", data={"limit": 10}, format="json")
              for _ in range(fewer)]
    print("  " + describe("review set (limit 10)", review))


def reset() -> None:
    """Start every run from the same state: drop what earlier runs created."""
    User.objects.filter(email__startswith="bench-").delete()  # cascades to sessions and results
    Speech.objects.filter(text__startswith="Benchmark sentence ").delete()
    Tag.objects.filter(name__startswith="bench-").delete()


def main() -> None:
    reset()
    print(f"database: {connection.settings_dict['NAME']} on PostgreSQL "
          f"{connection.cursor().connection.info.server_version}; python {sys.version.split()[0]}")
    speeches, tag = make_speeches(60)
    bench_submissions(speeches, tag)
    learner = seed_history(speeches)
    bench_reads(learner)


if __name__ == "__main__":
    main()
