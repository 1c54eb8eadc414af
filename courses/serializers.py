"""Shapes of the learner API of courses (output only, but the list's query)."""

from rest_framework import serializers

from content.models import Level
from content.serializers import SpeechItemSerializer, TagRefSerializer

LESSON_STATES = ["locked", "available", "completed"]


class CourseListQuerySerializer(serializers.Serializer):
    level = serializers.ChoiceField(choices=Level.choices, required=False, help_text="Only courses of this level.")


class CourseSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    title = serializers.CharField()
    description = serializers.CharField(allow_blank=True)
    level = serializers.ChoiceField(choices=Level.choices)
    tags = TagRefSerializer(many=True)
    units_count = serializers.IntegerField()
    lessons_count = serializers.IntegerField()
    lessons_completed = serializers.IntegerField()
    next_lesson_id = serializers.UUIDField(
        allow_null=True, help_text="The first lesson not completed yet (always available); null when all are done.")


class LessonSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    title = serializers.CharField()
    description = serializers.CharField(allow_blank=True)
    position = serializers.IntegerField(help_text="Position within its unit.")
    sentence_count = serializers.IntegerField(help_text="Sentences of the lesson, archived ones included.")
    state = serializers.ChoiceField(choices=LESSON_STATES)
    best_score = serializers.FloatField(allow_null=True, help_text="Best score so far, 0-100; null before the "
                                                                   "first attempt.")
    attempts = serializers.IntegerField()
    pass_score = serializers.FloatField(help_text="The score (0-100) that passes the lesson.")


class UnitSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    title = serializers.CharField()
    description = serializers.CharField(allow_blank=True)
    position = serializers.IntegerField()
    lessons = LessonSerializer(many=True)


class CourseDetailSerializer(CourseSerializer):
    units = UnitSerializer(many=True)


class StartedLessonSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    title = serializers.CharField()
    course_id = serializers.UUIDField()
    pass_score = serializers.FloatField(help_text="The score (0-100) that passes the lesson.")
    position = serializers.IntegerField(help_text="Position within its unit.")


class LessonStartSerializer(serializers.Serializer):
    lesson = StartedLessonSerializer()
    speeches = SpeechItemSerializer(many=True, help_text="The lesson's active sentences in lesson order, shaped "
                                                          "like a practice set's.")


class NextLessonSerializer(serializers.Serializer):
    lesson_id = serializers.UUIDField()
    lesson_title = serializers.CharField()
    course_id = serializers.UUIDField()
    course_title = serializers.CharField()
