"""The "Import audio + CSV" wizard in Django Admin, driven like an editor would."""

import re
import time
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.contrib.staticfiles import finders
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditLog
from content.models import Speech, Tag
from core import storage
from imports.models import UploadSession
from jobs.models import Job
from tests.imports.helpers import csv_bytes, csv_file, stored_keys, wav_file

pytestmark = pytest.mark.django_db

WIZARD = reverse("admin:imports_uploadsession_wizard")


def csv_step(session_id) -> str:
    return reverse("admin:imports_uploadsession_csv", args=[session_id])


def confirm_step(session_id) -> str:
    return reverse("admin:imports_uploadsession_confirm", args=[session_id])


def batch_url() -> str:
    """Where the step-1 script posts its batches: the wizard's own URL, marked as a batch."""
    return f"{WIZARD}?batch=1"


def send_batch(client, files, session_id=None, **extra):
    data = {"files": files}
    if session_id:
        data["session"] = str(session_id)
    return client.post(batch_url(), data, HTTP_ACCEPT="application/json", **extra)


@pytest.fixture
def editor(client, staff_user):
    """A staff member allowed to add and change speeches in the admin."""
    staff_user.user_permissions.add(*Permission.objects.filter(
        content_type__app_label="content", codename__in=["add_speech", "change_speech", "view_speech"]))
    client.force_login(staff_user)
    return client


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def follow_job(client, url: str, timeout: float = 30) -> str:
    """The job page until the import has ended (the page's script polls its JSON): then its report."""
    deadline = time.monotonic() + timeout
    while True:
        status = client.get(url, {"format": "json"}).json()
        if status["state"] in ("succeeded", "failed"):
            return client.get(url).content.decode()
        assert time.monotonic() < deadline, status
        time.sleep(0.05)


def test_whole_wizard_upload_check_preview_confirm(editor, staff_user, any_storage, celery_worker):
    page = editor.get(WIZARD)
    assert page.status_code == 200
    assert b'type="file" name="files"' in page.content and b"multiple" in page.content

    uploaded = editor.post(WIZARD, {"files": [wav_file("a.wav"), wav_file("b.wav"), wav_file("a.wav")]})

    session = UploadSession.objects.get()
    assert uploaded.status_code == 302 and uploaded["Location"] == csv_step(session.id)
    assert sorted(session.files.values_list("stored_name", flat=True)) == ["a.wav", "a_1.wav", "b.wav"]

    step2 = editor.get(csv_step(session.id))
    assert step2.status_code == 200
    assert b"a_1.wav" in step2.content

    data = csv_bytes([
        {"audio_filename": "a.wav", "text": "Good morning", "level": "A1", "type": "question", "tags": "Greetings"},
        {"audio_filename": "a_1.wav", "text": "Good night", "level": "A2", "tags": "Greetings,Evening"},
    ])
    preview = editor.post(csv_step(session.id), {"file": csv_file(data)})

    assert preview.status_code == 200
    assert b"Confirm import" in preview.content
    assert b"Good night" in preview.content and b"Evening" in preview.content
    assert not Speech.objects.exists() and not Tag.objects.exists()

    confirmed = editor.post(confirm_step(session.id))

    assert confirmed.status_code == 302
    report = follow_job(editor, confirmed["Location"])
    outcome = report[report.index('id="import-job"'):report.index("</div>", report.index('id="import-job"'))]
    assert "Import finished" in outcome, outcome
    assert re.search(r"Created <strong>2</strong> speeches\s+and 2 new\s+tags: Greetings, Evening", outcome), outcome
    assert sorted(Speech.objects.values_list("text", "level")) == [("Good morning", "A1"), ("Good night", "A2")]
    assert sorted(Tag.objects.values_list("name", flat=True)) == ["Evening", "Greetings"]
    session.refresh_from_db()
    assert session.state == "imported"
    assert stored_keys("audio/uploads/") == set()
    assert AuditLog.objects.get(action="import.csv_imported").changes["source"] == "admin"


def test_invalid_rows_are_listed_with_their_row_numbers_and_nothing_is_staged(editor):
    editor.post(WIZARD, {"files": [wav_file("a.wav")]})
    session = UploadSession.objects.get()
    data = csv_bytes([
        {"audio_filename": "a.wav", "text": "Fine", "level": "A1"},
        {"audio_filename": "nope.wav", "text": "Missing", "level": "Q9"},
    ])

    report = editor.post(csv_step(session.id), {"file": csv_file(data)})

    assert report.status_code == 200
    html = report.content.decode()
    assert "2 problems found; nothing was imported" in html
    assert "<td>3</td><td>Audio file &#x27;nope.wav&#x27; not found in upload session</td>" in html
    assert "Invalid level &#x27;Q9&#x27;" in html
    session.refresh_from_db()
    assert session.pending_csv == ""

    confirm = editor.post(confirm_step(session.id))
    assert confirm.status_code == 302
    assert any("no checked CSV" in message for message in messages_of(confirm))
    assert not Speech.objects.exists()


