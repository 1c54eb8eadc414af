"""Issue 16: the learner's reads and the session save, against the bare endpoint, for short and long histories.

Targets (issue 16), each at every client count of BENCH_CLIENTS (default "1,8,32"):
  * GET /api/v1/users/me/progress and POST /api/v1/game/speeches/review ({"limit": 10}) for learners with 10,
    1 000 and 10 000 sessions: p95 <= 2 x the bare endpoint's, and the same whatever the history's size;
  * GET /api/v1/game/sessions/{id} (a random session of the learner each request): p95 <= 2 x bare;
  * GET /api/v1/game/sessions (history, page 1) and GET /api/v1/home: reported beside them;
  * POST /api/v1/game/sessions (10 results, each client a different learner): bare p50 / save p50 >= 0.6 and
    at least 100 saves/s.

What it does:
  1. Recreates its own database (BENCH_DATABASE_URL, default
     postgres://postgres@127.0.0.1:5432/englishapp_bench_reads) and runs a redis-server of its own, with the
     settings bench.bare_settings (the project's plus GET /bench/bare, bench/bare_urls.py: authenticated, no
     query, the endpoint every ratio divides by).
  2. Seeds, with COPY (harness.seed_sessions): the demo content (2 000 speeches, the achievements catalogue,
     the demo course); three learners with 10, 1 000 and 10 000 sessions of 10 results (one every 4 hours back
     from now) and the rows rewards counts them from; then every derived table by the project's own rebuild
     services (harness.rebuild_learner: reward stats and achievements, progress totals, per-tag counts, FSRS
     review cards, this week's league XP); and one learner per save client, without history.
  3. Serves it with gunicorn, 2 workers x 4 threads (the image's way). Reads: for each client count and each
     learner, bare, progress, review, detail, history and home interleaved (harness.interleaved_requests), a
     warm-up round and then BENCH_ROUNDS (5) rounds of BENCH_REQUESTS (100) requests per target; figures are
     medians over the rounds. Saves: with N clients, each its own learner, (a) the save interleaved with bare
     the same way (p50/p95, ratio), and (b) throughput, harness.bursts: all N clients send only saves, then only
     bare, alternately, BENCH_ROUNDS times; saves/s and bare req/s are the medians.
  4. Prints the tables, with the load average before and after.

Any failed request ends it with a non-zero status. Timings are printed, never asserted.
Run:  .venv/bin/python bench/learner_reads.py   (or make bench-learner-reads); about 10 minutes on 2 CPUs.
"""

import os
import random
import time

import harness
from harness import Call, step

DATABASE_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/englishapp_bench_reads")
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "5"))
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "100"))
CLIENTS = harness.client_counts("1,8,32")
HISTORIES = [10, 1_000, 10_000]  # sessions of each measured learner
SPEECHES = 2000
RESULTS_PER_SESSION = 10
DETAIL_SAMPLE = 1000  # the sessions the detail target picks from at random
GOAL_P95 = 2.0  # reads: p95 <= 2 x bare
GOAL_SAVE_RATIO = 0.6  # saves: bare p50 / save p50 (and saves/s / bare req/s) >= 0.6
GOAL_SAVES_PER_SECOND = 100
READ_GOALS = {"progress": GOAL_P95, "review": GOAL_P95, "detail": GOAL_P95}  # history and home: reported only

run_started = time.perf_counter()
harness.prepare_database(DATABASE_URL, fresh=True)
REDIS_URL, _redis = harness.start_redis()
harness.start_django(DATABASE_URL=DATABASE_URL, REDIS_URL=REDIS_URL, DJANGO_SETTINGS_MODULE="bench.bare_settings",
                     MEDIA_ROOT=harness.temp_dir("bench-reads-media-"), ALLOWED_HOSTS="127.0.0.1",
                     SEED_STAFF_PASSWORD="bench-editor-pass-1", SEED_LEARNER_PASSWORD="bench-learner-pass-1")

# Below: modules that need Django set up.
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import User  # noqa: E402
from content.models import Speech  # noqa: E402
from content.seeding import seed as seed_content  # noqa: E402
from game.models import GameResult, GameSession  # noqa: E402
from game.seeding import seed_achievements, seed_course  # noqa: E402


