"""The arithmetic of a learner's progress: accuracy, streaks, XP, weak tags, what to practise next.

Functions over figures the progress selector has already aggregated in the database; the
numbers are `game.rules`'.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from game import rules


def accuracy(sentences: int, correct: int) -> dict[str, Any]:
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


def xp_totals(*, correct: int, high_scores: int, bonus_sessions: int) -> dict[str, int]:
    """XP from the counts `rules.XP_RULE` names: correct results, well-scored results, long sessions."""
    from_correct = correct * rules.XP_PER_CORRECT
    from_high = high_scores * rules.XP_HIGH_SCORE_BONUS
    from_sessions = bonus_sessions * rules.XP_SESSION_BONUS
    return {"total": from_correct + from_high + from_sessions, "from_correct": from_correct,
            "from_high_scores": from_high, "from_sessions": from_sessions}


def week_starts(today: date) -> list[date]:
    """Mondays of the last PROGRESS_WEEKS weeks, the one holding `today` last."""
    this_monday = today - timedelta(days=today.weekday())
    return [this_monday - timedelta(weeks=back) for back in range(rules.PROGRESS_WEEKS - 1, -1, -1)]


def weakest_tags(by_tag: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Tags with enough results to judge and too few right, weakest first (then most practised)."""
    return sorted(
        (row for row in by_tag
         if row["sentences"] >= rules.WEAK_TAG_MIN_RESULTS and row["accuracy"] < rules.WEAK_TAG_ACCURACY),
        key=lambda row: (row["accuracy"], -row["sentences"], row["tag"]["name"]),
    )[: rules.INSIGHT_LIMIT]


def recommendations(*, sessions: int, by_level: list[dict[str, Any]], weak_tags: list[dict[str, Any]],
                    struggling: list[dict[str, Any]], levels: list[str]) -> list[dict[str, Any]]:
    """What to practise next: the review set, the weakest tag, the next level; or where to start.

    `levels` are the CEFR levels, easiest first (content's `Level`).
    """
    if not sessions:
        return [{"kind": "get_started", "level": levels[0], "tag": None,
                 "reason": f"Start with an {levels[0]} practice set."}]
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
    # Only the highest level practised can suggest moving up: doing well at A1 says nothing once at B1.
    top = max(practised, key=levels.index) if practised else None
    if top and top != levels[-1]:
        row = practised[top]
        if row["sentences"] >= rules.LEVEL_UP_MIN_RESULTS and row["accuracy"] >= rules.LEVEL_UP_ACCURACY:
            following = levels[levels.index(top) + 1]
            found.append({"kind": "level_up", "level": following, "tag": None,
                          "reason": f"You get {round(row['accuracy'] * 100)}% right at {top}; try {following}."})
    return found
