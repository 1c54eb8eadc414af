"""Weekly XP and league seats, the week's close, opting out, and the Redis copies of league tables.

`add_weekly_xp` runs inside the game's session-save transaction after the learner's stats row is locked, so
one learner's saves reach it one at a time. A learner takes a seat with their first XP of a week: in the
lowest-numbered league of their tier with a free seat, or a new one.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.db.models import F, Max
from django.utils import timezone

from community import keys, rules
from community.models import CommunityProfile, League, WeeklyXp
from community.services.profiles import profile_of
from core import rankings
from core.cache import CacheUnavailable, bump_generation, learner_generation_name
from core.db.statements import update_returning

if TYPE_CHECKING:
    from accounts.models import User

logger = logging.getLogger(__name__)

_CLOSE_BATCH = 200  # leagues per transaction of the week's close


def _quietly(action: Any) -> None:
    try:
        action()
    except CacheUnavailable:
        pass  # the copy goes stale until its key expires unread; reads fall back to the database meanwhile


def _pending_outcome(entry: WeeklyXp) -> rules.Outcome:
    """The result a finished week's close will give `entry` (its XP is final once the week has ended)."""
    league = entry.league
    order = rules.ranked([(str(user_id), xp) for user_id, xp in
                          WeeklyXp.objects.filter(league=league).values_list("user_id", "xp")])
    rank = next(index for index, (user_id, _) in enumerate(order, start=1) if user_id == str(entry.user_id))
    return rules.outcome(rank, members=len(order), tier=league.tier, ladder=keys.ladder())


def _tier_for_week(profile: CommunityProfile, week: date) -> int:
    """The tier the learner races in during `week`, counting a finished week the hourly close has not reached."""
    unclosed = (WeeklyXp.objects.select_related("league")
                .filter(user_id=profile.user_id, week_start__lt=week, league__isnull=False,
                        league__closed_at__isnull=True)
                .order_by("-week_start").first())
    if unclosed is None:
        return profile.tier
    return rules.next_tier(unclosed.league.tier, _pending_outcome(unclosed))


def _seat(*, week: date, tier: int) -> League:
    size = keys.ladder().size
    for _ in range(5):
        try:
            with transaction.atomic():
                league = (League.objects.select_for_update()
                          .filter(week_start=week, tier=tier, members__lt=size, closed_at__isnull=True)
                          .order_by("number").first())
                if league is None:
                    last = League.objects.filter(week_start=week, tier=tier).aggregate(last=Max("number"))["last"]
                    league = League.objects.create(week_start=week, tier=tier, number=(last or 0) + 1)
                League.objects.filter(pk=league.pk).update(members=F("members") + 1)
                return league
        except IntegrityError:
            continue  # another learner opened that league number first: take a seat in it or the next
    raise RuntimeError("no league seat after 5 attempts")


def add_weekly_xp(*, user: User, xp: int, at: datetime, now: datetime | None = None) -> WeeklyXp | None:
    """Count `xp` earned at `at` toward the learner's league week; seats them on their first XP of a week.

    XP of a week that has already ended (a session saved late) stays in the ledger but no longer counts
    toward a league: that week's table is final.
    """
    zone = keys.zone()
    week = rules.week_start(at, zone)
    if xp <= 0 or week != rules.week_start(now or timezone.now(), zone):
        return None
    # The usual save: the learner already has a seat this week, and one statement adds the XP.
    seated = update_returning(WeeklyXp.objects.filter(user=user, week_start=week, league__isnull=False),
                              {"xp": F("xp") + xp, "updated_at": timezone.now()}, ["id", "league_id", "xp"])
    if seated:
        (entry_id, league_id, total), = seated
        entry = WeeklyXp(id=entry_id, user=user, week_start=week, league_id=league_id, xp=total)
    else:
        entry = WeeklyXp.objects.select_for_update().filter(user=user, week_start=week).first()
        if entry is None:
            entry = WeeklyXp(user=user, week_start=week)
        profile = profile_of(user)
        if not profile.leagues_opt_out:
            entry.league = _seat(week=week, tier=_tier_for_week(profile, week))
            bump_generation(learner_generation_name(user.pk))  # their cached seat
        entry.xp += xp
        entry.save()
    if entry.league_id is not None:
        key, member, score = keys.league_ranking(entry.league_id), str(user.pk), entry.xp
        transaction.on_commit(lambda: _quietly(lambda: rankings.raise_score(key, member, score)))
    return entry


