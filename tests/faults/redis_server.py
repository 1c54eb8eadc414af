"""A redis-server of the test's own, on a free port, that a test may stop and start again.

Fault tests stop, pause or restart this one, never the shared Redis the suite runs on.
"""

import shutil
import signal
import socket
import subprocess
import time

from django.conf import settings as django_settings
from django.core.cache import cache

from core.cache import CacheUnavailable


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class RedisServer:
    def __init__(self) -> None:
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> "RedisServer":
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is not installed")
        # Nothing on disk: a restart comes back empty, as a cache server without persistence does.
        self.process = subprocess.Popen(
            [binary, "--bind", "127.0.0.1", "--port", str(self.port), "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"redis-server did not start on port {self.port}")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None

    def cache_settings(self) -> dict:
        return caches_for(self.url)

    def pause(self) -> None:
        """SIGSTOP: the server hangs with its connections open (a frozen container, a stuck host)."""
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        if self.process is not None:
            self.process.send_signal(signal.SIGCONT)


def wait_until_cache_answers(timeout: float = 10) -> None:
    """Until the circuit breaker lets calls through again and Redis answers them (no restart of ours)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            cache.get("fault-test-probe")
            return
        except CacheUnavailable:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def caches_for(url: str) -> dict:
    """CACHES with Redis at `url`, as config/settings.py builds them for REDIS_URL."""
    return {
        "default": {
            "BACKEND": "core.cache.ResilientRedisCache",
            "LOCATION": url,
            "OPTIONS": {"CLIENT_CLASS": "django_redis.client.DefaultClient",
                        "SOCKET_CONNECT_TIMEOUT": django_settings.CACHE_SOCKET_TIMEOUT,
                        "SOCKET_TIMEOUT": django_settings.CACHE_SOCKET_TIMEOUT},
        },
        "counters": django_settings.CACHES["counters"],
    }
