"""The learning loop's reads for a learner with a long history among many learners, and the week's close.

Issue 17: p95 of GET /api/v1/home, the league table (GET /api/v1/leagues/current) and the friends leaderboard
(GET /api/v1/friends/leaderboard) for a learner with BENCH_SESSIONS (10 000) sessions among BENCH_LEARNERS
(100 000) learners, each to stay within 2 x the bare endpoint's; and the time of the week-close job
(community.services.close_finished_weeks) for all of those learners.

What it does:
  1. Recreates its own database (BENCH_DATABASE_URL, default
     postgres://postgres@127.0.0.1:5432/englishapp_bench_loop) and runs a redis-server of its own on a free
     port (the league tables live there), with the settings bench.bare_settings: the project's plus
     GET /bench/bare (bench/bare_urls.py), an authenticated DRF view that answers {"ok": true} and queries
     nothing, the bare endpoint the ratios divide by.
  2. Seeds, with COPY (each step's time is printed): the demo content (2 000 speeches with audio and their
     tags, the achievements catalogue, the demo course); BENCH_LEARNERS learners, each with a community
     profile (random tier); for this league week and the previous one, leagues of 30 learners by tier with
     everyone's weekly XP (the previous week's leagues not closed yet); and the measured learner (the first
     learner): 150 friends and BENCH_SESSIONS sessions of 5 results each, with the rows rewards counts
     sessions from (RewardedSession, the XP ledger), then its aggregates rebuilt by the project's own rebuild
     services (reward stats, FSRS review cards, per-tag counts) and the achievements its stats reach.
  3. Serves it with gunicorn (2 workers x 4 threads, the image's way) and requests the bare endpoint, home,
     the league table and the friends leaderboard interleaved (harness.interleaved), as the measured learner,
     with each client count of BENCH_CLIENTS (default "1,8"): a warm-up round first (not reported), then
     BENCH_ROUNDS (5) rounds of BENCH_REQUESTS (100) requests of each target; every figure is the median over
     the rounds. Prints p50/p95 and their ratios to the bare endpoint's, and the load average before and after.
     What is measured is what a learner who keeps the app open sees: the parts of home only their own writes
     change, their league seat and their friends leaderboard (friends' XP refreshed once a minute) come from
     the cache after the first read; the league rank and table are read from Redis on every request.
  4. Times close_finished_weeks closing the previous week's leagues (all the learners), prints seconds,
     leagues, learners/s, and checks every learner's tier moved as their outcome says.

Any failed request or check ends it with a non-zero status. Timings are printed, never asserted.
Run:  .venv/bin/python bench/learning_loop.py   (or make bench-learning-loop); about 3 minutes with the defaults
on 2 CPUs, most of it the week's close.
"""

import os
import random
import time
import uuid
from collections import Counter, defaultdict
from datetime import timedelta

import harness
from harness import copy_in, step

DATABASE_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/englishapp_bench_loop")
LEARNERS = int(os.environ.get("BENCH_LEARNERS", "100000"))
SESSIONS = int(os.environ.get("BENCH_SESSIONS", "10000"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "5"))
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "100"))
CLIENTS = harness.client_counts("1,8")
SPEECHES = 2000
FRIENDS = 150
RESULTS_PER_SESSION = 5
SESSION_SPACING = timedelta(hours=4)  # 10 000 sessions reach back about 4.5 years
GOAL_RATIO = 2.0  # issue 17: each p95 within 2 x the bare endpoint's
TARGETS = {
    "bare": "/bench/bare",
    "home": "/api/v1/home",
    "league table": "/api/v1/leagues/current",
    "friends leaderboard": "/api/v1/friends/leaderboard",
}

run_started = time.perf_counter()
harness.prepare_database(DATABASE_URL, fresh=True)
REDIS_URL, _redis = harness.start_redis()
harness.start_django(DATABASE_URL=DATABASE_URL, REDIS_URL=REDIS_URL, DJANGO_SETTINGS_MODULE="bench.bare_settings",
                     MEDIA_ROOT=harness.temp_dir("bench-loop-media-"), ALLOWED_HOSTS="127.0.0.1",
                     SEED_STAFF_PASSWORD="bench-editor-pass-1", SEED_LEARNER_PASSWORD="bench-learner-pass-1")

# Below: modules that need Django set up.
from django.contrib.auth.hashers import make_password  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import User  # noqa: E402
from community import keys, rules  # noqa: E402
from community.models import CommunityProfile, Friendship, League, WeeklyXp  # noqa: E402
from community.services import close_finished_weeks  # noqa: E402
from content.models import Speech  # noqa: E402
from content.seeding import seed as seed_content  # noqa: E402
from game.models import GameResult, GameSession, LearnerTagStats, ReviewCard  # noqa: E402
from game.seeding import seed_achievements, seed_course  # noqa: E402
from rewards.models import XpEvent  # noqa: E402

# The invite-code alphabet of community.services.profiles: a learner's number written in it is a unique code.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"


def invite_code(number: int) -> str:
    digits = []
    for _ in range(8):
        number, digit = divmod(number, len(CODE_ALPHABET))
        digits.append(CODE_ALPHABET[digit])
    return "".join(digits)


