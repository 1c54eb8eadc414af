"""Practice sets as the catalogue grows (issue 16): POST /api/v1/game/speeches/random against the bare endpoint
at 10k, 100k and 1M speeches, and the first burst after a content change at the largest size.

Targets (issue 16): practice >= 0.6 x bare at 10k and >= 0.5 x bare at 1M (throughput ratio = bare p50 /
practice p50); practice p95 at 1M <= 1.5 x its p95 at 10k; after a content change at 1M, 32 concurrent first
requests of one filter run one id-list build and their p95 stays within 2 x that of the same burst cached.

What it does:
  1. Recreates its own database (BENCH_DATABASE_URL, default
     postgres://postgres@127.0.0.1:5432/englishapp_bench_scale; BENCH_FRESH=0 keeps it) and runs a redis-server
     of its own on a free port, with bench.bare_settings (the project's settings plus GET /bench/bare,
     bench/bare_urls.py).
  2. For each size of BENCH_SIZES (default 10000,100000,1000000) grows the catalogue to it with the seed's own
     plan and services (content.seeding.seed_speeches: the demo tags, COPY in batches of 5 000, VACUUM ANALYZE;
     each size adds to the one before, so a full run seeds a million rows once), then serves it with a fresh
     gunicorn (2 workers x 4 threads, the image's way) and, for each client count of BENCH_CLIENTS (default
     1,8,32), sends the bare endpoint and the practice set interleaved: a warm-up round (not reported), then
     BENCH_ROUNDS (5) rounds of BENCH_REQUESTS (120) requests of each target. Every practice request has a
     filter drawn at random from BENCH_FILTERS (40) random filters (a level, a type, 1-3 of the 26 demo tags;
     limit 10), as one learner. Figures are the median over the rounds of each round's p50 and p95.
  3. At the largest size: BENCH_BURSTS (5) times, a content change (the generation bump every editor write
     makes), then 32 concurrent requests of one filter released together (p95, and how many id-list builds ran,
     counted from Redis MONITOR as the writes of that list), then the same burst again, cached.

Any failed request ends the run. Timings are printed, never asserted; the load average is printed beside them
(the machine may be shared). Run:  .venv/bin/python bench/practice_scale.py
(about 5-7 minutes on 2 CPUs, 4 of them seeding).
"""

import math
import os
import random
import statistics
import threading
import time
from collections.abc import Callable

import harness

DATABASE_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/englishapp_bench_scale")
SIZES = [int(size) for size in os.environ.get("BENCH_SIZES", "10000,100000,1000000").split(",")]
CLIENTS = [int(count) for count in os.environ.get("BENCH_CLIENTS", "1,8,32").split(",")]
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "5"))
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "120"))
FILTERS = int(os.environ.get("BENCH_FILTERS", "40"))
BURSTS = int(os.environ.get("BENCH_BURSTS", "5"))
BURST_CLIENTS = 32
LIMIT = 10
PRACTICE = "/api/v1/game/speeches/random"
BARE = "/bench/bare"

run_started = time.perf_counter()
# BENCH_FRESH=0 keeps the database of an earlier run (the seed only adds what a size lacks): for reruns.
harness.prepare_database(DATABASE_URL, fresh=os.environ.get("BENCH_FRESH", "1") != "0")
REDIS_URL, _redis = harness.start_redis()
harness.start_django(DATABASE_URL=DATABASE_URL, REDIS_URL=REDIS_URL, DJANGO_SETTINGS_MODULE="bench.bare_settings",
                     MEDIA_ROOT=harness.temp_dir("bench-scale-media-"), ALLOWED_HOSTS="127.0.0.1",
                     SEED_STAFF_PASSWORD="bench-editor-pass-1", SEED_LEARNER_PASSWORD="bench-learner-pass-1")

# Below: modules that need Django set up.
import redis  # noqa: E402
import requests  # noqa: E402
from django.core.cache import cache  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Exists, OuterRef  # noqa: E402

from content.cache import content_generation, practice_ids_key  # noqa: E402
from content.models import Level, SentenceType, Speech, SpeechTag, Tag  # noqa: E402
from content.seeding import seed_speeches, seed_tags  # noqa: E402
from content.services import invalidate_content_caches  # noqa: E402

Request = tuple[str, str, dict | None]


def make_filters(count: int) -> list[dict]:
    rng = random.Random(42)
    tag_ids = [str(tag_id) for tag_id in Tag.objects.order_by("name").values_list("id", flat=True)]
    return [{"level": rng.choice(Level.values), "type": rng.choice(SentenceType.values),
             "tags": rng.sample(tag_ids, rng.randint(1, 3)), "limit": LIMIT} for _ in range(count)]


def matches(body: dict) -> int:
    has_any_tag = Exists(SpeechTag.objects.filter(speech_id=OuterRef("pk"), tag_id__in=body["tags"]))
    return Speech.objects.active().filter(has_any_tag, level=body["level"], type=body["type"]).count()


