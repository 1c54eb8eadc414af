"""Offline pronunciation scoring with PocketSphinx and its bundled US-English models.

Nothing is downloaded: the acoustic model, the CMU pronouncing dictionary and the language
model ship inside the `pocketsphinx` package. Method, per recording:

1. Reference. The sentence is split into written words and spoken tokens
   (`scoring.text`: numbers spelled out, punctuation dropped). Tokens missing from the
   dictionary are left unscored (their word gets `score: null`); a sentence with no known
   token cannot be scored.
2. Recognition pass (what was said). A finite-state grammar built from the reference: from
   each position the next reference word (p=0.9), skipping it (0.01), giving up on the rest
   of the sentence (0.01), or a loop over the 39 phones (0.1 in all) that absorbs anything
   else the learner said. This is much cheaper than decoding with the full language model
   and biased towards the reference, as pronunciation assessment should be. The path is
   placed on the reference (`local_scoring.plan_tokens`): each token is *matched*,
   *substituted* (something else was said in its place) or *omitted*; long unexplained
   speech between matched words is an *insertion*.
   A path without any reference word whose phone-loop segments fit better than speech
   does (steady noise is matched smoothly by the phone loop) is no speech: 422.
3. Forced alignment (how well it was said) of the tokens that were attempted. Each token's
   fit is its acoustic score per frame, relative to the best-scoring senone of each frame
   (which makes it largely independent of loudness and microphone), taken from the alignment and, for
   matched tokens, also from the recognition pass (the better of the two).
4. Only when some stretch was not recognised: a pass with the full language model to name
   the words heard there (for `recognized_text` and insertions).

Scores (constants in `local_scoring`):
- token: fit f mapped linearly to 0-100 between f=-15 (100) and f=-65 (0); a substituted
  token keeps half of that; an omitted token scores 0. A matched token below 60 is reported
  as a mispronunciation, a substituted one always is.
- word: mean of its tokens; error "omission" when all its tokens were omitted,
  "mispronunciation" when any token has an error, else "none".
- accuracy: mean score of the tokens that were not omitted.
- completeness: 100 x tokens recognised without error (matched, score >= 60) / scorable tokens.
- fluency: 100 x time on matched words / (time on matched words + time on unrecognised
  speech + the part of each pause between words beyond 0.3 s).
- pronunciation: 0.6 x the weakest of accuracy, fluency and completeness + 0.2 x each of
  the other two.

Decoders are slow to load (~0.4 s, ~90 MB each with the language model) and not thread-safe:
a small pool is created lazily and each request borrows one decoder for all its passes.
"""

from __future__ import annotations

import math
import queue
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from django.utils.translation import gettext_lazy as _
from pocketsphinx import Decoder, FsgModel, get_model_path

from scoring.providers.base import (
    AudioQualityError,
    PcmAudio,
    ReferenceTextError,
    ScoringResult,
    SpeechProvider,
    SpeechProviderAPIError,
    SpeechProviderError,
    SpeechProviderTimeoutError,
)
from scoring.providers.local_scoring import (
    ReferenceToken,
    Segment,
    combine,
    heard_speech,
    plan_tokens,
    score_tokens,
)
from scoring.text import split_reference

PHONES = ("AA AE AH AO AW AY B CH D DH EH ER EY F G HH IH IY JH K L M N NG OW OY P R S SH T TH "
          "UH UW V W Y Z ZH").split()
GARBAGE_PREFIX = "+"  # dictionary words "+aa", "+ae", ... each one phone long
P_WORD = 0.9
P_SKIP = 0.01
P_GIVE_UP = 0.01
P_GARBAGE = 0.1
# A recognition path with a stretch of unrecognised speech this long gets the language-model pass.
TRANSCRIBE_FROM_FRAMES = 15
TRANSCRIBE_BEAMS = {"beam": 1e-40, "pbeam": 1e-40, "wbeam": 1e-25, "maxhmmpf": 10000}
LOG_BASE = 1.0001  # pocketsphinx's logmath base, in which segment scores are reported
FILLERS = {"<s>", "</s>", "<sil>"}


