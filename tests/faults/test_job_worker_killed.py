"""A Celery worker process SIGKILLed in the middle of an import job: the job runs again and nothing is half-written.

A real worker (prefork, one child) runs in a process of its own on the test database, the
configured broker and the test's storage. The test starts an import job through the API,
waits until the child has copied some files, kills the child, and lets the worker's parent
put the task back (acks_late, reject_on_worker_lost); a new child runs the job again, which
first deletes the copies the killed attempt left. Afterwards every speech has its file and
no file lacks its speech.
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings

from content.models import Speech
from jobs.models import Job
from tests.faults.gunicorn_server import database_url
from tests.faults.import_helpers import FILES, level_copies, session_of_many_files, storage_env
from tests.imports.helpers import csv_file, unreferenced_audio

KILL_AFTER = 50


def _children(pid: int) -> list[int]:
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            children.append(int(stat.parent.name))
    return children


@pytest.fixture
def worker_process(postgres, transactional_db, tmp_path):
    env = {"PATH": os.environ.get("PATH", ""), "HOME": os.environ.get("HOME", "/tmp"), "TMPDIR": str(tmp_path),
           "DJANGO_SETTINGS_MODULE": "config.settings", "DEBUG": "0", "SECRET_KEY": settings.SECRET_KEY,
           "ALLOWED_HOSTS": "127.0.0.1", "DATABASE_URL": database_url(), "REDIS_URL": "",
           # The broker the test process sends to (a folder needs its path too).
           "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
           **{name: os.environ[name] for name in ["CELERY_BROKER_DIR"] if name in os.environ}, **storage_env()}
    from config.celery import app

    app.control.purge()
    log = open(tmp_path / "worker.log", "wb")
    process = subprocess.Popen(
        [str(Path(sys.executable).with_name("celery")), "-A", "config", "worker", "--pool=prefork", "--concurrency=1",
         "--loglevel=INFO", "--without-gossip", "--without-mingle"],
        cwd=settings.BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        yield process
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
        log.close()


def _job_state(job_id: str) -> Job:
    return Job.objects.get(pk=job_id)


def test_an_import_job_whose_worker_dies_runs_again_and_leaves_nothing_half_written(
        worker_process, staff_client, staff_user, settings):
    settings.IMPORT_SYNC_MAX_ROWS = 10
    settings.RATE_LIMIT_ENABLED = False
    session, csv_data = session_of_many_files(staff_user)

    response = staff_client.post("/api/v1/admin/import/csv",
                                 {"file": csv_file(csv_data), "upload_session_id": str(session.id)},
                                 format="multipart")
    assert response.status_code == 202, response.content
    job_id = response.json()["id"]

    deadline = time.monotonic() + 60
    while len(level_copies()) < KILL_AFTER:
        assert time.monotonic() < deadline, "the worker made no copies"
        time.sleep(0.01)
    children = _children(worker_process.pid)
    assert len(children) == 1, children
    os.kill(children[0], signal.SIGKILL)

    deadline = time.monotonic() + 120
    while not (job := _job_state(job_id)).is_finished:
        assert time.monotonic() < deadline, f"the job did not finish: {job}"
        time.sleep(0.1)

    assert job.state == Job.State.SUCCEEDED, (job.error_code, job.error_detail)
    assert job.attempts == 2
    assert job.result["speeches_created"] == FILES == Speech.objects.count()
    assert unreferenced_audio() == set()
    assert len(level_copies()) == FILES
