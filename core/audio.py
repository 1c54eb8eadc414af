"""The one rule for accepting audio: MP3, WAV or M4A judged by the bytes, at most MAX_UPLOAD_BYTES.

File names and client-sent content types are not trusted; the first bytes decide. Used by
the editor API and admin (content), imports (step 1) and the scoring upload. Each refusal is
a domain error with its own code, so callers either let it answer the request or collect
several (an import reports every bad file at once).
"""

from pathlib import PurePosixPath
from typing import Literal

from django.conf import settings
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.exceptions import InvalidInput, PayloadTooLarge

AudioFormat = Literal["mp3", "wav", "m4a"]

# Enough for every signature below, including an ID3 tag header followed by a frame.
HEAD_BYTES = 16

CONTENT_TYPES: dict[str, str] = {"mp3": "audio/mpeg", "wav": "audio/wav", "m4a": "audio/mp4"}
EXTENSIONS: dict[str, str] = {"mp3": ".mp3", "wav": ".wav", "m4a": ".m4a"}
# Translators: the middle of "'x.mp3' is an MP3 file; its name must end in .mp3."
_FORMAT_NAMES = {"mp3": _("an MP3"), "wav": _("a WAV"), "m4a": _("an M4A")}

# ISO base-media brands used by AAC/ALAC audio in an .m4a container (and plain MP4 audio).
_M4A_BRANDS = {b"M4A ", b"M4B ", b"M4P ", b"mp41", b"mp42", b"isom", b"iso2", b"dash", b"3gp4", b"3gp5", b"3gp6"}


class AudioTooLarge(PayloadTooLarge):
    code = "audio_too_large"
    detail = _("The audio file is too large.")


class UnsupportedAudioFormat(InvalidInput):
    code = "unsupported_audio_format"
    detail = _("The audio must be an MP3, WAV or M4A file.")


class AudioNameMismatch(UnsupportedAudioFormat):
    code = "audio_name_mismatch"
    detail = _("The file name's extension does not match its audio format.")


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


def ensure_audio_size(size: int, *, label: str | None = None) -> None:
    """AudioTooLarge (413) past MAX_UPLOAD_BYTES; `label` names the file ("The audio file" by default)."""
    limit = settings.MAX_UPLOAD_BYTES
    if size > limit:
        raise AudioTooLarge(gettext("{label} is {size} bytes; the limit is {limit} bytes.").format(
            label=label or gettext("The audio file"), size=size, limit=limit))


def accept_audio(uploaded, *, filename: str | None = None) -> AudioFormat:
    """The format of an acceptable audio file, or the domain error saying why it is not.

    With `filename` (imports refer to files by name), the name must also end in the
    extension of the format the bytes show, so a CSV's `x.mp3` is an MP3.
    """
    label = f"'{filename}'" if filename else gettext("The audio file")
    ensure_audio_size(uploaded.size, label=label)
    audio_format = sniff_uploaded_file(uploaded)
    if audio_format is None:
        raise UnsupportedAudioFormat(gettext("{label} is not an MP3, WAV or M4A audio file.").format(label=label))
    if filename is not None and PurePosixPath(filename).suffix.lower() != EXTENSIONS[audio_format]:
        raise AudioNameMismatch(gettext("{label} is {format} file; its name must end in {extension}.").format(
            label=label, format=_FORMAT_NAMES[audio_format], extension=EXTENSIONS[audio_format]))
    return audio_format
