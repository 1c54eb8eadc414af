"""Checking a speech CSV or XLSX before anything is written: every row rule, what it would
create, update or leave unchanged, and the tags it would add."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import PurePosixPath

from django.utils.translation import gettext as _

from content import selectors
from content.csv_format import (
    CREATE,
    UNCHANGED,
    UPDATE,
    CurrentSpeech,
    SpeechRow,
    check_rows,
    read_table,
    speech_ids_of,
)
from content.exceptions import CsvRowsInvalid, InvalidCsv
from content.models import Speech

# Ids per query: well inside every database's limit of bound parameters.
LOOKUP_CHUNK = 1000


@dataclass(frozen=True)
class SpeechCsvPlan:
    """The valid rows of a file, and the tag names writing them would add (first spelling seen)."""

    rows: list[SpeechRow]
    new_tags: list[str]

    @property
    def creates(self) -> list[SpeechRow]:
        return [row for row in self.rows if row.action == CREATE]

    @property
    def updates(self) -> list[SpeechRow]:
        return [row for row in self.rows if row.action == UPDATE]

    @property
    def unchanged(self) -> list[SpeechRow]:
        return [row for row in self.rows if row.action == UNCHANGED]

    @property
    def create_count(self) -> int:
        return sum(row.action == CREATE for row in self.rows)

    @property
    def update_count(self) -> int:
        return sum(row.action == UPDATE for row in self.rows)

    @property
    def unchanged_count(self) -> int:
        return sum(row.action == UNCHANGED for row in self.rows)

    @property
    def write_count(self) -> int:
        """Rows that write something: what an import's cost (and its job's progress) is counted in."""
        return self.create_count + self.update_count


def current_speeches(speech_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, CurrentSpeech]:
    """The speeches with these ids (archived ones too, so a row can be told why it is refused)."""
    # A read only the CSV plan needs; it stays beside its one caller.
    wanted = list(speech_ids)
    found: dict[uuid.UUID, CurrentSpeech] = {}
    for start in range(0, len(wanted), LOOKUP_CHUNK):
        speeches = (Speech.objects.filter(id__in=wanted[start:start + LOOKUP_CHUNK])
                    .only("id", "audio", "text", "level", "type", "archived_at").prefetch_related("tags"))
        for speech in speeches:
            found[speech.id] = CurrentSpeech(
                id=speech.id, audio_filename=PurePosixPath(speech.audio.name).name, text=speech.text,
                level=speech.level, type=speech.type, tags=tuple(tag.name for tag in speech.tags.all()),
                archived=speech.archived_at is not None)
    return found


def plan_speech_csv(*, csv_data: bytes, available_files: set[str], file_name: str = "") -> SpeechCsvPlan:
    """Every row checked against the audio files available and the speeches its ids name; nothing is written.

    `csv_data` is a CSV, or an XLSX (by its content, or `file_name`). `InvalidCsv` (400) when
    the file cannot be read or has no rows; `CsvRowsInvalid` (422) listing every row error.
    The size of `csv_data` is the caller's to bound.
    """
    records = read_table(csv_data, file_name)
    if not records:
        raise InvalidCsv(_("The CSV has a header but no rows."), code="csv_empty")
    rows, errors = check_rows(records, available_files, current_speeches(speech_ids_of(records)))
    if errors:
        bad_rows = len({error.row for error in errors})
        raise CsvRowsInvalid(
            _("{bad_rows} of {rows} rows are invalid ({errors} errors); nothing was imported.").format(
                bad_rows=bad_rows, rows=len(records), errors=len(errors)),
            errors=[error.as_dict() for error in errors],
        )
    # Unchanged rows add nothing, their tags included.
    written = (tag for row in rows if row.action != UNCHANGED for tag in row.tags)
    return SpeechCsvPlan(rows=rows, new_tags=selectors.missing_tag_names(written))
