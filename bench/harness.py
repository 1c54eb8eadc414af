"""What the benchmarks under bench/ share, so each script holds only what it measures.

  * Importing it puts the repository root on sys.path (scripts run as `python bench/<script>.py`).
  * `prepare_database(url, fresh=)`: creates the PostgreSQL database of a URL, or drops and recreates it.
  * `start_django(**env)`: the settings every benchmark runs with (`django_env`: DEBUG, rate limits and Redis
    off, quiet logs, a throwaway SECRET_KEY unless one is set) plus the script's own, then setup and migrate.
  * `gunicorn(*args)`: gunicorn on a free port of 127.0.0.1, started as the image does, stopped at the end.
  * `new_user`, `bearer`, `api_client`: benchmark accounts and their signed-in JWT credentials.
  * `timed_request`, `in_threads`, `latency`/`Latency`: the time of one test-client request that must succeed,
    N threads released together, and n / mean / median / p95 / max in ms (and req/s) of a series.
  * `interleaved(base_url, targets, headers, rounds=, requests_per_round=, clients=)`: the house rule for a
    server's latencies: every target (the bare endpoint among them) requested in turn by `clients` threads, each
    with its own HTTP session; per target the median over the rounds of each round's p50 and p95 (`Percentiles`,
    ms). Any answer but 200 ends the run.
  * `load_average()`: the 1/5/15-minute load average as a line to print beside the numbers.
  * `start_redis()`: a redis-server of the benchmark's own on a free port (never the shared one), stopped at exit.
  * `temp_dir`, `wav_clip`, `longest_run`: seeding helpers.

Run as a script it gives bench/load_test.sh the same pieces:
    python bench/harness.py recreate-database URL | flush-redis URL | free-port
"""

import atexit
import io
import math
import os
import shutil
import signal
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
import wave
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:  # for annotations only: importing them needs Django set up, which start_django does
    from rest_framework.test import APIClient

    from accounts.models import User

ROOT = Path(__file__).resolve().parent.parent
# A script run by path has only bench/ on sys.path; the root goes first so that the apps `imports` and
# `scoring` win over the scripts bench/imports.py and bench/scoring.py.
sys.path.insert(0, str(ROOT))

T = TypeVar("T")


def prepare_database(url: str, *, fresh: bool) -> None:
    """Creates the PostgreSQL database named in `url` if missing; `fresh` drops it first, connections and all."""
    import environ
    import psycopg

    config = environ.Env.db_url_config(url)
    with psycopg.connect(host=config["HOST"] or "127.0.0.1", port=config["PORT"] or 5432, user=config["USER"],
                         password=config["PASSWORD"] or None, dbname="postgres", autocommit=True) as admin:
        if fresh:
            admin.execute(f'DROP DATABASE IF EXISTS "{config["NAME"]}" WITH (FORCE)')
        if fresh or not admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [config["NAME"]]).fetchone():
            admin.execute(f'CREATE DATABASE "{config["NAME"]}"')


def client_counts(default: str) -> list[int]:
    """The client counts to measure: BENCH_CLIENTS ("1,8,32"), else `default`."""
    return [int(count) for count in os.environ.get("BENCH_CLIENTS", default).split(",") if count.strip()]


def django_env(**overrides: str) -> dict[str, str]:
    """The environment of a benchmarked server; a script overrides what its measurement needs."""
    return {
        "DEBUG": "0",
        "SECRET_KEY": os.environ.get("SECRET_KEY", "bench-only-secret-key-" + "x" * 40),
        "ALLOWED_HOSTS": "testserver",  # Django's test client
        "RATE_LIMIT_ENABLED": "0",  # one benchmark client sends far more than a learner's budget
        "REDIS_URL": "",  # local-memory cache unless the script measures Redis
        "SECURE_SSL_REDIRECT": "0",  # the test client and the local servers speak plain HTTP
        "LOG_LEVEL": "WARNING",
        "DJANGO_SETTINGS_MODULE": "config.settings",
        **overrides,
    }


