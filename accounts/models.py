import uuid

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone


class AuthProvider(models.TextChoices):
    EMAIL = "email", "Email"
    GOOGLE = "google", "Google"
    APPLE = "apple", "Apple"
    FACEBOOK = "facebook", "Facebook"


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
        self.email = (self.email or "").strip().lower()
        super().save(*args, **kwargs)

    def __str__(self) -> str:
        return self.email


class AuditLog(models.Model):
    """Who did what to which object, kept after the actor's account is gone.

    `action` is a free string so every app can record its own events; `changes`
    holds {"before": ..., "after": ...} or event details, never secrets.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    actor = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="audit_events")
    # A copy, so the trail still names the person after the account is deleted.
    actor_email = models.CharField(max_length=254, blank=True, default="")
    action = models.CharField(max_length=64)
    object_type = models.CharField(max_length=64, blank=True, default="")
    object_id = models.CharField(max_length=64, blank=True, default="")
    changes = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)
    ip = models.GenericIPAddressField(null=True, blank=True)
    request_id = models.CharField(max_length=128, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["created_at"], name="idx_audit_created_at"),
            models.Index(fields=["action"], name="idx_audit_action"),
            models.Index(fields=["object_type", "object_id"], name="idx_audit_object"),
        ]

    def __str__(self) -> str:
        return f"{self.action} by {self.actor_email or 'system'} at {self.created_at:%Y-%m-%d %H:%M:%S}"


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

    class Meta:
        ordering = ["-last_used_at"]
        indexes = [models.Index(fields=["user", "revoked_at", "expires_at"], name="idx_devsession_user_active")]

    def __str__(self) -> str:
        return f"{self.user} on {self.user_agent[:40] or 'unknown device'}"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()
