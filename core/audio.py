"""Recognise the audio formats we accept (MP3, WAV, M4A) from a file's first bytes.

File names and client-sent content types are not trusted; the bytes decide. Reused by
the editor API, Django Admin and the imports app.
"""

from typing import Literal

AudioFormat = Literal["mp3", "wav", "m4a"]

# Enough for every signature below, including an ID3 tag header followed by a frame.
HEAD_BYTES = 16

CONTENT_TYPES: dict[str, str] = {"mp3": "audio/mpeg", "wav": "audio/wav", "m4a": "audio/mp4"}

# ISO base-media brands used by AAC/ALAC audio in an .m4a container (and plain MP4 audio).
_M4A_BRANDS = {b"M4A ", b"M4B ", b"M4P ", b"mp41", b"mp42", b"isom", b"iso2", b"dash", b"3gp4", b"3gp5", b"3gp6"}


def _is_mpeg_audio_frame(head: bytes) -> bool:
    # 11 sync bits, then a version and a layer that are not "reserved"; layer III is MP3.
    if len(head) < 2 or head[0] != 0xFF or head[1] & 0xE0 != 0xE0:
        return False
    version = (head[1] >> 3) & 0b11
    layer = (head[1] >> 1) & 0b11
    return version != 0b01 and layer == 0b01


def detect_audio_format(head: bytes) -> AudioFormat | None:
    """"mp3", "wav" or "m4a" when `head` (the first HEAD_BYTES or more) starts such a file, else None."""
    if head[:3] == b"ID3" or _is_mpeg_audio_frame(head):
        return "mp3"
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "wav"
    if head[4:8] == b"ftyp" and head[8:12] in _M4A_BRANDS:
        return "m4a"
    return None


def sniff_uploaded_file(uploaded) -> AudioFormat | None:
    """The format of a Django UploadedFile (or any seekable file), leaving its position at the start."""
    uploaded.seek(0)
    head = uploaded.read(HEAD_BYTES)
    uploaded.seek(0)
    return detect_audio_format(head)