def test_unreadable_csv_is_a_message_not_an_error_page(editor):
    editor.post(WIZARD, {"files": [wav_file("a.wav")]})
    session = UploadSession.objects.get()

    page = editor.post(csv_step(session.id), {"file": csv_file(b"\xff\xfe\x00garbage")})

    assert page.status_code == 200
    assert any("not UTF-8" in message for message in messages_of(page))


def test_plain_form_keeps_the_good_files_and_lists_the_refused_ones(editor, any_storage):
    page = editor.post(WIZARD, {"files": [wav_file("ok.wav"), SimpleUploadedFile("notes.mp3", b"hello")]})

    assert page.status_code == 200
    html = page.content.decode()
    assert "1 file refused" in html and "<td>notes.mp3</td>" in html
    session = UploadSession.objects.get()
    assert list(session.files.values_list("stored_name", flat=True)) == ["ok.wav"]
    assert stored_keys("audio/uploads/") == {f"{session.storage_prefix}ok.wav"}
    assert any("1 audio file(s) uploaded; 1 refused" in message for message in messages_of(page))
    # The page is now for that session: the corrected file joins the good one.
    assert f'name="session" value="{session.id}"' in html

    again = editor.post(WIZARD, {"files": [wav_file("notes.wav")], "session": str(session.id)})

    assert again.status_code == 302 and again["Location"] == csv_step(session.id)
    assert sorted(session.files.values_list("stored_name", flat=True)) == ["notes.wav", "ok.wav"]


def test_plain_form_with_only_refused_files_uploads_nothing(editor):
    page = editor.post(WIZARD, {"files": [SimpleUploadedFile("notes.mp3", b"hello")]})

    assert page.status_code == 200
    assert "notes.mp3" in page.content.decode()
    assert any(message.startswith("Nothing was uploaded") for message in messages_of(page))
    assert not UploadSession.objects.exists()
    assert stored_keys() == set()


def test_more_files_can_be_added_to_the_session(editor):
    editor.post(WIZARD, {"files": [wav_file("a.wav")]})
    session = UploadSession.objects.get()

    added = editor.post(f"{WIZARD}?session={session.id}", {"files": [wav_file("a.wav")], "session": str(session.id)})

    assert added.status_code == 302
    assert sorted(session.files.values_list("stored_name", flat=True)) == ["a.wav", "a_1.wav"]


def test_expired_session_sends_the_editor_back_to_step_one(editor):
    editor.post(WIZARD, {"files": [wav_file("a.wav")]})
    session = UploadSession.objects.get()
    UploadSession.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

    page = editor.get(csv_step(session.id))

    assert page.status_code == 302 and page["Location"] == WIZARD
    assert "Upload session not found or expired." in messages_of(page)


def test_a_second_confirm_does_not_import_twice(editor, celery_worker):
    editor.post(WIZARD, {"files": [wav_file("a.wav")]})
    session = UploadSession.objects.get()
    editor.post(csv_step(session.id), {"file": csv_file(csv_bytes([{"audio_filename": "a.wav", "text": "Hi",
                                                                      "level": "B1"}]))})
    follow_job(editor, editor.post(confirm_step(session.id))["Location"])

    again = editor.post(confirm_step(session.id))

    assert again.status_code == 302
    assert Speech.objects.count() == 1
    assert any("already been imported" in message for message in messages_of(again))


def test_confirm_while_the_import_is_queued_is_refused(editor):
    editor.post(WIZARD, {"files": [wav_file("a.wav")]})
    session = UploadSession.objects.get()
    editor.post(csv_step(session.id), {"file": csv_file(csv_bytes([{"audio_filename": "a.wav", "text": "Hi",
                                                                      "level": "B1"}]))})
    first = editor.post(confirm_step(session.id))  # no worker here: the job waits in the queue

    again = editor.post(confirm_step(session.id))

    assert first["Location"].startswith("/admin/imports/uploadsession/import/job/")
    assert "Waiting for a worker" in editor.get(first["Location"]).content.decode()
    assert again.status_code == 302
    assert any("being imported already" in message for message in messages_of(again))
    assert Job.objects.count() == 1


