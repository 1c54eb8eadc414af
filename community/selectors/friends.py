"""Friends, requests, and this week's XP among friends."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.utils import timezone

from community import keys, rules
from community.models import FriendRequest, Friendship, WeeklyXp
from community.selectors.people import public_profile

if TYPE_CHECKING:
    from accounts.models import User


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


def friends_leaderboard(*, user: User, now: datetime | None = None) -> dict[str, Any]:
    """The learner and their friends by this week's XP (opted out of leagues or not: friends chose each other).

    Two indexed queries whatever the history: the friends with their public profile, then their weekly rows.
    """
    start = rules.week_start(now or timezone.now(), keys.zone())
    begins, ends = rules.week_bounds(start, keys.zone())
    people = {str(user.pk): public_profile(user)}
    for row in Friendship.objects.filter(user=user).select_related("friend").only(
            "friend__id", "friend__name", "friend__avatar_url"):
        people[str(row.friend_id)] = public_profile(row.friend)
    xp = {str(user_id): value for user_id, value in
          WeeklyXp.objects.filter(week_start=start, user_id__in=list(people)).values_list("user_id", "xp")}
    order = rules.ranked([(member, xp.get(member, 0)) for member in people])
    return {"week": {"starts_at": begins, "ends_at": ends},
            "entries": [{"rank": rank, "user": people[member], "xp": value, "is_me": member == str(user.pk)}
                        for rank, (member, value) in enumerate(order, start=1)]}
