"""The local engine's rules on plain data, its decoder pool, threads, and the provider factory."""

import contextlib
import threading
from array import array
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from scoring.audio import decode_audio
from scoring.checks import check_speech_settings
from scoring.providers import local_scoring as rules
from scoring.providers.base import AudioQualityError, OffTaskSpeechError, PcmAudio, SpeechProviderTimeoutError
from scoring.providers.factory import get_speech_provider
from scoring.providers.local import LocalSpeechProvider, _Engine, _EnginePool, with_noise_floor
from scoring.providers.local_scoring import (
    PhoneSegment,
    ReferenceToken,
    Segment,
    TokenScore,
    heard_speech,
    off_task,
    plan_tokens,
    pronunciation,
    score_phonemes,
    substitution_candidates,
)
from tests.scoring.helpers import REFERENCE, clip, pcm_of, silence

TOKENS = ["i", "like", "green", "tea"]
PHONES = [1, 3, 4, 2]


def word(w, start, end, fit=-10.0):
    return Segment("word", w, start, end, fit)


def garbage(start, end, fit=-35.0):
    return Segment("garbage", "+ah", start, end, fit)


def pause(start, end):
    return Segment("pause", "<sil>", start, end)


# --- placing the recognition path on the reference ---------------------------------------------

def test_a_clean_path_matches_every_token():
    path = [pause(0, 9), word("i", 10, 20), word("like", 21, 40), word("green", 41, 70), word("tea", 71, 99)]

    plan = plan_tokens(TOKENS, PHONES, path)

    assert plan.status == ["matched"] * 4
    assert plan.insertions == [] and plan.garbage_runs == []


def test_speech_in_place_of_a_word_makes_it_substituted():
    path = [word("i", 10, 20), word("like", 21, 40), garbage(41, 50), garbage(51, 60), word("tea", 61, 90)]

    assert plan_tokens(TOKENS, PHONES, path).status == ["matched", "matched", "substituted", "matched"]


def test_a_word_skipped_without_other_speech_is_omitted():
    path = [word("i", 10, 20), word("like", 21, 40), pause(41, 50), word("tea", 51, 80)]

    assert plan_tokens(TOKENS, PHONES, path).status == ["matched", "matched", "omitted", "matched"]


def test_a_short_burst_covers_only_the_first_missing_word():
    path = [word("i", 10, 20), garbage(21, 30), pause(31, 60)]

    assert plan_tokens(TOKENS, PHONES, path).status == ["matched", "substituted", "omitted", "omitted"]


def test_long_extra_speech_between_words_is_an_insertion_and_a_blip_is_not():
    path = [word("i", 10, 20), garbage(21, 35), garbage(36, 50), word("like", 51, 70), garbage(71, 75),
            word("green", 76, 90), word("tea", 91, 110)]

    plan = plan_tokens(TOKENS, PHONES, path)

    assert plan.status == ["matched"] * 4
    assert plan.insertions == [(21, 50)]
    assert plan.garbage_runs == [(21, 50), (71, 75)]


def test_a_word_matched_far_worse_than_the_readings_typical_word_was_said_differently():
    # The grammar's bias put "green" on speech that fits it 40 worse than the speaker's other words.
    path = [word("i", 10, 20, fit=-30), word("like", 21, 40, fit=-25), word("green", 41, 70, fit=-68),
            word("tea", 71, 99, fit=-28)]

    plan = plan_tokens(TOKENS, PHONES, path)

    assert plan.status == ["matched", "matched", "substituted", "matched"]
    assert plan.garbage_runs == [(41, 70)]  # the language-model pass names what was said there


def test_a_weak_match_within_the_speakers_range_or_of_a_short_word_stays_matched():
    accent = [word("i", 10, 20, fit=-30), word("like", 21, 40, fit=-25), word("green", 41, 70, fit=-58),
              word("tea", 71, 99, fit=-28)]
    short = [word("i", 10, 20, fit=-80), word("like", 21, 40, fit=-25), word("green", 41, 70, fit=-20),
             word("tea", 71, 99, fit=-28)]

    assert plan_tokens(TOKENS, PHONES, accent).status == ["matched"] * 4
    assert plan_tokens(TOKENS, PHONES, short).status == ["matched"] * 4