def test_the_job_page_shows_progress_and_its_script_without_inline_code(editor, staff_user):
    job = Job.objects.create(kind="import_csv", state=Job.State.RUNNING, total=200, done=50, started_by=staff_user,
                             params={"session_id": "00000000-0000-0000-0000-000000000000"})
    url = reverse("admin:imports_uploadsession_job", args=[job.id])

    page = editor.get(url).content.decode()
    status = editor.get(url, {"format": "json"}).json()

    assert '<progress id="import-job-bar" max="200" value="50"' in page and "25%" in page
    assert "imports/job_progress.js" in page and "onclick" not in page
    assert finders.find("imports/job_progress.js")
    assert status["progress"] == {"done": 50, "total": 200} and status["state"] == "running"


def test_a_failed_import_job_reports_why_on_its_page(editor, staff_user):
    job = Job.objects.create(kind="import_csv", state=Job.State.FAILED, total=2, started_by=staff_user,
                             error_code="storage_unavailable", error_detail="The storage is unavailable.",
                             params={"session_id": "00000000-0000-0000-0000-000000000000"})

    page = editor.get(reverse("admin:imports_uploadsession_job", args=[job.id])).content.decode()

    assert "Nothing was imported" in page and "The storage is unavailable." in page


def test_learners_cannot_reach_the_wizard(client, user):
    client.force_login(user)

    response = client.get(WIZARD)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_staff_without_the_right_to_add_speeches_cannot_import(client, staff_user):
    client.force_login(staff_user)

    assert client.get(WIZARD).status_code == 403
    assert client.post(WIZARD, {"files": [wav_file("a.wav")]}).status_code == 403
    assert client.get(reverse("admin:imports_uploadsession_changelist")).status_code == 403
    assert not UploadSession.objects.exists()


def test_speech_list_links_to_the_wizard(editor):
    page = editor.get(reverse("admin:content_speech_changelist"))

    assert page.status_code == 200
    assert f'<a href="{WIZARD}" class="addlink">Import audio + CSV</a>' in page.content.decode()


def test_sessions_and_files_are_listed_read_only(editor):
    editor.post(WIZARD, {"files": [wav_file("listed.wav")]})
    session = UploadSession.objects.get()

    sessions = editor.get(reverse("admin:imports_uploadsession_changelist"))
    files = editor.get(reverse("admin:imports_uploadedfile_changelist"))
    detail = editor.get(reverse("admin:imports_uploadsession_change", args=[session.id]))

    assert sessions.status_code == 200 and str(session.id) in sessions.content.decode()
    assert b"Import audio + CSV" in sessions.content
    assert files.status_code == 200 and b"listed.wav" in files.content
    assert detail.status_code == 200 and b"listed.wav" in detail.content
    assert editor.get(reverse("admin:imports_uploadsession_add")).status_code == 403
    assert editor.post(reverse("admin:imports_uploadsession_delete", args=[session.id])).status_code == 403


# --- Step 1 with JavaScript: the page sends the selection in batches ------------------------------


def test_step_one_loads_the_batch_script_from_our_static_files_and_nothing_inline(editor):
    page = editor.get(WIZARD)

    html = page.content.decode()
    assert '<script src="/static/imports/upload_batches.js" defer></script>' in html
    assert finders.find("imports/upload_batches.js")
    # The CSP allows scripts from 'self' only: no inline script and no inline handler on the page.
    assert "script-src 'self'" in page["Content-Security-Policy"]
    assert not re.search(r"<script(?![^>]*\bsrc=)", html)
    assert not re.search(r"\son[a-z]+=", html)
    assert f'data-url="{batch_url()}"' in html.replace("&amp;", "&")
    assert 'id="batch-folder" webkitdirectory multiple' in html
    assert 'id="batch-overall"' in html and 'id="batch-current"' in html


def test_batches_go_into_the_session_of_the_first_and_answer_json(editor):
    first = send_batch(editor, [wav_file("a.wav"), wav_file("b.wav")])

    assert first.status_code == 200 and first["Content-Type"] == "application/json"
    body = first.json()
    session = UploadSession.objects.get()
    assert body["session_id"] == str(session.id)
    assert body["next_url"] == csv_step(session.id)
    assert [item["stored_name"] for item in body["accepted"]] == ["a.wav", "b.wav"]
    assert body["refused"] == []

    second = send_batch(editor, [wav_file("a.wav"), wav_file("c.wav")], session_id=session.id)

    assert second.status_code == 200
    assert second.json()["session_id"] == str(session.id)
    assert [(item["filename"], item["stored_name"]) for item in second.json()["accepted"]] == [
        ("a.wav", "a_1.wav"), ("c.wav", "c.wav")]
    assert UploadSession.objects.count() == 1
    assert sorted(session.files.values_list("stored_name", flat=True)) == ["a.wav", "a_1.wav", "b.wav", "c.wav"]


