"""The learner's FSRS memory of each sentence (`ReviewCard`), moved on by every saved session.

Cards are derived data: `update_review_cards` keeps them current inside the session save,
`rebuild_review_cards` recomputes them from the stored results (after a change of
REVIEW_DESIRED_RETENTION, say). The rules of both are `game.rules.review`'s.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Iterator, Sequence
from dataclasses import asdict, fields
from datetime import datetime
from itertools import groupby
from typing import TYPE_CHECKING, NamedTuple

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from fsrs import Scheduler

from game.inputs import ResultInput
from game.models import GameResult, ReviewCard
from game.rules.review import Memory, moves_card, review, session_ratings

if TYPE_CHECKING:
    from accounts.models import User

# Default FSRS parameters; no fuzzing, so a due date follows from the results alone and a rebuild reproduces it.
SCHEDULER = Scheduler(desired_retention=settings.REVIEW_DESIRED_RETENTION, enable_fuzzing=False)

MEMORY_FIELDS = [field.name for field in fields(Memory)]
# Learners rebuilt per transaction, and cards per INSERT.
REBUILD_LEARNERS_PER_BATCH = 200
REBUILD_INSERT_BATCH = 1000


class _Answer(NamedTuple):
    speech_id: Hashable
    user_response: str
    pronunciation_score: float | None


def _memory(card: ReviewCard) -> Memory:
    return Memory(**{name: getattr(card, name) for name in MEMORY_FIELDS})


def _advance(memories: dict[Hashable, Memory], answers: Iterable[_Answer | ResultInput],
             reviewed_at: datetime) -> list[Hashable]:
    """Review each sentence of one session in `memories`; returns the speeches whose memory changed."""
    moved = []
    for speech_id, rating in session_ratings(answers).items():
        memory = memories.get(speech_id)
        if moves_card(memory, reviewed_at):
            memories[speech_id] = review(memory, rating, reviewed_at=reviewed_at, scheduler=SCHEDULER)
            moved.append(speech_id)
    return moved


@transaction.atomic(savepoint=False)  # part of the caller's save when there is one
def update_review_cards(*, user: User, reviewed_at: datetime, answers: Sequence[ResultInput]) -> None:
    """Review the learner's cards of the sentences in one session completed at `reviewed_at`.

    Two queries per session: one read of the cards concerned, one upsert of those that moved. The
    cards are locked (in speech order, so two saves cannot deadlock) against a concurrent save of the
    same learner; first reviews are serialized by the learner's stats row, which the save locks first.
    """
    speech_ids = {answer.speech_id for answer in answers}
    if not speech_ids:
        return
    cards = {card.speech_id: card for card in ReviewCard.objects.select_for_update()
             .filter(user=user, speech_id__in=speech_ids).order_by("speech_id")}
    memories = {speech_id: _memory(card) for speech_id, card in cards.items()}
    moved = _advance(memories, answers, reviewed_at)
    now = timezone.now()
    # One INSERT ... ON CONFLICT for new and moved cards alike: bulk_update's CASE per row costs far more to
    # build than the statement takes to run.
    rows = [ReviewCard(user=user, speech_id=speech_id, updated_at=now, **asdict(memories[speech_id]))
            for speech_id in moved]
    if rows:
        ReviewCard.objects.bulk_create(rows, update_conflicts=True, unique_fields=["user", "speech"],
                                       update_fields=[*MEMORY_FIELDS, "updated_at"])


def _answers_by_learner(user_ids: list) -> Iterator[tuple[Hashable, Iterator[tuple]]]:
    """The learners' results in the order they happened: by session completion, then within a session."""
    rows = (GameResult.objects.filter(session__user_id__in=user_ids)
            .order_by("session__user_id", "session__completed_at", "session__created_at", "session_id",
                      "sequence_number")
            .values_list("session__user_id", "session_id", "session__completed_at", "speech_id", "user_response",
                         "pronunciation_score")
            .iterator(chunk_size=2000))
    return groupby(rows, key=lambda row: row[0])


def _rebuild_batch(user_ids: list) -> int:
    now = timezone.now()
    cards: list[ReviewCard] = []
    with transaction.atomic():
        ReviewCard.objects.filter(user_id__in=user_ids).delete()
        for user_id, rows in _answers_by_learner(user_ids):
            memories: dict[Hashable, Memory] = {}
            for (_, _, completed_at), session_rows in groupby(rows, key=lambda row: row[:3]):
                _advance(memories, [_Answer(*row[3:]) for row in session_rows], completed_at)
            cards.extend(ReviewCard(user_id=user_id, speech_id=speech_id, updated_at=now, **asdict(memory))
                         for speech_id, memory in memories.items())
        ReviewCard.objects.bulk_create(cards, batch_size=REBUILD_INSERT_BATCH)
    return len(cards)


def rebuild_review_cards(*, user: User | None = None) -> int:
    """Recompute the cards of one learner (or of everyone) from all stored results; returns cards written.

    Sessions are replayed in the order they were completed, so a late-saved old session, which
    the save left out (see `rules.review.moves_card`), counts in its place. Everyone is rebuilt
    REBUILD_LEARNERS_PER_BATCH learners per transaction; re-running it is safe.
    """
    if user is not None:
        return _rebuild_batch([user.pk])
    written = 0
    learners = get_user_model().objects.order_by("pk").values_list("pk", flat=True)
    last = None
    while True:
        # Keyset pages: no cursor is held open across the batches' commits.
        batch = list((learners if last is None else learners.filter(pk__gt=last))[:REBUILD_LEARNERS_PER_BATCH])
        if not batch:
            return written
        written += _rebuild_batch(batch)
        last = batch[-1]
