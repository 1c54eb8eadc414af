"""The scoring app's client-visible failures, each with its own machine code.

An oversized recording is `core.audio.AudioTooLarge`, the one audio-acceptance rule.
"""

from rest_framework import status

from core.exceptions import DomainError, InvalidInput, ServiceUnavailable, Unprocessable


class InvalidAudio(InvalidInput):
    code = "invalid_audio"
    detail = "The audio could not be read. Send a WAV, MP3 or M4A recording."


class TooManyFiles(InvalidInput):
    code = "too_many_files"
    detail = "Send exactly one audio file."


class LengthRequired(DomainError):
    status_code = status.HTTP_411_LENGTH_REQUIRED
    code = "length_required"
    detail = "Send the recording with a Content-Length header; chunked uploads are not accepted."


class UnsupportedLanguage(InvalidInput):
    code = "unsupported_language"
    detail = "This language is not supported by the scoring engine."


class AudioQualityTooLow(Unprocessable):
    code = "audio_quality"
    detail = "The recording is too poor to score."


class ReferenceNotScorable(Unprocessable):
    code = "reference_not_scorable"
    detail = "None of the words of the reference text can be scored."


class ScoringUnavailable(ServiceUnavailable):
    code = "speech_provider_unavailable"
    detail = "The pronunciation scoring service is unavailable. Try again later."


class ScoringTimeout(ServiceUnavailable):
    code = "speech_provider_timeout"
    detail = "The pronunciation scoring service did not answer in time. Try again later."
