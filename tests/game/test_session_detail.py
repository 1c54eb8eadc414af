import uuid

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from tests.accounts.factories import StaffUserFactory, UserFactory
from tests.conftest import bearer
from tests.content.factories import SpeechFactory, TagFactory
from tests.game.factories import played_session

pytestmark = pytest.mark.django_db


def url(session_id) -> str:
    return f"/api/v1/game/sessions/{session_id}"


def unsigned(body: dict) -> dict:
    """The body without its audio URLs' signatures, which are made afresh on every read."""
    return {**body, "results": [{**result, "speech": {**result["speech"], "audio_url": None}}
                                for result in body["results"]]}


@pytest.fixture
def tags():
    return [TagFactory(name="Present Tense"), TagFactory(name="Food")]


def test_detail_has_the_session_its_tag_names_and_ordered_results(auth_client, user, tags):
    first = SpeechFactory(text="What is your name?", tags=tags)
    second = SpeechFactory(text="Where do you live?", tags=tags[:1], level="A1", type="question")
    session = played_session(user=user, answers=[(first, "correct", 92.0), (second, "incorrect", 41.0)],
                             selected_tags=[str(tags[0].id), str(tags[1].id)])

    response = auth_client.get(url(session.id))

    assert response.status_code == 200
    body = response.json()
    assert body["id"] == str(session.id)
    assert body["selected_tags"] == ["Present Tense", "Food"]
    assert (body["total_sentences"], body["correct_count"], body["max_streak"]) == (2, 1, 1)
    assert body["avg_pronunciation_score"] == 66.5
    assert {"mode", "level", "sentence_type", "duration_seconds", "started_at", "completed_at"} <= set(body)
    assert [r["sequence_number"] for r in body["results"]] == [1, 2]
    assert body["results"][1] == {
        "sequence_number": 2,
        "speech": {
            "id": str(second.id), "audio_url": body["results"][1]["speech"]["audio_url"],
            "text": "Where do you live?", "level": "A1", "type": "question",
            "tags": [{"id": str(tags[0].id), "name": "Present Tense"}],
        },
        "user_response": "incorrect", "pronunciation_score": 41.0, "recognized_text": None,
        "response_time_ms": 3000,
    }
    assert {t["name"] for t in body["results"][0]["speech"]["tags"]} == {"Present Tense", "Food"}


def test_audio_urls_are_signed_and_download(auth_client, user, any_storage):
    speech = SpeechFactory()
    session = played_session(user=user, answers=[(speech, "correct", None)], mode="listen_only")

    audio_url = auth_client.get(url(session.id)).json()["results"][0]["speech"]["audio_url"]

    if any_storage == "s3":
        import requests

        assert "X-Amz-Signature=" in audio_url
        assert requests.get(audio_url, timeout=10).status_code == 200
    else:
        assert "signature=" in audio_url and "expires=" in audio_url
        assert auth_client.get(audio_url).status_code == 200


def test_archived_speeches_still_show(auth_client, user):
    speech = SpeechFactory(text="An old sentence.")
    session = played_session(user=user, answers=[(speech, "correct", None)])
    speech.archived_at = timezone.now()
    speech.save()

    results = auth_client.get(url(session.id)).json()["results"]

    assert results[0]["speech"]["text"] == "An old sentence."


def test_deleted_tags_are_left_out_of_selected_tags(auth_client, user, tags):
    session = played_session(user=user, answers=[(SpeechFactory(), "correct", None)],
                             selected_tags=[str(tags[0].id), str(tags[1].id)])
    tags[0].delete()

    assert auth_client.get(url(session.id)).json()["selected_tags"] == ["Food"]


def test_someone_elses_session_is_403(auth_client):
    session = played_session(user=UserFactory(), answers=[(SpeechFactory(), "correct", None)])

    response = auth_client.get(url(session.id))

    assert response.status_code == 403
    assert response.json()["code"] == "session_forbidden"
    assert "results" not in response.json()


def test_unknown_session_is_404(auth_client):
    response = auth_client.get(url(uuid.uuid4()))

    assert response.status_code == 404
    assert response.json()["code"] == "session_not_found"


def test_a_malformed_id_is_404(auth_client):
    response = auth_client.get(url("not-a-uuid"))

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_anonymous_is_401(api_client, user):
    session = played_session(user=user, answers=[(SpeechFactory(), "correct", None)])

    assert api_client.get(url(session.id)).status_code == 401


# The user, the session, its results, the speeches (and, on SQLite, their tag links apart), the tag names and
# the selected tags' names; the speeches are cached from then on.
DETAIL_QUERIES = 7


@pytest.mark.parametrize("results", [2, 20])
def test_query_count_does_not_grow_with_results(auth_client, user, tags, results, django_assert_num_queries,
                                                django_assert_max_num_queries):
    answers = [(SpeechFactory(tags=tags), "correct", 90.0) for _ in range(results)]
    session = played_session(user=user, answers=answers, selected_tags=[str(t.id) for t in tags])

    with django_assert_max_num_queries(DETAIL_QUERIES):
        response = auth_client.get(url(session.id))

    assert len(response.json()["results"]) == results
    with django_assert_num_queries(1):  # cached: the user row only
        assert unsigned(auth_client.get(url(session.id)).json()) == unsigned(response.json())


def test_a_second_read_costs_only_the_user_row_and_an_editors_change_shows_at_once(
        auth_client, user, tags, django_assert_num_queries):
    speech = SpeechFactory(text="Pass the salt.", tags=tags[:1])
    session = played_session(user=user, answers=[(speech, "correct", 90.0)], selected_tags=[str(tags[0].id)])
    first = auth_client.get(url(session.id)).json()
    with django_assert_num_queries(1):
        again = auth_client.get(url(session.id)).json()
    assert unsigned(again) == unsigned(first)

    editor = APIClient()
    editor.credentials(**bearer(StaffUserFactory()))
    changed = editor.put(f"/api/v1/admin/speeches/{speech.id}", {"text": "Pass the pepper."}, format="json")
    assert changed.status_code == 200
    renamed = editor.put(f"/api/v1/admin/tags/{tags[0].id}", {"name": "Present simple", "category": "grammar"},
                         format="json")
    assert renamed.status_code == 200
    body = auth_client.get(url(session.id)).json()
    assert body["results"][0]["speech"]["text"] == "Pass the pepper." and body["selected_tags"] == ["Present simple"]
    assert body["results"][0]["speech"]["tags"] == [{"id": str(tags[0].id), "name": "Present simple"}]
