"""Marked reads come from a real streaming replica, a learner reads their own writes, and a replica outage is no outage.

The module starts a PostgreSQL primary of its own, clones it with pg_basebackup into a hot
standby on another port, migrates the primary (the standby replays it), and runs gunicorn with
DATABASE_URL = primary, DATABASE_REPLICA_URL = standby and a read-your-writes window of 1 s.
Routing is shown by pausing the standby's replay (`pg_wal_replay_pause()`): what is written
meanwhile is on the primary only, so whether a learner sees it says which server answered.
"""

import json
import time
from types import SimpleNamespace

import pytest
import requests

from tests.core.fresh_django import run_django, settings_in
from tests.faults.gunicorn_server import start_gunicorn
from tests.faults.postgres_server import PostgresServer
from tests.faults.redis_server import RedisServer
from tests.game.payloads import session_body

STICKY_SECONDS = 1
HISTORY = "/api/v1/game/sessions"
PROGRESS = "/api/v1/users/me/progress"
PRACTICE_SET = "/api/v1/game/speeches/random"

SEED = """
import json
from tests.accounts.factories import UserFactory
from tests.content.factories import SpeechFactory, TagFactory
tag = TagFactory()
speeches = [SpeechFactory(tags=[tag]) for _ in range(3)]
learners = [UserFactory(email_verified=True) for _ in range(2)]
print(json.dumps({"emails": [learner.email for learner in learners], "tag": str(tag.id),
                  "speeches": [{"id": str(speech.id), "text": speech.text} for speech in speeches]}))
"""

NEW_TAGGED_SPEECH = """
import json
from tests.content.factories import SpeechFactory, TagFactory
tag = TagFactory(name="Added while replay is paused")  # a new process: the factories' sequences restart
SpeechFactory(tags=[tag], text="A sentence added while replay is paused.")
print(json.dumps({"tag": str(tag.id)}))
"""


def _django_on(primary: PostgresServer, code: str, **env: str) -> dict:
    result = run_django(code, **{**env, "DATABASE_URL": primary.url})
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def clusters():
    primary = PostgresServer().start()
    standby = None
    try:
        standby = primary.standby()
        assert standby.query("SELECT pg_is_in_recovery()")[0] is True
        yield primary, standby
    finally:
        if standby is not None:
            standby.stop()
        primary.stop()


@pytest.fixture(scope="module")
def app(clusters, tmp_path_factory):
    """gunicorn on the primary and its replica, two learners, a tagged catalogue; replay caught up."""
    primary, standby = clusters
    tmp_path = tmp_path_factory.mktemp("replica")
    redis = RedisServer().start()
    env = {"DATABASE_URL": primary.url, "DATABASE_REPLICA_URL": standby.url, "REDIS_URL": redis.url,
           "CELERY_BROKER_URL": redis.url.replace("/0", "/1"), "MEDIA_ROOT": str(tmp_path / "media"),
           "DATABASE_REPLICA_STICKY_SECONDS": str(STICKY_SECONDS), "DATABASE_REPLICA_RETRY_SECONDS": "30"}
    # As a deploy runs it, replica configured: migrations go to the primary only (the router's allow_migrate).
    _django_on(primary, "from django.core.management import call_command\ncall_command('migrate', verbosity=0)\n"
                        "print('{}')", **env)
    seeded = _django_on(primary, SEED, **{name: env[name] for name in ("MEDIA_ROOT", "REDIS_URL")})
    server = start_gunicorn(tmp_path, **env)
    try:
        server.wait_ready()
        learners = []
        for email in seeded["emails"]:
            login = requests.post(f"{server.base_url}/api/v1/auth/login", timeout=30,
                                  json={"email": email, "password": "correct-horse-battery-9"})
            assert login.status_code == 200, login.text
            learners.append({"Authorization": f"Bearer {login.json()['access_token']}"})
        speeches = [SimpleNamespace(**speech) for speech in seeded["speeches"]]
        yield SimpleNamespace(server=server, primary=primary, standby=standby, learners=learners,
                              speeches=speeches, tag=seeded["tag"], env=env)
    finally:
        server.stop()
        redis.stop()


def _get(app, path: str, learner: dict, **kwargs) -> requests.Response:
    return requests.get(f"{app.server.base_url}{path}", headers=learner, timeout=30, **kwargs)


def _history_ids(app, learner: dict) -> list[str]:
    response = _get(app, HISTORY, learner)
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["sessions"]]


def _save_session(app, learner: dict) -> str:
    response = requests.post(f"{app.server.base_url}{HISTORY}", headers=learner, timeout=30,
                             json=session_body(app.speeches))
    assert response.status_code == 201, response.text
    return response.json()["session_id"]


