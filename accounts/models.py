import uuid

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone


class AuthProvider(models.TextChoices):
    EMAIL = "email", "Email"
    GOOGLE = "google", "Google"
    APPLE = "apple", "Apple"
    FACEBOOK = "facebook", "Facebook"


def normalise_email(email: str) -> str:
    """The one spelling of an address we store and compare: trimmed, lower case."""
    return (email or "").strip().lower()


class UserManager(BaseUserManager):
    use_in_migrations = True

    def get_by_natural_key(self, email):
        return self.get(email__iexact=email)

    def create_user(self, email: str, password: str | None = None, **fields):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=email, **fields)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields):
        fields.setdefault("is_staff", True)
        fields.setdefault("is_superuser", True)
        return self.create_user(email, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    email = models.EmailField(unique=True)
    name = models.CharField(max_length=150)
    avatar_url = models.URLField(max_length=1024, blank=True, null=True)
    auth_provider = models.CharField(max_length=16, choices=AuthProvider.choices, default=AuthProvider.EMAIL)
    auth_provider_id = models.CharField(max_length=255, blank=True, null=True)
    timezone = models.CharField(max_length=64, default="UTC")
    # When the address was shown to belong to the account (a provider vouched for it); null: never.
    email_verified_at = models.DateTimeField("email verified", blank=True, null=True)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["name"]

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["auth_provider", "auth_provider_id"], name="idx_user_auth_provider")]
        constraints = [models.UniqueConstraint(Lower("email"), name="uniq_user_email_ci")]

    def save(self, *args, **kwargs):
        # Emails compare case-insensitively everywhere, so store them in one case.
        self.email = normalise_email(self.email)
        super().save(*args, **kwargs)

    def __str__(self) -> str:
        return self.email

    @property
    def email_verified(self) -> bool:
        return self.email_verified_at is not None


class DeviceSessionQuerySet(models.QuerySet):
    def active(self) -> "DeviceSessionQuerySet":
        """Signed in still: neither revoked nor past the expiry of its newest refresh token."""
        return self.filter(revoked_at__isnull=True, expires_at__gt=timezone.now())


class DeviceSession(models.Model):
    """One signed-in device: a family of refresh tokens that rotate into each other.

    Its id travels in every refresh token of the family (claim `sid`), so revoking
    the row stops the whole family however often it has rotated.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="device_sessions")
    auth_method = models.CharField(max_length=16, choices=AuthProvider.choices, default=AuthProvider.EMAIL)
    user_agent = models.CharField(max_length=512, blank=True, default="")
    ip = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(default=timezone.now)
    # Expiry of the newest refresh token; past it the device must sign in again.
    expires_at = models.DateTimeField()
    # jti of the newest (only non-blacklisted) refresh token of the family.
    current_jti = models.CharField(max_length=255, blank=True, default="")
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = DeviceSessionQuerySet.as_manager()
    audit_type = "device_session"

    class Meta:
        ordering = ["-last_used_at"]
        indexes = [models.Index(fields=["user", "revoked_at", "expires_at"], name="idx_devsession_user_active")]

    def __str__(self) -> str:
        return f"{self.user} on {self.user_agent[:40] or 'unknown device'}"


class AccountTokenQuerySet(models.QuerySet):
    def usable(self) -> "AccountTokenQuerySet":
        """Neither used nor expired: the code or link of the mail may still be redeemed."""
        return self.filter(used_at__isnull=True, expires_at__gt=timezone.now())


class AccountToken(models.Model):
    """A one-time code and link sent by mail to prove the reader owns an address.

    Only digests are stored: the six-digit code as an HMAC keyed with SECRET_KEY (a plain hash
    of a million possible codes is no secret), the long link token as SHA-256. A new token of
    the same purpose replaces the user's earlier ones; wrong codes count against the token.
    """

    class Purpose(models.TextChoices):
        VERIFY_EMAIL = "verify_email", "Verify email"
        RESET_PASSWORD = "reset_password", "Reset password"
        CHANGE_EMAIL = "change_email", "Change email"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="account_tokens")
    purpose = models.CharField(max_length=16, choices=Purpose.choices)
    # Where the mail went: the account's address, or the new one of an email change.
    email = models.EmailField()
    code_digest = models.CharField(max_length=64)
    link_digest = models.CharField(max_length=64, unique=True)
    failed_attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    objects = AccountTokenQuerySet.as_manager()
    audit_type = "account_token"

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "purpose", "used_at"], name="idx_acctoken_user_purpose")]

    def __str__(self) -> str:
        return f"{self.get_purpose_display()} for {self.email}"
