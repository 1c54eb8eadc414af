"""`manage.py import_csv --async`: the files are uploaded by the command, the speeches made by a worker."""

import io
import time

from django.core.management import call_command

from content.models import Speech
from jobs.models import Job
from tests.accounts.factories import StaffUserFactory
from tests.imports.helpers import csv_bytes, wav_bytes


def test_the_command_queues_a_job_that_a_worker_finishes(celery_worker, tmp_path):
    StaffUserFactory(email="editor@example.com")
    folder = tmp_path / "clips"
    folder.mkdir()
    for n in range(3):
        (folder / f"clip_{n}.wav").write_bytes(wav_bytes(tone=300 + n))
    csv_path = tmp_path / "speeches.csv"
    csv_path.write_bytes(csv_bytes([{"audio_filename": f"clip_{n}.wav", "text": f"Line {n}", "level": "A2"}
                                    for n in range(3)]))
    out = io.StringIO()

    call_command("import_csv", "--audio-dir", str(folder), "--csv", str(csv_path), "--user", "editor@example.com",
                 "--async", stdout=out, stderr=io.StringIO())

    job = Job.objects.get()
    assert f"Queued import job {job.id} for 3 row(s)" in out.getvalue()
    deadline = time.monotonic() + 30
    while not job.is_finished and time.monotonic() < deadline:
        time.sleep(0.05)
        job.refresh_from_db()
    assert job.state == Job.State.SUCCEEDED, (job.error_code, job.error_detail)
    assert sorted(Speech.objects.values_list("text", flat=True)) == ["Line 0", "Line 1", "Line 2"]
    assert job.started_by.email == "editor@example.com"
