"""Input validation and output shapes of the game endpoints.

Only types, enums and ranges are checked here; whether a session adds up
(counts, streak, average, sequence) is a business rule in `game.services`.
"""

import re
from datetime import UTC, date, datetime

from django.conf import settings
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from community.serializers import LeagueStandingSerializer
from content.models import Level, SentenceType
from content.serializers import SpeechItemSerializer
from core.api.fields import PreparedList
from core.api.representation import represent
from courses.serializers import NextLessonSerializer
from game import rules
from game.inputs import SessionInput
from game.models import GameMode, GameResult, GameSession, UserResponse
from rewards.serializers import (
    AwardedAchievementSerializer,
    LearnerLevelSerializer,
    LearnerStreakSerializer,
    LearnerXpSerializer,
    SessionRewardsSerializer,
)

MAX_SELECTED_TAGS = 50
MAX_RECOGNIZED_TEXT = 2000
# A sentence answered after an hour is not a practice answer any more.
MAX_RESPONSE_TIME_MS = 3_600_000
MAX_DURATION_SECONDS = 24 * 3600


# --- saving a session ---------------------------------------------------------

class ResultInputSerializer(serializers.Serializer):
    speech_id = serializers.UUIDField()
    sequence_number = serializers.IntegerField(min_value=1, help_text="1-based position in the session.")
    user_response = serializers.ChoiceField(choices=UserResponse.choices)
    pronunciation_score = serializers.FloatField(
        min_value=0, max_value=100, allow_null=True, required=False, default=None,
        help_text="0-100; null in listen_only mode and for skipped sentences.",
    )
    recognized_text = serializers.CharField(
        allow_null=True, allow_blank=True, required=False, default=None, max_length=MAX_RECOGNIZED_TEXT,
        help_text="Speech-to-text output; null in listen_only mode.",
    )
    response_time_ms = serializers.IntegerField(min_value=0, max_value=MAX_RESPONSE_TIME_MS)


class SessionInputSerializer(serializers.Serializer):
    mode = serializers.ChoiceField(choices=GameMode.choices)
    level = serializers.ChoiceField(choices=Level.choices)
    sentence_type = serializers.ChoiceField(choices=SentenceType.choices)
    selected_tags = serializers.ListField(child=serializers.UUIDField(), max_length=MAX_SELECTED_TAGS,
                                          help_text="IDs of the tags the practice set was drawn from.")
    total_sentences = serializers.IntegerField(min_value=1, help_text="Must equal the number of results.")
    correct_count = serializers.IntegerField(min_value=0, help_text="Must equal the number of `correct` results.")
    max_streak = serializers.IntegerField(
        min_value=0, help_text="Must equal the longest run of consecutive `correct` results in sequence order.")
    avg_pronunciation_score = serializers.FloatField(
        min_value=0, max_value=100, allow_null=True, required=False, default=None,
        help_text="Mean of the non-null result scores (within 0.05, so rounding to one decimal is fine); "
                  "null in listen_only mode or when no result has a score. The server stores its own mean, "
                  "rounded to one decimal.",
    )
    duration_seconds = serializers.IntegerField(min_value=0, max_value=MAX_DURATION_SECONDS)
    started_at = serializers.DateTimeField()
    completed_at = serializers.DateTimeField(help_text="Not before started_at, not in the future.")
    results = ResultInputSerializer(many=True, allow_empty=False)
    lesson_id = serializers.UUIDField(
        required=False, allow_null=True, default=None,
        help_text="The lesson this session played (from POST /lessons/{id}/start): every result must be one of its "
                  "sentences, and the lesson is completed when its pass score is reached.")

    def get_fields(self):
        # The ceiling is a setting, so it is read per request rather than at import.
        fields = super().get_fields()
        limit = settings.GAME_MAX_SESSION_SENTENCES
        fields["total_sentences"] = serializers.IntegerField(
            min_value=1, max_value=limit, help_text="Must equal the number of results.")
        fields["results"] = ResultInputSerializer(many=True, allow_empty=False, max_length=limit)
        return fields

    def to_input(self) -> SessionInput:
        return SessionInput.from_validated(self.validated_data)


class LessonOutcomeSerializer(serializers.Serializer):
    lesson_id = serializers.UUIDField()
    course_id = serializers.UUIDField()
    score = serializers.FloatField(help_text="Share of the lesson's sentences answered correctly, 0-100.")
    passed = serializers.BooleanField()
    completed = serializers.BooleanField(help_text="This session completed the lesson for the first time.")
    course_completed = serializers.BooleanField()
    next_lesson_id = serializers.UUIDField(allow_null=True, help_text="The lesson now available next.")


