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
    errors: list[BaseException] = []
    gate = threading.Barrier(count + 1)

    def run(index: int) -> None:
        from django.db import connection

        gate.wait()
        try:
            results[index] = work(index)
        except BaseException as error:  # SystemExit too: in a thread it would vanish silently
            errors.append(error)
        finally:
            connection.close()  # the thread's own; the test client closes none, PostgreSQL would keep it open

    threads = [threading.Thread(target=run, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    gate.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if errors:
        raise errors[0]
    return results, elapsed


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
    own `requests.Session` (kept across rounds, so connections are reused), sends `requests_per_round` sweeps of
    one request per target, one after the other; the threads start their sweeps at different targets so that
    concurrent requests mix the endpoints. A round's p50/p95 of a target are over all its requests of that round
    (clients x requests_per_round); the medians over rounds are what is returned. Any answer but 200 ends the
    run (SystemExit): the time of a failed request says nothing about the endpoint.
    """
    import requests

    sessions = [requests.Session() for _ in range(clients)]
    for session in sessions:
        session.headers.update(headers)
    per_round: dict[str, list[Latency]] = {name: [] for name in targets}
    try:
        for _ in range(rounds):
            for name, seconds in _interleaved_round(base_url, targets, sessions, requests_per_round).items():
                per_round[name].append(latency(seconds))
    finally:
        for session in sessions:
            session.close()
    return {name: Percentiles(p50=statistics.median(figures.p50 for figures in series),
                              p95=statistics.median(figures.p95 for figures in series))
            for name, series in per_round.items()}


def _interleaved_round(base_url: str, targets: dict[str, str], sessions: list[Any],
                       sweeps: int) -> dict[str, list[float]]:
    """One round of `interleaved`: one thread per session, released together; the seconds of every request."""
    names = list(targets)
    samples: dict[str, list[float]] = {name: [] for name in names}
    lock = threading.Lock()
    failed = threading.Event()
    errors: list[BaseException] = []
    gate = threading.Barrier(len(sessions))

    def client(index: int) -> None:
        order = names[index % len(names):] + names[:index % len(names)]
        mine: dict[str, list[float]] = {name: [] for name in names}
        try:
            gate.wait()
            for _ in range(sweeps):
                for name in order:
                    if failed.is_set():
                        return
                    started = time.perf_counter()
                    response = sessions[index].get(base_url + targets[name], timeout=60)
                    elapsed = time.perf_counter() - started
                    if response.status_code != 200:
                        raise SystemExit(f"GET {targets[name]} answered {response.status_code}: "
                                         f"{response.content[:300]!r}")
                    mine[name].append(elapsed)
        except BaseException as error:  # SystemExit too: in a thread it would vanish silently
            failed.set()
            errors.append(error)
        finally:
            with lock:
                for name, values in mine.items():
                    samples[name].extend(values)

    threads = [threading.Thread(target=client, args=(index,)) for index in range(len(sessions))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return samples


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
