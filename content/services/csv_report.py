"""The row report of a refused speech CSV or XLSX, as a CSV an editor opens beside the file."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from content.csv_format import escape_cell

REPORT_COLUMNS = ("row", "column", "value", "error")


class _Echo:
    """A file-like object whose write returns the line, for streaming without a buffer."""

    def write(self, value: str) -> str:
        return value


def iter_row_error_report(errors: Iterable[Mapping[str, Any]], *, bom: bool = True) -> Iterator[str]:
    """The report line by line: one line per `{row, error[, column, value]}`, header first.

    The values are the editor's own cells: escaped like the export's, so a spreadsheet shows
    a cell such as `=HYPERLINK(...)` as text instead of running it.
    """
    writer = csv.writer(_Echo())
    yield ("\ufeff" if bom else "") + writer.writerow(REPORT_COLUMNS)
    for error in errors:
        yield writer.writerow([str(error.get("row", "")), *(escape_cell(str(error.get(name) or ""))
                                                            for name in ("column", "value", "error"))])
