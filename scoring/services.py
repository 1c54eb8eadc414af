"""Scoring a learner's recording against a reference sentence."""

from __future__ import annotations

import logging

from django.conf import settings
from django.utils.translation import gettext as _

from core.audio import ensure_audio_size
from core.observability import metrics
from scoring.audio import AudioDecodeError, check_quality, decode_audio
from scoring.exceptions import (
    AudioQualityTooLow,
    InvalidAudio,
    OffTaskSpeech,
    ReferenceNotScorable,
    ScoringTimeout,
    ScoringUnavailable,
    UnsupportedLanguage,
)
from scoring.providers.base import (
    AudioQualityError,
    OffTaskSpeechError,
    PcmAudio,
    ReferenceTextError,
    ScoringResult,
    SpeechProvider,
    SpeechProviderError,
    SpeechProviderTimeoutError,
)
from scoring.providers.factory import get_speech_provider

logger = logging.getLogger(__name__)


def _fallback_for(provider: SpeechProvider, language: str) -> SpeechProvider | None:
    name = settings.SPEECH_FALLBACK_PROVIDER.strip().lower()
    if not name or name == provider.name:
        return None
    fallback = get_speech_provider(name)
    return fallback if fallback.supports_language(language) else None


def _score(provider: SpeechProvider, audio: PcmAudio, reference_text: str, language: str) -> ScoringResult:
    try:
        with metrics.scoring_call(provider=provider.name):
            return provider.transcribe_and_score(audio, reference_text, language)
    except AudioQualityError as exc:
        raise AudioQualityTooLow(str(exc)) from exc
    except OffTaskSpeechError as exc:
        raise OffTaskSpeech(str(exc)) from exc
    except ReferenceTextError as exc:
        raise ReferenceNotScorable(str(exc)) from exc


def score_pronunciation(*, audio: bytes, reference_text: str, language: str = "en-US") -> ScoringResult:
    """Decode, check and score one recording; the bytes are only ever held in memory.

    Raises core.audio.AudioTooLarge (413), InvalidAudio or UnsupportedLanguage (400), AudioQualityTooLow,
    OffTaskSpeech or ReferenceNotScorable (422), ScoringTimeout or ScoringUnavailable (503).
    """
    ensure_audio_size(len(audio))
    provider = get_speech_provider()
    if not provider.supports_language(language):
        raise UnsupportedLanguage(_("The {provider} scoring engine does not support {language}.").format(
            provider=provider.name, language=repr(language)))
    try:
        pcm = decode_audio(audio, max_seconds=settings.SPEECH_MAX_AUDIO_SECONDS)
        check_quality(pcm)
    except AudioDecodeError as exc:
        raise InvalidAudio(_("{problem} Send a WAV, MP3 or M4A recording.").format(problem=exc)) from exc
    except AudioQualityError as exc:
        raise AudioQualityTooLow(str(exc)) from exc

    try:
        return _score(provider, pcm, reference_text, language)
    except SpeechProviderError as exc:
        fallback = _fallback_for(provider, language)
        if fallback is None:
            logger.error("Speech provider %s failed: %s", provider.name, exc)
            if isinstance(exc, SpeechProviderTimeoutError):
                raise ScoringTimeout() from exc
            raise ScoringUnavailable() from exc
        logger.warning("Speech provider %s failed (%s); scoring with %s instead.", provider.name, exc, fallback.name)
    try:
        return _score(fallback, pcm, reference_text, language)
    except SpeechProviderTimeoutError as exc:
        raise ScoringTimeout() from exc
    except SpeechProviderError as exc:
        logger.error("Fallback speech provider %s failed too: %s", fallback.name, exc)
        raise ScoringUnavailable() from exc
