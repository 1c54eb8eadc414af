from django.urls import reverse
from drf_spectacular.utils import extend_schema
from rest_framework import status
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
    ImportSessionSerializer,
    ImportUploadResultSerializer,
)
from jobs import selectors as job_selectors
from jobs.models import Job
from jobs.serializers import JobSerializer

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


class ImportSessionApi(APIView):
    permission_classes = [IsAdminUser]
    rate_limit_scope = "admin"

    @extend_schema(
        tags=["admin: import"],
        summary="Import step 1 without audio: open an empty upload session",
        description=(
            "For a CSV or XLSX that only edits existing speeches (every row has an `id` and keeps its audio): "
            "opens an upload session with no files, to import that file into in step 2. Audio files may still "
            "be added with POST /admin/import/audio and its `upload_session_id`. Expires like any session."
        ),
        request=None,
        responses={201: ImportSessionSerializer, **_STAFF_ERRORS},
    )
    def post(self, request):
        session = services.open_upload_session(actor=request.user)
        return Response(ImportSessionSerializer(session).data, status=status.HTTP_201_CREATED)


class ImportCsvApi(APIView):
    permission_classes = [IsAdminUser]
    parser_classes = [MultiPartParser]
    rate_limit_scope = "admin"

    @extend_schema(
        tags=["admin: import"],
        summary="Import step 2: create or update speeches from a CSV or XLSX",
        description=(
            "A UTF-8 CSV (with or without BOM) or an XLSX workbook (its first sheet; recognised by content or "
            "name). Columns (any order, extra columns ignored): `id` (optional: a speech's UUID, as the export "
            "writes it), `audio_filename` (a `filename` of the session; required without `id`), `text` "
            "(required), `level` (required: A1, A2, B1, B2, C1), `type` (question or answer, default answer), "
            "`tags` (comma-separated names; missing tags are created). A row without `id` creates a speech. "
            "A row with an `id` updates that active speech's text, level, type and tags; its audio only when "
            "`audio_filename` names a file of the session (otherwise it may be the speech's current file name "
            "or empty, and the audio is kept); a row equal to the speech is unchanged. All or nothing: if any "
            "row is invalid (also: a malformed, unknown, archived or repeated id) the answer is 422 with every "
            "`{row, error, column, value}` (row 1 is the header, as in a spreadsheet; `column` and `value` name "
            "the offending cell) and nothing is written. Otherwise every speech is created or updated, new audio "
            "moved to `audio/{level}/`, and the session is closed. The answer counts `create_count`, "
            "`update_count` and `unchanged_count`; `dry_run=true` checks and previews only. A valid file with "
            "more than IMPORT_SYNC_MAX_ROWS rows to create or update (500 by default) is imported by a background "
            "job instead: the answer is 202 with the job, and `Location` is its URL, "
            "`GET /api/v1/admin/import/jobs/{job_id}`, to follow its progress and result. A file that only edits "
            "speeches can be imported into an empty session from POST /admin/import/sessions."
        ),
        request={"multipart/form-data": ImportCsvSerializer},
        responses={
            200: ImportResultSerializer,
            202: JobSerializer,
            400: _error("Not a UTF-8 CSV or a readable XLSX, or required columns are missing."),
            404: _error("upload_session_id is unknown or expired."),
            409: _error("The upload session has already been imported."),
            413: _error("The CSV is larger than the limit."),
            422: _error("Some rows are invalid; `errors` lists every {row, error, column, value}; nothing was "
                        "written."),
            503: _error("The storage failed; nothing was created and the session can be imported again."),
            **_STAFF_ERRORS,
        },
    )
    def post(self, request):
        serializer = ImportCsvSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        upload = serializer.validated_data["file"]
        arguments = {"actor": request.user, "session_id": serializer.validated_data["upload_session_id"],
                     "csv_data": services.read_csv_upload(upload), "csv_name": upload.name or "", "source": "api"}
        if serializer.validated_data["dry_run"]:
            return Response(ImportResultSerializer(services.import_csv(**arguments, dry_run=True)).data)
        outcome = services.start_csv_import(**arguments)
        if isinstance(outcome, Job):
            location = reverse("imports:import-job", kwargs={"job_id": outcome.id})
            return Response(JobSerializer(outcome).data, status=status.HTTP_202_ACCEPTED,
                            headers={"Location": request.build_absolute_uri(location)})
        return Response(ImportResultSerializer(outcome).data)


class ImportJobApi(APIView):
    permission_classes = [IsAdminUser]
    rate_limit_scope = "admin"

    @extend_schema(
        tags=["admin: import"],
        summary="An import job: state, progress and result",
        description=("`state` is queued, running, succeeded or failed; `progress.done` counts the rows written "
                     "(audio files copied, updates without new audio) of `progress.total`. A succeeded job's "
                     "`result` has `speeches_created`, `speech_ids`, `speeches_updated`, `updated_speech_ids` and "
                     "`speeches_unchanged`; a failed one's `error` has the same `code`, `detail` and `errors` a direct "
                     "import would have answered (e.g. `storage_unavailable`). Poll about once a second: "
                     "the `admin` rate limit applies."),
        responses={200: JobSerializer, 404: _error("No import job with this id."), **_STAFF_ERRORS},
    )
    def get(self, request, job_id):
        return Response(JobSerializer(job_selectors.job(job_id=job_id, kind=services.IMPORT_JOB_KIND)).data)
