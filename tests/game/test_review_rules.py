"""game.rules.review: answers as FSRS ratings, one rating per sentence and session, one review step (no database)."""

from datetime import UTC, datetime, timedelta, timezone
from types import SimpleNamespace

import pytest
from fsrs import Rating, Scheduler, State

from game.rules.review import Memory, moves_card, rating_for, review, session_ratings

T = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
SCHEDULER = Scheduler(enable_fuzzing=False)


def answer(speech_id, response, score=None):
    return SimpleNamespace(speech_id=speech_id, user_response=response, pronunciation_score=score)


@pytest.mark.parametrize(("response", "score", "rating"), [
    ("incorrect", None, Rating.Again),
    ("incorrect", 95.0, Rating.Again),
    ("skipped", None, Rating.Again),
    ("correct", None, Rating.Good),
    ("correct", 0.0, Rating.Hard),
    ("correct", 59.9, Rating.Hard),
    ("correct", 60.0, Rating.Good),
    ("correct", 89.9, Rating.Good),
    ("correct", 90.0, Rating.Easy),
    ("correct", 100.0, Rating.Easy),
])
def test_an_answer_rates_by_response_then_score(response, score, rating):
    assert rating_for(response, score) == rating


def test_a_sentence_answered_twice_in_a_session_keeps_its_worst_rating():
    ratings = session_ratings([answer("a", "correct", 95.0), answer("b", "correct", 70.0),
                               answer("a", "correct", 40.0), answer("b", "skipped"), answer("c", "correct")])

    assert ratings == {"a": Rating.Hard, "b": Rating.Again, "c": Rating.Good}
    assert list(ratings) == ["a", "b", "c"]


def test_a_first_review_schedules_by_rating():
    again, good, easy = (review(None, rating, reviewed_at=T, scheduler=SCHEDULER)
                         for rating in (Rating.Again, Rating.Good, Rating.Easy))

    assert (again.state, again.step, again.due) == (State.Learning, 0, T + timedelta(minutes=1))
    assert (good.state, good.step, good.due) == (State.Learning, 1, T + timedelta(minutes=10))
    assert easy.state == State.Review and easy.step is None and easy.due > T + timedelta(days=3)
    assert all(m.last_review == T and m.reps == 1 and m.lapses == 0 for m in (again, good, easy))
    assert again.difficulty > good.difficulty > easy.difficulty


def test_forgetting_a_learnt_sentence_is_a_lapse_and_relearning():
    learnt = review(None, Rating.Easy, reviewed_at=T, scheduler=SCHEDULER)

    forgotten = review(learnt, Rating.Again, reviewed_at=learnt.due, scheduler=SCHEDULER)

    assert (forgotten.state, forgotten.reps, forgotten.lapses) == (State.Relearning, 2, 1)
    assert forgotten.due == learnt.due + timedelta(minutes=10)
    assert forgotten.stability < learnt.stability


def test_missing_a_sentence_still_being_learnt_is_no_lapse():
    learning = review(None, Rating.Good, reviewed_at=T, scheduler=SCHEDULER)

    again = review(learning, Rating.Again, reviewed_at=T + timedelta(hours=1), scheduler=SCHEDULER)

    assert (again.state, again.reps, again.lapses) == (State.Learning, 2, 0)


def test_times_in_any_zone_are_reviewed_as_utc():
    hanoi = T.astimezone(timezone(timedelta(hours=7)))

    memory = review(None, Rating.Good, reviewed_at=hanoi, scheduler=SCHEDULER)

    assert memory == review(None, Rating.Good, reviewed_at=T, scheduler=SCHEDULER)
    assert memory.last_review.tzinfo == UTC


def test_a_session_older_than_the_last_review_does_not_move_the_card():
    memory = Memory(state=State.Review, step=None, stability=8.0, difficulty=3.0, due=T + timedelta(days=8),
                    last_review=T, reps=1)

    assert moves_card(None, T) is True
    assert moves_card(memory, T + timedelta(seconds=1)) is True
    assert moves_card(memory, T) is True
    assert moves_card(memory, T - timedelta(seconds=1)) is False