class _Engine:
    """One PocketSphinx decoder and the three passes we run on it."""

    def __init__(self) -> None:
        # topn=2 (Gaussians per codebook) scores frames ~15% faster than the default 4 with the
        # same calibration results; bestpath/fwdflat would only add passes we do not use.
        self.decoder = Decoder(loglevel="FATAL", lm=None, bestpath=False, fwdflat=False, topn=2)
        # The model's feat.params turns on noise removal, whose noise estimate carries over from
        # one utterance to the next: a score would depend on the previous request's audio.
        self.decoder.config["remove_noise"] = False
        self.decoder.reinit_feat()
        for i, phone in enumerate(PHONES):
            self.decoder.add_word(GARBAGE_PREFIX + phone.lower(), phone, i == len(PHONES) - 1)
        self.logmath = self.decoder.get_logmath()
        self.lw = self.decoder.config["lw"]
        self._add_language_model()

    def _add_language_model(self) -> None:
        # Searches read their beams when created: narrower ones for this search only, which
        # roughly halves its cost while naming the words it is used for well enough.
        config = self.decoder.config
        saved = {key: config[key] for key in TRANSCRIBE_BEAMS}
        for key, value in TRANSCRIBE_BEAMS.items():
            config[key] = value
        try:
            self.decoder.add_lm_file("language-model", get_model_path("en-us/en-us.lm.bin"))
        finally:
            for key, value in saved.items():
                config[key] = value

    def phones(self, token: str) -> list[str] | None:
        pronunciation = self.decoder.lookup_word(token)
        return pronunciation.split() if pronunciation else None

    def _decode(self, pcm: bytes) -> bool:
        self.decoder.start_utt()
        self.decoder.process_raw(pcm, full_utt=True)
        self.decoder.end_utt()
        return self.decoder.hyp() is not None

    def _segments(self) -> list[Segment]:
        segments = []
        for seg in self.decoder.seg():
            word = re.sub(r"\(\d+\)$", "", seg.word)
            if word == "(NULL)" or seg.end_frame < seg.start_frame:
                continue
            if word.startswith(GARBAGE_PREFIX):
                kind = "garbage"
            elif word in FILLERS or word.startswith("["):
                kind = "pause"
            else:
                kind = "word"
            frames = seg.end_frame - seg.start_frame + 1
            fit = math.log(seg.ascore) / math.log(LOG_BASE) / frames if seg.ascore > 0 else -1e6
            segments.append(Segment(kind, word, seg.start_frame, seg.end_frame, fit))
        return segments

    def _logp(self, probability: float) -> int:
        # FsgModel takes language-weighted log probabilities (create_fsg would not weight them).
        return int(self.logmath.log(probability) * self.lw)

    def recognise(self, tokens: list[str], pcm: bytes) -> list[Segment]:
        n = len(tokens)
        fsg = FsgModel("reference", self.logmath, self.lw, n + 1)
        fsg.set_start_state(0)
        fsg.set_final_state(n)
        garbage = [fsg.word_add(GARBAGE_PREFIX + p.lower()) for p in PHONES]
        garbage_logp = self._logp(P_GARBAGE / len(PHONES))
        for i, token in enumerate(tokens):
            fsg.trans_add(i, i + 1, self._logp(P_WORD), fsg.word_add(token))
            fsg.null_trans_add(i, i + 1, self._logp(P_SKIP))
            if i < n - 1:
                fsg.null_trans_add(i, n, self._logp(P_GIVE_UP))
        for state in range(n + 1):
            for wid in garbage:
                fsg.trans_add(state, state, garbage_logp, wid)
        # Adding under the same name replaces (and frees) the previous request's grammar.
        self.decoder.add_fsg("reference", fsg)
        self.decoder.activate_search("reference")
        return self._segments() if self._decode(pcm) else []

    def align(self, tokens: list[str], pcm: bytes) -> list[Segment] | None:
        """Token segments of a forced alignment, or None when the audio cannot be aligned."""
        self.decoder.set_align_text(" ".join(tokens))
        if not self._decode(pcm):
            return None
        words = [seg for seg in self._segments() if seg.kind == "word"]
        # A partial alignment is no alignment.
        return words if [seg.word for seg in words] == tokens else None

    def transcribe(self, pcm: bytes) -> list[Segment]:
        self.decoder.activate_search("language-model")
        return self._segments() if self._decode(pcm) else []


