"""The `import_csv` command's way in: audio files from a folder instead of an upload request.

The rows are checked against the folder's file names and the referenced files' formats
before anything is stored, so an invalid CSV or file writes nothing at all. Then the
files go through the same upload session and CSV import as the API's.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING

from django.core.files import File

from content.services import plan_speech_csv
from core import storage
from imports.services.csv_import import ImportResult, import_csv
from imports.services.csv_jobs import queue_csv_import
from imports.services.uploads import (
    check_audio_file,
    clean_filename,
    open_upload_session,
    raise_file_problems,
    upload_audio_files,
)

if TYPE_CHECKING:
    from accounts.models import User
    from jobs.models import Job

UPLOAD_BATCH = 500

ProgressFactory = Callable[[str, int], storage.Progress]


def _folder_files(audio_dir: Path) -> dict[str, Path]:
    return {clean_filename(path.name): path for path in sorted(audio_dir.iterdir()) if path.is_file()}


def _check_folder_files(paths: list[Path]) -> None:
    problems = []
    for path in paths:
        with open(path, "rb") as handle:
            item, kind, message = check_audio_file(File(handle, name=path.name))
        if item is None:
            problems.append((path.name, kind, message))
    raise_file_problems(problems)


def import_directory(*, actor: User | None, audio_dir: Path, csv_data: bytes, csv_name: str = "", dry_run: bool = False,
                     progress: ProgressFactory | None = None, as_job: bool = False) -> ImportResult | Job:
    """Import the CSV with audio from `audio_dir`. `progress(label, total)` returns a step callback.

    With `as_job` the files are uploaded here and the speeches created by a worker (the Job).
    """
    available = _folder_files(audio_dir)
    plan = plan_speech_csv(csv_data=csv_data, available_files=set(available), file_name=csv_name)
    # Rows that update a speech and keep its audio need no file of the folder.
    referenced = [available[row.audio_filename] for row in plan.rows if row.new_audio]
    _check_folder_files(referenced)
    if dry_run:
        return ImportResult(session_id=None, dry_run=True, plan=plan)

    step = progress("Uploading audio", len(referenced)) if progress else None
    session_id = None
    # In batches, so a folder of 10 000 clips never holds 10 000 open files.
    for start in range(0, len(referenced), UPLOAD_BATCH):
        batch = referenced[start:start + UPLOAD_BATCH]
        with ExitStack() as stack:
            contents = [File(stack.enter_context(open(path, "rb")), name=path.name) for path in batch]
            uploaded = upload_audio_files(actor=actor, files=contents, session_id=session_id, progress=step)
        session_id = uploaded.session.id
    if session_id is None:  # the file only edits speeches: no audio to upload
        session_id = open_upload_session(actor=actor).id

    if as_job:
        return queue_csv_import(actor=actor, session_id=session_id, csv_data=csv_data, csv_name=csv_name,
                                source="command", rows=plan.write_count)
    step = progress("Writing speeches", plan.write_count) if progress else None
    return import_csv(actor=actor, session_id=session_id, csv_data=csv_data, csv_name=csv_name,
                      source="command", progress=step)
