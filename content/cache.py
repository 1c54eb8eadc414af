"""Cache keys of the content app and the "generation" that invalidates them all at once.

Every cached content read (practice-set id lists, practice-set items) has the current content
generation in its key. A change to speeches or tags bumps the generation, so every old entry
is simply never read again and expires on its own; nothing has to enumerate keys to delete them.

Practice-set id lists are packed ids, 16 bytes each. In Redis a request never fetches a long
list whole: `cached_id_list` answers a `StoredIds` that reads only the sampled ids, by
GETRANGE on the stored value (one pipelined round trip), knowing the list's length and where
the ids start from a small key beside it. Short lists, and lists this process built itself,
are kept in the process (`local_practice_ids`). Other cache backends (local memory, files:
one machine) hand out whole lists.
"""

import hashlib
import pickle
import struct
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from django.conf import settings
from django.core.cache import cache, caches

from core.cache import (
    CacheUnavailable,
    ResilientRedisCache,
    advance_generation,
    generation,
    generation_key,
    get_quietly,
)

CONTENT_GENERATION = "content"  # its key: content:generation
PUBLIC_TAGS_KEY = "content:tags:public"


# The content generation this process read last (`last_seen_generation`).
_seen_generation: int | None = None


def content_generation() -> int | None:
    """The current generation, or None while the shared cache is unavailable.

    Without it nothing cached can be trusted to be current (an edit could not bump it), so
    callers then read from the database.
    """
    global _seen_generation
    _seen_generation = generation(CONTENT_GENERATION)
    return _seen_generation


def last_seen_generation() -> int | None:
    """The content generation this process read last, while the shared cache is Redis.

    A request may look up what is cached under it and read the current generation in the same
    round trip (`confirmed_items`, `StoredIds.confirmed_at`): one round trip instead of two,
    and the answer says whether the guess still holds (it does until the next content change).
    """
    return _seen_generation if _redis() is not None else None


def _confirming(queue: Callable[[Any, Any], None]) -> tuple[int | None, list]:
    """One round trip to Redis: the current content generation, then the commands `queue(pipeline, client)`
    adds; their raw replies. Raises CacheUnavailable."""
    def read(backend: ResilientRedisCache) -> tuple[int | None, list]:
        client = backend.client
        pipeline = client.get_client(write=False).pipeline(transaction=False)
        pipeline.get(client.make_key(generation_key(CONTENT_GENERATION)))
        queue(pipeline, client)
        current, *replies = pipeline.execute()
        return (None if current is None else client.decode(current)), replies

    global _seen_generation
    current, replies = _redis_call(read)
    if current is not None:
        _seen_generation = current
    return current, replies


def bump_content_generation() -> None:
    # CacheUnavailable goes through: an edit whose caches cannot be invalidated must not commit.
    advance_generation(CONTENT_GENERATION)


def tag_ids_hash(tag_ids: Iterable[uuid.UUID | str]) -> str:
    """The same hash for the same set of tags, whatever their order or spelling (case, dashes)."""
    canonical = ",".join(sorted({uuid.UUID(str(tag_id)).hex for tag_id in tag_ids}))
    return hashlib.sha256(canonical.encode()).hexdigest()[:32]


def practice_ids_key(*, level: str, type: str, tag_ids: Iterable[uuid.UUID | str], generation: int) -> str:
    return _list_key(_practice_filter_key(level, type, tag_ids), generation)


def _list_key(filter_key: str, generation: int) -> str:
    return f"{filter_key}:g{generation}"


def _practice_filter_key(level: str, type: str, tag_ids: Iterable[uuid.UUID | str]) -> str:
    return f"speeches:{level}:{type}:{tag_ids_hash(tag_ids)}"


def _latest_list_key(filter_key: str) -> str:
    """Beside a filter's lists: the generation of the latest one built, for `earlier_id_list`."""
    return f"{filter_key}:latest"


def _id_list_meta_key(key: str) -> str:
    """Beside a list stored in Redis: its length and the offset of its first id in the stored value."""
    return f"{key}:n"


def _id_list_build_key(key: str) -> str:
    return f"{key}:build"


