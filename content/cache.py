"""Cache keys of the content app and the "generation" that invalidates them all at once.

Every cached content read (practice-set id lists) has the current content generation in
its key. A change to speeches or tags bumps the generation, so every old entry is simply
never read again and expires on its own; nothing has to enumerate keys to delete them.
"""

import hashlib
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Iterable

from django.conf import settings
from django.core.cache import cache

from core.cache import CacheUnavailable

GENERATION_KEY = "content:generation"
PUBLIC_TAGS_KEY = "content:tags:public"


def _fresh_generation() -> int:
    # Time-based, so a generation lost to eviction or a restart never repeats an old one.
    return time.time_ns()


def content_generation() -> int | None:
    """The current generation, or None while the shared cache is unavailable.

    Without it nothing cached can be trusted to be current (an edit could not bump it), so
    callers then read from the database.
    """
    try:
        generation = cache.get(GENERATION_KEY)
        if generation is None:
            cache.add(GENERATION_KEY, _fresh_generation(), timeout=None)
            generation = cache.get(GENERATION_KEY) or _fresh_generation()
    except CacheUnavailable:
        return None
    return generation


def bump_content_generation() -> None:
    # CacheUnavailable goes through: an edit whose caches cannot be invalidated must not commit.
    try:
        cache.incr(GENERATION_KEY)
    except ValueError:  # no generation stored yet: any new one differs from what keys used
        cache.set(GENERATION_KEY, _fresh_generation(), timeout=None)


def tag_ids_hash(tag_ids: Iterable[uuid.UUID | str]) -> str:
    """The same hash for the same set of tags, whatever their order or spelling (case, dashes)."""
    canonical = ",".join(sorted({uuid.UUID(str(tag_id)).hex for tag_id in tag_ids}))
    return hashlib.sha256(canonical.encode()).hexdigest()[:32]


def practice_ids_key(*, level: str, type: str, tag_ids: Iterable[uuid.UUID | str], generation: int) -> str:
    return f"speeches:{level}:{type}:{tag_ids_hash(tag_ids)}:g{generation}"


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

    def _drop(self, key: str) -> None:
        _, value = self._items.pop(key)
        self._size -= len(value)


local_practice_ids = LocalBlobCache(max_bytes=settings.PRACTICE_SET_LOCAL_CACHE_BYTES)
