"""The game's rules, pure (no database, nothing of Django) so each is unit-tested on its own.

Here: the numbers behind XP, progress insights and the review set, in one place so docs and
code agree. `rules.sessions`: whether a submitted session adds up. `rules.progress`: streaks,
XP, weak tags and recommendations over figures the progress selector aggregated.
"""

# XP: earned per correct sentence, per well-pronounced sentence, and per session long enough to count.
XP_PER_CORRECT = 10
XP_HIGH_SCORE_BONUS = 5
HIGH_SCORE = 80.0
XP_SESSION_BONUS = 20
SESSION_BONUS_MIN_SENTENCES = 5

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

# Review set: how much each answer adds to a sentence's need for review, before decay.
REVIEW_MISS_WEIGHT = 1.0  # incorrect or skipped
REVIEW_LOW_SCORE = 60.0
REVIEW_LOW_SCORE_WEIGHT = 0.5  # correct, but pronounced below REVIEW_LOW_SCORE
REVIEW_CORRECT_WEIGHT = -1.0  # correct and pronounced well enough (or not scored)

REVIEW_RULE = (
    "Each of the learner's answers to a sentence adds to its review need: incorrect or skipped "
    f"+{REVIEW_MISS_WEIGHT:g}, correct with a pronunciation score under {REVIEW_LOW_SCORE:g} "
    f"+{REVIEW_LOW_SCORE_WEIGHT:g}, any other correct answer {REVIEW_CORRECT_WEIGHT:g}; each contribution is "
    "halved for every GAME_REVIEW_HALF_LIFE_DAYS (default 14) days since its session was completed, so a later "
    "correct answer outweighs an earlier miss. Sentences with a positive need are returned, highest first "
    "(ties: most recently practised first). Archived speeches are never included."
)
