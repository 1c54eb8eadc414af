"""The arithmetic of lessons, without Django: a lesson's score, passing it, and which lessons are open.

A course's lessons are taken in course order (unit position, then lesson position).
"""

from __future__ import annotations

from collections.abc import Collection, Hashable, Iterable, Sequence

LOCKED = "locked"
AVAILABLE = "available"
COMPLETED = "completed"

# Float noise must not fail a learner exactly at the threshold (0.57 * 100 is 56.99999999999999).
_EPSILON = 1e-9

PASS_RULE = (
    "A lesson's score is the share (0-100) of its active sentences answered correctly in the session: a sentence "
    "answered several times counts as correct if any answer was, one not answered counts as wrong. The lesson is "
    "passed when the score reaches its pass_score; the first pass completes it. The first lesson of a course is "
    "available, every later one (in course order) once the lesson before it is completed; a completed lesson "
    "stays completed and may be played again."
)


def lesson_score(*, sentence_ids: Collection[Hashable], answers: Iterable[tuple[Hashable, bool]]) -> float:
    """0-100: the sentences of `sentence_ids` with at least one correct answer, over their number.

    Answers about other sentences are ignored; a lesson with no sentences scores 0.
    """
    if not sentence_ids:
        return 0.0
    wanted = set(sentence_ids)
    correct = {sentence_id for sentence_id, ok in answers if ok and sentence_id in wanted}
    return 100.0 * len(correct) / len(wanted)


def pass_score(pass_ratio: float) -> float:
    """The score (0-100) that passes a lesson of this pass ratio (0-1)."""
    return round(pass_ratio * 100, 2)


def is_passed(score: float, pass_ratio: float) -> bool:
    return score + _EPSILON >= pass_ratio * 100


def lesson_states(completed: Sequence[bool]) -> list[str]:
    """The state of each lesson of a course, given whether each one (in course order) is completed."""
    return [
        COMPLETED if done else AVAILABLE if index == 0 or completed[index - 1] else LOCKED
        for index, done in enumerate(completed)
    ]


def next_lesson_index(completed: Sequence[bool]) -> int | None:
    """The lesson to play next: the first one not completed (always available), None when all are done."""
    return next((index for index, done in enumerate(completed) if not done), None)
