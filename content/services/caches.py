"""Invalidation of the content caches after any change to speeches, tags or their links."""

from django.core.cache import cache
from django.db import transaction

from content.cache import PUBLIC_TAGS_KEY, bump_content_generation


def _drop_content_caches() -> None:
    bump_content_generation()
    cache.delete(PUBLIC_TAGS_KEY)


def invalidate_content_caches() -> None:
    """Forget cached practice-set id lists and the public tag list.

    Every content write calls it inside its transaction. Runs now, so a cache outage fails
    the caller's transaction instead of leaving stale practice sets behind, and again after
    commit, so a request that re-cached the old rows while the transaction was open cannot
    keep serving them.
    """
    _drop_content_caches()
    transaction.on_commit(_drop_content_caches)
