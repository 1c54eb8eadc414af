"""With the broker down, asking for a mail is a clear 503 (alike for every address); signing up still works.

gunicorn (a process of its own, as deployed) uses a redis-server of this test's own as its
Celery broker, which the test stops.
"""

import time

import pytest
import requests

from tests.faults.gunicorn_server import database_url, start_gunicorn
from tests.faults.redis_server import RedisServer

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def server_with_own_broker(tmp_path, postgres):
    broker = RedisServer().start()
    server = start_gunicorn(tmp_path, DATABASE_URL=database_url(), CELERY_BROKER_URL=broker.url)
    server.wait_ready()
    yield server, broker
    server.stop()
    broker.stop()


def test_reset_and_resend_answer_503_and_registration_201_while_the_broker_is_down(server_with_own_broker):
    server, broker = server_with_own_broker
    api = f"{server.base_url}/api/v1"
    registered = requests.post(f"{api}/auth/register", json={"email": "lan@example.com", "password": "a-long-pass-9",
                                                              "name": "Lan"}, timeout=30)
    assert registered.status_code == 201
    broker.stop()

    started = time.monotonic()
    answers = [requests.post(f"{api}/auth/password/reset", json={"email": email}, timeout=30)
               for email in ("lan@example.com", "nobody@example.com")]
    elapsed = time.monotonic() - started
    again = requests.post(f"{api}/auth/register", json={"email": "vy@example.com", "password": "a-long-pass-9",
                                                         "name": "Vy"}, timeout=30)
    resend = requests.post(f"{api}/auth/email/verify/resend", timeout=30,
                           headers={"Authorization": f"Bearer {again.json()['access_token']}"})

    assert [answer.status_code for answer in answers] == [503, 503]
    assert answers[0].json() == answers[1].json()
    assert answers[0].json()["code"] == "mail_unavailable"
    assert elapsed < 60  # a bound on the wait, not a benchmark: the request gives up rather than hangs
    assert again.status_code == 201  # the account exists; the app offers "send the code again"
    assert resend.status_code == 503