def start_django(**overrides: str) -> None:
    """Sets the environment in os.environ (so a gunicorn started later inherits it), sets Django up, migrates."""
    os.environ.update(django_env(**overrides))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def gunicorn(*args: str) -> Iterator[str]:
    """gunicorn serving config.wsgi with this environment on a free local port; yields its base URL.

    It runs in the repository root so that it reads gunicorn.conf.py as the image does (WORKDIR /app), and in
    its own process group so that stopping it stops its workers too.
    """
    port = free_port()
    server = subprocess.Popen([str(Path(sys.executable).parent / "gunicorn"), "config.wsgi:application",
                               "--bind", f"127.0.0.1:{port}", "--access-logfile", "/dev/null", *args],
                              cwd=ROOT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            if server.poll() is not None:
                raise RuntimeError(f"gunicorn exited with status {server.returncode}")
            try:
                with urllib.request.urlopen(f"{base}/health", timeout=5):  # raises unless 2xx
                    break
            except OSError:
                time.sleep(0.2)
        else:
            raise RuntimeError("gunicorn did not start")
        yield base
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)


def new_user(label: str, **fields: Any) -> "User":
    """A new account; the "bench-" prefix lets a benchmark that keeps its database delete earlier runs' users."""
    from accounts.models import User

    return User.objects.create_user(f"bench-{label}-{uuid.uuid4().hex[:10]}@example.com", name="Bench", **fields)


def bearer(user: "User") -> str:
    """An Authorization header value made here rather than by signing in: the sign-in is not what is measured."""
    from rest_framework_simplejwt.tokens import RefreshToken

    return f"Bearer {RefreshToken.for_user(user).access_token}"


def api_client(user: "User") -> "APIClient":
    """A DRF test client signed in as `user`."""
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=bearer(user))
    return client


def timed_request(client: "APIClient", method: str, path: str, *, expect: int = 200,
                  **kwargs: Any) -> tuple[float, Any]:
    """Seconds one test-client request took, and its response; any other status than `expect` ends the run,
    since the time of a failed request says nothing about the endpoint."""
    started = time.perf_counter()
    response = getattr(client, method)(path, **kwargs)
    elapsed = time.perf_counter() - started
    if response.status_code != expect:
        raise SystemExit(f"{method.upper()} {path} answered {response.status_code}: {response.content[:300]!r}")
    return elapsed, response


def in_threads(count: int, work: Callable[[int], T]) -> tuple[list[T], float]:
    """work(0) … work(count - 1) in as many threads, released together; their results in that order, and the
    seconds from the release until the last one finished. A thread's exception is raised here."""
    results: list[Any] = [None] * count

    def run(index: int) -> None:
        from django.db import connection

        try:
            results[index] = work(index)
        finally:
            connection.close()  # the thread's own; the test client closes none, PostgreSQL would keep it open

    return results, _released_together(count, run)