def test_repeated_words_are_placed_in_order():
    plan = plan_tokens(["the", "cat", "saw", "the", "dog"], [2, 3, 2, 2, 3],
                       [word("the", 0, 10), word("cat", 11, 30), word("saw", 31, 50), word("the", 51, 60),
                        word("dog", 61, 80)])

    assert plan.status == ["matched"] * 5
    assert plan.segment[3].start == 51


# --- scores ------------------------------------------------------------------------------------

def test_the_weakest_of_the_three_scores_weighs_most():
    assert pronunciation(100, 100, 100) == pytest.approx(100)
    assert pronunciation(90, 100, 40) == pytest.approx(0.6 * 40 + 0.2 * 90 + 0.2 * 100)
    assert pronunciation(40, 100, 90) == pronunciation(90, 100, 40)


def test_fit_maps_linearly_onto_zero_to_a_hundred():
    assert rules.fit_score(-5) == 100
    assert rules.fit_score(rules.FIT_PERFECT) == 100
    assert rules.fit_score((rules.FIT_PERFECT + rules.FIT_WORTHLESS) / 2) == pytest.approx(50)
    assert rules.fit_score(-500) == 0
    assert rules.fit_score(None) == 0


def test_a_substituted_word_keeps_half_its_fit_and_an_omitted_one_nothing():
    path = [word("i", 10, 20), garbage(21, 30), pause(31, 60)]
    plan = plan_tokens(TOKENS, PHONES, path)

    scores = rules.score_tokens(plan, aligned_fit=[-10.0, rules.FIT_PERFECT, None, None])

    assert [(s.score, s.error_type) for s in scores] == [
        (100, "none"), (50, "mispronunciation"), (0, "omission"), (0, "omission")]


def fit_for(score):
    """The per-frame fit that `fit_score` maps onto `score`."""
    return rules.FIT_WORTHLESS + score / 100 * (rules.FIT_PERFECT - rules.FIT_WORTHLESS)


def test_an_accent_that_lowers_every_word_is_not_an_error_but_a_word_far_below_the_rest_is():
    def scores(*word_scores):
        frames = [(10, 20), (21, 40), (41, 60), (61, 80)]
        path = [word(t, a, b, fit_for(v)) for t, (a, b), v in zip(TOKENS, frames, word_scores, strict=True)]
        return rules.score_tokens(plan_tokens(TOKENS, PHONES, path), aligned_fit=[None] * 4)

    accented = scores(75, 55, 70, 50)
    one_wrong = scores(75, 55, 10, 70)
    in_doubt = scores(50, 45, 55, 40)  # no word passes: an unrelated sentence's forced matches look like this

    # "tea" (two phones) below the typical 62.5 is pulled toward it: see the next test.
    assert [round(s.score) for s in accented] == [75, 55, 70, 58]
    assert all(s.error_type == "none" for s in accented)
    assert [s.error_type for s in one_wrong] == ["none", "none", "mispronunciation", "none"]
    # Every word long enough to be flagged is ("i" and "tea" are too short: see the next test).
    assert [s.error_type for s in in_doubt] == ["none", "mispronunciation", "mispronunciation", "none"]


def test_a_word_of_one_or_two_phones_is_not_flagged_for_its_fit_only_when_not_said():
    frames = [(10, 20), (21, 40), (41, 60), (61, 80)]
    path = [word(t, a, b, fit_for(v)) for t, (a, b), v in zip(TOKENS, frames, (5, 90, 90, 0), strict=True)]
    said = rules.score_tokens(plan_tokens(TOKENS, PHONES, path), aligned_fit=[None] * 4)
    not_said = rules.score_tokens(plan_tokens(TOKENS, PHONES, path[:3]), aligned_fit=[None] * 4)

    assert [s.error_type for s in said] == ["none"] * 4
    assert not_said[3] == TokenScore(0.0, "omission")


