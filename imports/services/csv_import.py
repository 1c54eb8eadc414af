"""Step 2 of an import: a CSV that turns the session's audio files into speeches, all or nothing.

The order of work keeps storage and database consistent whatever fails:
1. read and check every row (nothing written yet; any bad row is a 422 listing them all);
2. in one transaction: create the missing tags, copy every audio object to
   `audio/{level}/...`, create the speeches and their tags in bulk, close the session;
3. only after the commit delete the uploaded originals.
If a copy or the database fails, the copies made so far are deleted and the transaction
rolls back: no speech remains and the session's originals are untouched, so the same
session can be imported again.
"""

import logging
import re
import uuid
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from django.conf import settings
from django.db import transaction
from django.utils import timezone

import audit
from core.observability import metrics
from content.models import Speech, SpeechTag, Tag
from content.services import invalidate_content_caches
from imports import objects
from imports.csv_format import ImportRow, check_rows, read_csv
from imports.exceptions import CsvRowsInvalid, CsvTooLarge, InvalidCsv, UploadSessionClosed
from imports.models import UploadedFile, UploadSession
from imports.selectors import existing_tags_by_lower_name, live_upload_session

logger = logging.getLogger(__name__)

# A suffix this module added on an earlier import; dropped before adding a new one, so that
# exporting and importing again does not grow the names.
_OUR_SUFFIX = re.compile(r"-[0-9a-f]{12}$")


@dataclass(frozen=True)
class ImportPlan:
    rows: list[ImportRow]
    # Tag names the import creates (first spelling seen), and all tag names it uses.
    new_tags: list[str]


@dataclass
class CreatedSpeech:
    row: int
    speech: Speech


@dataclass
class ImportResult:
    session_id: uuid.UUID | None
    dry_run: bool
    plan: ImportPlan
    created: list[CreatedSpeech] = field(default_factory=list)

    @property
    def success_count(self) -> int:
        return len(self.plan.rows)

    @property
    def error_count(self) -> int:
        return 0  # the import is all or nothing: with any error it is a 422 instead


def read_csv_upload(upload) -> bytes:
    """The bytes of an uploaded CSV, refusing (413) one over the limit without reading all of it."""
    limit = settings.IMPORT_CSV_MAX_BYTES
    upload.seek(0)
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise CsvTooLarge(f"The CSV is larger than {limit} bytes.")
    return data


def plan_import(csv_data: bytes, *, available_files: set[str]) -> ImportPlan:
    """Every row checked against the files available; `CsvRowsInvalid` lists every row error."""
    if len(csv_data) > settings.IMPORT_CSV_MAX_BYTES:
        raise CsvTooLarge(f"The CSV is larger than {settings.IMPORT_CSV_MAX_BYTES} bytes.")
    records = read_csv(csv_data)
    if not records:
        raise InvalidCsv("The CSV has a header but no rows.", code="csv_empty")
    rows, errors = check_rows(records, available_files)
    if errors:
        bad_rows = len({error.row for error in errors})
        raise CsvRowsInvalid(
            f"{bad_rows} of {len(records)} rows are invalid ({len(errors)} errors); nothing was imported.",
            errors=[error.as_dict() for error in errors],
        )
    existing = existing_tags_by_lower_name([tag for row in rows for tag in row.tags])
    new_tags: dict[str, str] = {}
    for row in rows:
        for tag in row.tags:
            if tag.lower() not in existing:
                new_tags.setdefault(tag.lower(), tag)
    return ImportPlan(rows=rows, new_tags=list(new_tags.values()))


def permanent_audio_key(level: str, filename: str) -> str:
    """`audio/{level}/{name}-{random}{ext}`: readable, and unique without asking the storage."""
    path = PurePosixPath(filename)
    stem = _OUR_SUFFIX.sub("", path.stem) or "audio"
    return f"audio/{level}/{stem}-{uuid.uuid4().hex[:12]}{path.suffix.lower()}"


