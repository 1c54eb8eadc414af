"""The progress screen, read from the learner's running totals (game.services.aggregates).

A constant number of indexed queries whatever the history: the totals row, the per-tag rows, the
weeks of the chart, and the most-missed sentences.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db.models import F
from django.utils import timezone

from content.cache import CONTENT_GENERATION
from content.models import Level
from core.cache import learner_generation_name, read_through
from game import rules
from game.models import LearnerProgress, LearnerSpeechStats, LearnerTagStats, LearnerWeekScore
from game.rules.progress import accuracy, recommendations, weakest_tags, week_starts, xp_totals
from game.selectors.sessions import user_zone

if TYPE_CHECKING:
    from accounts.models import User

LEVEL_ORDER = [level.value for level in Level]


def _weekly_scores(user: User, today) -> list[dict[str, Any]]:
    weeks = week_starts(today)
    by_week = {row.week_start: row for row in LearnerWeekScore.objects.filter(user=user, week_start__in=weeks)}
    return [
        {"week_start": week,
         "avg_pronunciation_score": round(by_week[week].score_sum / by_week[week].scored, 1)
         if week in by_week and by_week[week].scored else None,
         "scored_sentences": by_week[week].scored if week in by_week else 0}
        for week in weeks
    ]


def _struggling_sentences(user: User) -> list[dict[str, Any]]:
    rows = (LearnerSpeechStats.objects.filter(user=user, missed__gte=1, speech__archived_at__isnull=True)
            .select_related("speech").only("attempts", "missed", "miss_rate", "scored", "score_sum", "speech__id",
                                           "speech__text", "speech__level", "speech__type")
            .order_by(F("miss_rate").desc(), F("missed").desc(), "speech_id")[: rules.INSIGHT_LIMIT])
    return [
        {"speech": row.speech, "attempts": row.attempts, "missed": row.missed,
         "accuracy": round(1 - row.miss_rate, 4),
         "avg_pronunciation_score": round(row.score_sum / row.scored, 1) if row.scored else None}
        for row in rows
    ]


def tag_accuracy(user: User) -> list[dict[str, Any]]:
    """The learner's accuracy per tag practised, by tag name, from the running per-tag counts (one query)."""
    rows = (LearnerTagStats.objects.filter(user=user).annotate(name=F("tag__name"))
            .order_by("tag__name").values("tag_id", "name", "sentences", "correct"))
    return [{"tag": {"id": row["tag_id"], "name": row["name"]}, **accuracy(row["sentences"], row["correct"])}
            for row in rows]


# Cached per learner under what it depends on (their writes, the catalogue, their day): a bound on staleness
# after a generation bump lost to a cache outage.
PROGRESS_CACHE_SECONDS = 300


def learner_progress(*, user: User, now: datetime | None = None) -> dict[str, Any]:
    """Totals, accuracy, weekly pronunciation, streaks, XP and insights, from the running totals only; cached
    until the learner writes, the catalogue changes (the struggling list names sentences) or their day turns."""
    now = now or timezone.now()
    zone = user_zone(user)
    today = now.astimezone(zone).date()
    return read_through("progress", (user.pk, zone.key, today.isoformat()),
                        (learner_generation_name(user.pk), CONTENT_GENERATION),
                        lambda: _progress(user, zone, today), timeout=PROGRESS_CACHE_SECONDS)


def _progress(user: User, zone, today) -> dict[str, Any]:
    totals = LearnerProgress.objects.filter(user=user).first() or LearnerProgress(user=user)
    by_level = [{"level": level, **accuracy(counts[0], counts[1])}
                for level, counts in sorted(totals.by_level.items())]
    by_tag = tag_accuracy(user)
    weak_tags = weakest_tags(by_tag)
    last = totals.last_practice_date
    current = totals.current_run if last is not None and (today - last).days <= 1 else 0
    struggling = _struggling_sentences(user)
    return {
        "sessions": totals.sessions,
        "sentences_practised": totals.sentences,
        "distinct_sentences": totals.distinct_sentences,
        "practice_seconds": totals.practice_seconds,
        "overall": accuracy(totals.sentences, totals.correct),
        "by_level": by_level,
        "by_tag": by_tag,
        "weekly_pronunciation": _weekly_scores(user, today),
        "streak": {"current_days": current, "longest_days": totals.longest_run,
                   "last_practice_date": last, "timezone": str(zone.key)},
        "xp": xp_totals(correct=totals.correct, high_scores=totals.high_scores,
                        bonus_sessions=totals.bonus_sessions),
        "weak_tags": weak_tags,
        "struggling_sentences": struggling,
        "recommendations": recommendations(sessions=totals.sessions, by_level=by_level,
                                           weak_tags=weak_tags, struggling=struggling, levels=LEVEL_ORDER),
    }
