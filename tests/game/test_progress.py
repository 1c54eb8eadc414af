from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from game.selectors import learner_progress
from tests.accounts.factories import UserFactory
from tests.content.factories import SpeechFactory, TagFactory
from tests.game.factories import GameSessionFactory, played_session, recount

pytestmark = pytest.mark.django_db

URL = "/api/v1/users/me/progress"
UTC = ZoneInfo("UTC")


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def sessions_at(user, *instants: str) -> None:
    for instant in instants:
        GameSessionFactory(user=user, completed_at=utc(instant))


def streak_of(user, now: str) -> dict:
    return learner_progress(user=user, now=utc(now))["streak"]


class TestStreaksInTheLearnersTimeZone:
    def test_two_utc_days_can_be_one_local_day(self, user):
        sessions_at(user, "2025-12-10T23:30:00", "2025-12-11T00:30:00")

        assert streak_of(user, "2025-12-11T12:00:00")["longest_days"] == 2
        user.timezone = "America/New_York"  # both are on the evening of Dec 10 there
        recount(user)  # days are counted in the zone the learner has when they are counted
        assert streak_of(user, "2025-12-11T12:00:00")["longest_days"] == 1

    def test_consecutive_utc_days_can_have_a_gap_locally(self, user):
        # Tokyo (UTC+9): Dec 10 23:00 and Dec 12 01:00
        sessions_at(user, "2025-12-10T14:00:00", "2025-12-11T16:00:00")

        assert streak_of(user, "2025-12-11T17:00:00")["longest_days"] == 2
        user.timezone = "Asia/Tokyo"
        recount(user)
        streak = streak_of(user, "2025-12-11T17:00:00")
        assert (streak["current_days"], streak["longest_days"]) == (1, 1)
        assert streak["last_practice_date"].isoformat() == "2025-12-12"
        assert streak["timezone"] == "Asia/Tokyo"

    def test_today_is_the_learners_today(self, user):
        user.timezone = "Asia/Tokyo"
        sessions_at(user, "2025-12-09T03:00:00", "2025-12-10T03:00:00")  # Dec 9 and Dec 10, noon in Tokyo

        # 2025-12-11T14:30Z is Dec 11 23:30 in Tokyo: yesterday's session keeps the streak.
        assert streak_of(user, "2025-12-11T14:30:00")["current_days"] == 2
        # 2025-12-11T15:30Z is already Dec 12 00:30 there: the streak has lapsed, though it is Dec 11 in UTC.
        assert streak_of(user, "2025-12-11T15:30:00")["current_days"] == 0
        assert streak_of(user, "2025-12-11T15:30:00")["longest_days"] == 2

    def test_midnight_belongs_to_the_new_day(self, user):
        sessions_at(user, "2025-12-09T23:59:59", "2025-12-10T00:00:00")

        assert streak_of(user, "2025-12-10T01:00:00")["current_days"] == 2

    def test_a_daylight_saving_change_does_not_break_a_streak(self, user):
        user.timezone = "America/New_York"
        # 23:30 local on Mar 8 (EST, UTC-5), Mar 9 (EDT from 02:00, UTC-4) and Mar 10
        sessions_at(user, "2025-03-09T04:30:00", "2025-03-10T03:30:00", "2025-03-11T03:30:00")

        assert streak_of(user, "2025-03-11T04:00:00")["current_days"] == 3

    def test_unknown_time_zone_counts_in_utc(self, user):
        user.timezone = "Mars/Olympus_Mons"
        sessions_at(user, "2025-12-10T12:00:00")

        assert streak_of(user, "2025-12-10T13:00:00")["timezone"] == "UTC"

    def test_several_sessions_a_day_count_once(self, user):
        sessions_at(user, "2025-12-10T08:00:00", "2025-12-10T09:00:00", "2025-12-10T20:00:00")

        assert streak_of(user, "2025-12-10T21:00:00")["longest_days"] == 1


@pytest.fixture
def food():
    return TagFactory(name="Food")


@pytest.fixture
def travel():
    return TagFactory(name="Travel")


