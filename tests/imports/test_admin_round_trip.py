"""The admin side of issue 15: export as XLSX, an empty session for edits, the preview's counts,
the Value column of the row report, and the report as a CSV download."""

import csv
import io
import time

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from content.models import Speech
from imports.models import UploadSession
from jobs.models import Job
from tests.content.factories import SpeechFactory, TagFactory
from tests.imports.helpers import EXPORT_COLUMNS, csv_bytes, csv_file, dict_rows_as_xlsx, read_xlsx_rows, wav_file

pytestmark = pytest.mark.django_db

WIZARD = reverse("admin:imports_uploadsession_wizard")
EMPTY = reverse("admin:imports_uploadsession_empty")


def csv_step(session_id) -> str:
    return reverse("admin:imports_uploadsession_csv", args=[session_id])


@pytest.fixture
def editor(client, staff_user):
    staff_user.user_permissions.add(*Permission.objects.filter(
        content_type__app_label="content", codename__in=["add_speech", "change_speech", "view_speech"]))
    client.force_login(staff_user)
    return client


def report_rows(response) -> list[dict]:
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text, newline="")))


def follow_job(client, url: str, timeout: float = 30) -> str:
    deadline = time.monotonic() + timeout
    while client.get(url, {"format": "json"}).json()["state"] not in ("succeeded", "failed"):
        assert time.monotonic() < deadline
        time.sleep(0.05)
    return client.get(url).content.decode()


def test_the_admin_action_exports_the_selected_speeches_as_xlsx(editor):
    food = TagFactory(name="Food")
    chosen = [SpeechFactory(text="=1+1", level="B1", tags=[food]), SpeechFactory(text="Plain", level="C1")]
    SpeechFactory(text="Not selected")

    response = editor.post(reverse("admin:content_speech_changelist"), {
        "action": "export_speeches_as_xlsx", "_selected_action": [str(s.id) for s in chosen]})

    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert response["Content-Disposition"].startswith('attachment; filename="speeches-')
    assert response["Content-Disposition"].endswith('.xlsx"')
    rows = read_xlsx_rows(b"".join(response.streaming_content))
    # No quote in XLSX: a text cell shows "=1+1" as text already.
    assert [(r["id"], r["text"], r["level"], r["tags"]) for r in rows] == [
        (str(chosen[0].id), "=1+1", "B1", "Food"), (str(chosen[1].id), "Plain", "C1", "")]


def test_edits_without_audio_go_through_an_empty_session_preview_and_confirm(editor, celery_worker):
    untouched, edited = SpeechFactory(text="Untouched", level="A1"), SpeechFactory(text="Typo hree", level="A1")
    page = editor.get(WIZARD).content.decode()
    assert "Skip: my CSV only edits existing speeches" in page and f'action="{EMPTY}"' in page

    opened = editor.post(EMPTY)

    session = UploadSession.objects.get()
    assert opened.status_code == 302 and opened["Location"] == csv_step(session.id)
    assert session.files.count() == 0
    rows = [{"id": str(s.id), "audio_filename": "", "text": s.text, "level": s.level, "type": s.type, "tags": ""}
            for s in (untouched, edited)]
    rows[1]["text"] = "Typo here"
    preview = editor.post(csv_step(session.id), {"file": csv_file(dict_rows_as_xlsx(rows), "edits.xlsx")})

    html = preview.content.decode()
    assert preview.status_code == 200 and "Confirm import" in html
    assert "creates <strong>0</strong>, updates <strong>1</strong>,\nunchanged <strong>1</strong>" in html
    assert "Typo here" in html and "Untouched" not in html  # the preview lists what is written
    assert Speech.objects.get(pk=edited.id).text == "Typo hree"
    session.refresh_from_db()
    assert session.pending_format == "xlsx"

    report = follow_job(editor, editor.post(reverse("admin:imports_uploadsession_confirm", args=[session.id]))[
        "Location"])

    assert "Import finished" in report and "Updated <strong>1</strong>" in report, report
    assert Speech.objects.get(pk=edited.id).text == "Typo here" and Speech.objects.count() == 2


def test_an_empty_session_needs_a_post(editor):
    assert editor.get(EMPTY)["Location"] == WIZARD
    assert not UploadSession.objects.exists()


