"""Creating and updating many speeches at once: the one bulk write path, used by imports and the seed.

Copies made for a batch are deleted again when the batch fails, in this process. A process
that is killed (SIGKILL, out of memory, a lost machine) deletes nothing, so a caller that
copies names its `batch`: the copies then live in the batch's own folders, where the
caller's retry or cleanup removes them with `delete_batch_audio` (imports use the upload
session's id).
"""

from __future__ import annotations

import logging
import uuid
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

import audit
from content.exceptions import SpeechNotFound
from content.models import Speech, SpeechTag, Tag
from content.rules import speech_audio_key, tag_name_key
from content.services.caches import invalidate_content_caches
from content.services.speeches import check_speech_fields
from content.services.tags import tags_for_names
from core import storage
from core.exceptions import InvalidInput

if TYPE_CHECKING:
    from accounts.models import User

logger = logging.getLogger(__name__)

# From this many rows on, PostgreSQL loads them with COPY (a million rows in seconds, where
# INSERTs take minutes); smaller batches gain nothing from it.
COPY_MIN_ROWS = 1000
INSERT_BATCH = 1000
# Rows per UPDATE and ids per lookup: well inside every database's limit of bound parameters.
UPDATE_BATCH = 500
# An audit row names this many updated speeches; the count says how many there were.
MAX_AUDITED_IDS = 1000
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


@dataclass(frozen=True, slots=True)
class SpeechUpdate:
    """New values for an existing speech; `audio_key`, when given, is a stored object to become its audio
    (copied to the speech's own key, or used as is); empty keeps the speech's audio."""

    speech_id: uuid.UUID
    text: str
    level: str
    type: str
    tag_names: tuple[str, ...] = ()
    audio_key: str = ""


@dataclass
class CreatedSpeeches:
    """What `write_speeches` did: ids and audio keys of the created items in their order, the ids
    updated, and new tag names."""

    ids: list[uuid.UUID] = field(default_factory=list)
    audio_keys: list[str] = field(default_factory=list)
    tags_created: list[str] = field(default_factory=list)
    updated_ids: list[uuid.UUID] = field(default_factory=list)


def _check_items(items: Sequence[NewSpeech], updates: Sequence[SpeechUpdate] = ()) -> None:
    problems: list[str] = []
    for index, item in enumerate(items):
        errors = check_speech_fields(text=item.text, level=item.level, type=item.type)
        if not item.audio_key:
            errors["audio_key"] = [_("A stored audio object is required.")]
        problems += [_("Item {index}: {field}: {problems}").format(index=index, field=name, problems=" ".join(messages))
                     for name, messages in errors.items()]
        if len(problems) >= MAX_REPORTED_PROBLEMS:
            break
    for update in updates:
        if len(problems) >= MAX_REPORTED_PROBLEMS:
            break
        errors = check_speech_fields(text=update.text, level=update.level, type=update.type)
        problems += [_("Speech {speech_id}: {field}: {problems}").format(
            speech_id=update.speech_id, field=name, problems=" ".join(messages)) for name, messages in errors.items()]
    if len({update.speech_id for update in updates}) != len(updates):
        problems.append(_("A speech is updated more than once."))
    if problems:
        raise InvalidInput(_("Some speeches cannot be created."), errors={"items": problems[:MAX_REPORTED_PROBLEMS]})


def create_speeches(*, items: Sequence[NewSpeech], copy_audio: bool, actor: User | None = None,
                    source: str = "", in_transaction: Callable[[], None] | None = None,
                    progress: storage.Progress = None, batch: str = "") -> CreatedSpeeches:
    """Create every item (with its tags, creating missing ones) or none, in one transaction.

    `write_speeches` without updates: see there.
    """
    return write_speeches(items=items, copy_audio=copy_audio, actor=actor, source=source,
                          in_transaction=in_transaction, progress=progress, batch=batch)


