from functools import lru_cache
from zoneinfo import available_timezones

from rest_framework import serializers

from accounts.models import User


@lru_cache(maxsize=1)
def _timezones() -> frozenset[str]:
    return frozenset(available_timezones())


class UserProfileSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "email", "name", "avatar_url", "auth_provider", "timezone", "created_at", "updated_at"]
        read_only_fields = fields


class ProfileUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=150, required=False, allow_blank=False)
    avatar_url = serializers.URLField(max_length=1024, required=False, allow_null=True)
    timezone = serializers.CharField(max_length=64, required=False,
                                     help_text="IANA time zone name, e.g. Asia/Ho_Chi_Minh; daily streaks use it.")

    def validate_avatar_url(self, value):
        if value is not None and not value.lower().startswith(("https://", "http://")):
            raise serializers.ValidationError("Only http and https URLs are allowed.")
        return value

    def validate_timezone(self, value):
        if value not in _timezones():
            raise serializers.ValidationError("Unknown time zone; use an IANA name such as Europe/Paris.")
        return value
