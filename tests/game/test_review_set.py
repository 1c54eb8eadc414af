"""The review set's filler: the decayed need ranking over a learner's results.

History here is built with factories, which write no ReviewCard, so nothing is ever due and every
answer comes from the filler (checked in the first test). Due cards: tests/game/test_review_memory.py.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from game.models import ReviewCard
from tests.accounts.factories import UserFactory
from tests.content.factories import SpeechFactory, TagFactory
from tests.game.factories import played_session

pytestmark = pytest.mark.django_db

URL = "/api/v1/game/speeches/review"


def ago(**delta):
    return timezone.now() - timedelta(**delta)


def texts(response):
    return [s["text"] for s in response.json()["speeches"]]


def practise(user, when, *answers):
    played_session(user=user, completed_at=when, answers=list(answers))


def test_most_needed_sentences_come_first(auth_client, user):
    twice = SpeechFactory(text="missed twice")
    once = SpeechFactory(text="missed once")
    low = SpeechFactory(text="correct but pronounced poorly")
    long_ago = SpeechFactory(text="missed two months ago")
    fine = SpeechFactory(text="always right")
    practise(user, ago(days=60), (long_ago, "incorrect", None))
    practise(user, ago(hours=3), (twice, "incorrect", 30.0), (fine, "correct", 95.0))
    practise(user, ago(hours=1), (twice, "skipped", None), (once, "incorrect", 40.0), (low, "correct", 45.0))

    response = auth_client.post(URL, {}, format="json")

    assert response.status_code == 200
    assert texts(response) == ["missed twice", "missed once", "correct but pronounced poorly",
                               "missed two months ago"]
    assert not ReviewCard.objects.exists()


def test_a_later_correct_answer_outweighs_an_earlier_miss(auth_client, user):
    recovered = SpeechFactory(text="missed, then right")
    relapsed = SpeechFactory(text="right, then missed")
    practise(user, ago(days=10), (recovered, "incorrect", None), (relapsed, "correct", None))
    practise(user, ago(days=1), (recovered, "correct", None), (relapsed, "incorrect", None))

    assert texts(auth_client.post(URL, {}, format="json")) == ["right, then missed"]


def test_recent_misses_rank_above_old_ones(auth_client, user):
    old, recent = SpeechFactory(text="old miss"), SpeechFactory(text="recent miss")
    practise(user, ago(days=30), (old, "incorrect", None))
    practise(user, ago(days=2), (recent, "incorrect", None))

    assert texts(auth_client.post(URL, {}, format="json")) == ["recent miss", "old miss"]


def test_archived_speeches_are_never_offered(auth_client, user):
    archived, active = SpeechFactory(text="archived"), SpeechFactory(text="active")
    practise(user, ago(hours=1), (archived, "incorrect", None), (archived, "incorrect", None),
             (active, "incorrect", None))
    archived.archived_at = timezone.now()
    archived.save()

    assert texts(auth_client.post(URL, {}, format="json")) == ["active"]


def test_only_the_callers_own_results_count(auth_client, user):
    mine, theirs = SpeechFactory(text="mine"), SpeechFactory(text="theirs")
    other = UserFactory()
    practise(other, ago(hours=1), (theirs, "incorrect", None), (mine, "incorrect", None))
    practise(user, ago(hours=1), (mine, "incorrect", None), (theirs, "correct", None))

    assert texts(auth_client.post(URL, {}, format="json")) == ["mine"]


def test_nothing_to_review_is_an_empty_list(auth_client, user):
    practise(user, ago(hours=1), (SpeechFactory(), "correct", 90.0))

    response = auth_client.post(URL, {}, format="json")

    assert response.status_code == 200
    assert response.json() == {"speeches": []}


def test_items_have_the_practice_set_shape(auth_client, user):
    tag = TagFactory(name="Food")
    speech = SpeechFactory(text="Pass the salt.", level="B1", type="answer", tags=[tag])
    practise(user, ago(hours=1), (speech, "incorrect", None))

    item = auth_client.post(URL, {"limit": 5}, format="json").json()["speeches"][0]

    assert set(item) == {"id", "audio_url", "text", "level", "type", "tags"}
    assert (item["id"], item["level"], item["type"]) == (str(speech.id), "B1", "answer")
    assert item["tags"] == [{"id": str(tag.id), "name": "Food"}]
    assert "signature=" in item["audio_url"]


def test_limit_caps_the_set(auth_client, user):
    speeches = SpeechFactory.create_batch(12)
    practise(user, ago(hours=1), *[(s, "incorrect", None) for s in speeches])

    assert len(auth_client.post(URL, {"limit": 3}, format="json").json()["speeches"]) == 3
    assert len(auth_client.post(URL, {}, format="json").json()["speeches"]) == 10


@pytest.mark.parametrize("limit", [0, 51, "many"])
def test_limit_out_of_range_is_400(auth_client, limit):
    response = auth_client.post(URL, {"limit": limit}, format="json")

    assert response.status_code == 400
    assert "limit" in response.json()["errors"]


def test_anonymous_is_401(api_client):
    assert api_client.post(URL, {}, format="json").status_code == 401
