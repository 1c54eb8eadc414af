"""XP as a ledger, the learner's aggregates, streak freezes and the achievements catalogue.

XP is never a bare counter: every point is an `XpEvent`; `LearnerStats` holds the O(1)
aggregates, written in the same transaction as the ledger and rebuildable from it
(`rewards.services.rebuild_stats`).
"""

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q

from rewards import rules


def default_daily_xp_goal() -> int:
    return settings.REWARDS_DAILY_XP_GOAL


class XpReason(models.TextChoices):
    CORRECT_ANSWERS = rules.CORRECT_ANSWERS, "Correct answers"
    HIGH_SCORES = rules.HIGH_SCORES, "High pronunciation scores"
    LONG_SESSION = rules.LONG_SESSION, "Long session"
    PERFECT_SESSION = rules.PERFECT_SESSION, "Perfect session"
    LESSON_COMPLETED = rules.LESSON_COMPLETED, "Lesson completed"
    COURSE_COMPLETED = rules.COURSE_COMPLETED, "Course completed"
    ACHIEVEMENT = rules.ACHIEVEMENT, "Achievement"
    GRANTED = rules.GRANTED, "Granted by staff"


class AchievementKind(models.TextChoices):
    FIRST_SESSION = rules.FIRST_SESSION, "First session"
    SESSIONS = rules.SESSIONS, "Sessions saved"
    STREAK_DAYS = rules.STREAK_DAYS, "Streak days"
    HIGH_SCORE_SENTENCES = rules.HIGH_SCORE_SENTENCES, "Sentences scored 80+"
    LESSONS_COMPLETED = rules.LESSONS_COMPLETED, "Lessons completed"
    COURSES_COMPLETED = rules.COURSES_COMPLETED, "Courses completed"
    LEVEL_MASTERED = rules.LEVEL_MASTERED, "Sentences scored 80+ at a level"
    TOTAL_XP = rules.TOTAL_XP, "Total XP"


class Achievement(models.Model):
    """The catalogue, managed by editors in the admin."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    code = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=120)
    description = models.CharField(max_length=500, blank=True)
    icon_url = models.URLField(max_length=500, blank=True)
    kind = models.CharField(max_length=32, choices=AchievementKind.choices)
    threshold = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    level = models.CharField(max_length=2, blank=True, choices=[(code, code) for code in rules.CEFR_LEVELS],
                             help_text="Only for “Sentences scored 80+ at a level”: the CEFR level counted.")
    xp_reward = models.PositiveIntegerField(default=0)
    is_active = models.BooleanField(default=True)
    position = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "code"]
        constraints = [
            models.CheckConstraint(condition=Q(threshold__gte=1), name="rewards_achievement_threshold_positive"),
            # A level exactly when the kind counts one.
            models.CheckConstraint(
                condition=(Q(kind=rules.LEVEL_MASTERED) & ~Q(level="")) | (~Q(kind=rules.LEVEL_MASTERED) & Q(level="")),
                name="rewards_achievement_level_iff_level_mastered"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    def clean(self):
        super().clean()
        if self.kind == rules.LEVEL_MASTERED and not self.level:
            raise ValidationError({"level": "Choose the CEFR level this achievement counts."})
        if self.kind != rules.LEVEL_MASTERED and self.level:
            raise ValidationError({"level": "Only “Sentences scored 80+ at a level” has a level; leave it empty."})
        if self.kind == rules.FIRST_SESSION and self.threshold not in (None, 1):
            raise ValidationError({"threshold": "A first-session achievement has threshold 1."})


class LearnerStats(models.Model):
    """One row per learner: the aggregates the home screen and the achievements read in O(1)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True,
                                related_name="reward_stats")
    total_xp = models.PositiveIntegerField(default=0)
    daily_xp_goal = models.PositiveIntegerField(default=default_daily_xp_goal)
    sessions = models.PositiveIntegerField(default=0)
    sentences = models.PositiveIntegerField(default=0)
    high_score_sentences = models.PositiveIntegerField(default=0)
    high_scores_by_level = models.JSONField(default=dict, blank=True)
    lessons_completed = models.PositiveIntegerField(default=0)
    courses_completed = models.PositiveIntegerField(default=0)
    current_streak = models.PositiveIntegerField(default=0)
    longest_streak = models.PositiveIntegerField(default=0)
    last_active_day = models.DateField(null=True, blank=True)
    streak_freezes = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "learner stats"
        verbose_name_plural = "learner stats"

    def __str__(self) -> str:
        return f"stats of {self.user_id}"

    @property
    def counters(self) -> rules.Counters:
        return rules.Counters(
            sessions=self.sessions, current_streak=self.current_streak,
            high_score_sentences=self.high_score_sentences, lessons_completed=self.lessons_completed,
            courses_completed=self.courses_completed, total_xp=self.total_xp,
            high_scores_by_level=dict(self.high_scores_by_level or {}))


