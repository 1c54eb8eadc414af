from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from django.conf import settings
from django.db.models import Case, F, FloatField, Max, Q, Sum, Value, When
from django.db.models.functions import Power
from django.utils import timezone

from content.models import Speech
from game import rules
from game.dbfunctions import EpochSeconds
from game.models import GameResult, UserResponse

if TYPE_CHECKING:
    from accounts.models import User


def review_need() -> Case:
    """Per-answer weight before decay (see `rules.REVIEW_RULE`)."""
    return Case(
        When(user_response__in=[UserResponse.INCORRECT, UserResponse.SKIPPED], then=Value(rules.REVIEW_MISS_WEIGHT)),
        When(pronunciation_score__lt=rules.REVIEW_LOW_SCORE, then=Value(rules.REVIEW_LOW_SCORE_WEIGHT)),
        default=Value(rules.REVIEW_CORRECT_WEIGHT),
        output_field=FloatField(),
    )


def review_speeches(*, user: User, limit: int, now: datetime | None = None) -> list[Speech]:
    """The learner's own active sentences most worth practising again, most needed first.

    The decay 2^(-age / half-life) is computed in the database, so only `limit` speeches
    are loaded however many results the learner has.
    """
    now = now or timezone.now()
    half_life_seconds = settings.GAME_REVIEW_HALF_LIFE_DAYS * 86400.0
    decay = Power(Value(2.0), (EpochSeconds("session__completed_at") - Value(now.timestamp())) / half_life_seconds,
                  output_field=FloatField())
    ranked = (
        GameResult.objects.filter(Q(session__user=user) & Q(speech__archived_at__isnull=True))
        .values("speech_id")
        .annotate(need=Sum(review_need() * decay, output_field=FloatField()),
                  last_seen=Max("session__completed_at"))
        .filter(need__gt=0)
        .order_by(F("need").desc(), F("last_seen").desc(), "speech_id")[:limit]
    )
    order = [row["speech_id"] for row in ranked]
    speeches = Speech.objects.filter(id__in=order).prefetch_related("tags").in_bulk()
    return [speeches[speech_id] for speech_id in order]
