"""Step 2 of an import: a CSV or XLSX that turns the session's audio files into speeches and
updates the speeches its rows name by id, all or nothing.

The order of work keeps storage and database consistent whatever fails:
1. read and check every row (content's CSV rules; nothing written yet; any bad row is a 422
   listing them all); rows naming a speech by id are updates, or unchanged when their values
   are the speech's own;
2. content's `write_speeches` in one transaction: this module's hook locks the session,
   checks it is still open, deletes whatever an earlier, interrupted attempt left in the
   session's copy batch and marks it imported; then the missing tags are created, every
   audio object (of a new speech, or the new audio of an updated one) copied to the speech's
   own key under the batch's folders (`audio/{level}/{session id hex}/`), the speeches and
   their tags inserted or updated; the audio an update replaced is deleted after the commit;
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
from content.services import NewSpeech, SpeechCsvPlan, SpeechUpdate, delete_batch_audio, plan_speech_csv, write_speeches
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
    """A speech the import created or updated, by its row."""

    row: int
    speech_id: uuid.UUID
    text: str


@dataclass
class ImportResult:
    session_id: uuid.UUID | None
    dry_run: bool
    plan: SpeechCsvPlan
    created: list[CreatedSpeech] = field(default_factory=list)
    updated: list[CreatedSpeech] = field(default_factory=list)

    @property
    def success_count(self) -> int:
        """Every valid row: created, updated and unchanged ones (or, in a dry run, that would be)."""
        return len(self.plan.rows)

    @property
    def create_count(self) -> int:
        return self.plan.create_count

    @property
    def update_count(self) -> int:
        return self.plan.update_count

    @property
    def unchanged_count(self) -> int:
        return self.plan.unchanged_count

    @property
    def error_count(self) -> int:
        return 0  # the import is all or nothing: with any error it is a 422 instead


def read_csv_upload(upload: BinaryIO) -> bytes:
    """The bytes of a CSV or XLSX (an upload or an open file), refusing (413) one over the limit.

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
    """Validate the CSV (or XLSX) against the session's files and the speeches its ids name; unless
    `dry_run`, create and update every speech or none. The session may hold no files when every
    row updates a speech without new audio."""
    session = live_upload_session(session_id)
    if session.state != UploadSession.State.OPEN:
        raise UploadSessionClosed()
    files = _session_files(session)
    plan = plan_speech_csv(csv_data=csv_data, available_files=set(files), file_name=csv_name)
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
                     {"source": source, "csv_filename": csv_name, "speeches_created": plan.create_count,
                      "speeches_updated": plan.update_count, "speeches_unchanged": plan.unchanged_count,
                      "tags_created": plan.new_tags}, actor=actor)
        originals = list(locked.files.values_list("storage_key", flat=True))
        transaction.on_commit(lambda: _delete_originals(originals), robust=True)

    creates, updates = plan.creates, plan.updates
    written = write_speeches(
        items=[NewSpeech(text=row.text, level=row.level, type=row.type, tag_names=tuple(row.tags),
                         audio_key=files[row.audio_filename].storage_key) for row in creates],
        updates=[SpeechUpdate(speech_id=row.speech_id, text=row.text, level=row.level, type=row.type,
                              tag_names=tuple(row.tags),
                              audio_key=files[row.audio_filename].storage_key if row.new_audio else "")
                 for row in updates],
        copy_audio=True, batch=session.copy_batch, actor=actor, source=f"import:{source}",
        in_transaction=close_session, progress=progress,
    )
    metrics.record_import(kind="csv", outcome="ok", speeches=len(written.ids) + len(written.updated_ids))
    return ImportResult(
        session_id=session.id, dry_run=False, plan=plan,
        created=[CreatedSpeech(row.row, speech_id, row.text)
                 for row, speech_id in zip(creates, written.ids, strict=True)],
        updated=[CreatedSpeech(row.row, row.speech_id, row.text) for row in updates])


def _delete_originals(originals: list[str]) -> None:
    # The speeches point at the copies now; an original that cannot be deleted is only
    # clutter, and `cleanup_uploads` removes it with its session later.
    failed = storage.delete_quietly(originals)
    if failed:
        logger.warning("%d uploaded originals could not be deleted after an import", failed)
