"""The arithmetic of the local engine: from decoder output to word and overall scores.

Pure functions over plain data, so every rule here is testable without audio. The method
and the formula are described in `scoring.providers.local`; the constants live here.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from scoring.phonemes import NASALS, VOWELS, ipa_of
from scoring.providers.base import ErrorType, PhonemeScore, ScoringResult, WordScore

# Per-frame acoustic fit (pocketsphinx's acoustic score units, relative to the best senone of
# each frame, so 0 is a perfect fit) mapped linearly onto 0-100 between these two values.
# Calibrated on synthetic speech: correctly read words fit between -6 and -24, replaced
# words between -33 and -90.
FIT_PERFECT = -15.0
FIT_WORTHLESS = -65.0
# A recognised word whose score falls below this is reported as mispronounced, when it also falls
# MISPRONUNCIATION_GAP below the median score of the reading's recognised words (once there are at least
# TYPICAL_FROM_WORDS of them, and when that median itself passes): an accent lowers every word's fit, a
# word said wrong lowers its own. On the evaluation set, words of right readings flagged for their fit
# alone lie 0-75 points below their reading's median, half of them within 25 (espeak's accented voices);
# matched words that were really replaced, 27-93. A reading whose typical word does not pass is in doubt as
# a whole (most unrelated sentences: their few "recognised" words are forced matches), so every low word
# of it counts.
MISPRONUNCIATION_BELOW = 60.0
MISPRONUNCIATION_GAP = 25.0
TYPICAL_FROM_WORDS = 3
# Words of fewer phones than this (the, a, of, to, in, is, I) are never mispronounced for their fit or for a
# phone heard as another, only when omitted or heard as another word: in connected speech they are reduced
# (a weak form is the right one), and a fit over the few frames they take says little. On the evaluation
# set they were 26 of the 65 flags on right readings and none of the words really replaced.
FLAGGED_FROM_PHONES = 3
# A short word that fits worse than the reading's typical word scores its fit weighed with the typical
# word's as if that held this many phones: over its few frames the fit is weak evidence (a reduced "of"
# can fit at 0 in a reading scoring 80), and its raw score would mark it the worst word of the reading
# though it is not flagged. One that fits better keeps its fit.
SHORT_WORD_PRIOR_PHONES = 3
# A matched word fitting this far below the reading's typical matched word in the recognition pass was forced
# onto the reference by the grammar (see plan_tokens). On the evaluation set, words of right readings lie at
# most 31 below it, words really replaced but matched 17-58.
FORCED_MATCH_GAP = 35.0
# A word the recogniser heard as something else keeps at most this share of its fit.
SUBSTITUTION_FACTOR = 0.5
# Pauses between words up to this long are natural; longer ones count against fluency.
PAUSE_ALLOWANCE_FRAMES = 30
# Unexplained speech at least this long between recognised words is reported as an insertion.
MIN_INSERTION_FRAMES = 25
# Short pauses inside a stretch of unrecognised speech do not split it.
MAX_GAP_IN_RUN_FRAMES = 20
# Speech needs this much (frames) recognised as words or phones; and when no reference word was
# recognised, phone-loop segments fitting better than this per frame are noise, not speech
# (calibration: noise -11 to -19, unrecognised speech -30 to -47).
MIN_SPEECH_FRAMES = 30
NOISE_FIT_ABOVE = -25.0
# Off-task speech (another sentence, another language): fewer than this share of the reference
# tokens recognised, at least this share of the speech time unrecognised and at least
# OFF_TASK_MIN_FRAMES of it, and (the language-model pass then runs over the whole recording)
# fewer than this share of the words it heard in the reference. Calibration (synthetic voices):
# correct and one-word-wrong readings recognise >= 80 % of tokens with <= 25 % of the time
# unrecognised; unrelated sentences and German speech <= 30 % with >= 59 %.
OFF_TASK_MATCHED_BELOW = 0.4
OFF_TASK_UNRECOGNISED_FROM = 0.5
OFF_TASK_MIN_FRAMES = 100
OFF_TASK_SHARED_BELOW = 0.3
# Weight of the weakest of accuracy, fluency and completeness in the pronunciation score, which is
# then scaled by the share of tokens said as the reference has them (not omitted, not heard as
# another word, no phone heard as another) to this power: one wrong word of ten costs about 15 %
# of the score on top of its own low score. A token that merely fits weakly (an accent, noise) is
# not scaled for: that is accuracy's part.
WEAKEST_WEIGHT = 0.6
COMPLETENESS_EXPONENT = 1.5
# Time an omitted token would have taken, per phone, when no token was recognised to measure the
# speaker's pace by (10 ms frames).
DEFAULT_FRAMES_PER_PHONE = 8
# A phone whose aligned fit is below this, and PHONE_SUSPECT_GAP below the median phone of the reading
# (the speaker's accent moves every phone), is checked against what the free phone loop heard there; a
# loop phone is a candidate when it covers at least this share of the phone's frames (the median only
# counts when it passes, as a word's does: MISPRONUNCIATION_GAP). On the evaluation
# set, substitutions confirmed in right readings lay -8 to 130 below their reading's median, 40 % of them
# within 15; real ones 19 to 173.
PHONE_SUSPECT_FIT = -20.0
PHONE_SUSPECT_GAP = 15.0
PHONE_LOOP_COVER = 0.5
# Only a vowel heard for a vowel, or a consonant for a consonant, is a candidate (`substitution_candidates`):
# a learner's substitutions are of that kind, a consonant heard as a vowel is mostly a misplaced boundary.
# Likewise a nasal only for a nasal (N for NG, M for N): learners do not nasalise an oral consonant or
# un-nasalise a nasal into another consonant, and V heard as M was the loop mishearing a weak V.

SegmentKind = Literal["word", "garbage", "pause"]
TokenStatus = Literal["matched", "substituted", "omitted"]


@dataclass(frozen=True)
class Segment:
    """One stretch of a decoder's best path; frames are 10 ms, `end` inclusive."""

    kind: SegmentKind
    word: str
    start: int
    end: int
    fit: float = 0.0  # acoustic score per frame

    @property
    def frames(self) -> int:
        return self.end - self.start + 1


