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
            "moved to `audio/{level}/`, and the session is closed. `dry_run=true` checks and previews only. "
            "A valid CSV of more than IMPORT_SYNC_MAX_ROWS rows (500 by default) is imported by a background "
            "job instead: the answer is 202 with the job, and `Location` is its URL, "
            "`GET /api/v1/admin/import/jobs/{job_id}`, to follow its progress and result."
        ),
        request={"multipart/form-data": ImportCsvSerializer},
        responses={
            200: ImportResultSerializer,
            202: JobSerializer,
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
        description=("`state` is queued, running, succeeded or failed; `progress.done` counts the audio files "
                     "copied of `progress.total` rows. A succeeded job's `result` has `speeches_created` and "
                     "`speech_ids`; a failed one's `error` has the same `code`, `detail` and `errors` a direct "
                     "import would have answered (e.g. `storage_unavailable`). Poll about once a second: "
                     "the `admin` rate limit applies."),
        responses={200: JobSerializer, 404: _error("No import job with this id."), **_STAFF_ERRORS},
    )
    def get(self, request, job_id):
        return Response(JobSerializer(job_selectors.job(job_id=job_id, kind=services.IMPORT_JOB_KIND)).data)
