"""gunicorn serving config.wsgi in a process of its own, as the image starts it, for fault tests.

A second process shares the test database only on PostgreSQL: see the `postgres` fixture.
"""

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import requests
from django.conf import settings
from django.db import connection

from tests.faults.redis_server import free_port

BOOTED = re.compile(rb"Booting worker with pid: (\d+)")


class GunicornServer:
    def __init__(self, process: subprocess.Popen, log: Path, base_url: str):
        self.process, self.log, self.base_url = process, log, base_url

    def worker_pids(self) -> list[int]:
        return [int(pid) for pid in BOOTED.findall(self.log.read_bytes())]

    def wait_ready(self, workers: int = 1, timeout: float = 60) -> int:
        """Wait until `workers` workers have booted in all and one answers; returns the newest worker's pid."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited: {self.log.read_text()[-3000:]}")
            if len(self.worker_pids()) >= workers:
                try:
                    if requests.get(f"{self.base_url}/health", timeout=5).status_code == 200:
                        return self.worker_pids()[-1]
                except requests.ConnectionError:
                    pass
            time.sleep(0.1)
        raise RuntimeError(f"gunicorn did not get ready: {self.log.read_text()[-3000:]}")

    def stop(self) -> None:
        # Master and workers: none may outlive the test (they hold connections to test databases).
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(self.process.pid, sig)
                self.process.wait(timeout=15)
                return
            except ProcessLookupError:
                return
            except subprocess.TimeoutExpired:
                continue


def start_gunicorn(tmp_path: Path, **env: str) -> GunicornServer:
    """One worker with production-like settings, the suite's signing keys, and `env` on top."""
    port, log = free_port(), tmp_path / "gunicorn.log"
    full_env = {
        "PATH": os.environ.get("PATH", ""), "HOME": os.environ.get("HOME", "/tmp"), "TMPDIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "config.settings", "DEBUG": "0", "SECURE_SSL_REDIRECT": "0",
        "ALLOWED_HOSTS": "127.0.0.1", "RATE_LIMIT_ENABLED": "0", "MEDIA_ROOT": str(tmp_path / "media"),
        # The tokens the test signs must verify in the server.
        "SECRET_KEY": settings.SECRET_KEY, "JWT_SECRET_KEY": settings.SIMPLE_JWT["SIGNING_KEY"],
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"),
        **env,
    }
    with open(log, "wb") as output:
        process = subprocess.Popen(
            [str(Path(sys.executable).with_name("gunicorn")), "config.wsgi:application",
             "--bind", f"127.0.0.1:{port}", "--workers", "1", "--timeout", "120",
             "--no-control-socket"],  # one per user otherwise, shared with any other gunicorn running
            cwd=settings.BASE_DIR, env=full_env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True)
    return GunicornServer(process, log, f"http://127.0.0.1:{port}")


def database_url() -> str:
    """The test database (not the one DATABASE_URL names), for a process of its own to use."""
    db = connection.settings_dict
    credentials = quote(db["USER"] or "", safe="") + (f":{quote(db['PASSWORD'], safe='')}" if db["PASSWORD"] else "")
    return f"postgres://{credentials}@{db['HOST'] or 'localhost'}:{db['PORT'] or 5432}/{quote(db['NAME'], safe='')}"
