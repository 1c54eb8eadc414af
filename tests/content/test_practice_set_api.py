import time
import uuid

import pytest
import requests
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from content import services
from content.demo.sentences import SENTENCES, clip_name
from content.seeding import AUDIO_DIR
from tests.content.factories import EMPTY_WAV, SpeechFactory, TagFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/game/speeches/random"


def practice(client, **body):
    return client.post(URL, body, format="json")


@pytest.fixture
def tags():
    return TagFactory(name="Food"), TagFactory(name="Travel"), TagFactory(name="Work")


def test_returns_speeches_with_level_type_and_any_of_the_tags(auth_client, tags):
    food, travel, work = tags
    both = SpeechFactory(level="A1", type="question", tags=[food, travel])
    only_food = SpeechFactory(level="A1", type="question", tags=[food])
    only_travel = SpeechFactory(level="A1", type="question", tags=[travel])
    SpeechFactory(level="A1", type="question", tags=[work])  # none of the tags
    SpeechFactory(level="A2", type="question", tags=[food])  # other level
    SpeechFactory(level="A1", type="answer", tags=[food])  # other type
    SpeechFactory(level="A1", type="question")  # no tags at all

    response = practice(auth_client, level="A1", type="question", tags=[str(food.id), str(travel.id)])

    assert response.status_code == 200
    speeches = response.json()["speeches"]
    assert {s["id"] for s in speeches} == {str(both.id), str(only_food.id), str(only_travel.id)}
    item = next(s for s in speeches if s["id"] == str(both.id))
    assert set(item) == {"id", "audio_url", "text", "level", "type", "tags"}
    assert (item["text"], item["level"], item["type"]) == (both.text, "A1", "question")
    assert sorted(t["name"] for t in item["tags"]) == ["Food", "Travel"]
    assert set(item["tags"][0]) == {"id", "name"}


def test_limit_is_honoured_without_duplicates_and_defaults_to_ten(auth_client, tags):
    food = tags[0]
    for _ in range(30):
        SpeechFactory(level="B1", type="answer", tags=[food, tags[1]])

    limited = practice(auth_client, level="B1", type="answer", tags=[str(food.id), str(tags[1].id)], limit=7)
    default = practice(auth_client, level="B1", type="answer", tags=[str(food.id)])

    assert limited.status_code == default.status_code == 200
    ids = [s["id"] for s in limited.json()["speeches"]]
    assert len(ids) == 7 and len(set(ids)) == 7
    assert len({s["id"] for s in default.json()["speeches"]}) == 10


def test_fewer_matches_than_the_limit_returns_them_all_once(auth_client, tags):
    made = {str(SpeechFactory(level="C1", type="question", tags=[tags[0], tags[1]]).id) for _ in range(3)}

    response = practice(auth_client, level="C1", type="question", tags=[str(tags[0].id), str(tags[1].id)], limit=50)

    ids = [s["id"] for s in response.json()["speeches"]]
    assert sorted(ids) == sorted(made)


def test_order_is_random(auth_client, tags):
    for _ in range(20):
        SpeechFactory(level="A2", type="question", tags=[tags[0]])

    orders = {tuple(s["id"] for s in practice(auth_client, level="A2", type="question", tags=[str(tags[0].id)],
                                               limit=20).json()["speeches"]) for _ in range(5)}

    assert len(orders) > 1  # 5 identical orders of 20 items would happen with probability (1/20!)^4


def test_no_match_is_200_with_an_empty_list(auth_client, tags):
    SpeechFactory(level="A1", type="question", tags=[tags[0]])

    for body in ({"level": "B2", "type": "question", "tags": [str(tags[0].id)]},
                 {"level": "A1", "type": "question", "tags": [str(uuid.uuid4())]}):
        response = practice(auth_client, **body)
        assert response.status_code == 200
        assert response.json() == {"speeches": []}


def test_archived_speeches_are_never_served(auth_client, tags):
    active = SpeechFactory(level="A1", type="question", tags=[tags[0]])
    SpeechFactory(level="A1", type="question", tags=[tags[0]], archived_at=timezone.now())

    for _ in range(5):
        speeches = practice(auth_client, level="A1", type="question", tags=[str(tags[0].id)]).json()["speeches"]
        assert [s["id"] for s in speeches] == [str(active.id)]


def test_a_speech_archived_after_caching_is_not_served(auth_client, staff_user, tags):
    kept, archived = (SpeechFactory(level="A1", type="question", tags=[tags[0]]) for _ in range(2))
    body = {"level": "A1", "type": "question", "tags": [str(tags[0].id)]}
    assert len(practice(auth_client, **body).json()["speeches"]) == 2  # now cached

    services.archive_speech(speech=archived, actor=staff_user)

    assert [s["id"] for s in practice(auth_client, **body).json()["speeches"]] == [str(kept.id)]


def test_editor_change_shows_up_at_once(auth_client, staff_client, tags):
    food = tags[0]
    first = SpeechFactory(level="B2", type="answer", tags=[food])
    body = {"level": "B2", "type": "answer", "tags": [str(food.id)]}
    assert [s["id"] for s in practice(auth_client, **body).json()["speeches"]] == [str(first.id)]

    second = SpeechFactory(level="B2", type="question", tags=[food])
    moved = staff_client.put(f"/api/v1/admin/speeches/{second.id}", {"type": "answer"}, format="json")
    assert moved.status_code == 200

    served = {s["id"] for s in practice(auth_client, **body).json()["speeches"]}
    assert served == {str(first.id), str(second.id)}

    staff_client.put(f"/api/v1/admin/speeches/{first.id}", {"text": "Renamed sentence."}, format="json")
    texts = {s["text"] for s in practice(auth_client, **body).json()["speeches"]}
    assert "Renamed sentence." in texts

    tag_removed = staff_client.put(f"/api/v1/admin/speeches/{first.id}", {"tag_ids": []}, format="json")
    assert tag_removed.status_code == 200
    assert [s["id"] for s in practice(auth_client, **body).json()["speeches"]] == [str(second.id)]


