"""Offline pronunciation scoring with PocketSphinx and its bundled US-English models.

Nothing is downloaded: the acoustic model, the CMU pronouncing dictionary and the language
model ship inside the `pocketsphinx` package. Method, per recording:

0. Audio. Silence before the first and after the last speech a voice-activity detector finds
   is cut to 0.5 s (`scoring.audio.spoken_part`): every pass below decodes all it is given.
   A noise floor of +-1 LSB is added (`with_noise_floor`): near-digital silence, as in
   synthetic speech or after a noise gate, otherwise swallows the word before it.
1. Reference. The sentence is split into written words and spoken tokens
   (`scoring.text`: numbers spelled out, punctuation dropped). Tokens missing from the
   dictionary are left unscored (their word gets `score: null`); a sentence with no known
   token cannot be scored.
2. Recognition pass (what was said). A finite-state grammar built from the reference: from
   each position the next reference word (p=0.9) or one of its accent variants (p=0.09:
   `scoring.pronunciations`, e.g. "water" without its R, British "of" /ɒv/; the alignment of
   step 3 still measures the dictionary's pronunciation), skipping it (0.01), giving up on the
   rest of the sentence (0.01), or a loop over the 39 phones (0.1 in all) that absorbs anything
   else the learner said. This is much cheaper than decoding with the full language model
   and biased towards the reference, as pronunciation assessment should be. The path is
   placed on the reference (`local_scoring.plan_tokens`): each token is *matched*,
   *substituted* (something else was said in its place) or *omitted*; long unexplained
   speech between matched words is an *insertion*. A word of three phones or more that the
   grammar matched with a fit 35 below the reading's typical matched word (FORCED_MATCH_GAP)
   was forced onto the reference by the bias: it is substituted too.
   A path without any reference word whose phone-loop segments fit better than speech
   does (steady noise is matched smoothly by the phone loop) is no speech: 422.
   Off-task speech is refused too (`local_scoring.off_task`, 422 `off_task`): fewer than 40 %
   of the reference tokens recognised, at least half of the speech time (and 1 s) on the phone
   loop, and fewer than 30 % of the words that step 5, then run over the whole recording,
   heard in the reference.
3. Forced alignment (how well it was said) of all tokens (wide beams), else of those that were
   attempted: a word the recognition pass missed still takes its time, so a neighbour said
   differently cannot spread over it. Each token's fit is its acoustic score per frame,
   relative to the best-scoring senone of each frame (which makes it largely independent of
   loudness and microphone), taken from the alignment (the better of its word segment's and
   its phones') and, for matched tokens, also from the recognition pass (the better of the
   two). A second pass over the same alignment (`Decoder.set_alignment`) places each phone,
   with its own fit.
4. Phonemes heard as others, only when some aligned phone fits worse than PHONE_SUSPECT_FIT and
   PHONE_SUSPECT_GAP worse than the reading's median phone (an accent lowers them all):
   a free phone loop over each weak phone (0.15 s either side, decoded as in step 5) says which
   phone it hears there; where one other phone of the same kind (vowel for vowel, consonant for
   consonant, nasal for nasal) covers at least half of it, that is a candidate. Candidates are then confirmed
   with the same (context-dependent) models: a grammar reads the aligned tokens in
   order, each candidate's token also with that one phone replaced (P_VARIANT, a strong bias
   to the dictionary's pronunciation). A variant that wins is a substitution: the phoneme's
   `heard` names it ("TH" heard as "S"). The loop's own phones disagree with the dictionary too
   often on correct speech to be reported unconfirmed.
5. Only when some stretch was not recognised: a pass with the full language model to name
   the words heard there (for `recognized_text` and insertions), over each such stretch (0.3 s
   either side, normalised by the whole recording's cepstral mean): most of this pass's cost
   saved when one word was said differently. Over the whole recording when it may be off-task
   (step 2).

Scores (constants in `local_scoring`):
- token: fit f mapped linearly to 0-100 between f=-15 (100) and f=-65 (0); a substituted
  token keeps half of that; an omitted token scores 0. A matched token of three phones or more
  below 60 and 25 below the median of the reading's matched tokens (from three of them) is
  reported as a mispronunciation, a substituted one always is, and so is a token with a phone
  heard as another (its score is then at most the mean of its phonemes'). Tokens of one or two
  phones (the, a, of) are flagged only when omitted or substituted (FLAGGED_FROM_PHONES), and one
  fitting worse than the median matched token scores its fit weighed with that median as if the
  median held three phones (SHORT_WORD_PRIOR_PHONES): a reduced "of" fitting at 0 is not sunk to 0.
- phoneme: its aligned fit on the same scale; a substituted phoneme keeps half; the phonemes
  of a token without alignment (omitted) score 0 with error "omission".
- word: mean of its tokens; error "omission" when all its tokens were omitted,
  "mispronunciation" when any token has an error, else "none".
- accuracy: mean score of all scorable tokens weighted by their phones, omitted ones counting 0.
- completeness: 100 x tokens without error (matched and not flagged as above) / scorable tokens.
- fluency: 100 x time on matched words / (time on matched words + time on unrecognised
  speech + the part of each pause between words beyond 0.3 s + the time the omitted tokens
  would have taken at the speaker's pace, frames per phone of the matched tokens): measured
  over the whole reference, so reading one word of ten is not fluent.
- pronunciation: (0.6 x the weakest of accuracy, fluency and completeness + 0.2 x each of
  the other two) x s^1.5, s the share of tokens said as the reference has them (not omitted,
  not heard as another word, no phone heard as another). One wrong word of ten thus costs
  ~20-25 points (98 -> 76 on the test clips; "think" read "sink" 98 -> 72), a weak fit
  (accent, noise) only its share of accuracy.

Known limits (bench/scoring_quality.py, clean synthetic set): espeak-ng's German and Spanish voices
reading English are mostly not recognised at all (a quarter of their right readings refused as
off-task), espeak-ng's English voices score ~73-90 against ~97 for flite and festival voices (its
Caribbean voice 54), and 0-10 % of their correct words are flagged (the Caribbean voice's 20 %):
this engine still takes some of an accent for mispronunciation. Off-task speech is refused as such
in ~16 % of the set's cases, and scores <= 30 in nearly all the others. Vowel substitutions are
confirmed on correct synthetic readings now and then ("book" UH heard as AH).

Decoders are slow to load (~0.4 s, ~105 MB RSS each with the language model, beside ~150 MB
for the Django process) and not thread-safe: a small pool is created lazily and each request
borrows one decoder for all its passes. The variants of step 4 are added to the decoder's
dictionary, named by their phones, so it only grows by the distinct one-phone variants ever
confirmed or tried (a few bytes each), and by the accent variants of each reference word it has
scored (at most a few per word of the content).
"""

