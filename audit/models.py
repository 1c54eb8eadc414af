import uuid

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone


class AuditLog(models.Model):
    """Who did what to which object, kept after the actor's account is gone.

    `action` is a free string so every app can record its own events; `changes`
    holds {"before": ..., "after": ...} or event details, never secrets.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="audit_events")
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
        # The table predates this app (the log lived in accounts); its name and rows stay.
        db_table = "accounts_auditlog"
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["created_at"], name="idx_audit_created_at"),
            models.Index(fields=["action"], name="idx_audit_action"),
            models.Index(fields=["object_type", "object_id"], name="idx_audit_object"),
        ]

    def __str__(self) -> str:
        return f"{self.action} by {self.actor_email or 'system'} at {self.created_at:%Y-%m-%d %H:%M:%S}"
