"""The shared cache (Redis) as something the app is faster with, not something it needs.

Two cache backends, configured in settings:

- `ResilientRedisCache` ("default"): django-redis with short socket timeouts behind a
  circuit breaker. The first failed call opens the breaker; for CACHE_BREAKER_SECONDS
  every call then raises `CacheUnavailable` at once instead of waiting on a dead or hung
  server, after which one call probes the server again and, if it answers, closes the
  breaker: recovery needs no restart. Callers decide what an unavailable cache means:
  reads of cached data go to the database (`get_quietly`, `set_quietly`), an invalidation
  that must not be lost lets the error through (503, the caller's transaction rolls back).
- `FallbackCache` ("counters"): rate-limit and sign-in lockout counters. While the shared
  cache is unavailable they are counted in this process instead, so limits keep holding
  (per process, hence looser by the number of worker processes) rather than stopping.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.base import DEFAULT_TIMEOUT, BaseCache
from django.core.cache.backends.locmem import LocMemCache
from django.utils.translation import gettext_lazy as _
from django_prometheus.cache.backends.redis import RedisCache
from django_redis.exceptions import ConnectionInterrupted
from redis.exceptions import RedisError

from core.exceptions import ServiceUnavailable
from core.observability import metrics

logger = logging.getLogger(__name__)

_CONNECTION_ERRORS = (RedisError, ConnectionInterrupted, OSError)


class CacheUnavailable(ServiceUnavailable):
    code = "cache_unavailable"
    detail = _("The cache is unavailable. Try again later.")


class CircuitBreaker:
    """Closed (calls go through), open (calls are refused) for `reset_after` seconds, then half-open.

    Half-open lets exactly one caller through as a probe while the others are still refused,
    so a server that is still hung costs one timeout per period, not one per request.
    """

    def __init__(self, *, reset_after: float, clock: Callable[[], float] = time.monotonic):
        self.reset_after = reset_after
        self._clock = clock
        self._open_until: float | None = None
        self._probing = False
        self._lock = threading.Lock()

    @property
    def state(self) -> str:
        with self._lock:
            if self._open_until is None:
                return "closed"
            return "open" if self._probing or self._clock() < self._open_until else "half-open"

    def allow(self) -> bool:
        with self._lock:
            if self._open_until is None:
                return True
            if self._probing or self._clock() < self._open_until:
                return False
            self._probing = True
            return True

    def succeeded(self) -> bool:
        """Closed from now; True when it was open until this success."""
        with self._lock:
            closed = self._open_until is not None
            self._open_until, self._probing = None, False
            return closed

    def failed(self) -> bool:
        """Open (again) from now; True when this failure is the one that opened it."""
        with self._lock:
            opened = self._open_until is None
            self._open_until, self._probing = self._clock() + self.reset_after, False
            return opened


_breakers: dict[str, CircuitBreaker] = {}
_breakers_lock = threading.Lock()


def breaker_for(location: str) -> CircuitBreaker:
    """One breaker per server and process: Django makes a cache object per thread, the outage is shared."""
    with _breakers_lock:
        breaker = _breakers.get(location)
        if breaker is None:
            breaker = _breakers[location] = CircuitBreaker(reset_after=settings.CACHE_BREAKER_SECONDS)
    breaker.reset_after = settings.CACHE_BREAKER_SECONDS  # a new cache object per request thread sees changes
    return breaker


class ResilientRedisCache(RedisCache):
    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self.breaker = breaker_for(server)

    def _guarded(self, operation: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if not self.breaker.allow():
            raise CacheUnavailable()
        try:
            result = operation(self, *args, **kwargs)
        except _CONNECTION_ERRORS as exc:
            if self.breaker.failed():
                logger.warning("Cache unreachable, skipping it for %ss: %s", self.breaker.reset_after, exc)
                metrics.record_cache_breaker(opened=True)
            raise CacheUnavailable() from exc
        except Exception:
            self.breaker.succeeded()  # the server answered, if only with an error of ours
            raise
        if self.breaker.succeeded():
            logger.warning("Cache reachable again")
            metrics.record_cache_breaker(opened=False)
        return result


def _guard(name: str) -> Callable[..., Any]:
    operation = getattr(RedisCache, name)

    def method(self: ResilientRedisCache, *args: Any, **kwargs: Any) -> Any:
        return self._guarded(operation, *args, **kwargs)

    method.__name__ = method.__qualname__ = name
    method.__doc__ = operation.__doc__
    return method


# Every call that talks to the server; composite ones (get_or_set) are made of these.
_OPERATIONS = ("get", "set", "add", "delete", "get_many", "set_many", "delete_many", "has_key", "incr", "decr",
               "touch", "clear", "ttl", "expire")
for _name in _OPERATIONS:
    setattr(ResilientRedisCache, _name, _guard(_name))


class FallbackCache(BaseCache):
    """The cache alias in LOCATION while it answers, this process's memory while it does not."""

    def __init__(self, location: str, params: dict[str, Any]) -> None:
        super().__init__(params)
        self._primary_alias = location
        self._local = LocMemCache(f"fallback:{location}", {"OPTIONS": {"MAX_ENTRIES": 100_000}})

    def _call(self, name: str, *args: Any, **kwargs: Any) -> Any:
        try:
            return getattr(caches[self._primary_alias], name)(*args, **kwargs)
        except CacheUnavailable:
            return getattr(self._local, name)(*args, **kwargs)

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("add", key, value, timeout=timeout, version=version)

    def get(self, key, default=None, version=None):
        return self._call("get", key, default, version=version)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("set", key, value, timeout=timeout, version=version)

    def incr(self, key, delta=1, version=None):
        return self._call("incr", key, delta, version=version)

    def delete(self, key, version=None):
        return self._call("delete", key, version=version)

    def get_many(self, keys, version=None):
        return self._call("get_many", keys, version=version)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("set_many", data, timeout=timeout, version=version)

    def delete_many(self, keys, version=None):
        return self._call("delete_many", keys, version=version)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("touch", key, timeout=timeout, version=version)

    def has_key(self, key, version=None):
        return self._call("has_key", key, version=version)

    def clear(self):
        self._local.clear()
        return self._call("clear")


