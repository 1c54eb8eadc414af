"""The speech spreadsheet, CSV or XLSX: reading it, checking every row, and the cell escaping shared with the export.

Format (header names in any order, extra columns ignored; `id`, `type` and `tags` optional):

    id,audio_filename,text,level,type,tags
    ,sentence_001.mp3,"What is your name?",A1,question,"Present Tense,Basics"
    0b7e6c52-5d0e-4b8e-9a53-3f1c2a9d8e11,hello-0a1b2c3d4e5f.mp3,Hello!,A1,answer,Basics

A row without an `id` creates a speech from an audio file of the upload session (its
`audio_filename` is required). A row with an `id` (a speech's UUID, as the export writes it)
updates that active speech in place: text, level, type and tags. Its audio changes only
when `audio_filename` names a file uploaded in the session; otherwise the cell may hold the
speech's current stored file name (what the export writes) or be empty, and the audio is
kept. For such a row an empty `type` keeps the speech's type, and a missing `tags` column
keeps its tags (an empty `tags` cell removes them). A row whose values are the speech's
current ones is "unchanged" and writes nothing. So an exported file, edited or not, imports
back onto the same speeches instead of creating copies.

Row numbers are what a spreadsheet shows: the header is row 1, the first record row 2.
A CSV record whose quoted cell spans several lines still counts as one row. An XLSX file
(recognised by its zip signature or its name) is read from its first sheet by the same
rules; its cells become text (a number 1.0 is "1"), and the quote escaping of formulas
applies to CSV only, since XLSX cells carry their type.
"""

import csv
import io
import re
import unicodedata
import uuid
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time

from django.conf import settings
from django.utils.translation import gettext as _
from openpyxl import load_workbook

from content.exceptions import InvalidCsv
from content.models import Level, SentenceType, Tag
from content.rules import normalise_tag_name, tag_name_key

REQUIRED_COLUMNS = ("audio_filename", "text", "level")
OPTIONAL_COLUMNS = ("id", "type", "tags")
# In the export's order: the id first, so a spreadsheet keeps it out of the way of the edits.
COLUMNS = ("id", "audio_filename", "text", "level", "type", "tags")
TAG_SEPARATOR = ","
DEFAULT_TYPE = SentenceType.ANSWER.value
TAG_NAME_MAX_LENGTH = Tag._meta.get_field("name").max_length
# What a row error shows of the offending cell: enough to find it, not a whole page of text.
ERROR_VALUE_MAX_LENGTH = 200

XLSX_MAGIC = b"PK\x03\x04"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# An XLSX is zipped XML: a file within the size limit could still unpack to gigabytes. Real
# sheets of text compress about 5-10 times; beyond this factor the file is refused unread.
XLSX_MAX_EXPANSION = 30

CREATE, UPDATE, UNCHANGED = "create", "update", "unchanged"

# Spreadsheets run a cell that starts with one of these as a formula. The export prefixes such
# cells with a quote; a cell that already starts with quotes before one gets one more quote, so
# the import can always take exactly one away and get the original text back.
_FORMULA_START = re.compile(r"^'*[=+\-@\t\r]")
_ESCAPED_FORMULA = re.compile(r"^'+[=+\-@\t\r]")


def escape_cell(value: str) -> str:
    return f"'{value}" if _FORMULA_START.match(value) else value


def unescape_cell(value: str) -> str:
    return value[1:] if _ESCAPED_FORMULA.match(value) else value


def normalise_filename(name: str) -> str:
    """How file names are compared: NFC (macOS hands out decomposed accents), no surrounding spaces."""
    return unicodedata.normalize("NFC", name).strip()


def split_tags(cell: str) -> list[str]:
    """Tag names of a cell: split on commas, named as tags are (see content.rules), repeats once."""
    names: dict[str, str] = {}
    for part in cell.split(TAG_SEPARATOR):
        name = normalise_tag_name(part)
        if name:
            names.setdefault(tag_name_key(name), name)
    return list(names.values())


@dataclass(frozen=True)
class CsvRecord:
    row: int
    values: dict[str, str]


@dataclass(frozen=True)
class CurrentSpeech:
    """A speech as stored, for the rows that name its id: what "unchanged" is compared with."""

    id: uuid.UUID
    audio_filename: str  # the file name of its stored audio, as the export writes it
    text: str
    level: str
    type: str
    tags: tuple[str, ...] = ()
    archived: bool = False


@dataclass(frozen=True)
class SpeechRow:
    """A valid row: a speech to create (`speech_id` None) or an existing one, updated or unchanged.

    `new_audio` says that `audio_filename` is an uploaded file of the session to store as the
    speech's audio; an update without it keeps the speech's audio.
    """

    row: int
    audio_filename: str
    text: str
    level: str
    type: str
    tags: list[str] = field(default_factory=list)
    speech_id: uuid.UUID | None = None
    action: str = CREATE
    new_audio: bool = True