@dataclass(frozen=True)
class PhoneSegment:
    """One phone of a forced alignment; frames are 10 ms, `end` inclusive."""

    phone: str  # ARPAbet, as in the dictionary
    start: int
    end: int
    fit: float  # acoustic score per frame, same units as Segment.fit


@dataclass(frozen=True)
class Alignment:
    """A forced alignment: one segment per token and, when the state pass worked, their phones."""

    words: list[Segment]
    phones: list[list[PhoneSegment]] | None


@dataclass
class TokenPlan:
    """What the recognition pass says about each scorable token of the reference."""

    status: list[TokenStatus]
    segment: list[Segment | None]
    phone_counts: list[int] = field(default_factory=list)
    insertions: list[tuple[int, int]] = field(default_factory=list)
    garbage_runs: list[tuple[int, int]] = field(default_factory=list)

    @property
    def attempted(self) -> list[int]:
        return [i for i, status in enumerate(self.status) if status != "omitted"]

    @property
    def matched(self) -> list[int]:
        return [i for i, status in enumerate(self.status) if status == "matched"]


def _runs(segments: list[Segment]) -> list[tuple[int, int]]:
    """Garbage segments merged into runs, bridging short pauses."""
    runs: list[tuple[int, int]] = []
    for seg in segments:
        if runs and seg.start - runs[-1][1] - 1 <= MAX_GAP_IN_RUN_FRAMES:
            runs[-1] = (runs[-1][0], seg.end)
        else:
            runs.append((seg.start, seg.end))
    return runs


