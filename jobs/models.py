"""A background job as a record: what runs, for whom, how far it got and how it ended."""

import uuid

from django.conf import settings
from django.db import models


class Job(models.Model):
    class State(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    FINISHED = (State.SUCCEEDED, State.FAILED)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(max_length=64)
    state = models.CharField(max_length=16, choices=State.choices, default=State.QUEUED)
    # What the job runs with (e.g. an upload session and its CSV): enough to run it again.
    params = models.JSONField(default=dict, blank=True)
    done = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    result = models.JSONField(default=dict, blank=True)
    error_code = models.CharField(max_length=64, blank=True)
    error_detail = models.TextField(blank=True)
    errors = models.JSONField(default=list, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["kind", "state"], name="idx_job_kind_state"),
                   models.Index(fields=["-created_at"], name="idx_job_created")]

    def __str__(self) -> str:
        return f"{self.kind} {self.state} ({self.done}/{self.total})"

    @property
    def is_finished(self) -> bool:
        return self.state in self.FINISHED

    @property
    def progress_cache_key(self) -> str:
        """Where a running job reports progress its row cannot take (SQLite's one writer is busy)."""
        return f"jobs:progress:{self.id.hex}"