def speech_item_key(speech_id: uuid.UUID, generation: int) -> str:
    """A speech as practice sets serve it (without its signed URL), under the content generation."""
    return f"speech:item:{speech_id.hex}:g{generation}"


class LocalBlobCache:
    """A per-process LRU of recently used practice-set id lists, bounded in bytes.

    At a million speeches one filter matches tens of thousands of ids (about half a
    megabyte packed); fetching that from Redis on every request would cost more than the
    rest of the request. Keys carry the content generation, which is still read from the
    shared cache on every request, so a change anywhere is seen here at once.
    """

    def __init__(self, max_bytes: int):
        self.max_bytes = max_bytes
        self._items: OrderedDict[str, tuple[float, bytes]] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    def get(self, key: str) -> bytes | None:
        with self._lock:
            item = self._items.get(key)
            if item is None:
                return None
            expires_at, value = item
            if expires_at < time.monotonic():
                self._drop(key)
                return None
            self._items.move_to_end(key)
            return value

    def set(self, key: str, value: bytes, timeout: float) -> None:
        if len(value) > self.max_bytes:
            return
        with self._lock:
            if key in self._items:
                self._drop(key)
            self._items[key] = (time.monotonic() + timeout, value)
            self._size += len(value)
            while self._size > self.max_bytes:
                self._drop(next(iter(self._items)))

    def drop(self, key: str) -> None:
        with self._lock:
            if key in self._items:
                self._drop(key)

    def _drop(self, key: str) -> None:
        _, value = self._items.pop(key)
        self._size -= len(value)


local_practice_ids = LocalBlobCache(max_bytes=settings.PRACTICE_SET_LOCAL_CACHE_BYTES)
# The practice-set items this process served lately, pickled (a few hundred bytes each), under the same keys
# as in the shared cache: the generation in each key, read on every request, makes a change seen at once.
local_practice_items = LocalBlobCache(max_bytes=settings.PRACTICE_SET_LOCAL_ITEM_BYTES)
# (length, offset) of the long lists this process reads from Redis by slices, 16 bytes each: ~16k lists.
_local_id_list_meta = LocalBlobCache(max_bytes=256 * 1024)
_META = struct.Struct("<qq")

_UUID_BYTES = 16
# A list up to this size is fetched whole and kept in this process: one round trip, like its slices,
# and none at all the next time. Longer lists (tens of thousands of ids at a million speeches) only
# ever travel as the few slices a request samples.
WHOLE_LIST_MAX_BYTES = 64 * 1024


# --- practice-set id lists -----------------------------------------------------------------

class PackedIds:
    """An id list in this process's memory."""

    def __init__(self, packed: bytes):
        self.packed = packed
        self.count = len(packed) // _UUID_BYTES

    def at(self, positions: Sequence[int]) -> list[uuid.UUID]:
        packed = self.packed
        return [uuid.UUID(bytes=packed[p * _UUID_BYTES:(p + 1) * _UUID_BYTES]) for p in positions]


class StoredIds:
    """An id list in Redis, of which only the ids at the asked positions are read."""

    def __init__(self, key: str, count: int, offset: int):
        self.key, self.count, self.offset = key, count, offset

    def at(self, positions: Sequence[int]) -> list[uuid.UUID] | None:
        """The ids at `positions` (one round trip, 16 bytes each), or None once the list is gone from Redis."""
        if not positions:
            return []

        def read(backend: ResilientRedisCache) -> list[bytes]:
            pipeline = backend.client.get_client(write=False).pipeline(transaction=False)
            self._queue_slices(pipeline, backend.client, positions)
            return pipeline.execute()

        try:
            slices = _redis_call(read)
        except CacheUnavailable:
            slices = None
        return self._ids(slices)

    def confirmed_at(self, positions: Sequence[int], guess: int) -> tuple[int | None, list[uuid.UUID] | None]:
        """The current content generation, and `at(positions)` of this list of generation `guess`, in one round
        trip (raises CacheUnavailable); the ids count only when the generation is still `guess`."""
        current, slices = _confirming(lambda pipeline, client: self._queue_slices(pipeline, client, positions))
        return current, self._ids(slices) if current == guess else None

    def _queue_slices(self, pipeline: Any, client: Any, positions: Sequence[int]) -> None:
        name = client.make_key(self.key)
        for position in positions:
            start = self.offset + position * _UUID_BYTES
            pipeline.getrange(name, start, start + _UUID_BYTES - 1)

    def _ids(self, slices: list[bytes] | None) -> list[uuid.UUID] | None:
        if slices is None or any(len(piece) != _UUID_BYTES for piece in slices):
            _local_id_list_meta.drop(self.key)  # expired or evicted: built again
            return None
        return [uuid.UUID(bytes=piece) for piece in slices]


