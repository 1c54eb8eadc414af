from rest_framework import serializers

from rewards import rules
from rewards.models import AchievementKind, XpReason


class AchievementSerializer(serializers.Serializer):
    code = serializers.SlugField()
    name = serializers.CharField()
    description = serializers.CharField()
    icon_url = serializers.CharField(help_text="Empty when the achievement has no icon.")
    kind = serializers.ChoiceField(choices=AchievementKind.choices)
    threshold = serializers.IntegerField(min_value=1)
    level = serializers.CharField(allow_null=True, help_text="The CEFR level counted; only for level_mastered.")
    xp_reward = serializers.IntegerField(min_value=0)
    earned = serializers.BooleanField()
    awarded_at = serializers.DateTimeField(allow_null=True)
    progress = serializers.IntegerField(min_value=0, help_text=(
        "The learner's current value of what the achievement counts, capped at threshold "
        "(threshold once earned)."))


class AchievementListSerializer(serializers.Serializer):
    achievements = AchievementSerializer(many=True)


class XpEventSerializer(serializers.Serializer):
    amount = serializers.IntegerField(min_value=1)
    reason = serializers.ChoiceField(choices=XpReason.choices)
    session_id = serializers.UUIDField(allow_null=True)
    achievement = serializers.CharField(source="achievement.code", default=None, allow_null=True, read_only=True,
                                        help_text="The achievement's code, for reason=achievement; else null.")
    local_day = serializers.DateField(help_text="The day in the learner's time zone when it was earned.")
    created_at = serializers.DateTimeField()


class DailyGoalSerializer(serializers.Serializer):
    daily_xp_goal = serializers.IntegerField(min_value=rules.DAILY_GOAL_MIN, max_value=rules.DAILY_GOAL_MAX)


# --- what a saved session earned, and the learner summary of the home screen ------------

class AwardedAchievementSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    description = serializers.CharField()
    icon_url = serializers.CharField(allow_blank=True)
    xp_reward = serializers.IntegerField()
    awarded_at = serializers.DateTimeField()


class SessionRewardsSerializer(serializers.Serializer):
    xp_awarded = serializers.IntegerField(help_text="All XP this session earned, achievements' XP included.")
    xp_total = serializers.IntegerField()
    level = serializers.IntegerField()
    level_up = serializers.BooleanField()
    today_xp = serializers.IntegerField(help_text="XP earned today, in the learner's time zone.")
    daily_goal = serializers.IntegerField()
    daily_goal_reached = serializers.BooleanField(help_text="True when this session reached today's goal.")
    streak_days = serializers.IntegerField()
    freezes_used = serializers.IntegerField(help_text="Streak freezes spent on missed days by this session.")
    freezes_left = serializers.IntegerField()
    achievements = AwardedAchievementSerializer(many=True, help_text="Awarded by this session: celebrate them.")


class LearnerStreakSerializer(serializers.Serializer):
    current_days = serializers.IntegerField(help_text="Consecutive practice days as of today (learner's time zone).")
    longest_days = serializers.IntegerField()
    freezes = serializers.IntegerField(help_text="Streak freezes held; each covers one missed day.")
    protected = serializers.BooleanField(help_text="The streak is alive only thanks to the freezes held.")


class LearnerXpSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    today = serializers.IntegerField()
    daily_goal = serializers.IntegerField()
    goal_reached = serializers.BooleanField()


class LearnerLevelSerializer(serializers.Serializer):
    level = serializers.IntegerField()
    xp_into_level = serializers.IntegerField()
    xp_for_next_level = serializers.IntegerField(help_text="XP between this level and the next.")
