"""CSV imports too large for one request run as a job; small ones keep the contract's direct answer.

The CSV (or XLSX) is checked in the request (a bad row is still a 422 at once); above
IMPORT_SYNC_MAX_ROWS rows to write (created or updated; unchanged rows cost nothing) the
writing runs on a worker as job kind `import_csv`, with its progress (audio files copied,
updates without new audio once written) on the job. A worker killed mid-import leaves the session open and
its copies in the session's batch folder; the job's next attempt (import_csv) deletes them
and starts again, so nothing is half-written whichever attempt finishes.
"""

from __future__ import annotations

import base64
import uuid
from typing import TYPE_CHECKING, Any

from django.conf import settings

from imports.exceptions import UploadSessionClosed
from imports.services.csv_import import ImportResult, import_csv
from jobs.models import Job
from jobs.services import Progress, create_job

if TYPE_CHECKING:
    from accounts.models import User

IMPORT_JOB_KIND = "import_csv"


def start_csv_import(*, actor: User | None, session_id: uuid.UUID | str, csv_data: bytes, csv_name: str = "",
                     source: str = "api") -> ImportResult | Job:
    """Import at once (ImportResult) or queue a job (Job) by the number of rows to write; invalid files raise
    either way."""
    plan = import_csv(actor=actor, session_id=session_id, csv_data=csv_data, csv_name=csv_name, dry_run=True,
                      source=source).plan
    if plan.write_count <= settings.IMPORT_SYNC_MAX_ROWS:
        return import_csv(actor=actor, session_id=session_id, csv_data=csv_data, csv_name=csv_name, source=source)
    return queue_csv_import(actor=actor, session_id=session_id, csv_data=csv_data, csv_name=csv_name, source=source,
                            rows=plan.write_count)


def queue_csv_import(*, actor: User | None, session_id: uuid.UUID | str, csv_data: bytes, csv_name: str = "",
                     source: str = "api", rows: int = 0) -> Job:
    """A job that imports the (already checked) CSV or XLSX into the session on a worker; `rows` to write."""
    from imports.tasks import run_csv_import

    return create_job(
        kind=IMPORT_JOB_KIND, actor=actor, total=rows, enqueue=run_csv_import.delay,
        params={"session_id": str(session_id), "csv_name": csv_name, "source": source,
                # base64: the CSV's own bytes, whatever its encoding quirks (a BOM), survive JSON.
                "csv": base64.b64encode(csv_data).decode("ascii")},
    )


def run_csv_import_job(job: Job, progress: Progress) -> dict[str, Any]:
    params = job.params
    try:
        result = import_csv(actor=job.started_by, session_id=params["session_id"],
                            csv_data=base64.b64decode(params["csv"]), csv_name=params.get("csv_name", ""),
                            source=params.get("source", "api"), progress=progress)
    except UploadSessionClosed:
        if job.attempts > 1:  # an earlier attempt committed, then lost its worker before saying so
            return {"upload_session_id": params["session_id"], "imported_by_earlier_attempt": True}
        raise
    return {"upload_session_id": str(result.session_id), "speeches_created": len(result.created),
            "speeches_updated": len(result.updated), "speeches_unchanged": result.unchanged_count,
            "tags_created": result.plan.new_tags,
            "speech_ids": [str(speech.speech_id) for speech in result.created],
            "updated_speech_ids": [str(speech.speech_id) for speech in result.updated]}