class SessionCreatedSerializer(serializers.Serializer):
    session_id = serializers.UUIDField()
    message = serializers.CharField()
    rewards = SessionRewardsSerializer(read_only=True)
    lesson = LessonOutcomeSerializer(read_only=True, allow_null=True,
                                     help_text="Only for a session that named a lesson; else null.")


# --- history ------------------------------------------------------------------

_OFFSET_WITH_LOST_PLUS = re.compile(r" (\d{2}:?\d{2})$")


@extend_schema_field(OpenApiTypes.STR)
class DateOrDateTimeField(serializers.Field):
    """An ISO date (a whole day in the learner's time zone) or an ISO datetime (naive means UTC)."""

    default_error_messages = {"invalid": _("Use an ISO date (2025-12-10) or datetime (2025-12-10T10:00:00Z).")}

    def to_internal_value(self, value):
        if not isinstance(value, str):
            self.fail("invalid")
        # An unencoded "+05:00" in a query string arrives as " 05:00".
        value = _OFFSET_WITH_LOST_PLUS.sub(r"+\1", value.strip())
        try:
            parsed_date = parse_date(value)
            if parsed_date is not None:
                return parsed_date
            parsed = parse_datetime(value)
        except ValueError:
            self.fail("invalid")
        if parsed is None:
            self.fail("invalid")
        if timezone.is_naive(parsed):
            parsed = parsed.replace(tzinfo=UTC)
        return parsed

    def to_representation(self, value):
        return value.isoformat()


class SessionHistoryQuerySerializer(serializers.Serializer):
    mode = serializers.ChoiceField(choices=GameMode.choices, required=False)
    level = serializers.ChoiceField(choices=Level.choices, required=False)
    from_date = DateOrDateTimeField(required=False)
    to_date = DateOrDateTimeField(required=False)

    def validate(self, attrs):
        start, end = attrs.get("from_date"), attrs.get("to_date")
        if start is not None and end is not None and _comparable(start) > _comparable(end):
            raise serializers.ValidationError({"to_date": [gettext("Must not be before from_date.")]})
        return attrs


def _comparable(value: date | datetime) -> date:
    return value.date() if isinstance(value, datetime) else value


class SessionListItemSerializer(serializers.ModelSerializer):
    class Meta:
        model = GameSession
        fields = ["id", "mode", "level", "sentence_type", "total_sentences", "correct_count", "max_streak",
                  "duration_seconds", "completed_at"]


# --- detail -------------------------------------------------------------------

class ResultDetailSerializer(serializers.ModelSerializer):
    speech = SpeechItemSerializer()

    class Meta:
        model = GameResult
        fields = ["sequence_number", "speech", "user_response", "pronunciation_score", "recognized_text",
                  "response_time_ms"]
        read_only_fields = fields  # output only: every field is always in the body


# Serializes a `game.selectors.SessionDetail` (no docstring: it would become the schema's description).
class SessionDetailSerializer(serializers.ModelSerializer):
    selected_tags = serializers.ListField(
        child=serializers.CharField(), source="selected_tag_names", read_only=True,
        help_text="Names of the tags the session was drawn from (tags deleted since are left out).")
    results = PreparedList(child=ResultDetailSerializer())

    class Meta:
        model = GameSession
        fields = ["id", "mode", "level", "sentence_type", "selected_tags", "total_sentences", "correct_count",
                  "max_streak", "avg_pronunciation_score", "duration_seconds", "started_at", "completed_at",
                  "results"]
        # The instance holds the session one level down; the model still describes its fields (and the schema).
        extra_kwargs = {name: {"source": f"session.{name}", "read_only": True} for name in fields
                        if name not in ("selected_tags", "results")}

    def build_field(self, source, info, model_class, nested_depth):
        return super().build_field(source.removeprefix("session."), info, model_class, nested_depth)

    @classmethod
    def unsigned(cls, detail) -> dict:
        """The representation to cache: its speeches' audio URLs are storage keys until `signed`."""
        return dict(represent(cls, detail))

    @staticmethod
    def signed(body: dict, *, request=None) -> dict:
        return {**body, "results": [{**result, "speech": SpeechItemSerializer.signed(result["speech"], request=request)}
                                    for result in body["results"]]}


# --- review set -----------------------------------------------------------------

class ReviewSetInputSerializer(serializers.Serializer):
    limit = serializers.IntegerField(min_value=1, max_value=50, default=10, required=False)


class ReviewSetSerializer(serializers.Serializer):
    speeches = SpeechItemSerializer(many=True)


