"""What other learners may see of a learner: display name and avatar, nothing else."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.auth import get_user_model


def public_profile(user: Any) -> dict[str, Any]:
    return {"id": user.pk, "name": user.name, "avatar_url": user.avatar_url or None}


def public_profiles(user_ids: Iterable[Any]) -> dict[str, dict[str, Any]]:
    """By id as text; one query."""
    users = get_user_model().objects.filter(pk__in=list(user_ids)).only("id", "name", "avatar_url")
    return {str(user.pk): public_profile(user) for user in users}
