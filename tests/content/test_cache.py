import time

from content.cache import LocalBlobCache, practice_ids_key, tag_ids_hash

A, B = "3f1c3a43-31f6-4f7e-8d3e-3d4b5f6a7b8c", "0b9f5a52-7c1e-4a57-9d0a-2d8e4f6b1c3a"


def test_tag_hash_ignores_order_case_and_duplicates():
    assert tag_ids_hash([A, B]) == tag_ids_hash([B.upper(), A, A]) != tag_ids_hash([A])


def test_practice_key_names_the_filter_and_the_generation():
    key = practice_ids_key(level="A1", type="question", tag_ids=[B, A], generation=7)

    assert key == f"speeches:A1:question:{tag_ids_hash([A, B])}:g7"
    assert key != practice_ids_key(level="A1", type="question", tag_ids=[A, B], generation=8)


def test_local_cache_evicts_least_recently_used_beyond_its_byte_budget():
    local = LocalBlobCache(max_bytes=10)
    local.set("a", b"1234", 60)
    local.set("b", b"1234", 60)
    assert local.get("a") == b"1234"  # now "b" is the least recently used

    local.set("c", b"1234", 60)

    assert (local.get("a"), local.get("b"), local.get("c")) == (b"1234", None, b"1234")


def test_local_cache_forgets_expired_and_refuses_oversized_values():
    local = LocalBlobCache(max_bytes=10)
    local.set("short", b"x", 0.05)
    local.set("huge", b"x" * 11, 60)
    time.sleep(0.1)

    assert local.get("short") is None
    assert local.get("huge") is None


def test_a_disabled_local_cache_keeps_nothing():
    local = LocalBlobCache(max_bytes=0)
    local.set("a", b"1", 60)

    assert local.get("a") is None