def write_speeches(*, items: Sequence[NewSpeech], updates: Sequence[SpeechUpdate] = (), copy_audio: bool,
                   actor: User | None = None, source: str = "", in_transaction: Callable[[], None] | None = None,
                   progress: storage.Progress = None, batch: str = "") -> CreatedSpeeches:
    """Create every item and apply every update (with their tags, creating missing ones), or none, in one transaction.

    With `copy_audio`, each item's audio object, and the new audio of an update that has
    one, is copied to the speech's own key under `audio/{level}/` (the source stays: the
    caller owns it), under `audio/{level}/{batch}/` when `batch` is given; without, the keys
    are used as they are and the caller vouches that they are stored (the seed's
    deterministic keys). An update replaces the speech's text, level, type and tags (and
    its audio when it has an `audio_key`); the speech must exist and not be archived, else
    `SpeechNotFound` and nothing is written. The audio an update replaces is deleted after
    the commit, unless a speech still points at it. One audit row `speech.bulk_create`
    records the created batch and one `speech.bulk_update` the updated one, and the content
    caches are invalidated. If anything fails, the commit itself included, the copies made
    here are deleted again, so storage never keeps objects no speech points at; if the
    process dies instead, they wait in the batch's folders for the caller's
    `delete_batch_audio`.

    `in_transaction` runs first inside the transaction, before any copy. It is how a caller
    makes its own rows change atomically with the speeches: imports locks its upload
    session there, checks that it is still open and marks it imported, so a second run of
    the same import waits for the lock, then finds the session closed, and nothing is
    written twice. A hook rather than "call this inside your own transaction.atomic()":
    only the service that owns the transaction can tell a rollback or a failed commit from
    success, and so only it can reliably remove the copies it made. Whatever the hook
    raises rolls everything back and propagates.
    """
    _check_items(items, updates)
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
            targets = _lock_for_update(updates)
            # In order of appearance (dict, not set): the first spelling of a new tag wins.
            tags, tags_created = tags_for_names(names=dict.fromkeys(
                name for item in [*items, *updates] for name in item.tag_names))
            new_audio = [update for update in updates if update.audio_key]
            if copy_audio:
                copies = storage.copy_many(
                    [(item.audio_key, speech_audio_key(item.level, PurePosixPath(item.audio_key).name, batch=batch))
                     for item in [*items, *new_audio]], progress=progress)
                keys, update_keys = copies[:len(items)], copies[len(items):]
            else:
                keys, update_keys = [item.audio_key for item in items], [update.audio_key for update in new_audio]
            ids = [uuid.uuid4() for _ in items]
            _insert(items, ids, keys, tags)
            replaced = _apply_updates(updates, targets, dict(zip((u.speech_id for u in new_audio), update_keys,
                                                                 strict=True)), tags)
            if items:
                audit.record("speech.bulk_create", ("speech", ""),
                             {"source": source, "speeches_created": len(items), "tags_created": tags_created},
                             actor=actor)
            if updates:
                changes = {"source": source, "speeches_updated": len(updates), "audio_replaced": len(new_audio),
                           "speech_ids": [str(update.speech_id) for update in updates[:MAX_AUDITED_IDS]]}
                if len(updates) > MAX_AUDITED_IDS:
                    changes["speech_ids_truncated"] = True
                if not items:
                    changes["tags_created"] = tags_created
                audit.record("speech.bulk_update", ("speech", ""), changes, actor=actor)
            if items or updates:  # an import of unchanged rows only writes nothing of content's
                invalidate_content_caches()
            if replaced:
                transaction.on_commit(lambda: _delete_unreferenced(replaced), robust=True)
    except BaseException:
        if not committed:  # rolled back, or the commit failed: the copies are nobody's
            storage.delete_quietly(copies)
        raise
    # Copies reported themselves; the rest counts once written.
    uncounted = len(updates) - len(new_audio) + (0 if copy_audio else len(items) + len(new_audio))
    if progress and uncounted:
        progress(uncounted)
    return CreatedSpeeches(ids=ids, audio_keys=keys, tags_created=tags_created,
                           updated_ids=[update.speech_id for update in updates])


