"""A real gunicorn worker SIGKILLed while an import copies its audio leaves nothing behind.

The test process makes an upload session of many small WAVs; gunicorn (config.wsgi, started
as the image starts it) serves the CSV import against the same test database and storage;
the test watches the storage until the worker's copies appear and kills the worker. Nothing
of the worker runs after that, so whatever is tidy afterwards is tidy by design: no speech,
the session still open, the copies only in the session's batch folders, and then, after a
retry through the server or after `cleanup_uploads`, nothing under audio/ that no speech
points at. On local storage and on the S3 server.

A second process needs a database it can reach: PostgreSQL. CI runs with DATABASE_URL and
REQUIRE_SERVICES=1, where a missing PostgreSQL fails the run instead of skipping this.
"""

import io
import os
import signal
import threading
import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
import requests
from django.core.management import call_command
from django.utils import timezone

from content.models import Level, Speech
from imports.models import UploadSession
from tests.accounts.factories import StaffUserFactory
from tests.conftest import bearer
from tests.faults.gunicorn_server import GunicornServer, database_url, start_gunicorn
from tests.faults.import_helpers import FILES, level_copies, session_of_many_files, storage_env
from tests.imports.helpers import CSV_URL, stored_keys, unreferenced_audio

# Copies seen before the kill: well into the copying, far from its end.
KILL_AFTER = 50


@pytest.fixture
def gunicorn(postgres, any_storage, tmp_path) -> Iterator[GunicornServer]:
    """gunicorn with one worker, on the test database and the test's storage (local, or the S3 server)."""
    # The request itself imports (no job), so killing the web worker interrupts the copying.
    server = start_gunicorn(tmp_path, DATABASE_URL=database_url(), IMPORT_SYNC_MAX_ROWS=str(FILES), **storage_env())
    try:
        yield server
    finally:
        server.stop()


def _post_import(server: GunicornServer, authorization: str, session: UploadSession,
                 csv_data: bytes) -> requests.Response:
    return requests.post(f"{server.base_url}{CSV_URL}", headers={"Authorization": authorization},
                         data={"upload_session_id": str(session.id)},
                         files={"file": ("speeches.csv", csv_data, "text/csv")}, timeout=120)


def _kill_while_copying(server: GunicornServer, authorization: str, session: UploadSession, csv_data: bytes) -> None:
    worker = server.wait_ready(workers=1)
    answers: list[object] = []

    def send() -> None:  # no database work here: a thread's connection would outlive the test
        try:
            answers.append(_post_import(server, authorization, session, csv_data))
        except requests.RequestException as exc:
            answers.append(exc)

    thread = threading.Thread(target=send, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while len(level_copies()) < KILL_AFTER:
        assert time.monotonic() < deadline and thread.is_alive(), f"no copies appeared; the import answered {answers}"
        time.sleep(0.01)
    os.kill(worker, signal.SIGKILL)
    thread.join(timeout=30)
    assert answers and isinstance(answers[0], requests.ConnectionError), (
        f"the import was not interrupted ({answers}): it needs more files to copy")
    # A copy the storage was still doing when the worker died may land a moment later.
    seen: set[str] = set()
    while (now := level_copies()) != seen:
        seen = now
        time.sleep(0.5)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("then", ["retry", "cleanup"])
def test_a_worker_killed_while_an_import_copies_leaves_nothing_behind(gunicorn, then):
    staff = StaffUserFactory()
    authorization = bearer(staff)["HTTP_AUTHORIZATION"]
    session, csv_data = session_of_many_files(staff)
    originals = stored_keys(session.storage_prefix)
    batch_folders = tuple(f"audio/{level}/{session.id.hex}/" for level in Level.values)

    _kill_while_copying(gunicorn, authorization, session, csv_data)

    left = level_copies()
    assert not Speech.objects.exists()
    session.refresh_from_db()
    assert session.state == UploadSession.State.OPEN
    assert stored_keys(session.storage_prefix) == originals
    assert KILL_AFTER <= len(left) < FILES
    assert all(key.startswith(batch_folders) for key in left), sorted(left)[:5]

    if then == "retry":
        gunicorn.wait_ready(workers=2)  # the master replaced the killed worker
        retry = _post_import(gunicorn, authorization, session, csv_data)
        assert retry.status_code == 200, retry.content
        assert Speech.objects.count() == FILES
        assert unreferenced_audio() == set()
        assert stored_keys("audio/") == set(Speech.objects.values_list("audio", flat=True))  # originals gone too
    else:
        UploadSession.objects.filter(pk=session.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
        out = io.StringIO()
        call_command("cleanup_uploads", stdout=out)
        assert f"Removed 1 expired upload session(s) and {len(originals) + len(left)} stored object(s)." in (
            out.getvalue())
        assert stored_keys("audio/") == set()
        assert not UploadSession.objects.exists()
