"""Checking a speech CSV before anything is created: every row rule, and the tags it would add."""

from dataclasses import dataclass

from django.utils.translation import gettext as _

from content import selectors
from content.csv_format import SpeechRow, check_rows, read_csv
from content.exceptions import CsvRowsInvalid, InvalidCsv


@dataclass(frozen=True)
class SpeechCsvPlan:
    """The valid rows of a CSV, and the tag names creating them would add (first spelling seen)."""

    rows: list[SpeechRow]
    new_tags: list[str]


def plan_speech_csv(*, csv_data: bytes, available_files: set[str]) -> SpeechCsvPlan:
    """Every row checked against the audio files available; nothing is written.

    `InvalidCsv` (400) when the file cannot be read or has no rows; `CsvRowsInvalid` (422)
    listing every row error. The size of `csv_data` is the caller's to bound.
    """
    records = read_csv(csv_data)
    if not records:
        raise InvalidCsv(_("The CSV has a header but no rows."), code="csv_empty")
    rows, errors = check_rows(records, available_files)
    if errors:
        bad_rows = len({error.row for error in errors})
        raise CsvRowsInvalid(
            _("{bad_rows} of {rows} rows are invalid ({errors} errors); nothing was imported.").format(
                bad_rows=bad_rows, rows=len(records), errors=len(errors)),
            errors=[error.as_dict() for error in errors],
        )
    return SpeechCsvPlan(rows=rows, new_tags=selectors.missing_tag_names(tag for row in rows for tag in row.tags))