def test_a_batch_keeps_its_good_files_and_lists_the_refused_ones(editor, settings, any_storage):
    settings.MAX_UPLOAD_BYTES = 2000
    files = [wav_file("good.wav"), SimpleUploadedFile("notes.mp3", b"hello"), wav_file("long.wav", frames=4000),
             wav_file("also-good.wav")]

    answer = send_batch(editor, files)

    assert answer.status_code == 200
    body = answer.json()
    assert [item["filename"] for item in body["accepted"]] == ["good.wav", "also-good.wav"]
    assert [item["filename"] for item in body["refused"]] == ["notes.mp3", "long.wav"]
    assert all(item["error"] for item in body["refused"])
    assert "limit is 2000 bytes" in body["refused"][1]["error"]
    session = UploadSession.objects.get()
    assert sorted(session.files.values_list("stored_name", flat=True)) == ["also-good.wav", "good.wav"]
    assert stored_keys("audio/uploads/") == {f"{session.storage_prefix}good.wav",
                                             f"{session.storage_prefix}also-good.wav"}
    assert AuditLog.objects.get(action="import.audio_uploaded").changes["refused"] == 2


def test_a_batch_of_refused_files_only_opens_no_session(editor):
    answer = send_batch(editor, [SimpleUploadedFile("notes.mp3", b"hello")])

    assert answer.status_code == 200
    assert answer.json() == {"session_id": None, "next_url": None, "accepted": [],
                             "refused": [{"filename": "notes.mp3", "error": answer.json()["refused"][0]["error"]}]}
    assert not UploadSession.objects.exists()
    assert stored_keys() == set()


def test_a_batch_for_an_expired_or_imported_session_is_the_error_shape_and_keeps_nothing(editor):
    send_batch(editor, [wav_file("a.wav")])
    session = UploadSession.objects.get()
    UploadSession.objects.update(state=UploadSession.State.IMPORTED)

    closed = send_batch(editor, [wav_file("b.wav")], session_id=session.id)

    assert closed.status_code == 409 and closed.json()["code"] == "upload_session_imported"
    UploadSession.objects.update(state=UploadSession.State.OPEN, expires_at=timezone.now() - timedelta(seconds=1))

    expired = send_batch(editor, [wav_file("b.wav")], session_id=session.id)

    assert expired.status_code == 404 and expired.json()["code"] == "upload_session_not_found"
    assert list(session.files.values_list("stored_name", flat=True)) == ["a.wav"]
    assert stored_keys("audio/uploads/") == {f"{session.storage_prefix}a.wav"}


def test_a_batch_without_files_is_400_and_only_post_is_allowed(editor):
    empty = editor.post(batch_url(), {}, HTTP_ACCEPT="application/json")
    fetched = editor.get(batch_url())

    assert empty.status_code == 400 and empty.json()["code"] == "no_files"
    assert fetched.status_code == 405 and fetched.json()["code"] == "method_not_allowed"
    assert not UploadSession.objects.exists()


def test_a_storage_failure_keeps_nothing_of_the_batch(editor, monkeypatch):
    def broken(*args, **kwargs):
        raise storage.StorageUnavailable()

    monkeypatch.setattr(storage, "put_many", broken)

    answer = send_batch(editor, [wav_file("a.wav")])

    assert answer.status_code == 503 and answer.json()["code"] == "storage_unavailable"
    assert not UploadSession.objects.exists()


def test_only_importers_get_a_batch_answer(client, editor, user, staff_user, django_user_model):
    assert send_batch(editor, [wav_file("a.wav")]).status_code == 200

    outsiders = {"anonymous": Client(), "learner": Client(), "staff without the right to add speeches": Client()}
    outsiders["learner"].force_login(user)
    outsiders["staff without the right to add speeches"].force_login(
        django_user_model.objects.create_user("helper@example.com", name="Helper", is_staff=True))
    answers = {who: send_batch(other, [wav_file("b.wav")]) for who, other in outsiders.items()}

    assert answers["anonymous"].status_code == 302
    assert answers["anonymous"]["Location"].startswith(reverse("admin:login"))
    assert answers["learner"].status_code == 302
    assert answers["staff without the right to add speeches"].status_code == 403
    assert list(UploadSession.objects.get().files.values_list("stored_name", flat=True)) == ["a.wav"]


def test_a_batch_needs_the_csrf_token_in_its_header(staff_user):
    staff_user.user_permissions.add(*Permission.objects.filter(content_type__app_label="content",
                                                               codename="add_speech"))
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(staff_user)
    token = browser.get(WIZARD).cookies["csrftoken"].value

    forged = send_batch(browser, [wav_file("a.wav")])
    assert forged.status_code == 403
    assert not UploadSession.objects.exists()

    sent = send_batch(browser, [wav_file("a.wav")], HTTP_X_CSRFTOKEN=token)
    assert sent.status_code == 200
    assert sent.json()["accepted"][0]["stored_name"] == "a.wav"