def test_a_short_word_fitting_worse_than_the_typical_word_is_pulled_up_toward_it_by_how_few_phones_it_has():
    frames = [(10, 20), (21, 40), (41, 60), (61, 80)]

    def scores(*word_scores):
        path = [word(t, a, b, fit_for(v)) for t, (a, b), v in zip(TOKENS, frames, word_scores, strict=True)]
        return [round(s.score, 1) for s in rules.score_tokens(plan_tokens(TOKENS, PHONES, path), [None] * 4)]

    # The typical word is the median, 47.5: "i" (one phone) moves 3/4 of the way, "tea" (two) 3/5.
    assert scores(5, 90, 90, 0) == [36.9, 90, 90, 28.5]
    # Fitting better than the typical word, a short word keeps its fit; so does every longer word.
    assert scores(100, 40, 30, 95) == [100, 40, 30, 95]
    # With too few words recognised to tell a typical one, the fit alone counts.
    short_path = [word("i", 10, 20, fit_for(5)), word("like", 21, 40, fit_for(90))]
    assert [round(s.score) for s in rules.score_tokens(plan_tokens(TOKENS, PHONES, short_path), [None] * 4)][:2] == [
        5, 90]


def test_with_too_few_words_to_tell_the_speaker_by_a_low_fit_is_an_error():
    path = [word("i", 10, 20, fit_for(50)), word("like", 21, 40, fit_for(45)), garbage(41, 80)]
    plan = plan_tokens(TOKENS, PHONES, path)

    scores = rules.score_tokens(plan, aligned_fit=[None] * 4)

    assert [s.error_type for s in scores][:2] == ["none", "mispronunciation"]  # "i": one phone


def test_a_word_error_costs_more_than_its_share_of_accuracy():
    assert pronunciation(90, 90, 90, said_share=0.9) == pytest.approx(90 * 0.9 ** rules.COMPLETENESS_EXPONENT)
    assert pronunciation(90, 90, 90, said_share=0.9) < 90 - 10


def test_accuracy_and_fluency_count_the_unread_part_of_the_sentence():
    # Only "i" was said (German speech matching only "The" used to get accuracy and fluency 100).
    path = [pause(0, 9), word("i", 10, 19), pause(20, 120)]
    plan = plan_tokens(TOKENS, PHONES, path)
    scores = rules.score_tokens(plan, aligned_fit=[-10.0, None, None, None])

    result = rules.combine(displays=["I", "like", "green", "tea"],
                           reference=[ReferenceToken(i, t, True) for i, t in enumerate(TOKENS)], plan=plan,
                           token_scores=scores, path=path, transcript=None, provider_name="local")

    assert result.accuracy_score == 10  # by phones: "i" is one of the ten
    # 10 frames for its one phone: the other nine phones would have taken 90.
    assert result.fluency_score == pytest.approx(100 * 10 / (10 + 90), abs=0.1)
    assert result.completeness_score == 25
    assert result.pronunciation_score < 10


def test_off_task_speech_is_told_from_a_reading_with_mistakes():
    tokens = ["i", "would", "like", "a", "cup", "of", "tea"]
    other_sentence = [garbage(0, 99), word("a", 100, 110), garbage(111, 250)]
    one_word_wrong = [word("i", 0, 9), word("would", 10, 29), word("like", 30, 49), word("a", 50, 59),
                      garbage(60, 89), word("of", 90, 99), word("tea", 100, 130)]
    truncated = [word("i", 0, 9), word("would", 10, 29), pause(30, 300)]
    short_burst = [word("i", 0, 9), garbage(10, 60)]

    def refused(path, transcript=None):
        return off_task(tokens, plan_tokens(tokens, [1] * 7, path), path, transcript)

    assert refused(other_sentence)
    assert refused(other_sentence, transcript=[word("the", 0, 20), word("weather", 21, 60), word("is", 61, 99),
                                               word("a", 100, 110), word("storm", 111, 250)])
    assert not refused(other_sentence, transcript=[word("i", 0, 9), word("would", 10, 29), word("a", 100, 110)])
    assert not refused(one_word_wrong)
    assert not refused(truncated)
    assert not refused(short_burst)


