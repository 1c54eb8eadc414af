"""The game's rules, pure (no database, nothing of Django) so each is unit-tested on its own.

Here: the numbers behind XP, progress insights and the review set, in one place so docs and
code agree. `rules.sessions`: whether a submitted session adds up. `rules.progress`: streaks,
XP, weak tags and recommendations over figures the progress selector aggregated. `rules.review`:
answers as FSRS ratings and one review of a sentence's memory.
"""

# XP: earned per correct sentence, per well-pronounced sentence, and per session long enough to count.
# The rewards ledger pays these; progress reports the same numbers, so they have one home.
from rewards.rules import HIGH_SCORE, XP_HIGH_SCORE_BONUS, XP_PER_CORRECT
from rewards.rules import LONG_SESSION_MIN_SENTENCES as SESSION_BONUS_MIN_SENTENCES
from rewards.rules import XP_LONG_SESSION_BONUS as XP_SESSION_BONUS

XP_RULE = (f"{XP_PER_CORRECT} XP per correct sentence, +{XP_HIGH_SCORE_BONUS} per sentence with a pronunciation "
           f"score of {HIGH_SCORE:g} or more, +{XP_SESSION_BONUS} per session of at least "
           f"{SESSION_BONUS_MIN_SENTENCES} sentences.")

PROGRESS_WEEKS = 12
INSIGHT_LIMIT = 5
# A tag is weak once it has enough results to judge and the learner gets fewer than this share right.
WEAK_TAG_MIN_RESULTS = 5
WEAK_TAG_ACCURACY = 0.8
# Suggest the next level after this many results at a level with at least this accuracy.
LEVEL_UP_MIN_RESULTS = 30
LEVEL_UP_ACCURACY = 0.85

# Spaced review (`rules.review`): a session's answer to a sentence as an FSRS rating. Correct answers
# pronounced under REVIEW_GOOD_SCORE are Hard, from REVIEW_EASY_SCORE on Easy, Good in between (and unscored).
REVIEW_GOOD_SCORE = 60.0
REVIEW_EASY_SCORE = 90.0

# The review set's filler: how much each answer adds to a sentence's need for review, before decay.
REVIEW_MISS_WEIGHT = 1.0  # incorrect or skipped
REVIEW_LOW_SCORE = 60.0
REVIEW_LOW_SCORE_WEIGHT = 0.5  # correct, but pronounced below REVIEW_LOW_SCORE
REVIEW_CORRECT_WEIGHT = -1.0  # correct and pronounced well enough (or not scored)

REVIEW_RULE = (
    "Every saved session reviews the learner's memory of each sentence in it with the FSRS scheduler "
    "(desired retention REVIEW_DESIRED_RETENTION, default 0.9): a skipped or incorrect answer rates Again, a "
    f"correct one without a score Good, under {REVIEW_GOOD_SCORE:g} Hard, from {REVIEW_GOOD_SCORE:g} to under "
    f"{REVIEW_EASY_SCORE:g} Good, {REVIEW_EASY_SCORE:g} or more Easy. A sentence answered several times in one "
    "session is reviewed once, with its worst rating. A session completed before a sentence's last review (an old "
    "session saved late) leaves that sentence's schedule as it is. The set holds the sentences due now, most "
    "overdue first. When fewer than `limit` are due, it is filled with the learner's weakest other sentences: "
    f"each answer adds to a sentence's need (incorrect or skipped +{REVIEW_MISS_WEIGHT:g}, correct with a "
    f"pronunciation score under {REVIEW_LOW_SCORE:g} +{REVIEW_LOW_SCORE_WEIGHT:g}, any other correct answer "
    f"{REVIEW_CORRECT_WEIGHT:g}), halved for every GAME_REVIEW_HALF_LIFE_DAYS (default 14) days since its session; "
    "those with a positive need follow, highest first (ties: most recently practised first). Archived speeches "
    "are never included."
)
