"""A PostgreSQL cluster of the test's own, on a free port, that a test may freeze and thaw.

Fault tests pause this one, never the shared server the suite runs on. initdb refuses to
run as root, so as root the cluster belongs to the `postgres` user (Debian's packages make it).
`standby()` clones a running cluster with pg_basebackup into a hot standby that streams from it.
"""

import glob
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import psycopg

from tests.faults.redis_server import free_port


def _bin(name: str) -> str:
    found = shutil.which(name) or next(iter(sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))), None)
    if found is None:
        raise RuntimeError(f"{name} (PostgreSQL server binaries) is not installed")
    return found


class PostgresServer:
    def __init__(self) -> None:
        self.port = free_port()
        # Not under pytest's tmp_path: its parents are private to root, and the server may run as postgres.
        self.root = Path(tempfile.mkdtemp(prefix="englishapp-pg-fault-"))
        self.data = self.root / "data"
        self._as_owner: list[str] = []
        if os.geteuid() == 0:
            owner = pwd.getpwnam("postgres")
            os.chown(self.root, owner.pw_uid, owner.pw_gid)
            self._as_owner = ["runuser", "-u", "postgres", "--"]

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *command: str) -> None:
        subprocess.run([*self._as_owner, *command], check=True, capture_output=True, timeout=60)

    def start(self) -> "PostgresServer":
        self._run(_bin("initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync")
        # A standby may stream from it: WAL for replicas, and (initdb -A trust already lists them)
        # replication connections from 127.0.0.1 for postgres, a superuser and so a replication user.
        with open(self.data / "pg_hba.conf", "a") as hba:
            hba.write("host replication postgres 127.0.0.1/32 trust\n")
        return self._start("-c wal_level=replica -c max_wal_senders=5")

    def _start(self, options: str = "") -> "PostgresServer":
        self._run(_bin("pg_ctl"), "-D", str(self.data), "-w", "-l", str(self.root / "server.log"), "-o",
                  f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.root} -c fsync=off {options}", "start")
        return self

    def standby(self) -> "PostgresServer":
        """A hot standby of this running server, on a port of its own, streaming its WAL (read-only)."""
        standby = PostgresServer()
        # -R: standby.signal and primary_conninfo, so it starts as a standby; -c fast: no checkpoint wait.
        self._run(_bin("pg_basebackup"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres",
                  "-D", str(standby.data), "-R", "-X", "stream", "-c", "fast", "--no-sync")
        return standby._start("-c hot_standby=on")

    def query(self, sql: str) -> Any:
        """The first row of `sql`, run on a connection of its own."""
        with psycopg.connect(self.url, autocommit=True, connect_timeout=5) as connection:
            return connection.execute(sql).fetchone()

    def wait_replayed(self, primary: "PostgresServer", timeout: float = 30) -> None:
        """Wait until this standby has replayed everything the primary has written so far."""
        target = primary.query("SELECT pg_current_wal_lsn()")[0]
        deadline = time.monotonic() + timeout
        while self.query(f"SELECT pg_wal_lsn_diff(pg_last_wal_replay_lsn(), '{target}') < 0")[0]:
            if time.monotonic() > deadline:
                raise RuntimeError(f"the standby did not replay up to {target} in {timeout} s")
            time.sleep(0.05)

    def _processes(self) -> list[int]:
        postmaster = int((self.data / "postmaster.pid").read_text().split()[0])
        children = []
        for stat in glob.glob("/proc/[0-9]*/stat"):
            try:
                fields = Path(stat).read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == postmaster:
                children.append(int(Path(stat).parent.name))
        return [postmaster, *children]

    def pause(self) -> None:
        """SIGSTOP every server process: connections stay open, the kernel accepts bytes, nobody answers."""
        for pid in self._processes():
            os.kill(pid, signal.SIGSTOP)

    def resume(self) -> None:
        for pid in self._processes():
            os.kill(pid, signal.SIGCONT)

    def stop(self) -> None:
        try:
            self.resume()
            self._run(_bin("pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop")
        except (OSError, subprocess.CalledProcessError):
            pass
        shutil.rmtree(self.root, ignore_errors=True)