def plan_tokens(tokens: list[str], phone_counts: list[int], path: list[Segment]) -> TokenPlan:
    """Place the recognition path's words on the reference tokens.

    The grammar only lets the recogniser say reference words in order, so the path's words
    are a subsequence of `tokens`; each is matched to the earliest position that fits. The
    tokens between two matched ones form a gap: the phone-loop ("garbage") segments heard
    in that gap are spent on its tokens in order, the first token counting as
    said-but-different (substituted) if there is any, each further one if at least half its
    phones are left, the others as omitted.
    Garbage in a gap with no token is an insertion when long enough.
    """
    n = len(tokens)
    status: list[TokenStatus] = ["omitted"] * n
    segment: list[Segment | None] = [None] * n
    gaps_garbage: list[list[Segment]] = [[]]
    gap_positions: list[list[int]] = [[]]
    position = 0
    for seg in path:
        if seg.kind == "garbage":
            gaps_garbage[-1].append(seg)
        elif seg.kind == "word":
            found = next((i for i in range(position, n) if tokens[i] == seg.word), None)
            if found is None:  # cannot happen with our grammar; stay safe and ignore it
                continue
            gap_positions[-1].extend(range(position, found))
            status[found] = "matched"
            segment[found] = seg
            position = found + 1
            gaps_garbage.append([])
            gap_positions.append([])
    gap_positions[-1].extend(range(position, n))

    plan = TokenPlan(status=status, segment=segment, phone_counts=list(phone_counts))
    for garbage, positions in zip(gaps_garbage, gap_positions, strict=True):
        runs = _runs(garbage)
        plan.garbage_runs.extend(runs)
        if not positions:
            plan.insertions.extend(run for run in runs if run[1] - run[0] + 1 >= MIN_INSERTION_FRAMES)
            continue
        # Some unrecognised speech where tokens are missing means the first of them was said
        # differently; each further token needs half its phones' worth of what is left.
        budget = float(len(garbage))
        for n_done, i in enumerate(positions):
            if budget > 0 and (n_done == 0 or budget >= phone_counts[i] / 2):
                status[i] = "substituted"
                budget -= phone_counts[i]
    _unforce_matches(plan)
    return plan


def _unforce_matches(plan: TokenPlan) -> None:
    """A matched word of FLAGGED_FROM_PHONES or more whose recognition-pass fit lies FORCED_MATCH_GAP below
    the reading's typical matched word was matched by the grammar's bias toward the reference, not by what
    was said: it is substituted, and its stretch goes to the language-model pass like other unrecognised
    speech (which names what was said there)."""
    typical = _median([plan.segment[i].fit for i in plan.matched])
    if typical is None:
        return
    for i in plan.matched:
        segment = plan.segment[i]
        if plan.phone_counts[i] >= FLAGGED_FROM_PHONES and segment.fit < typical - FORCED_MATCH_GAP:
            plan.status[i] = "substituted"
            plan.garbage_runs.append((segment.start, segment.end))
    plan.garbage_runs.sort()


def heard_speech(path: list[Segment]) -> bool:
    """Whether the recognition path holds speech rather than silence or noise."""
    if any(seg.kind == "word" for seg in path):
        return True
    garbage = [seg for seg in path if seg.kind == "garbage"]
    frames = sum(seg.frames for seg in garbage)
    if frames < MIN_SPEECH_FRAMES:
        return False
    return sum(seg.fit * seg.frames for seg in garbage) / frames <= NOISE_FIT_ABOVE


def may_be_off_task(tokens: list[str], plan: TokenPlan, path: list[Segment]) -> bool:
    """Whether the recognition path alone leaves the recording possibly off-task: then the language
    model decides, over the whole recording (otherwise it only names the unrecognised stretches)."""
    word_frames = sum(seg.frames for seg in path if seg.kind == "word")
    garbage_frames = sum(seg.frames for seg in path if seg.kind == "garbage")
    if garbage_frames < OFF_TASK_MIN_FRAMES:
        return False
    if len(plan.matched) >= OFF_TASK_MATCHED_BELOW * len(tokens):
        return False
    return garbage_frames >= OFF_TASK_UNRECOGNISED_FROM * (word_frames + garbage_frames)