def _practice_set(app, learner: dict, tag: str) -> list[dict]:
    response = requests.post(f"{app.server.base_url}{PRACTICE_SET}", headers=learner, timeout=30,
                             json={"level": "A1", "type": "question", "tags": [tag]})
    assert response.status_code == 200, response.text
    return response.json()["speeches"]


def test_reads_come_from_the_replica_except_a_learners_own_fresh_writes(app):
    learner_a, learner_b = app.learners
    before_pause = _save_session(app, learner_b)
    app.standby.wait_replayed(app.primary)
    time.sleep(STICKY_SECONDS + 0.3)  # B's own window is over too
    assert _history_ids(app, learner_b) == [before_pause]
    assert len(_practice_set(app, learner_b, app.tag)) == 3

    app.standby.query("SELECT pg_wal_replay_pause()")
    try:
        saved = _save_session(app, learner_a)
        # Within A's window: A's reads go to the primary, which has the session.
        assert _history_ids(app, learner_a) == [saved]
        assert _get(app, f"{HISTORY}/{saved}", learner_a).status_code == 200

        time.sleep(STICKY_SECONDS + 0.3)
        # The window is over: the same reads go to the replica, which has not replayed the save yet.
        assert _history_ids(app, learner_a) == []
        # A session's detail and progress are cached, and what is cached is filled from the primary: never the
        # replica's lag.
        assert _get(app, f"{HISTORY}/{saved}", learner_a).status_code == 200
        assert _get(app, PROGRESS, learner_a).json()["sessions"] == 1
        # B wrote nothing since: B's history, written before the pause, is served by the replica.
        assert _history_ids(app, learner_b) == [before_pause]

        # A speech added now: practice sets are cached and filled from the primary, so it is offered at once.
        new_tag = _django_on(app.primary, NEW_TAGGED_SPEECH, MEDIA_ROOT=app.env["MEDIA_ROOT"])["tag"]
        assert len(_practice_set(app, learner_b, new_tag)) == 1
    finally:
        app.standby.query("SELECT pg_wal_replay_resume()")

    app.standby.wait_replayed(app.primary)
    assert _history_ids(app, learner_a) == [saved]
    assert _get(app, PROGRESS, learner_a).json()["sessions"] == 1
    assert _get(app, f"{HISTORY}/{saved}", learner_a).status_code == 200
    assert len(_practice_set(app, learner_b, new_tag)) == 1


def test_with_the_replica_stopped_marked_reads_are_answered_by_the_primary(app):
    learner_a, learner_b = app.learners
    app.standby.query("SELECT pg_wal_replay_pause()")
    saved = _save_session(app, learner_a)  # on the primary only
    time.sleep(STICKY_SECONDS + 0.3)
    assert saved not in _history_ids(app, learner_a)  # still reading the replica

    app.standby.stop()
    started = time.monotonic()
    history = _history_ids(app, learner_a)
    progress = _get(app, PROGRESS, learner_a)
    practice = _practice_set(app, learner_b, app.tag)
    waited = time.monotonic() - started

    assert saved in history  # the primary answered: it alone has this session
    assert progress.status_code == 200
    assert len(practice) == 3
    assert waited < 5, f"the fallback took {waited:.1f} s"
    assert "Read replica unreachable" in app.server.log.read_text()


def test_the_replica_is_configured_like_the_primary_and_only_with_its_url():
    urls = {"DATABASE_URL": "postgres://app@db-primary:5432/englishapp", "REDIS_URL": "redis://127.0.0.1:1/0",
            "SERVES_WEB_REQUESTS": "1"}
    with_replica = settings_in(["DATABASES", "DATABASE_ROUTERS"], **urls,
                               DATABASE_REPLICA_URL="postgres://app@db-replica:5432/englishapp")
    without = settings_in(["DATABASES", "DATABASE_ROUTERS"], **urls)

    default, replica = with_replica["DATABASES"]["default"], with_replica["DATABASES"]["replica"]
    assert replica["HOST"] == "db-replica" and default["HOST"] == "db-primary"
    same = ("ENGINE", "OPTIONS", "CONN_MAX_AGE", "CONN_HEALTH_CHECKS")
    assert {key: replica[key] for key in same} == {key: default[key] for key in same}
    assert replica["ENGINE"] == "core.db.postgresql" and "client_timeout" in replica["OPTIONS"]
    assert replica["TEST"]["MIRROR"] == "default"
    assert with_replica["DATABASE_ROUTERS"] == ["core.db.router.ReplicaRouter"]
    assert "replica" not in without["DATABASES"] and without["DATABASE_ROUTERS"] == []


def test_a_replica_without_a_shared_cache_refuses_to_start():
    result = run_django("", DATABASE_URL="postgres://app@db-primary:5432/englishapp",
                        DATABASE_REPLICA_URL="postgres://app@db-replica:5432/englishapp")

    assert result.returncode != 0
    assert "core.E006" in result.stderr
