"""Rankings as Redis sorted sets: copies of database rows, rebuilt whenever they are missing.

They exist only when the shared cache is Redis (`REDIS_URL`); with the embedded defaults `enabled()` is
False and callers read the database. Every call goes through the cache's circuit breaker, and every failure
is `CacheUnavailable`, which callers answer by reading the database: a ranking is never the only copy.

A key is only ever written whole (`replace`) or raised in place while it exists (`raise_score`), so a set is
either missing or complete; a write lost to an outage is repaired when the key expires unread, or by the
rebuild that follows a miss.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from django.core.cache import caches

from core.cache import CacheUnavailable, ResilientRedisCache

T = TypeVar("T")

# ZADD GT only while the key exists: a missing set stays missing until it is rebuilt whole.
_RAISE_IF_PRESENT = """
if redis.call('EXISTS', KEYS[1]) == 1 then
  redis.call('ZADD', KEYS[1], 'GT', ARGV[1], ARGV[2])
  return 1
end
return 0
"""


def _cache() -> ResilientRedisCache | None:
    cache = caches["default"]
    return cache if isinstance(cache, ResilientRedisCache) else None


def enabled() -> bool:
    return _cache() is not None


def _run(command: Callable[[Any], T]) -> T:
    cache = _cache()
    if cache is None:
        raise CacheUnavailable()
    return cache._guarded(lambda backend: command(backend.client.get_client(write=True)))


def top(key: str, *, ttl: int) -> list[tuple[str, int]] | None:
    """Every member, highest score first (equal scores by member, descending); None when the set is missing.

    Reading a set keeps it for another `ttl` seconds.
    """
    def read(client: Any) -> list[Any]:
        pipe = client.pipeline(transaction=False)
        pipe.zrevrange(key, 0, -1, withscores=True)
        pipe.expire(key, ttl)
        return pipe.execute()[0]

    rows = _run(read)
    if not rows:
        return None
    return [(member.decode() if isinstance(member, bytes) else member, int(score)) for member, score in rows]


def position(key: str, member: str, *, ttl: int) -> tuple[int, int, int] | None:
    """(1-based rank in `top`'s order, members, score) of `member`; None when the set or the member is missing.

    One round trip; reading a set keeps it for another `ttl` seconds.
    """
    def read(client: Any) -> list[Any]:
        pipe = client.pipeline(transaction=False)
        pipe.zrevrank(key, member)
        pipe.zcard(key)
        pipe.zscore(key, member)
        pipe.expire(key, ttl)
        return pipe.execute()

    rank, members, score, _ = _run(read)
    if rank is None or score is None:
        return None
    return rank + 1, members, int(score)


def replace(key: str, scores: Mapping[str, int], *, ttl: int) -> None:
    """The whole set, swapped in at once."""
    def write(client: Any) -> None:
        pipe = client.pipeline(transaction=True)
        pipe.delete(key)
        if scores:
            pipe.zadd(key, dict(scores))
            pipe.expire(key, ttl)
        pipe.execute()

    _run(write)


def raise_score(key: str, member: str, score: int) -> None:
    """`member`'s score becomes `score` unless it is already higher; nothing when the set is missing."""
    _run(lambda client: client.eval(_RAISE_IF_PRESENT, 1, key, score, member))


def drop(key: str) -> None:
    _run(lambda client: client.delete(key))
