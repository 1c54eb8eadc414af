import tempfile

from django.http import FileResponse, StreamingHttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import AllowAny, IsAdminUser, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from content import selectors, services
from content.csv_export import export_filename, iter_export_lines, write_export_xlsx
from content.csv_format import XLSX_CONTENT_TYPE
from content.serializers import (
    EditorSpeechFilterSerializer,
    EditorSpeechSerializer,
    EditorTagListSerializer,
    EditorTagSerializer,
    PracticeSetRequestSerializer,
    PracticeSetSerializer,
    PublicTagListSerializer,
    SpeechItemSerializer,
    SpeechWriteSerializer,
    TagWriteSerializer,
)
from core import storage
from core.api.openapi import error_response as error
from core.api.pagination import page_pagination
from core.api.parsers import JSONParser
from core.audio import CONTENT_TYPES
from core.exceptions import InvalidInput
from core.http.ranges import file_response

ERRORS = {400: error("Invalid input (per-field problems in `errors`)"), 401: error("Missing or invalid access token")}
EDITOR_ERRORS = {**ERRORS, 403: error("The user is not staff")}


class AudioFileApi(APIView):
    """Streams a locally stored audio file to whoever holds a valid signed URL (local storage only)."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    rate_limit_scope = "default"

    @extend_schema(
        summary="Download a stored audio file by its signed URL",
        tags=["content"],
        parameters=[OpenApiParameter("expires", int, required=True), OpenApiParameter("signature", str, required=True),
                    OpenApiParameter("Range", str, OpenApiParameter.HEADER,
                                     description="One byte range, e.g. `bytes=0-1023`: answered 206 with that part.")],
        responses={
            **{(200, content_type): OpenApiTypes.BINARY for content_type in CONTENT_TYPES.values()},
            **{(206, content_type): OpenApiTypes.BINARY for content_type in CONTENT_TYPES.values()},
            403: error("Invalid or expired signature"),
            404: error("No stored audio with this key"),
        },
    )
    def get(self, request, key: str):
        handle, content_type = storage.open_signed_file(
            key, expires=request.query_params.get("expires"), signature=request.query_params.get("signature"))
        return file_response(request, handle, content_type)


class TagListApi(APIView):
    """Every tag, for the game configuration screen. Public; a token, even a bad one, is ignored."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    rate_limit_scope = "default"

    @extend_schema(summary="List every tag", tags=["tags"], auth=[], responses={200: PublicTagListSerializer})
    def get(self, request):
        return Response({"tags": selectors.public_tags()})


class PracticeSetApi(APIView):
    """A random practice set: level AND type AND any of the tags; 200 with an empty list when nothing matches."""

    permission_classes = [IsAuthenticated]
    rate_limit_scope = "practice_set"

    @extend_schema(summary="Get a random practice set", tags=["game"], request=PracticeSetRequestSerializer,
                   responses={200: PracticeSetSerializer, **ERRORS})
    def post(self, request):
        query = PracticeSetRequestSerializer(data=request.data)
        query.is_valid(raise_exception=True)
        items = selectors.practice_set(
            level=query.validated_data["level"], type=query.validated_data["type"],
            tag_ids=query.validated_data["tags"], limit=query.validated_data["limit"],
            serialize=SpeechItemSerializer.unsigned_items,
        )
        return Response({"speeches": [SpeechItemSerializer.signed(item, request=request) for item in items]})


# --- editor API ----------------------------------------------------------------------------

class EditorApi(APIView):
    permission_classes = [IsAdminUser]
    rate_limit_scope = "admin"


