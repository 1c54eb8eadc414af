"""Progress arithmetic (streaks, XP, weeks, weak tags, recommendations) as plain functions: no database."""

from datetime import date

import pytest

from content.models import Level
from game import rules
from game.rules.progress import accuracy, recommendations, streaks, weakest_tags, week_starts, xp_totals


def days(*texts: str) -> list[date]:
    return [date.fromisoformat(text) for text in texts]


# --- streaks ----------------------------------------------------------------------------------

@pytest.mark.parametrize("practised, today, expected", [
    ([], "2025-12-10", (0, 0)),
    (["2025-12-10"], "2025-12-10", (1, 1)),
    (["2025-12-08", "2025-12-09", "2025-12-10"], "2025-12-10", (3, 3)),
    (["2025-12-08", "2025-12-09"], "2025-12-10", (2, 2)),  # yesterday keeps it alive
    (["2025-12-07", "2025-12-08"], "2025-12-10", (0, 2)),  # a missed day ends it
    (["2025-12-01", "2025-12-02", "2025-12-03", "2025-12-04", "2025-12-09", "2025-12-10"], "2025-12-10",
     (2, 4)),
    (["2025-02-27", "2025-02-28", "2025-03-01"], "2025-03-01", (3, 3)),  # across a month end
    (["2024-12-31", "2025-01-01"], "2025-01-01", (2, 2)),  # across a year end
])
def test_current_and_longest_streak(practised, today, expected):
    assert streaks(days(*practised), date.fromisoformat(today)) == expected


# --- XP ---------------------------------------------------------------------------------------

def test_xp_adds_correct_answers_high_scores_and_long_sessions():
    assert xp_totals(correct=4, high_scores=2, bonus_sessions=1) == {
        "total": 70, "from_correct": 40, "from_high_scores": 10, "from_sessions": 20}


def test_no_practice_is_no_xp():
    assert xp_totals(correct=0, high_scores=0, bonus_sessions=0) == {
        "total": 0, "from_correct": 0, "from_high_scores": 0, "from_sessions": 0}


def test_the_documented_xp_rule_states_the_numbers_used():
    assert rules.XP_RULE == ("10 XP per correct sentence, +5 per sentence with a pronunciation score of 80 or "
                             "more, +20 per session of at least 5 sentences.")
    assert xp_totals(correct=1, high_scores=0, bonus_sessions=0)["total"] == rules.XP_PER_CORRECT
    assert xp_totals(correct=0, high_scores=1, bonus_sessions=0)["total"] == rules.XP_HIGH_SCORE_BONUS
    assert xp_totals(correct=0, high_scores=0, bonus_sessions=1)["total"] == rules.XP_SESSION_BONUS


# --- accuracy and weeks -----------------------------------------------------------------------

def test_accuracy_is_a_rounded_share_and_none_without_sentences():
    assert accuracy(7, 4) == {"sentences": 7, "correct": 4, "accuracy": 0.5714}
    assert accuracy(0, 0) == {"sentences": 0, "correct": 0, "accuracy": None}


@pytest.mark.parametrize("today, first, last", [
    ("2025-12-10", "2025-09-22", "2025-12-08"),  # a Wednesday
    ("2025-12-08", "2025-09-22", "2025-12-08"),  # its Monday
    ("2025-12-14", "2025-09-22", "2025-12-08"),  # its Sunday
    ("2026-01-01", "2025-10-13", "2025-12-29"),  # across a year end
])
def test_weeks_are_the_last_twelve_mondays_ending_with_this_one(today, first, last):
    weeks = week_starts(date.fromisoformat(today))

    assert len(weeks) == rules.PROGRESS_WEEKS == 12
    assert (weeks[0], weeks[-1]) == (date.fromisoformat(first), date.fromisoformat(last))
    assert all(week.weekday() == 0 for week in weeks)
    assert weeks == sorted(weeks)


# --- weak tags --------------------------------------------------------------------------------

