"""The rewards endpoints and the home screen's summary."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from rest_framework.test import APIClient

from rewards import selectors, services
from rewards.models import AchievementAward, LearnerStats
from tests.accounts.factories import UserFactory
from tests.rewards.factories import AchievementFactory, facts

pytestmark = pytest.mark.django_db

NOON = datetime(2026, 5, 10, 12, 0, tzinfo=UTC)


def record(user, at=NOON, **overrides):
    with time_machine.travel(at, tick=False):
        return services.record_session(user=user, facts=facts(completed_at=at, **overrides))


@pytest.mark.parametrize(("method", "path"), [
    ("get", "/api/v1/users/me/achievements"), ("post", "/api/v1/users/me/achievements/seen"),
    ("get", "/api/v1/users/me/xp"), ("put", "/api/v1/users/me/goal"),
])
def test_every_endpoint_needs_a_token(api_client, method, path):
    response = getattr(api_client, method)(path, {}, format="json")

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_achievements_list_the_catalogue_with_progress(auth_client, user):
    AchievementFactory(code="three", name="Three sessions", kind="sessions", threshold=3, xp_reward=30, position=2,
                       icon_url="https://cdn.example.com/three.png")
    AchievementFactory(code="first", kind="first_session", threshold=1, position=1)
    AchievementFactory(code="b1", kind="level_mastered", level="B1", threshold=10, position=3)
    AchievementFactory(code="hidden", is_active=False, position=0)
    retired = AchievementFactory(code="retired", kind="total_xp", threshold=10, position=4)
    record(user, level="B1", high_scores=4)
    retired.is_active = False
    retired.save()

    response = auth_client.get("/api/v1/users/me/achievements")

    assert response.status_code == 200
    rows = response.json()["achievements"]
    assert [row["code"] for row in rows] == ["first", "three", "b1", "retired"]
    first, three, b1, retired_row = rows
    assert first["earned"] is True and first["awarded_at"] == "2026-05-10T12:00:00Z" and first["progress"] == 1
    assert three == {"code": "three", "name": "Three sessions", "description": "Earned by practising.",
                     "icon_url": "https://cdn.example.com/three.png", "kind": "sessions", "threshold": 3,
                     "level": None, "xp_reward": 30, "earned": False, "awarded_at": None, "progress": 1}
    assert (b1["level"], b1["progress"], b1["earned"]) == ("B1", 4, False)
    assert retired_row["earned"] is True


def test_seen_empties_the_new_achievements_of_the_summary(auth_client, user):
    AchievementFactory(code="first", kind="first_session", threshold=1, xp_reward=5)
    record(user)
    assert [a["code"] for a in selectors.learner_summary(user=user)["new_achievements"]] == ["first"]

    response = auth_client.post("/api/v1/users/me/achievements/seen")

    assert response.status_code == 204
    assert selectors.learner_summary(user=user)["new_achievements"] == []
    assert AchievementAward.objects.get(user=user).seen_at is not None
    assert auth_client.post("/api/v1/users/me/achievements/seen").status_code == 204


def test_the_xp_ledger_is_paginated_newest_first(auth_client, user):
    AchievementFactory(code="first", kind="first_session", threshold=1, xp_reward=5)
    first = record(user, sentences=2, correct=1)
    session_id = uuid.uuid4()
    record(user, at=NOON + timedelta(hours=1), session_id=session_id, sentences=1, correct=1)

    response = auth_client.get("/api/v1/users/me/xp", {"limit": 2})

    assert response.status_code == 200
    body = response.json()
    assert body["pagination"] == {"page": 1, "limit": 2, "total": 3, "total_pages": 2}
    assert body["events"][0] == {"amount": 10, "reason": "correct_answers", "session_id": str(session_id),
                                 "achievement": None, "local_day": "2026-05-10",
                                 "created_at": "2026-05-10T13:00:00Z"}
    second_page = auth_client.get("/api/v1/users/me/xp", {"limit": 2, "page": 2}).json()["events"]
    assert [(e["reason"], e["achievement"]) for e in [body["events"][1], *second_page]] in (
        [("correct_answers", None), ("achievement", "first")], [("achievement", "first"), ("correct_answers", None)])
    assert first.xp_awarded == 15


def test_the_ledger_shows_only_the_callers_events(auth_client):
    record(UserFactory())

    assert auth_client.get("/api/v1/users/me/xp").json()["events"] == []


def test_a_bad_page_is_400(auth_client):
    assert auth_client.get("/api/v1/users/me/xp", {"limit": 0}).status_code == 400


def test_set_the_daily_goal(auth_client, user):
    response = auth_client.put("/api/v1/users/me/goal", {"daily_xp_goal": 120}, format="json")

    assert response.status_code == 200
    assert response.json() == {"daily_xp_goal": 120}
    assert LearnerStats.objects.get(user=user).daily_xp_goal == 120
    assert selectors.learner_summary(user=user)["xp"]["daily_goal"] == 120


@pytest.mark.parametrize("body", [{"daily_xp_goal": 9}, {"daily_xp_goal": 1001}, {"daily_xp_goal": "lots"}, {}])
def test_a_daily_goal_out_of_range_is_400_and_writes_nothing(auth_client, body):
    response = auth_client.put("/api/v1/users/me/goal", body, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_input"
    assert "daily_xp_goal" in response.json()["errors"]
    assert not LearnerStats.objects.exists()


def test_the_service_refuses_a_goal_out_of_range_too(user):
    from rewards.exceptions import InvalidDailyGoal

    with pytest.raises(InvalidDailyGoal):
        services.set_daily_goal(user=user, daily_xp_goal=5)


def test_the_goal_applies_to_the_next_sessions(user):
    services.set_daily_goal(user=user, daily_xp_goal=20)

    assert record(user, sentences=2, correct=2).daily_goal_reached is True


# --- the summary -----------------------------------------------------------------------


def test_summary_of_a_learner_with_nothing_yet(user, django_assert_max_num_queries):
    with django_assert_max_num_queries(3):
        summary = selectors.learner_summary(user=user)

    assert summary == {
        "xp": {"total": 0, "today": 0, "daily_goal": 50, "goal_reached": False},
        "level": {"level": 1, "xp_into_level": 0, "xp_for_next_level": 100},
        "streak": {"current_days": 0, "longest_days": 0, "freezes": 0, "protected": False},
        "new_achievements": [],
    }
    assert not LearnerStats.objects.exists()


def test_summary_in_three_queries_however_long_the_history(django_assert_num_queries):
    learner = UserFactory(timezone="Asia/Tokyo")
    AchievementFactory.create_batch(3, kind="sessions", threshold=1, xp_reward=10)
    for offset in range(10):
        record(learner, at=NOON + timedelta(days=offset))
    today = NOON + timedelta(days=9, hours=1)

    with django_assert_num_queries(3):
        summary = selectors.learner_summary(user=learner, now=today)

    assert summary["xp"] == {"total": 980, "today": 95, "daily_goal": 50, "goal_reached": True}
    assert summary["level"] == {"level": 4, "xp_into_level": 380, "xp_for_next_level": 400}
    assert summary["streak"] == {"current_days": 10, "longest_days": 10, "freezes": 1, "protected": False}
    assert len(summary["new_achievements"]) == 3
    assert set(summary["new_achievements"][0]) == {"code", "name", "description", "icon_url", "xp_reward",
                                                   "awarded_at"}


def test_the_displayed_streak_is_protected_while_the_freezes_would_cover_the_gap(user):
    for offset in range(7):                       # one freeze earned on day 7
        record(user, at=NOON + timedelta(days=offset))
    last = NOON + timedelta(days=6)

    def streak(on):
        return selectors.learner_summary(user=user, now=on)["streak"]

    assert streak(last + timedelta(days=1)) == {"current_days": 7, "longest_days": 7, "freezes": 1,
                                                "protected": False}
    assert streak(last + timedelta(days=2))["current_days"] == 7
    assert streak(last + timedelta(days=2))["protected"] is True
    assert streak(last + timedelta(days=3))["current_days"] == 0
    assert streak(last + timedelta(days=3))["protected"] is False


def test_todays_xp_in_the_summary_uses_the_learners_day(user):
    tokyo = UserFactory(timezone="Asia/Tokyo")
    record(tokyo, at=datetime(2026, 5, 1, 14, 50, tzinfo=UTC))            # 23:50 May 1 in Tokyo

    assert selectors.learner_summary(user=tokyo, now=datetime(2026, 5, 1, 14, 59, tzinfo=UTC))["xp"]["today"] == 95
    assert selectors.learner_summary(user=tokyo, now=datetime(2026, 5, 1, 15, 1, tzinfo=UTC))["xp"]["today"] == 0


def test_xp_breakdown_sums_per_reason(user):
    AchievementFactory(kind="first_session", threshold=1, xp_reward=7)
    record(user, high_scores=2)
    record(user, at=NOON + timedelta(hours=1), sentences=3, correct=3)

    breakdown = selectors.xp_breakdown(user=user)

    assert breakdown["correct_answers"] == 80 and breakdown["high_scores"] == 10
    assert breakdown["achievement"] == 7 and breakdown["granted"] == 0
    assert sum(breakdown.values()) == LearnerStats.objects.get(user=user).total_xp


def test_the_schema_documents_the_endpoints(staff_client):
    response = APIClient().get("/api/schema/", {"format": "json"})
    if response.status_code in (401, 403):
        response = staff_client.get("/api/schema/", {"format": "json"})
    paths = response.json()["paths"]

    assert {"/api/v1/users/me/achievements", "/api/v1/users/me/achievements/seen", "/api/v1/users/me/xp",
            "/api/v1/users/me/goal"} <= set(paths)
    assert "10 per correct sentence" in paths["/api/v1/users/me/xp"]["get"]["description"]
