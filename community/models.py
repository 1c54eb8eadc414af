"""Weekly leagues and friends.

The database is the truth: `WeeklyXp` holds every learner's XP of a league week and their seat in a
`League`; the league tables in Redis (community.rankings) are copies rebuilt from it whenever missing.
Friendships are stored as two rows (one per direction) so "my friends" is one index range.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from community import rules

TIER_CHOICES = [(index, rules.TIER_NAMES[code]) for index, code in enumerate(rules.TIERS)]


class CommunityProfile(models.Model):
    """A learner's place on the ladder, their league choice and the code friends add them with."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True,
                                related_name="community_profile")
    tier = models.PositiveSmallIntegerField(choices=TIER_CHOICES, default=0)
    # The league week `tier` applies from: a week's close moves a learner for the week after it.
    tier_from_week = models.DateField(null=True, blank=True)
    leagues_opt_out = models.BooleanField(default=False, help_text="Never placed in a league while set.")
    invite_code = models.CharField(max_length=12, unique=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(tier__lte=rules.TOP_TIER), name="community_tier_on_ladder")]

    def __str__(self) -> str:
        return f"community profile of {self.user_id}"


class League(models.Model):
    """About LEAGUE_SIZE learners of one tier racing through one league week."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    week_start = models.DateField(help_text="The Monday the league week starts (LEAGUE_TIME_ZONE).")
    tier = models.PositiveSmallIntegerField(choices=TIER_CHOICES)
    number = models.PositiveIntegerField(help_text="Its number among the leagues of its tier and week.")
    members = models.PositiveIntegerField(default=0)
    closed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["week_start", "tier", "number"], name="community_league_seat")]
        indexes = [models.Index(fields=["week_start", "tier", "members"], name="community_league_open"),
                   models.Index(fields=["closed_at", "week_start"], name="community_league_to_close")]
        ordering = ["-week_start", "-tier", "number"]

    def __str__(self) -> str:
        return f"{rules.TIER_NAMES[rules.TIERS[self.tier]]} #{self.number}, week of {self.week_start}"


class WeeklyXp(models.Model):
    """A learner's XP of one league week, their league in it (none while opted out) and how it ended."""

    class Outcome(models.TextChoices):
        PROMOTED = "promoted", "promoted"
        STAYED = "stayed", "stayed"
        DEMOTED = "demoted", "demoted"

    id = models.BigAutoField(primary_key=True)
    # Indexed by community_weekly_user_xp (a friends leaderboard reads the XP from the index alone).
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="weekly_xp",
                             db_index=False)
    week_start = models.DateField()
    xp = models.PositiveIntegerField(default=0)
    league = models.ForeignKey(League, on_delete=models.SET_NULL, null=True, blank=True, related_name="entries")
    final_rank = models.PositiveIntegerField(null=True, blank=True)
    outcome = models.CharField(max_length=8, choices=Outcome.choices, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "weekly XP"
        verbose_name_plural = "weekly XP"
        constraints = [models.UniqueConstraint(fields=["user", "week_start"], name="community_weekly_xp_once")]
        indexes = [models.Index(fields=["league", "xp"], name="community_weekly_league_xp"),
                   models.Index(fields=["week_start", "user"], name="community_weekly_week_user"),
                   models.Index(fields=["user", "week_start", "xp"], name="community_weekly_user_xp")]

    def __str__(self) -> str:
        return f"{self.xp} XP of {self.user_id}, week of {self.week_start}"


class Friendship(models.Model):
    """One direction of a friendship; its mirror row is written and deleted with it."""

    id = models.BigAutoField(primary_key=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="friendships")
    friend = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "friend"], name="community_friendship_once"),
                       models.CheckConstraint(condition=~Q(user=F("friend")), name="community_no_self_friendship")]

    def __str__(self) -> str:
        return f"{self.user_id} → {self.friend_id}"


class FriendRequest(models.Model):
    """A request by email address: whoever holds that address (now or after signing up) may accept it.

    It names an address rather than an account so that asking reveals nothing about whether the address
    belongs to a learner.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    from_user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="friend_requests")
    to_email = models.EmailField(help_text="Normalised (lower case).")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["from_user", "to_email"], name="community_request_once")]
        indexes = [models.Index(fields=["to_email"], name="community_request_to")]
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.from_user_id} → {self.to_email}"