from __future__ import annotations

import math
import operator
import queue
import random
import re
import threading
from array import array
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace

from django.utils.translation import gettext_lazy as _
from pocketsphinx import Decoder, FsgModel, get_model_path

from scoring.audio import spoken_part
from scoring.phonemes import ARPABET_IPA
from scoring.pronunciations import accepted_variants
from scoring.providers.base import (
    AudioQualityError,
    OffTaskSpeechError,
    PcmAudio,
    ReferenceTextError,
    ScoringResult,
    SpeechProvider,
    SpeechProviderAPIError,
    SpeechProviderError,
    SpeechProviderTimeoutError,
)
from scoring.providers.local_scoring import (
    Alignment,
    PhoneSegment,
    ReferenceToken,
    Segment,
    apply_phoneme_errors,
    combine,
    heard_speech,
    may_be_off_task,
    off_task,
    plan_tokens,
    score_phonemes,
    score_tokens,
    substitution_candidates,
    suspect_phones,
)
from scoring.text import split_reference

PHONES = list(ARPABET_IPA)  # the dictionary's 39 phones
GARBAGE_PREFIX = "+"  # dictionary words "+aa", "+ae", ... each one phone long
P_WORD = 0.9
P_SKIP = 0.01
P_GIVE_UP = 0.01
P_GARBAGE = 0.1
# A tenth of a dictionary pronunciation's: at 0.9, unrelated speech got words "matched" by the short
# variants (a reduced "order", AO D AH, over part of "mountains") and was no longer told off-task.
P_ACCENT = 0.09
# A recognition path with a stretch of unrecognised speech this long gets the language-model pass.
TRANSCRIBE_FROM_FRAMES = 15
# Each such stretch is decoded with this much of the recording either side (the language model
# needs a word's context, the features a few frames' window).
TRANSCRIBE_MARGIN_FRAMES = 30
BYTES_PER_FRAME = 320  # 10 ms of 16 kHz 16-bit mono
# The phone loop runs over each weakly fitting phone with this much either side.
PHONE_LOOP_MARGIN_FRAMES = 15
# The language-model pass is the widest search: these beams and at most 2 000 HMMs a frame halve its cost
# against 1e-40 and 10 000 (the evaluation set's results did not move); at 1e-20 it began to lose the word
# said in place of a reference word.
TRANSCRIBE_BEAMS = {"beam": 1e-30, "pbeam": 1e-30, "wbeam": 1e-12, "maxhmmpf": 2000}
# Forced alignment follows one chain of words, so wide beams cost little; the decoder's default ones
# (1e-48) lost the only path through a word read differently, and the alignment failed.
ALIGN_BEAMS = {"beam": 1e-80, "pbeam": 1e-80, "wbeam": 1e-80, "maxhmmpf": -1}
# The free phone loop over the weak phones: 1e-30 instead of the default 1e-48 saves a fifth of its time with
# the same phones heard on the evaluation set; at 1e-10 it heard almost none.
PHONE_LOOP_BEAMS = {"beam": 1e-30, "pbeam": 1e-30, "wbeam": 1e-20}
LOG_BASE = 1.0001  # pocketsphinx's logmath base, in which segment scores are reported
FILLERS = {"<s>", "</s>", "<sil>"}
# Dictionary words for pronunciations with one phone replaced, tried against the reference's.
VARIANT_PREFIX = "~"
# Dictionary words for a token's accent variants ("=water" W AO T AH), which the recognition pass accepts as it.
ACCENT_PREFIX = "="
P_VARIANT = 0.001
# Silence before and after the speech is cut down to this (every pass decodes all it is given):
# fluency measures only the pauses between words.
SPEECH_MARGIN_SECONDS = 0.5
# A noise floor of +-1 LSB (about -96 dBFS), the same on every call so that a recording always scores
# the same: one second of it, repeated.
_DITHER = array("h", random.Random(0).choices((-1, 0, 1), k=16000))