def set_leagues_opt_out(*, user: User, opted_out: bool, now: datetime | None = None) -> bool:
    """Opting out leaves this week's league at once (the XP still counts for friends); opting back in takes a
    seat with the next XP earned."""
    week = rules.week_start(now or timezone.now(), keys.zone())
    with transaction.atomic():
        profile = profile_of(user, lock=True)
        if profile.leagues_opt_out != opted_out:
            profile.leagues_opt_out = opted_out
            profile.save(update_fields=["leagues_opt_out", "updated_at"])
        entry = WeeklyXp.objects.select_for_update().filter(user=user, week_start=week, league__isnull=False).first()
        if opted_out and entry is not None:
            league_id = entry.league_id
            League.objects.filter(pk=league_id).update(members=F("members") - 1)
            entry.league = None
            entry.save(update_fields=["league", "updated_at"])
            key = keys.league_ranking(league_id)
            transaction.on_commit(lambda: _quietly(lambda: rankings.drop(key)))
            bump_generation(learner_generation_name(user.pk))  # their cached seat
    return opted_out


def _close_batch(league_ids: list[Any], *, closed_at: datetime) -> dict[str, int]:
    """Rank and move the learners of up to _CLOSE_BATCH leagues in one transaction.

    The writes are grouped by what they set (one UPDATE per final rank and outcome, one per new tier), so a
    batch costs a few dozen statements however many learners it holds.
    """
    ladder = keys.ladder()
    counts = {"leagues": 0, "learners": 0, "promoted": 0, "demoted": 0}
    with transaction.atomic():
        # skip_locked: a second run of the job at the same time closes other leagues, never the same twice.
        leagues = {league.pk: league for league in League.objects.select_for_update(skip_locked=True)
                   .filter(pk__in=league_ids, closed_at__isnull=True)}
        if not leagues:
            return counts
        members: dict[Any, list[tuple[str, int, int, Any]]] = defaultdict(list)
        for entry_id, user_id, xp, league_id in (WeeklyXp.objects.filter(league_id__in=list(leagues))
                                                 .values_list("id", "user_id", "xp", "league_id")):
            members[league_id].append((str(user_id), xp, entry_id, user_id))
        placings: dict[tuple[int, str], list[int]] = defaultdict(list)
        moves: dict[tuple[int, date], list[Any]] = defaultdict(list)
        for league_id, league in leagues.items():
            by_user = {row[0]: row for row in members[league_id]}
            order = rules.ranked([(user_id, row[1]) for user_id, row in by_user.items()])
            for rank, (user_id, _) in enumerate(order, start=1):
                _, _, entry_id, user_pk = by_user[user_id]
                result = rules.outcome(rank, members=len(order), tier=league.tier, ladder=ladder)
                placings[(rank, result)].append(entry_id)
                moves[(rules.next_tier(league.tier, result), league.week_start + timedelta(days=7))].append(user_pk)
                counts["learners"] += 1
                if result != WeeklyXp.Outcome.STAYED:
                    counts[result] += 1
        for (rank, result), entry_ids in placings.items():
            WeeklyXp.objects.filter(pk__in=entry_ids).update(final_rank=rank, outcome=result)
        for (tier, from_week), user_ids in moves.items():
            CommunityProfile.objects.filter(user_id__in=user_ids).update(tier=tier, tier_from_week=from_week)
        League.objects.filter(pk__in=list(leagues)).update(closed_at=closed_at)
    counts["leagues"] = len(leagues)
    return counts


def close_finished_weeks(*, now: datetime | None = None) -> dict[str, int]:
    """Rank, promote and demote every league of a week that has ended; safe to run again (closed leagues are
    skipped), and by two workers at once."""
    now = now or timezone.now()
    current = rules.week_start(now, keys.zone())
    pending = list(League.objects.filter(closed_at__isnull=True, week_start__lt=current)
                   .order_by("week_start", "tier", "number").values_list("pk", flat=True))
    totals = {"leagues": 0, "learners": 0, "promoted": 0, "demoted": 0}
    for start in range(0, len(pending), _CLOSE_BATCH):
        for name, value in _close_batch(pending[start:start + _CLOSE_BATCH], closed_at=now).items():
            totals[name] += value
    if totals["leagues"]:
        logger.info("Closed %(leagues)s leagues: %(learners)s learners, %(promoted)s promoted, "
                    "%(demoted)s demoted", totals)
    return totals


def rebuild_league_rankings(*, now: datetime | None = None) -> int:
    """Write every league table of the current week to Redis afresh from the database; how many were written."""
    week = rules.week_start(now or timezone.now(), keys.zone())
    tables: dict[Any, dict[str, int]] = defaultdict(dict)
    for league_id, user_id, xp in (WeeklyXp.objects.filter(week_start=week, league__isnull=False)
                                   .values_list("league_id", "user_id", "xp").iterator(chunk_size=5000)):
        tables[league_id][str(user_id)] = xp
    ttl = keys.ranking_ttl()
    for league_id, scores in tables.items():
        rankings.replace(keys.league_ranking(league_id), scores, ttl=ttl)
    return len(tables)

