"""Pure rules of the content app (no database, no Django): tag names and audio keys.

Every writer of tags and speeches (editor API, admin, imports, seed) goes through these,
so "Food" typed twice, or with extra spaces, is one tag everywhere, and every speech's
audio lives under the same key layout.
"""

import re
import uuid
from collections.abc import Iterable
from pathlib import PurePosixPath

# A suffix `speech_audio_key` added to an earlier key; dropped before adding a new one, so
# exporting and importing again does not grow the names.
_OUR_SUFFIX = re.compile(r"-[0-9a-f]{12}$")
# A batch becomes one folder of the key: nothing that could climb out of it or split it.
_BATCH = re.compile(r"[0-9A-Za-z_-]{1,64}")


def normalise_tag_name(name: str) -> str:
    """The spelling a tag is stored with: runs of whitespace collapsed to one space, none around."""
    return " ".join((name or "").split())


def tag_name_key(name: str) -> str:
    """What two tag names are compared by: the same key is the same tag (case does not count)."""
    return normalise_tag_name(name).lower()


def _checked_batch(batch: str) -> str:
    if not _BATCH.fullmatch(batch):
        raise ValueError(f"A batch is 1 to 64 letters, digits, - or _, not {batch!r}.")
    return batch


def speech_audio_key(level: str, filename: str, *, batch: str = "") -> str:
    """Where a speech's audio is stored: `audio/{level}/{name}-{random}{ext}`, or
    `audio/{level}/{batch}/{name}-{random}{ext}` when a bulk write names its `batch`.

    Readable (the name a person gave the file), and unique without asking the storage. The
    batch folder is what makes a bulk write's copies findable when the process is killed
    before it can delete them itself: see `batch_audio_prefixes`.
    """
    path = PurePosixPath(filename)
    stem = _OUR_SUFFIX.sub("", path.stem) or "audio"
    folder = f"audio/{level}/{_checked_batch(batch)}" if batch else f"audio/{level}"
    return f"{folder}/{stem}-{uuid.uuid4().hex[:12]}{path.suffix.lower()}"


def batch_audio_prefixes(batch: str, levels: Iterable[str]) -> list[str]:
    """Every folder `speech_audio_key` puts a batch's audio in: one per level, each ending in /."""
    return [f"audio/{level}/{_checked_batch(batch)}/" for level in levels]