def _redis() -> ResilientRedisCache | None:
    backend = caches["default"]
    return backend if isinstance(backend, ResilientRedisCache) else None


def _redis_call(operation: Callable[[ResilientRedisCache], Any]) -> Any:
    """`operation(backend)` with raw Redis commands, behind the cache's circuit breaker (CacheUnavailable)."""
    return _redis()._guarded(operation)


def id_list_known_here(key: str) -> PackedIds | StoredIds | None:
    """The id list stored under `key` when this process has it, or knows where it lies in Redis: no round trip."""
    packed = local_practice_ids.get(key)
    if packed is not None:
        return PackedIds(packed)
    meta = _local_id_list_meta.get(key)
    return None if meta is None else StoredIds(key, *_META.unpack(meta))


def cached_id_list(key: str) -> PackedIds | StoredIds | None:
    """The id list stored under `key`, or None when it is not cached (or the cache is unavailable)."""
    known = id_list_known_here(key)
    if known is not None:
        return known
    if _redis() is not None:
        try:
            meta = _redis_call(lambda self: self.client.get_client(write=False).get(
                self.client.make_key(_id_list_meta_key(key))))
        except CacheUnavailable:
            return None
        if meta is None:
            return None
        count, offset = _META.unpack(meta)
        if offset >= 0 and count * _UUID_BYTES > WHOLE_LIST_MAX_BYTES:
            _local_id_list_meta.set(key, meta, settings.PRACTICE_SET_CACHE_SECONDS)
            return StoredIds(key, count, offset)
    packed = get_quietly(key)
    if packed is None:
        return None
    local_practice_ids.set(key, packed, settings.PRACTICE_SET_CACHE_SECONDS)
    return PackedIds(packed)


