"""The "Import audio + CSV" wizard in Django Admin, driven like an editor would."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditLog
from content.models import Speech, Tag
from imports.models import UploadSession
from tests.imports.helpers import csv_bytes, csv_file, stored_keys, wav_file

pytestmark = pytest.mark.django_db

WIZARD = reverse("admin:imports_uploadsession_wizard")


def csv_step(session_id) -> str:
    return reverse("admin:imports_uploadsession_csv", args=[session_id])


def confirm_step(session_id) -> str:
    return reverse("admin:imports_uploadsession_confirm", args=[session_id])


@pytest.fixture
def editor(client, staff_user):
    """A staff member allowed to add and change speeches in the admin."""
    staff_user.user_permissions.add(*Permission.objects.filter(
        content_type__app_label="content", codename__in=["add_speech", "change_speech", "view_speech"]))
    client.force_login(staff_user)
    return client


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def test_whole_wizard_upload_check_preview_confirm(editor, staff_user, any_storage,
                                                   django_capture_on_commit_callbacks):
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

    with django_capture_on_commit_callbacks(execute=True):
        confirmed = editor.post(confirm_step(session.id))

    assert confirmed.status_code == 302
    assert "Imported 2 speech(es) and created 2 tag(s)." in messages_of(confirmed)
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


def test_refused_audio_file_is_explained_and_nothing_is_uploaded(editor):
    page = editor.post(WIZARD, {"files": [wav_file("ok.wav"), SimpleUploadedFile("notes.mp3", b"hello")]})

    assert page.status_code == 200
    assert "notes.mp3" in page.content.decode()
    assert any(message.startswith("Nothing was uploaded.") for message in messages_of(page))
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


def test_a_second_confirm_does_not_import_twice(editor, django_capture_on_commit_callbacks):
    editor.post(WIZARD, {"files": [wav_file("a.wav")]})
    session = UploadSession.objects.get()
    editor.post(csv_step(session.id), {"file": csv_file(csv_bytes([{"audio_filename": "a.wav", "text": "Hi",
                                                                      "level": "B1"}]))})
    with django_capture_on_commit_callbacks(execute=True):
        editor.post(confirm_step(session.id))

    again = editor.post(confirm_step(session.id))

    assert again.status_code == 302
    assert Speech.objects.count() == 1
    assert any("already been imported" in message for message in messages_of(again))


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
