import pytest

from courses import rules


def test_score_is_the_share_of_sentences_with_a_correct_answer():
    assert rules.lesson_score(sentence_ids={"a", "b", "c", "d"},
                              answers=[("a", True), ("b", False), ("c", True)]) == 50.0


def test_a_sentence_answered_several_times_counts_once_and_is_correct_if_any_answer_was():
    answers = [("a", False), ("a", True), ("a", True), ("b", False), ("b", False)]
    assert rules.lesson_score(sentence_ids=["a", "b"], answers=answers) == 50.0


def test_answers_about_other_sentences_are_ignored_and_an_empty_lesson_scores_zero():
    assert rules.lesson_score(sentence_ids={"a"}, answers=[("x", True)]) == 0.0
    assert rules.lesson_score(sentence_ids=set(), answers=[("x", True)]) == 0.0


@pytest.mark.parametrize(("score", "ratio", "passed"), [
    (80.0, 0.8, True), (79.99, 0.8, False), (100.0, 1.0, True), (0.0, 0.0, True),
    # 4/7 of a lesson is 57.142..., 0.57 * 100 is 56.99999999999999 in floating point.
    (100 * 4 / 7, 4 / 7, True), (57.0, 0.57, True), (56.9, 0.57, False),
])
def test_pass_at_the_threshold(score, ratio, passed):
    assert rules.is_passed(score, ratio) is passed


def test_pass_score_is_the_ratio_in_percent():
    assert rules.pass_score(0.8) == 80.0
    assert rules.pass_score(0.57) == 57.0


@pytest.mark.parametrize(("completed", "states"), [
    ([], []),
    ([False], ["available"]),
    ([False, False, False], ["available", "locked", "locked"]),
    ([True, False, False], ["completed", "available", "locked"]),
    ([True, True, True], ["completed", "completed", "completed"]),
    # A lesson an editor inserted before completed ones: open, and what follows stays completed.
    ([False, True, True], ["available", "completed", "completed"]),
    ([True, False, True, False], ["completed", "available", "completed", "available"]),
])
def test_lesson_states(completed, states):
    assert rules.lesson_states(completed) == states


@pytest.mark.parametrize(("completed", "index"), [
    ([], None), ([False, False], 0), ([True, False], 1), ([True, True], None), ([False, True], 0),
])
def test_next_lesson_is_the_first_not_completed(completed, index):
    assert rules.next_lesson_index(completed) == index
    if index is not None:
        assert rules.lesson_states(completed)[index] == "available"