def test_totals_accuracy_and_xp(auth_client, user, food, travel):
    a1 = [SpeechFactory(level="A1", tags=[food]) for _ in range(5)]
    b1 = SpeechFactory(level="B1", tags=[food, travel])
    # 5 sentences: 3 correct, two scores >= 80 -> 30 + 10 + 20 (long enough for the session bonus)
    played_session(user=user, answers=[(a1[0], "correct", 85.0), (a1[1], "correct", 80.0), (a1[2], "correct", 79.9),
                                       (a1[3], "incorrect", 30.0), (a1[4], "skipped", None)])
    # 2 sentences: 1 correct -> 10, no session bonus
    played_session(user=user, answers=[(b1, "correct", None), (a1[0], "incorrect", None)], mode="listen_only")
    played_session(user=UserFactory(), answers=[(b1, "correct", 99.0)])

    body = auth_client.get(URL).json()

    assert body["sessions"] == 2
    assert body["sentences_practised"] == 7
    assert body["distinct_sentences"] == 6
    assert body["practice_seconds"] == 120
    assert body["overall"] == {"sentences": 7, "correct": 4, "accuracy": round(4 / 7, 4)}
    assert body["by_level"] == [{"level": "A1", "sentences": 6, "correct": 3, "accuracy": 0.5},
                                {"level": "B1", "sentences": 1, "correct": 1, "accuracy": 1.0}]
    assert body["by_tag"] == [
        {"tag": {"id": str(food.id), "name": "Food"}, "sentences": 7, "correct": 4, "accuracy": round(4 / 7, 4)},
        {"tag": {"id": str(travel.id), "name": "Travel"}, "sentences": 1, "correct": 1, "accuracy": 1.0},
    ]
    assert body["xp"] == {"total": 70, "from_correct": 40, "from_high_scores": 10, "from_sessions": 20}


def test_weekly_pronunciation_covers_12_weeks_in_the_learners_zone(user):
    speech = SpeechFactory()
    now = utc("2025-12-10T12:00:00")  # a Wednesday; this week starts Monday Dec 8
    played_session(user=user, answers=[(speech, "correct", 90.0), (speech, "correct", 70.0)],
                   completed_at=utc("2025-12-09T10:00:00"))
    played_session(user=user, answers=[(speech, "correct", 60.0)], completed_at=utc("2025-11-25T10:00:00"))
    # Sunday evening in UTC, Monday morning in Tokyo
    played_session(user=user, answers=[(speech, "correct", 50.0)], completed_at=utc("2025-12-07T20:00:00"))
    played_session(user=user, answers=[(speech, "correct", 10.0)], completed_at=utc("2025-09-01T10:00:00"))
    played_session(user=user, answers=[(speech, "skipped", None)], completed_at=utc("2025-12-10T10:00:00"))

    weeks = learner_progress(user=user, now=now)["weekly_pronunciation"]

    assert len(weeks) == 12
    assert weeks[0]["week_start"].isoformat() == "2025-09-22"
    assert weeks[-1]["week_start"].isoformat() == "2025-12-08"
    by_start = {w["week_start"].isoformat(): (w["avg_pronunciation_score"], w["scored_sentences"]) for w in weeks}
    assert by_start["2025-12-08"] == (80.0, 2)
    assert by_start["2025-12-01"] == (50.0, 1)
    assert by_start["2025-11-24"] == (60.0, 1)
    assert by_start["2025-11-17"] == (None, 0)

    user.timezone = "Asia/Tokyo"
    recount(user)
    by_start = {w["week_start"].isoformat(): w["avg_pronunciation_score"]
                for w in learner_progress(user=user, now=now)["weekly_pronunciation"]}
    assert by_start["2025-12-08"] == round((90 + 70 + 50) / 3, 1)
    assert by_start["2025-12-01"] is None


