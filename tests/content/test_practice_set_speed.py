"""Practice sets at O(limit) per request (issue 16): cached items, sliced id lists, single-flight builds.

Run on SQLite + local memory and on PostgreSQL + Redis (REDIS_URL). "sliced" forces what a
long list does in Redis: nothing kept in this process, only the sampled ids read (GETRANGE).
"""

import threading
import uuid
from collections import Counter
from urllib.parse import parse_qs, urlparse

import pytest
import redis
from django.conf import settings as django_settings
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from content import cache as content_cache
from content import selectors, services
from content.models import Speech, SpeechTag
from content.serializers import SpeechItemSerializer
from tests.conftest import bearer
from tests.content.factories import SpeechFactory, TagFactory

URL = "/api/v1/game/speeches/random"


def _redis() -> bool:
    return "redis" in django_settings.CACHES["default"]["BACKEND"].lower()


@pytest.fixture(params=["whole", "sliced"])
def list_reads(request, monkeypatch):
    """Each test once as short lists are read (whole, kept in the process) and once as long ones are in Redis."""
    if request.param == "sliced":
        if not _redis():
            pytest.skip("sliced id lists are Redis's (run with REDIS_URL=redis://...)")
        monkeypatch.setattr(content_cache, "WHOLE_LIST_MAX_BYTES", 0)
        monkeypatch.setattr(content_cache.local_practice_ids, "max_bytes", 0)  # keeps nothing
    return request.param


@pytest.fixture
def food(db):
    return TagFactory(name="Food")


def practice(client, tag, **extra):
    return client.post(URL, {"level": "A1", "type": "question", "tags": [str(tag.id)], **extra}, format="json")


def speech_queries(queries) -> list[str]:
    return [q["sql"] for q in queries.captured_queries if "content_speech" in q["sql"]]


@pytest.mark.django_db
def test_a_cached_practice_set_makes_no_speech_query_and_signs_fresh_urls(auth_client, food, list_reads, settings):
    made = [SpeechFactory(level="A1", type="question", tags=[food]) for _ in range(5)]
    first = practice(auth_client, food)
    settings.AUDIO_URL_EXPIRY_SECONDS = 60  # signed per request, not cached with the item

    with CaptureQueriesContext(connection) as queries:
        second = practice(auth_client, food)

    assert first.status_code == second.status_code == 200
    assert speech_queries(queries) == []
    assert len(queries) == 1  # the token's user
    items = {item["id"]: item for item in second.json()["speeches"]}
    assert set(items) == {str(speech.id) for speech in made}
    for item in items.values():
        expires = int(parse_qs(urlparse(item["audio_url"]).query)["expires"][0])
        old = next(i for i in first.json()["speeches"] if i["id"] == item["id"])
        assert int(parse_qs(urlparse(old["audio_url"]).query)["expires"][0]) - expires >= 3600 - 60 - 5
        assert auth_client.get(item["audio_url"]).status_code == 200


@pytest.mark.django_db
def test_a_cached_practice_set_is_one_round_trip_to_redis(food, list_reads, monkeypatch):
    """The content generation is read in the same round trip as the sampled ids (or their items)."""
    if not _redis():
        pytest.skip("round trips to Redis (run with REDIS_URL=redis://...)")
    made = {str(SpeechFactory(level="A1", type="question", tags=[food]).id) for _ in range(12)}

    def draw() -> list[dict]:
        return selectors.practice_set(level="A1", type="question", tag_ids=[food.id], limit=5,
                                      serialize=SpeechItemSerializer.unsigned_items)

    for _ in range(3):  # builds the list, then learns where it lies in Redis (sliced)
        draw()
    sends = []
    send = redis.connection.AbstractConnection.send_packed_command
    monkeypatch.setattr(redis.connection.AbstractConnection, "send_packed_command",
                        lambda self, *args, **kwargs: sends.append(1) or send(self, *args, **kwargs))

    served = draw()

    assert len(served) == 5 and {item["id"] for item in served} <= made
    assert len(sends) == 1


@pytest.mark.django_db
def test_cached_items_are_exactly_what_the_serializer_gives(auth_client, food, list_reads, rf):
    travel = TagFactory(name="Travel")
    speech = SpeechFactory(level="A1", type="question", tags=[travel, food])
    practice(auth_client, food)  # cached now

    served = practice(auth_client, food).json()["speeches"]

    expected = SpeechItemSerializer(Speech.objects.prefetch_related("tags").get(pk=speech.pk),
                                    context={"request": rf.get("/")}).data
    assert [{**item, "audio_url": None} for item in served] == [{**expected, "audio_url": None}]
    assert list(served[0]) == ["id", "audio_url", "text", "level", "type", "tags"]
    assert [tag["name"] for tag in served[0]["tags"]] == ["Food", "Travel"]


