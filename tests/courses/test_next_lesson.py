"""courses.selectors.next_lesson: the home screen's "continue with"."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from courses.models import Course, CourseStatus
from courses.selectors import next_lesson
from tests.courses.factories import build_course
from tests.courses.test_lesson_sessions import play

pytestmark = pytest.mark.django_db

MONDAY = datetime(2026, 3, 2, 9, tzinfo=UTC)


def expected(course, lesson) -> dict:
    return {"lesson_id": lesson.id, "lesson_title": lesson.title, "course_id": course.id,
            "course_title": course.title}


def test_nothing_to_do_without_published_courses(user):
    build_course(units=[[1]], status=CourseStatus.DRAFT)

    assert next_lesson(user=user) is None


def test_a_new_learner_starts_the_first_published_course_that_has_lessons(user):
    build_course(units=[[]], position=0)  # a unit without lessons yet
    build_course(units=[[1]], position=1, status=CourseStatus.DRAFT)
    first, lessons = build_course(units=[[1, 1]], position=2)
    build_course(units=[[1]], position=3)

    assert next_lesson(user=user) == expected(first, lessons[0])


def test_the_course_last_made_progress_in_wins(user):
    first, first_lessons = build_course(units=[[1, 1]], position=1)
    second, second_lessons = build_course(units=[[1, 1, 1]], position=2)
    with time_machine.travel(MONDAY, tick=False):
        play(user, second_lessons[0])
    with time_machine.travel(MONDAY + timedelta(hours=1), tick=False):
        play(user, first_lessons[0], correct=0)  # progress, even without a pass

    assert next_lesson(user=user) == expected(first, first_lessons[0])
    with time_machine.travel(MONDAY + timedelta(hours=2), tick=False):
        play(user, second_lessons[1])
    assert next_lesson(user=user) == expected(second, second_lessons[2])


def test_a_finished_course_moves_on_to_the_first_unfinished_one_then_nothing(user):
    first, first_lessons = build_course(units=[[1]], position=1)
    second, second_lessons = build_course(units=[[1], [1]], position=2)
    play(user, first_lessons[0])

    assert next_lesson(user=user) == expected(second, second_lessons[0])
    for lesson in second_lessons:
        play(user, lesson)
    assert next_lesson(user=user) is None


def test_a_course_taken_off_line_is_not_suggested(user):
    first, first_lessons = build_course(units=[[1]], position=1)
    second, second_lessons = build_course(units=[[1, 1]], position=2)
    play(user, second_lessons[0])
    Course.objects.filter(pk=second.pk).update(status=CourseStatus.DRAFT)

    assert next_lesson(user=user) == expected(first, first_lessons[0])


@pytest.mark.parametrize("courses", [1, 6])
def test_at_most_four_queries_whatever_the_catalogue(user, courses, django_assert_num_queries):
    for n in range(courses):
        _, lessons = build_course(units=[[1, 1], [1]], position=n)
        for lesson in lessons:  # every course finished: the longest path
            play(user, lesson)
    _, fresh = build_course(units=[[1]], position=courses)

    with django_assert_num_queries(4):
        assert next_lesson(user=user)["lesson_id"] == fresh[0].id