def off_task(tokens: list[str], plan: TokenPlan, path: list[Segment], transcript: list[Segment] | None) -> bool:
    """Whether the recording is speech other than the reference (see the OFF_TASK_ constants).

    `transcript`: the language model's words over the whole recording (see `may_be_off_task`).
    """
    if not may_be_off_task(tokens, plan, path):
        return False
    heard = [seg.word for seg in transcript or [] if seg.kind == "word"]
    reference = set(tokens)
    return not heard or sum(word in reference for word in heard) < OFF_TASK_SHARED_BELOW * len(heard)


def fit_score(fit: float | None) -> float:
    if fit is None:
        return 0.0
    share = (fit - FIT_WORTHLESS) / (FIT_PERFECT - FIT_WORTHLESS)
    return 100.0 * min(1.0, max(0.0, share))


def _median(values: list[float]) -> float | None:
    """The median of `values` when there are TYPICAL_FROM_WORDS of them, else None."""
    return statistics.median(values) if len(values) >= TYPICAL_FROM_WORDS else None


def _passing_median(values: list[float], *, score_of: Callable[[float], float]) -> float | None:
    """The speaker's typical word or phone: `_median(values)` only when its score passes
    (MISPRONUNCIATION_BELOW); else None, and the absolute rule alone applies."""
    typical = _median(values)
    return typical if typical is not None and score_of(typical) >= MISPRONUNCIATION_BELOW else None


@dataclass(frozen=True)
class TokenScore:
    score: float
    error_type: ErrorType


def _short_word_score(score: float, phones: int, typical: float | None) -> float:
    """A short word's fit, pulled up toward the reading's typical word, passing or not (SHORT_WORD_PRIOR_PHONES);
    its own fit alone when too few words were recognised to tell a typical one."""
    if typical is None or score >= typical:
        return score
    return (phones * score + SHORT_WORD_PRIOR_PHONES * typical) / (phones + SHORT_WORD_PRIOR_PHONES)


def score_tokens(plan: TokenPlan, aligned_fit: list[float | None]) -> list[TokenScore]:
    """Each token's score: its acoustic fit, capped when it was heard as another word.

    A matched token's fit is the better of its fit in the forced alignment and in the
    recognition pass, so a neighbour's error that shifts the alignment does not count
    against it. It is mispronounced when it scores low for this speaker, too (see
    MISPRONUNCIATION_GAP).
    """
    matched = {}
    for i in plan.matched:
        fits = [f for f in (aligned_fit[i], plan.segment[i].fit) if f is not None]
        matched[i] = fit_score(max(fits))
    typical = _passing_median(list(matched.values()), score_of=lambda score: score)
    centre = _median(list(matched.values()))  # passing or not: a short word is pulled toward it either way
    scores = []
    for i, status in enumerate(plan.status):
        if status == "omitted":
            scores.append(TokenScore(0.0, "omission"))
        elif status == "substituted":
            scores.append(TokenScore(SUBSTITUTION_FACTOR * fit_score(aligned_fit[i]), "mispronunciation"))
        elif plan.phone_counts[i] < FLAGGED_FROM_PHONES:
            scores.append(TokenScore(_short_word_score(matched[i], plan.phone_counts[i], centre), "none"))
        else:
            score = matched[i]
            low = score < MISPRONUNCIATION_BELOW and (typical is None or typical - score >= MISPRONUNCIATION_GAP)
            scores.append(TokenScore(score, "mispronunciation" if low else "none"))
    return scores


