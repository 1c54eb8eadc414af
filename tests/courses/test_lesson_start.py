"""POST /lessons/{id}/start: the sentences of an open lesson, shaped like a practice set."""

import uuid

import pytest
import requests
from django.utils import timezone

from courses.models import CourseStatus
from tests.content.factories import EMPTY_WAV, TagFactory
from tests.courses.factories import LessonFactory, LessonItemFactory, build_course, speeches_of
from tests.courses.test_lesson_sessions import play

pytestmark = pytest.mark.django_db


def start(client, lesson_id):
    return client.post(f"/api/v1/lessons/{lesson_id}/start")


def test_an_available_lesson_gives_its_active_sentences_in_lesson_order(auth_client, api_client, any_storage):
    food = TagFactory(name="Food")
    course, (lesson,) = build_course(units=[[3]])
    speeches = speeches_of(lesson)
    speeches[1].tags.add(food)
    speeches[2].archived_at = timezone.now()
    speeches[2].save()

    response = start(auth_client, lesson.id)

    assert response.status_code == 200
    body = response.json()
    assert body["lesson"] == {"id": str(lesson.id), "title": lesson.title, "course_id": str(course.id),
                              "pass_score": 80.0, "position": 1}
    assert [item["id"] for item in body["speeches"]] == [str(speeches[0].id), str(speeches[1].id)]
    item = body["speeches"][1]
    assert set(item) == {"id", "audio_url", "text", "level", "type", "tags"}
    assert item["tags"] == [{"id": str(food.id), "name": "Food"}]
    if any_storage == "s3":
        assert "X-Amz-Signature=" in item["audio_url"]
        assert requests.get(item["audio_url"], timeout=5).content == EMPTY_WAV
    else:
        assert item["audio_url"].startswith("http://testserver/api/v1/audio/")
        assert b"".join(api_client.get(item["audio_url"]).streaming_content) == EMPTY_WAV


def test_the_sentences_follow_their_positions_not_their_creation(auth_client):
    _, (lesson,) = build_course(units=[[0]])
    late = LessonItemFactory(lesson=lesson, position=2)
    early = LessonItemFactory(lesson=lesson, position=1)

    body = start(auth_client, lesson.id).json()

    assert [item["id"] for item in body["speeches"]] == [str(early.speech_id), str(late.speech_id)]


def test_a_locked_lesson_is_409_until_the_one_before_is_completed(auth_client, user):
    _, (first, second) = build_course(units=[[1], [1]])

    locked = start(auth_client, second.id)
    play(user, first)
    opened = start(auth_client, second.id)

    assert locked.status_code == 409 and locked.json()["code"] == "lesson_locked"
    assert opened.status_code == 200


def test_a_completed_lesson_can_be_started_again(auth_client, user):
    _, (lesson,) = build_course(units=[[1]])
    play(user, lesson)

    assert start(auth_client, lesson.id).status_code == 200


def test_an_empty_lesson_is_409(auth_client):
    _, (archived_only,) = build_course(units=[[1]])
    speech = speeches_of(archived_only)[0]
    speech.archived_at = timezone.now()
    speech.save()
    _, (no_items,) = build_course(units=[[0]])

    for lesson in (archived_only, no_items):
        response = start(auth_client, lesson.id)
        assert response.status_code == 409 and response.json()["code"] == "lesson_empty"


def test_a_missing_lesson_or_one_of_a_draft_course_is_404(auth_client):
    _, (draft,) = build_course(units=[[1]], status=CourseStatus.DRAFT)

    for lesson_id in (draft.id, uuid.uuid4()):
        response = start(auth_client, lesson_id)
        assert response.status_code == 404 and response.json()["code"] == "lesson_not_found"


def test_anonymous_is_401(api_client):
    assert start(api_client, LessonFactory().id).status_code == 401
