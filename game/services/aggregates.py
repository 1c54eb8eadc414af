"""Per-learner running totals behind the progress screen and the review set's filler.

`add_to_aggregates` counts one session inside its save transaction (after the learner's stats row is
locked, so one learner's saves arrive here one at a time); `rebuild_learner_aggregates` recounts
everything from the stored results with the same counting code, session by session in completion order.
The tests check that both agree after random sequences of saves.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta
from itertools import groupby
from typing import TYPE_CHECKING, NamedTuple
from uuid import UUID
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction

from core.db.statements import add_to_counters
from core.timezones import user_zone
from game import rules
from game.inputs import SessionInput
from game.models import (
    GameResult,
    GameSession,
    LearnerPracticeDay,
    LearnerProgress,
    LearnerSpeechStats,
    LearnerWeekScore,
    UserResponse,
)
from game.rules.progress import streaks
from game.rules.review import answer_need, scaled_need
from game.services.tag_stats import rebuild_tag_stats

if TYPE_CHECKING:
    from accounts.models import User


class _Answer(NamedTuple):
    speech_id: UUID
    level: str
    user_response: str
    pronunciation_score: float | None


class _Session(NamedTuple):
    completed_at: datetime
    duration_seconds: int
    total_sentences: int


def _week_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _count(progress: LearnerProgress, speeches: dict[UUID, LearnerSpeechStats],
           weeks: dict[date, LearnerWeekScore], session: _Session, answers: Iterable[_Answer], *,
           zone: ZoneInfo) -> date:
    """Add one session to the totals in memory; returns its day in the learner's time zone."""
    half_life = settings.GAME_REVIEW_HALF_LIFE_DAYS
    day = session.completed_at.astimezone(zone).date()
    progress.sessions += 1
    progress.practice_seconds += session.duration_seconds
    progress.bonus_sessions += session.total_sentences >= rules.SESSION_BONUS_MIN_SENTENCES
    by_level = progress.by_level
    week = None
    for answer in answers:
        correct = answer.user_response == UserResponse.CORRECT
        score = answer.pronunciation_score
        progress.sentences += 1
        progress.correct += correct
        progress.high_scores += score is not None and score >= rules.HIGH_SCORE
        level = by_level.setdefault(answer.level, [0, 0])
        level[0] += 1
        level[1] += correct
        row = speeches.get(answer.speech_id)
        if row is None:
            row = speeches[answer.speech_id] = LearnerSpeechStats(
                user_id=progress.user_id, speech_id=answer.speech_id, last_seen=session.completed_at)
            progress.distinct_sentences += 1
        row.attempts += 1
        row.missed += not correct
        row.miss_rate = row.missed / row.attempts
        row.need += scaled_need(answer_need(answer.user_response, score), at=session.completed_at,
                                half_life_days=half_life)
        row.last_seen = max(row.last_seen, session.completed_at)
        if score is not None:
            row.scored += 1
            row.score_sum += score
            if week is None:
                start = _week_of(day)
                week = weeks.get(start)
                if week is None:
                    week = weeks[start] = LearnerWeekScore(user_id=progress.user_id, week_start=start)
            week.scored += 1
            week.score_sum += score
    return day


def _runs(days: list[date]) -> tuple[int, int]:
    """(run ending on the last day, longest run) of ascending distinct days."""
    return streaks(days, days[-1]) if days else (0, 0)


def _count_day(progress: LearnerProgress, day: date) -> None:
    last = progress.last_practice_date
    if day == last:
        return  # the usual case: no query
    _, created = LearnerPracticeDay.objects.get_or_create(user_id=progress.user_id, day=day)
    if not created:
        return
    if last is None or day > last:
        progress.current_run = progress.current_run + 1 if last is not None and day - last == timedelta(days=1) else 1
        progress.longest_run = max(progress.longest_run, progress.current_run)
        progress.last_practice_date = day
        return
    # An old session saved late filled a gap: redo the runs from the days (rare, O(practice days)).
    days = list(LearnerPracticeDay.objects.filter(user_id=progress.user_id).order_by("day")
                .values_list("day", flat=True))
    progress.current_run, progress.longest_run = _runs(days)


