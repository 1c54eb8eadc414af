"""Reads of the content app: the public tag list, practice sets, the editor lists and tag lookups."""

import random
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from typing import NamedTuple

from django.conf import settings
from django.contrib.postgres.search import SearchQuery, SearchVector
from django.db import DEFAULT_DB_ALIAS, connection
from django.db.models import (
    BooleanField,
    Count,
    Exists,
    ExpressionWrapper,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce, Lower

from content.cache import (
    PUBLIC_TAGS_KEY,
    PackedIds,
    StoredIds,
    cached_id_list,
    cached_items,
    claim_id_list_build,
    confirmed_items,
    content_generation,
    earlier_id_list,
    id_list_known_here,
    last_seen_generation,
    local_practice_ids,
    practice_ids_key,
    release_id_list_build,
    remember_items,
    store_id_list,
)
from content.exceptions import SpeechNotFound, TagNotFound
from content.models import Speech, SpeechTag, Tag
from content.rules import normalise_tag_name, tag_name_key
from core.cache import CacheUnavailable, get_quietly, set_quietly

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
    fraction of the size in the cache and costs nothing to unpickle. Read from the primary
    (see `_speech_rows`).
    """
    speeches = Speech.objects.db_manager(DEFAULT_DB_ALIAS).active().filter(level=level, type=type).order_by()
    if connection.vendor == "postgresql":
        # The speech's own copy of its tag ids (content migration 0009, kept by triggers): one
        # index-only scan of the level's and type's speeches instead of a join with every link
        # of the tags. PostgreSQL packs the ids itself and sends one value: no row or UUID
        # object per match.
        has_any_tag = RawSQL("tag_ids && %s::uuid[]", ([str(tag_id) for tag_id in tag_ids],),
                             output_field=BooleanField())
        sql, params = speeches.filter(has_any_tag).values_list("id", flat=True).query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT string_agg(uuid_send(matching.id), ''::bytea) FROM ({sql}) AS matching", params)
            packed = cursor.fetchone()[0]
        return bytes(packed or b"")
    has_any_tag = Exists(SpeechTag.objects.filter(speech_id=OuterRef("pk"), tag_id__in=tag_ids))
    return b"".join(speech_id.bytes for speech_id in speeches.filter(has_any_tag).values_list("id", flat=True))


SerializeItems = Callable[[list[dict]], list[dict]]


# {generation: {tag id: (place in the tags' order by name, name)}} of the latest generations seen here.
_tag_lists: dict[int, dict[uuid.UUID, tuple[int, str]]] = {}
_TAG_LISTS_KEPT = 4


def _tags_by_id(generation: int | None, *, reload: bool = False) -> dict[uuid.UUID, tuple[int, str]]:
    """Every tag with its name and its place by name (the database's collation, as the API has always
    sorted a speech's tags): per content generation, so in this process a tag change is seen at once."""
    tags = None if reload or generation is None else _tag_lists.get(generation)
    if tags is None:
        tags = {tag_id: (place, name) for place, (tag_id, name) in enumerate(
            Tag.objects.db_manager(DEFAULT_DB_ALIAS).order_by("name").values_list("id", "name"))}
        if generation is not None:
            for old in sorted(_tag_lists)[:-(_TAG_LISTS_KEPT - 1)]:
                _tag_lists.pop(old, None)
            _tag_lists[generation] = tags
    return tags


def _tags_knowing(tag_ids: Sequence[uuid.UUID], generation: int | None) -> dict[uuid.UUID, tuple[int, str]]:
    """`_tags_by_id`, read again once when it lacks one of `tag_ids`: a tag newer than this process's list (or
    one deleted since, which stays missing). Without a generation the list is read afresh anyway."""
    tags = _tags_by_id(generation)
    if generation is not None and any(tag_id not in tags for tag_id in tag_ids):
        tags = _tags_by_id(generation, reload=True)
    return tags


def _speech_rows(speech_ids: Sequence[uuid.UUID], generation: int | None, *, active_only: bool = True) -> list[dict]:
    """The active ones of `speech_ids` (or all, archived too) as plain rows: id, audio (the storage key), text,
    level, type and tags ([{id, name}] by name).

    From the primary, like the id lists: what is read here is cached under the current content
    generation, and a replica that has not replayed the latest change yet must not put its older
    rows there (a speech archived a moment ago would then be served for minutes).
    """
    if not speech_ids:
        return []
    if connection.vendor == "postgresql":
        # One query, no model instances; the tag ids are the speech's own copy of its links (content
        # migration 0009), their names from the tag list of this generation.
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT s.id, s.audio, s.text, s.level, s.type, s.tag_ids "
                f"FROM {Speech._meta.db_table} s WHERE s.id = ANY(%s)"
                + (" AND s.archived_at IS NULL" if active_only else ""), [list(speech_ids)])
            found = cursor.fetchall()
    else:
        speeches = Speech.objects.db_manager(DEFAULT_DB_ALIAS).all()
        found = [(*row, []) for row in (speeches.active() if active_only else speeches).filter(id__in=speech_ids)
                 .order_by().values_list("id", "audio", "text", "level", "type")]
        links = {row[0]: row[5] for row in found}
        for speech_id, tag_id in (SpeechTag.objects.db_manager(DEFAULT_DB_ALIAS).filter(speech_id__in=links)
                                  .values_list("speech_id", "tag_id")):
            links[speech_id].append(tag_id)
    tags = _tags_knowing([tag_id for *_, tag_ids in found for tag_id in tag_ids], generation)
    return [{"id": speech_id, "audio": audio, "text": text, "level": level, "type": type_,
             "tags": [{"id": tag_id, "name": tags[tag_id][1]}
                      for tag_id in sorted((t for t in tag_ids if t in tags), key=lambda t: tags[t][0])]}
            for speech_id, audio, text, level, type_, tag_ids in found]


def _load_items(speech_ids: Sequence[uuid.UUID], generation: int | None, serialize: SerializeItems, *,
                active_only: bool = True) -> dict[uuid.UUID, dict]:
    """The items of those of `speech_ids` still active (or of all), by id."""
    rows = _speech_rows(speech_ids, generation, active_only=active_only)
    return {row["id"]: item for row, item in zip(rows, serialize(rows), strict=True)}


def _build_id_list(*, key: str, level: str, type: str, tag_ids: Sequence[uuid.UUID], generation: int,
                   serialize: SerializeItems) -> PackedIds:
    packed = _matching_speech_ids(level=level, type=type, tag_ids=tag_ids)
    ids = PackedIds(packed)
    if 0 < ids.count <= settings.PRACTICE_SET_PRELOAD_MAX:
        # A short list gets all its items cached now, so its requests never query again (before the
        # list is shared: whoever finds the list finds its items too).
        remember_items(_load_items(ids.at(range(ids.count)), generation, serialize), generation,
                       settings.PRACTICE_SET_ITEM_CACHE_SECONDS)
    store_id_list(key, packed, settings.PRACTICE_SET_CACHE_SECONDS, level=level, type=type, tag_ids=tag_ids,
                  generation=generation)
    local_practice_ids.set(key, packed, settings.PRACTICE_SET_CACHE_SECONDS)
    return ids


class _IdList(NamedTuple):
    ids: PackedIds | StoredIds
    current: bool  # False: a list of an earlier generation, served while the current one is built


def _id_list(*, level: str, type: str, tag_ids: Sequence[uuid.UUID], generation: int,
             serialize: SerializeItems) -> _IdList:
    """The filter's id list: cached, else built by one request while the others serve the list before it.

    Single flight: when a change has just invalidated every list, the concurrent first requests
    of one filter do not all run its query, and do not wait for it either: one claims the build,
    the others sample the filter's list of the generation before, whose items `practice_set`
    still reads under the current one (so nothing archived or changed away is served; speeches
    added meanwhile show once the build is done, a second or so at a million speeches). A filter
    without an earlier list polls for the new one for up to PRACTICE_SET_BUILD_WAIT_SECONDS, then
    builds it itself (a slow or dead builder delays nobody for longer than that).
    """
    key = practice_ids_key(level=level, type=type, tag_ids=tag_ids, generation=generation)
    ids = cached_id_list(key)
    if ids is not None:
        return _IdList(ids, current=True)
    build = {"key": key, "level": level, "type": type, "tag_ids": tag_ids, "generation": generation,
             "serialize": serialize}
    wait = settings.PRACTICE_SET_BUILD_WAIT_SECONDS
    if claim_id_list_build(key, wait):
        try:
            # Built and released by another request since this one looked?
            return _IdList(cached_id_list(key) or _build_id_list(**build), current=True)
        finally:
            release_id_list_build(key)
    earlier = earlier_id_list(level=level, type=type, tag_ids=tag_ids, generation=generation)
    if earlier is not None:
        return _IdList(earlier, current=False)
    deadline, pause = time.monotonic() + wait, 0.002
    while time.monotonic() < deadline:
        time.sleep(min(pause, max(deadline - time.monotonic(), 0)))
        pause = min(pause * 2, 0.01)  # a poll is one small read: the list is taken up soon after it is built
        ids = cached_id_list(key)
        if ids is not None:
            return _IdList(ids, current=True)
    return _IdList(_build_id_list(**build), current=True)


def _positions(ids: PackedIds | StoredIds, limit: int) -> list[int]:
    # Drawn uniformly without replacement: every match equally likely, none twice.
    return random.sample(range(ids.count), min(limit, ids.count))


def _sample(ids: PackedIds | StoredIds, limit: int) -> list[uuid.UUID] | None:
    return ids.at(_positions(ids, limit))


def _item_matches(item: dict, *, level: str, type: str, tag_ids: set[str]) -> bool:
    return item["level"] == level and item["type"] == type and any(tag["id"] in tag_ids for tag in item["tags"])


def practice_set(*, level: str, type: str, tag_ids: Sequence[uuid.UUID], limit: int,
                 serialize: SerializeItems) -> list[dict]:
    """Up to `limit` distinct random active speeches with level AND type AND any of the tags, as items.

    `serialize` turns rows (see `_speech_rows`) into the cacheable form of their items, without
    the signed audio URL, which expires: the caller signs per request. Items carry the speech's
    id, level, type and tags ([{id}]), which a list of an earlier generation is checked against.

    A request costs O(limit), not O(matches): the matching ids are cached per filter (in Redis
    only the sampled ids are read, see content.cache; short lists and those built here are kept
    in this process) and the items per speech, both under the content generation, so a cached
    practice set makes no query at all. Serving cached items without re-reading the rows is
    safe because every write of a speech, a tag or their links bumps the generation, inside its
    transaction and again on commit (content.services.caches.invalidate_content_caches): an
    archived, moved, retagged or edited speech is never read from an older generation's item,
    and the current generation's are built from the primary after the commit. An older
    generation's id list is only sampled while the current one is being built (`_id_list`).

    The content generation is read in the same round trip as the first thing looked up under it,
    guessing it is the one this process saw last (`_practice_set_as_seen`).

    While the shared cache is unavailable, each process keeps its lists for OFFLINE_IDS_SECONDS
    and reads the chosen rows every time.
    """
    seen = _practice_set_as_seen(level=level, type=type, tag_ids=tag_ids, limit=limit, serialize=serialize)
    if seen.served is not None:
        return seen.served
    generation = seen.generation or content_generation()
    if generation is None:
        return _practice_set_offline(level=level, type=type, tag_ids=tag_ids, limit=limit, serialize=serialize)
    ids, current = _id_list(level=level, type=type, tag_ids=tag_ids, generation=generation, serialize=serialize)
    chosen = _sample(ids, limit)
    if chosen is None:  # gone from Redis between its length and its slices
        key = practice_ids_key(level=level, type=type, tag_ids=tag_ids, generation=generation)
        ids, current = _build_id_list(key=key, level=level, type=type, tag_ids=tag_ids, generation=generation,
                                      serialize=serialize), True
        chosen = _sample(ids, limit)
    items = _items_by_id(chosen, generation, serialize)
    served = [items[speech_id] for speech_id in chosen if speech_id in items]
    if current:
        return served
    return _still_matching(served, ids, limit, generation, serialize, level=level, type=type, tag_ids=tag_ids)


class _AsSeen(NamedTuple):
    generation: int | None  # the current one when it was read, else None
    served: list[dict] | None  # None: not served as seen


def _practice_set_as_seen(*, level: str, type: str, tag_ids: Sequence[uuid.UUID], limit: int,
                          serialize: SerializeItems) -> _AsSeen:
    """`practice_set` under the generation this process saw last, when it knows that generation's id list of the
    filter: the current generation is read with the sampled ids (or their items) in one round trip.

    A cached practice set then costs one round trip to Redis instead of two (three for a long list);
    when a change has moved the generation on, the generation read is handed back and nothing else.
    """
    guess = last_seen_generation()
    if guess is None:
        return _AsSeen(None, None)
    ids = id_list_known_here(practice_ids_key(level=level, type=type, tag_ids=tag_ids, generation=guess))
    if ids is None:
        return _AsSeen(None, None)
    positions = _positions(ids, limit)
    try:
        if isinstance(ids, PackedIds):
            chosen = ids.at(positions)
            current, items = confirmed_items(chosen, guess)
        else:
            current, chosen = ids.confirmed_at(positions, guess)
            items = {} if chosen is None else cached_items(chosen, guess)
    except CacheUnavailable:
        return _AsSeen(None, None)
    if current != guess or chosen is None:
        return _AsSeen(current, None)
    items = _items_by_id(chosen, guess, serialize, cached=items)
    return _AsSeen(current, [items[speech_id] for speech_id in chosen if speech_id in items])


def _still_matching(served: list[dict], earlier: PackedIds | StoredIds, limit: int, generation: int,
                    serialize: SerializeItems, *, level: str, type: str, tag_ids: Sequence[uuid.UUID]) -> list[dict]:
    """The items drawn from an earlier list that the filter still matches, topped up once with a second
    draw from the same list when a change took some of them away (then fewer than `limit` at worst)."""
    wanted = {str(tag_id) for tag_id in tag_ids}
    kept = [item for item in served if _item_matches(item, level=level, type=type, tag_ids=wanted)]
    if len(kept) >= min(limit, earlier.count):
        return kept
    seen = {item["id"] for item in kept}
    more = [speech_id for speech_id in _sample(earlier, 2 * limit) or [] if str(speech_id) not in seen]
    items = _items_by_id(more, generation, serialize)
    kept += [items[speech_id] for speech_id in more if speech_id in items
             and _item_matches(items[speech_id], level=level, type=type, tag_ids=wanted)]
    return kept[:limit]


def _items_by_id(speech_ids: Sequence[uuid.UUID], generation: int, serialize: SerializeItems, *,
                 cached: dict[uuid.UUID, dict] | None = None) -> dict[uuid.UUID, dict]:
    """The items of those of `speech_ids` still active: cached (or those in `cached`, already looked up), else
    loaded and cached."""
    items = cached_items(speech_ids, generation) if cached is None else cached
    missing = [speech_id for speech_id in speech_ids if speech_id not in items]
    if missing:
        loaded = _load_items(missing, generation, serialize)
        remember_items(loaded, generation, settings.PRACTICE_SET_ITEM_CACHE_SECONDS)
        items.update(loaded)
    return items


def tag_names(tag_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, str]:
    """The names of those of `tag_ids` that exist, from this process's tag list of the current generation."""
    tags = _tags_knowing(tag_ids, content_generation())
    return {tag_id: tags[tag_id][1] for tag_id in tag_ids if tag_id in tags}


def speech_items(speech_ids: Sequence[uuid.UUID], *, serialize: SerializeItems,
                 archived_too: bool = False) -> list[dict]:
    """The items of the active ones of `speech_ids` (`archived_too`: of all), in that order, as `practice_set`
    gives them (unsigned): from the same per-speech cache, so sentences cached by anyone's practice set cost no
    query. Archived ones are read every time: the cache holds only what may be served to practise."""
    generation = content_generation()
    if generation is None:
        items = _load_items(speech_ids, None, serialize)
    else:
        items = _items_by_id(speech_ids, generation, serialize)
    missing = [speech_id for speech_id in speech_ids if speech_id not in items]
    if archived_too and missing:
        items.update(_load_items(missing, generation, serialize, active_only=False))
    return [items[speech_id] for speech_id in speech_ids if speech_id in items]


def _practice_set_offline(*, level: str, type: str, tag_ids: Sequence[uuid.UUID], limit: int,
                          serialize: SerializeItems) -> list[dict]:
    # Without the shared cache no edit can be heard of (edits are refused meanwhile), so this
    # process keeps its own lists briefly rather than asking the database on every request;
    # the chosen rows are read every time, so a speech archived meanwhile is still never served.
    key = practice_ids_key(level=level, type=type, tag_ids=tag_ids, generation=0)
    packed = local_practice_ids.get(key)
    if packed is None:
        packed = _matching_speech_ids(level=level, type=type, tag_ids=tag_ids)
        local_practice_ids.set(key, packed, OFFLINE_IDS_SECONDS)
    chosen = _sample(PackedIds(packed), limit)
    items = _load_items(chosen, None, serialize)
    return [items[speech_id] for speech_id in chosen if speech_id in items]


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
