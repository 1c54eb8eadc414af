"""Whether a submitted session adds up: its statistics are checked against its results, never trusted.

Functions of the submitted values and the clock passed in, nothing else.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any

from game.inputs import SessionInput

# The values of game.models.UserResponse and GameMode this module tests for (Django-free here).
CORRECT = "correct"
SKIPPED = "skipped"
LISTEN_ONLY = "listen_only"

# A client may round the average to one decimal; anything closer than this agrees.
AVERAGE_TOLERANCE = 0.05 + 1e-9
# Clocks tick in whole seconds on some clients; a second of slack on the duration check.
DURATION_SLACK_SECONDS = 1


def longest_correct_run(responses: Iterable[str]) -> int:
    """Longest run of consecutive `correct` answers, in the order given."""
    best = run = 0
    for response in responses:
        run = run + 1 if response == CORRECT else 0
        best = max(best, run)
    return best


def mean_score(scores: list[float]) -> float | None:
    return sum(scores) / len(scores) if scores else None


def _untranslated(text: str) -> str:
    return text


def session_problems(session: SessionInput, *, now: datetime, clock_skew: timedelta,
                     translate: Callable[[str], str] = _untranslated) -> dict[str, Any]:
    """Every way the submitted statistics disagree with the results, keyed like DRF errors.

    Rules: `total_sentences` = number of results; sequence numbers are exactly 1..n;
    `correct_count` = number of `correct`; `max_streak` = longest run of `correct` in
    sequence order; `avg_pronunciation_score` = mean of the non-null scores (within 0.05),
    null when there are none and always null in listen_only mode, where results carry no
    score or recognized text; a skipped sentence has no score; completed_at is not before
    started_at nor more than `clock_skew` after `now`, and the duration fits between the two.
    """
    _ = translate  # the caller's gettext: this module stays free of Django
    problems: dict[str, Any] = {}
    results = session.results
    listen_only = session.mode == LISTEN_ONLY

    def add(field: str, message: str) -> None:
        problems.setdefault(field, []).append(message)

    if session.total_sentences != len(results):
        add("total_sentences", _("Is {total} but {results} results were sent.").format(
            total=session.total_sentences, results=len(results)))

    numbers = sorted(r.sequence_number for r in results)
    sequence_ok = numbers == list(range(1, len(results) + 1))
    if not sequence_ok:
        problems["results"] = {"non_field_errors": [
            _("Sequence numbers must be exactly 1..{count}, each once; got {numbers}.").format(
                count=len(results), numbers=numbers)]}

    correct = sum(1 for r in results if r.user_response == CORRECT)
    if session.correct_count != correct:
        add("correct_count", _("Is {count} but {correct} results are correct.").format(
            count=session.correct_count, correct=correct))
    if sequence_ok:
        # The streak is only defined once the order is.
        streak = longest_correct_run(r.user_response for r in session.ordered_results)
        if session.max_streak != streak:
            add("max_streak", _("Is {streak} but the longest run of correct results is {longest}.").format(
                streak=session.max_streak, longest=streak))

    item_problems: dict[str, dict[str, list[str]]] = {}
    for index, result in enumerate(results):
        item: dict[str, list[str]] = {}
        if listen_only and result.pronunciation_score is not None:
            item.setdefault("pronunciation_score", []).append(_("Must be null in listen_only mode."))
        if listen_only and result.recognized_text:
            item.setdefault("recognized_text", []).append(_("Must be null in listen_only mode."))
        if (not listen_only and result.user_response == SKIPPED
                and result.pronunciation_score is not None):
            item.setdefault("pronunciation_score", []).append(_("A skipped sentence has no score."))
        if item:
            # Keyed by the index in the request, which is what the client can find again.
            item_problems[str(index)] = item
    if item_problems:
        problems.setdefault("results", {}).update(item_problems)

    submitted_avg = session.avg_pronunciation_score
    if listen_only:
        if submitted_avg is not None:
            add("avg_pronunciation_score", _("Must be null in listen_only mode."))
    else:
        expected = mean_score([r.pronunciation_score for r in results if r.pronunciation_score is not None])
        if expected is None and submitted_avg is not None:
            add("avg_pronunciation_score", _("Must be null when no result has a score."))
        elif expected is not None and (submitted_avg is None or abs(submitted_avg - expected) > AVERAGE_TOLERANCE):
            add("avg_pronunciation_score", _("Is {average} but the mean of the result scores is {mean}.").format(
                average=submitted_avg, mean=round(expected, 2)))

    started, completed = session.started_at, session.completed_at
    if completed < started:
        add("completed_at", _("Must not be before started_at."))
    elif session.duration_seconds > (completed - started).total_seconds() + DURATION_SLACK_SECONDS:
        add("duration_seconds", _("Is longer than the time between started_at and completed_at."))
    if completed > now + clock_skew:
        add("completed_at", _("Must not be in the future."))
    return problems
