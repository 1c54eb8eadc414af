from drf_spectacular.utils import extend_schema
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import IsAdminUser
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.openapi import error_response as _error
from imports import services
from imports.serializers import (
    ImportAudioSerializer,
    ImportCsvSerializer,
    ImportResultSerializer,
    ImportUploadResultSerializer,
)

_STAFF_ERRORS = {401: _error("Not signed in."), 403: _error("Not a staff member.")}


class ImportAudioApi(APIView):
    permission_classes = [IsAdminUser]
    parser_classes = [MultiPartParser]
    rate_limit_scope = "admin"

    @extend_schema(
        tags=["admin: import"],
        summary="Import step 1: upload audio files",
        description=(
            "Stores MP3/WAV/M4A files (judged by their bytes) under `audio/uploads/{upload_session_id}/`. "
            "A name already in the session gets `_1`, `_2`, ... before its extension; the CSV of step 2 "
            "refers to files by that `filename`. Send `upload_session_id` to add more files to an open "
            "session. If any file is refused, none of the request's files is stored. Sessions expire "
            "after 24 hours."
        ),
        request={"multipart/form-data": ImportAudioSerializer},
        responses={
            200: ImportUploadResultSerializer,
            400: _error("A file is not MP3, WAV or M4A (errors name each file), or no files were sent."),
            404: _error("upload_session_id is unknown or expired."),
            409: _error("The upload session has already been imported."),
            413: _error("A file is larger than the per-file limit (10 MB by default)."),
            **_STAFF_ERRORS,
        },
    )
    def post(self, request):
        serializer = ImportAudioSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        result = services.upload_audio_files(
            actor=request.user, files=serializer.validated_data["files"],
            session_id=serializer.validated_data.get("upload_session_id") or None,
        )
        return Response(ImportUploadResultSerializer(result, context={"request": request}).data)


class ImportCsvApi(APIView):
    permission_classes = [IsAdminUser]
    parser_classes = [MultiPartParser]
    rate_limit_scope = "admin"

    @extend_schema(
        tags=["admin: import"],
        summary="Import step 2: create speeches from a CSV",
        description=(
            "CSV columns (any order, extra columns ignored): `audio_filename` (required, a `filename` of the "
            "session), `text` (required), `level` (required: A1, A2, B1, B2, C1), `type` (question or answer, "
            "default answer), `tags` (comma-separated names; missing tags are created). UTF-8 with or without "
            "BOM. All or nothing: if any row is invalid the answer is 422 with every `{row, error}` (row 1 is the "
            "header, as in a spreadsheet) and nothing is created. Otherwise every speech is created, its audio "
            "moved to `audio/{level}/`, and the session is closed. `dry_run=true` checks and previews only."
        ),
        request={"multipart/form-data": ImportCsvSerializer},
        responses={
            200: ImportResultSerializer,
            400: _error("Not a UTF-8 CSV, or required columns are missing."),
            404: _error("upload_session_id is unknown or expired."),
            409: _error("The upload session has already been imported."),
            413: _error("The CSV is larger than the limit."),
            422: _error("Some rows are invalid; `errors` lists every {row, error}; nothing was created."),
            503: _error("The storage failed; nothing was created and the session can be imported again."),
            **_STAFF_ERRORS,
        },
    )
    def post(self, request):
        serializer = ImportCsvSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        upload = serializer.validated_data["file"]
        result = services.import_csv(
            actor=request.user, session_id=serializer.validated_data["upload_session_id"],
            csv_data=services.read_csv_upload(upload), csv_name=upload.name or "",
            dry_run=serializer.validated_data["dry_run"], source="api",
        )
        return Response(ImportResultSerializer(result).data)
