"""A saved session sets the learning loop in motion: XP, achievements, lessons, review memory, home screen."""

import random
import threading
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection, connections
from rest_framework.test import APIClient

from game.models import GameSession, LearnerTagStats, ReviewCard
from game.services.tag_stats import rebuild_tag_stats
from rewards.models import AchievementAward, LearnerStats, XpEvent
from tests.accounts.factories import UserFactory
from tests.conftest import bearer
from tests.content.factories import SpeechFactory, TagFactory
from tests.courses.factories import build_course, speeches_of
from tests.game.payloads import session_body
from tests.rewards.factories import AchievementFactory

pytestmark = pytest.mark.django_db

SESSIONS = "/api/v1/game/sessions"
HOME = "/api/v1/home"


def save(client, body, **headers):
    return client.post(SESSIONS, body, format="json", headers=headers)


def client_of(user) -> APIClient:
    """Signed in at the current (possibly travelled-to) time: a token from the future is refused."""
    client = APIClient()
    client.credentials(**bearer(user))
    return client


def test_a_saved_session_answers_with_its_xp_and_the_achievement_it_earned(auth_client, user):
    AchievementFactory(code="first-session", kind="first_session", threshold=1, xp_reward=10, name="First steps")
    speeches = SpeechFactory.create_batch(5)
    response = save(auth_client, session_body(speeches, ["correct"] * 4 + ["incorrect"], mode="listen_and_repeat",
                                              scores=[90, 85, 70, 60, 20]))
    assert response.status_code == 201
    rewards = response.json()["rewards"]
    # 4 correct x 10, 2 scores >= 80 x 5, a 5-sentence session +20, the achievement +10.
    assert rewards["xp_awarded"] == 40 + 10 + 20 + 10
    assert rewards["xp_total"] == 80
    assert [a["code"] for a in rewards["achievements"]] == ["first-session"]
    assert response.json()["lesson"] is None
    assert XpEvent.objects.filter(user=user).count() == 4
    assert sum(XpEvent.objects.filter(user=user).values_list("amount", flat=True)) == 80
    assert ReviewCard.objects.filter(user=user).count() == 5


def test_a_retried_save_repeats_the_rewards_and_pays_nothing_twice(auth_client, user):
    AchievementFactory(code="first-session", kind="first_session", threshold=1, xp_reward=10)
    body = session_body(SpeechFactory.create_batch(2))
    first = save(auth_client, body, **{"Idempotency-Key": "retry-1"})
    again = save(auth_client, body, **{"Idempotency-Key": "retry-1"})
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert first.json()["rewards"]["achievements"][0]["code"] == "first-session"
    assert LearnerStats.objects.get(user=user).total_xp == first.json()["rewards"]["xp_total"]
    assert AchievementAward.objects.filter(user=user).count() == 1


def test_a_lesson_session_completes_the_lesson_and_unlocks_the_next(auth_client, user):
    course, lessons = build_course(units=[[3, 2]], status="published")
    speeches = speeches_of(lessons[0])
    started = auth_client.post(f"/api/v1/lessons/{lessons[0].id}/start", format="json")
    assert started.status_code == 200
    assert [s["id"] for s in started.json()["speeches"]] == [str(s.id) for s in speeches]

    response = save(auth_client, session_body(speeches, lesson_id=str(lessons[0].id)))
    assert response.status_code == 201
    lesson = response.json()["lesson"]
    assert lesson == {"lesson_id": str(lessons[0].id), "course_id": str(course.id), "score": 100.0, "passed": True,
                      "completed": True, "course_completed": False, "next_lesson_id": str(lessons[1].id)}
    assert response.json()["rewards"]["xp_awarded"] == 3 * 10 + 50  # lesson completed: +50
    assert GameSession.objects.get(user=user).lesson_id == lessons[0].id
    assert auth_client.post(f"/api/v1/lessons/{lessons[1].id}/start", format="json").status_code == 200
    home = auth_client.get(HOME).json()
    assert home["next_lesson"]["lesson_id"] == str(lessons[1].id)


def test_a_lesson_session_with_foreign_sentences_or_a_locked_lesson_writes_nothing(auth_client, user):
    _course, lessons = build_course(units=[[2, 2]], status="published")
    foreign = SpeechFactory()
    mismatch = save(auth_client, session_body([*speeches_of(lessons[0])[:1], foreign], lesson_id=str(lessons[0].id)))
    assert mismatch.status_code == 400
    assert mismatch.json()["code"] == "lesson_mismatch"
    assert mismatch.json()["errors"]["speech_ids"] == [str(foreign.id)]
    locked = save(auth_client, session_body(speeches_of(lessons[1]), lesson_id=str(lessons[1].id)))
    assert locked.status_code == 409 and locked.json()["code"] == "lesson_locked"
    assert not GameSession.objects.filter(user=user).exists()
    assert not XpEvent.objects.filter(user=user).exists()
    assert not ReviewCard.objects.filter(user=user).exists()


