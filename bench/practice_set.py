"""Benchmark of POST /api/v1/game/speeches/random on PostgreSQL + Redis, against ORDER BY RANDOM().

For each catalogue size in BENCH_SIZES (default 100 000 and 1 000 000 speeches) it prints
requests per second and p50/p95 latency of

  * the real endpoint: matching ids cached per filter (Redis + per process), sampled in memory, only the
    chosen rows (and their tags) loaded;
  * the same request answered by a plain `ORDER BY RANDOM() LIMIT n` over the same filter
    (level AND type AND EXISTS any tag), mounted at a bench-only URL with the same
    authentication, serializer and signed URLs;

plus the endpoint's cache-miss latency (first request of a filter after an editor change).
Requests go one at a time through Django's test client (no HTTP server), each with a
random level, type and 1-3 random tags from a fixed pool of filters, limit 10; the two
implementations alternate request by request, and req/s is 1 / mean latency.

It drops and recreates its own database (BENCH_DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/englishapp_bench), fills it with `manage.py seed
--speeches N` (audio under a temporary MEDIA_ROOT, deleted at the end) and uses Redis
BENCH_REDIS_URL (default redis://127.0.0.1:6379/2, key prefix "bench-practice").
Rate limits are off. Run:  .venv/bin/python bench/practice_set.py
"""

import os
import random
import statistics
import time

import harness

DATABASE_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/englishapp_bench")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/2")
SIZES = [int(size) for size in os.environ.get("BENCH_SIZES", "100000,1000000").split(",")]
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "400"))
BASELINE_REQUESTS = int(os.environ.get("BENCH_BASELINE_REQUESTS", "200"))
FILTERS = int(os.environ.get("BENCH_FILTERS", "40"))
LIMIT = 10

harness.prepare_database(DATABASE_URL, fresh=True)
harness.start_django(
    DATABASE_URL=DATABASE_URL, REDIS_URL=REDIS_URL, CACHE_KEY_PREFIX="bench-practice",
    MEDIA_ROOT=harness.temp_dir("bench-practice-media-"),
    SEED_STAFF_PASSWORD="bench-editor-pass-1", SEED_LEARNER_PASSWORD="bench-learner-pass-1",
)

# Below: modules that need Django set up.
from django.conf import settings  # noqa: E402
from django.core.cache import cache  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Exists, OuterRef, Prefetch  # noqa: E402
from django.urls import clear_url_caches, include, path  # noqa: E402
from rest_framework.response import Response  # noqa: E402
from rest_framework.test import APIClient  # noqa: E402

from accounts.models import User  # noqa: E402
from content.apis import PracticeSetApi  # noqa: E402
from content.models import Level, SentenceType, Speech, SpeechTag, Tag  # noqa: E402
from content.serializers import PracticeSetRequestSerializer, SpeechItemSerializer  # noqa: E402
from content.services import invalidate_content_caches  # noqa: E402


class OrderByRandomPracticeSetApi(PracticeSetApi):
    """The naive implementation: the database sorts every match randomly on every request."""

    def post(self, request):
        query = PracticeSetRequestSerializer(data=request.data)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        has_any_tag = Exists(SpeechTag.objects.filter(speech_id=OuterRef("pk"), tag_id__in=data["tags"]))
        speeches = (Speech.objects.active().filter(has_any_tag, level=data["level"], type=data["type"])
                    .order_by("?")[:data["limit"]]
                    .prefetch_related(Prefetch("tags", queryset=Tag.objects.only("id", "name"))))
        return Response({"speeches": SpeechItemSerializer(speeches, many=True, context={"request": request}).data})


urlpatterns = [
    path("bench/order-by-random", OrderByRandomPracticeSetApi.as_view()),
    path("", include("config.urls")),
]
REAL_URL = "/api/v1/game/speeches/random"
BASELINE_URL = "/bench/order-by-random"


