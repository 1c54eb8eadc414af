"""The review set: sentences whose FSRS card is due, then the learner's weakest others as filler."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Collection
from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from django.db.models import F
from django.utils import timezone

from content import selectors as content_selectors
from content.selectors import SerializeItems
from game.models import LearnerSpeechStats, ReviewCard

if TYPE_CHECKING:
    from accounts.models import User


def weakest_speech_ids(*, user: User, limit: int, exclude: Collection[UUID] = ()) -> list[UUID]:
    """The learner's active sentences with a positive decayed need, most needed first (`rules.REVIEW_RULE`).

    The review set's filler, an index range of the learner's per-sentence totals: the stored need is
    scaled to one epoch (`rules.review.NEED_EPOCH`), so its order is the order of the need at any moment.
    """
    return list(
        LearnerSpeechStats.objects.filter(user=user, need__gt=0, speech__archived_at__isnull=True)
        .exclude(speech_id__in=list(exclude))
        .order_by(F("need").desc(), F("last_seen").desc(), "speech_id")
        .values_list("speech_id", flat=True)[:limit]
    )


def _due_cards(*, user: User, until: datetime):
    return ReviewCard.objects.filter(user=user, due__lte=until, speech__archived_at__isnull=True)


def review_items(*, user: User, limit: int, serialize: SerializeItems, now: datetime | None = None) -> list[dict]:
    """The learner's active sentences to practise now, as practice-set items (unsigned, see
    `content.selectors.speech_items`): due ones most overdue first, then the weakest others.

    Two queries at most whatever the history (the due cards, and the filler ranking only when fewer than
    `limit` are due); the items come from the content cache.
    """
    now = now or timezone.now()
    order = list(_due_cards(user=user, until=now).order_by("due", "speech_id")
                 .values_list("speech_id", flat=True)[:limit])
    if len(order) < limit:
        order += weakest_speech_ids(user=user, limit=limit - len(order), exclude=order)
    return content_selectors.speech_items(order, serialize=serialize) if order else []


def due_review_snapshot(*, user: User, now: datetime, end_of_today: datetime) -> dict[str, Any]:
    """What today's due counts need at any later moment of the day, unchanged until the learner's next write
    (or an archived sentence): how many were due at `now`, and when each of the rest falls due today."""
    later = list(_due_cards(user=user, until=end_of_today).filter(due__gt=now).order_by("due")
                 .values_list("due", flat=True))
    return {"at": now, "due": due_review_count(user=user, until=now), "later_today": later}


def due_review_counts(snapshot: dict[str, Any], *, now: datetime) -> dict[str, int] | None:
    """Due now and by the end of today from `snapshot`; None for a moment before it was taken."""
    if now < snapshot["at"]:
        return None
    return {"due_now": snapshot["due"] + bisect_right(snapshot["later_today"], now),
            "due_today": snapshot["due"] + len(snapshot["later_today"])}


def due_review_count(*, user: User, until: datetime) -> int:
    """How many of the learner's active sentences are due for review at or before `until` (one query)."""
    return _due_cards(user=user, until=until).count()
