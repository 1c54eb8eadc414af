import os

import pytest
from django.db import connection

from tests.faults.redis_server import RedisServer


@pytest.fixture
def own_redis(settings):
    """The app's cache on a redis-server of this test's own, which the test may stop, pause or restart."""
    server = RedisServer().start()
    shared = settings.CACHES
    settings.CACHES = server.cache_settings()
    settings.RATE_LIMIT_ENABLED = False
    settings.CACHE_BREAKER_SECONDS = 0.2
    yield server
    server.resume()  # a paused server would not stop
    settings.CACHES = shared  # the suite's own teardown clears the cache it uses
    server.stop()


@pytest.fixture
def postgres():
    """For tests whose second process (gunicorn, a Celery worker) must see the test's rows."""
    if connection.vendor != "postgresql":
        reason = "a second process needs a shared database: run with DATABASE_URL=postgres://..."
        if os.environ.get("REQUIRE_SERVICES") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
