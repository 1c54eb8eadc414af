import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from content.models import Level, SentenceType, Speech


class GameMode(models.TextChoices):
    LISTEN_ONLY = "listen_only", "Listen only"
    LISTEN_AND_REPEAT = "listen_and_repeat", "Listen and repeat"


class UserResponse(models.TextChoices):
    CORRECT = "correct", "Correct"
    INCORRECT = "incorrect", "Incorrect"
    SKIPPED = "skipped", "Skipped"


class GameSession(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="game_sessions",
                             db_index=False)
    mode = models.CharField(max_length=32, choices=GameMode.choices)
    level = models.CharField(max_length=2, choices=Level.choices)
    sentence_type = models.CharField(max_length=16, choices=SentenceType.choices)
    selected_tags = models.JSONField(default=list)
    total_sentences = models.PositiveIntegerField()
    correct_count = models.PositiveIntegerField()
    max_streak = models.PositiveIntegerField()
    avg_pronunciation_score = models.FloatField(blank=True, null=True,
                                                validators=[MinValueValidator(0), MaxValueValidator(100)])
    duration_seconds = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    completed_at = models.DateTimeField()
    # The lesson this session played, if any; a deleted lesson leaves the session in history.
    lesson = models.ForeignKey("courses.Lesson", on_delete=models.SET_NULL, null=True, blank=True,
                               related_name="+")
    # What the save earned (XP, achievements, lesson outcome), as answered then: a retried save repeats it.
    outcome = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-completed_at"]
        indexes = [
            models.Index(fields=["user", "-completed_at"], name="idx_game_session_user_done"),
            models.Index(fields=["mode", "level"], name="idx_game_session_mode_level"),
        ]
        # The service checks these before writing; the database keeps them true for any other writer.
        constraints = [
            models.CheckConstraint(condition=models.Q(correct_count__lte=models.F("total_sentences")),
                                   name="chk_game_session_correct_le_total"),
            models.CheckConstraint(condition=models.Q(max_streak__lte=models.F("correct_count")),
                                   name="chk_game_session_streak_le_correct"),
            models.CheckConstraint(condition=models.Q(completed_at__gte=models.F("started_at")),
                                   name="chk_game_session_completed_after_start"),
            models.CheckConstraint(
                condition=models.Q(avg_pronunciation_score__isnull=True)
                | models.Q(avg_pronunciation_score__gte=0, avg_pronunciation_score__lte=100),
                name="chk_game_session_avg_score_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.mode} {self.level} ({self.completed_at:%Y-%m-%d})"


class GameResult(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    session = models.ForeignKey(GameSession, on_delete=models.CASCADE, related_name="results", db_index=False)
    # Speeches are archived, never deleted, so history keeps pointing at them.
    speech = models.ForeignKey(Speech, on_delete=models.PROTECT, related_name="game_results", db_index=False)
    sequence_number = models.PositiveIntegerField()
    user_response = models.CharField(max_length=16, choices=UserResponse.choices)
    pronunciation_score = models.FloatField(blank=True, null=True,
                                            validators=[MinValueValidator(0), MaxValueValidator(100)])
    recognized_text = models.TextField(blank=True, null=True)
    response_time_ms = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["sequence_number"]
        indexes = [
            models.Index(fields=["speech"], name="idx_game_result_speech_id"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["session", "sequence_number"], name="uniq_game_result_session_seq"),
            models.CheckConstraint(condition=models.Q(sequence_number__gte=1), name="chk_game_result_seq_positive"),
            models.CheckConstraint(
                condition=models.Q(pronunciation_score__isnull=True)
                | models.Q(pronunciation_score__gte=0, pronunciation_score__lte=100),
                name="chk_game_result_score_range",
            ),
        ]

    def __str__(self) -> str:
        return f"Result {self.sequence_number}"


class SessionSubmission(models.Model):
    """Which session a save sent with an `Idempotency-Key` stored, so retries get that session back.

    Only successful saves are kept, so a replay is always of a created session. The unique
    (user, key) pair is what makes two concurrent retries create one session: the second
    insert waits for the first transaction and then fails, and its request answers with
    the first one's session instead.
    """

    id = models.BigAutoField(primary_key=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False)
    key = models.CharField(max_length=255)
    # sha256 of the validated request body, to tell a retry from a different request reusing the key.
    fingerprint = models.CharField(max_length=64)
    session = models.ForeignKey(GameSession, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="uniq_game_submission_user_key"),
        ]

    def __str__(self) -> str:
        return self.key


class ReviewCard(models.Model):
    """A learner's FSRS memory of one sentence: when it is next due for review (game.services.review).

    The columns are the `fsrs.Card` fields, so the scheduler can take them as they are. Derived data:
    `rebuild_review_cards` recomputes every card from the stored results at any time.
    """

    class State(models.IntegerChoices):
        # The values of `fsrs.State`.
        LEARNING = 1, "Learning"
        REVIEW = 2, "Review"
        RELEARNING = 3, "Relearning"

    id = models.BigAutoField(primary_key=True)
    # The (user, speech) unique index leads with user, so the user's own index would only repeat it.
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False)
    speech = models.ForeignKey(Speech, on_delete=models.PROTECT, related_name="+")
    state = models.PositiveSmallIntegerField(choices=State.choices)
    # The learning or relearning step; None once the card is in the Review state.
    step = models.PositiveIntegerField(blank=True, null=True)
    stability = models.FloatField(blank=True, null=True)
    difficulty = models.FloatField(blank=True, null=True)
    due = models.DateTimeField()
    last_review = models.DateTimeField(blank=True, null=True)
    reps = models.PositiveIntegerField(default=0)
    # Times the sentence was forgotten (rated Again) after it had reached the Review state.
    lapses = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "speech"], name="uniq_review_card_user_speech"),
        ]
        indexes = [
            models.Index(fields=["user", "due"], name="idx_review_card_user_due"),
        ]

    def __str__(self) -> str:
        return f"Review card due {self.due:%Y-%m-%d %H:%M}"


