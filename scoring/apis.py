from drf_spectacular.utils import extend_schema
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.openapi import error_response as _error
from scoring import services
from scoring.serializers import ScoringResultSerializer, SpeechScoreRequestSerializer
from scoring.uploads import prepare_audio_upload


class SpeechScoreApi(APIView):
    """Scores a learner's recording of a sentence."""

    rate_limit_scope = "scoring"
    parser_classes = [MultiPartParser]

    @extend_schema(
        operation_id="speech_score",
        summary="Score pronunciation",
        description="Transcribes the recording and scores its pronunciation against `reference_text`. "
                    "The recording is processed in memory and never stored. The request carries exactly one "
                    "file part and a Content-Length of at most MAX_UPLOAD_BYTES + 64 KiB; larger requests "
                    "are refused from their headers, before the body is read.",
        request={"multipart/form-data": SpeechScoreRequestSerializer},
        responses={
            200: ScoringResultSerializer,
            400: _error("Missing field, unsupported language, or not a readable WAV/MP3/M4A recording "
                        "(`invalid_input`, `unsupported_language`, `invalid_audio`); more than one file part "
                        "(`too_many_files`); too many form fields (`too_many_fields`)"),
            401: _error("Missing or invalid access token"),
            411: _error("No Content-Length: chunked uploads are not accepted (`length_required`)"),
            413: _error("Audio larger than MAX_UPLOAD_BYTES (`audio_too_large`), or a Content-Length over "
                        "MAX_UPLOAD_BYTES + 64 KiB (`request_too_large`)"),
            422: _error("Recording too poor to score: silence, noise, too short, over 30 s (`audio_quality`); "
                        "speech that is not the reference sentence, such as another sentence or another language "
                        "(`off_task`); or no scorable word in the reference (`reference_not_scorable`)"),
            503: _error("Scoring provider unavailable or timed out "
                        "(`speech_provider_unavailable`, `speech_provider_timeout`)"),
        },
        tags=["speech"],
    )
    def post(self, request):
        prepare_audio_upload(request)
        serializer = SpeechScoreRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        upload = data["audio"]
        try:
            result = services.score_pronunciation(
                audio=upload.read(), reference_text=data["reference_text"], language=data["language"])
        finally:
            upload.close()
        return Response(ScoringResultSerializer(result).data)
