import django_ratelimit.core
import pytest


class Clock:
    def __init__(self, now: float):
        self.now = now

    def time(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class _PinnedTime:
    def __init__(self, clock: Clock):
        self.time = clock.time


@pytest.fixture
def clock(monkeypatch) -> Clock:
    """Pin the time django-ratelimit reads (and only that), so fixed windows never roll over mid-test."""
    pinned = Clock(1_750_000_000.0)
    monkeypatch.setattr(django_ratelimit.core, "time", _PinnedTime(pinned))
    return pinned
