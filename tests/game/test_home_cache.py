"""The home screen caches what only the learner's own writes change, and never shows it stale after one."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from content.services.speeches import archive_speeches
from courses import services as courses_services
from courses.models import Lesson
from game.models import ReviewCard
from game.selectors import home as home_selectors
from tests.community.helpers import client_of
from tests.content.factories import SpeechFactory
from tests.courses.factories import build_course
from tests.game.payloads import session_body
from tests.rewards.factories import AchievementFactory

# Real commits: generations are bumped after the commit, as in production.
pytestmark = pytest.mark.django_db(transaction=True)

HOME = "/api/v1/home"
MORNING = datetime(2026, 11, 18, 9, tzinfo=ZoneInfo("UTC"))


def queries_of(client) -> tuple[int, dict]:
    with CaptureQueriesContext(connection) as captured:
        body = client.get(HOME).json()
    return len(captured.captured_queries), body


def test_a_second_look_reads_the_cached_parts_and_a_save_shows_at_once(user):
    AchievementFactory(code="first", kind="first_session", threshold=1, xp_reward=10)
    speeches = SpeechFactory.create_batch(5)
    with time_machine.travel(MORNING, tick=False):
        client = client_of(user)
        first, before = queries_of(client)
        second, again = queries_of(client)
        assert second < first and again == before

        saved = client.post("/api/v1/game/sessions", session_body(speeches), format="json")
        assert saved.status_code == 201
        _, after = queries_of(client)
    assert after["xp"]["total"] == saved.json()["rewards"]["xp_total"] > before["xp"]["total"]
    assert after["streak"]["current_days"] == 1
    assert [a["code"] for a in after["new_achievements"]] == ["first"]


def test_the_goal_and_seen_achievements_show_at_once(user):
    AchievementFactory(code="first", kind="first_session", threshold=1)
    with time_machine.travel(MORNING, tick=False):
        client = client_of(user)
        client.post("/api/v1/game/sessions", session_body(SpeechFactory.create_batch(2)), format="json")
        assert client.get(HOME).json()["new_achievements"]
        assert client.put("/api/v1/users/me/goal", {"daily_xp_goal": 120}, format="json").status_code == 200
        assert client.get(HOME).json()["xp"]["daily_goal"] == 120
        assert client.post("/api/v1/users/me/achievements/seen").status_code == 204
        assert client.get(HOME).json()["new_achievements"] == []


def test_a_new_day_turns_todays_xp_even_with_the_cache_warm(user):
    with time_machine.travel(MORNING, tick=False):
        client = client_of(user)
        client.post("/api/v1/game/sessions", session_body(SpeechFactory.create_batch(3)), format="json")
        assert client.get(HOME).json()["xp"]["today"] > 0
    with time_machine.travel(MORNING + timedelta(days=1), tick=False):
        assert client_of(user).get(HOME).json()["xp"]["today"] == 0


def test_an_editor_change_to_the_courses_shows_in_the_next_lesson_at_once(user):
    course, lessons = build_course(units=[[2, 2]], status="draft")
    client = client_of(user)
    assert client.get(HOME).json()["next_lesson"] is None
    courses_services.publish_courses(course_ids=[course.id], actor=None)
    assert client.get(HOME).json()["next_lesson"]["lesson_id"] == str(lessons[0].id)
    lesson = Lesson.objects.get(pk=lessons[0].pk)
    lesson.title = "Saying hello, again"
    lesson.save()  # as the admin's form does
    assert client.get(HOME).json()["next_lesson"]["lesson_title"] == "Saying hello, again"


def test_progress_is_cached_until_the_learner_saves_or_the_catalogue_changes(user):
    speeches = SpeechFactory.create_batch(3)
    client = client_of(user)
    assert client.get("/api/v1/users/me/progress").json()["sessions"] == 0
    body = session_body(speeches, ["incorrect"] * 3)
    assert client.post("/api/v1/game/sessions", body, format="json").status_code == 201
    progress = client.get("/api/v1/users/me/progress").json()
    assert progress["sessions"] == 1 and len(progress["struggling_sentences"]) == 3

    archive_speeches(actor=None, speech_ids=[speeches[0].id])
    struggling = client.get("/api/v1/users/me/progress").json()["struggling_sentences"]
    assert str(speeches[0].id) not in {row["speech"]["id"] for row in struggling} and len(struggling) == 2


def test_reviews_falling_due_later_today_count_at_once_without_a_new_write(user, monkeypatch):
    monkeypatch.setattr(home_selectors, "HOME_CACHE_SECONDS", 3600)  # the cached parts outlive the wait
    speeches = SpeechFactory.create_batch(3)
    with time_machine.travel(MORNING, tick=False) as traveller:
        client = client_of(user)
        assert client.post("/api/v1/game/sessions", session_body(speeches), format="json").status_code == 201
        dues = sorted(ReviewCard.objects.filter(user=user).values_list("due", flat=True))
        assert len(dues) == 3 and all(MORNING < due < MORNING + timedelta(hours=12) for due in dues)
        queries_of(client)
        cached, before = queries_of(client)
        assert before["review"] == {"due_now": 0, "due_today": 3}

        traveller.move_to(dues[-1])
        after_count, after = queries_of(client)
        assert after["review"] == {"due_now": 3, "due_today": 3} and after_count == cached

        archive_speeches(actor=None, speech_ids=[speeches[0].id])
        assert client.get(HOME).json()["review"] == {"due_now": 2, "due_today": 2}