def seed(now) -> tuple[dict[int, User], list[User], list[Speech]]:
    """The measured learners by history size, the save learners, and the speeches."""
    rng = random.Random(16)
    print("Seeding:")
    with step(f"demo content: {SPEECHES:,} speeches with audio, achievements, a course"):
        seed_content(speeches=SPEECHES)
        seed_achievements()
        seed_course()
    speeches = list(Speech.objects.only("id", "level", "type", "text"))
    learners = {}
    for sessions in HISTORIES:
        learner = learners[sessions] = harness.new_user(f"history-{sessions}")
        with step(f"{sessions:,} sessions x {RESULTS_PER_SESSION} results, rewarded sessions, XP ledger"):
            week_xp = harness.seed_sessions(learner, speeches, sessions=sessions,
                                            results_per_session=RESULTS_PER_SESSION, now=now, rng=rng)
        with step(f"rebuild the derived tables of the {sessions:,}-session learner"):
            sizes = harness.rebuild_learner(learner, now=now, week_xp=week_xp)
        print(f"    {sizes['review_cards']:,} review cards, {sizes['tag_stats']} tag counts, "
              f"{sizes['achievements']} achievements, {week_xp} XP this week", flush=True)
    savers = [harness.new_user(f"saver-{n}") for n in range(max(CLIENTS))]
    with step("VACUUM ANALYZE"), connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    for sessions, learner in learners.items():
        stored = GameSession.objects.filter(user=learner).count()
        results = GameResult.objects.filter(session__user=learner).count()
        assert (stored, results) == (sessions, sessions * RESULTS_PER_SESSION), (stored, results)
    return learners, savers, speeches


def read_targets(learner: User, clients: int) -> dict[str, harness.Target]:
    ids = [str(pk) for pk in GameSession.objects.filter(user=learner).order_by("-completed_at")
           .values_list("id", flat=True)[:DETAIL_SAMPLE]]
    rngs = [random.Random(n) for n in range(clients)]
    return {
        "bare": Call("get", "/bench/bare"),
        "progress": Call("get", "/api/v1/users/me/progress"),
        "review": Call("post", "/api/v1/game/speeches/review", json={"limit": 10}),
        "detail": lambda client: Call("get", f"/api/v1/game/sessions/{rngs[client].choice(ids)}"),
        "history": Call("get", "/api/v1/game/sessions"),
        "home": Call("get", "/api/v1/home"),
    }


def save_targets(speeches: list[Speech], clients: int) -> dict[str, harness.Target]:
    rngs = [random.Random(1000 + n) for n in range(clients)]
    return {
        "bare": Call("get", "/bench/bare"),
        "save": lambda client: Call("post", "/api/v1/game/sessions", expect=201,
                                    json=harness.session_body(speeches, rngs[client],
                                                              results=RESULTS_PER_SESSION)),
    }