def store_id_list(key: str, packed: bytes, timeout: float, *, level: str, type: str,
                  tag_ids: Iterable[uuid.UUID | str], generation: int) -> None:
    """Share a list built here (quietly: without the cache the next request builds it again).

    In Redis the value under `key` is exactly what the cache would store for `packed` (so
    `cache.get(key)` reads it whole); the small key beside it says where in that value the
    ids start, for GETRANGE. Both are written in one pipeline, the list first, and then the
    filter's pointer to its latest generation (`earlier_id_list`).
    """
    latest = _latest_list_key(_practice_filter_key(level, type, tag_ids))
    backend = _redis()
    if backend is None:
        try:
            cache.set_many({key: packed, latest: generation}, timeout)
        except CacheUnavailable:
            pass
        return
    encoded = backend.client.encode(packed, allow_int=False)
    # The serializer wraps the bytes in a short header and trailer; a compressing cache would hide them (-1:
    # read whole).
    offset = encoded.rfind(packed) if packed else 0
    meta = _META.pack(len(packed) // _UUID_BYTES, offset)
    milliseconds = max(int(timeout * 1000), 1)

    def write(self: ResilientRedisCache) -> None:
        pipeline = self.client.get_client(write=True).pipeline(transaction=False)
        pipeline.set(self.client.make_key(key), encoded, px=milliseconds)
        # Never outlives the list it describes (a reader also copes if it does).
        pipeline.set(self.client.make_key(_id_list_meta_key(key)), meta, px=max(milliseconds - 1000, 1))
        # A slower build of an older generation may finish last and point back to its list: still a list
        # that was right once, and only ever served while a newer one is being built.
        pipeline.set(self.client.make_key(latest), self.client.encode(generation), px=milliseconds)
        pipeline.execute()

    try:
        _redis_call(write)
    except CacheUnavailable:
        pass


def earlier_id_list(*, level: str, type: str, tag_ids: Iterable[uuid.UUID | str],
                    generation: int) -> PackedIds | StoredIds | None:
    """The filter's latest list of a generation before `generation`, while it is still cached.

    What a request serves while another builds the current list after a content change: it can
    lack speeches added since and hold some changed since, which the caller must drop.
    """
    filter_key = _practice_filter_key(level, type, tag_ids)
    earlier = get_quietly(_latest_list_key(filter_key))
    if not isinstance(earlier, int) or earlier >= generation:
        return None
    return cached_id_list(_list_key(filter_key, earlier))


def claim_id_list_build(key: str, seconds: float) -> bool:
    """True for the one request that should build the list now; the others wait for it a little.

    Also True while the cache is unavailable: nobody could tell anyone that the list is built.
    The claim lapses by itself after `seconds`, should its holder die.
    """
    try:
        return bool(cache.add(_id_list_build_key(key), 1, timeout=seconds))
    except CacheUnavailable:
        return True


def release_id_list_build(key: str) -> None:
    try:
        cache.delete(_id_list_build_key(key))
    except CacheUnavailable:
        pass


# --- practice-set items --------------------------------------------------------------------

def cached_items(speech_ids: Sequence[uuid.UUID], generation: int) -> dict[uuid.UUID, dict]:
    """The cached items among `speech_ids`: this process's first, then the shared cache's (one round trip);
    only this process's while the shared cache is unavailable."""
    keys, items, wanted = _items_here(speech_ids, generation)
    if wanted:
        try:
            found = cache.get_many(wanted)
        except CacheUnavailable:
            found = {}
        _take_found(found, keys, items)
    return items


def confirmed_items(speech_ids: Sequence[uuid.UUID], guess: int) -> tuple[int | None, dict[uuid.UUID, dict]]:
    """The current content generation, and `cached_items(speech_ids, guess)`, in one round trip (raises
    CacheUnavailable); the items count only when the generation is still `guess`."""
    keys, items, wanted = _items_here(speech_ids, guess)

    def queue(pipeline: Any, client: Any) -> None:
        if wanted:
            pipeline.mget([client.make_key(key) for key in wanted])

    current, replies = _confirming(queue)
    if current != guess:
        return current, {}
    if wanted:
        decode = _redis().client.decode
        _take_found({key: decode(value) for key, value in zip(wanted, replies[0], strict=True) if value is not None},
                    keys, items)
    return current, items


def _items_here(speech_ids: Sequence[uuid.UUID], generation: int
                ) -> tuple[dict[str, uuid.UUID], dict[uuid.UUID, dict], list[str]]:
    """The item keys of `speech_ids` (key: id), those of their items this process has, the keys it lacks."""
    keys = {speech_item_key(speech_id, generation): speech_id for speech_id in speech_ids}
    items, wanted = {}, []
    for key, speech_id in keys.items():
        pickled = local_practice_items.get(key)
        if pickled is None:
            wanted.append(key)
        else:
            items[speech_id] = pickle.loads(pickled)
    return keys, items, wanted


def _take_found(found: Mapping[str, dict], keys: Mapping[str, uuid.UUID], items: dict[uuid.UUID, dict]) -> None:
    for key, item in found.items():
        items[keys[key]] = item
    _keep_items_here(found)


def remember_items(items: Mapping[uuid.UUID, dict], generation: int, timeout: float) -> None:
    if not items:
        return
    keyed = {speech_item_key(speech_id, generation): item for speech_id, item in items.items()}
    _keep_items_here(keyed)
    try:
        cache.set_many(keyed, timeout)
    except CacheUnavailable:
        pass


def _keep_items_here(keyed: Mapping[str, dict]) -> None:
    # Pickled: the byte budget counts real bytes, and a reader gets its own copy to sign.
    for key, item in keyed.items():
        local_practice_items.set(key, pickle.dumps(item, pickle.HIGHEST_PROTOCOL),
                                 settings.PRACTICE_SET_ITEM_CACHE_SECONDS)
