"""A speech's audio: accepting an upload, storing it under the content key layout, tidying up."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import islice

from django.conf import settings
from django.core.files import File
from django.utils import timezone
from django.utils.translation import gettext as _

import audit
from content.exceptions import AudioNotInStorage
from content.models import Level, Speech
from content.rules import batch_audio_prefixes, speech_audio_key
from core import storage
from core.audio import EXTENSIONS, AudioFormat, UnsupportedAudioFormat, accept_audio
from core.exceptions import InvalidInput

AUDIO_KEY_MAX_LENGTH = Speech._meta.get_field("audio").max_length
# Keys per Speech query and per delete: the most one S3 DeleteObjects request takes.
SWEEP_PAGE = 1000


def validate_audio_upload(*, audio_file: File) -> AudioFormat:
    """The format of an acceptable upload; core's AudioTooLarge (413) or UnsupportedAudioFormat (400).

    The editor API has always named the refused field, so the 400 says `errors.audio`.
    """
    try:
        return accept_audio(audio_file)
    except UnsupportedAudioFormat as exc:
        raise UnsupportedAudioFormat(errors={"audio": [str(exc.detail)]}) from exc


def store_audio_upload(*, audio_file: File, level: str) -> str:
    """Check and store an uploaded file; returns its storage key."""
    audio_format = validate_audio_upload(audio_file=audio_file)
    # Our own name: the client's file name is neither trusted nor needed.
    return storage.save(speech_audio_key(level, f"speech{EXTENSIONS[audio_format]}"), audio_file)


def existing_audio_key(key: str) -> str:
    """`key` when it names a stored object a speech may point at, else a 400 naming `audio_key`."""
    key = (key or "").strip()
    if (not key or key.startswith("/") or "\\" in key or ".." in key.split("/")
            or len(key) > AUDIO_KEY_MAX_LENGTH):
        raise InvalidInput(_("Invalid audio key."), code="invalid_audio_key",
                           errors={"audio_key": [_("Give the storage key of an uploaded audio object.")]})
    if not storage.exists(key):
        raise AudioNotInStorage(errors={"audio_key": [
            _("No stored audio object has the key {key}.").format(key=repr(key))]})
    return key


def delete_if_unreferenced(key: str) -> None:
    """Delete a stored object no speech points at any more (an orphan is harmless if this fails)."""
    if key and not Speech.objects.filter(audio=key).exists():
        storage.delete_quietly([key])


def delete_batch_audio(*, batch: str) -> int:
    """Delete what is stored in the folders of a `create_speeches` batch; returns how many objects.

    For a caller that knows the batch never committed (an import retried after it was
    killed, the cleanup of a session never imported): its copies are nobody's audio. An
    object a speech points at all the same (an editor may set any stored key as a speech's
    audio) is kept. `StorageUnavailable` if the storage cannot list or delete them all.
    """
    deleted = 0
    for prefix in batch_audio_prefixes(batch, Level.values):
        def referenced(keys: list[str], prefix: str = prefix) -> set[str]:
            # Asked only when something is stored there: the first attempt of an import finds nothing.
            return set(Speech.objects.filter(audio__startswith=prefix).values_list("audio", flat=True))
        deleted += storage.delete_prefix(prefix, keep=referenced)
    return deleted


@dataclass
class SweepResult:
    """What one sweep found in content's audio folders; in a dry run `deleted` is what would have been."""

    scanned: int = 0
    too_recent: int = 0  # kept: younger than the minimum age
    referenced: int = 0  # kept: a speech (archived ones too) points at it
    deleted: int = 0
    failed: int = 0  # unreferenced, but the storage refused to delete it: the next sweep tries again
    min_age_seconds: int = 0
    dry_run: bool = False


def swept_audio_prefixes() -> list[str]:
    """The folders content writes audio to: the only ones the sweep looks in.

    `audio/{level}/` holds editor uploads and the batch folders of bulk copies, `audio/demo/`
    the seed's clips. Anything else under `audio/` has another owner with its own cleanup
    (imports' upload sessions under `audio/uploads/`, removed by `cleanup_uploads`), so the
    sweep needs to know nothing about it and can never delete a file waiting for its CSV.
    """
    from content.seeding import DEMO_AUDIO_PREFIX  # seeding imports this package: not at import time

    return [f"audio/{level}/" for level in Level.values] + [DEMO_AUDIO_PREFIX]


def sweep_unreferenced_audio(*, min_age_seconds: int | None = None, dry_run: bool = False) -> SweepResult:
    """Delete the stored objects in content's audio folders that no speech points at.

    Such orphans are left by work that died between storing audio and committing the row
    that points at it, or by a tidy-up that failed (`delete_if_unreferenced` only logs).
    Objects younger than `min_age_seconds` (default AUDIO_SWEEP_MIN_AGE_SECONDS) are kept:
    a bulk write copies its audio before its transaction commits, so until then no speech
    row points at the copies, and the age is the only sign that they are still wanted. The
    minimum age must therefore exceed the longest bulk write (a million-row import on S3
    can copy for an hour).

    The walk is a page of `SWEEP_PAGE` keys at a time, each page checked with one query and
    deleted with one request, so memory stays flat however much is stored; it holds no
    transaction. What it cannot rule out: an editor pointing a speech at an orphan older
    than the minimum age in the instant between its check and the delete.

    One audit row `audio.swept` with the counts when something was deleted (also when the
    storage failed part-way, before `StorageUnavailable` propagates).
    """
    min_age = settings.AUDIO_SWEEP_MIN_AGE_SECONDS if min_age_seconds is None else min_age_seconds
    if min_age < 0:
        raise ValueError("The minimum age of swept audio is zero seconds or more.")
    cutoff = timezone.now() - timedelta(seconds=min_age)
    result = SweepResult(min_age_seconds=min_age, dry_run=dry_run)
    try:
        for prefix in swept_audio_prefixes():
            for page in _pages(storage.list_objects(prefix)):
                _sweep_page(page, cutoff=cutoff, result=result)
    finally:
        if result.deleted and not dry_run:
            audit.record("audio.swept", ("audio", ""), {
                "deleted": result.deleted, "failed": result.failed, "scanned": result.scanned,
                "referenced": result.referenced, "too_recent": result.too_recent, "min_age_seconds": min_age})
    return result


def _pages(objects: Iterable[storage.StoredObject]) -> Iterator[list[storage.StoredObject]]:
    iterator = iter(objects)
    while page := list(islice(iterator, SWEEP_PAGE)):
        yield page


def _sweep_page(page: list[storage.StoredObject], *, cutoff: datetime, result: SweepResult) -> None:
    result.scanned += len(page)
    # The age first: it costs nothing, and young objects need no query.
    old = [item.key for item in page if item.modified <= cutoff]
    result.too_recent += len(page) - len(old)
    if not old:
        return
    # The default manager: an archived speech keeps its audio (old sessions still play it).
    referenced = set(Speech.objects.filter(audio__in=old).values_list("audio", flat=True))
    orphans = [key for key in old if key not in referenced]
    result.referenced += len(old) - len(orphans)
    failed = storage.delete_quietly(orphans) if orphans and not result.dry_run else 0
    result.deleted += len(orphans) - failed
    result.failed += failed
