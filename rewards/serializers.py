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
