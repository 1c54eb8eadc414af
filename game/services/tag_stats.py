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
from core.db.statements import add_to_counters
from game.inputs import ResultInput
from game.models import GameResult, LearnerTagStats, UserResponse

if TYPE_CHECKING:
    from accounts.models import User


def add_to_tag_stats(*, user: User, results: Sequence[ResultInput], tags_of: Mapping[UUID, Sequence[UUID]]) -> None:
    """Count each result once per tag of its speech (`tags_of`; archived speeches included, as in history),
    adding to the learner's rows in one statement."""
    sentences: Counter = Counter()
    correct: Counter = Counter()
    for result in results:
        for tag_id in tags_of.get(result.speech_id, ()):
            sentences[tag_id] += 1
            correct[tag_id] += result.user_response == UserResponse.CORRECT
    add_to_counters(LearnerTagStats, unique_fields=["user", "tag"], counters=["sentences", "correct"],
                    rows=[{"user_id": user.pk, "tag_id": tag_id, "sentences": sentences[tag_id],
                           "correct": correct[tag_id]} for tag_id in sentences])


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
