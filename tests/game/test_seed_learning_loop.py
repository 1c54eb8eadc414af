"""`manage.py seed` fills the learning loop: a course to follow, achievements, learners with XP."""

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from rest_framework.test import APIClient

from courses.models import Course, Lesson
from game.models import GameSession
from rewards.models import Achievement, AchievementAward
from tests.conftest import bearer

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def seed_passwords(settings):
    settings.SEED_STAFF_PASSWORD = "editor-demo-pass-1"
    settings.SEED_LEARNER_PASSWORD = "learner-demo-pass-1"


def seed() -> str:
    out = io.StringIO()
    call_command("seed", "--speeches", "300", stdout=out)
    return out.getvalue()


def test_seed_gives_the_demo_learner_a_course_xp_and_achievements_once():
    output = seed()
    assert "Learning loop: 1 course (9 lessons), 11 achievements" in output
    assert Course.objects.filter(status="published").count() == 1
    assert Lesson.objects.count() == 9 and Achievement.objects.count() == 11
    learner = get_user_model().objects.get(email="learner1@example.com")
    client = APIClient()
    client.credentials(**bearer(learner))
    home = client.get("/api/v1/home").json()
    assert home["xp"]["total"] > 0 and home["streak"]["current_days"] == 1
    assert home["next_lesson"]["lesson_title"] == "Saying hello"
    assert "first-session" in [a["code"] for a in home["new_achievements"]]
    # A league of mates who played this week, two of them friends.
    assert home["league"]["rank"] is not None and home["league"]["members"] == 3 + 24
    table = client.get("/api/v1/leagues/current").json()["league"]
    assert len(table["entries"]) == 27 and sum(row["is_me"] for row in table["entries"]) == 1
    assert [row["xp"] for row in table["entries"]] == sorted((row["xp"] for row in table["entries"]), reverse=True)
    board = client.get("/api/v1/friends/leaderboard").json()["entries"]
    assert len(board) == 3 and all(row["xp"] > 0 for row in board)
    courses = client.get("/api/v1/courses").json()["courses"]
    assert [c["lessons_count"] for c in courses] == [9]

    sessions, awards = GameSession.objects.count(), AchievementAward.objects.count()
    again = seed()
    assert ("Learning loop: 0 course (0 lessons), 0 achievements, 0 practice sessions played, 0 league mates."
            in again)
    assert (GameSession.objects.count(), AchievementAward.objects.count()) == (sessions, awards)