def test_a_weak_phone_the_phone_loop_heard_as_another_is_a_candidate_in_a_word_of_three_phones_or_more():
    phones = [[PhoneSegment("TH", 10, 21, -25.0), PhoneSegment("IH", 22, 26, -6.0), PhoneSegment("NG", 27, 29, -6.0),
               PhoneSegment("K", 30, 35, -40.0)], [PhoneSegment("T", 36, 38, -40.0)], None,
              [PhoneSegment("G", 40, 44, -5.0), PhoneSegment("UH", 45, 50, -4.0), PhoneSegment("D", 51, 55, -6.0)]]
    loop = [Segment("garbage", "+s", 8, 20, -38.0), Segment("garbage", "+ih", 21, 26, -30.0),
            Segment("garbage", "+k", 30, 35, -30.0), Segment("garbage", "+d", 36, 38, -30.0)]

    # The one-phone word's "T" heard as "D" is no candidate: see FLAGGED_FROM_PHONES.
    assert substitution_candidates(phones, loop) == {0: [(0, "S")]}


def test_a_nasal_is_a_candidate_only_for_a_nasal():
    # "every" with its weak V heard as M, "thing" with its NG heard as N, "evening" with its NG heard as Y.
    phones = [[PhoneSegment("EH", 0, 9, -5.0), PhoneSegment("V", 10, 15, -45.0), PhoneSegment("R", 16, 20, -5.0),
               PhoneSegment("IY", 21, 30, -5.0)],
              [PhoneSegment("TH", 31, 35, -5.0), PhoneSegment("IH", 36, 40, -5.0), PhoneSegment("NG", 41, 50, -45.0)],
              [PhoneSegment("IY", 51, 55, -5.0), PhoneSegment("V", 56, 58, -5.0), PhoneSegment("N", 59, 61, -5.0),
               PhoneSegment("IH", 62, 65, -5.0), PhoneSegment("NG", 66, 75, -45.0)]]
    loop = [Segment("garbage", "+m", 10, 15, -30.0), Segment("garbage", "+n", 41, 50, -30.0),
            Segment("garbage", "+y", 66, 75, -30.0)]

    assert substitution_candidates(phones, loop) == {1: [(2, "N")]}


def test_a_phone_no_weaker_than_the_speakers_others_is_no_candidate():
    # The same "TH" heard as "S", from a speaker whose every phone fits about as weakly (an accent).
    phones = [[PhoneSegment("TH", 10, 21, -25.0), PhoneSegment("IH", 22, 26, -24.0), PhoneSegment("NG", 27, 29, -22.0),
               PhoneSegment("K", 30, 35, -22.0)], None,
              [PhoneSegment("G", 40, 44, -21.0), PhoneSegment("UH", 45, 50, -28.0), PhoneSegment("D", 51, 55, -23.0)]]
    loop = [Segment("garbage", "+s", 8, 20, -38.0)]

    assert rules.suspect_fit_below(phones) == pytest.approx(-23.0 - rules.PHONE_SUSPECT_GAP)
    assert substitution_candidates(phones, loop) == {}


def test_phonemes_are_scored_by_fit_and_omitted_tokens_have_theirs_at_zero():
    path = [word("i", 10, 20), word("like", 21, 40), pause(41, 60)]
    plan = plan_tokens(TOKENS, PHONES, path)
    aligned = [[PhoneSegment("AY", 10, 20, -5.0)],
               [PhoneSegment("L", 21, 26, -5.0), PhoneSegment("AY", 27, 35, -40.0), PhoneSegment("K", 36, 40, -15.0)],
               None, None]
    dictionary = [["AY"], ["L", "AY", "K"], ["G", "R", "IY", "N"], ["T", "IY"]]

    phonemes = score_phonemes(plan, dictionary, aligned, substitutions={1: (1, "EH")})

    assert [(p.phoneme, p.ipa, p.score, p.heard, p.error) for p in phonemes[1]] == [
        ("L", "l", 100, None, None), ("AY", "aɪ", 25, "EH", "substitution"), ("K", "k", 100, None, None)]
    assert [(p.phoneme, p.score, p.error) for p in phonemes[3]] == [("T", 0, "omission"), ("IY", 0, "omission")]
    scores = rules.apply_phoneme_errors([TokenScore(100, "none")] * 2 + [TokenScore(0, "omission")] * 2, phonemes)
    assert scores[0] == TokenScore(100, "none")
    assert scores[1] == TokenScore(pytest.approx(75), "mispronunciation")


