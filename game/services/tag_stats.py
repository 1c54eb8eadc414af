"""Per-learner, per-tag answer counts, kept in the save transaction so weak tags are O(tags), not O(history).

`rebuild_tag_stats` recomputes them from the stored results; the tests check that both agree.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING
from uuid import UUID

from django.db import transaction
from django.db.models import Count, Q

from core.cache import bump_generation, learner_generation_name
from game.inputs import ResultInput
from game.models import GameResult, LearnerTagStats, UserResponse

if TYPE_CHECKING:
    from accounts.models import User


def add_to_tag_stats(*, user: User, results: Sequence[ResultInput], tags_of: Mapping[UUID, Sequence[UUID]]) -> None:
    """Count each result once per tag of its speech (`tags_of`; archived speeches included, as in history).

    Called with the learner's stats row already locked by the save, so no other save of this learner
    changes these rows in between.
    """
    sentences: Counter = Counter()
    correct: Counter = Counter()
    for result in results:
        for tag_id in tags_of.get(result.speech_id, ()):
            sentences[tag_id] += 1
            correct[tag_id] += result.user_response == UserResponse.CORRECT
    if not sentences:
        return
    existing = {row.tag_id: row for row in LearnerTagStats.objects.filter(user=user, tag_id__in=list(sentences))}
    # One INSERT ... ON CONFLICT with the new totals (bulk_update's CASE per row is slow to build).
    LearnerTagStats.objects.bulk_create([
        LearnerTagStats(user=user, tag_id=tag_id,
                        sentences=sentences[tag_id] + (existing[tag_id].sentences if tag_id in existing else 0),
                        correct=correct[tag_id] + (existing[tag_id].correct if tag_id in existing else 0))
        for tag_id in sentences
    ], update_conflicts=True, unique_fields=["user", "tag"], update_fields=["sentences", "correct"])


def rebuild_tag_stats(*, user: User) -> int:
    """Recompute the learner's rows from every stored result; returns how many rows were written."""
    rows = (
        GameResult.objects.filter(session__user=user, speech__tags__isnull=False)
        .values("speech__tags__id")
        .annotate(sentences=Count("id"), correct=Count("id", filter=Q(user_response=UserResponse.CORRECT)))
    )
    with transaction.atomic():
        LearnerTagStats.objects.filter(user=user).delete()
        created = LearnerTagStats.objects.bulk_create([
            LearnerTagStats(user=user, tag_id=row["speech__tags__id"], sentences=row["sentences"],
                            correct=row["correct"])
            for row in rows
        ])
        bump_generation(learner_generation_name(user.pk))
    return len(created)
