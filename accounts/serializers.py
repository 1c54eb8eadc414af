from functools import lru_cache
from zoneinfo import available_timezones

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from accounts.models import User


@lru_cache(maxsize=1)
def _timezones() -> frozenset[str]:
    return frozenset(available_timezones())


class UserProfileSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "email", "email_verified", "name", "avatar_url", "auth_provider", "timezone", "created_at",
                  "updated_at"]
        read_only_fields = fields


class ProfileUpdateSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254, required=False,
                                   help_text="Accepted only if unchanged: a new address is confirmed through "
                                             "POST /users/me/email.")
    name = serializers.CharField(max_length=150, required=False, allow_blank=False)
    avatar_url = serializers.URLField(max_length=1024, required=False, allow_null=True)
    timezone = serializers.CharField(max_length=64, required=False,
                                     help_text="IANA time zone name, e.g. Asia/Ho_Chi_Minh; daily streaks use it.")

    def validate_avatar_url(self, value):
        if value is not None and not value.lower().startswith(("https://", "http://")):
            raise serializers.ValidationError(_("Only http and https URLs are allowed."))
        return value

    def validate_timezone(self, value):
        if value not in _timezones():
            raise serializers.ValidationError(_("Unknown time zone; use an IANA name such as Europe/Paris."))
        return value


class RegisterSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(write_only=True, max_length=128, trim_whitespace=False,
                                     style={"input_type": "password"},
                                     help_text="At least 8 characters, not common, not all digits.")
    name = serializers.CharField(max_length=150)


class LoginSerializer(serializers.Serializer):
    email = serializers.CharField(max_length=254)
    password = serializers.CharField(write_only=True, max_length=128, trim_whitespace=False,
                                     style={"input_type": "password"})


class SocialLoginSerializer(serializers.Serializer):
    provider = serializers.ChoiceField(choices=["google", "apple", "facebook"])
    token = serializers.CharField(max_length=8192, trim_whitespace=True,
                                  help_text="Google or Apple ID token (JWT); Facebook user access token.")
    name = serializers.CharField(max_length=150, required=False, allow_blank=True,
                                 help_text="Display name for a new account (Apple sends it to the app only once).")
    nonce = serializers.CharField(max_length=512, required=False, allow_blank=True, trim_whitespace=False,
                                  help_text="The random nonce the app generated for this sign-in (the app passes "
                                            "its SHA-256 to Apple or Google). Required for Apple.")


class RefreshTokenSerializer(serializers.Serializer):
    refresh_token = serializers.CharField(max_length=4096)


class PasswordChangeSerializer(serializers.Serializer):
    current_password = serializers.CharField(max_length=128, trim_whitespace=False, style={"input_type": "password"})
    new_password = serializers.CharField(max_length=128, trim_whitespace=False, style={"input_type": "password"})


class AuthResponseSerializer(serializers.Serializer):
    user = UserProfileSerializer()
    access_token = serializers.CharField()
    refresh_token = serializers.CharField()
    token_type = serializers.CharField(read_only=True, default="Bearer")


class TokenRefreshResponseSerializer(serializers.Serializer):
    access_token = serializers.CharField()
    refresh_token = serializers.CharField()
    token_type = serializers.CharField(read_only=True, default="Bearer")


class DeviceSessionSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    auth_method = serializers.CharField(help_text="How the device signed in: email, google, apple or facebook.")
    user_agent = serializers.CharField()
    ip = serializers.IPAddressField(allow_null=True)
    created_at = serializers.DateTimeField()
    last_used_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField(help_text="When the device must sign in again unless it refreshes.")
    current = serializers.SerializerMethodField(help_text="True for the device making this request.")

    def get_current(self, session) -> bool:
        return str(session.pk) == self.context.get("current_session_id")


class _CodeOrLinkSerializer(serializers.Serializer):
    """A mailed secret: the six-digit code the learner types, or the token of the link that opened the app."""

    code = serializers.RegexField(r"^\s*\d{6}\s*$", required=False,
                                  help_text="The six-digit code from the mail (needs the signed-in account).")
    token = serializers.CharField(max_length=128, required=False,
                                  help_text="The `token` parameter of the mail's link (works signed out too).")

    def validate(self, attrs):
        if bool(attrs.get("code")) == bool(attrs.get("token")):
            raise serializers.ValidationError(_("Send either the code or the link's token."))
        return attrs


class EmailVerifySerializer(_CodeOrLinkSerializer):
    pass


class EmailChangeConfirmSerializer(_CodeOrLinkSerializer):
    pass


# Its requests are "PasswordResetRequest" in the schema (not "...RequestRequest").
@extend_schema_serializer(component_name="PasswordReset")
class PasswordResetRequestSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)


class PasswordResetConfirmSerializer(_CodeOrLinkSerializer):
    email = serializers.EmailField(max_length=254, required=False,
                                   help_text="The address the code was sent to (with `code`).")
    code = serializers.RegexField(r"^\s*\d{6}\s*$", required=False, help_text="The six-digit code from the mail.")
    new_password = serializers.CharField(max_length=128, trim_whitespace=False, style={"input_type": "password"})

    def validate(self, attrs):
        attrs = super().validate(attrs)
        if attrs.get("code") and not attrs.get("email"):
            raise serializers.ValidationError({"email": [_("Required with a code.")]})
        return attrs


# Its requests are "EmailChangeRequest" in the schema (not "...RequestRequest").
@extend_schema_serializer(component_name="EmailChange")
class EmailChangeRequestSerializer(serializers.Serializer):
    new_email = serializers.EmailField(max_length=254)
    password = serializers.CharField(max_length=128, required=False, trim_whitespace=False,
                                     style={"input_type": "password"},
                                     help_text="The current password (accounts that have one).")


class AcceptedSerializer(serializers.Serializer):
    detail = serializers.CharField()


class EmailChangeAcceptedSerializer(AcceptedSerializer):
    pending_email = serializers.EmailField(help_text="Where the confirmation code was sent.")