def test_long_pauses_cost_fluency():
    fluent = [word("i", 0, 19), word("like", 20, 39), word("green", 40, 59), word("tea", 60, 79)]
    halting = [word("i", 0, 19), pause(20, 99), word("like", 100, 119), word("green", 120, 139), word("tea", 140, 159)]

    assert rules.fluency(plan_tokens(TOKENS, PHONES, fluent), fluent) == 100
    assert rules.fluency(plan_tokens(TOKENS, PHONES, halting), halting) == pytest.approx(100 * 80 / (80 + 50))


def test_speech_is_told_from_silence_and_noise():
    assert heard_speech([word("i", 0, 5)])
    assert heard_speech([garbage(0, 60, fit=-40)])
    assert not heard_speech([])
    assert not heard_speech([pause(0, 200), garbage(201, 210, fit=-40)])
    assert not heard_speech([garbage(0, 100, fit=-12)])


# --- the decoder pool --------------------------------------------------------------------------

class FakeEngine:
    pass


def test_the_pool_creates_engines_on_demand_up_to_its_size_and_reuses_them():
    created = []
    pool = _EnginePool(2, factory=lambda: created.append(FakeEngine()) or created[-1])

    with pool.borrow(1) as first:
        with pool.borrow(1) as second:
            assert first is not second
            with pytest.raises(SpeechProviderTimeoutError):
                with pool.borrow(0.05):
                    pass
    with pool.borrow(1) as again:
        assert again in (first, second)
    assert len(created) == 2


def test_an_engine_that_failed_mid_request_is_replaced():
    created = []
    pool = _EnginePool(1, factory=lambda: created.append(FakeEngine()) or created[-1])

    with pytest.raises(RuntimeError):
        with pool.borrow(1):
            raise RuntimeError("decoder broke")
    with pool.borrow(1) as engine:
        assert engine is created[1]


def test_the_noise_floor_lifts_digital_silence_and_leaves_real_audio_within_one_lsb():
    silent = array("h", [0, 1, -1] * 8000).tobytes()
    loud = array("h", [32767, -32768, 1200, -900] * 4000).tobytes()

    floored, kept = array("h", with_noise_floor(silent)), array("h", with_noise_floor(loud))

    assert len(floored) == 24000 and max(map(abs, floored)) <= 2 and len(set(floored)) >= 4
    assert all(abs(a - b) <= 1 for a, b in zip(kept, array("h", loud), strict=True))
    assert with_noise_floor(silent) == with_noise_floor(silent)  # the same recording, the same score


def test_an_engine_knows_a_words_accent_variants_and_no_other_pronunciation_as_one():
    engine = _Engine()

    assert engine.is_accent("water", ["W", "AO", "T", "AH"])  # British: ER heard as AH is no error
    assert engine.is_accent("of", ["AA", "V"])
    assert not engine.is_accent("water", ["W", "AO", "T", "ER"])  # the dictionary's own is no variant
    assert not engine.is_accent("water", ["W", "AO", "T", "IY"])
    assert not engine.is_accent("cat", ["K", "AH", "T"])
    # The variants are dictionary words of their own: the token's own entries are as they were.
    assert engine.decoder.lookup_word("=water") == "W AO T AH"
    assert engine.phones("water") == ["W", "AO", "T", "ER"] and engine.decoder.lookup_word("water(2)") is None