def seed_learners(rng: random.Random) -> list[tuple[uuid.UUID, int]]:
    """(id, tier) of every learner, the measured one first."""
    password = make_password(None)  # unusable, as create_user's; hashed once for all of them
    learners = [(uuid.uuid4(), rng.randint(0, rules.TOP_TIER)) for _ in range(LEARNERS)]
    copy_in(User, (User(id=user_id, email=f"learner-{n:06d}@bench.example.com", name=f"Learner {n}",
                        password=password, timezone="UTC") for n, (user_id, _) in enumerate(learners)))
    copy_in(CommunityProfile, (CommunityProfile(user_id=user_id, tier=tier, invite_code=invite_code(n))
                               for n, (user_id, tier) in enumerate(learners)))
    return learners


def seed_week(week, learners: list[tuple[uuid.UUID, int]], rng: random.Random) -> int:
    """Leagues of LEAGUE_SIZE learners of one tier for `week`, and everyone's XP of it; leagues created."""
    size = keys.ladder().size
    by_tier: dict[int, list[uuid.UUID]] = defaultdict(list)
    for user_id, tier in learners:
        by_tier[tier].append(user_id)
    leagues, entries = [], []
    for tier, members in sorted(by_tier.items()):
        rng.shuffle(members)
        for number, start in enumerate(range(0, len(members), size), start=1):
            seats = members[start:start + size]
            league = League(id=uuid.uuid4(), week_start=week, tier=tier, number=number, members=len(seats))
            leagues.append(league)
            entries += [WeeklyXp(user_id=user_id, week_start=week, xp=rng.randint(1, 2000), league_id=league.id)
                        for user_id in seats]
    copy_in(League, leagues)
    copy_in(WeeklyXp, entries)
    return len(leagues)


def seed_friends(learner: uuid.UUID, others: list[uuid.UUID], rng: random.Random) -> None:
    friends = rng.sample(others, FRIENDS)
    copy_in(Friendship, [Friendship(user_id=a, friend_id=b) for friend in friends
                         for a, b in ((learner, friend), (friend, learner))])


def seed(now) -> tuple[User, dict[str, int]]:
    rng = random.Random(17)
    zone = keys.zone()
    week = rules.week_start(now, zone)
    sizes: dict[str, int] = {}
    print("Seeding:")
    with step(f"demo content: {SPEECHES:,} speeches with audio, achievements, a course"):
        seed_content(speeches=SPEECHES)
        seed_achievements()
        seed_course()
    with step(f"{LEARNERS:,} learners and their community profiles"):
        learners = seed_learners(rng)
    with step(f"leagues and weekly XP, week of {week - timedelta(days=7)} (to close)"):
        sizes["previous_leagues"] = seed_week(week - timedelta(days=7), learners, rng)
    with step(f"leagues and weekly XP, week of {week} (current)"):
        sizes["current_leagues"] = seed_week(week, learners, rng)
    learner = User.objects.get(pk=learners[0][0])
    with step(f"{FRIENDS} friends of the measured learner (two rows each)"):
        seed_friends(learner.pk, [user_id for user_id, _ in learners[1:]], rng)
    speeches = list(Speech.objects.only("id", "level", "type", "text"))
    with step(f"{SESSIONS:,} sessions x {RESULTS_PER_SESSION} results, rewarded sessions, XP ledger"):
        week_xp = harness.seed_sessions(learner, speeches, sessions=SESSIONS, results_per_session=RESULTS_PER_SESSION,
                                        now=now, rng=rng, spacing_hours=SESSION_SPACING.total_seconds() / 3600)
        # Already seated by seed_week: this week's XP is the history's (week_xp=0 below seats nobody again).
        WeeklyXp.objects.filter(user=learner, week_start=week).update(xp=week_xp)
    with step("rebuild: reward stats and achievements, totals, FSRS review cards, per-tag counts"):
        sizes.update(harness.rebuild_learner(learner, now=now, week_xp=0))
    with step("VACUUM ANALYZE"), connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    sizes.update(
        users=User.objects.count(), speeches=len(speeches), friendships=Friendship.objects.count(),
        weekly_rows=WeeklyXp.objects.count(), sessions=GameSession.objects.filter(user=learner).count(),
        results=GameResult.objects.filter(session__user=learner).count(),
        xp_events=XpEvent.objects.filter(user=learner).count(), week_xp=week_xp)
    assert sizes["review_cards"] == ReviewCard.objects.filter(user=learner).count()
    assert sizes["tag_stats"] == LearnerTagStats.objects.filter(user=learner).count()
    return learner, sizes