class _EnginePool:
    """At most `size` engines, created on first need; a request borrows one for its passes."""

    def __init__(self, size: int, factory: Callable[[], _Engine] = _Engine):
        self._size = max(1, size)
        self._factory = factory
        self._idle: queue.LifoQueue[_Engine] = queue.LifoQueue()
        self._created = 0
        self._lock = threading.Lock()

    @contextmanager
    def borrow(self, timeout: float) -> Iterator[_Engine]:
        engine = self._take(timeout)
        try:
            yield engine
        except SpeechProviderError:
            # Our own refusals (no speech, unscorable text) leave the decoder between utterances.
            self._idle.put(engine)
            raise
        except BaseException:
            # A decoder interrupted mid-utterance may be unusable: drop it, a fresh one replaces it.
            with self._lock:
                self._created -= 1
            raise
        self._idle.put(engine)

    def _take(self, timeout: float) -> _Engine:
        try:
            return self._idle.get_nowait()
        except queue.Empty:
            pass
        with self._lock:
            create = self._created < self._size
            if create:
                self._created += 1
        if create:
            try:
                return self._factory()
            except Exception as exc:
                with self._lock:
                    self._created -= 1
                raise SpeechProviderAPIError(f"The local speech engine could not start: {exc}") from exc
        try:
            return self._idle.get(timeout=timeout)
        except queue.Empty:
            raise SpeechProviderTimeoutError("Every local speech engine stayed busy.") from None


class LocalSpeechProvider(SpeechProvider):
    name = "local"

    def __init__(self, *, pool_size: int = 2, wait_timeout: float = 10.0):
        self._pool = _EnginePool(pool_size)
        self._wait_timeout = wait_timeout

    def supports_language(self, language: str) -> bool:
        return language.lower() == "en-us"

    def transcribe_and_score(self, audio: PcmAudio, reference_text: str, language: str = "en-US") -> ScoringResult:
        try:
            return self._score(audio, reference_text)
        except RuntimeError as exc:  # PocketSphinx reports decoder failures as RuntimeError
            raise SpeechProviderAPIError(f"The local speech engine failed: {exc}") from exc

    def _score(self, audio: PcmAudio, reference_text: str) -> ScoringResult:
        words = split_reference(reference_text)
        with self._pool.borrow(self._wait_timeout) as engine:
            reference: list[ReferenceToken] = []
            phone_counts: list[int] = []
            for w, word in enumerate(words):
                for token in word.tokens:
                    phones = engine.phones(token)
                    reference.append(ReferenceToken(w, token, phones is not None))
                    if phones is not None:
                        phone_counts.append(len(phones))
            tokens = [ref.token for ref in reference if ref.scorable]
            if not tokens:
                raise ReferenceTextError(_("None of the reference words is in the pronunciation dictionary."))

            path = engine.recognise(tokens, audio.samples)
            if not heard_speech(path):
                raise AudioQualityError(_("No speech was recognised in the recording."), reason="no_speech")
            plan = plan_tokens(tokens, phone_counts, path)
            aligned_fit = self._aligned_fit(engine, tokens, plan.attempted, plan.matched, audio.samples)
            transcript = None
            if any(end - start + 1 >= TRANSCRIBE_FROM_FRAMES for start, end in plan.garbage_runs):
                transcript = engine.transcribe(audio.samples)

        return combine(
            displays=[word.display for word in words],
            reference=reference,
            plan=plan,
            token_scores=score_tokens(plan, aligned_fit),
            path=path,
            transcript=transcript,
            provider_name=self.name,
        )

    @staticmethod
    def _aligned_fit(engine: _Engine, tokens: list[str], attempted: list[int], matched: list[int],
                     pcm: bytes) -> list[float | None]:
        """Alignment fit per token: of every attempted token, else of the matched ones only.

        Aligning a token that was never said fails outright (the aligner must place every
        token), so omitted tokens are left out, and substituted ones too when that fails.
        """
        fits: list[float | None] = [None] * len(tokens)
        for subset in (attempted, matched):
            if not subset:
                continue
            segments = engine.align([tokens[i] for i in subset], pcm)
            if segments is not None:
                for i, seg in zip(subset, segments, strict=True):
                    fits[i] = seg.fit
                return fits
            if subset == matched:
                break
        return fits
