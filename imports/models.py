import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone


class UploadSession(models.Model):
    """Audio files waiting under `audio/uploads/{id}/` for the CSV that turns them into speeches."""

    class State(models.TextChoices):
        OPEN = "open", "Open"
        IMPORTED = "imported", "Imported"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="upload_sessions")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(db_index=True)
    state = models.CharField(max_length=16, choices=State.choices, default=State.OPEN)
    imported_at = models.DateTimeField(null=True, blank=True)
    # The admin wizard validates a CSV, shows the preview, and imports this same text on "Confirm".
    # An XLSX waits here base64-encoded, with `pending_format` "xlsx".
    pending_csv = models.TextField(blank=True, default="")
    pending_csv_name = models.CharField(max_length=255, blank=True, default="")
    pending_format = models.CharField(max_length=8, blank=True, default="csv")
    # The row errors of the last file refused at the wizard's check, for its downloadable report.
    pending_errors = models.JSONField(default=list, blank=True)

    audit_type = "upload_session"

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Upload session {self.id}"

    @property
    def is_expired(self) -> bool:
        return self.expires_at <= timezone.now()

    @property
    def status(self) -> str:
        """open, imported or expired: what an editor needs to know about the session."""
        if self.state == self.State.OPEN and self.is_expired:
            return "expired"
        return self.state

    @property
    def storage_prefix(self) -> str:
        return f"audio/uploads/{self.id}/"

    @property
    def copy_batch(self) -> str:
        """The batch name content stores this session's imported copies under (`audio/{level}/{batch}/`)."""
        return self.id.hex


class UploadedFile(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    session = models.ForeignKey(UploadSession, on_delete=models.CASCADE, related_name="files")
    original_filename = models.CharField(max_length=255)
    # The name the CSV refers to: the sanitised original, with _1, _2, ... when repeated in the session.
    stored_name = models.CharField(max_length=255)
    storage_key = models.CharField(max_length=512)
    size_bytes = models.PositiveBigIntegerField()
    format = models.CharField(max_length=8)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "stored_name"]
        constraints = [models.UniqueConstraint(fields=["session", "stored_name"], name="uniq_upload_stored_name")]

    def __str__(self) -> str:
        return self.stored_name
