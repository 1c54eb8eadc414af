"""Creating many speeches at once: the one bulk write path, used by imports and the seed.

Copies made for a batch are deleted again when the batch fails, in this process. A process
that is killed (SIGKILL, out of memory, a lost machine) deletes nothing, so a caller that
copies names its `batch`: the copies then live in the batch's own folders, where the
caller's retry or cleanup removes them with `delete_batch_audio` (imports use the upload
session's id).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

import audit
from content.models import Speech, SpeechTag, Tag
from content.rules import speech_audio_key, tag_name_key
from content.services.caches import invalidate_content_caches
from content.services.speeches import check_speech_fields
from content.services.tags import tags_for_names
from core import storage
from core.exceptions import InvalidInput

if TYPE_CHECKING:
    from accounts.models import User

# From this many rows on, PostgreSQL loads them with COPY (a million rows in seconds, where
# INSERTs take minutes); smaller batches gain nothing from it.
COPY_MIN_ROWS = 1000
INSERT_BATCH = 1000
# The first problems are enough to fix a caller; a million of them would not fit a response.
MAX_REPORTED_PROBLEMS = 50


@dataclass(frozen=True, slots=True)
class NewSpeech:
    """A speech to create. `audio_key` is a stored object: copied to the speech's own key, or used as is."""

    text: str
    level: str
    type: str
    tag_names: tuple[str, ...] = ()
    audio_key: str = ""


@dataclass
class CreatedSpeeches:
    """What `create_speeches` made: ids and audio keys in the order of the items, and new tag names."""

    ids: list[uuid.UUID] = field(default_factory=list)
    audio_keys: list[str] = field(default_factory=list)
    tags_created: list[str] = field(default_factory=list)


def _check_items(items: Sequence[NewSpeech]) -> None:
    problems: list[str] = []
    for index, item in enumerate(items):
        errors = check_speech_fields(text=item.text, level=item.level, type=item.type)
        if not item.audio_key:
            errors["audio_key"] = [_("A stored audio object is required.")]
        problems += [_("Item {index}: {field}: {problems}").format(index=index, field=name, problems=" ".join(messages))
                     for name, messages in errors.items()]
        if len(problems) >= MAX_REPORTED_PROBLEMS:
            break
    if problems:
        raise InvalidInput(_("Some speeches cannot be created."), errors={"items": problems[:MAX_REPORTED_PROBLEMS]})


def create_speeches(*, items: Sequence[NewSpeech], copy_audio: bool, actor: User | None = None,
                    source: str = "", in_transaction: Callable[[], None] | None = None,
                    progress: storage.Progress = None, batch: str = "") -> CreatedSpeeches:
    """Create every item (with its tags, creating missing ones) or none, in one transaction.

    With `copy_audio`, each item's audio object is copied to the speech's own key under
    `audio/{level}/` (the source stays: the caller owns it), under `audio/{level}/{batch}/`
    when `batch` is given; without, the keys are used as they are and the caller vouches
    that they are stored (the seed's deterministic keys). One audit row `speech.bulk_create`
    records the batch, and the content caches are invalidated. If anything fails, the commit
    itself included, the copies made here are deleted again, so storage never keeps objects
    no speech points at; if the process dies instead, they wait in the batch's folders for
    the caller's `delete_batch_audio`.

    `in_transaction` runs first inside the transaction, before any copy. It is how a caller
    makes its own rows change atomically with the speeches: imports locks its upload
    session there, checks that it is still open and marks it imported, so a second run of
    the same import waits for the lock, then finds the session closed, and nothing is
    created twice. A hook rather than "call this inside your own transaction.atomic()":
    only the service that owns the transaction can tell a rollback or a failed commit from
    success, and so only it can reliably remove the copies it made. Whatever the hook
    raises rolls everything back and propagates.
    """
    _check_items(items)
    copies: list[str] = []
    committed = False

    def mark_committed() -> None:
        nonlocal committed
        committed = True

    try:
        with transaction.atomic():
            # The first hook to run after the commit: from then on the copies belong to the
            # speeches, even if a later hook fails.
            transaction.on_commit(mark_committed)
            if in_transaction is not None:
                in_transaction()
            # In order of appearance (dict, not set): the first spelling of a new tag wins.
            tags, tags_created = tags_for_names(names=dict.fromkeys(name for item in items for name in item.tag_names))
            if copy_audio:
                copies = storage.copy_many(
                    [(item.audio_key, speech_audio_key(item.level, PurePosixPath(item.audio_key).name, batch=batch))
                     for item in items], progress=progress)
                keys = copies
            else:
                keys = [item.audio_key for item in items]
            ids = [uuid.uuid4() for _ in items]
            _insert(items, ids, keys, tags)
            audit.record("speech.bulk_create", ("speech", ""),
                         {"source": source, "speeches_created": len(items), "tags_created": tags_created},
                         actor=actor)
            invalidate_content_caches()
    except BaseException:
        if not committed:  # rolled back, or the commit failed: the copies are nobody's
            storage.delete_quietly(copies)
        raise
    if progress and not copy_audio:
        progress(len(items))
    return CreatedSpeeches(ids=ids, audio_keys=keys, tags_created=tags_created)


def _insert(items: Sequence[NewSpeech], ids: list[uuid.UUID], keys: list[str], tags: dict[str, Tag]) -> None:
    # Names repeat across thousands of items: look each spelling up once.
    tag_ids = {name: tags[tag_name_key(name)].id for name in {name for item in items for name in item.tag_names}}
    links = [(speech_id, tag_ids[name]) for speech_id, item in zip(ids, items, strict=True) for name in item.tag_names]
    if connection.vendor == "postgresql" and len(items) >= COPY_MIN_ROWS:
        _copy_rows(items, ids, keys, links)
        return
    Speech.objects.bulk_create([
        Speech(id=speech_id, audio=key, text=item.text.strip(), level=item.level, type=item.type)
        for speech_id, item, key in zip(ids, items, keys, strict=True)], batch_size=INSERT_BATCH)
    SpeechTag.objects.bulk_create([SpeechTag(speech_id=speech_id, tag_id=tag_id) for speech_id, tag_id in links],
                                  batch_size=INSERT_BATCH * 2)


def _copy_rows(items: Sequence[NewSpeech], ids: list[uuid.UUID], keys: list[str],
               links: list[tuple[uuid.UUID, uuid.UUID]]) -> None:
    start = timezone.now()
    speech_table, link_table = Speech._meta.db_table, SpeechTag._meta.db_table
    with connection.cursor() as cursor:
        with cursor.cursor.copy(
                f"COPY {speech_table} (id, audio, text, level, type, created_at, updated_at) FROM STDIN") as copy:
            for offset, (speech_id, item, key) in enumerate(zip(ids, items, keys, strict=True)):
                # A microsecond apart, so lists and exports (by created_at) keep the items' order.
                created = start + timedelta(microseconds=offset)
                copy.write_row((speech_id, key, item.text.strip(), item.level, item.type, created, created))
        with cursor.cursor.copy(f"COPY {link_table} (speech_id, tag_id) FROM STDIN") as copy:
            for link in links:
                copy.write_row(link)
