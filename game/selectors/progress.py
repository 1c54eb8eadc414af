from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from django.db.models import Avg, Count, F, FloatField, Q, QuerySet, Sum
from django.db.models.functions import Cast, TruncDate, TruncWeek
from django.utils import timezone

from content.models import Level, Speech
from game import rules
from game.models import GameResult, GameSession, UserResponse
from game.rules.progress import accuracy, recommendations, streaks, weakest_tags, week_starts, xp_totals
from game.selectors.sessions import local_day_start, user_zone

if TYPE_CHECKING:
    from accounts.models import User

CORRECT = Q(user_response=UserResponse.CORRECT)
MISSED = Q(user_response__in=[UserResponse.INCORRECT, UserResponse.SKIPPED])
LEVEL_ORDER = [level.value for level in Level]


def _practice_days(user: User, zone: ZoneInfo) -> list[date]:
    return list(
        GameSession.objects.filter(user=user)
        .annotate(day=TruncDate("completed_at", tzinfo=zone))
        .values_list("day", flat=True).distinct().order_by("day")
    )


def _weekly_scores(results: QuerySet[GameResult], zone: ZoneInfo, now: datetime) -> list[dict[str, Any]]:
    weeks = week_starts(now.astimezone(zone).date())
    rows = (
        results.filter(pronunciation_score__isnull=False,
                       session__completed_at__gte=local_day_start(weeks[0], zone))
        .annotate(week=TruncWeek("session__completed_at", tzinfo=zone))
        .values("week").annotate(avg=Avg("pronunciation_score"), scored=Count("id")).order_by("week")
    )
    by_week = {timezone.localtime(row["week"], zone).date(): row for row in rows}
    return [
        {"week_start": week,
         "avg_pronunciation_score": round(by_week[week]["avg"], 1) if week in by_week else None,
         "scored_sentences": by_week[week]["scored"] if week in by_week else 0}
        for week in weeks
    ]


def _struggling_sentences(results: QuerySet[GameResult]) -> list[dict[str, Any]]:
    rows = list(
        results.filter(speech__archived_at__isnull=True)
        .values("speech_id")
        .annotate(attempts=Count("id"), missed=Count("id", filter=MISSED), avg=Avg("pronunciation_score"))
        .filter(missed__gte=1)
        .annotate(miss_rate=Cast("missed", FloatField()) / Cast("attempts", FloatField()))
        .order_by(F("miss_rate").desc(), F("missed").desc(), "speech_id")[: rules.INSIGHT_LIMIT]
    )
    speeches = Speech.objects.only("id", "text", "level", "type").in_bulk([row["speech_id"] for row in rows])
    return [
        {"speech": speeches[row["speech_id"]], "attempts": row["attempts"], "missed": row["missed"],
         "accuracy": round(1 - row["miss_rate"], 4),
         "avg_pronunciation_score": None if row["avg"] is None else round(row["avg"], 1)}
        for row in rows
    ]


def learner_progress(*, user: User, now: datetime | None = None) -> dict[str, Any]:
    """Totals, accuracy, weekly pronunciation, streaks, XP and insights, from aggregates only.

    Every figure is one grouped query (about ten in all), so the cost grows with the
    number of levels, tags, weeks and practice days, not with the number of results.
    """
    now = now or timezone.now()
    zone = user_zone(user)
    results = GameResult.objects.filter(session__user=user)

    totals = results.aggregate(
        sentences=Count("id"), correct=Count("id", filter=CORRECT),
        high_scores=Count("id", filter=Q(pronunciation_score__gte=rules.HIGH_SCORE)),
        distinct=Count("speech", distinct=True),
    )
    session_totals = GameSession.objects.filter(user=user).aggregate(
        count=Count("id"), seconds=Sum("duration_seconds"),
        bonus=Count("id", filter=Q(total_sentences__gte=rules.SESSION_BONUS_MIN_SENTENCES)),
    )
    by_level = [
        {"level": row["speech__level"], **accuracy(row["sentences"], row["correct"])}
        for row in results.values("speech__level")
        .annotate(sentences=Count("id"), correct=Count("id", filter=CORRECT)).order_by("speech__level")
    ]
    by_tag = [
        {"tag": {"id": row["speech__tags__id"], "name": row["speech__tags__name"]},
         **accuracy(row["sentences"], row["correct"])}
        for row in results.filter(speech__tags__isnull=False)
        .values("speech__tags__id", "speech__tags__name")
        .annotate(sentences=Count("id"), correct=Count("id", filter=CORRECT)).order_by("speech__tags__name")
    ]
    weak_tags = weakest_tags(by_tag)

    days = _practice_days(user, zone)
    current, longest = streaks(days, now.astimezone(zone).date())
    struggling = _struggling_sentences(results)
    return {
        "sessions": session_totals["count"],
        "sentences_practised": totals["sentences"],
        "distinct_sentences": totals["distinct"],
        "practice_seconds": session_totals["seconds"] or 0,
        "overall": accuracy(totals["sentences"], totals["correct"]),
        "by_level": by_level,
        "by_tag": by_tag,
        "weekly_pronunciation": _weekly_scores(results, zone, now),
        "streak": {"current_days": current, "longest_days": longest,
                   "last_practice_date": days[-1] if days else None, "timezone": str(zone.key)},
        "xp": xp_totals(correct=totals["correct"], high_scores=totals["high_scores"],
                        bonus_sessions=session_totals["bonus"]),
        "weak_tags": weak_tags,
        "struggling_sentences": struggling,
        "recommendations": recommendations(sessions=session_totals["count"], by_level=by_level,
                                           weak_tags=weak_tags, struggling=struggling, levels=LEVEL_ORDER),
    }
