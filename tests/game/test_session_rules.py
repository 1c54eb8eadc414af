"""The consistency rules of a submitted session (game.rules.sessions), as plain functions: no database."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from game.inputs import ResultInput, SessionInput
from game.rules.sessions import longest_correct_run, mean_score, session_problems

NOW = datetime(2025, 12, 10, 12, 0, tzinfo=UTC)
SKEW = timedelta(seconds=60)


def result(number: int, response: str = "correct", score: float | None = None,
           text: str | None = None) -> ResultInput:
    return ResultInput(speech_id=uuid4(), sequence_number=number, user_response=response,
                       response_time_ms=3000, pronunciation_score=score, recognized_text=text)


def session(results: list[ResultInput], *, mode: str = "listen_only", **overrides) -> SessionInput:
    """A session whose statistics agree with `results` (in sequence order), unless overridden."""
    ordered = sorted(results, key=lambda r: r.sequence_number)
    scores = [r.pronunciation_score for r in results if r.pronunciation_score is not None]
    fields = {
        "mode": mode, "level": "A1", "sentence_type": "question", "selected_tags": (),
        "total_sentences": len(results),
        "correct_count": sum(r.user_response == "correct" for r in results),
        "max_streak": longest_correct_run(r.user_response for r in ordered),
        "avg_pronunciation_score": sum(scores) / len(scores) if scores else None,
        "duration_seconds": 240, "started_at": NOW - timedelta(minutes=5), "completed_at": NOW - timedelta(minutes=1),
        "results": tuple(results),
    }
    return SessionInput(**{**fields, **overrides})


def problems(submitted: SessionInput) -> dict:
    return session_problems(submitted, now=NOW, clock_skew=SKEW)


# --- longest_correct_run / mean_score ---------------------------------------------------------

@pytest.mark.parametrize("responses, expected", [
    ([], 0),
    (["correct"], 1),
    (["incorrect", "skipped"], 0),
    (["correct", "correct", "incorrect", "correct"], 2),
    (["correct", "skipped", "correct", "correct", "correct"], 3),  # a skip breaks a run too
    (["incorrect", "correct", "correct"], 2),  # the run may end the session
])
def test_longest_correct_run(responses, expected):
    assert longest_correct_run(responses) == expected


def test_mean_score_is_none_without_scores():
    assert mean_score([]) is None
    assert mean_score([80.0, 90.0, 82.8]) == pytest.approx(84.2667, abs=1e-4)


# --- session_problems -------------------------------------------------------------------------

def test_a_session_that_adds_up_has_no_problems():
    results = [result(1), result(2, "incorrect"), result(3), result(4, "skipped")]

    assert problems(session(results)) == {}


def test_results_may_be_sent_in_any_order():
    results = [result(3), result(1, "incorrect"), result(2)]

    assert problems(session(results)) == {}


def test_total_sentences_must_be_the_number_of_results():
    found = problems(session([result(1), result(2)], total_sentences=3))

    assert found == {"total_sentences": ["Is 3 but 2 results were sent."]}


@pytest.mark.parametrize("numbers", [[1, 3], [1, 1], [2, 3]])
def test_sequence_numbers_must_be_exactly_one_to_n(numbers):
    found = problems(session([result(n) for n in numbers], max_streak=99))

    assert found["results"]["non_field_errors"][0].startswith("Sequence numbers must be exactly 1..2")
    # Without an order there is no streak to check against.
    assert "max_streak" not in found


def test_correct_count_must_match_the_results():
    found = problems(session([result(1), result(2, "incorrect")], correct_count=2))

    assert found == {"correct_count": ["Is 2 but 1 results are correct."]}


def test_max_streak_is_counted_in_sequence_order_not_request_order():
    # Request order: correct, correct, incorrect (a run of 2); sequence order: correct, incorrect, correct.
    results = [result(1), result(3), result(2, "incorrect")]

    assert problems(session(results, max_streak=1)) == {}
    assert problems(session(results, max_streak=2)) == {
        "max_streak": ["Is 2 but the longest run of correct results is 1."]}


def test_listen_only_results_carry_no_score_or_text_keyed_by_request_index():
    results = [result(1), result(2, score=70.0, text="hello")]

    found = problems(session(results, avg_pronunciation_score=None))

    assert found == {"results": {"1": {"pronunciation_score": ["Must be null in listen_only mode."],
                                       "recognized_text": ["Must be null in listen_only mode."]}}}


def test_listen_only_has_no_average():
    found = problems(session([result(1)], avg_pronunciation_score=50.0))

    assert found == {"avg_pronunciation_score": ["Must be null in listen_only mode."]}


def test_a_skipped_sentence_has_no_score():
    results = [result(1, score=80.0), result(2, "skipped", score=40.0)]

    found = problems(session(results, mode="listen_and_repeat"))

    assert found == {"results": {"1": {"pronunciation_score": ["A skipped sentence has no score."]}}}


@pytest.mark.parametrize("submitted, ok", [
    (84.27, True),  # the true mean, 84.2666..., rounded to two decimals
    (84.3, True),  # ... and to one
    (84.22, True),
    (84.32, False),
    (84.21, False),
    (None, False),
])
def test_the_average_must_be_the_mean_of_the_scores_within_five_hundredths(submitted, ok):
    results = [result(1, score=80.0), result(2, score=90.0), result(3, score=82.8)]

    found = problems(session(results, mode="listen_and_repeat", avg_pronunciation_score=submitted))

    assert (found == {}) is ok, found


def test_scored_mode_without_scores_has_no_average():
    results = [result(1, "skipped"), result(2, "skipped")]

    assert problems(session(results, mode="listen_and_repeat")) == {}
    assert problems(session(results, mode="listen_and_repeat", avg_pronunciation_score=0.0)) == {
        "avg_pronunciation_score": ["Must be null when no result has a score."]}


def test_completed_at_is_not_before_started_at():
    found = problems(session([result(1)], completed_at=NOW - timedelta(minutes=10)))

    assert found == {"completed_at": ["Must not be before started_at."]}


@pytest.mark.parametrize("duration, ok", [(240, True), (241, True), (242, False)])
def test_the_duration_fits_between_start_and_end_with_a_second_of_slack(duration, ok):
    submitted = session([result(1)], started_at=NOW - timedelta(minutes=5), completed_at=NOW - timedelta(minutes=1),
                        duration_seconds=duration)

    assert ("duration_seconds" not in problems(submitted)) is ok


@pytest.mark.parametrize("ahead, ok", [(timedelta(0), True), (SKEW, True), (SKEW + timedelta(seconds=1), False)])
def test_completed_at_may_run_ahead_of_the_server_by_the_clock_skew_only(ahead, ok):
    submitted = session([result(1)], started_at=NOW - timedelta(minutes=5), completed_at=NOW + ahead)

    assert (problems(submitted) == {}) is ok


def test_every_problem_is_reported_at_once():
    results = [result(1), result(2, score=50.0), result(3)]
    submitted = replace(session(results, avg_pronunciation_score=None), total_sentences=4, correct_count=1,
                        max_streak=1)

    assert set(problems(submitted)) == {"total_sentences", "correct_count", "max_streak", "results"}


def test_the_rules_test_for_the_values_the_models_store():
    from game.models import GameMode, UserResponse
    from game.rules import sessions

    assert (sessions.CORRECT, sessions.SKIPPED, sessions.LISTEN_ONLY) == (
        UserResponse.CORRECT.value, UserResponse.SKIPPED.value, GameMode.LISTEN_ONLY.value)
