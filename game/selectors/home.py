"""The home screen in one read: each part comes from the app that owns it, each in a constant number of queries."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.db.models import F
from django.utils import timezone

from community import selectors as community_selectors
from courses import selectors as courses_selectors
from game.models import LearnerTagStats
from game.rules.progress import accuracy, weakest_tags
from game.selectors.review import due_review_counts
from game.selectors.sessions import local_day_start, user_zone
from rewards import selectors as rewards_selectors

if TYPE_CHECKING:
    from accounts.models import User


def weak_tags(*, user: User) -> list[dict[str, Any]]:
    """The learner's weakest tags by their running per-tag counts (one query, O(tags practised))."""
    rows = LearnerTagStats.objects.filter(user=user).annotate(name=F("tag__name")).values(
        "tag_id", "name", "sentences", "correct")
    return weakest_tags([{"tag": {"id": row["tag_id"], "name": row["name"]},
                          **accuracy(row["sentences"], row["correct"])} for row in rows])


def home_screen(*, user: User, now: datetime | None = None) -> dict[str, Any]:
    now = now or timezone.now()
    zone = user_zone(user)
    tomorrow = local_day_start(now.astimezone(zone).date() + timedelta(days=1), zone)
    summary = rewards_selectors.learner_summary(user=user, now=now)
    return {
        "streak": summary["streak"],
        "xp": summary["xp"],
        "level": summary["level"],
        "league": community_selectors.league_standing(user=user, now=now),
        "review": due_review_counts(user=user, now=now, end_of_today=tomorrow - timedelta(microseconds=1)),
        "next_lesson": courses_selectors.next_lesson(user=user),
        "weak_tags": weak_tags(user=user),
        "new_achievements": summary["new_achievements"],
    }