def test_the_id_list_is_cached_per_filter_and_tag_order_does_not_matter(auth_client, tags):
    food, travel, _ = tags
    for _ in range(5):
        SpeechFactory(level="A1", type="question", tags=[food, travel])
    practice(auth_client, level="A1", type="question", tags=[str(food.id), str(travel.id)])

    with CaptureQueriesContext(connection) as queries:
        practice(auth_client, level="A1", type="question", tags=[str(travel.id).upper(), str(food.id)])

    # The token's user only: the id list and the chosen items are cached (no query over the matching set).
    assert len(queries) == 1
    assert not any("EXISTS" in q["sql"].upper() for q in queries.captured_queries)


def _queries_for_practice(client, body) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = practice(client, **body)
    assert response.status_code == 200
    return len(queries)


def test_query_count_stays_constant_as_the_set_grows(auth_client, tags):
    food = tags[0]
    body = {"level": "A1", "type": "question", "tags": [str(food.id)], "limit": 50}
    SpeechFactory(level="A1", type="question", tags=[food])
    small_cold, small_warm = _queries_for_practice(auth_client, body), _queries_for_practice(auth_client, body)

    for _ in range(120):
        SpeechFactory(level="A1", type="question", tags=[food, tags[1], tags[2]])
    services.invalidate_content_caches()
    big_cold, big_warm = _queries_for_practice(auth_client, body), _queries_for_practice(auth_client, body)

    # Cold: user, id list, the (short) list's items with their tag ids (elsewhere than PostgreSQL a query
    # more), the tag names of this content generation; warm: the user only.
    assert (small_cold, small_warm) == (big_cold, big_warm) == (4 if connection.vendor == "postgresql" else 5, 1)


def test_audio_urls_are_signed_and_download_the_audio(auth_client, api_client, tags, any_storage):
    SpeechFactory(level="A1", type="question", tags=[tags[0]])

    speech = practice(auth_client, level="A1", type="question", tags=[str(tags[0].id)]).json()["speeches"][0]

    if any_storage == "s3":
        assert "X-Amz-Signature=" in speech["audio_url"]
        assert requests.get(speech["audio_url"], timeout=5).content == EMPTY_WAV
        tampered = speech["audio_url"].replace("X-Amz-Signature=", "X-Amz-Signature=0")
        assert requests.get(tampered, timeout=5).status_code == 403
    else:
        assert speech["audio_url"].startswith("http://testserver/api/v1/audio/")
        response = api_client.get(speech["audio_url"])
        assert response.status_code == 200 and b"".join(response.streaming_content) == EMPTY_WAV
        assert api_client.get(speech["audio_url"][:-3] + "abc").status_code == 403


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"type": "question", "tags": ["TAG"]}, "level"),
        ({"level": "D1", "type": "question", "tags": ["TAG"]}, "level"),
        ({"level": "A1", "tags": ["TAG"]}, "type"),
        ({"level": "A1", "type": "statement", "tags": ["TAG"]}, "type"),
        ({"level": "A1", "type": "question"}, "tags"),
        ({"level": "A1", "type": "question", "tags": []}, "tags"),
        ({"level": "A1", "type": "question", "tags": ["not-a-uuid"]}, "tags"),
        ({"level": "A1", "type": "question", "tags": "TAG"}, "tags"),
        ({"level": "A1", "type": "question", "tags": ["TAG"], "limit": 0}, "limit"),
        ({"level": "A1", "type": "question", "tags": ["TAG"], "limit": 51}, "limit"),
        ({"level": "A1", "type": "question", "tags": ["TAG"], "limit": "ten"}, "limit"),
    ],
)
def test_invalid_filters_are_400_with_field_errors(auth_client, tags, body, field):
    tag_id = str(tags[0].id)
    body = {k: ([tag_id if t == "TAG" else t for t in v] if isinstance(v, list) else v) for k, v in body.items()}

    response = practice(auth_client, **body)

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_input"
    assert field in response.json()["errors"]


def test_limit_of_fifty_is_accepted(auth_client, tags):
    assert practice(auth_client, level="A1", type="question", tags=[str(tags[0].id)], limit=50).status_code == 200


def test_needs_a_signed_in_user(api_client, tags):
    response = practice(api_client, level="A1", type="question", tags=[str(tags[0].id)])

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_audio_urls_download_the_real_clip_until_they_expire(auth_client, api_client, tags, any_storage, settings):
    clip = (AUDIO_DIR / clip_name(SENTENCES[0].text)).read_bytes()
    SpeechFactory(text=SENTENCES[0].text, level="A1", type="question", tags=[tags[0]],
                  audio=ContentFile(clip, name="name.mp3"))
    settings.AUDIO_URL_EXPIRY_SECONDS = 2
    body = {"level": "A1", "type": "question", "tags": [str(tags[0].id)]}

    url = practice(auth_client, **body).json()["speeches"][0]["audio_url"]

    def fetch() -> tuple[int, bytes]:
        if any_storage == "s3":
            response = requests.get(url, timeout=5)
            return response.status_code, response.content
        response = api_client.get(url)
        return response.status_code, (b"".join(response.streaming_content) if response.status_code == 200 else b"")

    assert fetch() == (200, clip)
    time.sleep(3.1)
    assert fetch()[0] == 403
