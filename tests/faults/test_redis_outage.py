"""With Redis stopped or hung, learners still sign in, get tags and practice sets, save and read sessions.

Each test runs the app against a redis-server of its own (tests/faults/conftest.py) and
stops it (connections refused) or SIGSTOPs it (connections open, no answers: a frozen
host), mid-test. The shared Redis of the suite is never touched.
"""

import pytest
from django.core.cache import cache

from content.cache import practice_ids_key
from content.models import Tag
from core.observability import metrics
from tests.accounts.factories import DEFAULT_PASSWORD, UserFactory
from tests.accounts.helpers import LOGIN, client_for, login
from tests.content.factories import SpeechFactory, TagFactory
from tests.faults.redis_server import wait_until_cache_answers
from tests.game.payloads import session_body

pytestmark = pytest.mark.django_db

PRACTICE = "/api/v1/game/speeches/random"
TAGS = "/api/v1/tags"
SESSIONS = "/api/v1/game/sessions"
READY = "/health/ready"


@pytest.fixture
def food():
    tag = TagFactory(name="Food")
    for _ in range(12):
        SpeechFactory(level="A1", type="question", tags=[tag])
    return tag


def practice(client, tag):
    return client.post(PRACTICE, {"level": "A1", "type": "question", "tags": [str(tag.id)], "limit": 5},
                       format="json")


def _breaker_opened() -> float:
    return metrics.CACHE_BREAKER.labels(to="open")._value.get()


@pytest.mark.parametrize("outage", ["stopped", "hung"])
def test_learners_keep_practising_while_redis_is_unavailable(own_redis, food, client, outage):
    user = UserFactory()
    (own_redis.stop if outage == "stopped" else own_redis.pause)()

    tokens = login(user.email)
    learner = client_for(tokens["access_token"])
    tags = learner.get(TAGS)
    practice_set = practice(learner, food)
    saved = learner.post(SESSIONS, session_body(food.speeches.all()[:3], tags=[food]), format="json")
    history = learner.get(SESSIONS)
    ready = client.get(READY)

    assert tags.status_code == 200 and [t["name"] for t in tags.json()["tags"]] == ["Food"]
    assert practice_set.status_code == 200 and len(practice_set.json()["speeches"]) == 5
    assert saved.status_code == 201
    assert history.status_code == 200 and len(history.json()["sessions"]) == 1
    assert ready.status_code == 200
    assert ready.json()["status"] == "degraded"
    assert ready.json()["checks"] == {"database": "ok", "cache": "unavailable", "storage": "ok"}


def test_a_hung_redis_is_waited_for_once_then_skipped_until_it_answers_again(own_redis, food, settings):
    settings.CACHE_BREAKER_SECONDS = 1  # then one call probes Redis again; the others skip it
    learner = client_for(login(UserFactory().email)["access_token"])
    assert practice(learner, food).status_code == 200
    opened_before = _breaker_opened()

    own_redis.pause()
    statuses = [practice(learner, food).status_code for _ in range(20)]

    assert statuses == [200] * 20
    assert _breaker_opened() - opened_before == 1  # one call timed out; the other requests did not wait

    own_redis.resume()
    wait_until_cache_answers()
    assert practice(learner, food).status_code == 200
    assert client_for(login(UserFactory().email)["access_token"]).get(READY).json()["status"] == "ok"


def test_after_redis_returns_practice_sets_are_cached_again_without_a_restart(own_redis, food):
    learner = client_for(login(UserFactory().email)["access_token"])
    own_redis.pause()
    assert practice(learner, food).status_code == 200

    own_redis.resume()
    wait_until_cache_answers()
    assert practice(learner, food).status_code == 200

    generation = cache.get("content:generation")
    key = practice_ids_key(level="A1", type="question", tag_ids=[food.id], generation=generation)
    assert len(cache.get(key)) == 12 * 16  # the ids of the twelve matches, in Redis again


def test_with_redis_down_sign_in_lockout_still_counts_in_the_process(own_redis, client, settings):
    settings.LOGIN_LOCKOUT_ATTEMPTS = 3
    user = UserFactory()
    own_redis.stop()

    statuses = [client.post(LOGIN, {"email": user.email, "password": "wrong-password"},
                            content_type="application/json").status_code for _ in range(4)]
    right_password = client.post(LOGIN, {"email": user.email, "password": DEFAULT_PASSWORD},
                                 content_type="application/json")

    assert statuses == [401, 401, 401, 429]
    assert right_password.status_code == 429


def test_with_redis_down_an_editor_change_is_refused_whole(own_redis, staff_client, settings):
    own_redis.stop()

    response = staff_client.post("/api/v1/admin/tags", {"name": "Travel"}, format="json")

    # Committed without invalidating the caches it would be served stale once Redis is back.
    assert response.status_code == 503
    assert response.json()["code"] == "cache_unavailable"
    assert not Tag.objects.filter(name="Travel").exists()
