"""CSV imports above IMPORT_SYNC_MAX_ROWS run as jobs on a real Celery worker; smaller ones answer at once."""

import time

import pytest
from django.core.files.storage import default_storage

from content.models import Speech
from jobs.models import Job
from tests.imports.helpers import csv_bytes, import_csv, upload, wav_file

JOB_URL = "/api/v1/admin/import/jobs/{}"


def _session_with(client, count: int) -> str:
    response = upload(client, [wav_file(f"clip_{n}.wav", tone=300 + n) for n in range(count)])
    assert response.status_code == 200, response.content
    return response.json()["upload_session_id"]


def _rows(count: int) -> bytes:
    return csv_bytes([{"audio_filename": f"clip_{n}.wav", "text": f"Sentence {n}.", "level": "A1",
                       "type": "question", "tags": "Food"} for n in range(count)])


def _wait_until_finished(client, url: str, timeout: float = 30) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body = client.get(url).json()
        if body["state"] in ("succeeded", "failed"):
            return body
        time.sleep(0.05)
    raise AssertionError(f"the job did not finish: {body}")


@pytest.fixture
def small_sync_limit(settings):
    settings.IMPORT_SYNC_MAX_ROWS = 3
    settings.RATE_LIMIT_ENABLED = False


def test_a_small_import_still_answers_at_once(celery_worker, staff_client, small_sync_limit):
    session = _session_with(staff_client, 3)

    response = import_csv(staff_client, session, _rows(3))

    assert response.status_code == 200
    assert response.json()["success_count"] == 3
    assert not Job.objects.exists()


def test_a_large_import_is_a_job_that_a_worker_runs_to_the_end(celery_worker, staff_client, staff_user,
                                                                small_sync_limit):
    session = _session_with(staff_client, 4)

    response = import_csv(staff_client, session, _rows(4))

    assert response.status_code == 202
    job = response.json()
    assert job["kind"] == "import_csv" and job["state"] == "queued"
    assert job["progress"] == {"done": 0, "total": 4}
    assert response["Location"].endswith(JOB_URL.format(job["id"]))
    finished = _wait_until_finished(staff_client, JOB_URL.format(job["id"]))
    assert finished["state"] == "succeeded", finished
    assert finished["progress"] == {"done": 4, "total": 4}
    assert finished["result"]["speeches_created"] == 4
    speeches = Speech.objects.filter(id__in=finished["result"]["speech_ids"])
    assert speeches.count() == 4
    assert all(default_storage.exists(speech.audio.name) for speech in speeches)
    assert Job.objects.get().started_by == staff_user


def test_an_invalid_large_csv_is_a_422_at_once_and_starts_no_job(celery_worker, staff_client, small_sync_limit):
    session = _session_with(staff_client, 4)
    rows = _rows(4).replace(b",A1,", b",Z9,")

    response = import_csv(staff_client, session, rows)

    assert response.status_code == 422
    assert not Job.objects.exists() and not Speech.objects.exists()


def test_a_job_whose_storage_fails_ends_failed_with_the_reason_and_creates_nothing(celery_worker, staff_client,
                                                                                   small_sync_limit):
    session = _session_with(staff_client, 4)
    default_storage.delete(f"audio/uploads/{session}/clip_2.wav")  # gone from storage behind our back

    response = import_csv(staff_client, session, _rows(4))

    finished = _wait_until_finished(staff_client, JOB_URL.format(response.json()["id"]))
    assert finished["state"] == "failed"
    assert finished["error"]["code"] == "storage_unavailable"
    assert not Speech.objects.exists()


def test_job_urls_are_for_staff_and_unknown_ids_are_404(celery_worker, staff_client, auth_client):
    assert staff_client.get(JOB_URL.format("00000000-0000-0000-0000-000000000000")).status_code == 404
    assert auth_client.get(JOB_URL.format("00000000-0000-0000-0000-000000000000")).status_code == 403


def test_the_workers_probe_names_the_running_worker(celery_worker, client, settings):
    response = client.get("/health/workers")

    if settings.CELERY_BROKER_URL.startswith("filesystem://"):  # make run's broker cannot broadcast
        assert response.json()["status"] == "unknown"
    else:
        assert response.status_code == 200
        assert response.json()["status"] == "ok" and len(response.json()["workers"]) >= 1


def test_a_running_job_shows_the_progress_it_could_only_leave_in_the_cache(staff_client, staff_user):
    from django.core.cache import cache

    job = Job.objects.create(kind="import_csv", state=Job.State.RUNNING, total=10, done=2, started_by=staff_user)
    cache.set(job.progress_cache_key, 7)  # SQLite's one writer was busy with the import itself

    body = staff_client.get(JOB_URL.format(job.id)).json()

    assert body["progress"] == {"done": 7, "total": 10}
