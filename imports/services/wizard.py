"""The admin wizard's two-phase CSV step: check and preview first, import on "Confirm".

The CSV (or XLSX) is kept on the session between the two requests, so the editor does not
upload it twice and the import runs on exactly the file that was previewed. A refused
file's row errors are kept on the session instead, so its report can be downloaded after
the request that found them. "Confirm" starts a job
(a worker imports while the page shows its progress), so an import of any size never holds
the editor's request, and several editors can import at once.
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Iterator
from typing import TYPE_CHECKING

from django.utils.translation import gettext as _

from content.exceptions import CsvRowsInvalid, InvalidCsv
from content.services import is_xlsx, iter_row_error_report
from imports.exceptions import ImportAlreadyRunning, UploadSessionClosed
from imports.models import UploadSession
from imports.selectors import live_upload_session
from imports.services.csv_import import ImportResult, import_csv
from imports.services.csv_jobs import IMPORT_JOB_KIND, queue_csv_import
from jobs.models import Job

if TYPE_CHECKING:
    from accounts.models import User


def stage_csv(*, actor: User | None, session_id: uuid.UUID | str, csv_data: bytes, csv_name: str) -> ImportResult:
    """A dry run of the file; when every row is valid it waits on the session for confirmation.

    When rows are invalid, their errors replace whatever was waiting (`pending_errors`, for
    `row_error_report`) and `CsvRowsInvalid` propagates.
    """
    try:
        result = import_csv(actor=actor, session_id=session_id, csv_data=csv_data, csv_name=csv_name, dry_run=True)
    except CsvRowsInvalid as exc:
        session = live_upload_session(session_id)
        session.pending_csv, session.pending_csv_name, session.pending_format = "", csv_name[:255], "csv"
        session.pending_errors = exc.errors or []
        session.save(update_fields=["pending_csv", "pending_csv_name", "pending_format", "pending_errors"])
        raise
    session = live_upload_session(session_id)
    if is_xlsx(csv_data, csv_name):
        session.pending_csv, session.pending_format = base64.b64encode(csv_data).decode("ascii"), "xlsx"
    else:
        session.pending_csv, session.pending_format = csv_data.decode("utf-8-sig"), "csv"
    session.pending_csv_name = csv_name[:255]
    session.pending_errors = []
    session.save(update_fields=["pending_csv", "pending_csv_name", "pending_format", "pending_errors"])
    return result


def _staged_data(session: UploadSession) -> bytes:
    if session.pending_format == "xlsx":
        return base64.b64decode(session.pending_csv)
    return session.pending_csv.encode()


def row_error_report(*, session_id: uuid.UUID | str) -> Iterator[str]:
    """The row errors of the session's last refused file, as CSV lines (just the header when there were none)."""
    return iter_row_error_report(live_upload_session(session_id).pending_errors or [])


def start_staged_import(*, actor: User | None, session_id: uuid.UUID | str) -> Job:
    """Queue the import of the session's checked CSV; refused while one is queued or running for it."""
    session = live_upload_session(session_id)
    if session.state != UploadSession.State.OPEN:
        raise UploadSessionClosed()
    if not session.pending_csv:
        raise InvalidCsv(_("There is no checked CSV waiting for this session; upload the CSV again."),
                         code="no_staged_csv")
    if Job.objects.filter(kind=IMPORT_JOB_KIND, params__session_id=str(session.id),
                          state__in=[Job.State.QUEUED, Job.State.RUNNING]).exists():
        raise ImportAlreadyRunning()
    csv_data = _staged_data(session)
    # Checked again: files of the session, or the speeches it edits, may have changed since the preview.
    plan = import_csv(actor=actor, session_id=session.id, csv_data=csv_data, csv_name=session.pending_csv_name,
                      dry_run=True).plan
    return queue_csv_import(actor=actor, session_id=session.id, csv_data=csv_data,
                            csv_name=session.pending_csv_name, source="admin", rows=plan.write_count)
