"""What other learners may see of a learner: display name and avatar, nothing else.

Profiles are cached per learner (league tables and friends leaderboards show dozens to hundreds of them on every
read); any save or deletion of the account forgets its copy (`community.signals`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.auth import get_user_model

from community import keys
from core.cache import get_many_quietly, set_many_quietly

# A bound on how long a rename can take to show when the cache missed forgetting it (an outage, a race).
PUBLIC_PROFILE_CACHE_SECONDS = 600


def public_profile(user: Any) -> dict[str, Any]:
    return profile_of_fields(user.pk, user.name, user.avatar_url)


def profile_of_fields(user_id: Any, name: str, avatar_url: str) -> dict[str, Any]:
    """The public profile from the user's columns (for a query that reads them without loading users)."""
    return {"id": user_id, "name": name, "avatar_url": avatar_url or None}


def public_profiles(user_ids: Iterable[Any]) -> dict[str, dict[str, Any]]:
    """By id as text, for those that exist: one cache read, and one query for the ones it lacks."""
    wanted = {str(user_id): keys.public_profile(user_id) for user_id in user_ids}
    cached = get_many_quietly(list(wanted.values()))
    found = {user_id: cached[key] for user_id, key in wanted.items() if key in cached}
    missing = [user_id for user_id in wanted if user_id not in found]
    if missing:
        rows = {str(user_id): profile_of_fields(user_id, name, avatar_url) for user_id, name, avatar_url in
                get_user_model().objects.filter(pk__in=missing).values_list("id", "name", "avatar_url")}
        set_many_quietly({wanted[user_id]: profile for user_id, profile in rows.items()},
                         PUBLIC_PROFILE_CACHE_SECONDS)
        found.update(rows)
    return found
