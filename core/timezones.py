"""A learner's time zone, the one rule every app counts local days with (streaks, today's XP, history dates)."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

UTC = ZoneInfo("UTC")


def user_zone(user: Any) -> ZoneInfo:
    """The learner's time zone (`user.timezone`, an IANA name); UTC when unset or unknown."""
    try:
        return ZoneInfo(user.timezone or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return UTC
