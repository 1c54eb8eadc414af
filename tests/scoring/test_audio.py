"""Decoding uploads to 16 kHz mono PCM, and the audio quality checks."""

import math

import pytest

from scoring.audio import AudioDecodeError, check_quality, decode_audio, spoken_part
from scoring.providers.base import AudioQualityError, PcmAudio
from tests.scoring.helpers import clip, pcm_of, silence, wav_bytes


@pytest.mark.parametrize("name", ["right.wav", "right.mp3", "right.m4a"])
def test_every_format_decodes_to_the_same_length_of_16k_mono(name):
    audio = decode_audio(clip(name), max_seconds=30)

    assert audio.sample_rate == 16000
    assert len(audio.samples) % 2 == 0
    assert audio.duration == pytest.approx(len(pcm_of("right.wav")) / 32000, abs=0.15)


def test_stereo_44k_is_downmixed_and_resampled():
    pcm = pcm_of("right.wav")
    stereo = b"".join(pcm[i:i + 2] * 2 for i in range(0, len(pcm), 2))  # each sample on both channels
    audio = decode_audio(wav_bytes(stereo, rate=16000, channels=2), max_seconds=30)

    assert audio.duration == pytest.approx(len(pcm) / 32000, abs=0.05)


def test_decoding_stops_past_the_limit():
    with pytest.raises(AudioQualityError) as raised:
        decode_audio(wav_bytes(silence(5)), max_seconds=4)

    assert raised.value.reason == "too_long"


@pytest.mark.parametrize("data", [b"", b"plain text " * 100, b"RIFF\x00\x00\x00\x00WAVE" + b"\x01" * 10])
def test_what_is_not_audio_does_not_decode(data):
    with pytest.raises(AudioDecodeError):
        decode_audio(data, max_seconds=30)


@pytest.mark.parametrize("name, reason", [("silence.wav", "too_quiet"), ("noise.wav", "too_noisy")])
def test_silence_and_noise_fail_the_quality_check(name, reason):
    with pytest.raises(AudioQualityError) as raised:
        check_quality(decode_audio(clip(name), max_seconds=30))

    assert raised.value.reason == reason


def test_a_fraction_of_a_second_is_too_short():
    audio = decode_audio(wav_bytes(pcm_of("right.wav")[:8000]), max_seconds=30)  # 0.25 s

    with pytest.raises(AudioQualityError) as raised:
        check_quality(audio)

    assert raised.value.reason == "too_short"


def test_whistle_bursts_are_no_speech_for_the_voice_activity_detector():
    whistle = b"".join(int(2000 * math.sin(2 * math.pi * 7500 * i / 16000)).to_bytes(2, "little", signed=True)
                       for i in range(4800))  # 0.3 s at 7.5 kHz
    audio = decode_audio(wav_bytes((whistle + silence(0.3)) * 4), max_seconds=30)

    with pytest.raises(AudioQualityError) as raised:
        check_quality(audio)

    assert raised.value.reason == "no_speech"


@pytest.mark.parametrize("name", ["right.wav", "changed.wav", "different.wav", "truncated.wav", "right.mp3"])
def test_speech_passes_the_quality_check(name):
    check_quality(decode_audio(clip(name), max_seconds=30))


def test_the_spoken_part_keeps_the_speech_and_half_a_second_either_side():
    speech = pcm_of("right.wav")
    padded = PcmAudio(silence(3) + speech + silence(20))

    part = spoken_part(padded, margin_seconds=0.5)

    assert speech[32000:-32000] in part.samples  # all of the reading (its own edges may be quiet)
    assert part.duration <= len(speech) / 32000 + 1.0 + 0.1
    assert spoken_part(PcmAudio(silence(5)), margin_seconds=0.5).duration == 5  # nothing found: all kept
