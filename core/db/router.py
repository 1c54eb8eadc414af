"""Read-only views read from the PostgreSQL replica, unless the learner has just written.

Installed only when DATABASE_REPLICA_URL is set (config/settings.py). A read goes to the
"replica" alias when all of these hold, and to "default" (the primary) otherwise:

- the request's view says it only reads: `read_replica = True` (every method) or a tuple of
  the methods that only read (`("GET",)` for a view whose POST saves);
- DRF has authenticated the caller: until then Django's lazy session user stands in, and the
  token's own checks (user row, sign-out) must see the primary anyway;
- the learner wrote nothing in the last DATABASE_REPLICA_STICKY_SECONDS (read-your-writes):
  every write of a learner's request is remembered in the shared cache when it commits, so a
  session saved through one web process shows in the history served by any other at once;
  with the cache unavailable nobody can tell, so the read goes to the primary;
- nothing in this request has written yet, and no transaction is open on the primary;
- the replica is reachable: a failed connection sends every read of this process to the
  primary for DATABASE_REPLICA_RETRY_SECONDS (the cache's circuit breaker), after which one
  request tries it again. A replica that fails in the middle of a request is that request's
  503 (core.exceptions), never a traceback.

Commands, jobs and the admin have no marked view, so they always use the primary: their reads
feed writes. The decision is taken once per request and kept on the request.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.db import DatabaseError, InterfaceError, connections, transaction
from django.utils.functional import LazyObject

from core.cache import CacheUnavailable, CircuitBreaker, set_quietly
from core.http import context

logger = logging.getLogger(__name__)

DEFAULT = "default"
REPLICA = "replica"
# Attributes of the request holding this request's decision and whether its write was remembered.
_DECISION = "_read_replica_decision"
_WRITE_NOTED = "_read_replica_write_noted"

# One per process, like the cache's: every thread of it meets the same outage. Its period is the setting's.
_breaker = CircuitBreaker(reset_after=5.0)


# Set while something that will be cached is computed: a cache filled from a lagging replica would keep the
# lag for its whole lifetime, under a generation that says it is current.
_primary_only: ContextVar[bool] = ContextVar("primary_only", default=False)


@contextmanager
def primary_reads() -> Iterator[None]:
    token = _primary_only.set(True)
    try:
        yield
    finally:
        _primary_only.reset(token)


def sticky_key(user_id: Any) -> str:
    return f"rw:{user_id}"


def remember_write(user_id: Any) -> None:
    """From now on, for DATABASE_REPLICA_STICKY_SECONDS, this learner's reads go to the primary."""
    set_quietly(sticky_key(user_id), time.time(), settings.DATABASE_REPLICA_STICKY_SECONDS)


def wrote_recently(user_id: Any) -> bool:
    try:
        return caches["default"].get(sticky_key(user_id)) is not None
    except CacheUnavailable:
        return True  # a write may be unknown to us: only the primary is sure to have it


def view_reads_only(request: Any) -> bool:
    """Whether the view answering `request` marked this method `read_replica`."""
    match = getattr(request, "resolver_match", None)
    view_class = getattr(getattr(match, "func", None), "view_class", None)  # set by as_view()
    marked = getattr(view_class, "read_replica", False)
    if isinstance(marked, bool):
        return marked
    method = "GET" if request.method == "HEAD" else request.method  # Django answers HEAD with get()
    return method in marked


def _caller(request: Any) -> Any:
    """The user DRF authenticated, or None: Django's lazy user is never evaluated here (it would query)."""
    user = request.__dict__.get("user")
    if user is None or isinstance(user, LazyObject) or not user.is_authenticated:
        return None
    return user


def replica_reachable() -> bool:
    """Connect (or health-check the kept connection) now, so an outage means the primary, not a 503."""
    breaker = _breaker
    breaker.reset_after = settings.DATABASE_REPLICA_RETRY_SECONDS
    if not breaker.allow():
        return False
    connection = connections[REPLICA]
    try:
        # Django would do both at the first query anyway (CONN_HEALTH_CHECKS): this is not an extra round trip.
        connection.close_if_health_check_failed()
        connection.ensure_connection()
    except (DatabaseError, InterfaceError) as exc:
        if breaker.failed():
            logger.warning("Read replica unreachable, reading from the primary for %ss: %s", breaker.reset_after, exc)
        return False
    except BaseException:
        breaker.failed()  # never leave the half-open breaker's one probe taken
        raise
    if breaker.succeeded():
        logger.warning("Read replica reachable again")
    return True


def reads_from_replica() -> bool:
    """The routing decision for a read now (see the module's docstring)."""
    if _primary_only.get() or connections[DEFAULT].in_atomic_block:
        # What will be cached reads the primary; a transaction reads its own writes and one consistent
        # snapshot: the primary's.
        return False
    request = context.current().request
    if request is None:
        return False
    decided = getattr(request, _DECISION, None)
    if decided is not None:
        return decided
    if not view_reads_only(request):
        setattr(request, _DECISION, False)
        return False
    user = _caller(request)
    if user is None:
        return False  # not kept: DRF may not have authenticated the caller yet
    decided = not wrote_recently(user.pk) and replica_reachable()
    setattr(request, _DECISION, decided)
    return decided


def note_write() -> None:
    """A write of this request: its later reads, and the learner's next ones, go to the primary."""
    request = context.current().request
    if request is None:
        return
    setattr(request, _DECISION, False)
    user = _caller(request)
    if user is None or getattr(request, _WRITE_NOTED, False):
        return
    setattr(request, _WRITE_NOTED, True)
    # When it commits: the window starts when the replica can start replaying it; a rollback wrote nothing.
    user_id = user.pk
    transaction.on_commit(lambda: remember_write(user_id), using=DEFAULT)


class ReplicaRouter:
    """DATABASE_ROUTERS entry: reads as decided above, writes and migrations on the primary."""

    def db_for_read(self, model: type, **hints: Any) -> str:
        return REPLICA if reads_from_replica() else DEFAULT

    def db_for_write(self, model: type, **hints: Any) -> str:
        note_write()
        return DEFAULT

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool:
        return True  # one database, two copies of it

    def allow_migrate(self, db: str, app_label: str, model_name: str | None = None, **hints: Any) -> bool:
        return db == DEFAULT  # the replica replays the primary's schema; it cannot be written
