"""Writes of the courses app: a played lesson (called by the game app when it saves a session) and
publishing courses (the admin).

The game app calls `check_lesson_session` before it writes anything and `record_lesson_session` inside its
save transaction, so a lesson attempt is counted exactly when its session is stored.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING
from uuid import UUID

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext

import audit
from courses import rules, selectors
from courses.exceptions import LessonLocked, LessonMismatch
from courses.inputs import LessonAnswer, LessonOutcome
from courses.models import Course, CourseStatus, Lesson, LessonProgress

if TYPE_CHECKING:
    from accounts.models import User


# --- a played lesson -----------------------------------------------------------------------

def check_lesson_session(*, user: User, lesson_id: UUID, speech_ids: Sequence[UUID]) -> None:
    """Raise before anything is written: LessonNotFound (404), LessonLocked (409), or LessonMismatch
    (400, errors={"speech_ids": [ids not in the lesson]}).

    Archived sentences of the lesson belong to it (a learner may have started it before they were archived).
    """
    lesson = selectors.published_lesson(lesson_id=lesson_id)
    places = selectors.course_lessons(user=user, course_id=lesson.unit.course_id)
    if selectors.lesson_state(places, lesson.id) == rules.LOCKED:
        raise LessonLocked()
    in_lesson = selectors.lesson_speech_ids(lesson=lesson, active_only=False)
    strangers = list(dict.fromkeys(str(speech_id) for speech_id in speech_ids if speech_id not in in_lesson))
    if strangers:
        raise LessonMismatch(gettext("{count} sentence(s) are not part of this lesson.").format(count=len(strangers)),
                             errors={"speech_ids": strangers})


def record_lesson_session(*, user: User, lesson_id: UUID, session_id: UUID, answers: Sequence[LessonAnswer],
                          completed_at: datetime) -> LessonOutcome:
    """Count the attempt, keep the best score, complete the lesson on its first pass.

    Raises LessonNotFound or LessonLocked before writing anything. Inside the caller's transaction (or its
    own) the learner's progress row of the lesson is locked, so concurrent saves of one lesson queue and only
    one of them completes it. The same session recorded twice counts once.
    """
    lesson = selectors.published_lesson(lesson_id=lesson_id)
    places = selectors.course_lessons(user=user, course_id=lesson.unit.course_id)
    if selectors.lesson_state(places, lesson.id) == rules.LOCKED:
        raise LessonLocked()
    active = selectors.lesson_speech_ids(lesson=lesson, active_only=True)
    score = rules.lesson_score(sentence_ids=active, answers=[(a.speech_id, a.correct) for a in answers])
    passed = bool(active) and rules.is_passed(score, lesson.effective_pass_ratio)

    with transaction.atomic(savepoint=False):
        progress, _ = LessonProgress.objects.select_for_update().get_or_create(user=user, lesson=lesson)
        # The locked row, not the read above, says whether this lesson is already completed.
        repeated = progress.last_session_id == session_id
        newly_completed = passed and progress.completed_at is None and not repeated
        if not repeated:
            progress.attempts += 1
            progress.best_score = max(progress.best_score, score)
            progress.last_session_id = session_id
            if newly_completed:
                progress.completed_at = completed_at
            progress.save()

    completed = [progress.completed_at is not None if place.id == lesson.id else place.completed
                 for place in places]
    upcoming = rules.next_lesson_index(completed)
    return LessonOutcome(
        lesson_id=lesson.id, course_id=lesson.unit.course_id, score=score, passed=passed,
        newly_completed=newly_completed, course_completed=newly_completed and all(completed),
        next_lesson_id=None if upcoming is None else places[upcoming].id,
    )


# --- publishing ----------------------------------------------------------------------------

@dataclass(frozen=True)
class PublishOutcome:
    changed: int
    skipped_empty: tuple[str, ...] = ()   # titles of courses not published because they have no lesson


def _set_status(*, course_ids: Sequence[UUID], status: str, actor: User | None) -> list[Course]:
    courses = list(Course.objects.select_for_update().filter(pk__in=course_ids).exclude(status=status))
    for course in courses:
        before = course.status
        course.status = status
        course.save(update_fields=["status", "updated_at"])
        audit.record(f"course.{'publish' if status == CourseStatus.PUBLISHED else 'unpublish'}", course,
                     {"before": {"status": before}, "after": {"status": status}}, actor=actor)
    return courses


@transaction.atomic
def publish_courses(*, course_ids: Sequence[UUID], actor: User | None) -> PublishOutcome:
    """Publish the draft courses among `course_ids` that have at least one lesson (an empty course would show
    learners nothing to do); audited per course."""
    has_lesson = Exists(Lesson.objects.filter(unit__course_id=OuterRef("pk")))
    candidates = list(Course.objects.filter(pk__in=course_ids, status=CourseStatus.DRAFT)
                      .annotate(has_lesson=has_lesson))
    ready = [course.pk for course in candidates if course.has_lesson]
    empty = tuple(course.title for course in candidates if not course.has_lesson)
    changed = _set_status(course_ids=ready, status=CourseStatus.PUBLISHED, actor=actor)
    return PublishOutcome(changed=len(changed), skipped_empty=empty)


@transaction.atomic
def unpublish_courses(*, course_ids: Sequence[UUID], actor: User | None) -> PublishOutcome:
    """Back to draft: learners no longer see the course; their progress is kept for when it returns."""
    changed = _set_status(course_ids=course_ids, status=CourseStatus.DRAFT, actor=actor)
    return PublishOutcome(changed=len(changed))