def tag_row(name: str, sentences: int, correct: int) -> dict:
    return {"tag": {"id": name, "name": name}, **accuracy(sentences, correct)}


def test_a_weak_tag_has_enough_results_and_too_few_right():
    rows = [tag_row("few", 4, 0), tag_row("exactly-80", 5, 4), tag_row("weak", 5, 3), tag_row("strong", 10, 10)]

    assert [row["tag"]["name"] for row in weakest_tags(rows)] == ["weak"]


def test_weak_tags_are_weakest_first_then_most_practised_then_by_name_and_at_most_five():
    rows = [tag_row("b", 10, 5), tag_row("a", 10, 5), tag_row("c", 20, 10), tag_row("d", 5, 0),
            tag_row("e", 10, 7), tag_row("f", 10, 6)]

    assert [row["tag"]["name"] for row in weakest_tags(rows)] == ["d", "c", "a", "b", "f"]


# --- recommendations --------------------------------------------------------------------------

LEVELS = [level.value for level in Level]


def level_row(level: str, sentences: int, correct: int) -> dict:
    return {"level": level, **accuracy(sentences, correct)}


def kinds(found: list[dict]) -> list[str]:
    return [item["kind"] for item in found]


def test_a_new_learner_is_told_where_to_start():
    assert recommendations(sessions=0, by_level=[], weak_tags=[], struggling=[], levels=LEVELS) == [
        {"kind": "get_started", "level": "A1", "tag": None, "reason": "Start with an A1 practice set."}]


def test_missed_sentences_suggest_the_review_set():
    found = recommendations(sessions=1, by_level=[level_row("A1", 3, 2)], weak_tags=[],
                            struggling=[{"speech": None, "attempts": 1, "missed": 1}], levels=LEVELS)

    assert kinds(found) == ["review"]


def test_the_weakest_tag_is_suggested_at_the_most_practised_level():
    weak = [tag_row("Food", 10, 2), tag_row("Travel", 10, 5)]

    found = recommendations(sessions=3, by_level=[level_row("A1", 4, 4), level_row("A2", 16, 3)],
                            weak_tags=weak, struggling=[], levels=LEVELS)

    assert found == [{"kind": "weak_tag", "level": "A2", "tag": {"id": "Food", "name": "Food"},
                      "reason": "You get 20% of 'Food' sentences right; practise that topic."}]


@pytest.mark.parametrize("sentences, correct, suggested", [
    (30, 26, True),  # 86.7%
    (30, 25, False),  # 83.3%: not accurate enough
    (29, 29, False),  # too few results to judge
])
def test_strong_results_at_the_top_level_suggest_the_next(sentences, correct, suggested):
    found = recommendations(sessions=5, by_level=[level_row("A2", sentences, correct)], weak_tags=[],
                            struggling=[], levels=LEVELS)

    if suggested:
        assert found == [{"kind": "level_up", "level": "B1", "tag": None,
                          "reason": f"You get {round(correct / sentences * 100)}% right at A2; try B1."}]
    else:
        assert found == []


def test_only_the_highest_level_practised_can_suggest_moving_up():
    by_level = [level_row("A1", 100, 100), level_row("B1", 30, 10)]

    assert recommendations(sessions=5, by_level=by_level, weak_tags=[], struggling=[], levels=LEVELS) == []


def test_there_is_no_level_above_c1():
    found = recommendations(sessions=5, by_level=[level_row("C1", 50, 50)], weak_tags=[], struggling=[],
                            levels=LEVELS)

    assert found == []


def test_suggestions_come_review_then_weak_tag_then_level_up():
    found = recommendations(sessions=9, by_level=[level_row("B2", 40, 36)], weak_tags=[tag_row("Food", 10, 5)],
                            struggling=[{"speech": None}], levels=LEVELS)

    assert kinds(found) == ["review", "weak_tag", "level_up"]
    assert found[2]["level"] == "C1"