def test_a_stretch_decoded_on_its_own_is_heard_as_in_the_whole_recording():
    # The language-model and phone-loop passes decode only pieces of a recording, normalised by
    # the whole one's cepstral mean, and report the recording's frames.
    engine = _Engine()
    samples = with_noise_floor(decode_audio(clip("right.wav"), max_seconds=30).samples)
    engine.recognise(REFERENCE.lower().replace(",", "").replace(".", "").split(), samples)
    mean = engine.cepstral_mean()
    whole = [seg for seg in engine.transcribe(samples, [(0, len(samples) // 320)], mean) if seg.kind == "word"]
    like = next(seg for seg in whole if seg.word == "like")
    assert like.start > 30  # so that its piece starts inside the recording

    piece = [seg for seg in engine.transcribe(samples, [(like.start, like.end)], mean) if seg.kind == "word"]

    heard = next(seg for seg in piece if seg.start <= (like.start + like.end) // 2 <= seg.end)
    assert heard.word == "like"
    assert abs(heard.start - like.start) <= 2 and abs(heard.end - like.end) <= 2


def test_silence_before_and_after_a_reading_changes_neither_its_score_nor_its_words():
    # A learner who stops the recording late: 20 s of silence after the sentence once cost the
    # last words (scored 44, four of them "mispronounced") and six times the time.
    provider = LocalSpeechProvider(pool_size=1)
    reading = pcm_of("right.wav")
    plain = provider.transcribe_and_score(PcmAudio(reading), REFERENCE)

    padded = provider.transcribe_and_score(PcmAudio(silence(2) + reading + silence(20)), REFERENCE)

    assert [w.error_type for w in padded.word_scores] == [w.error_type for w in plain.word_scores] == ["none"] * 10
    assert padded.pronunciation_score == pytest.approx(plain.pronunciation_score, abs=2)


def test_a_score_does_not_depend_on_what_the_engine_heard_before():
    provider = LocalSpeechProvider(pool_size=1)
    changed = decode_audio(clip("changed.wav"), max_seconds=30)
    first = provider.transcribe_and_score(changed, REFERENCE)

    for name in ("different.wav", "right.mp3", "truncated.wav", "sink.wav"):
        with contextlib.suppress(OffTaskSpeechError):  # different.wav is refused, after three passes
            provider.transcribe_and_score(decode_audio(clip(name), max_seconds=30), REFERENCE)
        assert provider.transcribe_and_score(changed, REFERENCE) == first


def test_an_engine_is_kept_after_refusing_a_recording():
    created = []
    pool = _EnginePool(1, factory=lambda: created.append(FakeEngine()) or created[-1])

    with pytest.raises(AudioQualityError):
        with pool.borrow(1):
            raise AudioQualityError("No speech.", reason="no_speech")
    with pool.borrow(1) as engine:
        assert engine is created[0]
    assert len(created) == 1


def test_concurrent_requests_get_the_same_results_as_one_at_a_time():
    provider = LocalSpeechProvider(pool_size=2)
    audios = [decode_audio(clip(name), max_seconds=30) for name in ("right.wav", "changed.wav", "truncated.wav")]
    expected = [provider.transcribe_and_score(audio, REFERENCE) for audio in audios]

    with ThreadPoolExecutor(max_workers=6) as executor:
        results = list(executor.map(lambda a: provider.transcribe_and_score(a, REFERENCE), audios * 3))

    assert results == expected * 3


# --- factory and settings checks ---------------------------------------------------------------

def test_the_provider_is_created_once_per_process(settings):
    settings.SPEECH_PROVIDER = "local"
    barrier = threading.Barrier(8)

    def get():
        barrier.wait()
        return get_speech_provider()

    with ThreadPoolExecutor(max_workers=8) as executor:
        providers = list(executor.map(lambda _: get(), range(8)))

    assert all(p is providers[0] for p in providers)
    assert isinstance(providers[0], LocalSpeechProvider)


def test_an_unknown_provider_is_a_configuration_error(settings):
    settings.SPEECH_PROVIDER = "whisper"

    with pytest.raises(ImproperlyConfigured):
        get_speech_provider()


def test_startup_checks_catch_bad_scoring_settings(settings):
    settings.SPEECH_PROVIDER = "azure"
    settings.AZURE_SPEECH_KEY = ""
    settings.AZURE_SPEECH_REGION = ""
    settings.AZURE_SPEECH_ENDPOINT = ""
    settings.SPEECH_FALLBACK_PROVIDER = "google"

    assert sorted(e.id for e in check_speech_settings()) == ["scoring.E001", "scoring.E002", "scoring.E003"]
    with pytest.raises(SystemCheckError):
        call_command("check", tags=["scoring"])


def test_the_default_settings_pass_the_checks(settings):
    settings.SPEECH_PROVIDER = "local"
    settings.SPEECH_FALLBACK_PROVIDER = ""

    assert check_speech_settings() == []
