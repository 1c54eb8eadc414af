"""The success answers the fuzz seldom reaches, held to the same schema checks.

Random requests rarely agree with themselves well enough to save a session (statistics must match
the results), carry a real recording or a signed audio link. These drive the learner, editor,
import and scoring paths with real data, in-process through the same WSGI application, and check
every response against the served OpenAPI schema exactly as the fuzz does.
"""

import io
from urllib.parse import parse_qsl, urlsplit

import pytest
from werkzeug.test import Client

from accounts.services.tokens import start_session
from config.wsgi import application
from tests.accounts.factories import DEFAULT_PASSWORD, StaffUserFactory, UserFactory
from tests.content.factories import SpeechFactory, TagFactory
from tests.fuzz.test_api_fuzz import CHECKS, WSGI_HOST, schema
from tests.game.payloads import session_body
from tests.imports.helpers import csv_bytes, mp3_bytes, wav_bytes
from tests.scoring.helpers import REFERENCE, clip

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _in_process_api(settings):
    settings.RATE_LIMIT_ENABLED = False
    settings.RATELIMIT_ENABLE = False
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, WSGI_HOST]


class Api:
    """Sends a request to the app and checks the answer against the schema's operation for it."""

    def __init__(self, token: str | None = None):
        self.client = Client(application)
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    def send(self, method: str, template: str, *, params: dict | None = None, expect: int, **kwargs):
        params = params or {}
        headers = {**self.headers, **kwargs.pop("headers", {})}
        path = template.format(**params)
        response = self.client.open(path, method=method, headers=headers, **kwargs)
        assert response.status_code == expect, (method, path, response.status_code, response.get_data())
        case = schema[template][method].Case(path_parameters=params, query=kwargs.get("query_string"))
        case.validate_response(response, checks=CHECKS)
        return response


def signed_in(user) -> Api:
    return Api(start_session(user=user).access_token)


def test_learner_journey():
    tags = [TagFactory(name="Travel"), TagFactory(name="Food")]
    speeches = [SpeechFactory(tags=tags[:1]) for _ in range(3)]

    anonymous = Api()
    registered = anonymous.send("POST", "/api/v1/auth/register", expect=201, json={
        "email": "fuzz.learner@example.com", "password": DEFAULT_PASSWORD, "name": "Fuzz Learner"}).get_json()
    login = anonymous.send("POST", "/api/v1/auth/login", expect=200, json={
        "email": "fuzz.learner@example.com", "password": DEFAULT_PASSWORD}).get_json()
    refreshed = anonymous.send("POST", "/api/v1/auth/refresh", expect=200,
                               json={"refresh_token": login["refresh_token"]}).get_json()
    anonymous.send("GET", "/api/v1/tags", expect=200)

    learner = Api(registered["access_token"])
    practice = learner.send("POST", "/api/v1/game/speeches/random", expect=200, json={
        "level": "A1", "type": "question", "tags": [str(tags[0].id)], "limit": 10}).get_json()
    assert len(practice["speeches"]) == 3

    body = session_body(speeches, ["correct", "incorrect", "correct"], tags=tags[:1])
    key = {"Idempotency-Key": "fuzz-session-1"}
    saved = learner.send("POST", "/api/v1/game/sessions", expect=201, json=body, headers=key).get_json()
    replay = learner.send("POST", "/api/v1/game/sessions", expect=201, json=body, headers=key)
    assert replay.headers["Idempotent-Replayed"] == "true"
    learner.send("POST", "/api/v1/game/sessions", expect=409, json={**body, "duration_seconds": 301}, headers=key)

    history = learner.send("GET", "/api/v1/game/sessions", expect=200).get_json()
    assert history["pagination"]["total"] == 1
    learner.send("GET", "/api/v1/game/sessions/{session_id}", params={"session_id": saved["session_id"]},
                 expect=200)
    learner.send("GET", "/api/v1/users/me/progress", expect=200)
    learner.send("POST", "/api/v1/game/speeches/review", expect=200, json={"limit": 5})
    learner.send("GET", "/api/v1/users/me", expect=200)
    learner.send("PUT", "/api/v1/users/me", expect=200, json={"name": "Renamed", "timezone": "Asia/Ho_Chi_Minh"})
    devices = learner.send("GET", "/api/v1/auth/sessions", expect=200).get_json()["sessions"]
    assert len(devices) == 2
    learner.send("POST", "/api/v1/auth/password", expect=204, json={
        "current_password": DEFAULT_PASSWORD, "new_password": "another-fine-password-7"})
    # A new password signs the other devices out: the login's refresh token no longer works.
    anonymous.send("POST", "/api/v1/auth/logout", expect=401, json={"refresh_token": refreshed["refresh_token"]})


def test_learning_loop_reads_with_a_league_and_friends():
    """The home screen, the league table and the friends leaderboard hand out rows prepared by their selectors
    (`core.api.fields.PreparedList`): held to the documented shapes here, with a seat, mates and friends."""
    learner, mate = UserFactory(name="Mai"), UserFactory(name="Lan", avatar_url="https://cdn.example.com/lan.png")
    for user in (learner, mate):
        signed_in(user).send("POST", "/api/v1/game/sessions", expect=201,
                             json=session_body(SpeechFactory.create_batch(2), ["correct", "incorrect"]))
    me = signed_in(learner)
    code = signed_in(mate).send("GET", "/api/v1/friends", expect=200).get_json()["invite_code"]
    me.send("POST", "/api/v1/friends", expect=201, json={"invite_code": code})

    table = me.send("GET", "/api/v1/leagues/current", expect=200).get_json()
    assert [row["user"]["name"] for row in table["league"]["entries"]] != [] and table["rank"] is not None
    board = me.send("GET", "/api/v1/friends/leaderboard", expect=200).get_json()
    assert {row["user"]["name"] for row in board["entries"]} == {"Mai", "Lan"}
    for _ in range(2):  # computed, then from the cache
        home = me.send("GET", "/api/v1/home", expect=200).get_json()
        assert home["league"]["rank"] is not None and home["review"]["due_today"] == 2