def get_quietly(key: str, default: Any = None, *, alias: str = "default") -> Any:
    """A cached value, or `default` when it is absent or the cache is unavailable."""
    try:
        return caches[alias].get(key, default)
    except CacheUnavailable:
        return default


def set_quietly(key: str, value: Any, timeout: float | None, *, alias: str = "default", only_if_absent: bool = False
                ) -> None:
    """Remember a value if the cache is available; without it the next read just misses."""
    try:
        if only_if_absent:
            caches[alias].add(key, value, timeout)
        else:
            caches[alias].set(key, value, timeout)
    except CacheUnavailable:
        pass


def get_many_quietly(keys: list[str], *, alias: str = "default") -> dict[str, Any]:
    """The cached values of those `keys` that are present; none while the cache is unavailable."""
    try:
        return caches[alias].get_many(keys)
    except CacheUnavailable:
        return {}


def set_many_quietly(values: dict[str, Any], timeout: float | None, *, alias: str = "default") -> None:
    try:
        caches[alias].set_many(values, timeout)
    except CacheUnavailable:
        pass


def forget(key: str, *, alias: str = "default") -> None:
    """Drop a cached value now and, inside a transaction, again once it commits (a reader that cached the old
    row in between is undone); lost to an outage, the value lives out its own timeout."""
    from django.db import transaction

    def drop() -> None:
        try:
            caches[alias].delete(key)
        except CacheUnavailable:
            pass

    drop()
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(drop)


def count_in_window(key: str, window: int, *, alias: str = "counters") -> int:
    """Count one event under `key` in a fixed window of `window` seconds from its first event; the count so far."""
    counters = caches[alias]
    # add() writes only if absent, so concurrent first events agree on one window.
    counters.add(key, 0, timeout=window)
    try:
        return counters.incr(key)
    except ValueError:  # the window ran out between add() and incr()
        counters.set(key, 1, timeout=window)
        return 1


# --- generations: one number per name, bumped by any change the cached reads under it depend on ----------

def generation_key(name: str) -> str:
    """The cache key of the generation of `name`, for a caller that reads it in a round trip with other keys."""
    return f"{name}:generation"


def generation(name: str) -> int | None:
    """The current generation of `name` (made on first use), or None while the shared cache is unavailable:
    then nothing cached under it can be trusted and callers read the database."""
    cache = caches["default"]
    key = generation_key(name)
    try:
        value = cache.get(key)
        if value is None:
            # Time-based, so a generation lost to eviction or a restart never repeats an old one.
            cache.add(key, time.time_ns(), timeout=None)
            value = cache.get(key) or time.time_ns()
    except CacheUnavailable:
        return None
    return value


def advance_generation(name: str) -> None:
    """Move the generation of `name` on at once; `CacheUnavailable` goes through, for a caller whose change must
    not commit when its caches cannot be invalidated."""
    cache = caches["default"]
    try:
        cache.incr(generation_key(name))
    except ValueError:  # none stored yet: any new one differs from what keys used
        cache.set(generation_key(name), time.time_ns(), timeout=None)


def learner_generation_name(user_id: Any) -> str:
    """The generation of what one learner's own writes change (bumped by every app that writes them)."""
    return f"learner:{user_id}"


def bump_generation(name: str) -> None:
    """Make everything cached under the current generation of `name` unreachable: now, so the writer's own
    transaction reads afresh, and again once it commits, so nothing a concurrent reader cached from the
    uncommitted state in between survives. A bump lost to an outage leaves entries to their own expiry."""
    from django.db import transaction

    def bump() -> None:
        try:
            advance_generation(name)
        except CacheUnavailable:
            pass

    bump()
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(bump)


def read_through(name: str, parts: tuple[Any, ...], depends_on: tuple[str, ...], compute: Callable[[], Any],
                 *, timeout: float) -> Any:
    """`compute()`, cached under `name` and `parts` while no generation named in `depends_on` moves on.

    The entry keeps the generations it was computed under, so one round trip reads the entry and the current
    generations together. While the cache is away nothing cached can be trusted: computed afresh. What is
    cached is computed from the primary (a replica's lag would outlive itself in the cache).
    """
    generation_keys = [generation_key(generation_name) for generation_name in depends_on]
    key = ":".join(str(part) for part in (name, *parts))
    try:
        found = caches["default"].get_many([*generation_keys, key])
    except CacheUnavailable:
        return compute()
    current = tuple(found.get(generation_key) for generation_key in generation_keys)
    if None in current:  # first use of a generation (or evicted): make it
        current = tuple(generation(generation_name) for generation_name in depends_on)
        if None in current:
            return compute()
    entry = found.get(key)
    if entry is not None and tuple(entry[0]) == current:
        return entry[1]
    from core.db.router import primary_reads

    with primary_reads():
        value = compute()
    set_quietly(key, (current, value), timeout)
    return value
