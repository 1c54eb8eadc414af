"""Editors compose courses in Django Admin: the pages open, sentences are added, courses are published."""

import pytest
from django.utils import timezone

from audit.models import AuditLog
from courses.models import Course, CourseStatus, LessonItem
from tests.accounts.factories import UserFactory
from tests.content.factories import SpeechFactory
from tests.courses.factories import build_course, speeches_of
from tests.courses.test_lesson_sessions import play

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor():
    return UserFactory(is_staff=True, is_superuser=True, email="editor@example.com")


@pytest.fixture
def admin_client(client, editor):
    client.force_login(editor)
    return client


@pytest.fixture
def course():
    course, _ = build_course(units=[[2, 1], [1]], title="Food talk")
    return course


def test_the_changelists_and_change_pages_open(admin_client, course, user):
    lesson = course.units.get(position=1).lessons.get(position=1)
    play(user, lesson)

    courses = admin_client.get("/admin/courses/course/", {"level": "A1", "status": "published", "q": "Food"})
    lessons = admin_client.get("/admin/courses/lesson/", {"course": str(course.id), "unit__course__level": "A1"})

    assert courses.status_code == 200 and "Food talk" in courses.content.decode()
    assert lessons.status_code == 200 and lesson.title in lessons.content.decode()
    for page in (f"/admin/courses/course/{course.id}/change/", "/admin/courses/course/add/",
                 f"/admin/courses/lesson/{lesson.id}/change/", "/admin/courses/lesson/add/",
                 "/admin/courses/lessonprogress/"):
        assert admin_client.get(page).status_code == 200, page


def test_the_course_list_counts_units_and_lessons(admin_client, course):
    page = admin_client.get("/admin/courses/course/")

    counts = page.context["cl"].result_list.get(pk=course.pk)
    assert (counts.units_total, counts.lessons_total) == (2, 3)


def _lesson_form(lesson, items: list[dict]) -> dict:
    existing = list(lesson.items.order_by("position"))
    data = {"unit": str(lesson.unit_id), "title": lesson.title, "description": lesson.description,
            "position": lesson.position, "pass_ratio": "",
            "items-TOTAL_FORMS": len(existing) + len(items), "items-INITIAL_FORMS": len(existing),
            "items-MIN_NUM_FORMS": 0, "items-MAX_NUM_FORMS": 1000}
    rows = [{"id": item.pk, "speech": item.speech_id, "position": item.position} for item in existing] + items
    for n, row in enumerate(rows):
        data.update({f"items-{n}-{field}": "" if value is None else str(value) for field, value in row.items()})
        data[f"items-{n}-lesson"] = str(lesson.id)
    return data


def test_an_editor_adds_a_sentence_to_a_lesson(admin_client, course):
    lesson = course.units.get(position=2).lessons.get()
    new = SpeechFactory(text="Could I have the menu, please?")

    response = admin_client.post(f"/admin/courses/lesson/{lesson.id}/change/",
                                 _lesson_form(lesson, [{"speech": new.id, "position": 2}]))

    assert response.status_code == 302, response.context["inline_admin_formsets"][0].formset.errors
    assert list(lesson.items.order_by("position").values_list("speech_id", flat=True)) == [
        speeches_of(lesson)[0].id, new.id]


def test_an_archived_speech_or_a_taken_position_is_refused(admin_client, course):
    lesson = course.units.get(position=2).lessons.get()
    archived = SpeechFactory(archived_at=timezone.now())

    refused = admin_client.post(f"/admin/courses/lesson/{lesson.id}/change/",
                                _lesson_form(lesson, [{"speech": archived.id, "position": 2}]))
    taken = admin_client.post(f"/admin/courses/lesson/{lesson.id}/change/",
                              _lesson_form(lesson, [{"speech": SpeechFactory().id, "position": 1}]))

    assert refused.status_code == 200 and "This speech is archived" in refused.content.decode()
    assert taken.status_code == 200
    assert LessonItem.objects.filter(lesson=lesson).count() == 1


def test_the_speech_picker_searches_speeches(admin_client):
    wanted = SpeechFactory(text="Where is the station?")
    SpeechFactory(text="I like apples.")

    response = admin_client.get("/admin/autocomplete/", {
        "app_label": "courses", "model_name": "lessonitem", "field_name": "speech", "term": "station"})

    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [str(wanted.id)]


def test_publish_and_unpublish_actions_are_audited_and_skip_empty_courses(admin_client, editor):
    ready, _ = build_course(units=[[1]], status=CourseStatus.DRAFT, title="Ready")
    empty, _ = build_course(units=[[]], status=CourseStatus.DRAFT, title="Nothing yet")

    published = admin_client.post("/admin/courses/course/", {
        "action": "publish", "_selected_action": [str(ready.id), str(empty.id)]}, follow=True)

    text = published.content.decode()
    assert "1 course(s) published." in text and "they have no lesson yet: Nothing yet" in text
    assert dict(Course.objects.values_list("title", "status")) == {"Ready": "published", "Nothing yet": "draft"}

    admin_client.post("/admin/courses/course/", {"action": "unpublish", "_selected_action": [str(ready.id)]})

    ready.refresh_from_db()
    assert ready.status == CourseStatus.DRAFT
    assert list(AuditLog.objects.filter(object_id=str(ready.id)).order_by("created_at", "id").values_list(
        "action", "actor__email", "changes")) == [
        ("course.publish", editor.email, {"before": {"status": "draft"}, "after": {"status": "published"}}),
        ("course.unpublish", editor.email, {"before": {"status": "published"}, "after": {"status": "draft"}}),
    ]


def test_learners_cannot_open_the_course_admin(client, user):
    client.force_login(user)

    assert client.get("/admin/courses/course/").status_code == 302  # to the admin sign-in
