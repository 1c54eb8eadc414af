"""League tables and a learner's standing: from the Redis copy when present, else the database (which then
refills the copy). Both orders are `rules.ranked`, so either source gives the same table."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from django.db.models import F
from django.utils import timezone

from community import keys, rules
from community.models import CommunityProfile, WeeklyXp
from community.selectors.people import public_profiles
from core import rankings
from core.cache import CacheUnavailable, learner_generation_name, read_through

if TYPE_CHECKING:
    from accounts.models import User

# A bound on what a lost generation bump (the cache away at that moment) can leave stale.
SEAT_CACHE_SECONDS = 3600


def league_ranking(league_id: Any) -> list[tuple[str, int]]:
    """(learner id, XP) of every member, in league order."""
    if rankings.enabled():
        try:
            cached = rankings.top(keys.league_ranking(league_id), ttl=keys.ranking_ttl())
            if cached is not None:
                return cached
        except CacheUnavailable:
            return _ranking_from_database(league_id)
    order = _ranking_from_database(league_id)
    _replace_copy(league_id, order)
    return order


def _replace_copy(league_id: Any, order: list[tuple[str, int]]) -> None:
    if rankings.enabled() and order:
        try:
            rankings.replace(keys.league_ranking(league_id), dict(order), ttl=keys.ranking_ttl())
        except CacheUnavailable:
            pass


def _ranking_from_database(league_id: Any) -> list[tuple[str, int]]:
    return rules.ranked([(str(user_id), xp) for user_id, xp in
                         WeeklyXp.objects.filter(league_id=league_id).values_list("user_id", "xp")])


def _week(now: datetime) -> dict[str, Any]:
    start = rules.week_start(now, keys.zone())
    begins, ends = rules.week_bounds(start, keys.zone())
    return {"start": start, "starts_at": begins, "ends_at": ends}


def _seat(user: User, week_start: date) -> dict[str, Any] | None:
    """The learner's league this week (id, tier, number), or None before their first XP or while opted out.

    Only the learner's own writes move it (their first XP of the week, opting out), and those bump their
    generation, so it is cached under it for the week.
    """
    def load() -> dict[str, Any] | None:
        return (WeeklyXp.objects.filter(user=user, week_start=week_start, league__isnull=False)
                .values("league_id", tier=F("league__tier"), number=F("league__number")).first())

    return read_through("league-seat", (user.pk, week_start.isoformat()), (learner_generation_name(user.pk),),
                        load, timeout=SEAT_CACHE_SECONDS)


def _unseated(user: User, week: dict[str, Any]) -> dict[str, Any]:
    """Tier, opt-out and this week's XP of a learner without a seat (two queries)."""
    profile = CommunityProfile.objects.filter(user=user).first()
    xp = WeeklyXp.objects.filter(user=user, week_start=week["start"]).values_list("xp", flat=True).first()
    return {"tier": rules.tier_info(profile.tier if profile else 0), "xp": xp or 0,
            "opted_out": bool(profile and profile.leagues_opt_out)}


def _zones(members: int, tier: int) -> tuple[int, int]:
    return rules.moves(members, tier=tier, ladder=keys.ladder())


def _league_order(league_id: Any, member: str) -> list[tuple[str, int]]:
    """The league's ranking, from the database when the copy lacks `member` (a seat it has not seen)."""
    order = league_ranking(league_id)
    if all(user_id != member for user_id, _ in order):
        order = _ranking_from_database(league_id)
        _replace_copy(league_id, order)
    return order


def _position(league_id: Any, member: str) -> tuple[int | None, int, int]:
    """(rank, members, XP) of a seated learner: one Redis round trip while the copy has them."""
    if rankings.enabled():
        try:
            found = rankings.position(keys.league_ranking(league_id), member, ttl=keys.ranking_ttl())
            if found is not None:
                return found
        except CacheUnavailable:
            pass
    order = _league_order(league_id, member)
    for rank, (user_id, xp) in enumerate(order, start=1):
        if user_id == member:
            return rank, len(order), xp
    return None, len(order), 0  # a seat given up since it was cached


def league_standing(*, user: User, now: datetime | None = None) -> dict[str, Any]:
    """The home screen's line: tier, this week's XP, and rank in the league (none before the week's first XP).

    A seated learner's costs no query with Redis (the cached seat, then their position in the league's copy);
    an unseated learner's two.
    """
    week = _week(now or timezone.now())
    seat = _seat(user, week["start"])
    if seat is None:
        return {**_unseated(user, week), "rank": None, "members": 0, "week_ends_at": week["ends_at"]}
    rank, members, xp = _position(seat["league_id"], str(user.pk))
    return {"tier": rules.tier_info(seat["tier"]), "opted_out": False, "xp": xp, "rank": rank, "members": members,
            "week_ends_at": week["ends_at"]}


def league_table(*, user: User, now: datetime | None = None) -> dict[str, Any]:
    """This week's league of the learner, every member ranked, with who is on course to go up or down."""
    week = _week(now or timezone.now())
    seat = _seat(user, week["start"])
    me = str(user.pk)
    table = {"week": {"starts_at": week["starts_at"], "ends_at": week["ends_at"]}, "xp": 0, "rank": None,
             "league": None}
    if seat is None:
        return {**table, **_unseated(user, week)}
    order = _league_order(seat["league_id"], me)
    promote, demote = _zones(len(order), seat["tier"])
    people = public_profiles(member for member, _ in order)
    rows = []
    for rank, (member, xp) in enumerate(order, start=1):
        zone = "promotion" if rank <= promote else "demotion" if rank > len(order) - demote else "stay"
        if member == me:
            table.update(rank=rank, xp=xp)
        if member in people:
            rows.append({"rank": rank, "user": people[member], "xp": xp, "is_me": member == me, "zone": zone})
    table.update(tier=rules.tier_info(seat["tier"]), opted_out=False)
    table["league"] = {"id": seat["league_id"], "number": seat["number"], "members": len(order),
                       "promote": promote, "demote": demote, "entries": rows}
    return table