def test_weak_tags_struggling_sentences_and_recommendations(auth_client, user, food, travel):
    hard = SpeechFactory(text="Hard one.", tags=[food])
    medium = SpeechFactory(text="Medium one.", tags=[food])
    easy = [SpeechFactory(tags=[travel]) for _ in range(5)]
    archived = SpeechFactory(text="Gone.", tags=[food])
    played_session(user=user, answers=[(hard, "incorrect", 20.0), (medium, "correct", 90.0),
                                       (archived, "skipped", None)] + [(s, "correct", 95.0) for s in easy])
    played_session(user=user, answers=[(hard, "skipped", None), (medium, "incorrect", 50.0)])
    archived.archived_at = timezone.now()
    archived.save()

    body = auth_client.get(URL).json()

    assert [t["tag"]["name"] for t in body["weak_tags"]] == ["Food"]  # 1 of 5 right; Travel is 5 of 5
    assert body["weak_tags"][0]["accuracy"] == 0.2
    struggling = body["struggling_sentences"]
    assert [s["speech"]["text"] for s in struggling] == ["Hard one.", "Medium one."]
    assert struggling[0] == {"speech": {"id": str(hard.id), "text": "Hard one.", "level": "A1", "type": "question"},
                             "attempts": 2, "missed": 2, "accuracy": 0.0, "avg_pronunciation_score": 20.0}
    assert struggling[1]["accuracy"] == 0.5
    kinds = [r["kind"] for r in body["recommendations"]]
    assert kinds == ["review", "weak_tag"]
    assert body["recommendations"][1]["tag"] == {"id": str(food.id), "name": "Food"}
    assert body["recommendations"][1]["level"] == "A1"


def test_strong_results_suggest_the_next_level(user):
    speeches = SpeechFactory.create_batch(10, level="A2")
    for _ in range(3):
        played_session(user=user, level="A2", answers=[(s, "correct", 90.0) for s in speeches])

    recommendations = learner_progress(user=user)["recommendations"]

    assert recommendations == [{"kind": "level_up", "level": "B1", "tag": None,
                                "reason": "You get 100% right at A2; try B1."}]


def test_a_new_learner_gets_an_empty_progress_and_a_place_to_start(auth_client):
    body = auth_client.get(URL).json()

    assert body["sessions"] == body["sentences_practised"] == 0
    assert body["overall"] == {"sentences": 0, "correct": 0, "accuracy": None}
    assert body["by_level"] == body["by_tag"] == body["weak_tags"] == body["struggling_sentences"] == []
    assert body["streak"] == {"current_days": 0, "longest_days": 0, "last_practice_date": None, "timezone": "UTC"}
    assert body["xp"]["total"] == 0
    assert len(body["weekly_pronunciation"]) == 12
    assert [r["kind"] for r in body["recommendations"]] == ["get_started"]


def test_streak_through_the_api_uses_the_users_time_zone(auth_client, user):
    user.timezone = "Pacific/Kiritimati"  # UTC+14
    user.save()
    now = timezone.now()
    for days_ago in (0, 1, 2):
        GameSessionFactory(user=user, completed_at=now - timedelta(days=days_ago))
    local_now = now.astimezone(ZoneInfo("Pacific/Kiritimati"))  # no DST there: 24 hours is one local day

    streak = auth_client.get(URL).json()["streak"]

    assert streak["current_days"] == 3
    assert streak["last_practice_date"] == local_now.date().isoformat()


def test_anonymous_is_401(api_client):
    assert api_client.get(URL).status_code == 401


PROGRESS_QUERIES = 5  # user, totals, tags, weeks of the chart, most-missed sentences; none per result


@pytest.mark.parametrize("sessions", [2, 12])
def test_query_count_does_not_grow_with_history(auth_client, user, food, sessions, django_assert_num_queries):
    speeches = [SpeechFactory(tags=[food]) for _ in range(4)]
    for n in range(sessions):
        played_session(user=user, answers=[(s, "incorrect" if n % 2 else "correct", 70.0) for s in speeches],
                       completed_at=timezone.now() - timedelta(days=n))

    with django_assert_num_queries(PROGRESS_QUERIES):
        assert auth_client.get(URL).status_code == 200