def test_the_row_report_shows_each_value_and_downloads_as_csv(editor):
    archived = SpeechFactory(archived_at=timezone.now())
    editor.post(WIZARD, {"files": [wav_file("a.wav")]})
    session = UploadSession.objects.get()
    data = csv_bytes([
        {"id": "", "audio_filename": "a.wav", "text": "Fine", "level": "Q9", "type": "", "tags": ""},
        {"id": str(archived.id), "audio_filename": "", "text": "=HYPERLINK(1)", "level": "A1", "type": "", "tags": ""},
    ], columns=EXPORT_COLUMNS)

    page = editor.post(csv_step(session.id), {"file": csv_file(data)})

    html = page.content.decode()
    report_url = reverse("admin:imports_uploadsession_errors", args=[session.id])
    assert "<th>Value</th>" in html and f'href="{report_url}"' in html
    assert "<td>level</td><td><code>Q9</code></td>" in html
    assert f"<td>id</td><td><code>{archived.id}</code></td>" in html

    download = editor.get(report_url)

    assert download.status_code == 200
    assert download["Content-Type"] == "text/csv; charset=utf-8"
    assert download["Content-Disposition"] == f'attachment; filename="import-errors-{session.id}.csv"'
    assert report_rows(download) == [
        {"row": "2", "column": "level", "value": "Q9",
         "error": "Invalid level 'Q9'. Must be one of: A1, A2, B1, B2, C1"},
        {"row": "3", "column": "id", "value": str(archived.id),
         "error": f"Speech '{archived.id}' not found (unknown or archived)"},
    ]
    # A valid file afterwards replaces the report with an empty one.
    editor.post(csv_step(session.id), {"file": csv_file(csv_bytes([
        {"audio_filename": "a.wav", "text": "Fine", "level": "A1"}]))})
    assert report_rows(editor.get(report_url)) == []


def test_the_report_escapes_cells_a_spreadsheet_would_run(editor):
    editor.post(WIZARD, {"files": [wav_file("a.wav")]})
    session = UploadSession.objects.get()
    editor.post(csv_step(session.id), {"file": csv_file(csv_bytes([
        {"audio_filename": "a.wav", "text": "Fine", "level": "=CMD()"}]))})

    rows = report_rows(editor.get(reverse("admin:imports_uploadsession_errors", args=[session.id])))

    assert rows[0]["value"] == "'=CMD()"


def test_a_failed_job_report_downloads_as_csv(editor, staff_user):
    errors = [{"row": 7, "error": "Invalid level 'Q9'. Must be one of: A1, A2, B1, B2, C1", "column": "level",
               "value": "Q9"}, {"row": 9, "error": "Something about the whole row"}]
    job = Job.objects.create(kind="import_csv", state=Job.State.FAILED, total=2, started_by=staff_user,
                             error_code="csv_rows_invalid", error_detail="Rows are invalid.", errors=errors,
                             params={"session_id": "00000000-0000-0000-0000-000000000000"})
    url = reverse("admin:imports_uploadsession_job_errors", args=[job.id])

    page = editor.get(reverse("admin:imports_uploadsession_job", args=[job.id])).content.decode()
    download = editor.get(url)

    assert f'href="{url}"' in page and "<td>level</td><td><code>Q9</code></td>" in page
    assert download.status_code == 200 and download["Content-Type"] == "text/csv; charset=utf-8"
    assert report_rows(download) == [
        {"row": "7", "column": "level", "value": "Q9", "error": errors[0]["error"]},
        {"row": "9", "column": "", "value": "", "error": "Something about the whole row"},
    ]


def test_reports_of_unknown_sessions_and_jobs_send_the_editor_back(editor):
    missing = "6f1d2a8e-0000-4000-8000-000000000000"

    assert editor.get(reverse("admin:imports_uploadsession_errors", args=[missing]))["Location"] == WIZARD
    assert editor.get(reverse("admin:imports_uploadsession_job_errors", args=[missing]))["Location"] == WIZARD


def test_only_importers_reach_the_new_pages(client, staff_user):
    client.force_login(staff_user)  # staff, but without the right to add speeches
    session = UploadSession.objects.create(expires_at=timezone.now() + timezone.timedelta(hours=1))

    assert client.post(EMPTY).status_code == 403
    assert client.get(reverse("admin:imports_uploadsession_errors", args=[session.id])).status_code == 403
