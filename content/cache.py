"""Cache keys of the content app and the "generation" that invalidates them all at once.

Every cached content read (practice-set id lists) has the current content generation in
its key. A change to speeches or tags bumps the generation, so every old entry is simply
never read again and expires on its own; nothing has to enumerate keys to delete them.
"""

import hashlib
import time
import uuid
from collections.abc import Iterable

from django.core.cache import cache

GENERATION_KEY = "content:generation"
PUBLIC_TAGS_KEY = "content:tags:public"


def _fresh_generation() -> int:
    # Time-based, so a generation lost to eviction or a restart never repeats an old one.
    return time.time_ns()


def content_generation() -> int:
    generation = cache.get(GENERATION_KEY)
    if generation is None:
        cache.add(GENERATION_KEY, _fresh_generation(), timeout=None)
        generation = cache.get(GENERATION_KEY) or _fresh_generation()
    return generation


def bump_content_generation() -> None:
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
