"""Each kind of achievement is awarded once, by the session that crosses its threshold, with its XP."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError

from rewards import services
from rewards.models import AchievementAward, LearnerStats, XpEvent
from tests.rewards.factories import AchievementFactory, facts

pytestmark = pytest.mark.django_db

START = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)

# kind, level, threshold, the sessions saved one a day (facts overrides), the index of the one that crosses.
CASES = {
    "first_session": ("", 1, [{}, {}], 0),
    "sessions": ("", 3, [{}, {}, {}, {}], 2),
    "streak_days": ("", 3, [{}, {}, {}, {}], 2),
    "high_score_sentences": ("", 6, [{"high_scores": 5}, {"high_scores": 0}, {"high_scores": 1}, {"high_scores": 5}],
                             2),
    "lessons_completed": ("", 2, [{"lesson_completed": True}, {}, {"lesson_completed": True},
                                  {"lesson_completed": True}], 2),
    "courses_completed": ("", 1, [{}, {"course_completed": True}, {"course_completed": True}], 1),
    # Scores at another level do not count toward B1.
    "level_mastered": ("B1", 3, [{"level": "A1", "high_scores": 5}, {"level": "B1", "high_scores": 2},
                                 {"level": "B1", "high_scores": 1}, {"level": "B1", "high_scores": 4}], 2),
    # 95 XP a session: the second reaches 190.
    "total_xp": ("", 150, [{}, {}, {}], 1),
}


@pytest.mark.parametrize("kind", CASES)
def test_awarded_once_when_the_threshold_is_crossed(user, kind):
    level, threshold, sessions, crossing = CASES[kind]
    achievement = AchievementFactory(kind=kind, level=level, threshold=threshold, xp_reward=40)
    for index, overrides in enumerate(sessions):
        at = START + timedelta(days=index)
        with time_machine.travel(at, tick=False):
            session = facts(completed_at=at, **overrides)
            rewards = services.record_session(user=user, facts=session)

        assert [a.code for a in rewards.achievements] == ([achievement.code] if index == crossing else []), index
        if index == crossing:
            assert rewards.achievements[0].xp_reward == 40
            assert rewards.achievements[0].awarded_at == at
            award = AchievementAward.objects.get(user=user)
            assert (award.session_id, award.awarded_at) == (session.session_id, at)
            event = XpEvent.objects.get(user=user, reason="achievement")
            assert (event.amount, event.achievement, event.session_id) == (40, achievement, session.session_id)
            assert rewards.xp_awarded == sum(XpEvent.objects.filter(session_id=session.session_id)
                                             .values_list("amount", flat=True))
    assert AchievementAward.objects.filter(user=user).count() == 1
    assert LearnerStats.objects.get(user=user).total_xp == sum(XpEvent.objects.values_list("amount", flat=True))


def test_an_achievements_xp_can_cross_a_total_xp_threshold_in_the_same_session(user):
    AchievementFactory(code="first", kind="first_session", threshold=1, xp_reward=10)
    AchievementFactory(code="hundred", kind="total_xp", threshold=100, xp_reward=0)

    rewards = services.record_session(user=user, facts=facts())    # 95 + 10 = 105

    assert {a.code for a in rewards.achievements} == {"first", "hundred"}
    assert rewards.xp_awarded == 105 and rewards.level == 2
    # No XP row for an achievement worth nothing.
    assert XpEvent.objects.filter(reason="achievement").count() == 1


def test_inactive_achievements_are_not_awarded(user):
    AchievementFactory(kind="first_session", is_active=False)

    assert services.record_session(user=user, facts=facts()).achievements == ()
    assert not AchievementAward.objects.exists()


def test_an_achievement_added_later_is_awarded_at_the_next_session_that_can_change_its_count(user):
    services.record_session(user=user, facts=facts())
    AchievementFactory(code="one-session", kind="sessions", threshold=1)
    AchievementFactory(code="one-lesson", kind="lessons_completed", threshold=1)

    rewards = services.record_session(user=user, facts=facts(session_id=uuid.uuid4()))

    assert [a.code for a in rewards.achievements] == ["one-session"]


@pytest.mark.parametrize(("fields", "error_field"), [
    ({"kind": "level_mastered", "level": ""}, "level"),
    ({"kind": "sessions", "level": "B1"}, "level"),
    ({"kind": "first_session", "threshold": 3}, "threshold"),
    ({"kind": "sessions", "threshold": 0}, "threshold"),
])
def test_the_catalogue_refuses_inconsistent_achievements(fields, error_field):
    achievement = AchievementFactory.build(**fields)

    with pytest.raises(ValidationError) as raised:
        achievement.full_clean()

    assert error_field in raised.value.message_dict


def test_the_answer_is_json_ready_and_a_replay_repeats_it_with_its_achievements(user):
    import json

    AchievementFactory(code="first", name="First!", kind="first_session", threshold=1, xp_reward=10,
                       icon_url="https://cdn.example.com/first.png")
    session = facts(completed_at=START)
    with time_machine.travel(START, tick=False):
        first = services.record_session(user=user, facts=session)
        replay = services.record_session(user=user, facts=session)

    assert replay == first
    body = json.loads(json.dumps(first.as_dict()))
    assert body["achievements"] == [{"code": "first", "name": "First!", "description": "Earned by practising.",
                                     "icon_url": "https://cdn.example.com/first.png", "xp_reward": 10,
                                     "awarded_at": "2026-06-01T09:00:00+00:00"}]
    assert (body["xp_awarded"], body["xp_total"], body["streak_days"]) == (105, 105, 1)
    assert XpEvent.objects.filter(user=user).count() == 4