# --- progress -------------------------------------------------------------------

class AccuracySerializer(serializers.Serializer):
    sentences = serializers.IntegerField(help_text="Results counted (every practised sentence, skipped included).")
    correct = serializers.IntegerField()
    accuracy = serializers.FloatField(allow_null=True, help_text="correct / sentences, 0-1, null when none.")


class LevelAccuracySerializer(AccuracySerializer):
    level = serializers.ChoiceField(choices=Level.choices)


class TagRefOutSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()


class TagAccuracySerializer(AccuracySerializer):
    tag = TagRefOutSerializer()


class WeeklyScoreSerializer(serializers.Serializer):
    week_start = serializers.DateField(help_text="Monday of the week, in the learner's time zone.")
    avg_pronunciation_score = serializers.FloatField(allow_null=True)
    scored_sentences = serializers.IntegerField()


class StreakSerializer(serializers.Serializer):
    current_days = serializers.IntegerField(
        help_text="Consecutive days with a session, ending today or yesterday (else 0).")
    longest_days = serializers.IntegerField()
    last_practice_date = serializers.DateField(allow_null=True)
    timezone = serializers.CharField(help_text="The time zone the days are counted in (User.timezone).")


class XpSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    from_correct = serializers.IntegerField()
    from_high_scores = serializers.IntegerField()
    from_sessions = serializers.IntegerField()


class SpeechRefSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    text = serializers.CharField()
    level = serializers.ChoiceField(choices=Level.choices)
    type = serializers.ChoiceField(choices=SentenceType.choices)


class StrugglingSentenceSerializer(serializers.Serializer):
    speech = SpeechRefSerializer()
    attempts = serializers.IntegerField()
    missed = serializers.IntegerField(help_text="Answers marked incorrect or skipped.")
    accuracy = serializers.FloatField()
    avg_pronunciation_score = serializers.FloatField(allow_null=True)


class RecommendationSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["review", "weak_tag", "level_up", "get_started"])
    reason = serializers.CharField()
    level = serializers.ChoiceField(choices=Level.choices, allow_null=True)
    tag = TagRefOutSerializer(allow_null=True)


class ProgressSerializer(serializers.Serializer):
    sessions = serializers.IntegerField(help_text="Sessions saved.")
    sentences_practised = serializers.IntegerField(help_text="Results saved, across all sessions.")
    distinct_sentences = serializers.IntegerField(help_text="Different speeches practised.")
    practice_seconds = serializers.IntegerField()
    overall = AccuracySerializer()
    by_level = LevelAccuracySerializer(many=True)
    by_tag = TagAccuracySerializer(many=True, help_text="A result counts for every tag of its speech.")
    weekly_pronunciation = WeeklyScoreSerializer(
        many=True, help_text=f"The last {rules.PROGRESS_WEEKS} weeks (the current one included), oldest first.")
    streak = StreakSerializer()
    xp = XpSerializer(help_text=rules.XP_RULE)
    weak_tags = TagAccuracySerializer(
        many=True, help_text=f"Up to {rules.INSIGHT_LIMIT} tags with at least {rules.WEAK_TAG_MIN_RESULTS} results "
                             f"and accuracy under {rules.WEAK_TAG_ACCURACY:.0%}, weakest first.")
    struggling_sentences = StrugglingSentenceSerializer(
        many=True, help_text=f"Up to {rules.INSIGHT_LIMIT} active speeches the learner missed (incorrect or "
                             "skipped), highest miss rate first, then most misses.")
    recommendations = RecommendationSerializer(many=True)


# --- home screen ----------------------------------------------------------------


class HomeReviewSerializer(serializers.Serializer):
    due_now = serializers.IntegerField(help_text="Sentences due for review now (POST game/speeches/review).")
    due_today = serializers.IntegerField(help_text="Due by the end of today, in the learner's time zone.")


class HomeSerializer(serializers.Serializer):
    streak = LearnerStreakSerializer()
    xp = LearnerXpSerializer()
    level = LearnerLevelSerializer()
    league = LeagueStandingSerializer(help_text="This week's league: tier, XP and rank (null rank before the "
                                                "week's first XP or while opted out).")
    review = HomeReviewSerializer()
    next_lesson = NextLessonSerializer(allow_null=True)
    weak_tags = TagAccuracySerializer(many=True, help_text="Tags the learner gets most wrong, weakest first.")
    new_achievements = AwardedAchievementSerializer(
        many=True, help_text="Awarded and not yet marked seen (POST users/me/achievements/seen).")