@dataclass(frozen=True)
class RowError:
    """A problem of one row; `column` and `value` name the cell when the problem is one cell's."""

    row: int
    error: str
    column: str = ""
    value: str = ""

    def as_dict(self) -> dict:
        if not self.column:
            return {"row": self.row, "error": self.error}
        value = self.value if len(self.value) <= ERROR_VALUE_MAX_LENGTH else f"{self.value[:ERROR_VALUE_MAX_LENGTH]}…"
        return {"row": self.row, "error": self.error, "column": self.column, "value": value}


def is_xlsx(data: bytes, name: str = "") -> bool:
    """An XLSX by its content (a zip), or by its name when the content cannot tell."""
    return data.startswith(XLSX_MAGIC) or name.lower().endswith(".xlsx")


def read_table(data: bytes, name: str = "") -> list[CsvRecord]:
    """The records of a CSV or an XLSX (see `is_xlsx`), by the same rules and row numbers."""
    return read_xlsx(data) if is_xlsx(data, name) else read_csv(data)


def read_csv(data: bytes) -> list[CsvRecord]:
    """Every non-blank record of the CSV with its row number; `InvalidCsv` if it cannot be read."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidCsv(_("The CSV is not UTF-8 text (byte {position} cannot be decoded).").format(
            position=exc.start)) from exc
    if "\x00" in text:
        raise InvalidCsv(_("The file is not a CSV (it contains binary data)."))
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        records = _records(enumerate(reader, start=1), unescape=True)
    except csv.Error as exc:
        raise InvalidCsv(_("The CSV cannot be read near row {row}: {problem}.").format(
            row=reader.line_num, problem=exc)) from exc
    if records is None:
        raise InvalidCsv(_("The CSV is empty; it needs a header row: {columns}.").format(columns=",".join(COLUMNS)))
    return records


def read_xlsx(data: bytes) -> list[CsvRecord]:
    """Every non-blank row of the workbook's first sheet with its row number; `InvalidCsv` if unreadable."""
    unreadable = InvalidCsv(_("The file is not a readable XLSX workbook."), code="invalid_xlsx")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(item.file_size for item in archive.infolist())
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise unreadable from exc
    if unpacked > XLSX_MAX_EXPANSION * max(len(data), settings.IMPORT_CSV_MAX_BYTES // 10):
        raise unreadable
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises whatever its zip and XML readers raise on a damaged file
        raise unreadable from exc
    try:
        if not workbook.worksheets:
            raise InvalidCsv(_("The XLSX workbook has no sheet."), code="invalid_xlsx")
        sheet = workbook.worksheets[0]
        # The stored dimensions may be wrong (some writers say A1:A1): read what is really there.
        sheet.reset_dimensions()
        rows = ((number, [_cell_text(value) for value in values])
                for number, values in enumerate(sheet.iter_rows(values_only=True), start=1))
        records = _records(rows, unescape=False)
    except InvalidCsv:
        raise
    except Exception as exc:  # damaged sheet XML shows only while reading it
        raise unreadable from exc
    finally:
        workbook.close()
    if records is None:
        raise InvalidCsv(_("The XLSX sheet is empty; it needs a header row: {columns}.").format(
            columns=",".join(COLUMNS)))
    return records


def _cell_text(value: object) -> str:
    """A sheet cell as the text a CSV would hold: whole numbers without ".0", dates in ISO form."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    return str(value)


def _records(rows: Iterable[tuple[int, list[str]]], *, unescape: bool) -> list[CsvRecord] | None:
    """The records after the header, or None when there is no header at all."""
    records: list[CsvRecord] = []
    header: list[str] | None = None
    for row_number, cells in rows:
        if not any(cell.strip() for cell in cells):
            continue  # blank lines (and rows of empty cells) still count as spreadsheet rows
        if header is None:
            header = _read_header(cells, row_number)
            continue
        values = {name: (unescape_cell(cells[index]) if unescape else cells[index]) if index < len(cells) else ""
                  for index, name in enumerate(header) if name in COLUMNS}
        records.append(CsvRecord(row=row_number, values=values))
    return None if header is None else records


def _read_header(cells: list[str], row_number: int) -> list[str]:
    names = [cell.strip().lower() for cell in cells]
    missing = [name for name in REQUIRED_COLUMNS if name not in names]
    if missing:
        raise InvalidCsv(
            _("The CSV header (row {row}) lacks the required column(s): {missing}. "
              "Expected columns: {columns}.").format(
                row=row_number, missing=", ".join(missing), columns=", ".join(COLUMNS)),
            code="csv_missing_columns", errors={"missing_columns": missing},
        )
    repeated = sorted({name for name in names if name in COLUMNS and names.count(name) > 1})
    if repeated:
        raise InvalidCsv(_("The CSV header repeats the column(s): {columns}.").format(columns=", ".join(repeated)),
                         code="csv_repeated_columns")
    return names


def parse_speech_id(cell: str) -> uuid.UUID | None:
    """The speech id an `id` cell holds, or None when it is not a UUID."""
    try:
        return uuid.UUID(cell.strip())
    except ValueError:
        return None


def speech_ids_of(records: Iterable[CsvRecord]) -> set[uuid.UUID]:
    """The well-formed ids the records name: the speeches to look up before `check_rows`."""
    ids = (parse_speech_id(record.values.get("id", "")) for record in records if record.values.get("id", "").strip())
    return {speech_id for speech_id in ids if speech_id is not None}


def _tag_keys(names: Iterable[str]) -> frozenset[str]:
    return frozenset(tag_name_key(name) for name in names)


def check_rows(records: list[CsvRecord], available_files: set[str],
               speeches: Mapping[uuid.UUID, CurrentSpeech] | None = None) -> tuple[list[SpeechRow], list[RowError]]:
    """Apply every row rule; returns the valid rows and every error (a row may have several).

    `speeches` holds the speeches the rows' ids name (archived ones too, to say so); an id
    that is not in it is unknown.
    """
    speeches = speeches or {}
    rows: list[SpeechRow] = []
    errors: list[RowError] = []
    first_use: dict[str, int] = {}
    first_id: dict[uuid.UUID, int] = {}
    levels = ", ".join(Level.values)
    types = ", ".join(SentenceType.values)
    max_length = settings.IMPORT_TEXT_MAX_LENGTH

    for record in records:
        row_errors: list[RowError] = []

        def problem(message: str, column: str, record: CsvRecord = record, found: list = row_errors) -> None:
            found.append(RowError(record.row, message, column, record.values.get(column, "")))

        values = record.values
        id_cell = values.get("id", "").strip()
        filename = normalise_filename(values.get("audio_filename", ""))
        text = values.get("text", "").strip()
        level_cell = values.get("level", "").strip()
        type_cell = values.get("type", "").strip()

        speech_id = parse_speech_id(id_cell) if id_cell else None
        current: CurrentSpeech | None = None
        if id_cell:
            if speech_id is None:
                problem(_("Invalid id '{value}': not a speech id").format(value=id_cell), "id")
            elif speech_id in first_id:
                problem(_("Duplicate id '{value}' (already used in row {row})").format(
                    value=id_cell, row=first_id[speech_id]), "id")
            else:
                first_id[speech_id] = record.row
                current = speeches.get(speech_id)
                if current is None or current.archived:
                    problem(_("Speech '{value}' not found (unknown or archived)").format(value=id_cell), "id")
                    current = None

        required = (("text", text), ("level", level_cell)) if id_cell else (
            ("audio_filename", filename), ("text", text), ("level", level_cell))
        for name, value in required:
            if not value:
                problem(_("Missing required field '{field}'").format(field=name), name)
        new_audio = bool(filename) and filename in available_files
        if filename:
            if new_audio:
                if filename in first_use:
                    problem(_("Duplicate audio_filename '{filename}' (already used in row {row})").format(
                        filename=filename, row=first_use[filename]), "audio_filename")
                else:
                    first_use[filename] = record.row
            # An id row may name its speech's own stored file: the audio is kept. With an id
            # that is wrong the file cannot be judged, and the id's error says enough.
            elif not id_cell or (current is not None and filename != normalise_filename(current.audio_filename)):
                problem(_("Audio file '{filename}' not found in upload session").format(filename=filename),
                        "audio_filename")
        if len(text) > max_length:
            problem(_("Text is too long ({length} characters; at most {max_length})").format(
                length=len(text), max_length=max_length), "text")
        level = level_cell.upper()
        if level_cell and level not in Level.values:
            problem(_("Invalid level '{level}'. Must be one of: {levels}").format(level=level_cell, levels=levels),
                    "level")
        speech_type = type_cell.lower() or (current.type if current is not None else DEFAULT_TYPE)
        if speech_type not in SentenceType.values:
            problem(_("Invalid type '{type}'. Must be one of: {types}").format(type=type_cell, types=types), "type")
        keep_tags = current is not None and "tags" not in values
        tags = list(current.tags) if keep_tags else split_tags(values.get("tags", ""))
        for tag in tags:
            if len(tag) > TAG_NAME_MAX_LENGTH:
                problem(_("Tag name '{name}...' is too long (at most {max_length} characters)").format(
                    name=tag[:40], max_length=TAG_NAME_MAX_LENGTH), "tags")

        if row_errors:
            errors.extend(row_errors)
            continue
        action = CREATE
        if current is not None:
            same = (text == current.text and level == current.level and speech_type == current.type
                    and _tag_keys(tags) == _tag_keys(current.tags))
            action = UNCHANGED if same and not new_audio else UPDATE
        rows.append(SpeechRow(row=record.row, audio_filename=filename, text=text, level=level, type=speech_type,
                              tags=tags, speech_id=current.id if current is not None else None, action=action,
                              new_audio=new_audio))
    return rows, errors