def test_signed_audio_link_serves_the_clip():
    tag = TagFactory()
    speech = SpeechFactory(tags=[tag])
    learner = signed_in(UserFactory())
    practice = learner.send("POST", "/api/v1/game/speeches/random", expect=200, json={
        "level": speech.level, "type": speech.type, "tags": [str(tag.id)]}).get_json()
    audio = urlsplit(practice["speeches"][0]["audio_url"])
    Api().send("GET", "/api/v1/audio/{key}", params={"key": audio.path.removeprefix("/api/v1/audio/")},
               query_string=dict(parse_qsl(audio.query)), expect=200)


def test_editor_journey():
    editor = signed_in(StaffUserFactory())
    tag = editor.send("POST", "/api/v1/admin/tags", expect=201,
                      json={"name": "Weather", "category": "topic"}).get_json()
    editor.send("POST", "/api/v1/admin/tags", expect=409, json={"name": "weather"})
    speech = editor.send("POST", "/api/v1/admin/speeches", expect=201, data={
        "text": "Is it raining?", "level": "A2", "type": "question", "tag_ids": [tag["id"]],
        "audio": (io.BytesIO(mp3_bytes()), "rain.mp3", "audio/mpeg")}).get_json()
    speech_id, tag_id = {"speech_id": speech["id"]}, {"tag_id": tag["id"]}
    editor.send("GET", "/api/v1/admin/speeches", expect=200, query_string={"level": "A2", "page": 1})
    editor.send("GET", "/api/v1/admin/speeches/{speech_id}", params=speech_id, expect=200)
    editor.send("PUT", "/api/v1/admin/speeches/{speech_id}", params=speech_id, expect=200,
                json={"text": "Is it raining now?"})
    editor.send("GET", "/api/v1/admin/tags/{tag_id}", params=tag_id, expect=200)
    editor.send("PUT", "/api/v1/admin/tags/{tag_id}", params=tag_id, expect=200,
                json={"name": "Weather talk", "category": "topic"})
    editor.send("GET", "/api/v1/admin/tags", expect=200)
    export = editor.send("GET", "/api/v1/admin/speeches/export.csv", expect=200)
    assert b"Is it raining now?" in export.get_data()

    upload = editor.send("POST", "/api/v1/admin/import/audio", expect=200, data={
        "files": [(io.BytesIO(wav_bytes()), "sunny.wav"), (io.BytesIO(wav_bytes(tone=660)), "windy.wav")]}).get_json()
    session_id = upload["upload_session_id"]
    rows = [{"audio_filename": "sunny.wav", "text": "It is sunny.", "level": "A1", "type": "answer",
             "tags": "Weather talk"},
            {"audio_filename": "windy.wav", "text": "Is it windy?", "level": "A1", "type": "question", "tags": ""}]
    bad_rows = [{**rows[0], "level": "Z9"}, rows[1]]
    editor.send("POST", "/api/v1/admin/import/csv", expect=422, data={
        "upload_session_id": session_id, "file": (io.BytesIO(csv_bytes(bad_rows)), "speeches.csv", "text/csv")})
    editor.send("POST", "/api/v1/admin/import/csv", expect=200, data={
        "upload_session_id": session_id, "dry_run": "true",
        "file": (io.BytesIO(csv_bytes(rows)), "speeches.csv", "text/csv")})
    imported = editor.send("POST", "/api/v1/admin/import/csv", expect=200, data={
        "upload_session_id": session_id, "file": (io.BytesIO(csv_bytes(rows)), "speeches.csv", "text/csv")})
    assert imported.get_json()["success_count"] == 2
    editor.send("POST", "/api/v1/admin/import/audio", expect=409, data={
        "upload_session_id": session_id, "files": [(io.BytesIO(wav_bytes()), "late.wav")]})

    editor.send("DELETE", "/api/v1/admin/speeches/{speech_id}", params=speech_id, expect=204)
    editor.send("DELETE", "/api/v1/admin/tags/{tag_id}", params=tag_id, expect=409)

    learner = signed_in(UserFactory())
    learner.send("GET", "/api/v1/admin/speeches", expect=403)
    learner.send("DELETE", "/api/v1/users/me", expect=204)
    learner.send("GET", "/api/v1/users/me", expect=401)


def test_scoring_a_real_recording_and_a_silent_one():
    learner = signed_in(UserFactory())
    scored = learner.send("POST", "/api/v1/speech/score", expect=200, data={
        "reference_text": REFERENCE, "audio": (io.BytesIO(clip("right.wav")), "right.wav", "audio/wav")}).get_json()
    assert scored["word_scores"]
    learner.send("POST", "/api/v1/speech/score", expect=422, data={
        "reference_text": REFERENCE, "audio": (io.BytesIO(clip("silence.wav")), "silence.wav", "audio/wav")})
