"""Speeches written as the import CSV, so they can be edited in a spreadsheet and imported again.

Round trip: export the CSV; download each speech's audio object (the `audio_filename`
column is its file name in storage, e.g. `hello-0a1b2c3d4e5f.mp3`); upload those files
in step 1 of an import without renaming them; import the CSV (edited or not) into that
upload session. The import creates the same speeches (text, level, type, tags, audio).

Cells that a spreadsheet would run as a formula (starting with =, +, -, @, tab or CR) are
written with a leading quote; the import removes exactly that quote again.
"""

import csv
from collections.abc import Iterable, Iterator
from pathlib import PurePosixPath

from django.utils import timezone

from content.csv_format import COLUMNS, TAG_SEPARATOR, escape_cell
from content.models import Speech

CHUNK_SIZE = 2000


class _Echo:
    """A file-like object whose write returns the line, for streaming without a buffer."""

    def write(self, value: str) -> str:
        return value


def speech_row(speech: Speech) -> list[str]:
    """One speech as CSV cells (tags must be prefetched)."""
    cells = [
        PurePosixPath(speech.audio.name).name,
        speech.text,
        speech.level,
        speech.type,
        TAG_SEPARATOR.join(tag.name for tag in speech.tags.all()),
    ]
    return [escape_cell(cell) for cell in cells]


def iter_export_lines(speeches: Iterable[Speech], *, bom: bool = True) -> Iterator[str]:
    """The CSV line by line, header first: for streaming responses.

    The byte-order mark makes Excel read the file as UTF-8; the import accepts it.
    """
    writer = csv.writer(_Echo())
    yield ("\ufeff" if bom else "") + writer.writerow(COLUMNS)
    if hasattr(speeches, "iterator"):
        # Chunked, with the tags of each chunk prefetched: memory stays flat for any catalogue.
        speeches = speeches.iterator(chunk_size=CHUNK_SIZE)
    for speech in speeches:
        yield writer.writerow(speech_row(speech))


def export_csv_text(speeches: Iterable[Speech], *, bom: bool = True) -> str:
    return "".join(iter_export_lines(speeches, bom=bom))


def export_filename() -> str:
    """The download's name: when it was made, so repeated exports do not overwrite each other."""
    return f"speeches-{timezone.now():%Y%m%d-%H%M%S}.csv"
