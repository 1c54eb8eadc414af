"""The rewards' pure rules: fast, no database."""

from datetime import date, timedelta

import pytest

from rewards import rules

D = date(2026, 5, 10)


def step(day, last, current, freezes, every=7, cap=2):
    return rules.streak_step(day=day, last_active_day=last, current=current, freezes=freezes,
                             freeze_every_days=every, max_freezes=cap)


def test_session_xp_pays_every_reason_of_a_perfect_long_session_that_completes_a_lesson_and_course():
    assert rules.session_xp(sentences=5, correct=5, high_scores=2, lesson_completed=True, course_completed=True) == {
        "correct_answers": 50, "high_scores": 10, "long_session": 20, "perfect_session": 25,
        "lesson_completed": 50, "course_completed": 200}


@pytest.mark.parametrize(("sentences", "correct", "high", "expected"), [
    (4, 4, 0, {"correct_answers": 40}),                              # too short for either bonus
    (5, 4, 1, {"correct_answers": 40, "high_scores": 5, "long_session": 20}),  # long, not perfect
    (6, 0, 0, {"long_session": 20}),
    (0, 0, 0, {}),                                                   # nothing, and no zero rows
])
def test_session_xp_bonuses(sentences, correct, high, expected):
    assert rules.session_xp(sentences=sentences, correct=correct, high_scores=high) == expected


def test_the_numbers_are_the_ones_the_progress_endpoint_documents():
    from game import rules as game_rules

    assert (rules.XP_PER_CORRECT, rules.XP_HIGH_SCORE_BONUS, rules.HIGH_SCORE, rules.XP_LONG_SESSION_BONUS,
            rules.LONG_SESSION_MIN_SENTENCES) == (
        game_rules.XP_PER_CORRECT, game_rules.XP_HIGH_SCORE_BONUS, game_rules.HIGH_SCORE,
        game_rules.XP_SESSION_BONUS, game_rules.SESSION_BONUS_MIN_SENTENCES)


@pytest.mark.parametrize(("total", "expected"), [
    (0, (1, 0, 100)), (99, (1, 99, 100)), (100, (2, 0, 200)), (299, (2, 199, 200)), (300, (3, 0, 300)),
    (600, (4, 0, 400)), (4500, (10, 0, 1000)), (4499, (9, 899, 900)), (-5, (1, 0, 100)),
])
def test_level_for(total, expected):
    assert rules.level_for(total) == expected


def test_level_thresholds_follow_50_l_l_minus_1_for_large_totals():
    for level in range(1, 500):
        start = 50 * level * (level - 1)
        assert rules.level_for(start)[0] == level
        assert rules.level_for(start - 1)[0] == level - 1 if level > 1 else 1


def test_first_session_starts_a_streak():
    assert step(D, None, 0, 0) == rules.StreakStep(current=1, freezes=0, last_active_day=D)


@pytest.mark.parametrize("day", [D, D - timedelta(days=3)])
def test_same_or_earlier_day_leaves_the_streak_unchanged(day):
    assert step(day, D, 4, 1) == rules.StreakStep(current=4, freezes=1, last_active_day=D)


def test_next_day_adds_one():
    assert step(D + timedelta(days=1), D, 4, 0).current == 5


def test_freezes_cover_missed_days_one_each():
    result = step(D + timedelta(days=3), D, 4, 2)
    assert (result.current, result.freezes, result.last_active_day) == (5, 0, D + timedelta(days=3))
    assert result.covered_days == (D + timedelta(days=1), D + timedelta(days=2))


def test_too_few_freezes_reset_the_streak_and_keep_the_freezes():
    result = step(D + timedelta(days=3), D, 4, 1)
    assert (result.current, result.freezes, result.covered_days) == (1, 1, ())


def test_a_freeze_is_earned_at_every_seventh_day_up_to_the_cap():
    assert step(D + timedelta(days=1), D, 6, 0).freezes_earned == 1
    assert step(D + timedelta(days=1), D, 6, 0).freezes == 1
    assert step(D + timedelta(days=1), D, 13, 1).freezes == 2
    capped = step(D + timedelta(days=1), D, 13, 2)
    assert (capped.freezes, capped.freezes_earned) == (2, 0)
    assert step(D + timedelta(days=1), D, 7, 0).freezes_earned == 0
    assert step(D + timedelta(days=1), D, 6, 0, every=0).freezes_earned == 0


@pytest.mark.parametrize(("today", "freezes", "expected"), [
    (D, 0, rules.DisplayedStreak(days=3, protected=False)),
    (D + timedelta(days=1), 0, rules.DisplayedStreak(days=3, protected=False)),
    (D + timedelta(days=2), 0, rules.DisplayedStreak(days=0, protected=False)),
    (D + timedelta(days=2), 1, rules.DisplayedStreak(days=3, protected=True)),
    (D + timedelta(days=3), 2, rules.DisplayedStreak(days=3, protected=True)),
    (D + timedelta(days=4), 2, rules.DisplayedStreak(days=0, protected=False)),
])
def test_streak_as_of_today(today, freezes, expected):
    assert rules.streak_as_of(today=today, last_active_day=D, current=3, freezes=freezes) == expected


def test_no_streak_without_a_day():
    assert rules.streak_as_of(today=D, last_active_day=None, current=0, freezes=2).days == 0


def test_streak_from_days_counts_active_days_joined_by_covered_ones():
    days = lambda *offsets: {D + timedelta(days=o) for o in offsets}  # noqa: E731
    rebuilt = rules.streak_from_days(active_days=days(0, 1, 2, 4, 5, 8, 9), covered_days=days(3))
    assert rebuilt == rules.RebuiltStreak(current=2, longest=5, last_active_day=D + timedelta(days=9))
    assert rules.streak_from_days(active_days=set(), covered_days=set()) == rules.RebuiltStreak(0, 0, None)


@pytest.mark.parametrize(("kind", "level", "expected"), [
    ("first_session", "", 4), ("sessions", "", 4), ("streak_days", "", 3), ("high_score_sentences", "", 9),
    ("lessons_completed", "", 2), ("courses_completed", "", 1), ("level_mastered", "B1", 6),
    ("level_mastered", "C1", 0), ("total_xp", "", 700),
])
def test_achievement_value(kind, level, expected):
    counters = rules.Counters(sessions=4, current_streak=3, high_score_sentences=9, lessons_completed=2,
                              courses_completed=1, total_xp=700, high_scores_by_level={"B1": 6, "A1": 3})
    assert rules.achievement_value(kind=kind, level=level, counters=counters) == expected


def test_kinds_changed_by_a_plain_session_leave_lessons_courses_and_scores_alone():
    assert set(rules.kinds_changed_by(lesson_completed=False, course_completed=False, high_scores=0)) == {
        "first_session", "sessions", "streak_days", "total_xp"}
    assert {"lessons_completed", "courses_completed", "high_score_sentences", "level_mastered"} <= set(
        rules.kinds_changed_by(lesson_completed=True, course_completed=True, high_scores=1))


def test_describe_names_the_numbers():
    text = rules.describe(daily_goal=50, freeze_every_days=7, max_freezes=2)
    assert "10 per correct sentence" in text and "+25" in text and "level 2 at 100" in text and "every 7 days" in text
