"""League tables and a learner's standing: from the Redis copy when present, else the database (which then
refills the copy). Both orders are `rules.ranked`, so either source gives the same table."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.utils import timezone

from community import keys, rules
from community.models import CommunityProfile, WeeklyXp
from community.selectors.people import public_profiles
from core import rankings
from core.cache import CacheUnavailable

if TYPE_CHECKING:
    from accounts.models import User


def league_ranking(league_id: Any) -> list[tuple[str, int]]:
    """(learner id, XP) of every member, in league order."""
    key, ttl = keys.league_ranking(league_id), keys.ranking_ttl()
    if rankings.enabled():
        try:
            cached = rankings.top(key, ttl=ttl)
            if cached is not None:
                return cached
        except CacheUnavailable:
            return _ranking_from_database(league_id)
    order = _ranking_from_database(league_id)
    if rankings.enabled() and order:
        try:
            rankings.replace(key, dict(order), ttl=ttl)
        except CacheUnavailable:
            pass
    return order


def _ranking_from_database(league_id: Any) -> list[tuple[str, int]]:
    return rules.ranked([(str(user_id), xp) for user_id, xp in
                         WeeklyXp.objects.filter(league_id=league_id).values_list("user_id", "xp")])


def _week(now: datetime) -> dict[str, Any]:
    start = rules.week_start(now, keys.zone())
    begins, ends = rules.week_bounds(start, keys.zone())
    return {"start": start, "starts_at": begins, "ends_at": ends}


def _context(user: User, now: datetime | None) -> tuple[dict[str, Any], CommunityProfile | None, WeeklyXp | None]:
    week = _week(now or timezone.now())
    profile = CommunityProfile.objects.filter(user=user).first()
    entry = WeeklyXp.objects.select_related("league").filter(user=user, week_start=week["start"]).first()
    return week, profile, entry


def _zones(members: int, tier: int) -> tuple[int, int]:
    return rules.moves(members, tier=tier, ladder=keys.ladder())


def league_standing(*, user: User, now: datetime | None = None) -> dict[str, Any]:
    """The home screen's line: tier, this week's XP, and rank in the league (none before the week's first XP).

    One query for a seated learner (their week row with its league; the rank from the league table), two
    otherwise (the profile too: tier and opt-out).
    """
    week = _week(now or timezone.now())
    entry = WeeklyXp.objects.select_related("league").filter(user=user, week_start=week["start"]).first()
    standing = {"opted_out": False, "xp": entry.xp if entry else 0, "rank": None, "members": 0,
                "week_ends_at": week["ends_at"]}
    if entry is not None and entry.league is not None:
        order = league_ranking(entry.league_id)
        standing["tier"] = rules.tier_info(entry.league.tier)
        standing["members"] = len(order)
        standing["rank"] = next((rank for rank, (member, _) in enumerate(order, start=1) if member == str(user.pk)),
                                None)
        return standing
    profile = CommunityProfile.objects.filter(user=user).first()
    standing["tier"] = rules.tier_info(profile.tier if profile else 0)
    standing["opted_out"] = bool(profile and profile.leagues_opt_out)
    return standing


def league_table(*, user: User, now: datetime | None = None) -> dict[str, Any]:
    """This week's league of the learner, every member ranked, with who is on course to go up or down."""
    week, profile, entry = _context(user, now)
    table = {"week": {"starts_at": week["starts_at"], "ends_at": week["ends_at"]},
             "tier": rules.tier_info(profile.tier if profile else 0),
             "opted_out": bool(profile and profile.leagues_opt_out), "xp": entry.xp if entry else 0,
             "rank": None, "league": None}
    if entry is None or entry.league is None:
        return table
    league = entry.league
    order = league_ranking(league.pk)
    promote, demote = _zones(len(order), league.tier)
    people = public_profiles(member for member, _ in order)
    rows = []
    for rank, (member, xp) in enumerate(order, start=1):
        zone = "promotion" if rank <= promote else "demotion" if rank > len(order) - demote else "stay"
        rows.append({"rank": rank, "user": people.get(member), "xp": xp, "is_me": member == str(user.pk),
                     "zone": zone})
        if member == str(user.pk):
            table["rank"] = rank
    table["tier"] = rules.tier_info(league.tier)
    table["league"] = {"id": league.pk, "number": league.number, "members": len(order),
                       "promote": promote, "demote": demote, "entries": [row for row in rows if row["user"]]}
    return table
