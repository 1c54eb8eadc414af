"""read_through: a value cached under the generations it was computed in, one cache round trip per read."""

from unittest import mock

import pytest
from django.core.cache import caches

from core.cache import CacheUnavailable, advance_generation, read_through


class Counted:
    def __init__(self):
        self.calls = 0

    def __call__(self):
        self.calls += 1
        return {"computed": self.calls}


def read(compute, *depends_on):
    return read_through("test-read", ("learner-1",), depends_on or ("test:a", "test:b"), compute, timeout=60)


def test_a_value_is_computed_once_then_read_in_one_round_trip(monkeypatch):
    compute = Counted()
    assert read(compute) == {"computed": 1}
    cache = caches["default"]
    calls = []
    monkeypatch.setattr(cache, "get_many", lambda keys: calls.append(keys) or type(cache).get_many(cache, keys))
    assert read(compute) == {"computed": 1} and compute.calls == 1
    assert len(calls) == 1


@pytest.mark.parametrize("moved", ["test:a", "test:b"])
def test_moving_any_generation_it_depends_on_computes_it_afresh(moved):
    compute = Counted()
    read(compute)
    advance_generation(moved)
    assert read(compute) == {"computed": 2}
    assert read(compute) == {"computed": 2}


def test_a_generation_evicted_from_the_cache_is_made_anew_and_the_value_recomputed():
    compute = Counted()
    read(compute)
    caches["default"].delete("test:a:generation")
    assert read(compute) == {"computed": 2}


def test_none_is_a_value_too():
    calls = []
    for _ in range(2):
        read_through("test-none", (1,), ("test:a",), lambda: calls.append(1), timeout=60)
    assert calls == [1]


def test_without_the_cache_every_read_computes():
    compute = Counted()
    with mock.patch.object(caches["default"], "get_many", side_effect=CacheUnavailable()):
        assert [read(compute), read(compute)] == [{"computed": 1}, {"computed": 2}]
