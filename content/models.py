import uuid

from django.db import models
from django.db.models.functions import Lower

from content.rules import speech_audio_key


class Level(models.TextChoices):
    A1 = "A1", "A1"
    A2 = "A2", "A2"
    B1 = "B1", "B1"
    B2 = "B2", "B2"
    C1 = "C1", "C1"


class SentenceType(models.TextChoices):
    QUESTION = "question", "Question"
    ANSWER = "answer", "Answer"


class Tag(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=100, unique=True)
    category = models.CharField(max_length=50, blank=True, null=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        # "Food" and "food" would be one tag to a learner.
        constraints = [models.UniqueConstraint(
            Lower("name"), name="uniq_tag_name_ci",
            violation_error_message="A tag with this name already exists (names are compared ignoring case).")]

    def __str__(self) -> str:
        return self.name


class SpeechQuerySet(models.QuerySet):
    def active(self):
        return self.filter(archived_at__isnull=True)


def speech_audio_path(instance: "Speech", filename: str) -> str:
    # Named by the migrations as the field's upload_to; the layout itself is the rule's.
    return speech_audio_key(instance.level, filename)


class Speech(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # The storage key; the API only ever hands out signed, expiring URLs for it.
    audio = models.FileField(max_length=512, upload_to=speech_audio_path)
    text = models.TextField()
    level = models.CharField(max_length=2, choices=Level.choices)
    type = models.CharField(max_length=16, choices=SentenceType.choices, default=SentenceType.ANSWER)
    tags = models.ManyToManyField(Tag, through="SpeechTag", related_name="speeches")
    archived_at = models.DateTimeField(blank=True, null=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = SpeechQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "speeches"
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["level", "type"], name="idx_speech_level_type"),
            # Practice sets read only the ids of active speeches of one level and type: with the
            # id in the key that is an index-only scan.
            models.Index(fields=["level", "type", "id"], condition=models.Q(archived_at__isnull=True),
                         name="idx_speech_active_level_type"),
            # Editor lists: newest active speeches first without sorting the table.
            models.Index(fields=["created_at", "id"], condition=models.Q(archived_at__isnull=True),
                         name="idx_speech_active_created"),
            # "Does a speech point at this object?" (audio sweep, deleting replaced audio) and "which
            # speeches are under this folder?" (an interrupted import's batch): equality and LIKE 'x%'.
            models.Index(fields=["audio"], name="idx_speech_audio", opclasses=["varchar_pattern_ops"]),
        ]

    def __str__(self) -> str:
        return self.text[:80]

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None


class SpeechTag(models.Model):
    speech = models.ForeignKey(Speech, on_delete=models.CASCADE)
    tag = models.ForeignKey(Tag, on_delete=models.CASCADE, db_index=False)

    class Meta:
        db_table = "content_speech_tags"
        constraints = [models.UniqueConstraint(fields=["speech", "tag"], name="uniq_speech_tag")]
        # Leading with tag_id serves reverse lookups; the speech_id makes "speeches with any of
        # these tags" an index-only scan.
        indexes = [models.Index(fields=["tag", "speech"], name="idx_speech_tags_tag_id")]

    def __str__(self) -> str:
        return f"{self.speech_id} - {self.tag_id}"
