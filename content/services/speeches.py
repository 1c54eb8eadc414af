"""Writes of speeches one at a time (editor API and admin) and the editors' bulk actions."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.core.files import File
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

import audit
from content.exceptions import UnknownTags
from content.models import Level, SentenceType, Speech, SpeechTag, Tag
from content.services.audio import delete_if_unreferenced, existing_audio_key, store_audio_upload
from content.services.caches import invalidate_content_caches
from core import storage
from core.exceptions import InvalidInput

if TYPE_CHECKING:
    from accounts.models import User

# Django's enums build `.values` anew on every access; a bulk load checks a million items.
_LEVELS = frozenset(Level.values)
_TYPES = frozenset(SentenceType.values)
# Links written or deleted per statement by the editors' bulk actions: each statement's trigger
# rewrites the tag-id copies of its speeches (content migration 0009), about 0.3 s per thousand
# at a million speeches, so a selection of tens of thousands stays inside the web's
# DATABASE_STATEMENT_TIMEOUT statement by statement.
LINKS_PER_STATEMENT = 1000


@dataclass(frozen=True)
class SpeechInput:
    """A new speech. Its audio is either uploaded now (`audio_file`) or already stored (`audio_key`)."""

    text: str
    level: str
    type: str = SentenceType.ANSWER
    tag_ids: Sequence[uuid.UUID | str] = ()
    audio_file: File | None = None
    audio_key: str | None = None


@dataclass(frozen=True)
class SpeechChanges:
    """What to change on a speech: None leaves a field as it is; an empty `tag_ids` removes every tag."""

    text: str | None = None
    level: str | None = None
    type: str | None = None
    tag_ids: Sequence[uuid.UUID | str] | None = None
    audio_file: File | None = None
    audio_key: str | None = None


def _tags_by_ids(tag_ids: Iterable[uuid.UUID | str]) -> list[Tag]:
    wanted = list(dict.fromkeys(uuid.UUID(str(tag_id)) for tag_id in tag_ids))
    found = {tag.id: tag for tag in Tag.objects.filter(id__in=wanted)}
    missing = [str(tag_id) for tag_id in wanted if tag_id not in found]
    if missing:
        raise UnknownTags(errors={"tag_ids": [_("Unknown tag id: {tag_id}").format(tag_id=tag_id)
                                              for tag_id in missing]})
    return [found[tag_id] for tag_id in wanted]


def check_speech_fields(*, text: str | None, level: str | None, type: str | None) -> dict[str, list[str]]:
    """Per-field problems of the given values (None: not given, nothing to check)."""
    errors = {}
    if text is not None and not text.strip():
        errors["text"] = [_("This field may not be blank.")]
    if level is not None and level not in _LEVELS:
        errors["level"] = [_("Must be one of {choices}.").format(choices=", ".join(Level.values))]
    if type is not None and type not in _TYPES:
        errors["type"] = [_("Must be one of {choices}.").format(choices=", ".join(SentenceType.values))]
    return errors


def _ensure_speech_fields(*, text: str | None, level: str | None, type: str | None) -> None:
    errors = check_speech_fields(text=text, level=level, type=type)
    if errors:
        raise InvalidInput(errors=errors)


def _speech_snapshot(speech: Speech, tag_ids: Sequence[uuid.UUID] | None = None) -> dict:
    snapshot = {"text": speech.text, "level": speech.level, "type": speech.type, "audio": speech.audio.name}
    if tag_ids is not None:
        snapshot["tag_ids"] = sorted(str(tag_id) for tag_id in tag_ids)
    return snapshot


def _with_tags(speech: Speech) -> Speech:
    return Speech.objects.prefetch_related("tags").get(pk=speech.pk)


def create_speech(*, data: SpeechInput, actor: User | None = None) -> Speech:
    """A new speech with its tags; an uploaded file is stored first and deleted again if the write fails."""
    _ensure_speech_fields(text=data.text, level=data.level, type=data.type)
    if (data.audio_file is None) == (data.audio_key is None):
        raise InvalidInput(_("Give either an audio file or the audio_key of a stored audio object."),
                           code="audio_required", errors={"audio": [_("Exactly one of audio or audio_key.")]})
    tags = _tags_by_ids(data.tag_ids)
    uploaded = (store_audio_upload(audio_file=data.audio_file, level=data.level)
                if data.audio_file is not None else None)
    audio_name = uploaded or existing_audio_key(data.audio_key)
    try:
        with transaction.atomic():
            speech = Speech.objects.create(audio=audio_name, text=data.text.strip(), level=data.level, type=data.type)
            SpeechTag.objects.bulk_create([SpeechTag(speech=speech, tag=tag) for tag in tags])
            audit.record("speech.create", speech, {"after": _speech_snapshot(speech, [tag.id for tag in tags])},
                         actor=actor)
            invalidate_content_caches()
    except BaseException:
        if uploaded:
            storage.delete_quietly([uploaded])
        raise
    return _with_tags(speech)


def update_speech(*, speech: Speech, changes: SpeechChanges, actor: User | None = None) -> Speech:
    """Apply `changes`; a replaced audio object is deleted after the commit unless another speech uses it."""
    _ensure_speech_fields(text=changes.text, level=changes.level, type=changes.type)
    if changes.audio_file is not None and changes.audio_key is not None:
        raise InvalidInput(_("Give either an audio file or an audio_key, not both."), code="audio_conflict",
                           errors={"audio": [_("Exactly one of audio or audio_key.")]})
    tags = _tags_by_ids(changes.tag_ids) if changes.tag_ids is not None else None
    old_tag_ids = list(SpeechTag.objects.filter(speech=speech).values_list("tag_id", flat=True))
    before = _speech_snapshot(speech, old_tag_ids)
    old_audio = speech.audio.name

    uploaded = None
    if changes.audio_file is not None:
        uploaded = store_audio_upload(audio_file=changes.audio_file, level=changes.level or speech.level)
        speech.audio.name = uploaded
    elif changes.audio_key is not None and changes.audio_key.strip() != old_audio:
        speech.audio.name = existing_audio_key(changes.audio_key)
    speech.text = changes.text.strip() if changes.text is not None else speech.text
    speech.level = changes.level or speech.level
    speech.type = changes.type or speech.type
    try:
        with transaction.atomic():
            speech.save()
            new_tag_ids = old_tag_ids
            if tags is not None:
                new_tag_ids = [tag.id for tag in tags]
                SpeechTag.objects.filter(speech=speech).exclude(tag_id__in=new_tag_ids).delete()
                SpeechTag.objects.bulk_create(
                    [SpeechTag(speech=speech, tag=tag) for tag in tags if tag.id not in old_tag_ids])
            after = _speech_snapshot(speech, new_tag_ids)
            changed = {field for field in after if after[field] != before.get(field)}
            audit.record("speech.update", speech,
                         {"before": {f: before[f] for f in changed}, "after": {f: after[f] for f in changed}},
                         actor=actor)
            invalidate_content_caches()
            if speech.audio.name != old_audio:
                transaction.on_commit(lambda: delete_if_unreferenced(old_audio))
    except BaseException:
        if uploaded:
            storage.delete_quietly([uploaded])
        raise
    return _with_tags(speech)


def archive_speech(*, speech: Speech, actor: User | None = None) -> Speech:
    """Soft-delete: the speech leaves practice sets and editor lists but stays in game history."""
    if speech.archived_at is None:
        with transaction.atomic():
            speech.archived_at = timezone.now()
            speech.save(update_fields=["archived_at", "updated_at"])
            audit.record("speech.archive", speech, {}, actor=actor)
            invalidate_content_caches()
    return speech


# --- the editors' bulk actions -------------------------------------------------------------

def _bulk_speech_change(*, action: str, speech_ids: Sequence, changes: dict, actor: User | None) -> None:
    audit.record(action, ("speech", ""), {**changes, "speech_ids": [str(i) for i in speech_ids]}, actor=actor)
    invalidate_content_caches()


def archive_speeches(*, speech_ids: Sequence[uuid.UUID], actor: User | None = None) -> int:
    """Archive the given speeches that are not archived yet; returns how many changed."""
    now = timezone.now()
    with transaction.atomic():
        targets = list(Speech.objects.filter(id__in=speech_ids, archived_at__isnull=True).values_list("id", flat=True))
        Speech.objects.filter(id__in=targets).update(archived_at=now, updated_at=now)
        if targets:
            _bulk_speech_change(action="speech.archive", speech_ids=targets, changes={}, actor=actor)
    return len(targets)


def restore_speeches(*, speech_ids: Sequence[uuid.UUID], actor: User | None = None) -> int:
    """Bring archived speeches back into practice sets and lists; returns how many changed."""
    with transaction.atomic():
        targets = list(Speech.objects.filter(id__in=speech_ids, archived_at__isnull=False).values_list("id", flat=True))
        Speech.objects.filter(id__in=targets).update(archived_at=None, updated_at=timezone.now())
        if targets:
            _bulk_speech_change(action="speech.restore", speech_ids=targets, changes={}, actor=actor)
    return len(targets)


def add_tag_to_speeches(*, speech_ids: Sequence[uuid.UUID], tag: Tag, actor: User | None = None) -> int:
    """Tag the given speeches with `tag`; returns how many did not have it yet."""
    with transaction.atomic():
        having = set(SpeechTag.objects.filter(speech_id__in=speech_ids, tag=tag).values_list("speech_id", flat=True))
        targets = [i for i in Speech.objects.filter(id__in=speech_ids).values_list("id", flat=True) if i not in having]
        SpeechTag.objects.bulk_create([SpeechTag(speech_id=i, tag=tag) for i in targets], ignore_conflicts=True,
                                      batch_size=LINKS_PER_STATEMENT)
        if targets:
            Speech.objects.filter(id__in=targets).update(updated_at=timezone.now())
            _bulk_speech_change(action="speech.add_tag", speech_ids=targets, changes={"tag_id": str(tag.id)},
                                actor=actor)
    return len(targets)


def remove_tag_from_speeches(*, speech_ids: Sequence[uuid.UUID], tag: Tag, actor: User | None = None) -> int:
    """Untag the given speeches; returns how many had the tag."""
    with transaction.atomic():
        targets = list(SpeechTag.objects.filter(speech_id__in=speech_ids, tag=tag).values_list("speech_id", flat=True))
        for start in range(0, len(targets), LINKS_PER_STATEMENT):
            SpeechTag.objects.filter(speech_id__in=targets[start:start + LINKS_PER_STATEMENT], tag=tag).delete()
        if targets:
            Speech.objects.filter(id__in=targets).update(updated_at=timezone.now())
            _bulk_speech_change(action="speech.remove_tag", speech_ids=targets, changes={"tag_id": str(tag.id)},
                                actor=actor)
    return len(targets)


def set_level_of_speeches(*, speech_ids: Sequence[uuid.UUID], level: str, actor: User | None = None) -> int:
    """Move the given speeches to another level; returns how many changed."""
    _ensure_speech_fields(text=None, level=level, type=None)
    with transaction.atomic():
        targets = list(Speech.objects.filter(id__in=speech_ids).exclude(level=level).values_list("id", flat=True))
        Speech.objects.filter(id__in=targets).update(level=level, updated_at=timezone.now())
        if targets:
            _bulk_speech_change(action="speech.set_level", speech_ids=targets, changes={"level": level},
                                actor=actor)
    return len(targets)
