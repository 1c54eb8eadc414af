"""Password sign-in lockout, counted in the cache per account and address, and per account.

Every attempt is counted *before* the password is checked (one atomic increment), so
concurrent guesses cannot all slip past the check. Two budgets: LOGIN_LOCKOUT_ATTEMPTS per
account from one address (an attacker there locks only himself and that address out: the
owner elsewhere still signs in), and the slower LOGIN_LOCKOUT_ACCOUNT_ATTEMPTS per account
from anywhere (a botnet spreading guesses over many addresses). Each window is fixed from its
first attempt; a successful sign-in clears both. Counting happens whether or not the account
exists, so a 429 reveals nothing about which emails are registered.

The counters live in the "counters" cache: shared through Redis, and counted in each process
while Redis is unavailable, so the lockout loosens (by the number of processes) but never stops.
"""

import hashlib
import math
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import caches

from accounts.exceptions import AccountLocked
from core.cache import count_in_window
from core.http import context


def _counters():
    return caches["counters"]


@dataclass(frozen=True)
class _Budget:
    key: str
    limit: int
    window: int


def _digest(*parts: str) -> str:
    # Hashed so the cache never holds the addresses people tried.
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()


def _budgets(email: str) -> list[_Budget]:
    address = context.current().ip or "unknown"
    return [
        _Budget(f"accounts:login-attempts:{_digest(email, address)}",
                settings.LOGIN_LOCKOUT_ATTEMPTS, settings.LOGIN_LOCKOUT_WINDOW_SECONDS),
        _Budget(f"accounts:login-attempts-account:{_digest(email)}",
                settings.LOGIN_LOCKOUT_ACCOUNT_ATTEMPTS, settings.LOGIN_LOCKOUT_ACCOUNT_WINDOW_SECONDS),
    ]


def _since_key(budget: _Budget) -> str:
    return f"{budget.key}:since"


def _count(budget: _Budget) -> int:
    """This attempt counted in `budget`: the attempts in its window so far."""
    # The window's start (for Retry-After) is added first, so it is never younger than the count.
    _counters().add(_since_key(budget), time.time(), timeout=budget.window)
    return count_in_window(budget.key, budget.window)


def reserve_attempt(*, email: str) -> int:
    """Count one password attempt for `email` from the calling address, or refuse it (429).

    Returns the attempt's number in the per-address window (for the audit trail).
    """
    per_address = None
    for budget in _budgets(email):
        count = _count(budget)
        if count > budget.limit:
            # Read only when refusing: the window's start is what Retry-After counts from.
            since = float(_counters().get(_since_key(budget)) or time.time())
            wait = max(1, math.ceil(since + budget.window - time.time()))
            raise AccountLocked(headers={"Retry-After": str(wait)})
        per_address = count if per_address is None else per_address
    return per_address or 0


def is_last_allowed(attempt: int) -> bool:
    """True for the attempt that used up the per-address budget (the lock starts after it)."""
    return attempt == settings.LOGIN_LOCKOUT_ATTEMPTS


def reset(*, email: str) -> None:
    _counters().delete_many([key for budget in _budgets(email) for key in (budget.key, _since_key(budget))])
