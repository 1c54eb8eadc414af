from datetime import date, datetime, timedelta

from django.db.models import Avg, Count, F, FloatField, Q, Sum
from django.db.models.functions import Cast, TruncDate, TruncWeek
from django.utils import timezone

from content.models import Level, Speech
from game import rules
from game.models import GameResult, GameSession, UserResponse
from game.selectors.sessions import local_day_start, user_zone

CORRECT = Q(user_response=UserResponse.CORRECT)
MISSED = Q(user_response__in=[UserResponse.INCORRECT, UserResponse.SKIPPED])
LEVEL_ORDER = [level.value for level in Level]


def _accuracy(sentences: int, correct: int) -> dict:
    return {"sentences": sentences, "correct": correct,
            "accuracy": round(correct / sentences, 4) if sentences else None}


def streaks(days: list[date], today: date) -> tuple[int, int]:
    """(current, longest) runs of consecutive days in ascending distinct `days`.

    The current streak is alive while its last day is today or yesterday.
    """
    longest = run = 0
    previous = None
    for day in days:
        run = run + 1 if previous is not None and day - previous == timedelta(days=1) else 1
        longest = max(longest, run)
        previous = day
    current = run if previous is not None and (today - previous).days <= 1 else 0
    return current, longest


def _practice_days(user, zone) -> list[date]:
    return list(
        GameSession.objects.filter(user=user)
        .annotate(day=TruncDate("completed_at", tzinfo=zone))
        .values_list("day", flat=True).distinct().order_by("day")
    )


def _weekly_scores(results, zone, now: datetime) -> list[dict]:
    local_today = now.astimezone(zone).date()
    this_monday = local_today - timedelta(days=local_today.weekday())
    weeks = [this_monday - timedelta(weeks=back) for back in range(rules.PROGRESS_WEEKS - 1, -1, -1)]
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


def _struggling_sentences(results) -> list[dict]:
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


def _recommendations(*, sessions: int, by_level: list[dict], weak_tags: list[dict],
                     struggling: list[dict]) -> list[dict]:
    if not sessions:
        return [{"kind": "get_started", "level": Level.A1.value, "tag": None,
                 "reason": "Start with an A1 practice set."}]
    found = []
    if struggling:
        found.append({"kind": "review", "level": None, "tag": None,
                      "reason": "Some sentences you missed are due for another try: practise the review set."})
    main_level = max(by_level, key=lambda row: row["sentences"])["level"] if by_level else None
    if weak_tags:
        weakest = weak_tags[0]
        found.append({"kind": "weak_tag", "level": main_level, "tag": weakest["tag"],
                      "reason": f"You get {round(weakest['accuracy'] * 100)}% of '{weakest['tag']['name']}' "
                                "sentences right; practise that topic."})
    practised = {row["level"]: row for row in by_level}
    top = max(practised, key=LEVEL_ORDER.index) if practised else None
    if top and top != LEVEL_ORDER[-1]:
        row = practised[top]
        if row["sentences"] >= rules.LEVEL_UP_MIN_RESULTS and row["accuracy"] >= rules.LEVEL_UP_ACCURACY:
            following = LEVEL_ORDER[LEVEL_ORDER.index(top) + 1]
            found.append({"kind": "level_up", "level": following, "tag": None,
                          "reason": f"You get {round(row['accuracy'] * 100)}% right at {top}; try {following}."})
    return found


def learner_progress(*, user, now: datetime | None = None) -> dict:
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
        {"level": row["speech__level"], **_accuracy(row["sentences"], row["correct"])}
        for row in results.values("speech__level")
        .annotate(sentences=Count("id"), correct=Count("id", filter=CORRECT)).order_by("speech__level")
    ]
    by_tag = [
        {"tag": {"id": row["speech__tags__id"], "name": row["speech__tags__name"]},
         **_accuracy(row["sentences"], row["correct"])}
        for row in results.filter(speech__tags__isnull=False)
        .values("speech__tags__id", "speech__tags__name")
        .annotate(sentences=Count("id"), correct=Count("id", filter=CORRECT)).order_by("speech__tags__name")
    ]
    weak_tags = sorted(
        (row for row in by_tag
         if row["sentences"] >= rules.WEAK_TAG_MIN_RESULTS and row["accuracy"] < rules.WEAK_TAG_ACCURACY),
        key=lambda row: (row["accuracy"], -row["sentences"], row["tag"]["name"]),
    )[: rules.INSIGHT_LIMIT]

    days = _practice_days(user, zone)
    current, longest = streaks(days, now.astimezone(zone).date())
    struggling = _struggling_sentences(results)

    from_correct = totals["correct"] * rules.XP_PER_CORRECT
    from_high = totals["high_scores"] * rules.XP_HIGH_SCORE_BONUS
    from_sessions = session_totals["bonus"] * rules.XP_SESSION_BONUS
    return {
        "sessions": session_totals["count"],
        "sentences_practised": totals["sentences"],
        "distinct_sentences": totals["distinct"],
        "practice_seconds": session_totals["seconds"] or 0,
        "overall": _accuracy(totals["sentences"], totals["correct"]),
        "by_level": by_level,
        "by_tag": by_tag,
        "weekly_pronunciation": _weekly_scores(results, zone, now),
        "streak": {"current_days": current, "longest_days": longest,
                   "last_practice_date": days[-1] if days else None, "timezone": str(zone.key)},
        "xp": {"total": from_correct + from_high + from_sessions, "from_correct": from_correct,
               "from_high_scores": from_high, "from_sessions": from_sessions},
        "weak_tags": weak_tags,
        "struggling_sentences": struggling,
        "recommendations": _recommendations(sessions=session_totals["count"], by_level=by_level,
                                            weak_tags=weak_tags, struggling=struggling),
    }
