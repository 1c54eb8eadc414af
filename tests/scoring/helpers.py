"""Test recordings (made by audio/make_clips.sh) and small builders of WAV files."""

import io
import math
import random
import wave
from array import array
from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile

AUDIO_DIR = Path(__file__).parent / "audio"
URL = "/api/v1/speech/score"
REFERENCE = "I would like to order a cup of coffee, please."
REFERENCE_WORDS = ["I", "would", "like", "to", "order", "a", "cup", "of", "coffee", "please"]


def clip(name: str) -> bytes:
    return (AUDIO_DIR / name).read_bytes()


def pcm_of(name: str) -> bytes:
    with wave.open(str(AUDIO_DIR / name)) as wav:
        return wav.readframes(wav.getnframes())


def wav_bytes(pcm: bytes, *, rate: int = 16000, channels: int = 1) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as wav:
        wav.setnchannels(channels)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(pcm)
    return buffer.getvalue()


def with_white_noise(pcm: bytes, snr_db: float, *, seed: int = 1) -> bytes:
    """`pcm` with white noise `snr_db` below the speech (the RMS of its samples louder than 300), seeded."""
    samples = array("h", pcm)
    speech = [s for s in samples if abs(s) > 300]
    sigma = math.sqrt(sum(s * s for s in speech) / len(speech)) / 10 ** (snr_db / 20)
    rng = random.Random(seed)
    return array("h", (max(-32768, min(32767, round(s + rng.gauss(0, sigma)))) for s in samples)).tobytes()


def silence(seconds: float, rate: int = 16000) -> bytes:
    return b"\x00\x00" * int(seconds * rate)


def upload(data: bytes, name: str = "recording.wav", content_type: str = "audio/wav") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


def post_score(client, data: bytes | None, *, name: str = "recording.wav", content_type: str = "audio/wav",
               reference: str | None = REFERENCE, language: str | None = None):
    form = {}
    if data is not None:
        form["audio"] = upload(data, name, content_type)
    if reference is not None:
        form["reference_text"] = reference
    if language is not None:
        form["language"] = language
    return client.post(URL, form, format="multipart")


def words(body: dict) -> dict[str, dict]:
    """Reference words of a result by lowercase text (the reference sentence has no repeats)."""
    return {w["word"].lower(): w for w in body["word_scores"] if w["error_type"] != "insertion"}