def send(session: requests.Session, base: str, request: Request) -> float:
    method, path, body = request
    started = time.perf_counter()
    response = session.request(method, base + path, json=body, timeout=60)
    elapsed = time.perf_counter() - started
    if response.status_code != 200:
        raise SystemExit(f"{method} {path} answered {response.status_code}: {response.content[:300]!r}")
    if path == PRACTICE:
        ids = [item["id"] for item in response.json()["speeches"]]
        if len(ids) != len(set(ids)) or not ids:
            raise SystemExit(f"{path} answered {len(ids)} items, {len(set(ids))} distinct")
    return elapsed


def interleaved(base: str, targets: dict[str, Callable[[random.Random], Request]], headers: dict[str, str], *,
                rounds: int, requests_per_round: int, clients: int) -> dict[str, harness.Percentiles]:
    """harness.interleaved's rule for (method, path, json) requests a target draws per request: per round, each
    of `clients` threads (own session, kept across rounds) sends `requests_per_round` sweeps of one request per
    target, starting at different targets; per target the median over rounds of each round's p50 and p95."""
    names = list(targets)
    sessions = [requests.Session() for _ in range(clients)]
    for session in sessions:
        session.headers.update(headers)
    per_round: dict[str, list[harness.Latency]] = {name: [] for name in names}
    try:
        for round_number in range(rounds):
            samples: dict[str, list[float]] = {name: [] for name in names}
            lock = threading.Lock()

            def client(index: int, round_number: int = round_number, samples: dict = samples,
                       lock: threading.Lock = lock) -> None:
                rng = random.Random(f"{clients}:{round_number}:{index}")
                order = names[index % len(names):] + names[:index % len(names)]
                mine: dict[str, list[float]] = {name: [] for name in names}
                for _ in range(requests_per_round):
                    for name in order:
                        mine[name].append(send(sessions[index], base, targets[name](rng)))
                with lock:
                    for name, values in mine.items():
                        samples[name].extend(values)

            harness.in_threads(clients, client)
            for name, seconds in samples.items():
                per_round[name].append(harness.latency(seconds))
    finally:
        for session in sessions:
            session.close()
    return {name: harness.Percentiles(p50=statistics.median(f.p50 for f in series),
                                      p95=statistics.median(f.p95 for f in series))
            for name, series in per_round.items()}


class BuildCounter:
    """Counts, with Redis MONITOR, the writes of one id list: each build of it ends with one."""

    def __init__(self, list_key: str):
        self.name = cache.make_key(list_key)
        self.claim = cache.make_key(f"{list_key}:build")
        self.count = 0
        self.claimed_at: float | None = None
        self.stored_at: float | None = None
        self._monitor_client = redis.Redis.from_url(REDIS_URL)
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def _watch(self) -> None:
        with self._monitor_client.monitor() as monitor:
            self._ready.set()
            for command in monitor.listen():
                words = command["command"].split(" ", 2)
                if words[0] == "ECHO" and words[1:] == ["bench-monitor-stop"]:
                    return
                if words[0] == "SET" and len(words) > 1 and words[1] == self.claim and self.claimed_at is None:
                    self.claimed_at = command["time"]
                if words[0] == "SET" and len(words) > 1 and words[1] == self.name:
                    self.count += 1
                    self.stored_at = self.stored_at or command["time"]

    @property
    def build_ms(self) -> float:
        """From the first claim of the build to the list's first write (Redis's clock)."""
        if self.claimed_at is None or self.stored_at is None:
            return math.nan
        return (self.stored_at - self.claimed_at) * 1000

    def __enter__(self) -> "BuildCounter":
        self._thread.start()
        self._ready.wait(10)
        time.sleep(0.05)
        return self

    def __exit__(self, *exc) -> None:
        time.sleep(0.2)  # MONITOR lags a little behind the commands
        redis.Redis.from_url(REDIS_URL).echo("bench-monitor-stop")
        self._thread.join(10)
        self._monitor_client.close()


def burst(base: str, headers: dict[str, str], body: dict) -> harness.Latency:
    sessions = [requests.Session() for _ in range(BURST_CLIENTS)]
    for session in sessions:
        session.headers.update(headers)
        send(session, base, ("GET", BARE, None))  # connected before the release
    try:
        seconds, _ = harness.in_threads(BURST_CLIENTS, lambda i: send(sessions[i], base, ("POST", PRACTICE, body)))
    finally:
        for session in sessions:
            session.close()
    return harness.latency(seconds)


def bursts(base: str, headers: dict[str, str],
           filters: list[dict]) -> list[tuple[dict, harness.Latency, int, float, harness.Latency]]:
    rows = []
    rng = random.Random(5)
    for body in rng.sample(filters, BURSTS):
        invalidate_content_caches()  # what every editor write does: every list and item is invalidated
        key = practice_ids_key(level=body["level"], type=body["type"], tag_ids=body["tags"],
                               generation=content_generation())
        with BuildCounter(key) as builds:
            first = burst(base, headers, body)
        cached = burst(base, headers, body)
        rows.append((body, first, builds.count, builds.build_ms, cached))
    return rows


