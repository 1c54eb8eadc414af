"""The review set: sentences whose FSRS card is due, then the learner's weakest others as filler."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import TYPE_CHECKING
from uuid import UUID

from django.conf import settings
from django.db.models import Case, F, FloatField, Max, Q, Sum, Value, When
from django.db.models.functions import Power
from django.utils import timezone

from content.models import Speech
from game import rules
from game.dbfunctions import EpochSeconds
from game.models import GameResult, ReviewCard, UserResponse

if TYPE_CHECKING:
    from accounts.models import User


def review_need() -> Case:
    """Per-answer weight of the filler's need, before decay (see `rules.REVIEW_RULE`)."""
    return Case(
        When(user_response__in=[UserResponse.INCORRECT, UserResponse.SKIPPED], then=Value(rules.REVIEW_MISS_WEIGHT)),
        When(pronunciation_score__lt=rules.REVIEW_LOW_SCORE, then=Value(rules.REVIEW_LOW_SCORE_WEIGHT)),
        default=Value(rules.REVIEW_CORRECT_WEIGHT),
        output_field=FloatField(),
    )


def weakest_speech_ids(*, user: User, limit: int, now: datetime, exclude: Collection[UUID] = ()) -> list[UUID]:
    """The learner's active sentences with a positive decayed need, most needed first (`rules.REVIEW_RULE`).

    The review set's filler. The decay 2^(-age / half-life) is computed in the database, so only
    `limit` IDs are loaded however many results the learner has.
    """
    half_life_seconds = settings.GAME_REVIEW_HALF_LIFE_DAYS * 86400.0
    decay = Power(Value(2.0), (EpochSeconds("session__completed_at") - Value(now.timestamp())) / half_life_seconds,
                  output_field=FloatField())
    ranked = (
        GameResult.objects.filter(Q(session__user=user) & Q(speech__archived_at__isnull=True))
        .exclude(speech_id__in=list(exclude))
        .values("speech_id")
        .annotate(need=Sum(review_need() * decay, output_field=FloatField()),
                  last_seen=Max("session__completed_at"))
        .filter(need__gt=0)
        .order_by(F("need").desc(), F("last_seen").desc(), "speech_id")[:limit]
    )
    return [row["speech_id"] for row in ranked]


def _due_cards(*, user: User, until: datetime):
    return ReviewCard.objects.filter(user=user, due__lte=until, speech__archived_at__isnull=True)


def review_speeches(*, user: User, limit: int, now: datetime | None = None) -> list[Speech]:
    """The learner's active sentences to practise now: due ones most overdue first, then the weakest others.

    At most four queries whatever the history: the due cards, the filler ranking (only when
    fewer than `limit` are due), the speeches and their tags.
    """
    now = now or timezone.now()
    order = list(_due_cards(user=user, until=now).order_by("due", "speech_id")
                 .values_list("speech_id", flat=True)[:limit])
    if len(order) < limit:
        order += weakest_speech_ids(user=user, limit=limit - len(order), now=now, exclude=order)
    if not order:
        return []
    speeches = Speech.objects.filter(id__in=order).prefetch_related("tags").in_bulk()
    return [speeches[speech_id] for speech_id in order]


def due_review_count(*, user: User, until: datetime) -> int:
    """How many of the learner's active sentences are due for review at or before `until` (one query)."""
    return _due_cards(user=user, until=until).count()
