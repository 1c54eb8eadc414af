"""Pure rules of the content app (no database, no Django): tag names and audio keys.

Every writer of tags and speeches (editor API, admin, imports, seed) goes through these,
so "Food" typed twice, or with extra spaces, is one tag everywhere, and every speech's
audio lives under the same key layout.
"""

import re
import uuid
from pathlib import PurePosixPath

# A suffix `speech_audio_key` added to an earlier key; dropped before adding a new one, so
# exporting and importing again does not grow the names.
_OUR_SUFFIX = re.compile(r"-[0-9a-f]{12}$")


def normalise_tag_name(name: str) -> str:
    """The spelling a tag is stored with: runs of whitespace collapsed to one space, none around."""
    return " ".join((name or "").split())


def tag_name_key(name: str) -> str:
    """What two tag names are compared by: the same key is the same tag (case does not count)."""
    return normalise_tag_name(name).lower()


def speech_audio_key(level: str, filename: str) -> str:
    """Where a speech's audio is stored: `audio/{level}/{name}-{random}{ext}`.

    Readable (the name a person gave the file), and unique without asking the storage.
    """
    path = PurePosixPath(filename)
    stem = _OUR_SUFFIX.sub("", path.stem) or "audio"
    return f"audio/{level}/{stem}-{uuid.uuid4().hex[:12]}{path.suffix.lower()}"
