"""Step 1 of an import: audio files into an upload session (or an empty one, for a file that only
edits existing speeches), and removing sessions that expired."""

from __future__ import annotations

import logging
import unicodedata
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

import audit
from content.services import delete_batch_audio
from core import storage
from core.audio import CONTENT_TYPES, AudioTooLarge, UnsupportedAudioFormat, accept_audio
from core.observability import metrics
from imports.exceptions import AudioFileTooLarge, InvalidAudioFile, NoFilesUploaded, UploadSessionClosed
from imports.models import UploadedFile, UploadSession
from imports.selectors import expired_upload_sessions, live_upload_session

if TYPE_CHECKING:
    from accounts.models import User

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class CheckedFile:
    content: File
    original_filename: str
    name: str
    size: int
    format: str


@dataclass
class UploadResult:
    """The stored files and their session; with `keep_accepted`, also every refused file.

    `session` is None only when `keep_accepted` refused every file of a call that named no
    session: an empty session would be one more thing to expire.
    """

    session: UploadSession | None
    files: list[UploadedFile]
    refused: list[dict[str, str]] = field(default_factory=list)


def clean_filename(name: str) -> str:
    """The file name without any folder part, NFC-normalised, without control characters.

    The CSV refers to files by this name, and it becomes part of a storage key, so it
    must never climb out of the session's folder.
    """
    name = unicodedata.normalize("NFC", str(name or "")).replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(char for char in name if unicodedata.category(char)[0] != "C").strip()
    return "" if name in {".", ".."} else name[:200]


def check_audio_file(content: File) -> tuple[CheckedFile | None, str, str]:
    """(the checked file, "", "") or (None, "too_large" or "invalid", what is wrong).

    Core's audio rule decides; its refusals are collected here rather than raised, so one
    answer can name every bad file of a batch. The CSV refers to files by name, so the
    name's extension must agree with the format too.
    """
    original = str(content.name or "")
    name = clean_filename(original)
    try:
        audio_format = accept_audio(content, filename=name or None)
    except AudioTooLarge as exc:
        return None, "too_large", str(exc.detail)
    except UnsupportedAudioFormat as exc:
        return None, "invalid", str(exc.detail)
    if not name:
        return None, "invalid", _("The file has no usable name")
    return CheckedFile(content, original, name, content.size, audio_format), "", ""


def raise_file_problems(problems: list[tuple[str, str, str]]) -> None:
    """One error for every (filename, kind, message): 413 if any file is too large, else 400."""
    too_large = [{"filename": name, "error": message} for name, kind, message in problems if kind == "too_large"]
    invalid = [{"filename": name, "error": message} for name, kind, message in problems if kind != "too_large"]
    if too_large:
        names = ", ".join(item["filename"] for item in too_large)
        raise AudioFileTooLarge(_("Too large (over {limit} bytes): {names}.").format(
            limit=settings.MAX_UPLOAD_BYTES, names=names), errors=too_large)
    if invalid:
        names = ", ".join(item["filename"] for item in invalid)
        raise InvalidAudioFile(_("Not accepted (only MP3, WAV and M4A files): {names}.").format(names=names),
                               errors=invalid)


def sort_audio_files(files: Sequence[File]) -> tuple[list[CheckedFile], list[tuple[str, str, str]]]:
    """The acceptable files, and (filename, kind, message) for each refused one; nothing is stored."""
    if not files:
        raise NoFilesUploaded()
    checked: list[CheckedFile] = []
    problems: list[tuple[str, str, str]] = []
    for content in files:
        item, kind, message = check_audio_file(content)
        if item is None:
            problems.append((str(content.name or ""), kind, message))
        else:
            checked.append(item)
    return checked, problems


def _unique_name(name: str, taken: set[str]) -> str:
    if name not in taken:
        return name
    path = PurePosixPath(name)
    counter = 1
    while f"{path.stem}_{counter}{path.suffix}" in taken:
        counter += 1
    return f"{path.stem}_{counter}{path.suffix}"