def _released_together(count: int, run: Callable[[int], None], *, on_error: Callable[[], None] = lambda: None
                       ) -> float:
    """run(0) … run(count - 1) in as many threads, released at once; seconds from the release until the last
    finished. The first exception (SystemExit too: in a thread it would vanish silently) is raised here, and
    `on_error` is called as each one happens."""
    errors: list[BaseException] = []
    gate = threading.Barrier(count + 1)

    def guarded(index: int) -> None:
        try:
            gate.wait()
            run(index)
        except BaseException as error:
            on_error()
            errors.append(error)

    threads = [threading.Thread(target=guarded, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    gate.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if errors:
        raise errors[0]
    return elapsed


@dataclass(frozen=True)
class Latency:
    """A series of latencies in milliseconds."""

    n: int
    mean: float
    p50: float
    p95: float
    max: float

    @property
    def rps(self) -> float:
        """Requests per second of one client sending them back to back."""
        return 1000 / self.mean


def latency(seconds: Sequence[float]) -> Latency:
    ms = sorted(value * 1000 for value in seconds)
    # Nearest rank, so the p95 is a latency that was measured rather than one interpolated between two.
    p95 = ms[min(len(ms) - 1, max(0, round(0.95 * len(ms)) - 1))]
    return Latency(len(ms), statistics.fmean(ms), statistics.median(ms), p95, ms[-1])


@dataclass(frozen=True)
class Percentiles:
    """A target's p50 and p95 in milliseconds, each the median over the rounds of that round's figure."""

    p50: float
    p95: float


def interleaved(base_url: str, targets: dict[str, str], headers: dict[str, str], *, rounds: int,
                requests_per_round: int, clients: int = 1) -> dict[str, Percentiles]:
    """GETs every target path in turn through a running server, `rounds` times; per target name its `Percentiles`.

    `targets` maps a name to a path (the bare endpoint is one of them, so it is measured in the same server at
    the same moments as the others). In a round, each of `clients` threads, released together and each with its
    own `requests.Session` (idle connections dropped before each round: see `interleaved_requests`), sends
    `requests_per_round` sweeps of one request per target, one after the other; the threads start their sweeps
    at different targets so that concurrent requests mix the endpoints. A round's p50/p95 of a target are over
    all its requests of that round (clients x requests_per_round); the medians over rounds are what is
    returned. Any answer but 200 ends the run (SystemExit): the time of a failed request says nothing about the
    endpoint.
    """
    return interleaved_requests(base_url, {name: Call("GET", path) for name, path in targets.items()}, headers,
                                rounds=rounds, requests_per_round=requests_per_round, clients=clients)


def load_average() -> str:
    """The load average, to print before and after a measurement: a busy machine explains odd numbers."""
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} (1, 5, 15 min) on {os.cpu_count()} CPUs"


def _stop_process(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGCONT)  # a benchmark may have left it stopped (SIGSTOP)
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def start_redis() -> tuple[str, subprocess.Popen]:
    """A redis-server of this benchmark's own on a free port of 127.0.0.1, without persistence; its URL (db 0)
    and process, which is stopped when the benchmark exits. Waits until it answers PING."""
    port = free_port()
    server = subprocess.Popen([shutil.which("redis-server") or "redis-server", "--bind", "127.0.0.1", "--port",
                               str(port), "--save", "", "--appendonly", "no"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    atexit.register(_stop_process, server)
    for _ in range(100):
        if server.poll() is not None:
            raise RuntimeError(f"redis-server exited with status {server.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
                sock.sendall(b"PING\r\n")
                if sock.recv(16).startswith(b"+PONG"):
                    return f"redis://127.0.0.1:{port}/0", server
        except OSError:
            pass
        time.sleep(0.05)
    raise RuntimeError("redis-server did not start")


def temp_dir(prefix: str) -> str:
    """A temporary folder deleted when the benchmark exits (seeded audio adds up over runs)."""
    path = tempfile.mkdtemp(prefix=prefix)
    atexit.register(shutil.rmtree, path, ignore_errors=True)
    return path


def wav_clip(n: int) -> bytes:
    """0.05 s of an 8 kHz 16-bit mono tone, different for every n (~0.8 KB)."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        tone = 200 + n % 600
        out.writeframes(b"".join(struct.pack("<h", int(6000 * math.sin(2 * math.pi * tone * i / 8000)))
                                 for i in range(400)))
    return buffer.getvalue()


def longest_run(answers: Sequence[str]) -> int:
    """The longest series of "correct" answers: a saved session's max_streak, which the server checks."""
    best = run = 0
    for answer in answers:
        run = run + 1 if answer == "correct" else 0
        best = max(best, run)
    return best


# --- Seeding and measuring helpers shared by bench/learning_loop.py, learner_reads.py and server_modes.py ---

@contextmanager
def step(label: str) -> Iterator[None]:
    """Prints the label and the seconds the block took (one line of a seeding log)."""
    started = time.perf_counter()
    yield
    print(f"  {label:<64} {time.perf_counter() - started:6.1f} s", flush=True)


def copy_in(model: Any, objects: Iterator[Any] | Sequence[Any]) -> int:
    """Insert unsaved instances with one COPY (defaults and auto_now fields as Django would set them; serial ids
    left to the sequence). Model-level bulk_create takes minutes for these row counts; COPY takes seconds."""
    from django.db import connection
    from django.db.models.fields import AutoFieldMixin

    fields = [field for field in model._meta.concrete_fields if not isinstance(field, AutoFieldMixin)]
    columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
    count = 0
    connection.ensure_connection()
    with connection.connection.cursor() as cursor, \
            cursor.copy(f"COPY {connection.ops.quote_name(model._meta.db_table)} ({columns}) FROM STDIN") as copy:
        for obj in objects:
            copy.write_row([field.get_db_prep_save(field.pre_save(obj, True), connection) for field in fields])
            count += 1
    return count


def seed_sessions(learner: "User", speeches: Sequence[Any], *, sessions: int, results_per_session: int, now: Any,
                  rng: Any, spacing_hours: float = 4) -> int:
    """`sessions` finished sessions of `results_per_session` results each for `learner` (listen and repeat, 70 %
    correct, scored), the newest a few minutes before `now` and one every `spacing_hours` before it, with what
    rewards.services.record_session would have written for each (RewardedSession, the XP ledger), by COPY.
    `speeches` are Speech instances (id, level, type, text). Returns the XP earned in the current league week.
    The tables derived from these rows are `rebuild_learner`'s."""
    from datetime import timedelta

    from community import keys, rules
    from core.timezones import user_zone
    from game.models import GameMode, GameResult, GameSession, UserResponse
    from rewards import rules as reward_rules
    from rewards.inputs import SessionRewards
    from rewards.models import RewardedSession, XpEvent

    week = rules.week_start(now, keys.zone())
    zone = user_zone(learner)  # the days rewards count streaks by
    rows: dict[str, list[Any]] = {"sessions": [], "results": [], "rewarded": [], "events": []}
    total_xp = week_xp = 0
    for n in range(sessions):
        completed = (now - timedelta(minutes=5) - n * timedelta(hours=spacing_hours)
                     - timedelta(minutes=rng.randint(0, 60)))
        chosen = rng.sample(speeches, results_per_session)
        answers = rng.choices([UserResponse.CORRECT, UserResponse.INCORRECT, UserResponse.SKIPPED],
                              weights=[7, 2, 1], k=results_per_session)
        scores = [None if answer == UserResponse.SKIPPED else round(rng.uniform(35, 100), 1) for answer in answers]
        scored = [score for score in scores if score is not None]
        correct = answers.count(UserResponse.CORRECT)
        high_scores = sum(1 for score in scored if score >= reward_rules.HIGH_SCORE)
        amounts = reward_rules.session_xp(sentences=results_per_session, correct=correct, high_scores=high_scores)
        xp = sum(amounts.values())
        total_xp += xp
        if rules.week_start(completed, keys.zone()) == week:
            week_xp += xp
        answer = SessionRewards(xp_awarded=xp, xp_total=total_xp, level=reward_rules.level_for(total_xp)[0],
                                level_up=False, today_xp=xp, daily_goal=reward_rules.DAILY_GOAL_MIN,
                                daily_goal_reached=False, streak_days=1, freezes_used=0, freezes_left=0).as_dict()
        session = GameSession(
            id=uuid.uuid4(), user=learner, mode=GameMode.LISTEN_AND_REPEAT, level=chosen[0].level,
            sentence_type=chosen[0].type, selected_tags=[], total_sentences=results_per_session,
            correct_count=correct, max_streak=longest_run(answers),
            avg_pronunciation_score=round(statistics.fmean(scored), 1) if scored else None,
            duration_seconds=240, started_at=completed - timedelta(minutes=4), completed_at=completed,
            outcome={"rewards": answer, "lesson": None})
        rows["sessions"].append(session)
        rows["results"] += [
            GameResult(session_id=session.id, speech_id=speech.id, sequence_number=i, user_response=response,
                       pronunciation_score=score, recognized_text=None if score is None else speech.text,
                       response_time_ms=rng.randint(1500, 9000))
            for i, (speech, response, score) in enumerate(zip(chosen, answers, scores, strict=True), start=1)]
        day = completed.astimezone(zone).date()
        rows["rewarded"].append(RewardedSession(
            user=learner, session_id=session.id, completed_at=completed, local_day=day, level=session.level,
            sentences=results_per_session, correct=correct, high_scores=high_scores, rewards=answer))
        rows["events"] += [XpEvent(user=learner, amount=amount, reason=reason, session_id=session.id, local_day=day)
                           for reason, amount in amounts.items()]
    copy_in(GameSession, rows["sessions"])
    copy_in(GameResult, rows["results"])
    copy_in(RewardedSession, rows["rewarded"])
    copy_in(XpEvent, rows["events"])
    return week_xp


def rebuild_learner(learner: "User", *, now: Any, week_xp: int) -> dict[str, int]:
    """Every table derived from a history `seed_sessions` wrote, made to agree with it by the project's own
    services: reward stats (and the achievements they reach, awarded as record_session would have, with their XP
    in the ledger), progress totals, per-tag counts, FSRS review cards, and this league week's XP (a seat in a
    league, as the first save of the week takes). Needs the achievements catalogue seeded. Returns row counts."""
    from datetime import timedelta

    from django.db import transaction

    from community.services import add_weekly_xp
    from game.services.aggregates import rebuild_learner_aggregates
    from game.services.review import rebuild_review_cards
    from game.services.tag_stats import rebuild_tag_stats
    from rewards import rules as reward_rules
    from rewards.models import Achievement, AchievementAward, XpEvent
    from rewards.services import rebuild_stats

    counters = rebuild_stats(user=learner).counters
    reached = [achievement for achievement in Achievement.objects.filter(is_active=True)
               if reward_rules.achievement_value(kind=achievement.kind, level=achievement.level,
                                                 counters=counters) >= achievement.threshold]
    AchievementAward.objects.bulk_create([  # all seen but the last two
        AchievementAward(user=learner, achievement=achievement, awarded_at=now - timedelta(days=len(reached) - n),
                         seen_at=None if n >= len(reached) - 2 else now)
        for n, achievement in enumerate(reached)])
    XpEvent.objects.bulk_create([
        XpEvent(user=learner, amount=achievement.xp_reward, reason=reward_rules.ACHIEVEMENT, achievement=achievement,
                local_day=now.date()) for achievement in reached if achievement.xp_reward > 0])
    rebuild_stats(user=learner)  # the achievements' XP counted
    rebuild_learner_aggregates(user=learner)
    sizes = {"achievements": len(reached), "tag_stats": rebuild_tag_stats(user=learner),
             "review_cards": rebuild_review_cards(user=learner)}
    with transaction.atomic():
        add_weekly_xp(user=learner, xp=week_xp, at=now, now=now)
    return sizes


def session_body(speeches: Sequence[Any], rng: Any, *, results: int = 10) -> dict[str, Any]:
    """A valid POST /api/v1/game/sessions body (tests/game/payloads.py's shape): `results` random speeches of
    `speeches` (Speech instances), listen and repeat, mixed answers and scores, completed now."""
    from datetime import timedelta

    from django.utils import timezone

    chosen = rng.sample(speeches, results)
    answers = rng.choices(["correct", "incorrect", "skipped"], weights=[7, 2, 1], k=results)
    scores = [None if answer == "skipped" else round(rng.uniform(35, 100), 1) for answer in answers]
    scored = [score for score in scores if score is not None]
    completed = timezone.now()
    return {
        "mode": "listen_and_repeat", "level": chosen[0].level, "sentence_type": chosen[0].type, "selected_tags": [],
        "total_sentences": results, "correct_count": answers.count("correct"), "max_streak": longest_run(answers),
        "avg_pronunciation_score": round(statistics.fmean(scored), 1) if scored else None,
        "duration_seconds": 300, "started_at": (completed - timedelta(minutes=5)).isoformat(),
        "completed_at": completed.isoformat(),
        "results": [{"speech_id": str(speech.id), "sequence_number": i, "user_response": answer,
                     "pronunciation_score": score, "recognized_text": None if score is None else speech.text,
                     "response_time_ms": rng.randint(1500, 9000)}
                    for i, (speech, answer, score) in enumerate(zip(chosen, answers, scores, strict=True), start=1)],
    }


@dataclass(frozen=True)
class Call:
    """One request a benchmark client sends: method, path, JSON body (None: none), the status it must get, and
    headers of its own (over the client session's: a save as another learner than the reads, say)."""

    method: str
    path: str
    json: Any = None
    expect: int = 200
    headers: dict[str, str] | None = None


# A target: the same Call every time, or a function of the client's index that makes each request's Call (a fresh
# body, a random session).
Target = Call | Callable[[int], Call]


def _send(session: Any, base_url: str, target: Target, client: int) -> float:
    """Seconds one request took; any other status than the Call's ends the run (SystemExit)."""
    call = target(client) if callable(target) else target
    started = time.perf_counter()
    response = session.request(call.method, base_url + call.path, json=call.json, headers=call.headers, timeout=60)
    elapsed = time.perf_counter() - started
    if response.status_code != call.expect:
        raise SystemExit(f"{call.method.upper()} {call.path} answered {response.status_code}: "
                         f"{response.content[:300]!r}")
    return elapsed


def _client_sessions(headers: dict[str, str] | Sequence[dict[str, str]], clients: int) -> list[Any]:
    import requests

    per_client = [headers] * clients if isinstance(headers, dict) else list(headers)
    if len(per_client) < clients:
        raise ValueError(f"{len(per_client)} header sets for {clients} clients")
    sessions = [requests.Session() for _ in range(clients)]
    for session, own in zip(sessions, per_client, strict=False):
        session.headers.update(own)
    return sessions


def _fresh_connections(sessions: list[Any]) -> None:
    """Drops the sessions' kept-alive connections before clients are released again. Between rounds (or bursts)
    a client that finished early sits idle while the slowest finish; past gunicorn's keep-alive (2 s) the server
    closes the connection, and if it does so just as the client reuses it the request dies with "connection
    reset by peer" (the keep-alive race every HTTP client has). A new loopback connection costs a fraction of a
    millisecond, once per client per round."""
    for session in sessions:
        session.close()  # empties its connection pools; the session opens new connections when next used


def _run_clients(count: int, work: Callable[[int, threading.Event], None]) -> float:
    """work(index, failed) in `count` threads released together; seconds until the last finished. The first
    exception (SystemExit too) sets `failed`, so the others stop early, and is raised here."""
    failed = threading.Event()
    return _released_together(count, lambda index: work(index, failed), on_error=failed.set)


def interleaved_requests(base_url: str, targets: dict[str, Target], headers: dict[str, str] | Sequence[dict[str, str]],
                         *, rounds: int, requests_per_round: int, clients: int = 1) -> dict[str, Percentiles]:
    """`interleaved` for any method: each target is a `Call` (method, path, JSON body, expected status) or a
    function of the client's index making one per request; `headers` is one dict for every client or one per
    client (each client a different learner). Otherwise the same: `clients` threads, each with its own session,
    send `requests_per_round` sweeps of one request per target, starting at different targets; per target the
    median over the rounds of each round's p50 and p95 (ms). A status other than the Call's ends the run."""
    names = list(targets)
    sessions = _client_sessions(headers, clients)
    per_round: dict[str, list[Latency]] = {name: [] for name in names}
    try:
        for _ in range(rounds):
            for name, seconds in _requests_round(base_url, targets, sessions, requests_per_round).items():
                per_round[name].append(latency(seconds))
    finally:
        for session in sessions:
            session.close()
    return {name: Percentiles(p50=statistics.median(figures.p50 for figures in series),
                              p95=statistics.median(figures.p95 for figures in series))
            for name, series in per_round.items()}


def _requests_round(base_url: str, targets: dict[str, Target], sessions: list[Any],
                    sweeps: int) -> dict[str, list[float]]:
    """One round of `interleaved_requests`: one thread per session; the seconds of every request."""
    names = list(targets)
    samples: dict[str, list[float]] = {name: [] for name in names}
    lock = threading.Lock()

    def client(index: int, failed: threading.Event) -> None:
        order = names[index % len(names):] + names[:index % len(names)]
        mine: dict[str, list[float]] = {name: [] for name in names}
        try:
            for _ in range(sweeps):
                for name in order:
                    if failed.is_set():
                        return
                    mine[name].append(_send(sessions[index], base_url, targets[name], index))
        finally:
            with lock:
                for name, values in mine.items():
                    samples[name].extend(values)

    _fresh_connections(sessions)
    _run_clients(len(sessions), client)
    return samples


@dataclass(frozen=True)
class Throughput:
    """A target's requests per second with `clients` sending only it, and its p50/p95 (ms) meanwhile; each the
    median over the rounds."""

    rps: float
    p50: float
    p95: float


def bursts(base_url: str, targets: dict[str, Target], headers: dict[str, str] | Sequence[dict[str, str]], *,
           rounds: int, requests_per_client: int, clients: int) -> dict[str, Throughput]:
    """Throughput, target by target: in a burst every one of `clients` threads (each with its own session, kept
    across bursts) sends `requests_per_client` requests of one target back to back; its req/s is all those
    requests over the seconds from the release to the last answer. A round is one burst per target, the order
    rotated every round so that no target always follows the same one; per target the medians over the rounds
    of req/s, p50 and p95. A status other than the Call's ends the run."""
    names = list(targets)
    sessions = _client_sessions(headers, clients)
    per_round: dict[str, list[tuple[float, Latency]]] = {name: [] for name in names}
    try:
        for number in range(rounds):
            for name in names[number % len(names):] + names[:number % len(names)]:
                per_round[name].append(_burst(base_url, targets[name], sessions, requests_per_client))
    finally:
        for session in sessions:
            session.close()
    return {name: Throughput(rps=statistics.median(rps for rps, _ in series),
                             p50=statistics.median(figures.p50 for _, figures in series),
                             p95=statistics.median(figures.p95 for _, figures in series))
            for name, series in per_round.items()}


def _burst(base_url: str, target: Target, sessions: list[Any], count: int) -> tuple[float, Latency]:
    """One burst of `bursts`: every session sends `count` requests of `target`; req/s and the latencies."""
    samples: list[list[float]] = [[] for _ in sessions]

    def client(index: int, failed: threading.Event) -> None:
        for _ in range(count):
            if failed.is_set():
                return
            samples[index].append(_send(sessions[index], base_url, target, index))

    _fresh_connections(sessions)
    elapsed = _run_clients(len(sessions), client)
    seconds = [value for own in samples for value in own]
    return len(seconds) / elapsed, latency(seconds)


@contextmanager
def server(*argv: str, env: dict[str, str] | None = None, label: str | None = None) -> Iterator[str]:
    """Any HTTP server of the app (uvicorn, gunicorn with other flags, ...) on a free local port; yields its base
    URL once GET /health answers 2xx. Every "{port}" in `argv` becomes the port; a bare program name is looked
    up beside this Python first (the virtualenv's bin). It runs in the repository root with this environment
    plus `env`, in its own process group (stopping it stops its workers too)."""
    port = free_port()
    program = Path(sys.executable).parent / argv[0]
    command = [str(program) if program.exists() else argv[0], *(arg.replace("{port}", str(port)) for arg in argv[1:])]
    process = subprocess.Popen(command, cwd=ROOT, env={**os.environ, **(env or {})}, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    name = label or argv[0]
    try:
        for _ in range(150):
            if process.poll() is not None:
                raise RuntimeError(f"{name} exited with status {process.returncode}")
            try:
                with urllib.request.urlopen(f"{base}/health", timeout=5):  # raises unless 2xx
                    break
            except OSError:
                time.sleep(0.2)
        else:
            raise RuntimeError(f"{name} did not start")
        yield base
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)


if __name__ == "__main__":
    match sys.argv[1:]:
        case ["recreate-database", url]:
            prepare_database(url, fresh=True)
        case ["flush-redis", url]:
            import redis

            redis.Redis.from_url(url).flushdb()
        case ["free-port"]:
            print(free_port())
        case _:
            raise SystemExit("usage: harness.py recreate-database URL | flush-redis URL | free-port")
