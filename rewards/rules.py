"""The rewards' rules, pure (nothing of Django) so each is unit-tested on its own.

The numbers behind XP, levels, streaks and achievements live here so that the API docs
(`describe`) and the code agree. The first three XP numbers are the ones the progress
endpoint documents (game.rules.XP_RULE); they must stay identical.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, timedelta

# XP per session.
XP_PER_CORRECT = 10
XP_HIGH_SCORE_BONUS = 5
HIGH_SCORE = 80.0
XP_LONG_SESSION_BONUS = 20
LONG_SESSION_MIN_SENTENCES = 5
XP_PERFECT_SESSION_BONUS = 25
XP_LESSON_COMPLETED = 50
XP_COURSE_COMPLETED = 200

# Levels: reaching level L needs LEVEL_XP_STEP/2 * L * (L - 1) XP in total (L1 = 0, L2 = 100, L3 = 300...).
LEVEL_XP_STEP = 100

DAILY_GOAL_MIN = 10
DAILY_GOAL_MAX = 1000

CEFR_LEVELS = ("A1", "A2", "B1", "B2", "C1")

# The ledger's reasons, as stored (rewards.models.XpReason mirrors them).
CORRECT_ANSWERS = "correct_answers"
HIGH_SCORES = "high_scores"
LONG_SESSION = "long_session"
PERFECT_SESSION = "perfect_session"
LESSON_COMPLETED = "lesson_completed"
COURSE_COMPLETED = "course_completed"
ACHIEVEMENT = "achievement"
GRANTED = "granted"
SESSION_REASONS = (CORRECT_ANSWERS, HIGH_SCORES, LONG_SESSION, PERFECT_SESSION, LESSON_COMPLETED, COURSE_COMPLETED)

# Achievement kinds, as stored (rewards.models.AchievementKind mirrors them).
FIRST_SESSION = "first_session"
SESSIONS = "sessions"
STREAK_DAYS = "streak_days"
HIGH_SCORE_SENTENCES = "high_score_sentences"
LESSONS_COMPLETED = "lessons_completed"
COURSES_COMPLETED = "courses_completed"
LEVEL_MASTERED = "level_mastered"
TOTAL_XP = "total_xp"
# What any saved session may change; the rest only when the session says so.
KINDS_EVERY_SESSION = (FIRST_SESSION, SESSIONS, STREAK_DAYS, TOTAL_XP)


def session_xp(*, sentences: int, correct: int, high_scores: int, lesson_completed: bool = False,
               course_completed: bool = False) -> dict[str, int]:
    """{reason: amount} a session earns, only the reasons with a positive amount, in ledger order."""
    long_session = sentences >= LONG_SESSION_MIN_SENTENCES
    amounts = {
        CORRECT_ANSWERS: XP_PER_CORRECT * correct,
        HIGH_SCORES: XP_HIGH_SCORE_BONUS * high_scores,
        LONG_SESSION: XP_LONG_SESSION_BONUS if long_session else 0,
        PERFECT_SESSION: XP_PERFECT_SESSION_BONUS if long_session and correct == sentences else 0,
        LESSON_COMPLETED: XP_LESSON_COMPLETED if lesson_completed else 0,
        COURSE_COMPLETED: XP_COURSE_COMPLETED if course_completed else 0,
    }
    return {reason: amount for reason, amount in amounts.items() if amount > 0}


def xp_for_level(level: int) -> int:
    """Total XP at which `level` (1-based) is reached."""
    return LEVEL_XP_STEP * level * (level - 1) // 2


def level_for(total_xp: int) -> tuple[int, int, int]:
    """(level, xp_into_level, xp_for_next_level): the XP earned since the level began and the XP the
    level spans (reaching the next level takes xp_for_next_level - xp_into_level more)."""
    total_xp = max(total_xp, 0)
    # Solve step/2 * L * (L - 1) <= total for the largest L, then correct any float rounding.
    level = max(1, int((1 + math.sqrt(1 + 8 * total_xp / LEVEL_XP_STEP)) / 2))
    while xp_for_level(level + 1) <= total_xp:
        level += 1
    while level > 1 and xp_for_level(level) > total_xp:
        level -= 1
    return level, total_xp - xp_for_level(level), xp_for_level(level + 1) - xp_for_level(level)


@dataclass(frozen=True)
class StreakStep:
    current: int
    freezes: int
    last_active_day: date | None
    covered_days: tuple[date, ...] = ()   # missed days the freezes covered (one freeze each)
    freezes_earned: int = 0


def streak_step(*, day: date, last_active_day: date | None, current: int, freezes: int,
                freeze_every_days: int, max_freezes: int) -> StreakStep:
    """The streak after a session on local `day`.

    Same day or an earlier one: unchanged (a session saved late does not rewrite the streak).
    The next day: +1. A gap of g missed days with g <= freezes: the freezes cover them and +1.
    Otherwise: 1. Every freeze_every_days-th day of a streak earns a freeze, up to max_freezes held.
    """
    if last_active_day is not None and day <= last_active_day:
        return StreakStep(current=current, freezes=freezes, last_active_day=last_active_day)
    covered: tuple[date, ...] = ()
    if last_active_day is None:
        current = 1
    else:
        missed = (day - last_active_day).days - 1
        if missed == 0:
            current += 1
        elif missed <= freezes:
            covered = tuple(last_active_day + timedelta(days=offset) for offset in range(1, missed + 1))
            freezes -= missed
            current += 1
        else:
            current = 1
    earned = 0
    if freeze_every_days > 0 and current % freeze_every_days == 0 and freezes < max_freezes:
        earned = 1
        freezes += 1
    return StreakStep(current=current, freezes=freezes, last_active_day=day, covered_days=covered,
                      freezes_earned=earned)


@dataclass(frozen=True)
class DisplayedStreak:
    days: int
    protected: bool   # alive only because the freezes held would cover the days missed since


def streak_as_of(*, today: date, last_active_day: date | None, current: int, freezes: int) -> DisplayedStreak:
    """The streak a learner sees today: alive if the last day is today or yesterday, or if the freezes
    held can cover the days missed since (protected); else 0."""
    if last_active_day is None or current <= 0:
        return DisplayedStreak(days=0, protected=False)
    missed = (today - last_active_day).days - 1
    if missed <= 0:
        return DisplayedStreak(days=current, protected=False)
    if missed <= freezes:
        return DisplayedStreak(days=current, protected=True)
    return DisplayedStreak(days=0, protected=False)


@dataclass(frozen=True)
class RebuiltStreak:
    current: int
    longest: int
    last_active_day: date | None


def streak_from_days(*, active_days: set[date], covered_days: set[date]) -> RebuiltStreak:
    """Streaks replayed from history: a run continues over consecutive days that were active or covered
    by a freeze; only active days count toward its length (as in `streak_step`)."""
    current = longest = 0
    previous: date | None = None
    for day in sorted(active_days | covered_days):
        if previous is None or (day - previous).days != 1:
            current = 0
        if day in active_days:
            current += 1
            longest = max(longest, current)
        previous = day
    # A freeze is only ever used by a later session, so the last day of the history is an active one.
    return RebuiltStreak(current=current, longest=longest,
                         last_active_day=max(active_days) if active_days else None)


@dataclass(frozen=True)
class Counters:
    """The learner's aggregates that achievements measure."""

    sessions: int = 0
    current_streak: int = 0
    high_score_sentences: int = 0
    lessons_completed: int = 0
    courses_completed: int = 0
    total_xp: int = 0
    high_scores_by_level: dict[str, int] = field(default_factory=dict)