class LearnerTagStats(models.Model):
    """A learner's answers per tag, counted in the save transaction (game.services.tag_stats).

    Derived data: `rebuild_tag_stats` recomputes it from the results, and the tests check both agree.
    """

    id = models.BigAutoField(primary_key=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False)
    tag = models.ForeignKey("content.Tag", on_delete=models.CASCADE, related_name="+")
    sentences = models.PositiveIntegerField(default=0)
    correct = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "tag"], name="uniq_learner_tag_stats")]

    def __str__(self) -> str:
        return f"{self.correct}/{self.sentences}"


class LearnerProgress(models.Model):
    """A learner's running totals for the progress screen, counted in the save transaction.

    Derived data (game.services.aggregates): `rebuild_learner_aggregates` recomputes it from the results,
    and the tests check both agree. Days are counted in the learner's time zone at the time of the save.
    """

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True,
                                related_name="+")
    sessions = models.PositiveIntegerField(default=0)
    practice_seconds = models.PositiveBigIntegerField(default=0)
    bonus_sessions = models.PositiveIntegerField(default=0)
    sentences = models.PositiveIntegerField(default=0)
    correct = models.PositiveIntegerField(default=0)
    high_scores = models.PositiveIntegerField(default=0)
    distinct_sentences = models.PositiveIntegerField(default=0)
    # {"A1": [sentences, correct], ...}: by the level of each sentence, as the progress screen shows it.
    by_level = models.JSONField(default=dict, blank=True)
    last_practice_date = models.DateField(null=True, blank=True)
    # The run of consecutive practice days ending on last_practice_date, and the longest run ever.
    current_run = models.PositiveIntegerField(default=0)
    longest_run = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"progress of {self.user_id}"


class LearnerPracticeDay(models.Model):
    """A day (learner's time zone) with at least one session: what a late-saved session's streak is redone from."""

    id = models.BigAutoField(primary_key=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False)
    day = models.DateField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "day"], name="uniq_learner_practice_day")]

    def __str__(self) -> str:
        return f"{self.day}"


class LearnerWeekScore(models.Model):
    """Pronunciation scores of one learner's week (Monday, learner's time zone): the weekly chart in O(weeks)."""

    id = models.BigAutoField(primary_key=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False)
    week_start = models.DateField()
    scored = models.PositiveIntegerField(default=0)
    score_sum = models.FloatField(default=0.0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "week_start"], name="uniq_learner_week_score")]

    def __str__(self) -> str:
        return f"week of {self.week_start}: {self.scored} scored"


class LearnerSpeechStats(models.Model):
    """A learner's answers to one sentence: the struggling list and the review set's filler, read by index.

    `need` is the decayed review need (game.rules.review.NEED_RULE) scaled to a fixed epoch, so that ordering
    by it at any moment is ordering by the need at that moment; `miss_rate` is stored so the struggling list
    is an index range too.
    """

    id = models.BigAutoField(primary_key=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False)
    speech = models.ForeignKey(Speech, on_delete=models.PROTECT, related_name="+")
    attempts = models.PositiveIntegerField(default=0)
    missed = models.PositiveIntegerField(default=0)
    scored = models.PositiveIntegerField(default=0)
    score_sum = models.FloatField(default=0.0)
    miss_rate = models.FloatField(default=0.0)
    need = models.FloatField(default=0.0)
    last_seen = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "speech"], name="uniq_learner_speech_stats")]
        indexes = [
            models.Index("user", models.F("need").desc(), name="idx_speech_stats_need"),
            models.Index("user", models.F("miss_rate").desc(), models.F("missed").desc(),
                         name="idx_speech_stats_missed"),
        ]

    def __str__(self) -> str:
        return f"{self.attempts - self.missed}/{self.attempts}"
