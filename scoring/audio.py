"""Turn an uploaded recording into 16 kHz mono PCM and refuse audio too poor to score.

Decoding happens in memory with PyAV (FFmpeg's decoders), so the learner's recording
never touches the disk. The format is judged by the bytes (`core.audio`),
never by the file name or the client's content type.

Quality checks, in order (each failure is an `AudioQualityError` with a `reason`):
- too_long: more than `max_seconds` of audio (decoding stops as soon as it is exceeded);
- too_short: less than MIN_AUDIO_SECONDS of audio;
- too_quiet: even the loudest frames are near digital silence;
- too_noisy: loud frames are not clearly louder than quiet ones (their gap, an estimate of the
  signal-to-noise ratio, below MIN_DYNAMIC_RANGE_DB; the message gives the measured gap) - steady
  noise passes a voice-activity detector, this does not, and speech in loud noise is refused
  rather than scored as a string of omitted words;
- no_speech: a fresh WebRTC-style voice-activity detector (pocketsphinx.Vad) finds less
  than MIN_SPEECH_SECONDS of speech.
"""

from __future__ import annotations

import io
import math
import sys
from array import array
from dataclasses import replace

import av
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from pocketsphinx import Vad

from core.audio import HEAD_BYTES, detect_audio_format
from scoring.providers.base import SAMPLE_RATE, AudioQualityError, PcmAudio

MIN_AUDIO_SECONDS = 0.3
MIN_SPEECH_SECONDS = 0.3
# 20 ms frames; the 10th percentile stands for the noise floor, the 95th for speech peaks.
ENERGY_FRAME = SAMPLE_RATE // 50
# The gap reads 3-5 dB above the speech-to-noise ratio of white noise added to speech (bench/scoring_quality.py's
# definition), on the test clips and 14 espeak-ng/flite voices: 12.6-15.1 dB at 10 dB SNR, 17.5-19.9 at
# 15 dB, 22.5-24.9 at 20 dB, 42-78 clean. 16 refuses the 10 dB readings, which scored near 0 with every word
# after the first omitted, and keeps those at 15 dB and cleaner.
MIN_DYNAMIC_RANGE_DB = 16.0
# Mean square of the loudest frames below this (about -55 dBFS) is no usable recording.
MIN_PEAK_ENERGY_DB = 35.0

# Lazy: a message is translated when the error is answered, in the request's language.
QUALITY_MESSAGES = {
    "too_long": _("The recording is longer than {max_seconds:g} seconds."),
    "too_short": _("The recording is too short to score."),
    "too_quiet": _("The recording is too quiet to score."),
    "too_noisy": _("The recording is too noisy to score: the speech is only {measured_db:.0f} dB louder than the "
                   "background (at least {needed_db:.0f} dB are needed). Try again somewhere quieter."),
    "no_speech": _("No speech was detected in the recording."),
}


class AudioDecodeError(Exception):
    """The bytes are not a WAV, MP3 or M4A recording we can decode."""


def _quality_error(reason: str, **params) -> AudioQualityError:
    return AudioQualityError(format_lazy(QUALITY_MESSAGES[reason], **params), reason=reason)


def decode_audio(data: bytes, *, max_seconds: float) -> PcmAudio:
    """Decode WAV/MP3/M4A bytes to 16 kHz mono 16-bit PCM.

    Raises AudioDecodeError for anything that is not decodable audio of those formats and
    AudioQualityError("too_long") past `max_seconds`.
    """
    if detect_audio_format(data[:HEAD_BYTES]) is None:
        raise AudioDecodeError(_("Not a WAV, MP3 or M4A file."))
    max_bytes = int(max_seconds * SAMPLE_RATE) * 2
    chunks: list[bytes] = []
    size = 0
    try:
        with av.open(io.BytesIO(data), mode="r") as container:
            stream = next((s for s in container.streams if s.type == "audio"), None)
            if stream is None:
                raise AudioDecodeError(_("The file holds no audio stream."))
            resampler = av.AudioResampler(format="s16", layout="mono", rate=SAMPLE_RATE)
            for frame in container.decode(stream):
                for out in resampler.resample(frame):
                    # The plane may be padded; mono s16 holds exactly 2 bytes per sample.
                    chunk = bytes(out.planes[0])[: out.samples * 2]
                    chunks.append(chunk)
                    size += len(chunk)
                if size > max_bytes:
                    raise _quality_error("too_long", max_seconds=max_seconds)
            for out in resampler.resample(None):
                chunk = bytes(out.planes[0])[: out.samples * 2]
                chunks.append(chunk)
                size += len(chunk)
    except (av.FFmpegError, ValueError) as exc:
        raise AudioDecodeError(_("The audio could not be decoded.")) from exc
    if size > max_bytes:
        raise _quality_error("too_long", max_seconds=max_seconds)
    if size == 0:
        raise AudioDecodeError(_("The file holds no audio."))
    return PcmAudio(samples=b"".join(chunks))


def _frame_energies_db(samples: array) -> list[float]:
    energies = []
    for start in range(0, len(samples) - ENERGY_FRAME + 1, ENERGY_FRAME):
        frame = samples[start:start + ENERGY_FRAME]
        mean_square = sum(x * x for x in frame) / ENERGY_FRAME
        energies.append(10 * math.log10(mean_square + 1.0))
    return energies


def _percentile(sorted_values: list[float], fraction: float) -> float:
    return sorted_values[int(fraction * (len(sorted_values) - 1))]


def _speech_frames(audio: PcmAudio) -> tuple[list[bool], Vad]:
    """Whether each frame is speech, by a voice-activity detector created for this clip only."""
    vad = Vad(mode=Vad.MEDIUM_STRICT, sample_rate=audio.sample_rate)
    step = vad.frame_bytes
    return [bool(vad.is_speech(audio.samples[start:start + step]))
            for start in range(0, len(audio.samples) - step + 1, step)], vad


def speech_seconds(audio: PcmAudio) -> float:
    """Seconds of speech found by a voice-activity detector created for this clip only."""
    frames, vad = _speech_frames(audio)
    return sum(frames) * vad.frame_length


def spoken_part(audio: PcmAudio, margin_seconds: float) -> PcmAudio:
    """`audio` from its first frame of speech to its last, with `margin_seconds` either side (all of
    it when the detector finds none)."""
    frames, vad = _speech_frames(audio)
    if not any(frames):
        return audio
    margin = int(margin_seconds * audio.sample_rate) * 2
    start = max(0, frames.index(True) * vad.frame_bytes - margin)
    end = min(len(audio.samples), (len(frames) - frames[::-1].index(True)) * vad.frame_bytes + margin)
    return replace(audio, samples=audio.samples[start:end])


def check_quality(audio: PcmAudio) -> None:
    """Raise AudioQualityError when `audio` is too short, quiet, noisy or holds no speech."""
    if audio.duration < MIN_AUDIO_SECONDS:
        raise _quality_error("too_short")
    samples = array("h", audio.samples)
    if sys.byteorder == "big":
        samples.byteswap()
    energies = sorted(_frame_energies_db(samples))
    peak = _percentile(energies, 0.95)
    if peak < MIN_PEAK_ENERGY_DB:
        raise _quality_error("too_quiet")
    gap = peak - _percentile(energies, 0.10)
    if gap < MIN_DYNAMIC_RANGE_DB:
        raise _quality_error("too_noisy", measured_db=gap, needed_db=MIN_DYNAMIC_RANGE_DB)
    if speech_seconds(audio) < MIN_SPEECH_SECONDS:
        raise _quality_error("no_speech")
