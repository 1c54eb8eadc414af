"""Benchmark of the two-step import through the HTTP API and a Celery worker, on PostgreSQL + an S3 server.

What it does:
  * starts a SeaweedFS S3 server (tests/s3server.py), gunicorn on a free port and a Celery
    worker (prefork, BENCH_WORKER_CONCURRENCY, default 2) on the broker BENCH_BROKER_URL
    (default redis://127.0.0.1:6379/3), with a fresh database (BENCH_DATABASE_URL, default
    postgres://postgres@127.0.0.1:5432/englishapp_bench_imports, dropped and recreated);
  * step 1: uploads BENCH_FILES (10 000) small WAV files to one upload session, in
    requests of BENCH_BATCH (500) files;
  * step 2: posts the CSV with one row per file, first as a dry run, then for real: above
    IMPORT_SYNC_MAX_ROWS that is a job (202), followed at its URL until it ends, with the
    progress seen on the way;
  * checks the result (speeches in the database, objects under audio/{level}/, no uploads
    left) and prints the timings;
  * the floor, in the same run: a plain boto3 upload of the same files to the same server
    (put_object, IMPORT_STORAGE_CONCURRENCY threads), what step 1 cannot beat.

Rate limits are off and the cache is local memory, so the numbers are the application,
PostgreSQL and the S3 server (all on this machine). Run:  .venv/bin/python bench/imports.py
"""

import atexit
import csv
import io
import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import harness
import requests

DATABASE_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/englishapp_bench_imports")
FILES = int(os.environ.get("BENCH_FILES", "10000"))
BATCH = int(os.environ.get("BENCH_BATCH", "500"))
WORKERS = os.environ.get("BENCH_GUNICORN_WORKERS", "2")
BROKER_URL = os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/3")
WORKER_CONCURRENCY = os.environ.get("BENCH_WORKER_CONCURRENCY", "2")
BUCKET = "bench-imports"
LEVELS = ["A1", "A2", "B1", "B2", "C1"]


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

    harness.prepare_database(DATABASE_URL, fresh=True)
    s3 = start_s3_server()
    atexit.register(s3.stop)
    s3.client().create_bucket(Bucket=BUCKET)
    harness.start_django(
        DATABASE_URL=DATABASE_URL, ALLOWED_HOSTS="127.0.0.1",
        MEDIA_ROOT=harness.temp_dir("bench-imports-media-"), STATIC_ROOT=harness.temp_dir("bench-imports-static-"),
        AWS_STORAGE_BUCKET_NAME=BUCKET, AWS_S3_ENDPOINT_URL=s3.endpoint_url, AWS_ACCESS_KEY_ID=s3.access_key,
        AWS_SECRET_ACCESS_KEY=s3.secret_key, AWS_S3_REGION_NAME=s3.region, CELERY_BROKER_URL=BROKER_URL,
    )
    from config.celery import app

    app.control.purge()
    worker = subprocess.Popen([str(Path(sys.executable).with_name("celery")), "-A", "config", "worker",
                               f"--concurrency={WORKER_CONCURRENCY}", "--loglevel=WARNING"],
                              cwd=harness.ROOT, start_new_session=True)
    atexit.register(lambda: os.killpg(worker.pid, signal.SIGTERM))
    from content.models import Speech, Tag

    headers = {"Authorization": harness.bearer(harness.new_user("editor", is_staff=True))}
    with harness.gunicorn("--workers", WORKERS, "--timeout", "900", "--log-level", "warning") as base:
        names = [f"clip_{n:05}.wav" for n in range(FILES)]
        clips = [harness.wav_clip(n) for n in range(FILES)]
        session_id = None
        batch_times = []
        started = time.perf_counter()
        for start in range(0, FILES, BATCH):
            files = [("files", (name, clip, "audio/wav"))
                     for name, clip in zip(names[start:start + BATCH], clips[start:start + BATCH], strict=True)]
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
        answered_seconds = time.perf_counter() - t0
        real.raise_for_status()
        assert real.status_code == 202, real.status_code
        progress_seen = set()
        while (job := requests.get(real.headers["Location"], headers=headers, timeout=60).json())["state"] not in (
                "succeeded", "failed"):
            progress_seen.add(job["progress"]["done"])
            time.sleep(0.2)
        import_seconds = time.perf_counter() - t0
        assert job["state"] == "succeeded", job

        client = s3.client()
        keys = [item["Key"] for page in client.get_paginator("list_objects_v2").paginate(Bucket=BUCKET)
                for item in page.get("Contents", [])]
        uploads_left = sum(key.startswith("audio/uploads/") for key in keys)
        moved = sum(not key.startswith("audio/uploads/") for key in keys)
        speeches = Speech.objects.count()
        imported = job["result"]["speeches_created"]
        assert imported == FILES == speeches == moved, (imported, speeches, moved)
        assert uploads_left == 0, uploads_left

        batches = harness.latency(batch_times)
        concurrency = os.environ.get("IMPORT_STORAGE_CONCURRENCY", "16")
        print(f"Import benchmark: {FILES} WAV files (~{len(clips[0])} B each), PostgreSQL + SeaweedFS S3, "
              f"gunicorn x{WORKERS}, IMPORT_STORAGE_CONCURRENCY={concurrency}")
        print(f"  step 1 upload: {upload_seconds:6.1f} s in {batches.n} requests of {BATCH} "
              f"({FILES / upload_seconds:6.0f} files/s; request p50 {batches.p50 / 1000:.2f} s, "
              f"max {batches.max / 1000:.2f} s)")
        print(f"  step 2 dry run: {dry_seconds:6.2f} s ({FILES} rows checked)")
        print(f"  step 2 import job: answered 202 in {answered_seconds:.2f} s, done in {import_seconds:6.1f} s "
              f"({FILES / import_seconds:6.0f} speeches/s; {len(progress_seen)} distinct progress values seen; "
              f"{Tag.objects.count()} tags, {moved} objects moved, {uploads_left} uploads left)")
        total = upload_seconds + dry_seconds + import_seconds
        print(f"  total: {total:6.1f} s")

        floor_client = floor_s3_client(s3)
        t0 = time.perf_counter()
        with ThreadPoolExecutor(max_workers=int(concurrency)) as pool:
            list(pool.map(lambda item: floor_client.put_object(Bucket=BUCKET, Key=f"floor/{item[0]}", Body=item[1]),
                          zip(names, clips, strict=True)))
        floor_seconds = time.perf_counter() - t0
        print(f"  floor, plain boto3 put_object of the same {FILES} files ({concurrency} threads): "
              f"{floor_seconds:6.1f} s ({FILES / floor_seconds:6.0f} files/s); end to end = "
              f"{total / floor_seconds:.1f} x the floor")


def floor_s3_client(s3):
    """A plain boto3 client for the floor, with a connection per thread."""
    import boto3
    from botocore.config import Config

    return boto3.client("s3", endpoint_url=s3.endpoint_url, aws_access_key_id=s3.access_key,
                        aws_secret_access_key=s3.secret_key, region_name=s3.region,
                        config=Config(signature_version="s3v4", s3={"addressing_style": "path"},
                                      max_pool_connections=64))


if __name__ == "__main__":
    main()
