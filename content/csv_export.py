"""Speeches written as the import file, CSV or XLSX, so they can be edited in a spreadsheet and imported again.

Round trip: export the speeches (CSV, or XLSX for Excel); edit text, level, type or tags in
a spreadsheet, keeping the `id` column (each speech's UUID, first) as it is; import the
file into an upload session. Each row with an `id` updates that speech in place, and a row
whose values were not edited is reported as unchanged and writes nothing, so importing an
export never duplicates speeches. The `audio_filename` column is the file name of the
speech's stored audio, kept when the row is imported back; to replace a speech's audio,
upload the new file in step 1 and put its name there. Rows added without an `id` create
new speeches from the session's uploaded files. (The session may hold no files at all when
the file only edits existing speeches.)

CSV cells that a spreadsheet would run as a formula (starting with =, +, -, @, tab or CR)
are written with a leading quote; the import removes exactly that quote again. XLSX cells
are written as text cells, so they need no quote: what the cell shows is the speech's text.
"""

import csv
import re
from collections.abc import Iterable, Iterator
from pathlib import PurePosixPath
from typing import BinaryIO

from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from content.csv_format import COLUMNS, TAG_SEPARATOR, escape_cell
from content.models import Speech

CHUNK_SIZE = 2000
# XML 1.0 cannot hold these control characters, so neither can an XLSX cell (openpyxl refuses
# them); they are left out of the sheet. Tab, newline and carriage return are kept.
_NOT_IN_XLSX = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


class _Echo:
    """A file-like object whose write returns the line, for streaming without a buffer."""

    def write(self, value: str) -> str:
        return value


def speech_cells(speech: Speech) -> list[str]:
    """One speech as the file's cells, unescaped (tags must be prefetched)."""
    return [
        str(speech.id),
        PurePosixPath(speech.audio.name).name,
        speech.text,
        speech.level,
        speech.type,
        TAG_SEPARATOR.join(tag.name for tag in speech.tags.all()),
    ]


def speech_row(speech: Speech) -> list[str]:
    """One speech as CSV cells (tags must be prefetched)."""
    return [escape_cell(cell) for cell in speech_cells(speech)]


def _chunked(speeches: Iterable[Speech]) -> Iterable[Speech]:
    if hasattr(speeches, "iterator"):
        # Chunked, with the tags of each chunk prefetched: memory stays flat for any catalogue.
        return speeches.iterator(chunk_size=CHUNK_SIZE)
    return speeches


def iter_export_lines(speeches: Iterable[Speech], *, bom: bool = True) -> Iterator[str]:
    """The CSV line by line, header first: for streaming responses.

    The byte-order mark makes Excel read the file as UTF-8; the import accepts it.
    """
    writer = csv.writer(_Echo())
    yield ("\ufeff" if bom else "") + writer.writerow(COLUMNS)
    for speech in _chunked(speeches):
        yield writer.writerow(speech_row(speech))


def export_csv_text(speeches: Iterable[Speech], *, bom: bool = True) -> str:
    return "".join(iter_export_lines(speeches, bom=bom))


def write_export_xlsx(speeches: Iterable[Speech], target: BinaryIO) -> None:
    """The XLSX (one sheet, header row 1) written to `target`, e.g. a temporary file to stream.

    openpyxl's write-only mode writes each row out as it comes; what it keeps in memory is
    the table of distinct strings every XLSX has.
    """
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("speeches")
    sheet.append(list(COLUMNS))
    for speech in _chunked(speeches):
        sheet.append([_text_cell(sheet, value) for value in speech_cells(speech)])
    workbook.save(target)


def _text_cell(sheet, value: str) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=_NOT_IN_XLSX.sub("", value))
    # openpyxl would take a text starting with "=" for a formula: every cell is text.
    cell.data_type = "s"
    return cell


def export_filename(extension: str = "csv") -> str:
    """The download's name: when it was made, so repeated exports do not overwrite each other."""
    return f"speeches-{timezone.now():%Y%m%d-%H%M%S}.{extension}"