@pytest.mark.django_db
def test_an_archived_speech_is_never_served_after_its_archive(auth_client, staff_user, food, list_reads):
    speeches = [SpeechFactory(level="A1", type="question", tags=[food]) for _ in range(6)]
    for _ in range(3):  # list and every item cached
        assert len(practice(auth_client, food, limit=6).json()["speeches"]) == 6
    archived, bulk_archived = speeches[0], speeches[1:3]

    services.archive_speech(speech=archived, actor=staff_user)
    after_one = [practice(auth_client, food, limit=6).json()["speeches"] for _ in range(5)]
    services.archive_speeches(speech_ids=[s.id for s in bulk_archived], actor=staff_user)
    after_bulk = [practice(auth_client, food, limit=6).json()["speeches"] for _ in range(5)]

    gone = {str(archived.id)}
    for served in after_one:
        assert {item["id"] for item in served} == {str(s.id) for s in speeches} - gone
    gone |= {str(s.id) for s in bulk_archived}
    for served in after_bulk:
        assert {item["id"] for item in served} == {str(s.id) for s in speeches} - gone


@pytest.mark.django_db
def test_an_edit_shows_in_cached_items_at_once(auth_client, staff_client, food, list_reads):
    speech = SpeechFactory(level="A1", type="question", tags=[food])
    practice(auth_client, food)

    staff_client.put(f"/api/v1/admin/speeches/{speech.id}", {"text": "Edited sentence."}, format="json")
    staff_client.put(f"/api/v1/admin/tags/{food.id}", {"name": "Cooking"}, format="json")

    [item] = practice(auth_client, food).json()["speeches"]
    assert (item["text"], [tag["name"] for tag in item["tags"]]) == ("Edited sentence.", ["Cooking"])


@pytest.mark.django_db
def test_sampling_is_uniform_over_the_matches_with_no_bias_at_the_ends(food, list_reads):
    made = {SpeechFactory(level="A1", type="question", tags=[food]).id for _ in range(12)}
    SpeechFactory(level="A1", type="answer", tags=[food])  # not a match
    draws, limit = 400, 3

    picks: Counter = Counter()
    for _ in range(draws):
        items = selectors.practice_set(level="A1", type="question", tag_ids=[food.id], limit=limit,
                                       serialize=SpeechItemSerializer.unsigned_items)
        ids = [uuid.UUID(item["id"]) for item in items]
        assert len(ids) == len(set(ids)) == limit
        picks.update(ids)

    # Every match, the first and last of the packed list included, about draws * limit / 12 = 100 times
    # (binomial, sd ~10: the bounds are 5 sd away).
    assert set(picks) == made
    assert all(50 <= n <= 150 for n in picks.values()), picks


@pytest.mark.django_db
def test_the_shared_list_still_reads_whole_and_its_slices_match_it(food, monkeypatch):
    if not _redis():
        pytest.skip("needs Redis (run with REDIS_URL=redis://...)")
    for _ in range(40):
        SpeechFactory(level="A1", type="answer", tags=[food])
    selectors.practice_set(level="A1", type="answer", tag_ids=[food.id], limit=1,
                           serialize=SpeechItemSerializer.unsigned_items)
    key = content_cache.practice_ids_key(level="A1", type="answer", tag_ids=[food.id],
                                         generation=content_cache.content_generation())
    packed = cache.get(key)
    count = len(packed) // 16

    content_cache.local_practice_ids.drop(key)
    monkeypatch.setattr(content_cache, "WHOLE_LIST_MAX_BYTES", 0)
    stored = content_cache.cached_id_list(key)

    assert isinstance(stored, content_cache.StoredIds) and stored.count == count == 40
    assert stored.at(list(range(count))) == [uuid.UUID(bytes=packed[i * 16:(i + 1) * 16]) for i in range(count)]
    cache.delete(key)  # evicted: the slices say so, and the request builds it again
    assert stored.at([0, count - 1]) is None


