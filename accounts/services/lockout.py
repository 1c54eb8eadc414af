"""Per-account login lockout, counted in the cache by normalised email.

Counting happens whether or not an account exists, so a 429 reveals nothing about
which emails are registered. The window is fixed from the first failure: after
LOGIN_LOCKOUT_ATTEMPTS failures, attempts answer 429 until it has passed.
"""

import hashlib
import math
import time

from django.conf import settings
from django.core.cache import cache

from accounts.exceptions import AccountLocked


def _keys(email: str) -> tuple[str, str]:
    # Hashed so the cache never holds the email addresses people tried.
    digest = hashlib.sha256(email.encode()).hexdigest()
    return f"accounts:login-failures:{digest}", f"accounts:login-failures-since:{digest}"


def seconds_until_unlocked(*, email: str) -> int:
    """0 when `email` may try to sign in, else seconds until it may."""
    count_key, since_key = _keys(email)
    values = cache.get_many([count_key, since_key])
    if int(values.get(count_key) or 0) < settings.LOGIN_LOCKOUT_ATTEMPTS:
        return 0
    since = float(values.get(since_key) or time.time())
    return max(1, math.ceil(since + settings.LOGIN_LOCKOUT_WINDOW_SECONDS - time.time()))


def ensure_not_locked(*, email: str) -> None:
    wait = seconds_until_unlocked(email=email)
    if wait:
        raise AccountLocked(headers={"Retry-After": str(wait)})


def register_failure(*, email: str) -> int:
    """Count one failed attempt; returns the failures in the current window."""
    count_key, since_key = _keys(email)
    window = settings.LOGIN_LOCKOUT_WINDOW_SECONDS
    # add() only writes if absent, so concurrent first failures agree on one window start.
    cache.add(since_key, time.time(), timeout=window)
    cache.add(count_key, 0, timeout=window)
    try:
        return cache.incr(count_key)
    except ValueError:  # the window ran out between add() and incr()
        cache.set(since_key, time.time(), timeout=window)
        cache.set(count_key, 1, timeout=window)
        return 1


def reset(*, email: str) -> None:
    cache.delete_many(list(_keys(email)))
