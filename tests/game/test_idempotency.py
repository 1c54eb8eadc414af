import threading
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from game.models import GameResult, GameSession, SessionSubmission
from tests.accounts.factories import UserFactory
from tests.conftest import bearer
from tests.content.factories import SpeechFactory
from tests.game.payloads import session_body

URL = "/api/v1/game/sessions"


def post(client, body, key=None):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key is not None else {}
    return client.post(URL, body, format="json", **headers)


@pytest.fixture
def body(db):
    return session_body(SpeechFactory.create_batch(3), ["correct", "incorrect", "correct"])


@pytest.mark.django_db
def test_a_retry_with_the_same_key_gets_the_first_answer_and_creates_nothing(auth_client, body):
    first = post(auth_client, body, key="session-123")
    second = post(auth_client, body, key="session-123")

    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()
    assert second["Idempotent-Replayed"] == "true"
    assert not first.has_header("Idempotent-Replayed")
    assert GameSession.objects.count() == 1
    assert GameResult.objects.count() == 3


@pytest.mark.django_db
def test_the_same_body_written_differently_is_still_a_retry(auth_client, body):
    first = post(auth_client, body, key="k")
    rewritten = {**body, "completed_at": body["completed_at"].replace("+00:00", "Z"),
                 "results": list(reversed(body["results"]))}

    second = post(auth_client, rewritten, key="k")

    assert second.status_code == 201
    assert second.json() == first.json()
    assert GameSession.objects.count() == 1


@pytest.mark.django_db
def test_the_same_key_with_another_body_is_409(auth_client, body):
    post(auth_client, body, key="k")

    response = post(auth_client, {**body, "duration_seconds": 200}, key="k")

    assert response.status_code == 409
    assert response.json()["code"] == "idempotency_key_reused"
    assert GameSession.objects.count() == 1


@pytest.mark.django_db
def test_keys_belong_to_one_user(auth_client, body):
    other = APIClient()
    other.credentials(**bearer(UserFactory()))

    first = post(auth_client, body, key="shared")
    second = post(other, body, key="shared")

    assert first.status_code == second.status_code == 201
    assert first.json()["session_id"] != second.json()["session_id"]
    assert GameSession.objects.count() == 2


@pytest.mark.django_db
def test_without_a_key_every_request_creates_a_session(auth_client, body):
    post(auth_client, body)
    post(auth_client, body)

    assert GameSession.objects.count() == 2


@pytest.mark.django_db
def test_an_expired_key_can_be_used_again(auth_client, body, settings):
    settings.GAME_IDEMPOTENCY_KEY_TTL_HOURS = 24
    first = post(auth_client, body, key="old")
    SessionSubmission.objects.update(created_at=timezone.now() - timedelta(hours=25))

    second = post(auth_client, {**body, "duration_seconds": 120}, key="old")

    assert second.status_code == 201
    assert second.json()["session_id"] != first.json()["session_id"]
    assert GameSession.objects.count() == 2
    assert SessionSubmission.objects.get().session_id == GameSession.objects.get(
        id=second.json()["session_id"]).id


@pytest.mark.django_db
def test_a_failed_request_does_not_use_up_its_key(auth_client, body):
    assert post(auth_client, {**body, "correct_count": 0}, key="k").status_code == 400

    assert post(auth_client, body, key="k").status_code == 201
    assert GameSession.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("key", ["", "has space", "x" * 256, "naïve"])
def test_malformed_key_is_400(auth_client, body, key):
    response = post(auth_client, body, key=key)

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_idempotency_key"
    assert GameSession.objects.count() == 0


@pytest.mark.django_db
def test_purge_command_deletes_only_expired_keys(auth_client, body, settings):
    settings.GAME_IDEMPOTENCY_KEY_TTL_HOURS = 24
    post(auth_client, body, key="old")
    post(auth_client, {**body, "duration_seconds": 100}, key="new")
    SessionSubmission.objects.filter(key="old").update(created_at=timezone.now() - timedelta(hours=30))

    call_command("purge_session_keys")

    assert list(SessionSubmission.objects.values_list("key", flat=True)) == ["new"]
    assert GameSession.objects.count() == 2  # purging keys never touches sessions


# --- concurrency (PostgreSQL: SQLite serialises writers, so there is no race to test) ------

def _run_concurrently(requests):
    """Send each (user, body, key) from its own thread; all reach the key insert before any proceeds."""
    barrier = threading.Barrier(len(requests), timeout=20)
    responses = [None] * len(requests)
    failures = []

    def hold_at_key_insert(execute, sql, params, many, context):
        if sql.startswith('INSERT INTO "game_sessionsubmission"'):
            barrier.wait()
        return execute(sql, params, many, context)

    def send(index, user, payload, key):
        client = APIClient()
        client.credentials(**bearer(user))
        try:
            with connection.execute_wrapper(hold_at_key_insert):
                responses[index] = post(client, payload, key=key)
        except Exception as exc:  # surfaced in the main thread
            failures.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(i, *request)) for i, request in enumerate(requests)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not failures, failures
    return responses


@pytest.fixture
def postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (run with DATABASE_URL=postgres://...)")


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_requests_with_the_same_key_create_one_session(postgres_only, body):
    user = UserFactory()

    first, second = _run_concurrently([(user, body, "same-key"), (user, body, "same-key")])

    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert GameSession.objects.count() == 1
    assert GameResult.objects.count() == 3
    assert SessionSubmission.objects.count() == 1
    assert {first.has_header("Idempotent-Replayed"), second.has_header("Idempotent-Replayed")} == {True, False}


@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_reusing_a_key_with_different_bodies_create_one_session(postgres_only, body):
    user = UserFactory()

    responses = _run_concurrently([(user, body, "k"), (user, {**body, "duration_seconds": 10}, "k")])

    assert sorted(r.status_code for r in responses) == [201, 409]
    assert GameSession.objects.count() == 1
