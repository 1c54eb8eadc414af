"""GET /courses and GET /courses/{id}: what learners see, and how it changes as they pass lessons."""

import uuid

import pytest
from django.utils import timezone

from courses.models import CourseStatus
from tests.content.factories import TagFactory
from tests.courses.factories import LessonFactory, build_course, speeches_of
from tests.courses.test_lesson_sessions import play

pytestmark = pytest.mark.django_db

LIST = "/api/v1/courses"


def detail_url(course) -> str:
    return f"/api/v1/courses/{course.id}"


def states(body) -> list[str]:
    return [lesson["state"] for unit in body["units"] for lesson in unit["lessons"]]


def test_the_list_shows_published_courses_by_position_with_the_callers_progress(auth_client, user):
    food = TagFactory(name="Food")
    second, second_lessons = build_course(units=[[1, 1], [1]], position=2, tags=[food], description="Eat.")
    first, _ = build_course(units=[[1]], position=1)
    build_course(units=[[1]], position=0, status=CourseStatus.DRAFT)
    play(user, second_lessons[0])

    response = auth_client.get(LIST)

    assert response.status_code == 200
    body = response.json()
    assert body["pagination"] == {"page": 1, "limit": 20, "total": 2, "total_pages": 1}
    assert [course["id"] for course in body["courses"]] == [str(first.id), str(second.id)]
    assert body["courses"][1] == {
        "id": str(second.id), "title": second.title, "description": "Eat.", "level": "A1",
        "tags": [{"id": str(food.id), "name": "Food"}], "units_count": 2, "lessons_count": 3,
        "lessons_completed": 1, "next_lesson_id": str(second_lessons[1].id),
    }
    assert body["courses"][0]["lessons_completed"] == 0


def test_the_list_filters_by_level_and_pages(auth_client):
    build_course(units=[[1]], level="B1", position=1)
    a1 = [build_course(units=[[1]], level="A1", position=n)[0] for n in (2, 3, 4)]

    only_a1 = auth_client.get(LIST, {"level": "A1", "limit": 2, "page": 2}).json()

    assert [course["id"] for course in only_a1["courses"]] == [str(a1[2].id)]
    assert only_a1["pagination"] == {"page": 2, "limit": 2, "total": 3, "total_pages": 2}
    refused = auth_client.get(LIST, {"level": "Z9"})
    assert refused.status_code == 400 and refused.json()["code"] == "invalid_input"
    assert "level" in refused.json()["errors"]


def test_next_lesson_is_null_when_every_lesson_is_done(auth_client, user):
    _, lessons = build_course(units=[[1], [1]])
    for lesson in lessons:
        play(user, lesson)

    course = auth_client.get(LIST).json()["courses"][0]

    assert (course["lessons_completed"], course["next_lesson_id"]) == (2, None)


def test_the_detail_unlocks_lessons_in_course_order_as_they_are_passed(auth_client, user, other_client):
    course, (l1, l2, l3) = build_course(units=[[2, 2], [2]])

    assert states(auth_client.get(detail_url(course)).json()) == ["available", "locked", "locked"]
    play(user, l1, correct=1)  # 50 %: not passed
    assert states(auth_client.get(detail_url(course)).json()) == ["available", "locked", "locked"]
    play(user, l1)
    assert states(auth_client.get(detail_url(course)).json()) == ["completed", "available", "locked"]
    play(user, l2)
    play(user, l1, correct=0)  # a later fail does not undo a completion
    body = auth_client.get(detail_url(course)).json()

    assert states(body) == ["completed", "completed", "available"]
    first = body["units"][0]["lessons"][0]
    assert (first["attempts"], first["best_score"], first["pass_score"]) == (3, 100.0, 80.0)
    assert body["units"][1]["lessons"][0] | {"id": None} == {
        "id": None, "title": l3.title, "description": "", "position": 1, "sentence_count": 2,
        "state": "available", "best_score": None, "attempts": 0, "pass_score": 80.0}
    assert (body["lessons_completed"], body["next_lesson_id"]) == (2, str(l3.id))
    # Progress is the caller's own.
    assert states(other_client.get(detail_url(course)).json()) == ["available", "locked", "locked"]


def test_the_detail_shape(auth_client):
    course, (lesson,) = build_course(units=[[3]], description="All about food.")
    lesson.pass_ratio = 0.6
    lesson.save()
    unit = lesson.unit

    body = auth_client.get(detail_url(course)).json()

    assert body == {
        "id": str(course.id), "title": course.title, "description": "All about food.", "level": "A1", "tags": [],
        "units_count": 1, "lessons_count": 1, "lessons_completed": 0, "next_lesson_id": str(lesson.id),
        "units": [{"id": str(unit.id), "title": unit.title, "description": "", "position": 1, "lessons": [{
            "id": str(lesson.id), "title": lesson.title, "description": "", "position": 1, "sentence_count": 3,
            "state": "available", "best_score": None, "attempts": 0, "pass_score": 60.0}]}],
    }


def test_an_archived_sentence_is_still_counted_in_the_course(auth_client):
    course, (lesson,) = build_course(units=[[3]])
    speech = speeches_of(lesson)[0]
    speech.archived_at = timezone.now()
    speech.save()

    body = auth_client.get(detail_url(course)).json()

    assert body["units"][0]["lessons"][0]["sentence_count"] == 3


def test_a_draft_or_missing_course_is_404(auth_client):
    draft, _ = build_course(units=[[1]], status=CourseStatus.DRAFT)

    for course_id in (draft.id, uuid.uuid4()):
        response = auth_client.get(f"/api/v1/courses/{course_id}")
        assert response.status_code == 404
        assert response.json()["code"] == "course_not_found"


def test_anonymous_is_401(api_client):
    course, _ = build_course(units=[[1]])
    assert api_client.get(LIST).status_code == 401
    assert api_client.get(detail_url(course)).status_code == 401


# --- query counts -------------------------------------------------------------------------------

DETAIL_QUERIES = 6  # user, course, its tags, units, lessons with sentence counts, the caller's progress
LIST_QUERIES = 6    # user, count, page, tags, units, lessons with the caller's completion


@pytest.mark.parametrize("lessons", [1, 12])
def test_detail_queries_do_not_grow_with_lessons(auth_client, user, lessons, django_assert_num_queries):
    course, ordered = build_course(units=[[2] * lessons, [1]], tags=[TagFactory(), TagFactory()])
    play(user, ordered[0])

    with django_assert_num_queries(DETAIL_QUERIES):
        assert auth_client.get(detail_url(course)).status_code == 200


@pytest.mark.parametrize("courses", [1, 8])
def test_list_queries_do_not_grow_with_courses(auth_client, user, courses, django_assert_num_queries):
    tag = TagFactory()
    for n in range(courses):
        _, lessons = build_course(units=[[1, 1], [1]], tags=[tag], position=n)
        play(user, lessons[0])

    with django_assert_num_queries(LIST_QUERIES):
        assert len(auth_client.get(LIST).json()["courses"]) == courses


def test_an_empty_lesson_and_an_empty_unit_still_show(auth_client):
    course, (lesson,) = build_course(units=[[1], []])
    LessonFactory(unit=lesson.unit, position=2)

    body = auth_client.get(detail_url(course)).json()

    assert [len(unit["lessons"]) for unit in body["units"]] == [2, 0]
    assert body["units"][0]["lessons"][1]["sentence_count"] == 0
