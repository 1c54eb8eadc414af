"""A frozen S3 server costs readiness and an import seconds, not the half-minute it once did.

The test runs an S3 server of its own (never the suite's) and SIGSTOPs it: connections are
accepted by the kernel and never answered, the worst case for a client.
"""

import os
import signal
import time
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from content.models import Speech
from core.storage import s3_storage_options
from imports.services import upload_audio_files
from tests.imports.helpers import CSV_URL, csv_bytes, csv_file, wav_bytes
from tests.s3server import start_s3_server

pytestmark = pytest.mark.django_db

ROWS = 50


@pytest.fixture
def own_s3(settings):
    server = start_s3_server()
    bucket = f"frozen-{uuid.uuid4().hex[:12]}"
    server.client().create_bucket(Bucket=bucket)
    settings.AWS_STORAGE_BUCKET_NAME = bucket
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": s3_storage_options(bucket=bucket, endpoint_url=server.endpoint_url,
                                      access_key=server.access_key, secret_key=server.secret_key,
                                      region=server.region, timeout=1.0),
    }}
    yield server
    os.killpg(server.process.pid, signal.SIGCONT)
    server.stop()


def _freeze(server) -> None:
    os.killpg(server.process.pid, signal.SIGSTOP)


def test_readiness_with_s3_frozen_is_a_503_within_seconds(own_s3, client):
    assert client.get("/health/ready").status_code == 200
    _freeze(own_s3)

    started = time.monotonic()
    response = client.get("/health/ready")
    waited = time.monotonic() - started

    assert response.status_code == 503
    assert response.json()["checks"]["storage"] == "unavailable"
    assert waited < 6, f"readiness waited {waited:.1f} s on a frozen S3"  # one 2 s probe, once


def test_an_import_with_s3_frozen_is_a_503_within_seconds_and_creates_nothing(own_s3, staff_client, staff_user):
    files = [SimpleUploadedFile(f"clip_{n}.wav", wav_bytes(frames=8, tone=300 + n), content_type="audio/wav")
             for n in range(ROWS)]
    session = upload_audio_files(actor=staff_user, files=files).session
    rows = [{"audio_filename": f"clip_{n}.wav", "text": f"Sentence {n}.", "level": "A1", "type": "question",
             "tags": "Food"} for n in range(ROWS)]
    _freeze(own_s3)

    started = time.monotonic()
    response = staff_client.post(CSV_URL, {"file": csv_file(csv_bytes(rows)), "upload_session_id": str(session.id)},
                                 format="multipart")
    waited = time.monotonic() - started

    assert response.status_code == 503
    assert response.json()["code"] == "storage_unavailable"
    assert not Speech.objects.exists()
    # 1 s per wait, one retry, then the undo of what was copied: seconds, where it once took a minute.
    assert waited < 15, f"the import waited {waited:.1f} s on a frozen S3"
