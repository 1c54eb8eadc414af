"""Reads of the content app: the public tag list, practice sets, the editor lists and tag lookups."""

import random
import uuid
from collections.abc import Iterable, Sequence

from django.conf import settings
from django.contrib.postgres.search import SearchQuery, SearchVector
from django.db import connection
from django.db.models import Count, Exists, ExpressionWrapper, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce, Lower

from content.cache import PUBLIC_TAGS_KEY, content_generation, local_practice_ids, practice_ids_key
from content.exceptions import SpeechNotFound, TagNotFound
from content.models import Speech, SpeechTag, Tag
from content.rules import normalise_tag_name, tag_name_key
from core.cache import get_quietly, set_quietly

_UUID_BYTES = 16
OFFLINE_IDS_SECONDS = 30


# --- public --------------------------------------------------------------------------------

def public_tags() -> list[dict]:
    """Every tag as {id, name, category}, by name; cached until a tag changes (or for an hour)."""
    tags = get_quietly(PUBLIC_TAGS_KEY)
    if tags is None:
        tags = [
            {"id": str(tag_id), "name": name, "category": category}
            for tag_id, name, category in Tag.objects.order_by("name").values_list("id", "name", "category")
        ]
        set_quietly(PUBLIC_TAGS_KEY, tags, settings.TAG_LIST_CACHE_SECONDS)
    return tags


def _matching_speech_ids(*, level: str, type: str, tag_ids: Sequence[uuid.UUID]) -> bytes:
    """Ids of the active speeches of this level and type having any of the tags, packed 16 bytes each.

    Packed bytes rather than a list of UUIDs: for tens of thousands of matches this is a
    fraction of the size in the cache and costs nothing to unpickle.
    """
    has_any_tag = Exists(SpeechTag.objects.filter(speech_id=OuterRef("pk"), tag_id__in=tag_ids))
    ids = Speech.objects.active().filter(has_any_tag, level=level, type=type).order_by().values_list("id", flat=True)
    if connection.vendor == "postgresql":
        # PostgreSQL packs the ids itself and sends one value: no row or UUID object per match.
        sql, params = ids.query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT string_agg(uuid_send(matching.id), ''::bytea) FROM ({sql}) AS matching", params)
            packed = cursor.fetchone()[0]
        return bytes(packed or b"")
    return b"".join(speech_id.bytes for speech_id in ids)


def _practice_ids(*, level: str, type: str, tag_ids: Sequence[uuid.UUID]) -> bytes:
    generation = content_generation()
    shared = generation is not None
    # Without the shared cache no edit can be heard of (edits are refused meanwhile), so this
    # process keeps its own lists briefly rather than asking the database on every request.
    key = practice_ids_key(level=level, type=type, tag_ids=tag_ids, generation=generation if shared else 0)
    packed = local_practice_ids.get(key)
    if packed is None:
        packed = get_quietly(key) if shared else None
        if packed is None:
            packed = _matching_speech_ids(level=level, type=type, tag_ids=tag_ids)
            if shared:
                set_quietly(key, packed, settings.PRACTICE_SET_CACHE_SECONDS)
        local_practice_ids.set(key, packed, settings.PRACTICE_SET_CACHE_SECONDS if shared else OFFLINE_IDS_SECONDS)
    return packed


def practice_set(*, level: str, type: str, tag_ids: Sequence[uuid.UUID], limit: int) -> list[Speech]:
    """Up to `limit` distinct random active speeches with level AND type AND any of the tags.

    The matching ids are cached per filter for a few minutes (in the shared cache and, for
    the busiest filters, in this process), under the content generation so editor changes
    show at once; each request samples from them in memory and loads only the chosen rows
    and their tags: two queries whatever the number of matches, never a sort of the whole
    match set. While the shared cache is unavailable each process keeps its lists for
    OFFLINE_IDS_SECONDS.
    """
    packed = _practice_ids(level=level, type=type, tag_ids=tag_ids)

    count = len(packed) // _UUID_BYTES
    positions = random.sample(range(count), min(limit, count))
    chosen = [uuid.UUID(bytes=packed[p * _UUID_BYTES:(p + 1) * _UUID_BYTES]) for p in positions]
    if not chosen:
        return []
    # Still filtered: a speech archived a moment ago must not be served from a stale list.
    rows = (Speech.objects.active().filter(id__in=chosen).order_by()
            .prefetch_related(Prefetch("tags", queryset=Tag.objects.only("id", "name"))))
    by_id = {speech.id: speech for speech in rows}
    return [by_id[speech_id] for speech_id in chosen if speech_id in by_id]


def speech_for_learner(*, speech_id: uuid.UUID) -> Speech:
    """A speech with its tags, archived or not (history still shows archived ones)."""
    try:
        return Speech.objects.prefetch_related("tags").get(pk=speech_id)
    except Speech.DoesNotExist:
        raise SpeechNotFound() from None


# --- editors -------------------------------------------------------------------------------