def measure(learners: dict[int, User], savers: list[User], speeches: list[Speech]):
    reads: dict[int, dict[int, dict[str, harness.Percentiles]]] = {}
    saves: dict[int, tuple[dict[str, harness.Percentiles], dict[str, harness.Throughput]]] = {}
    with harness.gunicorn("--workers", "2", "--threads", "4") as base:
        print(f"\nMeasuring through gunicorn (2 workers x 4 threads); before: {harness.load_average()}", flush=True)
        for clients in CLIENTS:
            per_client = -(-REQUESTS // clients)  # rounded up: every client sends as many
            reads[clients] = {}
            for sessions, learner in learners.items():
                started = time.perf_counter()
                targets = read_targets(learner, clients)
                headers = {"Authorization": harness.bearer(learner)}
                harness.interleaved_requests(base, targets, headers, rounds=1, requests_per_round=per_client,
                                             clients=clients)
                reads[clients][sessions] = harness.interleaved_requests(
                    base, targets, headers, rounds=ROUNDS, requests_per_round=per_client, clients=clients)
                print(f"  reads, {clients} client(s), {sessions:,}-session learner: warm-up + {ROUNDS} rounds x "
                      f"{per_client * clients} requests per target in {time.perf_counter() - started:.0f} s",
                      flush=True)
            started = time.perf_counter()
            targets = save_targets(speeches, clients)
            headers = [{"Authorization": harness.bearer(saver)} for saver in savers[:clients]]
            harness.interleaved_requests(base, targets, headers, rounds=1, requests_per_round=per_client,
                                         clients=clients)
            mixed = harness.interleaved_requests(base, targets, headers, rounds=ROUNDS, requests_per_round=per_client,
                                                 clients=clients)
            alone = harness.bursts(base, targets, headers, rounds=ROUNDS, requests_per_client=per_client,
                                   clients=clients)
            saves[clients] = (mixed, alone)
            print(f"  saves, {clients} client(s): warm-up + {ROUNDS} interleaved rounds + {ROUNDS} rounds of bursts, "
                  f"{per_client * clients} requests per target each, in {time.perf_counter() - started:.0f} s",
                  flush=True)
        print(f"after: {harness.load_average()}", flush=True)
    return reads, saves


def report_reads(reads: dict[int, dict[int, dict[str, harness.Percentiles]]]) -> None:
    print(f"\nReads (interleaved with bare; ms; goal: p95 <= {GOAL_P95:g} x bare for progress, review, detail)")
    print(f"{'clients':>7} {'sessions':>8}  {'target':<9} {'p50':>8} {'p95':>8} {'p50/bare':>9} {'p95/bare':>9}  goal")
    for clients, by_learner in reads.items():
        for sessions, targets in by_learner.items():
            bare = targets["bare"]
            for name, value in targets.items():
                goal = READ_GOALS.get(name)
                verdict = "" if goal is None else ("yes" if value.p95 <= goal * bare.p95 else "NO")
                print(f"{clients:>7} {sessions:>8,}  {name:<9} {value.p50:>8.2f} {value.p95:>8.2f} "
                      f"{value.p50 / bare.p50:>9.2f} {value.p95 / bare.p95:>9.2f}  {verdict}")
    print("\nHistory size: each target's ratio to bare per learner, and growth = the 10 000-session learner's ratio "
          "over the 10-session one's (1.00: independent of history)")
    sizes = "".join(f"{f'{s:,}':>8}" for s in HISTORIES)
    print(f"{'clients':>7}  {'target':<9} {'p50/bare':>8}{sizes} {'growth':>7}   {'p95/bare':>8}{sizes} {'growth':>7}")
    names = [name for name in next(iter(next(iter(reads.values())).values())) if name != "bare"]
    for clients, by_learner in reads.items():
        for name in names:
            columns = []
            for pick in (lambda value: value.p50, lambda value: value.p95):
                ratios = [pick(by_learner[s][name]) / pick(by_learner[s]["bare"]) for s in HISTORIES]
                columns.append(f"{'':>8}" + "".join(f"{r:>8.2f}" for r in ratios) + f" {ratios[-1] / ratios[0]:>7.2f}")
            print(f"{clients:>7}  {name:<9} " + "   ".join(columns))


def report_saves(saves) -> None:
    print(f"\nSession save, 10 results, each client its own learner (goal: bare p50 / save p50 >= {GOAL_SAVE_RATIO:g}; "
          f">= {GOAL_SAVES_PER_SECOND} saves/s)")
    print(f"{'clients':>7}  {'save p50':>8} {'save p95':>8} {'bare p50':>8} {'bare p95':>8} {'bare/save':>9}  "
          f"{'saves/s':>8} {'bare/s':>8} {'ratio':>6}  {'p50 alone':>9} {'p95 alone':>9}  goals")
    for clients, (mixed, alone) in saves.items():
        save, bare = mixed["save"], mixed["bare"]
        ratio, rate_ratio = bare.p50 / save.p50, alone["save"].rps / alone["bare"].rps
        verdict = "/".join("yes" if ok else "NO" for ok in (ratio >= GOAL_SAVE_RATIO,
                                                             alone["save"].rps >= GOAL_SAVES_PER_SECOND))
        print(f"{clients:>7}  {save.p50:>8.2f} {save.p95:>8.2f} {bare.p50:>8.2f} {bare.p95:>8.2f} {ratio:>9.2f}  "
              f"{alone['save'].rps:>8.1f} {alone['bare'].rps:>8.1f} {rate_ratio:>6.2f}  "
              f"{alone['save'].p50:>9.2f} {alone['save'].p95:>9.2f}  {verdict}")
    print("  (bare/save: p50s of the interleaved run; saves/s, bare/s, ratio, p50/p95 alone: bursts of only one "
          "target, medians over the rounds; goals: ratio / saves/s)")


def main() -> None:
    now = timezone.now()
    version = connection.cursor().connection.info.server_version
    print(f"database {connection.settings_dict['NAME']} on PostgreSQL {version}, own Redis at {REDIS_URL}; "
          f"{harness.load_average()}")
    learners, savers, speeches = seed(now)
    print(f"\nSeeded: {User.objects.count():,} users, {len(speeches):,} speeches, "
          f"{GameSession.objects.count():,} sessions, {GameResult.objects.count():,} results.")
    reads, saves = measure(learners, savers, speeches)
    report_reads(reads)
    report_saves(saves)
    print(f"\nWhole run: {time.perf_counter() - run_started:.0f} s")


if __name__ == "__main__":
    main()
