"""What every speech provider offers: one call that transcribes and scores, and its errors.

Providers receive `PcmAudio` already decoded and checked by `scoring.audio` (16 kHz mono
16-bit PCM), so each upload is decoded once, in-process, whichever provider is configured.
"""

from __future__ import annotations

import abc
import re
from dataclasses import dataclass, field
from typing import Literal

ErrorType = Literal["none", "mispronunciation", "omission", "insertion"]
PhonemeError = Literal["substitution", "omission"]


SAMPLE_RATE = 16000

# The shape of a BCP-47 language tag ("en", "en-US", "zh-Hans-CN"): the request accepts it, each
# provider then says whether it scores that language.
LANGUAGE_TAG = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")


@dataclass(frozen=True)
class PcmAudio:
    """Decoded audio: 16-bit little-endian signed samples, mono, SAMPLE_RATE Hz."""

    samples: bytes
    sample_rate: int = SAMPLE_RATE

    @property
    def duration(self) -> float:
        return len(self.samples) / 2 / self.sample_rate


@dataclass(frozen=True)
class PhonemeScore:
    """One sound of a reference word: as the dictionary has it, how well it was said, what was heard."""

    phoneme: str  # the provider's phone set: ARPAbet without stress (local), Azure's own (azure)
    ipa: str | None  # the same sound in IPA, None when the provider's symbol has no mapping
    score: float  # 0-100, the scale of word scores
    heard: str | None = None  # the phoneme heard instead, when the evidence is clear
    error: PhonemeError | None = None  # "substitution" (another sound), "omission" (no time for it)


@dataclass(frozen=True)
class WordScore:
    word: str
    # 0-100; None when the provider could not score the word (e.g. not in its dictionary).
    score: float | None
    error_type: ErrorType = "none"
    # The word's sounds in order; empty for an inserted word or one the provider cannot score.
    phonemes: list[PhonemeScore] = field(default_factory=list)


@dataclass(frozen=True)
class ScoringResult:
    recognized_text: str
    pronunciation_score: float
    accuracy_score: float | None = None
    fluency_score: float | None = None
    completeness_score: float | None = None
    word_scores: list[WordScore] = field(default_factory=list)
    provider_name: str = ""


class SpeechProviderError(Exception):
    """Base of every provider failure."""


class SpeechProviderTimeoutError(SpeechProviderError):
    """The provider did not answer in time."""


class SpeechProviderAPIError(SpeechProviderError):
    """The provider refused or failed the request (bad key, network, service error)."""


class AudioQualityError(SpeechProviderError):
    """The audio holds too little usable speech to be scored."""

    def __init__(self, message: str, *, reason: str = "poor_audio"):
        super().__init__(message)
        self.reason = reason


class OffTaskSpeechError(SpeechProviderError):
    """The recording holds speech, but not the reference sentence (another sentence or language)."""


class ReferenceTextError(SpeechProviderError):
    """The reference text cannot be scored by this provider (e.g. no word it knows)."""


class SpeechProvider(abc.ABC):
    name: str = ""

    @abc.abstractmethod
    def supports_language(self, language: str) -> bool:
        """Whether `language` (a BCP-47 tag such as "en-US") can be scored."""

    @abc.abstractmethod
    def transcribe_and_score(self, audio: PcmAudio, reference_text: str, language: str = "en-US") -> ScoringResult:
        """Transcribe `audio` and score its pronunciation against `reference_text`.

        Raises SpeechProviderTimeoutError, SpeechProviderAPIError, AudioQualityError or
        ReferenceTextError; never returns a partial result.
        """
