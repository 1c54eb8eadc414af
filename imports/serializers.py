from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.storage import signed_url
from imports.models import UploadedFile


# --- input ------------------------------------------------------------------
class ImportAudioSerializer(serializers.Serializer):
    files = serializers.ListField(
        child=serializers.FileField(allow_empty_file=True, use_url=False), allow_empty=False,
        help_text="Audio files (MP3, WAV or M4A, each at most MAX_UPLOAD_BYTES); repeat the field for each file.",
    )
    upload_session_id = serializers.CharField(
        required=False, allow_blank=True,
        help_text="Add the files to this open session instead of starting a new one (e.g. batches of 500).",
    )


class ImportCsvSerializer(serializers.Serializer):
    file = serializers.FileField(allow_empty_file=True, use_url=False,
                                 help_text="UTF-8 CSV with columns audio_filename, text, level, type, tags.")
    upload_session_id = serializers.CharField()
    dry_run = serializers.BooleanField(required=False, default=False,
                                       help_text="Check every row and report what would be created; write nothing.")


# --- output -----------------------------------------------------------------
class ImportUploadedFileSerializer(serializers.ModelSerializer):
    storage_url = serializers.SerializerMethodField(help_text="Signed URL of the uploaded object, valid for 1 hour.")
    filename = serializers.CharField(
        source="stored_name", help_text="The name the CSV's audio_filename must use (with _1, _2, ... if repeated).")

    class Meta:
        model = UploadedFile
        fields = ["id", "original_filename", "filename", "storage_url", "size_bytes"]

    def get_storage_url(self, upload: UploadedFile) -> str:
        return signed_url(upload.storage_key, request=self.context.get("request"))


class ImportUploadResultSerializer(serializers.Serializer):
    upload_session_id = serializers.UUIDField(source="session.id")
    expires_at = serializers.DateTimeField(source="session.expires_at")
    uploaded_files = ImportUploadedFileSerializer(source="files", many=True)


class ImportCreatedSpeechSerializer(serializers.Serializer):
    row = serializers.IntegerField()
    speech_id = serializers.UUIDField()
    text = serializers.CharField()


class ImportPlannedSpeechSerializer(serializers.Serializer):
    row = serializers.IntegerField()
    audio_filename = serializers.CharField()
    text = serializers.CharField()
    level = serializers.CharField()
    type = serializers.CharField()
    tags = serializers.ListField(child=serializers.CharField())


class ImportRowErrorSerializer(serializers.Serializer):
    row = serializers.IntegerField()
    error = serializers.CharField()


class ImportResultSerializer(serializers.Serializer):
    dry_run = serializers.BooleanField()
    success_count = serializers.IntegerField(help_text="Speeches created (or, in a dry run, that would be).")
    error_count = serializers.IntegerField(help_text="Always 0: with any invalid row the answer is a 422.")
    created_speeches = ImportCreatedSpeechSerializer(source="created", many=True)
    created_tags = serializers.ListField(
        source="plan.new_tags", child=serializers.CharField(),
        help_text="Names of the tags created (or, in a dry run, that would be).")
    would_create_speeches = serializers.SerializerMethodField(help_text="Dry run only: the speeches, by CSV row.")
    errors = serializers.SerializerMethodField()

    @extend_schema_field(ImportPlannedSpeechSerializer(many=True))
    def get_would_create_speeches(self, result) -> list[dict]:
        return ImportPlannedSpeechSerializer(result.plan.rows, many=True).data if result.dry_run else []

    @extend_schema_field(ImportRowErrorSerializer(many=True))
    def get_errors(self, result) -> list:
        return []
