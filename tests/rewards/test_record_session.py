"""record_session, as the game app calls it: XP rows, totals, levels, daily goal, local days, streaks."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from rewards import services
from rewards.exceptions import InvalidSessionFacts
from rewards.models import AchievementAward, LearnerStats, RewardedSession, StreakFreezeGrant, StreakFreezeUse, XpEvent
from tests.accounts.factories import UserFactory
from tests.rewards.factories import AchievementFactory, facts

pytestmark = pytest.mark.django_db

NOON = datetime(2026, 5, 10, 12, 0, tzinfo=UTC)


def record(user, at=None, **overrides):
    """A session completed (and saved) at `at`."""
    at = at or NOON
    with time_machine.travel(at, tick=False):
        return services.record_session(user=user, facts=facts(completed_at=at, **overrides))


def ledger(user):
    return sorted(XpEvent.objects.filter(user=user).values_list("reason", "amount"))


def test_each_reason_is_a_ledger_row_and_the_totals_agree(user):
    rewards = record(user, sentences=6, correct=6, high_scores=3, lesson_completed=True, course_completed=True)

    assert ledger(user) == sorted([("correct_answers", 60), ("high_scores", 15), ("long_session", 20),
                                   ("perfect_session", 25), ("lesson_completed", 50), ("course_completed", 200)])
    assert rewards.xp_awarded == rewards.xp_total == 370
    stats = LearnerStats.objects.get(user=user)
    assert (stats.total_xp, stats.sessions, stats.sentences, stats.high_score_sentences) == (370, 1, 6, 3)
    assert (stats.lessons_completed, stats.courses_completed, stats.high_scores_by_level) == (1, 1, {"A1": 3})
    assert {event.local_day for event in XpEvent.objects.filter(user=user)} == {NOON.date()}


def test_a_short_imperfect_session_earns_only_its_correct_answers(user):
    rewards = record(user, sentences=3, correct=2)

    assert ledger(user) == [("correct_answers", 20)]
    assert rewards.xp_awarded == 20


def test_a_session_with_nothing_earned_writes_no_xp_row_but_counts(user):
    rewards = record(user, sentences=2, correct=0)

    assert XpEvent.objects.count() == 0
    assert rewards.xp_awarded == 0 and rewards.streak_days == 1
    assert LearnerStats.objects.get(user=user).sessions == 1


def test_a_session_is_never_paid_twice(user):
    session = facts(completed_at=NOON)
    with time_machine.travel(NOON, tick=False):
        first = services.record_session(user=user, facts=session)
        second = services.record_session(user=user, facts=session)

    assert second == first
    assert XpEvent.objects.filter(user=user).count() == 3
    stats = LearnerStats.objects.get(user=user)
    assert (stats.total_xp, stats.sessions, stats.current_streak) == (95, 1, 1)
    assert RewardedSession.objects.count() == 1


def test_the_same_session_id_for_two_learners_pays_both(user):
    session = facts(completed_at=NOON)
    other = UserFactory()
    services.record_session(user=user, facts=session)
    services.record_session(user=other, facts=session)

    assert XpEvent.objects.filter(user=user).count() == XpEvent.objects.filter(user=other).count() == 3


@pytest.mark.parametrize(("overrides", "field"), [
    ({"correct": 6}, "correct"), ({"high_scores": -1}, "high_scores"), ({"level": "Z9"}, "level"),
    ({"completed_at": datetime(2026, 5, 10, 12, 0)}, "completed_at"),
])
def test_facts_that_do_not_add_up_write_nothing(user, overrides, field):
    with pytest.raises(InvalidSessionFacts) as raised:
        services.record_session(user=user, facts=facts(**overrides))

    assert field in raised.value.errors
    assert XpEvent.objects.count() == RewardedSession.objects.count() == LearnerStats.objects.count() == 0


def test_levels_at_their_thresholds(user):
    first = record(user, sentences=5, correct=5)                      # 95 XP: still level 1
    second = record(user, at=NOON + timedelta(minutes=1), sentences=1, correct=1, session_id=uuid.uuid4())
    third = record(user, at=NOON + timedelta(minutes=2), sentences=10, correct=10, high_scores=10)  # +195 -> 300

    assert (first.level, first.level_up) == (1, False)
    assert (second.xp_total, second.level, second.level_up) == (105, 2, True)
    assert (third.xp_total, third.level, third.level_up) == (300, 3, True)


def test_daily_goal_is_reached_by_the_session_that_crosses_it(user):
    services.set_daily_goal(user=user, daily_xp_goal=100)
    first = record(user)                                              # 95
    second = record(user, at=NOON + timedelta(minutes=5), sentences=1, correct=1)   # 105
    third = record(user, at=NOON + timedelta(minutes=9), sentences=1, correct=1)    # 115

    assert (first.today_xp, first.daily_goal, first.daily_goal_reached) == (95, 100, False)
    assert (second.today_xp, second.daily_goal_reached) == (105, True)
    assert (third.today_xp, third.daily_goal_reached) == (115, False)


def test_todays_xp_follows_the_learners_midnight_in_tokyo_not_utc():
    tokyo, utc = UserFactory(timezone="Asia/Tokyo"), UserFactory(timezone="UTC")
    before_midnight = datetime(2026, 5, 1, 14, 50, tzinfo=UTC)   # 23:50 in Tokyo
    after_midnight = datetime(2026, 5, 1, 15, 10, tzinfo=UTC)    # 00:10 on May 2 in Tokyo
    for learner in (tokyo, utc):
        record(learner, at=before_midnight)
        rewards = record(learner, at=after_midnight, sentences=1, correct=1)

        assert rewards.today_xp == (10 if learner is tokyo else 105)
    assert set(XpEvent.objects.filter(user=tokyo).values_list("local_day", flat=True)) == {
        datetime(2026, 5, 1).date(), datetime(2026, 5, 2).date()}
    # Tokyo practised on two consecutive local days; UTC on one.
    assert LearnerStats.objects.get(user=tokyo).current_streak == 2
    assert LearnerStats.objects.get(user=utc).current_streak == 1


@pytest.mark.parametrize(("evening_before", "late_in_the_day", "next_day"), [
    # 2026-11-01 has 25 hours in New York (EDT -> EST): 23:30 EST is 04:30 UTC the next day.
    (datetime(2026, 11, 1, 2, 0, tzinfo=UTC), datetime(2026, 11, 2, 4, 30, tzinfo=UTC),
     datetime(2026, 11, 2, 5, 10, tzinfo=UTC)),
    # 2026-03-08 has 23 hours (EST -> EDT): 23:50 EDT is 03:50 UTC, and midnight is 04:00 UTC.
    (datetime(2026, 3, 8, 3, 0, tzinfo=UTC), datetime(2026, 3, 9, 3, 50, tzinfo=UTC),
     datetime(2026, 3, 9, 4, 10, tzinfo=UTC)),
])
def test_todays_xp_across_a_dst_change_in_new_york(evening_before, late_in_the_day, next_day):
    learner = UserFactory(timezone="America/New_York")
    record(learner, at=evening_before)
    late = record(learner, at=late_in_the_day, sentences=1, correct=1)
    after = record(learner, at=next_day, sentences=2, correct=2)

    # The session late on the DST day counts for that day, not the next.
    assert late.today_xp == 10
    assert after.today_xp == 20
    assert after.streak_days == 3


def test_a_session_saved_late_keeps_todays_xp_and_the_streak(user):
    record(user, at=NOON)
    with time_machine.travel(NOON + timedelta(days=1), tick=False):
        record(user, at=NOON + timedelta(days=1))
        late = services.record_session(user=user, facts=facts(completed_at=NOON - timedelta(days=3), correct=1))

    assert late.today_xp == 95
    assert late.streak_days == 2
    assert XpEvent.objects.filter(user=user, local_day=(NOON - timedelta(days=3)).date()).exists()


# --- streaks and freezes -------------------------------------------------------------------


def days(user, offsets):
    """One session at noon on each day offset from NOON; the last answer."""
    rewards = None
    for offset in offsets:
        rewards = record(user, at=NOON + timedelta(days=offset))
    return rewards


def test_streak_grows_day_by_day_stays_the_same_day_and_resets_after_a_gap(user):
    assert days(user, [0]).streak_days == 1
    assert record(user, at=NOON + timedelta(hours=3)).streak_days == 1
    assert days(user, [1, 2]).streak_days == 3
    assert days(user, [4]).streak_days == 1
    stats = LearnerStats.objects.get(user=user)
    assert (stats.current_streak, stats.longest_streak) == (1, 3)


def test_a_freeze_is_earned_at_seven_days(user):
    assert days(user, range(6)).freezes_left == 0
    seventh = days(user, [6])

    assert (seventh.streak_days, seventh.freezes_left) == (7, 1)
    assert list(StreakFreezeGrant.objects.filter(user=user).values_list("reason", "count")) == [("earned", 1)]


def test_freezes_stop_at_the_cap(user, settings):
    settings.REWARDS_FREEZE_EVERY_DAYS = 1
    assert days(user, range(4)).freezes_left == 2
    assert StreakFreezeGrant.objects.filter(user=user).count() == 2


def test_a_freeze_covers_a_missed_day(user):
    days(user, range(7))
    back = days(user, [8])

    assert (back.streak_days, back.freezes_used, back.freezes_left) == (8, 1, 0)
    assert list(StreakFreezeUse.objects.filter(user=user).values_list("day", flat=True)) == [
        (NOON + timedelta(days=7)).date()]


def test_two_freezes_cover_two_missed_days(user, settings):
    settings.REWARDS_FREEZE_EVERY_DAYS = 2
    days(user, range(4))                       # freezes earned on days 2 and 4
    back = days(user, [6])

    assert (back.streak_days, back.freezes_used, back.freezes_left) == (5, 2, 0)
    assert StreakFreezeUse.objects.filter(user=user).count() == 2


def test_too_few_freezes_reset_the_streak_and_use_none(user):
    days(user, range(7))
    back = days(user, [9])

    assert (back.streak_days, back.freezes_used, back.freezes_left) == (1, 0, 1)
    assert not StreakFreezeUse.objects.exists()


# --- constant queries --------------------------------------------------------------------


def test_a_save_costs_the_same_queries_however_long_the_history_or_many_the_awards(django_assert_num_queries):
    catalogue = [AchievementFactory(kind="sessions", threshold=2, xp_reward=10),
                 *AchievementFactory.create_batch(5, kind="total_xp", threshold=150, xp_reward=5),
                 AchievementFactory(kind="level_mastered", level="A1", threshold=1),
                 AchievementFactory(kind="lessons_completed", threshold=1, xp_reward=50)]
    veteran, newcomer = UserFactory(), UserFactory()
    # The veteran holds every achievement already and has a month of history.
    AchievementAward.objects.bulk_create([AchievementAward(user=veteran, achievement=achievement, awarded_at=NOON)
                                          for achievement in catalogue])
    for offset in range(30, 0, -1):
        record(veteran, at=NOON - timedelta(days=offset))
    record(newcomer, at=NOON - timedelta(days=1))

    with django_assert_num_queries(QUERIES_PER_SAVE):
        record(veteran, high_scores=2, lesson_completed=True)
    # Eight awards and their XP: one bulk insert more, whatever the number.
    with django_assert_num_queries(QUERIES_PER_SAVE + 1):
        newcomer_rewards = record(newcomer, high_scores=2, lesson_completed=True)

    assert len(newcomer_rewards.achievements) == 8
    assert AchievementAward.objects.filter(user=newcomer).count() == 8


# Stats (locked), replay check with the day's XP, catalogue, ledger bulk insert, the rewarded session, the
# stats update; no savepoint inside the caller's transaction.
QUERIES_PER_SAVE = 6