def make_filters(count: int) -> list[dict]:
    rng = random.Random(42)
    tag_ids = [str(tag_id) for tag_id in Tag.objects.order_by("name").values_list("id", flat=True)]
    return [{"level": rng.choice(Level.values), "type": rng.choice(SentenceType.values),
             "tags": rng.sample(tag_ids, rng.randint(1, 3)), "limit": LIMIT} for _ in range(count)]


def timed_post(client: APIClient, url: str, body: dict) -> float:
    elapsed, response = harness.timed_request(client, "post", url, data=body, format="json")
    speeches = response.json()["speeches"]
    if len({s["id"] for s in speeches}) != len(speeches):
        raise SystemExit(f"{url} returned duplicates")
    return elapsed


def run_both(client: APIClient, filters: list[dict]) -> tuple[harness.Latency, harness.Latency]:
    """Both endpoints, requests interleaved, so load from anything else on the machine hits both alike."""
    rng = random.Random(7)
    for body in filters:  # warm: caches filled, buffers hot, connections open
        timed_post(client, REAL_URL, body)
        timed_post(client, BASELINE_URL, body)
    real, baseline = [], []
    for n in range(max(REQUESTS, BASELINE_REQUESTS)):
        body = rng.choice(filters)
        if n < REQUESTS:
            real.append(timed_post(client, REAL_URL, body))
        if n < BASELINE_REQUESTS:
            baseline.append(timed_post(client, BASELINE_URL, body))
    return harness.latency(real), harness.latency(baseline)


def matches(body: dict) -> int:
    has_any_tag = Exists(SpeechTag.objects.filter(speech_id=OuterRef("pk"), tag_id__in=body["tags"]))
    return Speech.objects.active().filter(has_any_tag, level=body["level"], type=body["type"]).count()


def main() -> None:
    settings.ROOT_URLCONF = __name__
    clear_url_caches()
    print(f"PostgreSQL {connection.pg_version // 10000}, Redis {REDIS_URL}, {REQUESTS} requests per run "
          f"({BASELINE_REQUESTS} for ORDER BY RANDOM()), {FILTERS} filters, limit {LIMIT}, one client\n")
    rows = []
    for size in SIZES:
        started = time.perf_counter()
        with open(os.devnull, "w") as quiet:
            call_command("seed", speeches=size, verbosity=0, stdout=quiet)
        seeded = time.perf_counter() - started
        cache.clear()
        client = harness.api_client(User.objects.filter(is_staff=False).first())
        filters = make_filters(FILTERS)
        match_counts = [matches(body) for body in filters]

        invalidate_content_caches()
        misses = harness.latency([timed_post(client, REAL_URL, body) for body in filters])
        real, baseline = run_both(client, filters)
        rows.append((size, real, misses, baseline))
        print(f"{size:>9,} speeches: seeded in {seeded:.0f} s; matches per filter: median "
              f"{statistics.median(match_counts):,.0f}, max {max(match_counts):,}")
        print(f"    cached sampling  {real.rps:7.1f} req/s   p50 {real.p50:7.1f} ms   "
              f"p95 {real.p95:7.1f} ms   max {real.max:7.1f} ms")
        print(f"    cache miss       {'':13}   p50 {misses.p50:7.1f} ms   p95 {misses.p95:7.1f} ms   "
              f"max {misses.max:7.1f} ms   (first request per filter after a change)")
        print(f"    ORDER BY RANDOM  {baseline.rps:7.1f} req/s   p50 {baseline.p50:7.1f} ms   "
              f"p95 {baseline.p95:7.1f} ms   max {baseline.max:7.1f} ms\n", flush=True)

    print("| speeches | endpoint | req/s | p50 ms | p95 ms |")
    print("|---:|---|---:|---:|---:|")
    for size, real, misses, baseline in rows:
        print(f"| {size:,} | cached sampling | {real.rps:.1f} | {real.p50:.1f} | {real.p95:.1f} |")
        print(f"| {size:,} | cache miss (first per filter) | - | {misses.p50:.1f} | {misses.p95:.1f} |")
        print(f"| {size:,} | ORDER BY RANDOM() | {baseline.rps:.1f} | {baseline.p50:.1f} | {baseline.p95:.1f} |")


if __name__ == "__main__":
    main()
