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
    file = serializers.FileField(
        allow_empty_file=True, use_url=False,
        help_text="UTF-8 CSV, or XLSX (first sheet), with columns id, audio_filename, text, level, type, tags.")
    upload_session_id = serializers.CharField()
    dry_run = serializers.BooleanField(
        required=False, default=False,
        help_text="Check every row and report what would be created, updated or left unchanged; write nothing.")


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


class ImportSessionSerializer(serializers.Serializer):
    upload_session_id = serializers.UUIDField(source="id")
    expires_at = serializers.DateTimeField()
    uploaded_files = serializers.SerializerMethodField()

    @extend_schema_field(ImportUploadedFileSerializer(many=True))
    def get_uploaded_files(self, session) -> list:
        return []  # a new session: its files come with POST /admin/import/audio


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


class ImportPlannedUpdateSerializer(ImportPlannedSpeechSerializer):
    speech_id = serializers.UUIDField()
    new_audio = serializers.BooleanField(help_text="audio_filename is a file of the session that replaces the audio.")


class ImportRowErrorSerializer(serializers.Serializer):
    row = serializers.IntegerField()
    error = serializers.CharField()
    column = serializers.CharField(required=False, help_text="The column of the offending cell, when it is one cell.")
    value = serializers.CharField(required=False, help_text="The offending cell's value (at most 200 characters).")


class ImportResultSerializer(serializers.Serializer):
    dry_run = serializers.BooleanField()
    success_count = serializers.IntegerField(
        help_text="Valid rows: speeches created, updated and unchanged (or, in a dry run, that would be).")
    error_count = serializers.IntegerField(help_text="Always 0: with any invalid row the answer is a 422.")
    create_count = serializers.IntegerField(help_text="Rows without id: speeches created (or that would be).")
    update_count = serializers.IntegerField(help_text="Rows with an id whose values differ: speeches updated.")
    unchanged_count = serializers.IntegerField(help_text="Rows with an id whose values are the speech's own.")
    created_speeches = ImportCreatedSpeechSerializer(source="created", many=True)
    updated_speeches = ImportCreatedSpeechSerializer(source="updated", many=True)
    created_tags = serializers.ListField(
        source="plan.new_tags", child=serializers.CharField(),
        help_text="Names of the tags created (or, in a dry run, that would be).")
    would_create_speeches = serializers.SerializerMethodField(
        help_text="Dry run only: the speeches that would be created, by CSV row.")
    would_update_speeches = serializers.SerializerMethodField(
        help_text="Dry run only: the speeches that would be updated, by CSV row, with their new values.")
    errors = serializers.SerializerMethodField()

    @extend_schema_field(ImportPlannedSpeechSerializer(many=True))
    def get_would_create_speeches(self, result) -> list[dict]:
        return ImportPlannedSpeechSerializer(result.plan.creates, many=True).data if result.dry_run else []

    @extend_schema_field(ImportPlannedUpdateSerializer(many=True))
    def get_would_update_speeches(self, result) -> list[dict]:
        return ImportPlannedUpdateSerializer(result.plan.updates, many=True).data if result.dry_run else []

    @extend_schema_field(ImportRowErrorSerializer(many=True))
    def get_errors(self, result) -> list:
        return []
