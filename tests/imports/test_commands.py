"""`manage.py import_csv` on a folder and `manage.py cleanup_uploads`."""

import io
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from audit.models import AuditLog
from content.models import Speech, Tag
from imports.models import UploadSession
from tests.accounts.factories import StaffUserFactory, UserFactory
from tests.content.factories import SpeechFactory
from tests.imports.helpers import csv_bytes, dict_rows_as_xlsx, stored_keys, upload, wav_bytes, wav_file

pytestmark = pytest.mark.django_db


@pytest.fixture
def folder(tmp_path):
    audio = tmp_path / "clips"
    audio.mkdir()
    for n in range(5):
        (audio / f"clip_{n}.wav").write_bytes(wav_bytes(tone=200 + n))
    (audio / "README.txt").write_text("not audio, never referenced")
    return audio


def write_csv(tmp_path, rows) -> str:
    path = tmp_path / "speeches.csv"
    path.write_bytes(csv_bytes(rows, bom=True))
    return str(path)


def run(*args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("import_csv", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_command_imports_a_folder_through_an_upload_session(folder, tmp_path, any_storage,
                                                           django_capture_on_commit_callbacks):
    editor = StaffUserFactory(email="editor@example.com")
    csv_path = write_csv(tmp_path, [
        {"audio_filename": f"clip_{n}.wav", "text": f"Sentence {n}", "level": "B1", "type": "question",
         "tags": "Folder,Batch"} for n in range(4)])

    with django_capture_on_commit_callbacks(execute=True):
        out, _err = run("--audio-dir", str(folder), "--csv", csv_path, "--user", "EDITOR@example.com")

    assert "Imported 4 speech(es) and 2 new tag(s)" in out
    assert sorted(Speech.objects.values_list("text", flat=True)) == [f"Sentence {n}" for n in range(4)]
    assert sorted(Tag.objects.values_list("name", flat=True)) == ["Batch", "Folder"]
    assert stored_keys() == set(Speech.objects.values_list("audio", flat=True))
    session = UploadSession.objects.get()
    assert all(key.startswith(f"audio/B1/{session.id.hex}/clip_") for key in stored_keys())
    assert (session.state, session.created_by) == ("imported", editor)
    assert session.files.count() == 4  # only the files the CSV uses were uploaded
    assert AuditLog.objects.get(action="import.csv_imported").changes["source"] == "command"


def test_command_prints_every_row_error_fails_and_writes_nothing(folder, tmp_path):
    csv_path = write_csv(tmp_path, [
        {"audio_filename": "clip_0.wav", "text": "Fine", "level": "A1"},
        {"audio_filename": "clip_9.wav", "text": "No such file", "level": "A1"},
        {"audio_filename": "clip_1.wav", "text": "", "level": "X1"},
    ])
    err = io.StringIO()

    with pytest.raises(CommandError, match="Nothing was imported"):
        call_command("import_csv", "--audio-dir", str(folder), "--csv", csv_path, stdout=io.StringIO(), stderr=err)

    assert "row 3: Audio file 'clip_9.wav' not found in upload session" in err.getvalue()
    assert "row 4: Missing required field 'text'" in err.getvalue()
    assert "row 4: Invalid level 'X1'" in err.getvalue()
    assert not Speech.objects.exists() and not Tag.objects.exists()
    assert not UploadSession.objects.exists()
    assert stored_keys() == set()


def test_command_refuses_a_referenced_file_that_is_not_audio(folder, tmp_path):
    csv_path = write_csv(tmp_path, [{"audio_filename": "README.txt", "text": "Oops", "level": "A1"}])

    with pytest.raises(CommandError, match="README.txt"):
        run("--audio-dir", str(folder), "--csv", csv_path)

    assert stored_keys() == set() and not UploadSession.objects.exists()


def test_command_dry_run_reports_and_writes_nothing(folder, tmp_path):
    csv_path = write_csv(tmp_path, [{"audio_filename": "clip_0.wav", "text": "Hi", "level": "A1", "tags": "New"}])

    out, _err = run("--audio-dir", str(folder), "--csv", csv_path, "--dry-run")

    assert "Dry run: all 1 rows are valid" in out and "1 new tag(s) (New)" in out
    assert not Speech.objects.exists() and not Tag.objects.exists() and not UploadSession.objects.exists()
    assert stored_keys() == set()


def test_command_needs_a_staff_user_and_existing_paths(folder, tmp_path):
    UserFactory(email="learner@example.com")
    csv_path = write_csv(tmp_path, [{"audio_filename": "clip_0.wav", "text": "Hi", "level": "A1"}])

    with pytest.raises(CommandError, match="No staff user"):
        run("--audio-dir", str(folder), "--csv", csv_path, "--user", "learner@example.com")
    with pytest.raises(CommandError, match="not a folder"):
        run("--audio-dir", str(tmp_path / "missing"), "--csv", csv_path)
    with pytest.raises(CommandError, match="not a file"):
        run("--audio-dir", str(folder), "--csv", str(tmp_path / "missing.csv"))


def test_command_uploads_in_batches_into_one_session(folder, tmp_path, monkeypatch):
    monkeypatch.setattr("imports.services.directory.UPLOAD_BATCH", 2)
    csv_path = write_csv(tmp_path, [{"audio_filename": f"clip_{n}.wav", "text": f"S{n}", "level": "C1"}
                                    for n in range(5)])

    run("--audio-dir", str(folder), "--csv", csv_path)

    assert Speech.objects.count() == 5
    assert UploadSession.objects.count() == 1


def test_cleanup_removes_expired_sessions_and_their_objects(staff_client, any_storage):
    expired = upload(staff_client, [wav_file("old.wav"), wav_file("old2.wav")]).json()["upload_session_id"]
    live = upload(staff_client, [wav_file("new.wav")]).json()["upload_session_id"]
    UploadSession.objects.filter(pk=expired).update(expires_at=timezone.now() - timedelta(minutes=1))
    out = io.StringIO()

    call_command("cleanup_uploads", stdout=out)

    assert "Removed 1 expired upload session(s) and 2 stored object(s)." in out.getvalue()
    assert list(UploadSession.objects.values_list("id", flat=True)) == [UploadSession.objects.get(pk=live).id]
    assert stored_keys() == {f"audio/uploads/{live}/new.wav"}

    call_command("cleanup_uploads", stdout=out)
    assert "Removed 0 expired upload session(s) and 0 stored object(s)." in out.getvalue()


def test_command_updates_speeches_by_id_from_an_xlsx_without_uploading_their_audio(folder, tmp_path,
                                                                                  django_capture_on_commit_callbacks):
    StaffUserFactory(email="editor@example.com")
    edited, kept = SpeechFactory(text="Befor", level="A1"), SpeechFactory(text="Kept", level="A1", type="answer")
    path = tmp_path / "edits.xlsx"
    path.write_bytes(dict_rows_as_xlsx([
        {"id": str(edited.id), "text": "Before", "level": "A1", "type": edited.type},
        {"id": str(kept.id), "text": "Kept", "level": "A1", "type": "answer"},
        {"id": "", "audio_filename": "clip_0.wav", "text": "New one", "level": "B1"},
    ]))

    with django_capture_on_commit_callbacks(execute=True):
        out, _err = run("--audio-dir", str(folder), "--csv", str(path), "--user", "editor@example.com")

    assert "Imported 1 speech(es); 1 updated, 1 unchanged" in out
    assert Speech.objects.get(pk=edited.id).text == "Before" and Speech.objects.count() == 3
    assert UploadSession.objects.get().files.count() == 1  # only the new row's file


def test_command_imports_edits_only_into_an_empty_session(folder, tmp_path):
    StaffUserFactory(email="editor@example.com")
    speech = SpeechFactory(text="Old", level="A1")
    csv_path = tmp_path / "edits.csv"
    csv_path.write_bytes(csv_bytes([{"id": str(speech.id), "text": "New", "level": "C1"}],
                                   columns=("id", "audio_filename", "text", "level")))

    out, _err = run("--audio-dir", str(folder), "--csv", str(csv_path), "--user", "editor@example.com")

    assert "Imported 0 speech(es); 1 updated, 0 unchanged" in out
    assert Speech.objects.get(pk=speech.id).level == "C1"
    assert UploadSession.objects.get().files.count() == 0
