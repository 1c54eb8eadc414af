"""The courses app's client-visible failures, each with its own machine code."""

from django.utils.translation import gettext_lazy as _

from core.exceptions import Conflict, InvalidInput, NotFound


class CourseNotFound(NotFound):
    code = "course_not_found"
    detail = _("Course not found.")


class LessonNotFound(NotFound):
    code = "lesson_not_found"
    detail = _("Lesson not found.")


class LessonLocked(Conflict):
    code = "lesson_locked"
    detail = _("This lesson is locked: complete the lesson before it first.")


class LessonEmpty(Conflict):
    code = "lesson_empty"
    detail = _("This lesson has no sentences to practise yet.")


class LessonMismatch(InvalidInput):
    code = "lesson_mismatch"
    detail = _("Some sentences of the session are not part of the lesson.")