def suspect_fit_below(phones: list[list[PhoneSegment] | None]) -> float:
    """The fit below which an aligned phone of this reading is suspect (see PHONE_SUSPECT_GAP)."""
    typical = _passing_median([phone.fit for token_phones in phones if token_phones for phone in token_phones],
                              score_of=fit_score)
    return PHONE_SUSPECT_FIT if typical is None else min(PHONE_SUSPECT_FIT, typical - PHONE_SUSPECT_GAP)


def suspect_phones(phones: list[list[PhoneSegment] | None]) -> list[tuple[int, int]]:
    """(token index, phone index) of the aligned phones to check against the phone loop: those fitting
    below `suspect_fit_below`, in words long enough to be flagged (FLAGGED_FROM_PHONES)."""
    below = suspect_fit_below(phones)
    return [(i, j) for i, token_phones in enumerate(phones)
            if token_phones and len(token_phones) >= FLAGGED_FROM_PHONES
            for j, phone in enumerate(token_phones) if phone.fit < below]


def substitution_candidates(phones: list[list[PhoneSegment] | None],
                            loop: list[Segment]) -> dict[int, list[tuple[int, str]]]:
    """The suspect phones (`suspect_phones`) over which the free phone loop heard mostly one other phone.

    Returns token index -> [(phone index, phone heard)]. These are only candidates: the loop's
    context-independent phones disagree with the dictionary often on correct speech, so each
    is then checked against the reference pronunciation with the same models.
    """
    heard = [seg for seg in loop if seg.kind == "garbage"]
    candidates: dict[int, list[tuple[int, str]]] = {}
    for i, j in suspect_phones(phones):
        phone = phones[i][j]
        cover: dict[str, int] = {}
        for seg in heard:
            overlap = min(seg.end, phone.end) - max(seg.start, phone.start) + 1
            if overlap > 0:
                name = seg.word.removeprefix("+").upper()
                cover[name] = cover.get(name, 0) + overlap
        if not cover:
            continue
        best = max(cover, key=cover.__getitem__)
        if (best != phone.phone and (best in VOWELS) == (phone.phone in VOWELS)
                and (best in NASALS) == (phone.phone in NASALS)
                and cover[best] >= PHONE_LOOP_COVER * (phone.end - phone.start + 1)):
            candidates.setdefault(i, []).append((j, best))
    return candidates


def score_phonemes(plan: TokenPlan, dictionary_phones: list[list[str]],
                   phones: list[list[PhoneSegment] | None],
                   substitutions: dict[int, tuple[int, str]]) -> list[list[PhonemeScore]]:
    """Each token's phonemes: scored by their aligned fit, substituted when a variant won.

    A token without aligned phones (omitted, or a substitution the aligner could not place)
    has its dictionary phones, each an omission with score 0. A substituted phone keeps
    SUBSTITUTION_FACTOR of its fit's score, as a substituted token does.
    """
    result = []
    for i, status in enumerate(plan.status):
        aligned = phones[i] if status != "omitted" else None
        if not aligned:
            result.append([PhonemeScore(p, ipa_of(p), 0.0, None, "omission") for p in dictionary_phones[i]])
            continue
        scores = []
        for j, phone in enumerate(aligned):
            score = fit_score(phone.fit)
            if i in substitutions and substitutions[i][0] == j:
                heard = substitutions[i][1]
                scores.append(PhonemeScore(phone.phone, ipa_of(phone.phone), round(SUBSTITUTION_FACTOR * score, 1),
                                           heard, "substitution"))
            else:
                scores.append(PhonemeScore(phone.phone, ipa_of(phone.phone), round(score, 1)))
        result.append(scores)
    return result


def apply_phoneme_errors(token_scores: list[TokenScore], phonemes: list[list[PhonemeScore]]) -> list[TokenScore]:
    """A token with a substituted phone is mispronounced, and scores no more than its phones' mean."""
    result = []
    for score, token_phonemes in zip(token_scores, phonemes, strict=True):
        if score.error_type != "omission" and any(p.error == "substitution" for p in token_phonemes):
            mean = sum(p.score for p in token_phonemes) / len(token_phonemes)
            score = TokenScore(min(score.score, mean), "mispronunciation")
        result.append(score)
    return result


