"""The speech CSV: reading it, checking every row, and the cell escaping shared with the export.

Format (header names in any order, extra columns ignored):

    audio_filename,text,level,type,tags
    sentence_001.mp3,"What is your name?",A1,question,"Present Tense,Basics"

Row numbers are what a spreadsheet shows: the header is row 1, the first record row 2.
A record whose quoted cell spans several lines still counts as one row.
"""

import csv
import io
import re
import unicodedata
from dataclasses import dataclass, field

from django.conf import settings
from django.utils.translation import gettext as _

from content.exceptions import InvalidCsv
from content.models import Level, SentenceType, Tag
from content.rules import normalise_tag_name, tag_name_key

REQUIRED_COLUMNS = ("audio_filename", "text", "level")
OPTIONAL_COLUMNS = ("type", "tags")
COLUMNS = REQUIRED_COLUMNS + OPTIONAL_COLUMNS
TAG_SEPARATOR = ","
DEFAULT_TYPE = SentenceType.ANSWER.value
TAG_NAME_MAX_LENGTH = Tag._meta.get_field("name").max_length

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
class SpeechRow:
    """A valid row, ready to become a speech."""

    row: int
    audio_filename: str
    text: str
    level: str
    type: str
    tags: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class RowError:
    row: int
    error: str

    def as_dict(self) -> dict:
        return {"row": self.row, "error": self.error}


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
    records: list[CsvRecord] = []
    header: list[str] | None = None
    try:
        for row_number, cells in enumerate(reader, start=1):
            if not any(cell.strip() for cell in cells):
                continue  # blank lines (and rows of empty cells) still count as spreadsheet rows
            if header is None:
                header = _read_header(cells, row_number)
                continue
            values = {name: unescape_cell(cells[index]) if index < len(cells) else ""
                      for index, name in enumerate(header) if name in COLUMNS}
            records.append(CsvRecord(row=row_number, values=values))
    except csv.Error as exc:
        raise InvalidCsv(_("The CSV cannot be read near row {row}: {problem}.").format(
            row=reader.line_num, problem=exc)) from exc
    if header is None:
        raise InvalidCsv(_("The CSV is empty; it needs a header row: {columns}.").format(columns=",".join(COLUMNS)))
    return records


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


def check_rows(records: list[CsvRecord], available_files: set[str]) -> tuple[list[SpeechRow], list[RowError]]:
    """Apply every row rule; returns the valid rows and every error (a row may have several)."""
    rows: list[SpeechRow] = []
    errors: list[RowError] = []
    first_use: dict[str, int] = {}
    levels = ", ".join(Level.values)
    types = ", ".join(SentenceType.values)
    max_length = settings.IMPORT_TEXT_MAX_LENGTH

    for record in records:
        row_errors: list[str] = []
        values = record.values
        filename = normalise_filename(values.get("audio_filename", ""))
        text = values.get("text", "").strip()
        level_cell = values.get("level", "").strip()
        type_cell = values.get("type", "").strip()

        for name, value in (("audio_filename", filename), ("text", text), ("level", level_cell)):
            if not value:
                row_errors.append(_("Missing required field '{field}'").format(field=name))
        if filename:
            if filename not in available_files:
                row_errors.append(_("Audio file '{filename}' not found in upload session").format(filename=filename))
            if filename in first_use:
                row_errors.append(_("Duplicate audio_filename '{filename}' (already used in row {row})").format(
                    filename=filename, row=first_use[filename]))
            else:
                first_use[filename] = record.row
        if len(text) > max_length:
            row_errors.append(_("Text is too long ({length} characters; at most {max_length})").format(
                length=len(text), max_length=max_length))
        level = level_cell.upper()
        if level_cell and level not in Level.values:
            row_errors.append(_("Invalid level '{level}'. Must be one of: {levels}").format(
                level=level_cell, levels=levels))
        speech_type = type_cell.lower() or DEFAULT_TYPE
        if speech_type not in SentenceType.values:
            row_errors.append(_("Invalid type '{type}'. Must be one of: {types}").format(type=type_cell, types=types))
        tags = split_tags(values.get("tags", ""))
        for tag in tags:
            if len(tag) > TAG_NAME_MAX_LENGTH:
                row_errors.append(_("Tag name '{name}...' is too long (at most {max_length} characters)").format(
                    name=tag[:40], max_length=TAG_NAME_MAX_LENGTH))

        if row_errors:
            errors.extend(RowError(record.row, message) for message in row_errors)
        else:
            rows.append(SpeechRow(row=record.row, audio_filename=filename, text=text, level=level,
                                  type=speech_type, tags=tags))
    return rows, errors