@transaction.atomic(savepoint=False)  # part of the caller's save
def add_to_aggregates(*, user: User, session: SessionInput, levels: Mapping[UUID, str]) -> None:
    """Count one saved session; `levels` gives each of its speeches' CEFR level. A constant number of queries."""
    results = session.ordered_results
    progress, _ = LearnerProgress.objects.select_for_update().get_or_create(user=user)
    speech_ids = {result.speech_id for result in results}
    speeches = {row.speech_id: row for row in LearnerSpeechStats.objects.filter(user=user, speech_id__in=speech_ids)}
    weeks: dict[date, LearnerWeekScore] = {}
    day = _count(progress, speeches, weeks,
                 _Session(session.completed_at, session.duration_seconds, session.total_sentences),
                 [_Answer(r.speech_id, levels[r.speech_id], r.user_response, r.pronunciation_score) for r in results],
                 zone=user_zone(user))
    _count_day(progress, day)
    progress.save()
    for row in speeches.values():
        row.pk = None  # one INSERT ... ON CONFLICT for new and counted rows alike (bulk_update's CASE is slow)
    LearnerSpeechStats.objects.bulk_create(
        speeches.values(), update_conflicts=True, unique_fields=["user", "speech"],
        update_fields=["attempts", "missed", "scored", "score_sum", "miss_rate", "need", "last_seen"])
    add_to_counters(LearnerWeekScore, unique_fields=["user", "week_start"], counters=["scored", "score_sum"],
                    rows=[{"user_id": user.pk, "week_start": week.week_start, "scored": week.scored,
                           "score_sum": week.score_sum} for week in weeks.values()])


def rebuild_learner_aggregates(*, user: User) -> LearnerProgress:
    """Recount the learner's totals from every stored session, in the order they were completed."""
    zone = user_zone(user)
    sessions = list(GameSession.objects.filter(user=user).order_by("completed_at", "created_at", "id")
                    .values_list("id", "completed_at", "duration_seconds", "total_sentences"))
    answers = (GameResult.objects.filter(session__user=user).order_by("session_id", "sequence_number")
               .values_list("session_id", "speech_id", "speech__level", "user_response", "pronunciation_score")
               .iterator(chunk_size=5000))
    by_session = {session_id: [_Answer(*row[1:]) for row in rows]
                  for session_id, rows in groupby(answers, key=lambda row: row[0])}
    progress = LearnerProgress(user=user)
    speeches: dict[UUID, LearnerSpeechStats] = {}
    weeks: dict[date, LearnerWeekScore] = {}
    days = set()
    for session_id, completed_at, duration, total in sessions:
        days.add(_count(progress, speeches, weeks, _Session(completed_at, duration, total),
                        by_session.get(session_id, ()), zone=zone))
    ordered_days = sorted(days)
    progress.last_practice_date = ordered_days[-1] if ordered_days else None
    progress.current_run, progress.longest_run = _runs(ordered_days)
    with transaction.atomic():
        for model in (LearnerProgress, LearnerSpeechStats, LearnerWeekScore, LearnerPracticeDay):
            model.objects.filter(user=user).delete()
        progress.save()
        LearnerSpeechStats.objects.bulk_create(speeches.values(), batch_size=1000)
        LearnerWeekScore.objects.bulk_create(weeks.values(), batch_size=1000)
        LearnerPracticeDay.objects.bulk_create([LearnerPracticeDay(user=user, day=day) for day in ordered_days],
                                               batch_size=1000)
    return progress


def rebuild_all_learner_aggregates() -> int:
    """Recount the totals and tag counts of every learner who has played; how many learners."""
    learners = get_user_model().objects.filter(
        pk__in=GameSession.objects.values("user_id")).order_by("pk")
    count = 0
    for user in learners.iterator(chunk_size=500):
        rebuild_tag_stats(user=user)
        rebuild_learner_aggregates(user=user)
        count += 1
    return count