def fluency(plan: TokenPlan, path: list[Segment]) -> float:
    """Share of the time the whole reference should take that was spent reading it fluently.

    Time on recognised words counts for it; against it count time on unrecognised speech,
    pauses longer than PAUSE_ALLOWANCE_FRAMES between the first and last recognised word, and
    the time each omitted token would have taken at the speaker's pace (frames per phone of
    the recognised tokens).
    """
    matched_i = plan.matched
    matched = [plan.segment[i] for i in matched_i]
    if not matched:
        return 0.0
    first, last = matched[0].start, matched[-1].end
    word_frames = sum(seg.frames for seg in matched)
    garbage_frames = sum(seg.frames for seg in path if seg.kind == "garbage")
    pause_frames = sum(max(0, seg.frames - PAUSE_ALLOWANCE_FRAMES) for seg in path
                       if seg.kind == "pause" and seg.start > first and seg.end < last)
    omitted_frames = 0.0
    if plan.phone_counts:
        matched_phones = sum(plan.phone_counts[i] for i in matched_i)
        pace = word_frames / matched_phones if matched_phones else DEFAULT_FRAMES_PER_PHONE
        omitted_frames = pace * sum(plan.phone_counts[i] for i, status in enumerate(plan.status)
                                    if status == "omitted")
    return 100.0 * word_frames / (word_frames + garbage_frames + pause_frames + omitted_frames)


def pronunciation(accuracy: float, fluency_score: float, completeness: float, said_share: float = 1.0) -> float:
    """The weakest of the three weighs WEAKEST_WEIGHT, the other two share the rest; the mix is
    scaled by said_share ** COMPLETENESS_EXPONENT (said_share: tokens said as the reference has them)."""
    weakest, middle, strongest = sorted((accuracy, fluency_score, completeness))
    other = (1.0 - WEAKEST_WEIGHT) / 2
    mix = WEAKEST_WEIGHT * weakest + other * middle + other * strongest
    return mix * said_share ** COMPLETENESS_EXPONENT


@dataclass(frozen=True)
class ReferenceToken:
    """A token of the reference: which written word it belongs to, and if it can be scored."""

    word_index: int
    token: str
    scorable: bool


