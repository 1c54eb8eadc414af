"""A frozen PostgreSQL gives a 503 in seconds, not a request that waits as long as the freeze.

gunicorn (the real web process) runs against a PostgreSQL cluster of the test's own, which
the test SIGSTOPs with the worker's connection open: the kernel still accepts the query's
bytes, so only a client-side deadline can end the wait. The statement timeout itself is for
web processes only: commands (migrate, the seed, imports) run statements that rightly take long.
"""

import time

import pytest
import requests

from tests.core.fresh_django import settings_in
from tests.faults.gunicorn_server import start_gunicorn
from tests.faults.postgres_server import PostgresServer


@pytest.fixture
def own_postgres():
    server = PostgresServer().start()
    yield server
    server.stop()


def test_readiness_on_a_frozen_database_is_a_503_within_seconds(own_postgres, tmp_path):
    server = start_gunicorn(tmp_path, DATABASE_URL=own_postgres.url, DATABASE_STATEMENT_TIMEOUT="1")
    try:
        server.wait_ready()
        assert requests.get(f"{server.base_url}/health/ready", timeout=10).status_code == 200  # connection kept

        own_postgres.pause()
        started = time.monotonic()
        frozen = requests.get(f"{server.base_url}/health/ready", timeout=30)
        waited = time.monotonic() - started

        own_postgres.resume()
        thawed = requests.get(f"{server.base_url}/health/ready", timeout=30)
    finally:
        server.stop()

    assert frozen.status_code == 503
    assert frozen.json()["checks"]["database"] == "unavailable"
    assert waited < 10, f"a frozen database held the request {waited:.1f} s"  # 1 s statement + 2 s grace
    assert thawed.status_code == 200  # the closed connection was replaced: no restart needed


def test_web_processes_bound_their_statements_and_commands_do_not():
    postgres = {"DATABASE_URL": "postgres://nobody@127.0.0.1:1/none", "DATABASE_STATEMENT_TIMEOUT": "4"}

    web = settings_in(["DATABASES"], SERVES_WEB_REQUESTS="1", **postgres)["DATABASES"]["default"]["OPTIONS"]
    command = settings_in(["DATABASES"], **postgres)["DATABASES"]["default"]["OPTIONS"]

    assert web["options"] == "-c statement_timeout=4000"
    assert web["client_timeout"] == 6
    assert "options" not in command and "client_timeout" not in command
    assert web["keepalives"] == command["keepalives"] == 1
