"""rebuild_stats and `manage.py rebuild_rewards`: the aggregates recomputed from the rows agree with the
incremental ones."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.management import CommandError, call_command

from rewards import services
from rewards.models import LearnerStats
from tests.accounts.factories import UserFactory
from tests.rewards.factories import AchievementFactory, facts

pytestmark = pytest.mark.django_db

NOON = datetime(2026, 5, 10, 12, 0, tzinfo=UTC)
FIELDS = ["total_xp", "sessions", "sentences", "high_score_sentences", "high_scores_by_level", "lessons_completed",
          "courses_completed", "current_streak", "longest_streak", "last_active_day", "streak_freezes",
          "daily_xp_goal"]


def snapshot(user):
    return dict(LearnerStats.objects.filter(user=user).values(*FIELDS).get())


def history(user):
    """Three weeks with gaps: a freeze earned, one used, a reset, achievements, lessons, scores at two levels."""
    AchievementFactory(kind="sessions", threshold=5, xp_reward=30)
    AchievementFactory(kind="total_xp", threshold=1000, xp_reward=0)
    services.set_daily_goal(user=user, daily_xp_goal=70)
    for offset in [*range(8), 9, 10, 14, 15]:
        at = NOON + timedelta(days=offset)
        with time_machine.travel(at, tick=False):
            services.record_session(user=user, facts=facts(
                completed_at=at, level="B1" if offset % 2 else "A1", high_scores=offset % 3,
                lesson_completed=offset == 3, course_completed=offset == 10))


def test_rebuild_gives_back_what_the_incremental_count_holds(user):
    history(user)
    kept = snapshot(user)
    assert (kept["current_streak"], kept["longest_streak"], kept["streak_freezes"]) == (2, 10, 0)

    LearnerStats.objects.filter(user=user).update(total_xp=1, sessions=0, current_streak=0, longest_streak=0,
                                                  streak_freezes=2, high_scores_by_level={}, last_active_day=None)
    services.rebuild_stats(user=user)

    assert snapshot(user) == kept


def test_the_command_rebuilds_one_learner_or_all(user, capsys):
    other = UserFactory(email="other@example.com")
    history(user)
    services.record_session(user=other, facts=facts())
    LearnerStats.objects.update(total_xp=0)

    call_command("rebuild_rewards", "--email", "OTHER@example.com")
    assert LearnerStats.objects.get(user=other).total_xp == 95
    assert LearnerStats.objects.get(user=user).total_xp == 0

    call_command("rebuild_rewards")
    assert LearnerStats.objects.get(user=user).total_xp > 0
    assert "Rebuilt the reward stats of 2 learner(s)." in capsys.readouterr().out


def test_the_command_refuses_an_unknown_email(db):
    with pytest.raises(CommandError, match="nobody@example.com"):
        call_command("rebuild_rewards", "--email", "nobody@example.com")