def measure(learner: User) -> dict[int, dict[str, harness.Percentiles]]:
    headers = {"Authorization": harness.bearer(learner)}
    figures = {}
    with harness.gunicorn("--workers", "2", "--threads", "4") as base:
        print(f"\nMeasuring through gunicorn (2 workers x 4 threads); before: {harness.load_average()}", flush=True)
        for clients in CLIENTS:
            per_client = -(-REQUESTS // clients)  # rounded up: every client sends as many
            started = time.perf_counter()
            harness.interleaved(base, TARGETS, headers, rounds=1, requests_per_round=per_client, clients=clients)
            figures[clients] = harness.interleaved(base, TARGETS, headers, rounds=ROUNDS,
                                                   requests_per_round=per_client, clients=clients)
            print(f"  {clients} client(s): warm-up + {ROUNDS} rounds x {per_client * clients} requests per target "
                  f"in {time.perf_counter() - started:.0f} s", flush=True)
        print(f"after: {harness.load_average()}")
    return figures


def report(figures: dict[int, dict[str, harness.Percentiles]]) -> None:
    print(f"\n{'clients':>7}  {'target':<20} {'p50 ms':>8} {'p95 ms':>8} {'p95/bare':>9} {'p50/bare':>9}"
          f"  p95 <= {GOAL_RATIO:g} x bare")
    for clients, targets in figures.items():
        bare = targets["bare"]
        for name, value in targets.items():
            ratio95, ratio50 = value.p95 / bare.p95, value.p50 / bare.p50
            goal = "" if name == "bare" else ("yes" if ratio95 <= GOAL_RATIO else "NO")
            print(f"{clients:>7}  {name:<20} {value.p50:>8.2f} {value.p95:>8.2f} {ratio95:>9.2f} {ratio50:>9.2f}"
                  f"  {goal}")


def week_close(now) -> None:
    week = rules.week_start(now, keys.zone())
    previous = week - timedelta(days=7)
    leagues = League.objects.filter(week_start=previous).count()
    print(f"\nWeek close: close_finished_weeks() over the week of {previous} ({leagues:,} leagues)", flush=True)
    started = time.perf_counter()
    totals = close_finished_weeks(now=now)
    elapsed = time.perf_counter() - started
    print(f"  {elapsed:.1f} s: {totals['leagues']:,} leagues, {totals['learners']:,} learners "
          f"({totals['learners'] / elapsed:,.0f} learners/s), {totals['promoted']:,} promoted, "
          f"{totals['demoted']:,} demoted")

    # Every learner's new tier follows from their outcome, from the week after the closed one; the counts are
    # those of the rules for leagues of these sizes.
    ladder = keys.ladder()
    expected_moves: Counter = Counter()
    for tier, members in League.objects.filter(week_start=previous).values_list("tier", "members"):
        promote, demote = rules.moves(members, tier=tier, ladder=ladder)
        expected_moves.update(promoted=promote, demoted=demote)
    wrong = 0
    rows = (WeeklyXp.objects.filter(week_start=previous)
            .values_list("outcome", "final_rank", "league__tier", "user__community_profile__tier",
                         "user__community_profile__tier_from_week"))
    for outcome, final_rank, league_tier, tier, tier_from_week in rows.iterator(chunk_size=10000):
        wrong += (not outcome or final_rank is None or tier != rules.next_tier(league_tier, outcome)
                  or tier_from_week != week)
    closed = League.objects.filter(week_start=previous, closed_at__isnull=False).count()
    problems = []
    if totals["leagues"] != leagues or closed != leagues:
        problems.append(f"{closed} of {leagues} leagues closed ({totals['leagues']} reported)")
    if totals["learners"] != LEARNERS:
        problems.append(f"{totals['learners']} learners ranked, not {LEARNERS}")
    if wrong:
        problems.append(f"{wrong} learners without the outcome, rank or tier their place says")
    if (totals["promoted"], totals["demoted"]) != (expected_moves["promoted"], expected_moves["demoted"]):
        problems.append(f"promoted/demoted {totals['promoted']}/{totals['demoted']}, the rules say "
                        f"{expected_moves['promoted']}/{expected_moves['demoted']}")
    if problems:
        raise SystemExit("week close check failed: " + "; ".join(problems))
    print(f"  checked: all {LEARNERS:,} learners ranked, tiers moved by outcome from {week}, "
          f"promotions and demotions as the rules give")


def main() -> None:
    now = timezone.now()
    version = connection.cursor().connection.info.server_version
    print(f"database {connection.settings_dict['NAME']} on PostgreSQL {version}, own Redis at {REDIS_URL}; "
          f"{harness.load_average()}")
    learner, sizes = seed(now)
    print(f"\nSeeded: {sizes['users']:,} users; {sizes['previous_leagues']:,} + {sizes['current_leagues']:,} leagues "
          f"(previous + current week), {sizes['weekly_rows']:,} weekly XP rows; {sizes['friendships']:,} friendship "
          f"rows; {sizes['speeches']:,} speeches.\n"
          f"The measured learner: {sizes['sessions']:,} sessions, {sizes['results']:,} results, "
          f"{sizes['xp_events']:,} XP events, {sizes['review_cards']:,} review cards, {sizes['tag_stats']} tag "
          f"counts, {sizes['achievements']} achievements, {FRIENDS} friends, {sizes['week_xp']} XP this week.")
    figures = measure(learner)
    report(figures)
    week_close(now)
    print(f"\nWhole run: {time.perf_counter() - run_started:.0f} s")


if __name__ == "__main__":
    main()