def achievement_value(*, kind: str, level: str, counters: Counters) -> int:
    """The learner's current value of what an achievement of `kind` counts."""
    if kind in (FIRST_SESSION, SESSIONS):
        return counters.sessions
    if kind == STREAK_DAYS:
        return counters.current_streak
    if kind == HIGH_SCORE_SENTENCES:
        return counters.high_score_sentences
    if kind == LESSONS_COMPLETED:
        return counters.lessons_completed
    if kind == COURSES_COMPLETED:
        return counters.courses_completed
    if kind == LEVEL_MASTERED:
        return int(counters.high_scores_by_level.get(level, 0))
    if kind == TOTAL_XP:
        return counters.total_xp
    raise ValueError(f"unknown achievement kind {kind!r}")


def kinds_changed_by(*, lesson_completed: bool, course_completed: bool, high_scores: int) -> tuple[str, ...]:
    """The achievement kinds a session with these facts can move."""
    kinds = list(KINDS_EVERY_SESSION)
    if high_scores:
        kinds += [HIGH_SCORE_SENTENCES, LEVEL_MASTERED]
    if lesson_completed:
        kinds.append(LESSONS_COMPLETED)
    if course_completed:
        kinds.append(COURSES_COMPLETED)
    return tuple(kinds)


def describe(*, daily_goal: int, freeze_every_days: int, max_freezes: int) -> str:
    """The rules in words, for the API docs."""
    return (
        f"XP per session: {XP_PER_CORRECT} per correct sentence, +{XP_HIGH_SCORE_BONUS} per sentence with a "
        f"pronunciation score of {HIGH_SCORE:g} or more, +{XP_LONG_SESSION_BONUS} for a session of at least "
        f"{LONG_SESSION_MIN_SENTENCES} sentences, +{XP_PERFECT_SESSION_BONUS} when such a session is all correct, "
        f"+{XP_LESSON_COMPLETED} for completing a lesson (the first time), +{XP_COURSE_COMPLETED} for completing a "
        "course, plus each newly earned achievement's XP; a session is never paid twice. "
        f"Levels: reaching level L takes {LEVEL_XP_STEP // 2}·L·(L−1) XP in total (level 2 at "
        f"{xp_for_level(2)}, level 3 at {xp_for_level(3)}). Daily goal: {daily_goal} XP by default "
        f"({DAILY_GOAL_MIN}-{DAILY_GOAL_MAX}), counted per day in the learner's time zone. Streak: consecutive days "
        f"with a saved session; every {freeze_every_days} days of a streak earn a streak freeze (at most "
        f"{max_freezes} held), and each freeze covers one missed day when the learner comes back. A streak whose "
        "missed days the freezes held would cover is shown with protected=true."
    )