def _session_files(session: UploadSession) -> dict[str, UploadedFile]:
    return {upload.stored_name: upload for upload in session.files.all()}


def import_csv(*, user, session_id, csv_data: bytes, csv_name: str = "", dry_run: bool = False,
               source: str = "api", progress: objects.Progress = None) -> ImportResult:
    """Validate the CSV against the session's files; unless `dry_run`, create every speech or none."""
    session = live_upload_session(session_id)
    if session.state != UploadSession.State.OPEN:
        raise UploadSessionClosed()
    plan = plan_import(csv_data, available_files=set(_session_files(session)))
    if dry_run:
        return ImportResult(session_id=session.id, dry_run=True, plan=plan)
    return _execute(user=user, session_id=session.id, plan=plan, csv_name=csv_name, source=source,
                    progress=progress)


def _ensure_tags(names: list[str]) -> dict[str, Tag]:
    """Tags by lower-cased name, creating the missing ones once each."""
    tags = existing_tags_by_lower_name(names)
    missing: dict[str, str] = {}
    for name in names:
        if name.lower() not in tags:
            missing.setdefault(name.lower(), name)
    if missing:
        # An editor may create one of these tags at the same moment; theirs is then used.
        Tag.objects.bulk_create([Tag(name=name) for name in missing.values()], ignore_conflicts=True)
        tags = existing_tags_by_lower_name(names)
    return tags


def _execute(*, user, session_id, plan: ImportPlan, csv_name: str, source: str,
             progress: objects.Progress) -> ImportResult:
    copies: list[str] = []
    committed = False

    def mark_committed() -> None:
        nonlocal committed
        committed = True

    try:
        with transaction.atomic():
            # First hook to run after the commit: from then on the copies belong to the speeches,
            # even if a later hook fails.
            transaction.on_commit(mark_committed)
            # Locked, and checked again: a second import of the same session waits here, then finds it closed.
            session = live_upload_session(session_id, for_update=True)
            if session.state != UploadSession.State.OPEN:
                raise UploadSessionClosed()
            files = _session_files(session)
            tags = _ensure_tags([tag for row in plan.rows for tag in row.tags])

            copies = objects.copy_many(
                [(files[row.audio_filename].storage_key, permanent_audio_key(row.level, row.audio_filename))
                 for row in plan.rows],
                progress=progress,
            )
            speeches = [Speech(text=row.text, level=row.level, type=row.type, audio=key)
                        for row, key in zip(plan.rows, copies)]
            Speech.objects.bulk_create(speeches, batch_size=1000)
            SpeechTag.objects.bulk_create(
                [SpeechTag(speech=speech, tag=tags[name.lower()])
                 for row, speech in zip(plan.rows, speeches) for name in row.tags],
                batch_size=2000,
            )
            session.state = UploadSession.State.IMPORTED
            session.imported_at = timezone.now()
            session.pending_csv = ""
            session.save(update_fields=["state", "imported_at", "pending_csv"])
            audit.record("import.csv_imported", session,
                         {"source": source, "csv_filename": csv_name, "speeches_created": len(speeches),
                          "tags_created": plan.new_tags}, actor=user)
            invalidate_content_caches()
            originals = [upload.storage_key for upload in files.values()]
            transaction.on_commit(lambda: _delete_originals(originals), robust=True)
    except BaseException:
        if not committed:  # rolled back (or the commit failed): the copies are nobody's
            objects.delete_quietly(copies)
        raise
    metrics.record_import(kind="csv", outcome="ok", speeches=len(speeches))
    return ImportResult(session_id=session.id, dry_run=False, plan=plan,
                        created=[CreatedSpeech(row.row, speech) for row, speech in zip(plan.rows, speeches)])


def _delete_originals(originals: list[str]) -> None:
    # The speeches point at the copies now; an original that cannot be deleted is only
    # clutter, and `cleanup_uploads` removes it with its session later.
    failed = objects.delete_quietly(originals)
    if failed:
        logger.warning("%d uploaded originals could not be deleted after an import", failed)