class EditorSpeechListApi(EditorApi):
    parser_classes = [JSONParser, MultiPartParser, FormParser]
    pagination_class = page_pagination("speeches", default_limit=50, max_limit=200)

    @extend_schema(
        summary="List speeches (editors)",
        tags=["admin"], parameters=[EditorSpeechFilterSerializer],
        responses={200: EditorSpeechSerializer(many=True), **EDITOR_ERRORS},
    )
    def get(self, request):
        filters = EditorSpeechFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(selectors.editor_speech_list(**filters.validated_data), request, view=self)
        data = EditorSpeechSerializer(page, many=True, context={"request": request}).data
        return paginator.get_paginated_response(data)

    @extend_schema(
        summary="Create a speech with its audio (editors)",
        tags=["admin"],
        description="Audio: upload a file in a multipart request (`audio`, MP3/WAV/M4A) or give the "
                    "`audio_key` of an object already in storage.",
        request={"application/json": SpeechWriteSerializer, "multipart/form-data": SpeechWriteSerializer},
        responses={201: EditorSpeechSerializer, **EDITOR_ERRORS,
                   413: error("Audio file too large")},
    )
    def post(self, request):
        payload = SpeechWriteSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        speech = services.create_speech(data=services.SpeechInput(
            text=data["text"], level=data["level"], type=data["type"], tag_ids=data.get("tag_ids", []),
            audio_file=data.get("audio"), audio_key=data.get("audio_key"),
        ), actor=request.user)
        return Response(EditorSpeechSerializer(speech, context={"request": request}).data,
                        status=status.HTTP_201_CREATED)


