from django.core.files.storage import default_storage
from django.http import FileResponse
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.views import APIView

from config.exceptions import Forbidden, NotFound
from content.audio import verify_local_signature

AUDIO_CONTENT_TYPES = {"mp3": "audio/mpeg", "wav": "audio/wav", "m4a": "audio/mp4"}


class AudioFileApi(APIView):
    """Streams a locally stored audio file to whoever holds a valid signed URL (local storage only)."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(
        parameters=[OpenApiParameter("expires", int, required=True), OpenApiParameter("signature", str, required=True)],
        responses={(200, "audio/mpeg"): bytes},
    )
    def get(self, request, key: str):
        if not verify_local_signature(key, request.query_params.get("expires"), request.query_params.get("signature")):
            raise Forbidden("This audio link is invalid or has expired.", code="invalid_signature")
        if not default_storage.exists(key):
            raise NotFound("Audio file not found.")
        extension = key.rsplit(".", 1)[-1].lower()
        return FileResponse(default_storage.open(key, "rb"),
                            content_type=AUDIO_CONTENT_TYPES.get(extension, "application/octet-stream"))