def test_home_shows_streak_xp_goal_review_and_weak_tags(auth_client, user):
    AchievementFactory(code="first-session", kind="first_session", threshold=1, xp_reward=0)
    travel = TagFactory(name="travel")
    speeches = SpeechFactory.create_batch(5, tags=[travel])
    with time_machine.travel(datetime(2026, 11, 2, 9, tzinfo=ZoneInfo("UTC")), tick=False):
        assert save(client_of(user), session_body(speeches, ["incorrect"] * 4 + ["correct"])).status_code == 201
    with time_machine.travel(datetime(2026, 11, 3, 9, tzinfo=ZoneInfo("UTC")), tick=False):
        body = client_of(user).get(HOME).json()
    assert body["streak"]["current_days"] == 1
    assert body["xp"] == {"total": 30, "today": 0, "daily_goal": 50, "goal_reached": False}
    assert body["level"]["level"] == 1
    # New sentences go through FSRS's short learning steps: all five are due again by the next day.
    assert body["review"] == {"due_now": 5, "due_today": 5}
    assert body["weak_tags"][0]["tag"]["name"] == "travel" and body["weak_tags"][0]["correct"] == 1
    assert [a["code"] for a in body["new_achievements"]] == ["first-session"]
    assert auth_client.post("/api/v1/users/me/achievements/seen").status_code == 204
    assert auth_client.get(HOME).json()["new_achievements"] == []


def test_home_costs_the_same_queries_whatever_the_history(auth_client, user, django_assert_max_num_queries):
    _course, _lessons = build_course(units=[[2]], status="published")
    speeches = SpeechFactory.create_batch(10, tags=[TagFactory()])
    auth_client.get(HOME)  # the session and user lookups are the same for both reads
    with django_assert_max_num_queries(12) as few:
        auth_client.get(HOME)
    for day in range(8):
        with time_machine.travel(datetime(2026, 11, 2 + day, 9, tzinfo=ZoneInfo("UTC")), tick=False):
            assert save(client_of(user), session_body(speeches)).status_code == 201
    auth_client.get(HOME)  # the saves made the cached parts stale: read them once more
    with django_assert_max_num_queries(12) as many:
        assert auth_client.get(HOME).status_code == 200
    assert len(many.captured_queries) == len(few.captured_queries)


def test_tag_counts_equal_a_full_recount_after_random_saves(auth_client, user):
    rng = random.Random(5)
    tags = TagFactory.create_batch(4)
    speeches = [SpeechFactory(tags=rng.sample(tags, rng.randint(0, 2))) for _ in range(12)]
    for _ in range(15):
        chosen = rng.sample(speeches, rng.randint(1, 6))
        assert save(auth_client, session_body(chosen, [rng.choice(["correct", "incorrect", "skipped"])
                                                       for _ in chosen])).status_code == 201
    live = set(LearnerTagStats.objects.filter(user=user).values_list("tag_id", "sentences", "correct"))
    rebuild_tag_stats(user=user)
    assert set(LearnerTagStats.objects.filter(user=user).values_list("tag_id", "sentences", "correct")) == live
    assert live


def test_home_needs_a_signed_in_learner(api_client):
    assert api_client.get(HOME).status_code == 401


@pytest.mark.django_db(transaction=True)
def test_twenty_simultaneous_saves_award_each_achievement_once_and_count_xp_once():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (run with DATABASE_URL=postgres://...): SQLite serialises every writer")
    learner = UserFactory()
    AchievementFactory(code="first-session", kind="first_session", threshold=1, xp_reward=10)
    AchievementFactory(code="sessions-10", kind="sessions", threshold=10, xp_reward=30)
    speeches = SpeechFactory.create_batch(3)
    now = datetime.now(ZoneInfo("UTC"))
    bodies = [session_body(speeches, completed_at=now - timedelta(seconds=n + 1)) for n in range(20)]
    gate = threading.Barrier(20)
    statuses = []

    def one(n: int) -> None:
        client = APIClient()
        client.credentials(**bearer(learner))
        gate.wait()
        try:
            statuses.append(save(client, bodies[n]).status_code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=one, args=(n,)) for n in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [201] * 20
    assert sorted(AchievementAward.objects.filter(user=learner).values_list("achievement__code", flat=True)) == [
        "first-session", "sessions-10"]
    # Each session: 3 correct x 10; no long-session bonus under 5 sentences; plus the two achievements once.
    assert LearnerStats.objects.get(user=learner).total_xp == 20 * 30 + 10 + 30
    assert sum(XpEvent.objects.filter(user=learner).values_list("amount", flat=True)) == 20 * 30 + 40
    assert LearnerStats.objects.get(user=learner).sessions == 20
