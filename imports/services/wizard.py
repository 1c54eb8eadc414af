"""The admin wizard's two-phase CSV step: check and preview first, import on "Confirm".

The CSV is kept on the session between the two requests, so the editor does not upload it
twice and the import runs on exactly the text that was previewed. "Confirm" starts a job
(a worker imports while the page shows its progress), so an import of any size never holds
the editor's request, and several editors can import at once.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from django.utils.translation import gettext as _

from content.exceptions import InvalidCsv
from imports.exceptions import ImportAlreadyRunning, UploadSessionClosed
from imports.models import UploadSession
from imports.selectors import live_upload_session
from imports.services.csv_import import ImportResult, import_csv
from imports.services.csv_jobs import IMPORT_JOB_KIND, queue_csv_import
from jobs.models import Job

if TYPE_CHECKING:
    from accounts.models import User


def stage_csv(*, actor: User | None, session_id: uuid.UUID | str, csv_data: bytes, csv_name: str) -> ImportResult:
    """A dry run of the CSV; when every row is valid the CSV waits on the session for confirmation."""
    result = import_csv(actor=actor, session_id=session_id, csv_data=csv_data, csv_name=csv_name, dry_run=True)
    session = live_upload_session(session_id)
    session.pending_csv = csv_data.decode("utf-8-sig")
    session.pending_csv_name = csv_name[:255]
    session.save(update_fields=["pending_csv", "pending_csv_name"])
    return result


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
    csv_data = session.pending_csv.encode()
    # Checked again: files of the session may have changed since the preview.
    plan = import_csv(actor=actor, session_id=session.id, csv_data=csv_data, dry_run=True).plan
    return queue_csv_import(actor=actor, session_id=session.id, csv_data=csv_data,
                            csv_name=session.pending_csv_name, source="admin", rows=len(plan.rows))