def search_speeches(queryset: QuerySet[Speech], text: str) -> QuerySet[Speech]:
    """Speeches whose text has the words (any form: "cooking" finds "cooked") or contains the text.

    On PostgreSQL the words are a full-text search (English stemming, idx_speech_text_fts) and
    the substring a case-insensitive LIKE served by the trigram index (idx_speech_text_trgm);
    elsewhere only the substring match.
    """
    text = text.strip()
    if not text:
        return queryset
    if connection.vendor == "postgresql":
        # Both expressions must stay identical to those of their indexes, or the planner scans.
        return queryset.alias(search_vector=SearchVector("text", config="english")).filter(
            Q(search_vector=SearchQuery(text, config="english", search_type="websearch"))
            | Q(text__icontains=text))
    return queryset.filter(text__icontains=text)


def speeches_with_tag(queryset: QuerySet[Speech], *, tag_id: uuid.UUID) -> QuerySet[Speech]:
    # EXISTS rather than a JOIN: no duplicate rows, so no DISTINCT over the whole match set.
    return queryset.filter(Exists(SpeechTag.objects.filter(speech_id=OuterRef("pk"), tag_id=tag_id)))


def editor_speech_list(*, level: str | None = None, type: str | None = None, tag_id: uuid.UUID | None = None,
                       search: str | None = None) -> QuerySet[Speech]:
    """Active speeches for the editor API, newest first, with their tags prefetched."""
    speeches = Speech.objects.active()
    if level:
        speeches = speeches.filter(level=level)
    if type:
        speeches = speeches.filter(type=type)
    if tag_id:
        speeches = speeches_with_tag(speeches, tag_id=tag_id)
    if search:
        speeches = search_speeches(speeches, search)
    return speeches.order_by("-created_at", "-id").prefetch_related("tags")


def editor_speech(*, speech_id: uuid.UUID) -> Speech:
    """An active speech for editors; archived ones are gone as far as the editor API is concerned."""
    try:
        return Speech.objects.active().prefetch_related("tags").get(pk=speech_id)
    except Speech.DoesNotExist:
        raise SpeechNotFound() from None


def speeches_for_export(*, level: str | None = None, type: str | None = None, tag_id: uuid.UUID | None = None,
                        search: str | None = None) -> QuerySet[Speech]:
    """The editor list's speeches (same filters), oldest first, so an export reads in creation order."""
    return editor_speech_list(level=level, type=type, tag_id=tag_id, search=search).order_by("created_at", "id")


# --- tags ----------------------------------------------------------------------------------

def active_speech_count_of_tag() -> ExpressionWrapper:
    """A per-row expression for a Tag queryset: how many active speeches use the tag.

    The one way "active speeches of a tag" is counted (lists, the admin, the delete rule).
    All links of the tag (an index-only count) minus those of archived speeches (few):
    far cheaper on big catalogues than joining every link to its speech. A correlated
    subquery, so counting or paging the tags themselves never evaluates it.
    """
    def links(**conditions) -> Coalesce:
        per_tag = (SpeechTag.objects.filter(tag_id=OuterRef("pk"), **conditions).order_by()
                   .values("tag_id").annotate(total=Count("*")).values("total"))
        return Coalesce(Subquery(per_tag, output_field=IntegerField()), 0)

    return ExpressionWrapper(links() - links(speech__archived_at__isnull=False), output_field=IntegerField())


def tags_with_speech_count() -> QuerySet[Tag]:
    """Tags by name, each annotated with `speech_count` (active speeches using it), in one query."""
    return Tag.objects.annotate(speech_count=active_speech_count_of_tag()).order_by("name")


def tag_with_speech_count(*, tag_id: uuid.UUID) -> Tag:
    try:
        return tags_with_speech_count().get(pk=tag_id)
    except Tag.DoesNotExist:
        raise TagNotFound() from None


def active_speech_count(*, tag_id: uuid.UUID) -> int:
    """How many active speeches use the tag (0 for an unknown tag)."""
    return tags_with_speech_count().filter(pk=tag_id).values_list("speech_count", flat=True).first() or 0


def tags_by_name_key(names: Iterable[str]) -> dict[str, Tag]:
    """The existing tags among `names`, by `tag_name_key`: the same tag whatever the spelling's case or spaces."""
    keys = {tag_name_key(name) for name in names} - {""}
    if not keys:
        return {}
    tags = Tag.objects.annotate(name_key=Lower("name")).filter(name_key__in=keys)
    return {tag_name_key(tag.name): tag for tag in tags}


def missing_tag_names(names: Iterable[str]) -> list[str]:
    """The names among `names` no tag has yet, each once, in the first spelling given (normalised)."""
    names = list(names)
    existing = tags_by_name_key(names)
    missing: dict[str, str] = {}
    for name in names:
        key = tag_name_key(name)
        if key and key not in existing:
            missing.setdefault(key, normalise_tag_name(name))
    return list(missing.values())
