"""Reads of the courses app: the course list and page, a lesson to start, and the home screen's next lesson.

Learners only see published courses. Every read here takes a constant number of queries, however many
courses, units or lessons there are.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from uuid import UUID

from django.db.models import Count, Exists, OuterRef, Prefetch, QuerySet

from content.models import Speech, Tag
from courses import rules
from courses.exceptions import CourseNotFound, LessonEmpty, LessonLocked, LessonNotFound
from courses.models import Course, CourseStatus, Lesson, LessonItem, LessonProgress, Unit

if TYPE_CHECKING:
    from accounts.models import User

COURSE_ORDER = ("position", "created_at", "id")
LESSON_ORDER = ("unit__position", "position")


@dataclass(frozen=True)
class LessonPlace:
    """A lesson of a course, in course order, and whether the learner has completed it."""

    id: UUID
    title: str
    completed: bool


def _completed_by(user: User) -> Exists:
    return Exists(LessonProgress.objects.filter(user=user, lesson_id=OuterRef("pk"), completed_at__isnull=False))


def _tags() -> Prefetch:
    return Prefetch("tags", queryset=Tag.objects.only("id", "name").order_by("name"))


def course_lessons(*, user: User, course_id: UUID) -> list[LessonPlace]:
    """The course's lessons in course order with the learner's completion (one query)."""
    rows = (Lesson.objects.filter(unit__course_id=course_id).order_by(*LESSON_ORDER)
            .annotate(completed=_completed_by(user)).values_list("id", "title", "completed"))
    return [LessonPlace(id=lesson_id, title=title, completed=completed) for lesson_id, title, completed in rows]


def lesson_state(places: list[LessonPlace], lesson_id: UUID) -> str:
    states = rules.lesson_states([place.completed for place in places])
    return next(state for place, state in zip(places, states, strict=True) if place.id == lesson_id)


def published_lesson(*, lesson_id: UUID) -> Lesson:
    """The lesson with its unit and course; LessonNotFound if missing or its course is not published."""
    try:
        return Lesson.objects.select_related("unit__course").get(
            pk=lesson_id, unit__course__status=CourseStatus.PUBLISHED)
    except Lesson.DoesNotExist:
        raise LessonNotFound() from None


def lesson_speech_ids(*, lesson: Lesson, active_only: bool) -> set[UUID]:
    items = LessonItem.objects.filter(lesson=lesson)
    if active_only:
        items = items.filter(speech__archived_at__isnull=True)
    return set(items.values_list("speech_id", flat=True))


# --- the course list -------------------------------------------------------------------------

def published_courses(*, user: User, level: str | None = None) -> QuerySet[Course]:
    """Published courses by position; a page of them loads its tags, units and lessons (with the learner's
    completion) in three more queries, for `course_summary`."""
    lessons = Lesson.objects.order_by("position").only("id", "unit", "position").annotate(
        completed=_completed_by(user))
    units = Unit.objects.order_by("position").only("id", "course", "position").prefetch_related(
        Prefetch("lessons", queryset=lessons))
    courses = Course.objects.filter(status=CourseStatus.PUBLISHED)
    if level:
        courses = courses.filter(level=level)
    return courses.order_by(*COURSE_ORDER).prefetch_related(_tags(), Prefetch("units", queryset=units))


def _progress_counts(completed: list[bool], lesson_ids: list[UUID]) -> dict[str, Any]:
    upcoming = rules.next_lesson_index(completed)
    return {"lessons_count": len(completed), "lessons_completed": sum(completed),
            "next_lesson_id": None if upcoming is None else lesson_ids[upcoming]}


def course_summary(course: Course) -> dict[str, Any]:
    """A course of `published_courses` as the list shows it (no query: everything is prefetched)."""
    units = list(course.units.all())
    lessons = [lesson for unit in units for lesson in unit.lessons.all()]
    return {"id": course.id, "title": course.title, "description": course.description, "level": course.level,
            "tags": list(course.tags.all()), "units_count": len(units),
            **_progress_counts([lesson.completed for lesson in lessons], [lesson.id for lesson in lessons])}


# --- one course ------------------------------------------------------------------------------

def course_detail(*, user: User, course_id: UUID) -> dict[str, Any]:
    """A published course with its units and lessons, each lesson with its state for the learner.

    `sentence_count` counts archived sentences too: the lesson still holds them (and old sessions show them).
    """
    try:
        course = Course.objects.filter(status=CourseStatus.PUBLISHED).prefetch_related(_tags()).get(pk=course_id)
    except Course.DoesNotExist:
        raise CourseNotFound() from None
    units = list(Unit.objects.filter(course=course).order_by("position"))
    lessons = list(Lesson.objects.filter(unit__course=course).order_by(*LESSON_ORDER)
                   .annotate(sentence_count=Count("items")))
    progress = {row.lesson_id: row for row in LessonProgress.objects.filter(user=user, lesson__unit__course=course)}

    completed = [progress.get(lesson.id) is not None and progress[lesson.id].completed_at is not None
                 for lesson in lessons]
    by_unit: dict[UUID, list[dict[str, Any]]] = {unit.id: [] for unit in units}
    for lesson, state in zip(lessons, rules.lesson_states(completed), strict=True):
        mine = progress.get(lesson.id)
        attempts = mine.attempts if mine else 0
        by_unit[lesson.unit_id].append({
            "id": lesson.id, "title": lesson.title, "description": lesson.description, "position": lesson.position,
            "sentence_count": lesson.sentence_count, "state": state, "attempts": attempts,
            "best_score": round(mine.best_score, 1) if attempts else None,
            "pass_score": rules.pass_score(lesson.effective_pass_ratio),
        })
    return {
        "id": course.id, "title": course.title, "description": course.description, "level": course.level,
        "tags": list(course.tags.all()), "units_count": len(units),
        **_progress_counts(completed, [lesson.id for lesson in lessons]),
        "units": [{"id": unit.id, "title": unit.title, "description": unit.description, "position": unit.position,
                   "lessons": by_unit[unit.id]} for unit in units],
    }


# --- starting a lesson -----------------------------------------------------------------------

def lesson_to_start(*, user: User, lesson_id: UUID) -> dict[str, Any]:
    """The lesson and its active speeches in lesson order (tags prefetched), for the app to play.

    LessonNotFound (missing, or a draft course), LessonLocked, LessonEmpty (none of its speeches is active).
    """
    lesson = published_lesson(lesson_id=lesson_id)
    if lesson_state(course_lessons(user=user, course_id=lesson.unit.course_id), lesson.id) == rules.LOCKED:
        raise LessonLocked()
    speeches = list(Speech.objects.active().filter(lesson_items__lesson=lesson).order_by("lesson_items__position")
                    .prefetch_related(_tags()))
    if not speeches:
        raise LessonEmpty()
    return {
        "lesson": {"id": lesson.id, "title": lesson.title, "course_id": lesson.unit.course_id,
                   "position": lesson.position, "pass_score": rules.pass_score(lesson.effective_pass_ratio)},
        "speeches": speeches,
    }


# --- home screen -----------------------------------------------------------------------------

def _open_lesson(*, user: User, course_id: UUID, course_title: str) -> dict[str, Any] | None:
    places = course_lessons(user=user, course_id=course_id)
    upcoming = rules.next_lesson_index([place.completed for place in places])
    if upcoming is None:
        return None
    return {"lesson_id": places[upcoming].id, "lesson_title": places[upcoming].title,
            "course_id": course_id, "course_title": course_title}


# Bumped by any change to courses, units, lessons or their items (courses.signals): what is cached from the
# catalogue (the home screen's next lesson) is cached under it.
CATALOGUE_GENERATION = "courses:catalogue"


def next_lesson(*, user: User) -> dict[str, Any] | None:
    """{lesson_id, lesson_title, course_id, course_title} to continue with, or None (at most four queries).

    The first lesson not completed of the published course the learner last made progress in; when that one
    is finished (or there is none), of the first published course that still has a lesson for them.
    """
    recent = (LessonProgress.objects.filter(user=user, lesson__unit__course__status=CourseStatus.PUBLISHED)
              .order_by("-updated_at").values_list("lesson__unit__course_id", "lesson__unit__course__title").first())
    if recent is not None and (found := _open_lesson(user=user, course_id=recent[0], course_title=recent[1])):
        return found
    unfinished = Lesson.objects.filter(unit__course_id=OuterRef("pk")).filter(~_completed_by(user))
    course = (Course.objects.filter(Exists(unfinished), status=CourseStatus.PUBLISHED).order_by(*COURSE_ORDER)
              .values_list("id", "title").first())
    if course is None:
        return None
    return _open_lesson(user=user, course_id=course[0], course_title=course[1])