def upload_audio_files(*, actor: User | None, files: Sequence[File], session_id: uuid.UUID | str | None = None,
                       progress: storage.Progress = None, keep_accepted: bool = False) -> UploadResult:
    """Store audio files in a new upload session, or add them to an open one.

    Any staff member may add to any open session (editors share the work of a large
    import). Every file is checked before the first is stored; if storing fails
    half-way, the files of this call already stored are deleted again.

    By default one refused file refuses the call (the API's documented contract). With
    `keep_accepted` (the admin wizard, which sends a large selection in batches) the good
    files are stored and the refused ones come back in `UploadResult.refused` as
    `{"filename", "error"}`; a storage failure still stores nothing of the call.
    """
    checked, problems = sort_audio_files(files)
    if not keep_accepted:
        raise_file_problems(problems)
    refused = [{"filename": name, "error": message} for name, _kind, message in problems]
    if not checked:
        # Nothing to store: the session named (if any) must still be usable, so that the
        # caller hears "expired" now rather than on its next batch.
        return UploadResult(session=_open_session(session_id) if session_id else None, files=[], refused=refused)
    stored_keys: list[str] = []
    try:
        with transaction.atomic():
            if session_id:
                session = _open_session(session_id, for_update=True)
            else:
                session = _new_session(actor)
            taken = set(session.files.values_list("stored_name", flat=True))
            names = []
            for item in checked:
                names.append(_unique_name(item.name, taken))
                taken.add(names[-1])
            stored_keys = storage.put_many(
                [(f"{session.storage_prefix}{name}", item.content, CONTENT_TYPES[item.format])
                 for name, item in zip(names, checked, strict=True)],
                progress=progress,
            )
            uploaded = UploadedFile.objects.bulk_create([
                UploadedFile(session=session, original_filename=item.original_filename[:255], stored_name=name,
                             storage_key=key, size_bytes=item.size, format=item.format)
                for name, key, item in zip(names, stored_keys, checked, strict=True)
            ])
            changes = {"files": len(uploaded), "bytes": sum(item.size for item in checked)}
            if refused:
                changes["refused"] = len(refused)
            audit.record("import.audio_uploaded", session, changes, actor=actor)
    except BaseException:
        storage.delete_quietly(stored_keys)
        raise
    metrics.record_import(kind="audio", outcome="ok")
    return UploadResult(session=session, files=uploaded, refused=refused)


def open_upload_session(*, actor: User | None) -> UploadSession:
    """A new, empty upload session: for a CSV that only edits existing speeches and uploads no audio.

    Files may still be added to it later, as to any open session; it expires like the others.
    """
    with transaction.atomic():
        session = _new_session(actor)
        audit.record("import.session_opened", session, {"files": 0}, actor=actor)
    return session


def _new_session(actor: User | None) -> UploadSession:
    return UploadSession.objects.create(
        created_by=actor if actor is not None and actor.pk else None,
        expires_at=timezone.now() + timedelta(hours=settings.IMPORT_SESSION_TTL_HOURS),
    )


def _open_session(session_id: uuid.UUID | str, *, for_update: bool = False) -> UploadSession:
    session = live_upload_session(session_id, for_update=for_update)
    if session.state != UploadSession.State.OPEN:
        raise UploadSessionClosed()
    return session


def delete_upload_session(session_id: uuid.UUID) -> int | None:
    """Delete an expired session, its file rows and whatever is still stored for it.

    That is its folder of uploads (an import deletes them after its commit, unless it was
    killed first) and, unless it was imported, the copies an interrupted import left in its
    copy batch; an imported session's copies are its speeches' audio. Returns the number of
    objects deleted, or None when the session is gone or busy (an import that started just
    before the expiry holds its lock; the next cleanup gets it). If the storage fails, the
    session stays, so the next cleanup still knows where to look.
    """
    with transaction.atomic():
        session = (expired_upload_sessions().select_for_update(skip_locked=True)
                   .filter(pk=session_id).first())
        if session is None:
            return None
        deleted_objects = 0
        if session.state != UploadSession.State.IMPORTED:
            deleted_objects += delete_batch_audio(batch=session.copy_batch)
        deleted_objects += storage.delete_prefix(session.storage_prefix)
        session.delete()
    return deleted_objects


def cleanup_expired_sessions() -> tuple[int, int]:
    """Remove every expired session and its stored objects. Returns (sessions, objects) removed."""
    sessions = deleted_objects = 0
    for session_id in list(expired_upload_sessions().values_list("id", flat=True)):
        try:
            deleted = delete_upload_session(session_id)
        except storage.StorageUnavailable:
            # One session's storage trouble must not keep the others; this one is tried next time.
            logger.warning("Upload session %s kept: its stored objects could not all be deleted", session_id)
            continue
        if deleted is not None:
            sessions += 1
            deleted_objects += deleted
    return sessions, deleted_objects