@pytest.mark.django_db(transaction=True)
def test_32_concurrent_misses_of_one_filter_build_the_id_list_once(monkeypatch):
    if connection.vendor != "postgresql" or not _redis():
        pytest.skip("needs PostgreSQL and Redis (run with DATABASE_URL=postgres://... REDIS_URL=redis://...)")
    # Nothing kept in this process: every waiting thread must find the list in Redis.
    monkeypatch.setattr(content_cache.local_practice_ids, "max_bytes", 0)
    from tests.accounts.factories import UserFactory

    food, learner = TagFactory(name="Food"), UserFactory()
    ids = [uuid.uuid4() for _ in range(3000)]
    Speech.objects.bulk_create([Speech(id=i, audio=f"audio/A1/{i.hex}.wav", text=f"Sentence {n}.", level="A1",
                                       type="question") for n, i in enumerate(ids)])
    SpeechTag.objects.bulk_create([SpeechTag(speech_id=i, tag=food) for i in ids])
    services.invalidate_content_caches()  # a content change: every list is gone

    builds, statuses, failures = [], [], []
    lock = threading.Lock()
    barrier = threading.Barrier(32)

    def count_builds(execute, sql, params, many, context):
        if "string_agg" in sql:
            with lock:
                builds.append(sql)
        return execute(sql, params, many, context)

    def request() -> None:
        client = APIClient()
        client.credentials(**bearer(learner))
        try:
            with connection.execute_wrapper(count_builds):
                barrier.wait(timeout=30)
                response = practice(client, food)
            statuses.append((response.status_code, len(response.json()["speeches"])))
        except Exception as exc:  # noqa: BLE001 - reported below
            failures.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=request) for _ in range(32)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert not failures, failures
    assert statuses == [(200, 10)] * 32
    assert len(builds) == 1


@pytest.mark.django_db
def test_while_the_list_is_rebuilt_after_a_change_the_list_before_it_is_served_without_what_changed(
        auth_client, staff_client, staff_user, food, list_reads):
    kept = [SpeechFactory(level="A1", type="question", tags=[food]) for _ in range(5)]
    archived, moved = SpeechFactory(level="A1", type="question", tags=[food]), SpeechFactory(
        level="A1", type="question", tags=[food])
    assert len(practice(auth_client, food, limit=10).json()["speeches"]) == 7  # the list of this generation

    services.archive_speech(speech=archived, actor=staff_user)
    assert staff_client.put(f"/api/v1/admin/speeches/{moved.id}", {"level": "B1"}, format="json").status_code == 200
    added = SpeechFactory(level="A1", type="question", tags=[food])
    services.invalidate_content_caches()
    # Another request is building the current list (a million speeches: a second or more).
    current = content_cache.practice_ids_key(level="A1", type="question", tag_ids=[food.id],
                                             generation=content_cache.content_generation())
    assert content_cache.claim_id_list_build(current, 30)

    during = [practice(auth_client, food, limit=10) for _ in range(3)]

    content_cache.release_id_list_build(current)
    after = practice(auth_client, food, limit=10)
    assert all(response.status_code == 200 for response in [*during, after])
    # Served at once from the list before the change (so without the speech added since), and nothing
    # archived or moved away, though that list still names them.
    for response in during:
        assert {item["id"] for item in response.json()["speeches"]} == {str(s.id) for s in kept}
    assert {item["id"] for item in after.json()["speeches"]} == {str(s.id) for s in [*kept, added]}


@pytest.mark.django_db
def test_a_list_before_the_change_is_topped_up_to_the_limit_from_what_still_matches(
        auth_client, staff_user, food, list_reads):
    speeches = [SpeechFactory(level="A1", type="question", tags=[food]) for _ in range(30)]
    practice(auth_client, food, limit=3)
    services.archive_speeches(speech_ids=[s.id for s in speeches[:3]], actor=staff_user)
    current = content_cache.practice_ids_key(level="A1", type="question", tag_ids=[food.id],
                                             generation=content_cache.content_generation())
    assert content_cache.claim_id_list_build(current, 30)

    # A tenth of the earlier list is archived: 28 % of first draws of 3 hold one of them, and a second draw
    # of 6 tops each of those up (without it, 20 requests would all get 3 once in 700 runs).
    served = [[item["id"] for item in practice(auth_client, food, limit=3).json()["speeches"]] for _ in range(20)]

    content_cache.release_id_list_build(current)
    still = {str(s.id) for s in speeches[3:]}
    assert all(len(ids) == len(set(ids)) == 3 and set(ids) <= still for ids in served), served
