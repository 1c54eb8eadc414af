"""The scoring app's client-visible failures, each with its own machine code.

An oversized recording is `core.audio.AudioTooLarge`, the one audio-acceptance rule.
"""

from django.utils.translation import gettext_lazy as _
from rest_framework import status

from core.exceptions import DomainError, InvalidInput, ServiceUnavailable, Unprocessable


class InvalidAudio(InvalidInput):
    code = "invalid_audio"
    detail = _("The audio could not be read. Send a WAV, MP3 or M4A recording.")


class TooManyFiles(InvalidInput):
    code = "too_many_files"
    detail = _("Send exactly one audio file.")


class LengthRequired(DomainError):
    status_code = status.HTTP_411_LENGTH_REQUIRED
    code = "length_required"
    detail = _("Send the recording with a Content-Length header; chunked uploads are not accepted.")


class UnsupportedLanguage(InvalidInput):
    code = "unsupported_language"
    detail = _("This language is not supported by the scoring engine.")


class AudioQualityTooLow(Unprocessable):
    code = "audio_quality"
    detail = _("The recording is too poor to score.")


class OffTaskSpeech(Unprocessable):
    code = "off_task"
    detail = _("The speech does not match the sentence. Read the sentence shown.")


class ReferenceNotScorable(Unprocessable):
    code = "reference_not_scorable"
    detail = _("None of the words of the reference text can be scored.")


class ScoringUnavailable(ServiceUnavailable):
    code = "speech_provider_unavailable"
    detail = _("The pronunciation scoring service is unavailable. Try again later.")


class ScoringTimeout(ServiceUnavailable):
    code = "speech_provider_timeout"
    detail = _("The pronunciation scoring service did not answer in time. Try again later.")
