"""Courses as editors compose them (course -> units -> lessons -> sentences) and each learner's progress.

A course's lessons are played in course order: (unit.position, lesson.position).
"""

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from content.models import Level, Speech, Tag


class CourseStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    PUBLISHED = "published", "Published"


class Course(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    level = models.CharField(max_length=2, choices=Level.choices)
    tags = models.ManyToManyField(Tag, blank=True, related_name="courses")
    # Learners only ever see published courses; editors build them as drafts.
    status = models.CharField(max_length=16, choices=CourseStatus.choices, default=CourseStatus.DRAFT)
    position = models.PositiveIntegerField(default=0, help_text="Order among courses, smallest first.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "created_at", "id"]
        indexes = [models.Index(fields=["status", "position"], name="idx_course_status_position")]

    def __str__(self) -> str:
        return self.title


class Unit(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="units")
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    position = models.PositiveIntegerField()

    class Meta:
        ordering = ["course", "position"]
        constraints = [models.UniqueConstraint(fields=["course", "position"], name="uniq_unit_course_position")]

    def __str__(self) -> str:
        return f"{self.course.title} / {self.title}"


class Lesson(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="lessons")
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    position = models.PositiveIntegerField()
    pass_ratio = models.FloatField(
        blank=True, null=True, validators=[MinValueValidator(0.0), MaxValueValidator(1.0)],
        help_text="Share of the sentences to answer correctly to pass, 0-1. Empty: COURSE_LESSON_PASS_RATIO.")

    class Meta:
        ordering = ["unit", "position"]
        constraints = [
            models.UniqueConstraint(fields=["unit", "position"], name="uniq_lesson_unit_position"),
            models.CheckConstraint(
                condition=models.Q(pass_ratio__isnull=True) | models.Q(pass_ratio__gte=0, pass_ratio__lte=1),
                name="lesson_pass_ratio_0_1"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def effective_pass_ratio(self) -> float:
        return settings.COURSE_LESSON_PASS_RATIO if self.pass_ratio is None else self.pass_ratio


class LessonItem(models.Model):
    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="items")
    # Speeches are archived, never deleted: an archived one keeps old lessons readable.
    speech = models.ForeignKey(Speech, on_delete=models.PROTECT, related_name="lesson_items")
    position = models.PositiveIntegerField()

    class Meta:
        ordering = ["lesson", "position"]
        constraints = [
            models.UniqueConstraint(fields=["lesson", "position"], name="uniq_lesson_item_position"),
            models.UniqueConstraint(fields=["lesson", "speech"], name="uniq_lesson_item_speech"),
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.speech_id}"


class LessonProgress(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="lesson_progress",
                             db_index=False)
    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="progress")
    attempts = models.PositiveIntegerField(default=0)
    # Share (0-100) of the lesson's active sentences answered correctly, best attempt.
    best_score = models.FloatField(default=0.0)
    completed_at = models.DateTimeField(blank=True, null=True)
    # The game session of the last attempt; not a foreign key: courses cannot depend on game.
    last_session_id = models.UUIDField(blank=True, null=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "lesson progress"
        constraints = [models.UniqueConstraint(fields=["user", "lesson"], name="uniq_lesson_progress_user_lesson")]
        indexes = [
            # The unique constraint above is the (user, lesson) index; this one finds the learner's latest
            # progress (the home screen's "course you were doing").
            models.Index(fields=["user", "-updated_at"], name="idx_lesson_progress_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} / {self.lesson_id}"
