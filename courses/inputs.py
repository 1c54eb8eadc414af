"""What the game app hands the courses when a session that played a lesson is saved, and what it gets back."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID


@dataclass(frozen=True)
class LessonAnswer:
    speech_id: UUID
    correct: bool


@dataclass(frozen=True)
class LessonOutcome:
    lesson_id: UUID
    course_id: UUID
    score: float                 # 0-100, correct answers to the lesson's active sentences / their number
    passed: bool
    newly_completed: bool        # this session completed the lesson for the first time
    course_completed: bool       # this session completed the last lesson of its course still to do
    next_lesson_id: UUID | None  # the lesson to play next (this one again after a fail); None when all are done
