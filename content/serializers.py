from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from content.models import Level, SentenceType, Speech, Tag
from core.storage import signed_url


class TagRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Tag
        fields = ["id", "name"]


class SpeechItemSerializer(serializers.ModelSerializer):
    """A speech as learners receive it: practice sets, review sets, session details.

    Expects `tags` prefetched; signs `audio_url` for 1 hour. `unsigned_items` and `signed` split
    that in two for caches: items with the audio's storage key in place of the URL (which
    expires), and per request the same item with its URL signed, exactly as the serializer gives it.
    """

    audio_url = serializers.SerializerMethodField()
    tags = TagRefSerializer(many=True, read_only=True)

    class Meta:
        model = Speech
        fields = ["id", "audio_url", "text", "level", "type", "tags"]
        # Output only: every item has its type (the model's default would make it optional in the schema).
        extra_kwargs = {"type": {"required": True}}

    def get_audio_url(self, speech: Speech) -> str:
        return signed_url(speech.audio.name, request=self.context.get("request"))

    @staticmethod
    def unsigned_items(rows: list[dict]) -> list[dict]:
        """The items of speech rows ({id, audio, text, level, type, tags: [{id, name}] by name}, as
        content.selectors reads them), with the audio's storage key in `audio_url` until `signed`.

        The fields by hand: DRF's field machinery costs about 0.2 ms an item, more than all the rest
        of a practice set whose items are cached (tests/content/test_practice_set_speed.py checks that
        both give the same).
        """
        return [{"id": str(row["id"]), "audio_url": row["audio"], "text": row["text"], "level": row["level"],
                 "type": row["type"], "tags": [{"id": str(tag["id"]), "name": tag["name"]} for tag in row["tags"]]}
                for row in rows]

    @staticmethod
    def signed(item: dict, *, request=None) -> dict:
        """A cached item as the serializer gives it: its audio URL signed now."""
        return {**item, "audio_url": signed_url(item["audio_url"], request=request)}


# --- public tags and practice sets ---------------------------------------------------------

class PublicTagSerializer(serializers.Serializer):
    """Documents the shape of GET /tags (the list itself is cached as plain dicts)."""

    id = serializers.UUIDField()
    name = serializers.CharField()
    category = serializers.CharField(allow_null=True)


class PublicTagListSerializer(serializers.Serializer):
    tags = PublicTagSerializer(many=True)


# Its requests are "PracticeSetQueryRequest" in the schema (not "...RequestRequest").
@extend_schema_serializer(component_name="PracticeSetQuery")
class PracticeSetRequestSerializer(serializers.Serializer):
    level = serializers.ChoiceField(choices=Level.choices)
    type = serializers.ChoiceField(choices=SentenceType.choices)
    tags = serializers.ListField(child=serializers.UUIDField(), allow_empty=False, max_length=100)
    limit = serializers.IntegerField(min_value=1, max_value=50, default=10)


class PracticeSetSerializer(serializers.Serializer):
    speeches = SpeechItemSerializer(many=True)


# --- editor API ----------------------------------------------------------------------------

class EditorSpeechSerializer(SpeechItemSerializer):
    class Meta(SpeechItemSerializer.Meta):
        fields = [*SpeechItemSerializer.Meta.fields, "created_at", "updated_at"]


class EditorSpeechFilterSerializer(serializers.Serializer):
    level = serializers.ChoiceField(choices=Level.choices, required=False)
    type = serializers.ChoiceField(choices=SentenceType.choices, required=False)
    tag_id = serializers.UUIDField(required=False)
    search = serializers.CharField(required=False, max_length=200, allow_blank=True)


class SpeechWriteSerializer(serializers.Serializer):
    """Create (POST) or change (PUT, every field optional) a speech.

    The audio is either uploaded in a multipart request (`audio`) or named by the
    storage key of an object already uploaded (`audio_key`, e.g. from the audio import).
    """

    text = serializers.CharField(max_length=1000)
    level = serializers.ChoiceField(choices=Level.choices)
    type = serializers.ChoiceField(choices=SentenceType.choices, default=SentenceType.ANSWER)
    tag_ids = serializers.ListField(child=serializers.UUIDField(), required=False, max_length=100)
    audio = serializers.FileField(required=False, allow_empty_file=False, use_url=False)
    audio_key = serializers.CharField(required=False, max_length=512)

    def validate(self, attrs):
        has_file, has_key = "audio" in attrs, "audio_key" in attrs
        if has_file and has_key:
            raise serializers.ValidationError({"audio": [_("Give either an audio file or an audio_key, not both.")]})
        if not self.partial and not (has_file or has_key):
            raise serializers.ValidationError({"audio": [_("Upload an audio file or give the audio_key of one.")]})
        return attrs


class EditorTagSerializer(serializers.ModelSerializer):
    speech_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Tag
        fields = ["id", "name", "category", "speech_count", "created_at"]
        read_only_fields = fields  # output only: every field is always in the body


class EditorTagListSerializer(serializers.Serializer):
    tags = EditorTagSerializer(many=True)


class TagWriteSerializer(serializers.Serializer):
    """Create (POST) or change (PUT, both fields optional) a tag."""

    name = serializers.CharField(max_length=100)
    category = serializers.CharField(max_length=50, required=False, allow_null=True, allow_blank=True)