def _lock_for_update(updates: Sequence[SpeechUpdate]) -> dict[uuid.UUID, Speech]:
    """The speeches to update, locked until the commit; `SpeechNotFound` naming any missing or archived."""
    wanted = [update.speech_id for update in updates]
    found: dict[uuid.UUID, Speech] = {}
    for start in range(0, len(wanted), UPDATE_BATCH):
        for speech in (Speech.objects.select_for_update().filter(id__in=wanted[start:start + UPDATE_BATCH],
                                                                 archived_at__isnull=True)
                       .only("id", "audio", "text", "level", "type")):
            found[speech.id] = speech
    missing = [str(speech_id) for speech_id in wanted if speech_id not in found]
    if missing:
        raise SpeechNotFound(_("{count} speech(es) to update are unknown or archived.").format(count=len(missing)),
                             errors={"speech_ids": missing[:MAX_REPORTED_PROBLEMS]})
    return found


def _apply_updates(updates: Sequence[SpeechUpdate], targets: dict[uuid.UUID, Speech], new_keys: dict[uuid.UUID, str],
                   tags: dict[str, Tag]) -> list[str]:
    """Write the updates and their tag links; returns the audio keys they replaced."""
    if not updates:
        return []
    now = timezone.now()
    replaced: list[str] = []
    changed: list[Speech] = []
    for update in updates:
        speech = targets[update.speech_id]
        if update.speech_id in new_keys:
            replaced.append(speech.audio.name)
            speech.audio.name = new_keys[update.speech_id]
        speech.text, speech.level, speech.type = update.text.strip(), update.level, update.type
        speech.updated_at = now  # bulk_update does not apply auto_now
        changed.append(speech)
    Speech.objects.bulk_update(changed, ["audio", "text", "level", "type", "updated_at"], batch_size=UPDATE_BATCH)

    wanted = {(update.speech_id, tags[tag_name_key(name)].id) for update in updates for name in update.tag_names}
    stale: list[int] = []
    present: set[tuple[uuid.UUID, uuid.UUID]] = set()
    ids = [update.speech_id for update in updates]
    for start in range(0, len(ids), UPDATE_BATCH):
        for link_id, speech_id, tag_id in SpeechTag.objects.filter(
                speech_id__in=ids[start:start + UPDATE_BATCH]).values_list("id", "speech_id", "tag_id"):
            if (speech_id, tag_id) in wanted:
                present.add((speech_id, tag_id))
            else:
                stale.append(link_id)
    for start in range(0, len(stale), UPDATE_BATCH):
        SpeechTag.objects.filter(id__in=stale[start:start + UPDATE_BATCH]).delete()
    SpeechTag.objects.bulk_create([SpeechTag(speech_id=speech_id, tag_id=tag_id)
                                   for speech_id, tag_id in sorted(wanted - present, key=str)],
                                  batch_size=INSERT_BATCH * 2)
    return [key for key in replaced if key]


def _delete_unreferenced(keys: list[str]) -> None:
    # After the commit: the replaced audio is nobody's unless another speech points at it too
    # (an editor may give any stored key to a speech). An object left behind is only clutter
    # for the audio sweep.
    for start in range(0, len(keys), UPDATE_BATCH):
        page = keys[start:start + UPDATE_BATCH]
        referenced = set(Speech.objects.filter(audio__in=page).values_list("audio", flat=True))
        failed = storage.delete_quietly([key for key in page if key not in referenced])
        if failed:
            logger.warning("%d replaced audio objects could not be deleted after a bulk update", failed)


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
    # Each speech's copy of its tag ids (content migration 0009), sorted as the links' trigger
    # sorts them: written with the row, so the trigger after the links' COPY rewrites no row.
    tags_of: dict[uuid.UUID, set[uuid.UUID]] = defaultdict(set)
    for speech_id, tag_id in links:
        tags_of[speech_id].add(tag_id)
    with connection.cursor() as cursor:
        with cursor.cursor.copy(f"COPY {speech_table} (id, audio, text, level, type, created_at, updated_at, tag_ids)"
                                " FROM STDIN") as copy:
            for offset, (speech_id, item, key) in enumerate(zip(ids, items, keys, strict=True)):
                # A microsecond apart, so lists and exports (by created_at) keep the items' order.
                created = start + timedelta(microseconds=offset)
                copy.write_row((speech_id, key, item.text.strip(), item.level, item.type, created, created,
                                sorted(tags_of[speech_id])))
        with cursor.cursor.copy(f"COPY {link_table} (speech_id, tag_id) FROM STDIN") as copy:
            for link in links:
                copy.write_row(link)
