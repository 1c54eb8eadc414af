"""Every write of the content app: tags, speeches, their audio, and cache invalidation.

Each editor write records an audit event (the actor is the editor the API view or the
admin passes; IP and request id come from the request context) and invalidates the content caches inside its transaction, so a
failing cache rolls the write back instead of leaving stale practice sets behind.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings
from django.core.cache import cache
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.utils import timezone

import audit
from core.exceptions import InvalidInput
from core.audio import sniff_uploaded_file
from content.cache import PUBLIC_TAGS_KEY, bump_content_generation
from content.exceptions import (
    AudioNotInStorage, AudioStorageUnavailable, AudioTooLarge, TagInUse, TagNameTaken, UnknownTags,
    UnsupportedAudioFormat,
)
from content.models import Level, SentenceType, Speech, SpeechTag, Tag
from content.selectors import active_speech_count_for_tag

if TYPE_CHECKING:
    from accounts.models import User

STORAGE_ERRORS = (BotoCoreError, ClientError, OSError)
AUDIO_KEY_MAX_LENGTH = Speech._meta.get_field("audio").max_length

# "Leave unchanged" for optional fields whose None is a meaningful value (a tag's category).
UNCHANGED: Any = object()


# --- caches --------------------------------------------------------------------------------

def _drop_content_caches() -> None:
    bump_content_generation()
    cache.delete(PUBLIC_TAGS_KEY)


def invalidate_content_caches() -> None:
    """Forget cached practice-set id lists and the public tag list.

    Call after any change to speeches, tags or their links (the imports app does after
    creating speeches). Runs now, so a cache outage fails the caller's transaction, and
    again after commit, so a request that re-cached the old rows while the transaction
    was open cannot keep serving them.
    """
    _drop_content_caches()
    transaction.on_commit(_drop_content_caches)


# --- audio ---------------------------------------------------------------------------------

def validate_audio_upload(audio_file) -> str:
    """The format ("mp3", "wav", "m4a") of an uploaded audio file; 413 when too large, 400 when not audio."""
    if audio_file.size > settings.MAX_UPLOAD_BYTES:
        raise AudioTooLarge(f"The audio file is larger than {settings.MAX_UPLOAD_BYTES} bytes.")
    audio_format = sniff_uploaded_file(audio_file)
    if audio_format is None:
        raise UnsupportedAudioFormat(errors={"audio": ["The file is not an MP3, WAV or M4A audio file."]})
    return audio_format


def _store_upload(*, audio_file, level: str) -> str:
    audio_format = validate_audio_upload(audio_file)
    # Our own name: the client's file name is neither trusted nor needed.
    name = f"audio/{level}/{uuid.uuid4().hex}.{audio_format}"
    try:
        return default_storage.save(name, audio_file)
    except STORAGE_ERRORS as exc:
        raise AudioStorageUnavailable() from exc


def _existing_audio_key(key: str) -> str:
    key = (key or "").strip()
    if (not key or key.startswith("/") or "\\" in key or ".." in key.split("/")
            or len(key) > AUDIO_KEY_MAX_LENGTH):
        raise InvalidInput("Invalid audio key.", code="invalid_audio_key",
                           errors={"audio_key": ["Give the storage key of an uploaded audio object."]})
    try:
        exists = default_storage.exists(key)
    except STORAGE_ERRORS as exc:
        raise AudioStorageUnavailable() from exc
    if not exists:
        raise AudioNotInStorage(errors={"audio_key": [f"No stored audio object has the key {key!r}."]})
    return key


def _delete_stored_file(name: str) -> None:
    try:
        default_storage.delete(name)
    except STORAGE_ERRORS:
        pass  # an orphaned object is harmless; failing the request over it is not


def _delete_if_unreferenced(name: str) -> None:
    if name and not Speech.objects.filter(audio=name).exists():
        _delete_stored_file(name)


# --- helpers -------------------------------------------------------------------------------

def _tags_by_ids(tag_ids: Iterable[uuid.UUID | str]) -> list[Tag]:
    wanted = list(dict.fromkeys(uuid.UUID(str(tag_id)) for tag_id in tag_ids))
    found = {tag.id: tag for tag in Tag.objects.filter(id__in=wanted)}
    missing = [str(tag_id) for tag_id in wanted if tag_id not in found]
    if missing:
        raise UnknownTags(errors={"tag_ids": [f"Unknown tag id: {tag_id}" for tag_id in missing]})
    return [found[tag_id] for tag_id in wanted]


def _check_speech_fields(*, text: str | None, level: str | None, type: str | None) -> None:
    errors = {}
    if text is not None and not text.strip():
        errors["text"] = ["This field may not be blank."]
    if level is not None and level not in Level.values:
        errors["level"] = [f"Must be one of {', '.join(Level.values)}."]
    if type is not None and type not in SentenceType.values:
        errors["type"] = [f"Must be one of {', '.join(SentenceType.values)}."]
    if errors:
        raise InvalidInput(errors=errors)


def _speech_snapshot(speech: Speech, tag_ids: Sequence[uuid.UUID] | None = None) -> dict:
    snapshot = {"text": speech.text, "level": speech.level, "type": speech.type, "audio": speech.audio.name}
    if tag_ids is not None:
        snapshot["tag_ids"] = sorted(str(tag_id) for tag_id in tag_ids)
    return snapshot


def _with_tags(speech: Speech) -> Speech:
    return Speech.objects.prefetch_related("tags").get(pk=speech.pk)


# --- speeches ------------------------------------------------------------------------------

def create_speech(*, text: str, level: str, type: str = SentenceType.ANSWER, tag_ids: Iterable = (),
                  audio_file=None, audio_key: str | None = None, actor: User | None = None) -> Speech:
    """A new speech whose audio is either uploaded now (`audio_file`) or already stored (`audio_key`)."""
    _check_speech_fields(text=text, level=level, type=type)
    if (audio_file is None) == (audio_key is None):
        raise InvalidInput("Give either an audio file or the audio_key of a stored audio object.",
                           code="audio_required", errors={"audio": ["Exactly one of audio or audio_key."]})
    tags = _tags_by_ids(tag_ids)
    uploaded = _store_upload(audio_file=audio_file, level=level) if audio_file is not None else None
    audio_name = uploaded or _existing_audio_key(audio_key)
    try:
        with transaction.atomic():
            speech = Speech.objects.create(audio=audio_name, text=text.strip(), level=level, type=type)
            SpeechTag.objects.bulk_create([SpeechTag(speech=speech, tag=tag) for tag in tags])
            audit.record("speech.create", speech, {"after": _speech_snapshot(speech, [tag.id for tag in tags])},
                         actor=actor)
            invalidate_content_caches()
    except BaseException:
        if uploaded:
            _delete_stored_file(uploaded)
        raise
    return _with_tags(speech)


def update_speech(*, speech: Speech, text: str | None = None, level: str | None = None, type: str | None = None,
                  tag_ids: Iterable | None = None, audio_file=None, audio_key: str | None = None,
                  actor: User | None = None) -> Speech:
    """Change any of text, level, type, tags (None: unchanged; empty: no tags) and audio."""
    _check_speech_fields(text=text, level=level, type=type)
    if audio_file is not None and audio_key is not None:
        raise InvalidInput("Give either an audio file or an audio_key, not both.", code="audio_conflict",
                           errors={"audio": ["Exactly one of audio or audio_key."]})
    tags = _tags_by_ids(tag_ids) if tag_ids is not None else None
    old_tag_ids = list(SpeechTag.objects.filter(speech=speech).values_list("tag_id", flat=True))
    before = _speech_snapshot(speech, old_tag_ids)
    old_audio = speech.audio.name

    uploaded = None
    if audio_file is not None:
        uploaded = _store_upload(audio_file=audio_file, level=level or speech.level)
    elif audio_key is not None and audio_key.strip() != old_audio:
        speech.audio.name = _existing_audio_key(audio_key)
    if uploaded:
        speech.audio.name = uploaded
    speech.text = text.strip() if text is not None else speech.text
    speech.level = level or speech.level
    speech.type = type or speech.type
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
                transaction.on_commit(lambda: _delete_if_unreferenced(old_audio))
    except BaseException:
        if uploaded:
            _delete_stored_file(uploaded)
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


def _bulk_speech_change(*, action: str, speech_ids: Sequence, changes: dict, actor: User | None) -> None:
    audit.record(action, ("speech", ""), {**changes, "speech_ids": [str(i) for i in speech_ids]}, actor=actor)
    invalidate_content_caches()


def archive_speeches(*, speech_ids: Sequence, actor: User | None = None) -> int:
    """Archive the given speeches that are not archived yet; returns how many changed."""
    now = timezone.now()
    with transaction.atomic():
        targets = list(Speech.objects.filter(id__in=speech_ids, archived_at__isnull=True).values_list("id", flat=True))
        Speech.objects.filter(id__in=targets).update(archived_at=now, updated_at=now)
        if targets:
            _bulk_speech_change(action="speech.archive", speech_ids=targets, changes={}, actor=actor)
    return len(targets)


def restore_speeches(*, speech_ids: Sequence, actor: User | None = None) -> int:
    """Bring archived speeches back into practice sets and lists; returns how many changed."""
    with transaction.atomic():
        targets = list(Speech.objects.filter(id__in=speech_ids, archived_at__isnull=False).values_list("id", flat=True))
        Speech.objects.filter(id__in=targets).update(archived_at=None, updated_at=timezone.now())
        if targets:
            _bulk_speech_change(action="speech.restore", speech_ids=targets, changes={}, actor=actor)
    return len(targets)


def add_tag_to_speeches(*, speech_ids: Sequence, tag: Tag, actor: User | None = None) -> int:
    """Tag the given speeches with `tag`; returns how many did not have it yet."""
    with transaction.atomic():
        having = set(SpeechTag.objects.filter(speech_id__in=speech_ids, tag=tag).values_list("speech_id", flat=True))
        targets = [i for i in Speech.objects.filter(id__in=speech_ids).values_list("id", flat=True) if i not in having]
        SpeechTag.objects.bulk_create([SpeechTag(speech_id=i, tag=tag) for i in targets], ignore_conflicts=True)
        if targets:
            Speech.objects.filter(id__in=targets).update(updated_at=timezone.now())
            _bulk_speech_change(action="speech.add_tag", speech_ids=targets, changes={"tag_id": str(tag.id)},
                                actor=actor)
    return len(targets)


def remove_tag_from_speeches(*, speech_ids: Sequence, tag: Tag, actor: User | None = None) -> int:
    """Untag the given speeches; returns how many had the tag."""
    with transaction.atomic():
        links = SpeechTag.objects.filter(speech_id__in=speech_ids, tag=tag)
        targets = list(links.values_list("speech_id", flat=True))
        links.delete()
        if targets:
            Speech.objects.filter(id__in=targets).update(updated_at=timezone.now())
            _bulk_speech_change(action="speech.remove_tag", speech_ids=targets, changes={"tag_id": str(tag.id)},
                                actor=actor)
    return len(targets)


def set_level_of_speeches(*, speech_ids: Sequence, level: str, actor: User | None = None) -> int:
    """Move the given speeches to another level; returns how many changed."""
    _check_speech_fields(text=None, level=level, type=None)
    with transaction.atomic():
        targets = list(Speech.objects.filter(id__in=speech_ids).exclude(level=level).values_list("id", flat=True))
        Speech.objects.filter(id__in=targets).update(level=level, updated_at=timezone.now())
        if targets:
            _bulk_speech_change(action="speech.set_level", speech_ids=targets, changes={"level": level},
                                actor=actor)
    return len(targets)


# --- tags ----------------------------------------------------------------------------------

def _clean_tag_name(name: str) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise InvalidInput(errors={"name": ["This field may not be blank."]})
    if len(name) > Tag._meta.get_field("name").max_length:
        raise InvalidInput(errors={"name": ["Ensure this field has no more than 100 characters."]})
    return name


def _clean_category(category: str | None) -> str | None:
    category = (category or "").strip()
    return category or None


def _ensure_name_free(name: str, *, except_tag: Tag | None = None) -> None:
    taken = Tag.objects.filter(name__iexact=name)
    if except_tag is not None:
        taken = taken.exclude(pk=except_tag.pk)
    if taken.exists():
        raise TagNameTaken(f"A tag named {name!r} already exists.")


def create_tag(*, name: str, category: str | None = None, actor: User | None = None) -> Tag:
    """A new tag; 409 when the name is taken, whatever its case."""
    name, category = _clean_tag_name(name), _clean_category(category)
    _ensure_name_free(name)
    try:
        with transaction.atomic():
            tag = Tag.objects.create(name=name, category=category)
            audit.record("tag.create", tag, {"after": {"name": name, "category": category}}, actor=actor)
            invalidate_content_caches()
    except IntegrityError:  # created by someone else between the check and the insert
        raise TagNameTaken(f"A tag named {name!r} already exists.") from None
    tag.speech_count = 0
    return tag


def update_tag(*, tag: Tag, name: str | None = None, category: Any = UNCHANGED, actor: User | None = None) -> Tag:
    """Rename and/or recategorise a tag (`category=None` clears it)."""
    before = {"name": tag.name, "category": tag.category}
    if name is not None:
        tag.name = _clean_tag_name(name)
        _ensure_name_free(tag.name, except_tag=tag)
    if category is not UNCHANGED:
        tag.category = _clean_category(category)
    after = {"name": tag.name, "category": tag.category}
    try:
        with transaction.atomic():
            tag.save()
            changed = [field for field in after if after[field] != before[field]]
            audit.record("tag.update", tag,
                         {"before": {f: before[f] for f in changed}, "after": {f: after[f] for f in changed}},
                         actor=actor)
            invalidate_content_caches()
    except IntegrityError:
        raise TagNameTaken(f"A tag named {tag.name!r} already exists.") from None
    return tag


def delete_tag(*, tag: Tag, actor: User | None = None) -> None:
    """Delete a tag no active speech uses (409 otherwise); links from archived speeches go with it."""
    in_use = active_speech_count_for_tag(tag=tag)
    if in_use:
        raise TagInUse(f"{in_use} speech(es) still use the tag {tag.name!r}; remove it from them first.")
    with transaction.atomic():
        audit.record("tag.delete", tag, {"before": {"name": tag.name, "category": tag.category}}, actor=actor)
        tag.delete()
        invalidate_content_caches()
