"""Azure Speech pronunciation assessment (azure-cognitiveservices-speech).

One recognition per attempt: the decoded 16 kHz mono PCM is pushed from memory
(PushAudioInputStream), scored against the reference with the hundred-mark grading
system at phoneme granularity with miscue detection (so omitted and inserted words are
reported) and the NBEST_PHONEMES candidates heard for each phoneme. Each attempt may take
`timeout` seconds; connection failures, throttling and service errors are retried up to
`max_attempts` times with exponential backoff (`backoff`, then twice that, ...). An attempt
that times out is not retried: it has already used the time a learner will wait.

The service's detailed JSON (`SpeechServiceResponse_JsonResult`, NBest / PronunciationAssessment
/ Words) is mapped by `result_from_azure_json`; cancellations by `error_from_cancellation`.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import azure.cognitiveservices.speech as speechsdk
from django.utils.translation import gettext_lazy as _

from scoring.phonemes import ipa_of
from scoring.providers.base import (
    LANGUAGE_TAG,
    AudioQualityError,
    ErrorType,
    PcmAudio,
    PhonemeScore,
    ScoringResult,
    SpeechProvider,
    SpeechProviderAPIError,
    SpeechProviderError,
    SpeechProviderTimeoutError,
    WordScore,
)

logger = logging.getLogger(__name__)

# Azure's word ErrorType -> ours. Prosody findings (breaks, monotone) are not pronunciation errors.
_ERROR_TYPES: dict[str, ErrorType] = {
    "None": "none",
    "Mispronunciation": "mispronunciation",
    "Omission": "omission",
    "Insertion": "insertion",
}
# Worth another attempt: the service or the network may do better a moment later.
_TRANSIENT_CODES = {"ConnectionFailure", "ServiceTimeout", "ServiceUnavailable", "ServiceError",
                    "TooManyRequests", "RuntimeError", "ServiceRedirectTemporary"}
SEGMENTATION_SILENCE_MS = "2000"
# Azure's own threshold for a mispronounced word or phoneme (its default, on the 0-100 scale).
MISPRONUNCIATION_BELOW = 60.0
NBEST_PHONEMES = 3


class _TransientError(SpeechProviderAPIError):
    """A failure worth retrying."""


class _TimedOut(SpeechProviderTimeoutError):
    """The service's own timeout: retried like other transient failures."""


def _number(value: Any) -> float | None:
    return None if value is None else round(float(value), 1)


def _phonemes(items: list[dict[str, Any]]) -> list[PhonemeScore]:
    """A word's phonemes, in Azure's alphabet as given, with an IPA spelling where one is known.

    With NBestPhonemeCount set, each phoneme lists the candidates heard, best first: a
    different best candidate on a phoneme scored below MISPRONUNCIATION_BELOW is what was
    heard instead.
    """
    phonemes = []
    for item in items:
        symbol = str(item.get("Phoneme", ""))
        assessment = item.get("PronunciationAssessment") or item
        score = _number(assessment.get("AccuracyScore")) or 0.0
        candidates = assessment.get("NBestPhonemes") or []
        best = str(candidates[0].get("Phoneme", "")) if candidates else ""
        heard = best if best and best != symbol and score < MISPRONUNCIATION_BELOW else None
        phonemes.append(PhonemeScore(symbol, ipa_of(symbol), score, heard, "substitution" if heard else None))
    return phonemes


def result_from_azure_json(data: dict[str, Any]) -> ScoringResult:
    """Our result from the service's detailed JSON result of a pronunciation assessment."""
    try:
        best = data["NBest"][0]
    except (KeyError, IndexError, TypeError):
        raise SpeechProviderAPIError("The speech service answered without a recognition result.") from None
    # Current API versions nest the scores under "PronunciationAssessment"; older ones did not.
    assessment = best.get("PronunciationAssessment") or best
    words = []
    for word in best.get("Words") or []:
        word_assessment = word.get("PronunciationAssessment") or word
        error_type = _ERROR_TYPES.get(word_assessment.get("ErrorType", "None"), "none")
        if error_type == "insertion":
            score = None  # not part of the reference, so not scored (as with the local engine)
        elif error_type == "omission":
            score = 0.0
        else:
            score = _number(word_assessment.get("AccuracyScore"))
        phonemes = [] if error_type == "insertion" else _phonemes(word.get("Phonemes") or [])
        words.append(WordScore(word=word.get("Word", ""), score=score, error_type=error_type, phonemes=phonemes))
    accuracy = _number(assessment.get("AccuracyScore"))
    pron_score = _number(assessment.get("PronScore"))
    return ScoringResult(
        recognized_text=data.get("DisplayText") or best.get("Display") or best.get("Lexical", ""),
        pronunciation_score=pron_score if pron_score is not None else (accuracy or 0.0),
        accuracy_score=accuracy,
        fluency_score=_number(assessment.get("FluencyScore")),
        completeness_score=_number(assessment.get("CompletenessScore")),
        word_scores=words,
        provider_name="azure",
    )


def error_from_cancellation(reason: str, code: str, details: str) -> SpeechProviderError:
    """Our error for a cancelled recognition (`reason`/`code` are the SDK's enum member names)."""
    if reason == "EndOfStream":
        return AudioQualityError(_("No speech was recognised in the recording."), reason="no_speech")
    message = f"Azure Speech cancelled the recognition ({code}): {details}"
    if code == "ServiceTimeout":
        return _TimedOut(message)
    if code in _TRANSIENT_CODES:
        return _TransientError(message)
    return SpeechProviderAPIError(message)