class RewardedSession(models.Model):
    """A game session the rewards have counted, with the facts they were given: replays are answered from
    here without paying again, and every counter of LearnerStats can be rebuilt from these rows."""

    id = models.BigAutoField(primary_key=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    session_id = models.UUIDField()
    completed_at = models.DateTimeField()
    local_day = models.DateField()
    level = models.CharField(max_length=2)
    sentences = models.PositiveIntegerField()
    correct = models.PositiveIntegerField()
    high_scores = models.PositiveIntegerField()
    lesson_completed = models.BooleanField(default=False)
    course_completed = models.BooleanField(default=False)
    rewards = models.JSONField(help_text="What record_session answered (SessionRewards.as_dict()).")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "session_id"], name="rewards_session_once")]
        indexes = [models.Index(fields=["user", "local_day"], name="rewards_session_user_day")]

    def __str__(self) -> str:
        return f"session {self.session_id}"


class XpEvent(models.Model):
    """The XP ledger: every point a learner has, with why and when (in the learner's local day)."""

    id = models.BigAutoField(primary_key=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="xp_events")
    amount = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    reason = models.CharField(max_length=32, choices=XpReason.choices)
    # Not a foreign key: the game app owns sessions and rewards may not import it.
    session_id = models.UUIDField(null=True, blank=True)
    achievement = models.ForeignKey(Achievement, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="xp_events")
    local_day = models.DateField(help_text="The day in the learner's time zone when the XP was earned.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=1), name="rewards_xp_amount_positive"),
            # A session is never paid twice for one reason.
            models.UniqueConstraint(fields=["user", "reason", "session_id"],
                                    condition=Q(reason__in=rules.SESSION_REASONS), name="rewards_xp_session_once"),
            # An achievement's XP is paid once.
            models.UniqueConstraint(fields=["user", "achievement"], condition=Q(achievement__isnull=False),
                                    name="rewards_xp_achievement_once"),
        ]
        indexes = [models.Index(fields=["user", "local_day"], name="rewards_xp_user_day"),
                   models.Index(fields=["user", "-created_at"], name="rewards_xp_user_newest")]

    def __str__(self) -> str:
        return f"+{self.amount} XP ({self.reason})"


class StreakFreezeUse(models.Model):
    """A missed day a streak freeze covered."""

    id = models.BigAutoField(primary_key=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    day = models.DateField(help_text="The missed local day the freeze covered.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "day"], name="rewards_freeze_use_once_a_day")]

    def __str__(self) -> str:
        return f"freeze used for {self.day}"


class FreezeGrantReason(models.TextChoices):
    EARNED = "earned", "Earned by a streak"
    GRANTED = "granted", "Granted by staff"


class StreakFreezeGrant(models.Model):
    """Freezes a learner received: earned by a streak, or granted by staff."""

    id = models.BigAutoField(primary_key=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    count = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    reason = models.CharField(max_length=16, choices=FreezeGrantReason.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.count} freeze(s) {self.reason}"


class AchievementAward(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="achievement_awards")
    achievement = models.ForeignKey(Achievement, on_delete=models.PROTECT, related_name="awards")
    awarded_at = models.DateTimeField()
    session_id = models.UUIDField(null=True, blank=True)
    seen_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-awarded_at"]
        constraints = [models.UniqueConstraint(fields=["user", "achievement"], name="rewards_award_once")]
        indexes = [models.Index(fields=["user"], condition=Q(seen_at__isnull=True), name="rewards_award_unseen")]

    def __str__(self) -> str:
        return f"{self.achievement_id} to {self.user_id}"
