"""Step 2 of an import: a CSV that turns the session's audio files into speeches, all or nothing.

The order of work keeps storage and database consistent whatever fails:
1. read and check every row (content's CSV rules; nothing written yet; any bad row is a 422
   listing them all);
2. content's `create_speeches` in one transaction: this module's hook locks the session,
   checks it is still open, deletes whatever an earlier, interrupted attempt left in the
   session's copy batch and marks it imported; then the missing tags are created, every
   audio object copied to the speech's own key under the batch's folders
   (`audio/{level}/{session id hex}/`), the speeches and their tags inserted;
3. only after the commit the uploaded originals are deleted.
If a copy or the database fails, the copies made so far are deleted and the transaction
rolls back: no speech remains and the session's originals are untouched, so the same
session can be imported again. If the process is killed instead (nothing of it runs any
more), the database rolls back by itself and the copies stay in the batch's folders, where
nothing else is stored: importing the session again deletes them first (step 2, under the
lock, so never while another attempt copies), and `cleanup_uploads` deletes them with the
session once it expires unimported. A kill after the commit leaves only the originals,
which `cleanup_uploads` deletes when the session expires.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, BinaryIO

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

import audit
from content.exceptions import CsvTooLarge
from content.services import NewSpeech, SpeechCsvPlan, create_speeches, delete_batch_audio, plan_speech_csv
from core import storage
from core.observability import metrics
from imports.exceptions import UploadSessionClosed
from imports.models import UploadedFile, UploadSession
from imports.selectors import live_upload_session

if TYPE_CHECKING:
    from accounts.models import User

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class CreatedSpeech:
    row: int
    speech_id: uuid.UUID
    text: str


@dataclass
class ImportResult:
    session_id: uuid.UUID | None
    dry_run: bool
    plan: SpeechCsvPlan
    created: list[CreatedSpeech] = field(default_factory=list)

    @property
    def success_count(self) -> int:
        return len(self.plan.rows)

    @property
    def error_count(self) -> int:
        return 0  # the import is all or nothing: with any error it is a 422 instead


def read_csv_upload(upload: BinaryIO) -> bytes:
    """The bytes of a CSV (an upload or an open file), refusing (413) one over the limit.

    The one place the CSV size is checked: every way in (API, admin wizard, command) reads
    the CSV through here, and never more than one byte past the limit.
    """
    limit = settings.IMPORT_CSV_MAX_BYTES
    upload.seek(0)
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise CsvTooLarge(gettext("The CSV is larger than {limit} bytes.").format(limit=limit))
    return data


def _session_files(session: UploadSession) -> dict[str, UploadedFile]:
    return {upload.stored_name: upload for upload in session.files.all()}


def import_csv(*, actor: User | None, session_id: uuid.UUID | str, csv_data: bytes, csv_name: str = "",
               dry_run: bool = False, source: str = "api", progress: storage.Progress = None) -> ImportResult:
    """Validate the CSV against the session's files; unless `dry_run`, create every speech or none."""
    session = live_upload_session(session_id)
    if session.state != UploadSession.State.OPEN:
        raise UploadSessionClosed()
    files = _session_files(session)
    plan = plan_speech_csv(csv_data=csv_data, available_files=set(files))
    if dry_run:
        return ImportResult(session_id=session.id, dry_run=True, plan=plan)

    def close_session() -> None:
        # Locked, and checked again: a second import of the same session waits here, then finds it closed.
        locked = live_upload_session(session.id, for_update=True)
        if locked.state != UploadSession.State.OPEN:
            raise UploadSessionClosed()
        # An attempt killed half-way could not delete its copies; the lock means none is copying now.
        leftovers = delete_batch_audio(batch=locked.copy_batch)
        if leftovers:
            logger.info("Deleted %d copies an interrupted import of upload session %s left", leftovers, locked.id)
        locked.state = UploadSession.State.IMPORTED
        locked.imported_at = timezone.now()
        locked.pending_csv = ""
        locked.save(update_fields=["state", "imported_at", "pending_csv"])
        audit.record("import.csv_imported", locked,
                     {"source": source, "csv_filename": csv_name, "speeches_created": len(plan.rows),
                      "tags_created": plan.new_tags}, actor=actor)
        originals = list(locked.files.values_list("storage_key", flat=True))
        transaction.on_commit(lambda: _delete_originals(originals), robust=True)

    created = create_speeches(
        items=[NewSpeech(text=row.text, level=row.level, type=row.type, tag_names=tuple(row.tags),
                         audio_key=files[row.audio_filename].storage_key) for row in plan.rows],
        copy_audio=True, batch=session.copy_batch, actor=actor, source=f"import:{source}",
        in_transaction=close_session, progress=progress,
    )
    metrics.record_import(kind="csv", outcome="ok", speeches=len(created.ids))
    return ImportResult(session_id=session.id, dry_run=False, plan=plan, created=[
        CreatedSpeech(row.row, speech_id, row.text) for row, speech_id in zip(plan.rows, created.ids, strict=True)])


def _delete_originals(originals: list[str]) -> None:
    # The speeches point at the copies now; an original that cannot be deleted is only
    # clutter, and `cleanup_uploads` removes it with its session later.
    failed = storage.delete_quietly(originals)
    if failed:
        logger.warning("%d uploaded originals could not be deleted after an import", failed)