def measure(size: int, headers: dict[str, str], filters: list[dict]) -> tuple[dict, list | None]:
    figures: dict[int, dict[str, harness.Percentiles]] = {}
    targets = {"bare": lambda rng: ("GET", BARE, None),
               "practice": lambda rng: ("POST", PRACTICE, rng.choice(filters))}
    burst_rows = None
    with harness.gunicorn("--workers", "2", "--threads", "4") as base:
        print(f"  gunicorn 2 workers x 4 threads; before: {harness.load_average()}", flush=True)
        for clients in CLIENTS:
            per_client = math.ceil(REQUESTS / clients)
            started = time.perf_counter()
            interleaved(base, targets, headers, rounds=1, requests_per_round=per_client, clients=clients)
            figures[clients] = interleaved(base, targets, headers, rounds=ROUNDS, requests_per_round=per_client,
                                           clients=clients)
            print(f"  {clients:>2} client(s): warm-up + {ROUNDS} rounds x {per_client * clients} requests per target "
                  f"in {time.perf_counter() - started:.0f} s", flush=True)
        if size == SIZES[-1] and BURSTS:
            burst_rows = bursts(base, headers, filters)
        print(f"  after: {harness.load_average()}", flush=True)
    return figures, burst_rows


def main() -> None:
    version = connection.cursor().connection.info.server_version
    print(f"database {connection.settings_dict['NAME']} on PostgreSQL {version}, own Redis at {REDIS_URL}; "
          f"{harness.load_average()}")
    print(f"{FILTERS} random filters (limit {LIMIT}), one learner, rate limits off; {ROUNDS} rounds x {REQUESTS} "
          f"requests per target per client count\n", flush=True)
    seed_tags()
    learner = harness.new_user("scale")
    headers = {"Authorization": harness.bearer(learner)}
    filters = make_filters(FILTERS)
    results = {}
    burst_rows = None
    for size in SIZES:
        started = time.perf_counter()
        seed_speeches(total=size)
        seeded = time.perf_counter() - started
        counts = sorted(matches(body) for body in filters)
        print(f"{size:,} speeches (grown in {seeded:.0f} s); matches per filter: min {counts[0]:,}, median "
              f"{statistics.median(counts):,.0f}, max {counts[-1]:,}", flush=True)
        results[size], rows = measure(size, headers, filters)
        burst_rows = rows or burst_rows

    print(f"\n{'speeches':>9} {'clients':>7}  {'bare p50':>8} {'bare p95':>8}  {'prac p50':>8} {'prac p95':>8}"
          f"  {'thru ratio':>10}  {'goal':>6}  {'p95 vs smallest':>15}")
    smallest = SIZES[0]
    for size, figures in results.items():
        goal = 0.6 if size <= 10_000 else 0.5
        for clients, targets in figures.items():
            bare, practice = targets["bare"], targets["practice"]
            ratio = bare.p50 / practice.p50
            growth = practice.p95 / results[smallest][clients]["practice"].p95
            growth_note = f"{growth:.2f}" + (" (<= 1.5)" if size == SIZES[-1] and size != smallest else "")
            print(f"{size:>9,} {clients:>7}  {bare.p50:>8.2f} {bare.p95:>8.2f}  {practice.p50:>8.2f} "
                  f"{practice.p95:>8.2f}  {ratio:>10.2f}  {'>=' + format(goal, 'g'):>6} "
                  f"{'yes' if ratio >= goal else 'NO':>3}  {growth_note:>15}")
    if burst_rows:
        print(f"\nFirst requests after a content change at {SIZES[-1]:,} speeches: {BURST_CLIENTS} concurrent "
              f"requests of one filter, then the same burst cached (ms)")
        print(f"{'matches':>8}  {'first p50':>9} {'first p95':>9} {'builds':>6} {'build ms':>8}  {'cached p50':>10} "
              f"{'cached p95':>10}  {'p95 ratio':>9}")
        for body, first, builds, build_ms, cached in burst_rows:
            print(f"{matches(body):>8,}  {first.p50:>9.1f} {first.p95:>9.1f} {builds:>6} {build_ms:>8.1f}  "
                  f"{cached.p50:>10.1f} {cached.p95:>10.1f}  {first.p95 / cached.p95:>9.2f}")
        ratios = [first.p95 / cached.p95 for _, first, _, _, cached in burst_rows]
        print(f"median p95 ratio {statistics.median(ratios):.2f} (goal <= 2); builds per burst: "
              f"{[row[2] for row in burst_rows]} (goal: 1 each); build ms = from the build's claim to the list's "
              f"write, Redis's clock")
    print(f"\nWhole run: {time.perf_counter() - run_started:.0f} s; {harness.load_average()}")


if __name__ == "__main__":
    main()
