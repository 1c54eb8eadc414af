"""The home screen in one read: each part comes from the app that owns it.

What only the learner's own writes change (XP, level, streak, new achievements, the next lesson, weak tags) is
cached per learner under two generations: the learner's (bumped after every write of theirs, by each app that
makes one) and the courses' (bumped by any course edit), and under the learner's local date and time zone, since
today's XP and whether the streak is alive turn with the day. What changes with the clock or with other learners
(reviews due, league rank) is read on every call: with Redis that is one query and one Redis read.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.utils import timezone

from community import selectors as community_selectors
from core.cache import generation, learner_generation_name, read_through
from courses import selectors as courses_selectors
from game.rules.progress import weakest_tags
from game.selectors.progress import tag_accuracy
from game.selectors.review import due_review_counts
from game.selectors.sessions import local_day_start, user_zone
from rewards import selectors as rewards_selectors

if TYPE_CHECKING:
    from accounts.models import User

# A bound on what a lost generation bump (Redis away at that moment) or a catalogue rename can leave stale.
HOME_CACHE_SECONDS = 300


def weak_tags(*, user: User) -> list[dict[str, Any]]:
    """The learner's weakest tags by their running per-tag counts (one query, O(tags practised))."""
    return weakest_tags(tag_accuracy(user))


def _own_parts(user: User, now: datetime) -> dict[str, Any]:
    summary = rewards_selectors.learner_summary(user=user, now=now)
    return {"streak": summary["streak"], "xp": summary["xp"], "level": summary["level"],
            "next_lesson": courses_selectors.next_lesson(user=user), "weak_tags": weak_tags(user=user),
            "new_achievements": summary["new_achievements"]}


def _cached_own_parts(user: User, now: datetime, zone) -> dict[str, Any]:
    return read_through("home", (user.pk, zone.key, now.astimezone(zone).date().isoformat()),
                        (generation(learner_generation_name(user.pk)), courses_selectors.catalogue_generation()),
                        lambda: _own_parts(user, now), timeout=HOME_CACHE_SECONDS)


def home_screen(*, user: User, now: datetime | None = None) -> dict[str, Any]:
    now = now or timezone.now()
    zone = user_zone(user)
    tomorrow = local_day_start(now.astimezone(zone).date() + timedelta(days=1), zone)
    parts = _cached_own_parts(user, now, zone)
    return {
        "streak": parts["streak"],
        "xp": parts["xp"],
        "level": parts["level"],
        "league": community_selectors.league_standing(user=user, now=now),
        "review": due_review_counts(user=user, now=now, end_of_today=tomorrow - timedelta(microseconds=1)),
        "next_lesson": parts["next_lesson"],
        "weak_tags": parts["weak_tags"],
        "new_achievements": parts["new_achievements"],
    }
