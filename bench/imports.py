"""Benchmark of the two-step import through the HTTP API on PostgreSQL + an S3 server.

What it does:
  * starts a SeaweedFS S3 server (tests/s3server.py) and gunicorn on a free port, with a
    fresh database (BENCH_DATABASE_URL, default
    postgres://postgres@127.0.0.1:5432/englishapp_bench_imports, dropped and recreated);
  * step 1: uploads BENCH_FILES (10 000) small WAV files to one upload session, in
    requests of BENCH_BATCH (500) files;
  * step 2: posts the CSV with one row per file, first as a dry run, then for real;
  * checks the result (speeches in the database, objects under audio/{level}/, no uploads
    left) and prints the timings.

Rate limits are off and the cache is local memory, so the numbers are the application,
PostgreSQL and the S3 server (all on this machine). Run:  .venv/bin/python bench/imports.py
"""

import csv
import io
import math
import os
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import wave
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DATABASE_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/englishapp_bench_imports")
FILES = int(os.environ.get("BENCH_FILES", "10000"))
BATCH = int(os.environ.get("BENCH_BATCH", "500"))
WORKERS = os.environ.get("BENCH_GUNICORN_WORKERS", "2")
BUCKET = "bench-imports"
LEVELS = ["A1", "A2", "B1", "B2", "C1"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def recreate_database() -> None:
    import environ
    import psycopg

    config = environ.Env.db_url_config(DATABASE_URL)
    admin = psycopg.connect(host=config["HOST"] or "127.0.0.1", port=config["PORT"] or 5432,
                            user=config["USER"], password=config["PASSWORD"] or None, dbname="postgres",
                            autocommit=True)
    with admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{config["NAME"]}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{config["NAME"]}"')


def wav_clip(n: int) -> bytes:
    """0.05 s of an 8 kHz 16-bit mono tone, different for every file (~0.8 KB)."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        tone = 200 + n % 600
        out.writeframes(b"".join(struct.pack("<h", int(6000 * math.sin(2 * math.pi * tone * i / 8000)))
                                 for i in range(400)))
    return buffer.getvalue()


def csv_data(names: list[str]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["audio_filename", "text", "level", "type", "tags"])
    for n, name in enumerate(names):
        writer.writerow([name, f"Benchmark sentence number {n}, imported in bulk.", LEVELS[n % 5],
                         "question" if n % 2 else "answer", f"Topic {n % 20},Bench"])
    return buffer.getvalue().encode()


def main() -> None:
    from tests.s3server import start_s3_server

    recreate_database()
    s3 = start_s3_server()
    s3.client().create_bucket(Bucket=BUCKET)
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": DATABASE_URL,
        "DEBUG": "0",
        "SECRET_KEY": os.environ.get("SECRET_KEY", "bench-only-secret-key-" + "x" * 40),
        "ALLOWED_HOSTS": "127.0.0.1",
        "RATE_LIMIT_ENABLED": "0",
        "REDIS_URL": "",
        "SECURE_SSL_REDIRECT": "0",
        "LOG_LEVEL": "WARNING",
        "MEDIA_ROOT": tempfile.mkdtemp(prefix="bench-imports-media-"),
        "STATIC_ROOT": tempfile.mkdtemp(prefix="bench-imports-static-"),
        "AWS_STORAGE_BUCKET_NAME": BUCKET,
        "AWS_S3_ENDPOINT_URL": s3.endpoint_url,
        "AWS_ACCESS_KEY_ID": s3.access_key,
        "AWS_SECRET_ACCESS_KEY": s3.secret_key,
        "AWS_S3_REGION_NAME": s3.region,
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    os.environ.update(env)

    import django

    django.setup()
    from django.core.management import call_command
    from rest_framework_simplejwt.tokens import RefreshToken

    from accounts.models import User
    from content.models import Speech, Tag

    call_command("migrate", verbosity=0)
    staff = User.objects.create_user("bench-editor@example.com", password=None, name="Bench", is_staff=True)
    headers = {"Authorization": f"Bearer {RefreshToken.for_user(staff).access_token}"}

    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "config.wsgi:application", "--bind", f"127.0.0.1:{port}",
         "--workers", WORKERS, "--timeout", "900", "--log-level", "warning"],
        cwd=ROOT, env=env, start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                if requests.get(f"{base}/health", timeout=5).status_code == 200:
                    break
            except requests.RequestException:
                time.sleep(0.2)
        else:
            raise RuntimeError("gunicorn did not start")

        names = [f"clip_{n:05}.wav" for n in range(FILES)]
        clips = [wav_clip(n) for n in range(FILES)]
        session_id = None
        batch_times = []
        started = time.perf_counter()
        for start in range(0, FILES, BATCH):
            files = [("files", (name, clip, "audio/wav"))
                     for name, clip in zip(names[start:start + BATCH], clips[start:start + BATCH])]
            data = {"upload_session_id": session_id} if session_id else {}
            t0 = time.perf_counter()
            answer = requests.post(f"{base}/api/v1/admin/import/audio", headers=headers, files=files, data=data,
                                   timeout=900)
            batch_times.append(time.perf_counter() - t0)
            answer.raise_for_status()
            session_id = answer.json()["upload_session_id"]
        upload_seconds = time.perf_counter() - started

        body = csv_data(names)
        t0 = time.perf_counter()
        dry = requests.post(f"{base}/api/v1/admin/import/csv", headers=headers, timeout=900,
                            files={"file": ("speeches.csv", body, "text/csv")},
                            data={"upload_session_id": session_id, "dry_run": "true"})
        dry_seconds = time.perf_counter() - t0
        dry.raise_for_status()

        t0 = time.perf_counter()
        real = requests.post(f"{base}/api/v1/admin/import/csv", headers=headers, timeout=900,
                             files={"file": ("speeches.csv", body, "text/csv")},
                             data={"upload_session_id": session_id})
        import_seconds = time.perf_counter() - t0
        real.raise_for_status()

        client = s3.client()
        keys = [item["Key"] for page in client.get_paginator("list_objects_v2").paginate(Bucket=BUCKET)
                for item in page.get("Contents", [])]
        uploads_left = sum(key.startswith("audio/uploads/") for key in keys)
        moved = sum(not key.startswith("audio/uploads/") for key in keys)
        speeches = Speech.objects.count()
        assert real.json()["success_count"] == FILES == speeches == moved, (real.json()["success_count"], speeches,
                                                                            moved)
        assert uploads_left == 0, uploads_left

        print(f"Import benchmark: {FILES} WAV files (~{len(clips[0])} B each), PostgreSQL + SeaweedFS S3, "
              f"gunicorn x{WORKERS}, IMPORT_STORAGE_CONCURRENCY={os.environ.get('IMPORT_STORAGE_CONCURRENCY', 16)}")
        print(f"  step 1 upload: {upload_seconds:6.1f} s in {len(batch_times)} requests of {BATCH} "
              f"({FILES / upload_seconds:6.0f} files/s; request p50 {sorted(batch_times)[len(batch_times) // 2]:.2f} s, "
              f"max {max(batch_times):.2f} s)")
        print(f"  step 2 dry run: {dry_seconds:6.2f} s ({FILES} rows checked)")
        print(f"  step 2 import: {import_seconds:6.1f} s ({FILES / import_seconds:6.0f} speeches/s; "
              f"{Tag.objects.count()} tags, {moved} objects moved, {uploads_left} uploads left)")
        print(f"  total: {upload_seconds + dry_seconds + import_seconds:6.1f} s")
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        s3.stop()


if __name__ == "__main__":
    main()
