import re
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from game.models import GameResult, GameSession, SessionSubmission
from tests.conftest import bearer
from tests.content.factories import SpeechFactory, TagFactory
from tests.game.payloads import session_body

pytestmark = pytest.mark.django_db

URL = "/api/v1/game/sessions"


@pytest.fixture
def speeches():
    return SpeechFactory.create_batch(4)


def post(client, body, **headers):
    return client.post(URL, body, format="json", **headers)


def assert_nothing_stored():
    assert GameSession.objects.count() == 0
    assert GameResult.objects.count() == 0
    assert SessionSubmission.objects.count() == 0


def test_listen_only_session_is_saved_with_all_results(auth_client, user, speeches):
    tag = TagFactory()
    body = session_body(speeches, ["correct", "incorrect", "correct", "skipped"], tags=[tag])

    response = post(auth_client, body)

    assert response.status_code == 201
    assert response.json()["message"] == "Session saved successfully"
    session = GameSession.objects.get(id=response.json()["session_id"])
    assert session.user == user
    assert (session.mode, session.total_sentences, session.correct_count, session.max_streak) == \
        ("listen_only", 4, 2, 1)
    assert session.selected_tags == [str(tag.id)]
    assert session.avg_pronunciation_score is None
    results = list(session.results.order_by("sequence_number"))
    assert [r.speech_id for r in results] == [s.id for s in speeches]
    assert [r.user_response for r in results] == ["correct", "incorrect", "correct", "skipped"]
    assert [r.response_time_ms for r in results] == [4001, 4002, 4003, 4004]


def test_listen_and_repeat_stores_the_servers_own_average(auth_client, speeches):
    body = session_body(speeches[:3], mode="listen_and_repeat", scores=[80, 90, 82.8],
                        avg_pronunciation_score=84.27)  # true mean 84.2666...

    response = post(auth_client, body)

    assert response.status_code == 201
    session = GameSession.objects.get()
    assert session.avg_pronunciation_score == 84.3
    assert sorted(session.results.values_list("pronunciation_score", flat=True)) == [80, 82.8, 90]


def test_results_may_arrive_in_any_order(auth_client, speeches):
    body = session_body(speeches, ["correct", "correct", "incorrect", "correct"])
    body["results"].reverse()

    assert post(auth_client, body).status_code == 201
    stored = GameResult.objects.order_by("sequence_number").values_list("speech_id", flat=True)
    assert list(stored) == [s.id for s in speeches]


def test_a_session_with_an_archived_speech_is_saved(auth_client, speeches):
    speeches[0].archived_at = timezone.now()
    speeches[0].save()

    assert post(auth_client, session_body(speeches)).status_code == 201


def test_scored_session_where_every_sentence_was_skipped_has_no_average(auth_client, speeches):
    body = session_body(speeches[:2], ["skipped", "skipped"], mode="listen_and_repeat")

    assert post(auth_client, body).status_code == 201
    assert GameSession.objects.get().avg_pronunciation_score is None


def test_anonymous_request_is_401(api_client, speeches):
    response = post(api_client, session_body(speeches))

    assert response.status_code == 401
    assert_nothing_stored()


def _set(path, value):
    def change(body):
        target = body
        *parents, last = path
        for part in parents:
            target = target[part]
        target[last] = value
    return change


INVALID = {
    "count differs from total_sentences": (_set(["total_sentences"], 5), "total_sentences"),
    "sequence has a gap": (_set(["results", 3, "sequence_number"], 5), "results"),
    "sequence repeats a number": (_set(["results", 3, "sequence_number"], 3), "results"),
    "sequence starts at zero": (_set(["results", 0, "sequence_number"], 0), "results"),
    "correct_count disagrees": (_set(["correct_count"], 2), "correct_count"),
    "max_streak disagrees": (_set(["max_streak"], 3), "max_streak"),
    "average in listen_only mode": (_set(["avg_pronunciation_score"], 50.0), "avg_pronunciation_score"),
    "score in listen_only mode": (_set(["results", 1, "pronunciation_score"], 70), "results"),
    "recognized text in listen_only mode": (_set(["results", 1, "recognized_text"], "hello"), "results"),
    "completed before started": (_set(["completed_at"], "2020-01-01T00:00:00Z"), "completed_at"),
    "completed in the future": (
        lambda body: body.update(completed_at=(timezone.now() + timedelta(hours=1)).isoformat(),
                                 started_at=timezone.now().isoformat()), "completed_at"),
    "duration longer than the session": (_set(["duration_seconds"], 3600), "duration_seconds"),
    "unknown mode": (_set(["mode"], "speed_run"), "mode"),
    "unknown level": (_set(["level"], "C2"), "level"),
    "unknown sentence type": (_set(["sentence_type"], "statement"), "sentence_type"),
    "unknown user response": (_set(["results", 0, "user_response"], "maybe"), "results"),
    "negative response time": (_set(["results", 0, "response_time_ms"], -1), "results"),
    "no results": (lambda body: body.update(results=[], total_sentences=0), "results"),
    "malformed speech id": (_set(["results", 0, "speech_id"], "not-a-uuid"), "results"),
    "malformed tag id": (_set(["selected_tags"], ["not-a-uuid"]), "selected_tags"),
    "missing field": (lambda body: body.pop("started_at"), "started_at"),
}


@pytest.mark.parametrize("change, field", INVALID.values(), ids=INVALID.keys())
def test_inconsistent_or_invalid_session_is_400_and_stores_nothing(auth_client, speeches, change, field):
    # correct, correct, incorrect, correct: 3 correct, longest run 2
    body = session_body(speeches, ["correct", "correct", "incorrect", "correct"])
    change(body)

    response = post(auth_client, body)

    assert response.status_code == 400, response.json()
    assert response.json()["code"] in {"invalid_input", "invalid_session"}
    assert field in response.json()["errors"]
    assert_nothing_stored()