def combine(
    *,
    displays: list[str],
    reference: list[ReferenceToken],
    plan: TokenPlan,
    token_scores: list[TokenScore],
    path: list[Segment],
    transcript: list[Segment] | None,
    provider_name: str,
    token_phonemes: list[list[PhonemeScore]] | None = None,
) -> ScoringResult:
    """Word scores for the written words, the four overall scores and the recognised text."""
    scorable_index = [i for i, ref in enumerate(reference) if ref.scorable]
    per_word: dict[int, list[TokenScore]] = {}
    phonemes_of_word: dict[int, list[PhonemeScore]] = {}
    for k, ref_i in enumerate(scorable_index):
        per_word.setdefault(reference[ref_i].word_index, []).append(token_scores[k])
        phonemes_of_word.setdefault(reference[ref_i].word_index, []).extend(
            token_phonemes[k] if token_phonemes else [])

    word_scores: list[tuple[int, WordScore]] = []
    for w, display in enumerate(displays):
        scores = per_word.get(w)
        if not scores:
            word_scores.append((_word_start(w, reference, scorable_index, plan), WordScore(display, None, "none")))
            continue
        if all(s.error_type == "omission" for s in scores):
            error: ErrorType = "omission"
        elif any(s.error_type != "none" for s in scores):
            error = "mispronunciation"
        else:
            error = "none"
        value = round(sum(s.score for s in scores) / len(scores), 1)
        word_scores.append((_word_start(w, reference, scorable_index, plan),
                            WordScore(display, value, error, phonemes_of_word.get(w, []))))

    for start, end in plan.insertions:
        heard = _words_within(transcript, start, end)
        if heard:
            word_scores.append((start, WordScore(" ".join(heard), None, "insertion")))
    # Insertions go where they were heard; reference words keep their order.
    ordered = _merge_insertions(word_scores)

    # Over every scorable token, an omitted one counting 0 (an unread part is not accurate), each by its
    # phones: accuracy is of the sounds said, and a short word's fit is the least certain.
    accuracy = (sum(s.score * phones for s, phones in zip(token_scores, plan.phone_counts, strict=True))
                / sum(plan.phone_counts))
    n_correct = sum(s.error_type == "none" for s in token_scores)
    completeness = 100.0 * n_correct / len(token_scores)
    fluency_score = fluency(plan, path)
    # Said as the reference has it: matched, and no phone of it heard as another.
    phone_heard_as_other = [any(p.error == "substitution" for p in phonemes)
                            for phonemes in token_phonemes or [[] for _ in plan.status]]
    n_wrong = sum(status != "matched" or phone_heard_as_other[k] for k, status in enumerate(plan.status))
    said_share = 1.0 - n_wrong / len(token_scores)
    return ScoringResult(
        recognized_text=_recognized_text(displays, reference, scorable_index, plan, transcript),
        pronunciation_score=round(pronunciation(accuracy, fluency_score, completeness, said_share), 1),
        accuracy_score=round(accuracy, 1),
        fluency_score=round(fluency_score, 1),
        completeness_score=round(completeness, 1),
        word_scores=ordered,
        provider_name=provider_name,
    )


def _word_start(w: int, reference: list[ReferenceToken], scorable_index: list[int], plan: TokenPlan) -> int | None:
    for k, ref_i in enumerate(scorable_index):
        if reference[ref_i].word_index == w and plan.segment[k] is not None:
            return plan.segment[k].start
    return None


def _merge_insertions(word_scores: list[tuple[int | None, WordScore]]) -> list[WordScore]:
    reference_words = [(start, ws) for start, ws in word_scores if ws.error_type != "insertion"]
    insertions = sorted((start, ws) for start, ws in word_scores if ws.error_type == "insertion")
    merged: list[WordScore] = []
    for start, ws in reference_words:
        while insertions and start is not None and insertions[0][0] < start:
            merged.append(insertions.pop(0)[1])
        merged.append(ws)
    merged.extend(ws for _, ws in insertions)
    return merged


def _words_within(transcript: list[Segment] | None, start: int, end: int) -> list[str]:
    if not transcript:
        return []
    return [seg.word for seg in transcript
            if seg.kind == "word" and start <= (seg.start + seg.end) // 2 <= end]


def _recognized_text(displays: list[str], reference: list[ReferenceToken], scorable_index: list[int],
                     plan: TokenPlan, transcript: list[Segment] | None) -> str:
    """What was heard, in time order: the recognised reference words (written as in the reference
    when all their tokens were heard), plus the transcript's words inside stretches of
    unrecognised speech."""
    pieces: list[tuple[int, str]] = []
    tokens_of_word: dict[int, list[int]] = {}
    for k, ref_i in enumerate(scorable_index):
        tokens_of_word.setdefault(reference[ref_i].word_index, []).append(k)
    for w, ks in tokens_of_word.items():
        heard = [k for k in ks if plan.status[k] == "matched"]
        if heard and len(heard) == len(ks):
            pieces.append((plan.segment[ks[0]].start, displays[w].strip("\"'")))
        else:
            pieces.extend((plan.segment[k].start, reference[scorable_index[k]].token) for k in heard)
    for start, end in plan.garbage_runs:
        pieces.extend((start, word) for word in _words_within(transcript, start, end))
    return " ".join(text for _, text in sorted(pieces, key=lambda p: p[0]))