class AzureSpeechProvider(SpeechProvider):
    name = "azure"

    def __init__(self, *, key: str, region: str = "", endpoint: str = "", timeout: float = 10.0,
                 max_attempts: int = 3, backoff: float = 0.5, sleep: Callable[[float], None] = time.sleep):
        self._key = key
        self._region = region
        self._endpoint = endpoint
        self._timeout = timeout
        self._max_attempts = max(1, max_attempts)
        self._backoff = backoff
        self._sleep = sleep

    def supports_language(self, language: str) -> bool:
        return bool(LANGUAGE_TAG.match(language))

    def transcribe_and_score(self, audio: PcmAudio, reference_text: str, language: str = "en-US") -> ScoringResult:
        if not self._key or not (self._region or self._endpoint):
            raise SpeechProviderAPIError("Azure Speech is not configured (AZURE_SPEECH_KEY, AZURE_SPEECH_REGION).")
        for attempt in range(1, self._max_attempts + 1):
            try:
                return self._attempt(audio, reference_text, language)
            except (_TransientError, _TimedOut) as exc:
                logger.warning("Azure Speech attempt %d/%d failed: %s", attempt, self._max_attempts, exc)
                if attempt == self._max_attempts:
                    if isinstance(exc, _TimedOut):
                        raise SpeechProviderTimeoutError(str(exc)) from exc
                    raise SpeechProviderAPIError(str(exc)) from exc
                self._sleep(self._backoff * 2 ** (attempt - 1))
        raise AssertionError("unreachable")  # pragma: no cover

    def _speech_config(self) -> speechsdk.SpeechConfig:
        if self._endpoint:
            config = speechsdk.SpeechConfig(endpoint=self._endpoint, subscription=self._key)
        else:
            config = speechsdk.SpeechConfig(subscription=self._key, region=self._region)
        # One recognition ends at the first pause longer than this: a learner's hesitation
        # inside the sentence must not cut the assessment short.
        config.set_property(speechsdk.PropertyId.Speech_SegmentationSilenceTimeoutMs, SEGMENTATION_SILENCE_MS)
        return config

    def _attempt(self, audio: PcmAudio, reference_text: str, language: str) -> ScoringResult:
        stream = speechsdk.audio.PushAudioInputStream(
            stream_format=speechsdk.audio.AudioStreamFormat(
                samples_per_second=audio.sample_rate, bits_per_sample=16, channels=1))
        stream.write(audio.samples)
        stream.close()
        recognizer = speechsdk.SpeechRecognizer(
            speech_config=self._speech_config(), language=language,
            audio_config=speechsdk.audio.AudioConfig(stream=stream))
        assessment = speechsdk.PronunciationAssessmentConfig(
            reference_text=reference_text,
            grading_system=speechsdk.PronunciationAssessmentGradingSystem.HundredMark,
            granularity=speechsdk.PronunciationAssessmentGranularity.Phoneme,
            enable_miscue=True,
        )
        # The candidates heard for each phoneme, so a mispronounced one can say what it sounded like.
        assessment.nbest_phoneme_count = NBEST_PHONEMES
        assessment.apply_to(recognizer)
        result = self._wait(recognizer, recognizer.recognize_once_async())

        if result.reason == speechsdk.ResultReason.RecognizedSpeech:
            raw = result.properties.get(speechsdk.PropertyId.SpeechServiceResponse_JsonResult)
            try:
                data = json.loads(raw or "")
            except ValueError:
                raise SpeechProviderAPIError("Azure Speech returned an unreadable result.") from None
            return result_from_azure_json(data)
        if result.reason == speechsdk.ResultReason.NoMatch:
            raise AudioQualityError(_("No speech was recognised in the recording."), reason="no_speech")
        if result.reason == speechsdk.ResultReason.Canceled:
            details = result.cancellation_details
            raise error_from_cancellation(details.reason.name, details.code.name, details.error_details or "")
        raise SpeechProviderAPIError(f"Unexpected Azure Speech result: {result.reason}.")

    def _wait(self, recognizer: speechsdk.SpeechRecognizer,
              future: speechsdk.ResultFuture) -> speechsdk.SpeechRecognitionResult:
        """The future's result, or SpeechProviderTimeoutError after `timeout` seconds.

        The SDK's future has no timeout of its own, so a helper thread waits on it; on timeout
        that thread is abandoned and ends when the SDK gives up. The thread also holds the
        recognizer: destroying a recognizer blocks until its recognition ends, which must not
        happen in the request's thread.
        """
        box: dict[str, Any] = {}
        done = threading.Event()

        def wait(recognizer: speechsdk.SpeechRecognizer = recognizer) -> None:
            try:
                box["result"] = future.get()
            except Exception as exc:  # the SDK raises RuntimeError for internal failures
                box["error"] = exc
            finally:
                done.set()

        threading.Thread(target=wait, name="azure-speech-wait", daemon=True).start()
        if not done.wait(self._timeout):
            raise SpeechProviderTimeoutError(f"Azure Speech did not answer within {self._timeout:g} s.")
        if "error" in box:
            raise _TransientError(f"Azure Speech failed: {box['error']}")
        return box["result"]