class EditorSpeechDetailApi(EditorApi):
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    @extend_schema(summary="Get a speech (editors)", tags=["admin"],
                   responses={200: EditorSpeechSerializer, **EDITOR_ERRORS, 404: error("No such (active) speech")})
    def get(self, request, speech_id):
        speech = selectors.editor_speech(speech_id=speech_id)
        return Response(EditorSpeechSerializer(speech, context={"request": request}).data)

    @extend_schema(
        summary="Update a speech (editors)",
        tags=["admin"],
        request={"application/json": SpeechWriteSerializer, "multipart/form-data": SpeechWriteSerializer},
        responses={200: EditorSpeechSerializer, **EDITOR_ERRORS, 404: error("No such speech"),
                   413: error("Audio file too large")},
    )
    def put(self, request, speech_id):
        speech = selectors.editor_speech(speech_id=speech_id)
        payload = SpeechWriteSerializer(data=request.data, partial=True)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        speech = services.update_speech(speech=speech, changes=services.SpeechChanges(
            text=data.get("text"), level=data.get("level"), type=data.get("type"), tag_ids=data.get("tag_ids"),
            audio_file=data.get("audio"), audio_key=data.get("audio_key"),
        ), actor=request.user)
        return Response(EditorSpeechSerializer(speech, context={"request": request}).data)

    @extend_schema(summary="Archive a speech (editors)", tags=["admin"],
                   description="Archives the speech: it leaves practice sets and editor lists "
                               "but stays in game history.",
                   responses={204: None, **EDITOR_ERRORS, 404: error("No such speech")})
    def delete(self, request, speech_id):
        speech = selectors.editor_speech(speech_id=speech_id)
        services.archive_speech(speech=speech, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class EditorTagListApi(EditorApi):
    @extend_schema(summary="List tags with their speech counts (editors)", tags=["admin"],
                   operation_id="admin_tags_list",
                   responses={200: EditorTagListSerializer, **EDITOR_ERRORS})
    def get(self, request):
        return Response({"tags": EditorTagSerializer(selectors.tags_with_speech_count(), many=True).data})

    @extend_schema(summary="Create a tag (editors)", tags=["admin"], request=TagWriteSerializer,
                   responses={201: EditorTagSerializer, **EDITOR_ERRORS,
                              409: error("A tag with this name (any case) exists")})
    def post(self, request):
        payload = TagWriteSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        tag = services.create_tag(**payload.validated_data, actor=request.user)
        return Response(EditorTagSerializer(selectors.tag_with_speech_count(tag_id=tag.id)).data,
                        status=status.HTTP_201_CREATED)


class EditorTagDetailApi(EditorApi):
    @extend_schema(summary="Get a tag (editors)", tags=["admin"], responses={200: EditorTagSerializer, **EDITOR_ERRORS,
                                              404: error("No such tag")})
    def get(self, request, tag_id):
        return Response(EditorTagSerializer(selectors.tag_with_speech_count(tag_id=tag_id)).data)

    @extend_schema(summary="Rename or recategorise a tag (editors)", tags=["admin"], request=TagWriteSerializer,
                   responses={200: EditorTagSerializer, **EDITOR_ERRORS,
                              404: error("No such tag"),
                              409: error("A tag with this name (any case) exists")})
    def put(self, request, tag_id):
        tag = selectors.tag_with_speech_count(tag_id=tag_id)
        payload = TagWriteSerializer(data=request.data, partial=True)
        payload.is_valid(raise_exception=True)
        changes = {key: value for key, value in payload.validated_data.items() if key in ("name", "category")}
        tag = services.update_tag(tag=tag, **changes, actor=request.user)
        return Response(EditorTagSerializer(tag).data)

    @extend_schema(summary="Delete an unused tag (editors)", tags=["admin"], responses={204: None, **EDITOR_ERRORS,
                                              404: error("No such tag"),
                                              409: error("Speeches still use the tag")})
    def delete(self, request, tag_id):
        tag = selectors.tag_with_speech_count(tag_id=tag_id)
        services.delete_tag(tag=tag, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- export --------------------------------------------------------------------------------

class _JsonForErrors(BaseContentNegotiation):
    """The CSV itself bypasses renderers; errors are JSON whatever the client's Accept header says."""

    def select_parser(self, request, parsers):
        return parsers[0]

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class SpeechExportApi(EditorApi):
    content_negotiation_class = _JsonForErrors
    FORMATS = ("csv", "xlsx")

    @extend_schema(
        tags=["admin: import"],
        summary="Export speeches as an import CSV or XLSX",
        operation_id="admin_speeches_export_csv",
        description=(
            "Active speeches (same filters as GET /admin/speeches) in the import format, oldest first: a CSV, or "
            "with `format=xlsx` an XLSX workbook (one sheet, header in row 1). The first column, `id`, is the "
            "speech's UUID: importing the file (edited or not) into an upload session updates those speeches in "
            "place (text, level, type, tags), rows without changes are reported as unchanged, and rows without "
            "an id create new speeches. `audio_filename` is the file name of the stored audio: left as it is, "
            "the audio is kept; naming a file uploaded to the session replaces it. CSV cells starting with =, +, "
            "-, @ are prefixed with ' against spreadsheet formulas (the import removes it); XLSX cells are text."
        ),
        parameters=[EditorSpeechFilterSerializer, OpenApiParameter(
            "format", str, enum=list(FORMATS), default="csv", description="csv (default) or xlsx.")],
        responses={(200, "text/csv"): OpenApiTypes.STR, (200, XLSX_CONTENT_TYPE): OpenApiTypes.BINARY,
                   400: error("A filter value or the format is invalid."),
                   401: error("Not signed in."), 403: error("Not a staff member.")},
    )
    def get(self, request):
        file_format = request.query_params.get("format", "csv").strip().lower() or "csv"
        if file_format not in self.FORMATS:
            raise InvalidInput(errors={"format": [_("Must be one of {choices}.").format(
                choices=", ".join(self.FORMATS))]})
        filters = EditorSpeechFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        speeches = selectors.speeches_for_export(**filters.validated_data)
        if file_format == "xlsx":
            # A temporary file, not memory: openpyxl zips the sheet into it, the response streams it.
            target = tempfile.TemporaryFile()
            write_export_xlsx(speeches, target)
            target.seek(0)
            return FileResponse(target, as_attachment=True, filename=export_filename("xlsx"),
                                content_type=XLSX_CONTENT_TYPE)
        response = StreamingHttpResponse(iter_export_lines(speeches), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{export_filename()}"'
        return response
