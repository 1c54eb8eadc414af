"""Every maintenance schedule is known to Celery beat, and each runs on a worker as a recorded job."""

import json
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from config.celery import app
from imports.models import UploadSession
from jobs.models import Job
from tests.core.fresh_django import run_django
from tests.imports.helpers import upload, wav_file

SCHEDULED = {
    "cleanup-uploads": "imports.cleanup_uploads",
    "purge-sessions": "accounts.purge_sessions",
    "purge-session-keys": "game.purge_session_keys",
    "purge-audit-log": "audit.purge_audit_log",
    "sweep-audio": "content.sweep_audio",
    "close-league-weeks": "community.close_league_weeks",
}


def test_each_schedule_names_a_registered_task():
    app.loader.import_default_modules()
    schedule = app.conf.beat_schedule

    assert {name: entry["task"] for name, entry in schedule.items()} == SCHEDULED
    assert set(SCHEDULED.values()) <= set(app.tasks)


def test_a_schedule_can_be_changed_or_turned_off_from_the_environment():
    result = run_django(
        "import json\nfrom django.conf import settings\n"
        "print(json.dumps({name: str(entry['schedule']) for name, entry in settings.CELERY_BEAT_SCHEDULE.items()}))",
        SCHEDULE_SWEEP_AUDIO="", SCHEDULE_CLEANUP_UPLOADS="*/5 * * * *", DEBUG="1")
    assert result.returncode == 0, result.stderr
    beat = json.loads(result.stdout.strip().splitlines()[-1])

    assert "sweep-audio" not in beat
    assert beat["cleanup-uploads"] == "<crontab: */5 * * * * (m/h/dM/MY/d)>"
    assert beat["purge-sessions"] == "<crontab: 23 3 * * * (m/h/dM/MY/d)>"


def _wait_for_job(kind: str, timeout: float = 30) -> Job:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = Job.objects.filter(kind=kind, state__in=Job.FINISHED).first()
        if job is not None:
            return job
        time.sleep(0.05)
    raise AssertionError(f"no finished {kind} job")


@pytest.mark.parametrize("name", sorted(SCHEDULED))
def test_each_scheduled_task_runs_on_a_worker_and_is_recorded(celery_worker, name):
    app.send_task(SCHEDULED[name])

    job = _wait_for_job(name.replace("-", "_"))

    assert job.state == Job.State.SUCCEEDED, (job.error_code, job.error_detail)
    assert job.finished_at is not None


def test_the_upload_cleanup_job_reports_what_it_removed(celery_worker, staff_client):
    session_id = upload(staff_client, [wav_file("a.wav")]).json()["upload_session_id"]
    UploadSession.objects.filter(pk=session_id).update(expires_at=timezone.now() - timedelta(minutes=1))

    app.send_task("imports.cleanup_uploads")

    job = _wait_for_job("cleanup_uploads")
    assert job.result == {"sessions_deleted": 1, "objects_deleted": 1}
    assert not UploadSession.objects.filter(pk=session_id).exists()
