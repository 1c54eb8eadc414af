"""Writes of tags: the editor's one-by-one changes and the bulk "make sure these exist"."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

import audit
from content import selectors
from content.exceptions import TagInUse, TagNameTaken
from content.models import Tag
from content.rules import normalise_tag_name, tag_name_key
from content.services.caches import invalidate_content_caches
from core.exceptions import InvalidInput

if TYPE_CHECKING:
    from accounts.models import User

TAG_NAME_MAX_LENGTH = Tag._meta.get_field("name").max_length

# "Leave unchanged" for optional fields whose None is a meaningful value (a tag's category).
UNCHANGED: Any = object()


def _clean_tag_name(name: str) -> str:
    name = normalise_tag_name(name)
    if not name:
        raise InvalidInput(errors={"name": [_("This field may not be blank.")]})
    if len(name) > TAG_NAME_MAX_LENGTH:
        raise InvalidInput(errors={"name": [
            _("Ensure this field has no more than {max_length} characters.").format(max_length=TAG_NAME_MAX_LENGTH)]})
    return name


def _clean_category(category: str | None) -> str | None:
    category = (category or "").strip()
    return category or None


def _ensure_name_free(name: str, *, except_tag: Tag | None = None) -> None:
    holder = selectors.tags_by_name_key([name]).get(tag_name_key(name))
    if holder is not None and (except_tag is None or holder.pk != except_tag.pk):
        raise TagNameTaken(_("A tag named {name} already exists.").format(name=repr(name)))


def create_tag(*, name: str, category: str | None = None, actor: User | None = None) -> Tag:
    """A new tag; 409 when the name is taken, whatever its case or spacing."""
    name, category = _clean_tag_name(name), _clean_category(category)
    _ensure_name_free(name)
    try:
        with transaction.atomic():
            tag = Tag.objects.create(name=name, category=category)
            audit.record("tag.create", tag, {"after": {"name": name, "category": category}}, actor=actor)
            invalidate_content_caches()
    except IntegrityError:  # created by someone else between the check and the insert
        raise TagNameTaken(_("A tag named {name} already exists.").format(name=repr(name))) from None
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
        raise TagNameTaken(_("A tag named {name} already exists.").format(name=repr(tag.name))) from None
    return tag


def delete_tag(*, tag: Tag, actor: User | None = None) -> None:
    """Delete a tag no active speech uses (409 otherwise); links from archived speeches go with it."""
    in_use = selectors.active_speech_count(tag_id=tag.pk)
    if in_use:
        raise TagInUse(_("{count} speech(es) still use the tag {name}; remove it from them first.").format(
            count=in_use, name=repr(tag.name)))
    with transaction.atomic():
        audit.record("tag.delete", tag, {"before": {"name": tag.name, "category": tag.category}}, actor=actor)
        tag.delete()
        invalidate_content_caches()


# --- bulk ----------------------------------------------------------------------------------

def tags_for_names(*, names: Iterable[str], categories: Mapping[str, str | None] | None = None
                   ) -> tuple[dict[str, Tag], list[str]]:
    """Every tag `names` refer to, by `tag_name_key`, creating the missing ones in the caller's transaction.

    The first spelling of a new name wins; `categories` (by key) applies to tags created
    here only. Returns (tags by key, names created). For callers that audit and invalidate
    the caches themselves (`create_speeches`, `ensure_tags`).
    """
    names = [normalise_tag_name(name) for name in names]
    tags = selectors.tags_by_name_key(names)
    missing: dict[str, str] = {}
    for name in names:
        key = tag_name_key(name)
        if key and key not in tags:
            missing.setdefault(key, name)
    too_long = [name for name in missing.values() if len(name) > TAG_NAME_MAX_LENGTH]
    if too_long:
        raise InvalidInput(errors={"tag_names": [
            _("Tag name '{name}...' is too long (at most {max_length} characters)").format(
                name=name[:40], max_length=TAG_NAME_MAX_LENGTH) for name in too_long]})
    if missing:
        categories = categories or {}
        # An editor may create one of these tags at the same moment; theirs is then used.
        Tag.objects.bulk_create([Tag(name=name, category=_clean_category(categories.get(key)))
                                 for key, name in missing.items()], ignore_conflicts=True)
        tags = selectors.tags_by_name_key(names)
    return tags, list(missing.values())


def ensure_tags(*, names: Iterable[str], categories: Mapping[str, str | None] | None = None,
                source: str = "", actor: User | None = None) -> tuple[dict[str, Tag], list[str]]:
    """Make sure a tag exists for each name (e.g. the seed's tag list); returns (tags by key, names created)."""
    with transaction.atomic():
        tags, created = tags_for_names(names=names, categories=categories)
        if created:
            audit.record("tag.bulk_create", ("tag", ""), {"source": source, "names": created}, actor=actor)
            invalidate_content_caches()
    return tags, created
