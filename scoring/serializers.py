from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from scoring.providers.base import LANGUAGE_TAG

MAX_REFERENCE_CHARS = 500


# Its requests are "SpeechScoreRequest" in the schema (not "...RequestRequest").
@extend_schema_serializer(component_name="SpeechScore")
class SpeechScoreRequestSerializer(serializers.Serializer):
    audio = serializers.FileField(
        allow_empty_file=False, use_url=False,
        help_text="The learner's recording: WAV, MP3 or M4A (judged by content), at most MAX_UPLOAD_BYTES "
                  "(10 MB) and 30 seconds. Never stored.")
    reference_text = serializers.CharField(max_length=MAX_REFERENCE_CHARS, help_text="The sentence the learner read.")
    language = serializers.RegexField(
        LANGUAGE_TAG, required=False, default="en-US",
        help_text='BCP-47 language of the sentence, default "en-US" (the local engine scores en-US only).')


class PhonemeScoreSerializer(serializers.Serializer):
    phoneme = serializers.CharField(
        help_text='The sound as the provider\'s dictionary has it: ARPAbet without stress ("TH", "IY") from the '
                  'local engine, Azure\'s own symbols from Azure.')
    ipa = serializers.CharField(allow_null=True, help_text='The same sound in IPA ("θ"); null when unknown.')
    score = serializers.FloatField(help_text="0-100, the scale of word scores.")
    heard = serializers.CharField(
        allow_null=True, help_text="The sound heard instead, when the evidence is clear; else null.")
    error = serializers.ChoiceField(
        choices=["substitution", "omission"], allow_null=True,
        help_text='"substitution": another sound was heard (see `heard`); "omission": the sound was not said; '
                  "null: no error found.")


class WordScoreSerializer(serializers.Serializer):
    word = serializers.CharField()
    score = serializers.FloatField(
        allow_null=True, help_text="0-100; null for an inserted word or a word the engine cannot score.")
    error_type = serializers.ChoiceField(choices=["none", "mispronunciation", "omission", "insertion"])
    phonemes = PhonemeScoreSerializer(
        many=True, help_text="The word's sounds in order; empty for an inserted word or one that cannot be scored.")


class ScoringResultSerializer(serializers.Serializer):
    recognized_text = serializers.CharField()
    pronunciation_score = serializers.FloatField(help_text="Overall pronunciation, 0-100.")
    accuracy_score = serializers.FloatField(allow_null=True, help_text="How well the words were pronounced, 0-100.")
    fluency_score = serializers.FloatField(allow_null=True, help_text="Flow without long pauses or hesitations, 0-100.")
    completeness_score = serializers.FloatField(
        allow_null=True, help_text="Share of the reference words said correctly, 0-100.")
    word_scores = WordScoreSerializer(many=True)
    provider = serializers.CharField(source="provider_name", help_text='"local" or "azure".')
