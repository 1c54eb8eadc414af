from rest_framework import serializers

from content.audio import signed_audio_url
from content.models import Speech, Tag


class TagRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Tag
        fields = ["id", "name"]


class SpeechItemSerializer(serializers.ModelSerializer):
    """A speech as learners receive it: practice sets, review sets, session details.

    Expects `tags` prefetched; signs `audio_url` for 1 hour.
    """

    audio_url = serializers.SerializerMethodField()
    tags = TagRefSerializer(many=True, read_only=True)

    class Meta:
        model = Speech
        fields = ["id", "audio_url", "text", "level", "type", "tags"]

    def get_audio_url(self, speech: Speech) -> str:
        return signed_audio_url(speech.audio.name, request=self.context.get("request"))