def with_noise_floor(pcm: bytes) -> bytes:
    """`pcm` with a noise floor far below any microphone's own added.

    Near-digital silence (samples within +-1, as in the pauses of synthetic speech, after a
    noise gate or in a muted stretch) gives the decoder degenerate features: a word read right
    before such a pause was swallowed by the silence model and reported as omitted ("kitchen"
    at the end of a sentence read by espeak-ng), and the forced alignment of the whole sentence
    failed. A real recording's own noise is tens of LSB and more, which this leaves as it was.
    """
    samples = array("h", pcm)
    dither = (_DITHER * (len(samples) // len(_DITHER) + 1))[:len(samples)]
    if samples and (max(samples) == 32767 or min(samples) == -32768):  # clipped audio: keep within int16
        return array("h", [min(32767, max(-32768, a + b)) for a, b in zip(samples, dither, strict=True)]).tobytes()
    return array("h", map(operator.add, samples, dither)).tobytes()


def _phone_weighted_fit(phones: list[PhoneSegment]) -> float | None:
    """The phones' fits weighted by their frames: a token's fit as the state alignment measures it."""
    frames = sum(phone.end - phone.start + 1 for phone in phones)
    return sum(phone.fit * (phone.end - phone.start + 1) for phone in phones) / frames if frames else None


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
        self._accent: dict[str, dict[str, tuple[str, ...]]] = {}
        self.lw = self.decoder.config["lw"]
        self._add_language_model()
        loop = FsgModel("phone-loop", self.logmath, self.lw, 1)
        loop.set_start_state(0)
        loop.set_final_state(0)
        for phone in PHONES:
            loop.trans_add(0, 0, self._logp(1.0 / len(PHONES)), loop.word_add(GARBAGE_PREFIX + phone.lower()))
        with self._beams(PHONE_LOOP_BEAMS):
            self.decoder.add_fsg("phone-loop", loop)

    @contextmanager
    def _beams(self, beams: dict[str, float]) -> Iterator[None]:
        """Searches read their beams when created: these for the searches created inside, only."""
        config = self.decoder.config
        saved = {key: config[key] for key in beams}
        for key, value in beams.items():
            config[key] = value
        try:
            yield
        finally:
            for key, value in saved.items():
                config[key] = value

    def _add_language_model(self) -> None:
        with self._beams(TRANSCRIBE_BEAMS):
            self.decoder.add_lm_file("language-model", get_model_path("en-us/en-us.lm.bin"))

    def phones(self, token: str) -> list[str] | None:
        pronunciation = self.decoder.lookup_word(token)
        return pronunciation.split() if pronunciation else None

    def _accents(self, token: str) -> dict[str, tuple[str, ...]]:
        """The token's accepted accent variants (`scoring.pronunciations`): dictionary word ("=of",
        "=order(2)") -> its phones; added to the dictionary on first use.

        They are words of their own, not alternatives of the token: only the recognition grammar offers
        them, so the forced alignment still measures the dictionary's pronunciation (an alternative there
        changed the neighbours' triphones, and their fit).
        """
        variants = self._accent.get(token)
        if variants is None:
            known = []
            while pronunciation := self.decoder.lookup_word(token if not known else f"{token}({len(known) + 1})"):
                known.append(pronunciation.split())
            variants = self._accent[token] = {}
            for k, variant in enumerate(accepted_variants(token, known), start=1):
                word = ACCENT_PREFIX + token + (f"({k})" if k > 1 else "")
                self.decoder.add_word(word, " ".join(variant), False)
                variants[word] = tuple(variant)
        return variants

    def is_accent(self, token: str, phones: list[str]) -> bool:
        """Whether `phones` is an accepted accent variant of the token: no error, however clearly heard."""
        return tuple(phones) in self._accents(token).values()

    def _decode(self, pcm: bytes) -> bool:
        self.decoder.start_utt()
        self.decoder.process_raw(pcm, full_utt=True)
        self.decoder.end_utt()
        return self.decoder.hyp() is not None

    def _segments(self) -> list[Segment]:
        segments = []
        for seg in self.decoder.seg():
            word = re.sub(r"\(\d+\)$", "", seg.word).removeprefix(ACCENT_PREFIX)
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
            for word in self._accents(token):
                fsg.trans_add(i, i + 1, self._logp(P_ACCENT), fsg.word_add(word))
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

    def align(self, tokens: list[str], pcm: bytes) -> Alignment | None:
        """Token segments and phones of a forced alignment, or None when the audio cannot be aligned."""
        with self._beams(ALIGN_BEAMS):
            self.decoder.set_align_text(" ".join(tokens))
        if not self._decode(pcm):
            return None
        words = [seg for seg in self._segments() if seg.kind == "word"]
        # A partial alignment is no alignment.
        if [seg.word for seg in words] != tokens:
            return None
        return Alignment(words, self._phone_alignment(len(tokens), pcm))

    def _phone_alignment(self, n_tokens: int, pcm: bytes) -> list[list[PhoneSegment]] | None:
        """The phones of the word alignment just made: a second pass aligning HMM states."""
        self.decoder.set_alignment()
        self.decoder.start_utt()
        self.decoder.process_raw(pcm, full_utt=True)
        self.decoder.end_utt()
        alignment = self.decoder.get_alignment()
        if alignment is None:
            return None
        per_token = []
        for entry in alignment:
            name = re.sub(r"\(\d+\)$", "", entry.name)
            if name in FILLERS or name.startswith("["):
                continue
            per_token.append([PhoneSegment(phone.name, phone.start, phone.start + phone.duration - 1,
                                           phone.score / phone.duration)
                              for phone in entry if phone.duration > 0])
        return per_token if len(per_token) == n_tokens else None

    def phone_loop(self, pcm: bytes, spans: list[tuple[int, int]], cepstral_mean: str) -> list[Segment]:
        """What the free phone loop (any sequence of the 39 phones) hears in each span of frames."""
        self.decoder.activate_search("phone-loop")
        return self._decode_pieces(pcm, spans, PHONE_LOOP_MARGIN_FRAMES, cepstral_mean)

    def confirm_substitutions(self, tokens: list[str], pronunciations: list[list[str]],
                              candidates: dict[int, list[tuple[int, str]]], pcm: bytes) -> dict[int, int]:
        """Which candidate substitutions beat the dictionary's pronunciation, with the same acoustic models.

        A grammar reads the aligned tokens in order; a token with candidates may instead be
        read with one of its phones replaced (each variant P_VARIANT, the reference the rest).
        Returns token index -> index of the winning candidate.
        """
        n = len(tokens)
        fsg = FsgModel("variants", self.logmath, self.lw, n + 1)
        fsg.set_start_state(0)
        fsg.set_final_state(n)
        variant_names: dict[int, list[str]] = {}
        for i, token in enumerate(tokens):
            options = candidates.get(i, [])
            fsg.trans_add(i, i + 1, self._logp(1.0 - P_VARIANT * len(options)), fsg.word_add(token))
            for j, heard in options:
                phones = list(pronunciations[i])
                phones[j] = heard
                # Named by its phones, so the dictionary only grows by distinct pronunciations.
                name = VARIANT_PREFIX + ".".join(phones).lower()
                if self.decoder.lookup_word(name) is None:
                    self.decoder.add_word(name, " ".join(phones), False)
                variant_names.setdefault(i, []).append(name)
                fsg.trans_add(i, i + 1, self._logp(P_VARIANT), fsg.word_add(name))
        self.decoder.add_fsg("variants", fsg)
        self.decoder.activate_search("variants")
        if not self._decode(pcm):
            return {}
        # The grammar is a chain without skips: the k-th word of the path is the k-th token.
        path = [seg.word for seg in self._segments() if seg.kind == "word"]
        if len(path) != n:
            return {}
        return {k: variant_names[k].index(word) for k, word in enumerate(path) if word in variant_names.get(k, [])}

    def cepstral_mean(self) -> str:
        """The mean the last utterance's features were normalised by (over the whole of it)."""
        return self.decoder.get_cmn()

    @contextmanager
    def _cepstral_mean(self, mean: str) -> Iterator[Callable[[], None]]:
        """Utterances normalised by `mean` instead of their own: a piece of a recording by the whole's."""
        config = self.decoder.config
        normalisation = config["cmn"]
        config["cmn"] = "live"  # starts from the mean set
        self.decoder.reinit_feat()
        try:
            yield lambda: self.decoder.set_cmn(mean)
        finally:
            config["cmn"] = normalisation
            self.decoder.reinit_feat()

    def _decode_pieces(self, pcm: bytes, spans: list[tuple[int, int]], margin: int,
                       cepstral_mean: str) -> list[Segment]:
        """The active search's segments over each span of frames (`margin` either side, overlapping
        ones merged), each piece decoded on its own and normalised by the whole recording's
        `cepstral_mean` (`cepstral_mean()` after a pass over all of it): a piece's own mean, of a
        word or two, changes what is heard. Frames are the recording's."""
        last = len(pcm) // BYTES_PER_FRAME - 1
        windows: list[list[int]] = []
        for start, end in sorted(spans):
            start, end = max(0, start - margin), min(last, end + margin)
            if windows and start <= windows[-1][1] + 1:
                windows[-1][1] = max(windows[-1][1], end)
            else:
                windows.append([start, end])
        if windows == [[0, last]]:  # the whole recording, normalised by its own mean as every other pass
            return self._segments() if self._decode(pcm) else []
        heard: list[Segment] = []
        with self._cepstral_mean(cepstral_mean) as reset_mean:
            for start, end in windows:
                reset_mean()  # each utterance moves it
                if self._decode(pcm[start * BYTES_PER_FRAME:(end + 1) * BYTES_PER_FRAME]):
                    heard.extend(replace(seg, start=seg.start + start, end=seg.end + start)
                                 for seg in self._segments())
        return heard

    def transcribe(self, pcm: bytes, spans: list[tuple[int, int]], cepstral_mean: str) -> list[Segment]:
        """The words the language model hears in each span of frames (see `_decode_pieces`).

        Only the stretches the recognition pass could not explain need naming: decoding those
        rather than the whole recording is most of this pass's cost saved when one word of a
        sentence was said differently.
        """
        self.decoder.activate_search("language-model")
        return self._decode_pieces(pcm, spans, TRANSCRIBE_MARGIN_FRAMES, cepstral_mean)


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
            dictionary_phones: list[list[str]] = []
            for w, word in enumerate(words):
                for token in word.tokens:
                    phones = engine.phones(token)
                    reference.append(ReferenceToken(w, token, phones is not None))
                    if phones is not None:
                        dictionary_phones.append(phones)
            phone_counts = [len(phones) for phones in dictionary_phones]
            tokens = [ref.token for ref in reference if ref.scorable]
            if not tokens:
                raise ReferenceTextError(_("None of the reference words is in the pronunciation dictionary."))

            samples = with_noise_floor(spoken_part(audio, SPEECH_MARGIN_SECONDS).samples)
            path = engine.recognise(tokens, samples)
            cepstral_mean = engine.cepstral_mean()
            if not heard_speech(path):
                raise AudioQualityError(_("No speech was recognised in the recording."), reason="no_speech")
            plan = plan_tokens(tokens, phone_counts, path)
            transcript = None
            if any(end - start + 1 >= TRANSCRIBE_FROM_FRAMES for start, end in plan.garbage_runs):
                whole = [(0, len(samples) // BYTES_PER_FRAME - 1)]
                spans = whole if may_be_off_task(tokens, plan, path) else plan.garbage_runs
                transcript = engine.transcribe(samples, spans, cepstral_mean)
            if off_task(tokens, plan, path, transcript):
                raise OffTaskSpeechError(_("The speech does not match the sentence. Read the sentence shown."))
            aligned_fit, aligned_phones = self._aligned(engine, tokens, plan.attempted, plan.matched, samples)
            substitutions = self._substitutions(engine, tokens, aligned_phones, samples, cepstral_mean)

        token_phonemes = score_phonemes(plan, dictionary_phones, aligned_phones, substitutions)
        return combine(
            displays=[word.display for word in words],
            reference=reference,
            plan=plan,
            token_scores=apply_phoneme_errors(score_tokens(plan, aligned_fit), token_phonemes),
            path=path,
            transcript=transcript,
            provider_name=self.name,
            token_phonemes=token_phonemes,
        )

    @staticmethod
    def _substitutions(engine: _Engine, tokens: list[str], aligned_phones: list[list[PhoneSegment] | None],
                       pcm: bytes, cepstral_mean: str) -> dict[int, tuple[int, str]]:
        """Token index -> (phone index, phone heard) for the phones clearly heard as another one.

        The phone loop runs only over the aligned phones that fit weakly; its candidates are then
        confirmed (or not) by one grammar pass over the aligned tokens.
        """
        weak = [(aligned_phones[i][j].start, aligned_phones[i][j].end) for i, j in suspect_phones(aligned_phones)]
        if not weak:
            return {}
        candidates = substitution_candidates(aligned_phones, engine.phone_loop(pcm, weak, cepstral_mean))
        # "water" with its ER heard as AH is the British "water", not a mispronunciation.
        for i, options in list(candidates.items()):
            spoken = [phone.phone for phone in aligned_phones[i]]
            options[:] = [(j, heard) for j, heard in options
                          if not engine.is_accent(tokens[i], [*spoken[:j], heard, *spoken[j + 1:]])]
            if not options:
                del candidates[i]
        if not candidates:
            return {}
        aligned = [i for i, phones in enumerate(aligned_phones) if phones]
        position = {i: k for k, i in enumerate(aligned)}
        won = engine.confirm_substitutions(
            [tokens[i] for i in aligned], [[p.phone for p in aligned_phones[i]] for i in aligned],
            {position[i]: options for i, options in candidates.items()}, pcm)
        return {aligned[k]: candidates[aligned[k]][c] for k, c in won.items()}

    @staticmethod
    def _aligned(engine: _Engine, tokens: list[str], attempted: list[int], matched: list[int],
                 pcm: bytes) -> tuple[list[float | None], list[list[PhoneSegment] | None]]:
        """Alignment fit and phones per token: of all tokens, else of the attempted ones, else of the matched.

        All tokens first: a word the recognition pass missed ("of" in "a cup of water") still
        takes its time, so a neighbour read differently cannot spread over it and fit well
        ("coffee" over "of wa-"). Aligning a token that was never said mostly fails outright
        (the aligner must place every token); then the omitted tokens are left out, and the
        substituted ones too when that fails. A token's fit is the better of its word segment's
        and its phones' (weighted by their frames): a short word's segment score is unreliable.
        """
        fits: list[float | None] = [None] * len(tokens)
        phones: list[list[PhoneSegment] | None] = [None] * len(tokens)
        subsets: list[list[int]] = []  # each distinct one once: an alignment that failed fails again
        for subset in (list(range(len(tokens))), attempted, matched):
            if subset and subset not in subsets:
                subsets.append(subset)
        for subset in subsets:
            alignment = engine.align([tokens[i] for i in subset], pcm)
            if alignment is not None:
                for k, (i, seg) in enumerate(zip(subset, alignment.words, strict=True)):
                    fits[i] = seg.fit
                    if alignment.phones is not None:
                        phones[i] = alignment.phones[k]
                        fits[i] = max(seg.fit, _phone_weighted_fit(alignment.phones[k]) or seg.fit)
                return fits, phones
        return fits, phones
