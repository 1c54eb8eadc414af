"""The home screen in one read: each part comes from the app that owns it.

What only the learner's own writes change (XP, level, streak, new achievements, the next lesson, weak tags, when
each review falls due today) is cached per learner under three generations: the learner's (bumped after every
write of theirs, by each app that makes one), the courses' (any course edit) and the content's (an archived
sentence leaves the reviews), and under the learner's local date and time zone, since today's XP and whether the
streak is alive turn with the day. The due counts are then a bisect at the current moment; the league rank,
which other learners move, is read live (with Redis: one round trip, no query).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.utils import timezone

from community import selectors as community_selectors
from content.cache import CONTENT_GENERATION
from core.cache import learner_generation_name, read_through
from courses import selectors as courses_selectors
from game.rules.progress import weakest_tags
from game.selectors.progress import tag_accuracy
from game.selectors.review import due_review_counts, due_review_snapshot
from game.selectors.sessions import local_day_start, user_zone
from rewards import selectors as rewards_selectors

if TYPE_CHECKING:
    from accounts.models import User

# A bound on what a lost generation bump (Redis away at that moment) or a catalogue rename can leave stale.
HOME_CACHE_SECONDS = 300


def weak_tags(*, user: User) -> list[dict[str, Any]]:
    """The learner's weakest tags by their running per-tag counts (one query, O(tags practised))."""
    return weakest_tags(tag_accuracy(user))


def _own_parts(user: User, now: datetime, end_of_today: datetime) -> dict[str, Any]:
    summary = rewards_selectors.learner_summary(user=user, now=now)
    return {"streak": summary["streak"], "xp": summary["xp"], "level": summary["level"],
            "next_lesson": courses_selectors.next_lesson(user=user), "weak_tags": weak_tags(user=user),
            "new_achievements": summary["new_achievements"],
            "review": due_review_snapshot(user=user, now=now, end_of_today=end_of_today)}


def _cached_own_parts(user: User, now: datetime, zone, end_of_today: datetime) -> dict[str, Any]:
    return read_through("home", (user.pk, zone.key, now.astimezone(zone).date().isoformat()),
                        (learner_generation_name(user.pk), courses_selectors.CATALOGUE_GENERATION, CONTENT_GENERATION),
                        lambda: _own_parts(user, now, end_of_today), timeout=HOME_CACHE_SECONDS)


def home_screen(*, user: User, now: datetime | None = None) -> dict[str, Any]:
    now = now or timezone.now()
    zone = user_zone(user)
    end_of_today = local_day_start(now.astimezone(zone).date() + timedelta(days=1), zone) - timedelta(microseconds=1)
    parts = _cached_own_parts(user, now, zone, end_of_today)
    review = due_review_counts(parts["review"], now=now)
    if review is None:  # a clock behind the one that cached it
        review = due_review_counts(due_review_snapshot(user=user, now=now, end_of_today=end_of_today), now=now)
    return {
        "streak": parts["streak"],
        "xp": parts["xp"],
        "level": parts["level"],
        "league": community_selectors.league_standing(user=user, now=now),
        "review": review,
        "next_lesson": parts["next_lesson"],
        "weak_tags": parts["weak_tags"],
        "new_achievements": parts["new_achievements"],
    }