SCORED_INVALID = {
    "average off by more than 0.05": (_set(["avg_pronunciation_score"], 85.2), "avg_pronunciation_score"),
    "average missing though results are scored": (_set(["avg_pronunciation_score"], None),
                                                   "avg_pronunciation_score"),
    "score above 100": (_set(["results", 3, "pronunciation_score"], 100.5), "results"),
    "score below 0": (_set(["results", 3, "pronunciation_score"], -3), "results"),
    "skipped sentence with a score": (_set(["results", 2, "user_response"], "skipped"), "results"),
}


@pytest.mark.parametrize("change, field", SCORED_INVALID.values(), ids=SCORED_INVALID.keys())
def test_scored_session_rules(auth_client, speeches, change, field):
    body = session_body(speeches, ["correct", "correct", "incorrect", "correct"], mode="listen_and_repeat",
                        scores=[80, 90, 70, 100])
    change(body)
    if body["results"][2]["user_response"] == "skipped":
        body["correct_count"] = 3

    response = post(auth_client, body)

    assert response.status_code == 400, response.json()
    assert field in response.json()["errors"]
    assert_nothing_stored()


def test_every_problem_is_reported_at_once(auth_client, speeches):
    body = session_body(speeches, correct_count=1, max_streak=1)
    body["results"][2]["pronunciation_score"] = 50

    errors = post(auth_client, body).json()["errors"]

    assert set(errors) == {"correct_count", "max_streak", "results"}
    assert errors["results"] == {"2": {"pronunciation_score": ["Must be null in listen_only mode."]}}


def test_average_rounded_to_one_decimal_is_accepted(auth_client, speeches):
    body = session_body(speeches[:3], mode="listen_and_repeat", scores=[70, 70, 70.15],
                        avg_pronunciation_score=70.0)  # true mean 70.05

    assert post(auth_client, body).status_code == 201


def test_more_results_than_allowed_is_400(auth_client, speeches, settings):
    settings.GAME_MAX_SESSION_SENTENCES = 3

    response = post(auth_client, session_body(speeches))

    assert response.status_code == 400
    assert {"total_sentences", "results"} <= set(response.json()["errors"])


def test_unknown_speeches_are_404_and_named(auth_client, speeches):
    body = session_body(speeches)
    missing = ["00000000-0000-4000-8000-000000000001", "00000000-0000-4000-8000-000000000002"]
    body["results"][1]["speech_id"] = missing[0]
    body["results"][3]["speech_id"] = missing[1]

    response = post(auth_client, body)

    assert response.status_code == 404
    assert response.json()["code"] == "speech_not_found"
    assert response.json()["errors"] == {"speech_ids": missing}
    assert_nothing_stored()


def test_unknown_selected_tag_is_404_and_named(auth_client, speeches):
    missing = "00000000-0000-4000-8000-0000000000aa"
    body = session_body(speeches, tags=[TagFactory()])
    body["selected_tags"].append(missing)

    response = post(auth_client, body)

    assert response.status_code == 404
    assert response.json()["errors"] == {"selected_tags": [missing]}
    assert_nothing_stored()


# --- all or nothing -------------------------------------------------------------------

def _corrupt_last_result_score(execute, sql, params, many, context):
    """At the DB boundary, make the last result of the bulk insert break the score CHECK constraint."""
    if sql.startswith('INSERT INTO "game_gameresult"'):
        columns = re.search(r"\((.*?)\) VALUES", sql).group(1).replace('"', "").split(", ")
        params = list(params)
        width = len(columns)
        params[len(params) - width + columns.index("pronunciation_score")] = 150.0
    return execute(sql, params, many, context)


def test_a_failure_on_the_last_result_leaves_no_session(auth_client, speeches):
    body = session_body(speeches, mode="listen_and_repeat", scores=[80, 80, 80, 80])

    with connection.execute_wrapper(_corrupt_last_result_score):
        response = post(auth_client, body, HTTP_IDEMPOTENCY_KEY="retry-me")

    assert response.status_code == 500
    assert response.json()["code"] == "server_error"
    assert_nothing_stored()

    # The key was not consumed: the client's retry goes through once.
    retry = post(auth_client, body, HTTP_IDEMPOTENCY_KEY="retry-me")
    assert retry.status_code == 201
    assert GameSession.objects.count() == 1
    assert GameResult.objects.count() == 4


def test_a_database_outage_during_the_write_is_503_and_leaves_nothing(auth_client, speeches):
    from django.db import OperationalError

    def drop_on_results(execute, sql, params, many, context):
        if sql.startswith('INSERT INTO "game_gameresult"'):
            raise OperationalError("server closed the connection unexpectedly")
        return execute(sql, params, many, context)

    with connection.execute_wrapper(drop_on_results):
        response = post(auth_client, session_body(speeches))

    assert response.status_code == 503
    assert response.json()["code"] == "service_unavailable"
    assert_nothing_stored()


def test_sessions_are_deleted_with_their_user(user, speeches, api_client):
    api_client.credentials(**bearer(user))
    assert post(api_client, session_body(speeches), HTTP_IDEMPOTENCY_KEY="k1").status_code == 201

    user.delete()

    assert_nothing_stored()


def test_a_practised_speech_cannot_be_deleted_only_archived(auth_client, speeches):
    from django.db.models import ProtectedError

    post(auth_client, session_body(speeches))

    with pytest.raises(ProtectedError):
        speeches[0].delete()
    assert GameResult.objects.count() == 4
