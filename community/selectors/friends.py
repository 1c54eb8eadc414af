"""Friends, requests, and this week's XP among friends."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from django.db.models import FilteredRelation, Q
from django.utils import timezone

from community import keys, rules
from community.models import FriendRequest, Friendship, WeeklyXp
from community.selectors.people import profile_of_fields, public_profile
from core.cache import learner_generation_name, read_through

if TYPE_CHECKING:
    from accounts.models import User

# How old friends' XP on the leaderboard may be: a friend's save would otherwise have to reach all their
# friends' caches, and a weekly race loses nothing by a minute.
FRIENDS_XP_REFRESH_SECONDS = 60


def friends_overview(*, user: User) -> dict[str, Any]:
    """Friends (name order), requests waiting for the learner's answer, and the learner's own open requests."""
    friends = (Friendship.objects.filter(user=user).select_related("friend")
               .only("created_at", "friend__id", "friend__name", "friend__avatar_url").order_by("friend__name"))
    incoming = (FriendRequest.objects.filter(to_email=(user.email or "").lower(), from_user__is_active=True)
                .select_related("from_user").only("id", "created_at", "from_user__id", "from_user__name",
                                                  "from_user__avatar_url"))
    outgoing = FriendRequest.objects.filter(from_user=user).only("id", "to_email", "created_at")
    return {
        "friends": [{**public_profile(row.friend), "since": row.created_at} for row in friends],
        "incoming_requests": [{"id": row.id, "from_user": public_profile(row.from_user), "created_at": row.created_at}
                              for row in incoming],
        "outgoing_requests": [{"id": row.id, "email": row.to_email, "created_at": row.created_at} for row in outgoing],
    }


def _leaderboard_rows(user: User, week_start: date) -> list[dict[str, Any]]:
    """The ranked rows: one query for the friends, their public profiles and their week's XP, one for the
    learner's own XP."""
    me = str(user.pk)
    week = FilteredRelation("friend__weekly_xp", condition=Q(friend__weekly_xp__week_start=week_start))
    friends = (Friendship.objects.filter(user=user).annotate(week=week)
               .values_list("friend_id", "friend__name", "friend__avatar_url", "week__xp"))
    mine = WeeklyXp.objects.filter(user=user, week_start=week_start).values_list("xp", flat=True).first()
    # Ids as text: unpickling a hundred UUID objects from the cache costs more than the rest of the read.
    people = {me: (public_profile(user), mine or 0)}
    for friend_id, name, avatar_url, xp in friends:
        people[str(friend_id)] = (profile_of_fields(str(friend_id), name, avatar_url), xp or 0)
    order = rules.ranked([(member, xp) for member, (_, xp) in people.items()])
    return [{"rank": rank, "user": people[member][0], "xp": xp, "is_me": member == me}
            for rank, (member, xp) in enumerate(order, start=1)]


def friends_leaderboard(*, user: User, now: datetime | None = None) -> dict[str, Any]:
    """The learner and their friends by this week's XP (opted out of leagues or not: friends chose each other).

    Cached under the learner's generation, which their own XP, befriending and removing (both sides) and a
    friend's rename or deletion (`community.signals`) bump, and per minute of the clock: the learner's own
    changes show at once, a friend's new XP within `FRIENDS_XP_REFRESH_SECONDS`. The rows are in the API's
    shape, ready to render.
    """
    now = now or timezone.now()
    start = rules.week_start(now, keys.zone())
    begins, ends = rules.week_bounds(start, keys.zone())
    minute = int(now.timestamp()) // FRIENDS_XP_REFRESH_SECONDS
    entries = read_through("friends-board", (user.pk, start.isoformat(), minute), (learner_generation_name(user.pk),),
                           lambda: _leaderboard_rows(user, start), timeout=FRIENDS_XP_REFRESH_SECONDS)
    return {"week": {"starts_at": begins, "ends_at": ends}, "entries": entries}
