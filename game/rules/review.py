"""Spaced review, pure: an answer as an FSRS rating, a session as one rating per sentence, one review step.

The scheduling itself is the `fsrs` package's; this module decides what it is fed (see
`game.rules.REVIEW_RULE`) and keeps the counters fsrs 6 no longer tracks (reps, lapses).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from fsrs import Card, Rating, Scheduler, State

from game import rules

CORRECT = "correct"


class Answer(Protocol):
    """What a rating needs of an answer: `game.inputs.ResultInput` and `GameResult` both have it."""

    @property
    def speech_id(self) -> Hashable: ...
    @property
    def user_response(self) -> str: ...
    @property
    def pronunciation_score(self) -> float | None: ...


@dataclass(frozen=True)
class Memory:
    """A sentence's memory state: the `fsrs.Card` fields plus how often it was reviewed and forgotten."""

    state: int
    step: int | None
    stability: float | None
    difficulty: float | None
    due: datetime
    last_review: datetime | None
    reps: int = 0
    lapses: int = 0


def rating_for(user_response: str, score: float | None) -> Rating:
    if user_response != CORRECT:
        return Rating.Again  # incorrect and skipped alike: the learner did not have it
    if score is None:
        return Rating.Good  # listen-only: right, with nothing to say how well
    if score < rules.REVIEW_GOOD_SCORE:
        return Rating.Hard
    if score < rules.REVIEW_EASY_SCORE:
        return Rating.Good
    return Rating.Easy


def session_ratings(answers: Iterable[Answer]) -> dict[Hashable, Rating]:
    """One rating per sentence of a session, its worst (in order of first answer).

    Reviewing a sentence twice in one sitting would count a repetition a few seconds later as
    spaced practice; the weakest answer is what the learner can be relied on to know.
    """
    ratings: dict[Hashable, Rating] = {}
    for answer in answers:
        rating = rating_for(answer.user_response, answer.pronunciation_score)
        ratings[answer.speech_id] = min(rating, ratings.get(answer.speech_id, rating))
    return ratings


def moves_card(memory: Memory | None, reviewed_at: datetime) -> bool:
    """False for a session older than the sentence's last review (an old session saved late).

    FSRS steps forward in time only: a review dated before the last one cannot be slotted in
    without replaying everything after it, so the late session leaves the card as it is (a
    rebuild, which replays sessions in completed order, does take it into account).
    """
    return memory is None or memory.last_review is None or reviewed_at >= memory.last_review


def review(memory: Memory | None, rating: Rating, *, reviewed_at: datetime, scheduler: Scheduler) -> Memory:
    """The memory after one review at `reviewed_at` (`None`: the sentence's first review)."""
    at = reviewed_at.astimezone(UTC)  # fsrs accepts UTC only
    if memory is None:
        # card_id is unused by scheduling; passing one spares Card() its 1 ms sleep for a unique id.
        card = Card(card_id=0, state=State.Learning, due=at)
        reps = lapses = 0
    else:
        card = Card(card_id=0, state=State(memory.state), step=memory.step, stability=memory.stability,
                    difficulty=memory.difficulty, due=memory.due.astimezone(UTC),
                    last_review=memory.last_review.astimezone(UTC) if memory.last_review else None)
        reps, lapses = memory.reps, memory.lapses
    forgotten = card.state == State.Review and rating == Rating.Again
    after, _ = scheduler.review_card(card, rating, review_datetime=at)
    return Memory(state=int(after.state), step=after.step, stability=after.stability, difficulty=after.difficulty,
                  due=after.due, last_review=after.last_review, reps=reps + 1, lapses=lapses + forgotten)


# The review need is stored scaled to this fixed moment: need(now) = stored * 2^(-(now - epoch) / half-life), one
# factor for every sentence of the learner, so ordering by the stored number orders by the need now. The
# exponent grows by 26 a year at the default half-life: a double holds it for centuries.
NEED_EPOCH = datetime(2026, 1, 1, tzinfo=UTC)


def answer_need(user_response: str, score: float | None) -> float:
    """What one answer adds to its sentence's review need before decay (`rules.REVIEW_RULE`)."""
    if user_response != CORRECT:
        return rules.REVIEW_MISS_WEIGHT
    if score is not None and score < rules.REVIEW_LOW_SCORE:
        return rules.REVIEW_LOW_SCORE_WEIGHT
    return rules.REVIEW_CORRECT_WEIGHT


def scaled_need(weight: float, *, at: datetime, half_life_days: float) -> float:
    """`weight` earned at `at`, scaled to NEED_EPOCH (see above)."""
    return weight * 2.0 ** ((at - NEED_EPOCH).total_seconds() / (half_life_days * 86400.0))
