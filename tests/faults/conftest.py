import pytest

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
