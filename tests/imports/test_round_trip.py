"""Editing the catalogue in a spreadsheet (issue 15): export, edit, import back updates in place.

Through the API, on local storage and the S3 server: ids round-trip, XLSX as well as CSV,
create/update/unchanged counts before anything is written, every id error, and the job path.
"""

import re
import time
import uuid
from pathlib import PurePosixPath

import pytest
from django.core.files.storage import default_storage
from django.utils import timezone

from audit.models import AuditLog
from content.models import Speech
from imports.models import UploadSession
from jobs.models import Job
from tests.content.factories import SpeechFactory, TagFactory
from tests.imports.helpers import (
    EXPORT_URL,
    csv_bytes,
    dict_rows_as_xlsx,
    empty_session,
    import_csv,
    read_csv_rows,
    read_object,
    read_xlsx_rows,
    stored_keys,
    unreferenced_audio,
    upload,
    wav_bytes,
    wav_file,
    xlsx_bytes,
)

pytestmark = pytest.mark.django_db

COLUMNS = ("id", "audio_filename", "text", "level", "type", "tags")


def export(client, file_format: str) -> list[dict]:
    response = client.get(EXPORT_URL, {"format": file_format} if file_format == "xlsx" else {})
    assert response.status_code == 200
    data = b"".join(response.streaming_content)
    return read_xlsx_rows(data) if file_format == "xlsx" else read_csv_rows(data)


def as_file(rows: list[dict], file_format: str) -> tuple[bytes, str]:
    if file_format == "xlsx":
        return dict_rows_as_xlsx(rows), "speeches.xlsx"
    return csv_bytes(rows, columns=COLUMNS), "speeches.csv"


def catalogue() -> list:
    food, travel = TagFactory(name="Food"), TagFactory(name="Travel")
    return [SpeechFactory(text="Hello", level="A1", type="question", tags=[food]),
            SpeechFactory(text="Good bye", level="B1", type="answer", tags=[food, travel]),
            SpeechFactory(text="=1+1 is two", level="C1", type="answer")]


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_an_exported_file_edited_in_one_cell_updates_that_speech_in_place(
        staff_client, staff_user, any_storage, file_format, django_capture_on_commit_callbacks):
    speeches = catalogue()
    audio_before = {speech.id: speech.audio.name for speech in speeches}
    rows = export(staff_client, file_format)
    assert [row["id"] for row in rows] == [str(speech.id) for speech in speeches]
    rows[1]["text"] = "Goodbye, see you"  # the one edited cell
    data, name = as_file(rows, file_format)
    session = empty_session(staff_client)

    with django_capture_on_commit_callbacks(execute=True):
        response = import_csv(staff_client, session, data, name=name)

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["create_count"], body["update_count"], body["unchanged_count"]) == (0, 1, 2)
    assert body["success_count"] == 3 and body["created_speeches"] == []
    assert body["updated_speeches"] == [{"row": 3, "speech_id": str(speeches[1].id), "text": "Goodbye, see you"}]
    assert Speech.objects.count() == 3
    changed = Speech.objects.prefetch_related("tags").get(pk=speeches[1].id)
    assert (changed.text, changed.level, changed.type) == ("Goodbye, see you", "B1", "answer")
    assert sorted(tag.name for tag in changed.tags.all()) == ["Food", "Travel"]
    # The formula-looking text came back as it was: unescaped from the CSV, a text cell in the XLSX.
    assert Speech.objects.get(pk=speeches[2].id).text == "=1+1 is two"
    assert {s.id: s.audio.name for s in Speech.objects.all()} == audio_before
    assert all(default_storage.exists(key) for key in audio_before.values())
    assert unreferenced_audio() == set()
    audit = AuditLog.objects.get(action="speech.bulk_update")
    assert audit.changes["speeches_updated"] == 1 and audit.changes["speech_ids"] == [str(speeches[1].id)]
    assert audit.actor_id == staff_user.id
    imported = AuditLog.objects.get(action="import.csv_imported").changes
    assert (imported["speeches_created"], imported["speeches_updated"], imported["speeches_unchanged"]) == (0, 1, 2)
    assert not AuditLog.objects.filter(action="speech.bulk_create").exists()
    assert UploadSession.objects.get(pk=session).state == "imported"


def test_updated_speeches_are_served_at_once_despite_cached_practice_sets(staff_client, auth_client):
    topic = TagFactory(name="Topic")
    speech = SpeechFactory(text="Old words", level="A2", type="question", tags=[topic])
    practice = {"level": "A2", "type": "question", "tags": [str(topic.id)]}
    assert [s["text"] for s in auth_client.post("/api/v1/game/speeches/random", practice,
                                                format="json").json()["speeches"]] == ["Old words"]
    rows = export(staff_client, "csv")
    rows[0]["text"] = "New words"

    assert import_csv(staff_client, empty_session(staff_client), csv_bytes(rows, columns=COLUMNS)).status_code == 200

    served = auth_client.post("/api/v1/game/speeches/random", practice, format="json").json()["speeches"]
    assert [s["text"] for s in served] == ["New words"] and served[0]["id"] == str(speech.id)


def test_a_row_naming_an_uploaded_file_replaces_the_audio_and_the_old_object_goes_after_the_commit(
        staff_client, any_storage, django_capture_on_commit_callbacks):
    speech = SpeechFactory(text="Hi", level="A1", type="question")
    old_key = speech.audio.name
    session = upload(staff_client, [wav_file("fresh.wav", tone=900)]).json()["upload_session_id"]
    data = csv_bytes([{"id": str(speech.id), "audio_filename": "fresh.wav", "text": "Hi", "level": "B2",
                       "type": "question", "tags": ""}], columns=COLUMNS)

    with django_capture_on_commit_callbacks(execute=True):
        response = import_csv(staff_client, session, data)

    assert response.status_code == 200, response.content
    assert response.json()["update_count"] == 1
    speech.refresh_from_db()
    assert speech.level == "B2"
    assert re.fullmatch(rf"audio/B2/{uuid.UUID(session).hex}/fresh-[0-9a-f]{{12}}\.wav", speech.audio.name)
    assert read_object(speech.audio.name) == wav_bytes(tone=900)
    assert not default_storage.exists(old_key)
    assert stored_keys("audio/uploads/") == set()
    assert unreferenced_audio() == set()
    assert AuditLog.objects.get(action="speech.bulk_update").changes["audio_replaced"] == 1


def test_replaced_audio_another_speech_still_uses_is_kept(staff_client, django_capture_on_commit_callbacks):
    speech = SpeechFactory(text="Shared", level="A1")
    twin = SpeechFactory(text="Twin", level="A1", audio=speech.audio.name)
    session = upload(staff_client, [wav_file("fresh.wav")]).json()["upload_session_id"]
    data = csv_bytes([{"id": str(speech.id), "audio_filename": "fresh.wav", "text": "Shared", "level": "A1",
                       "type": speech.type}], columns=COLUMNS)

    with django_capture_on_commit_callbacks(execute=True):
        assert import_csv(staff_client, session, data).status_code == 200

    twin.refresh_from_db()
    assert default_storage.exists(twin.audio.name)


def test_the_preview_counts_creates_updates_and_unchanged_rows_before_anything_is_written(staff_client, any_storage):
    kept, edited = SpeechFactory(text="Kept", level="A1", type="answer"), SpeechFactory(text="Edit me", level="A1")
    session = upload(staff_client, [wav_file("new.wav")]).json()["upload_session_id"]
    data = csv_bytes([
        {"id": "", "audio_filename": "new.wav", "text": "Brand new", "level": "A2", "type": "question",
         "tags": "Fresh"},
        {"id": str(edited.id), "audio_filename": PurePosixPath(edited.audio.name).name, "text": "Edited",
         "level": "A1", "type": edited.type, "tags": "Fresh"},
        {"id": str(kept.id), "audio_filename": "", "text": "Kept", "level": "a1", "type": "Answer", "tags": ""},
    ], columns=COLUMNS)
    before = stored_keys()

    preview = import_csv(staff_client, session, data, dry_run=True)

    assert preview.status_code == 200, preview.content
    body = preview.json()
    assert (body["create_count"], body["update_count"], body["unchanged_count"], body["success_count"]) == (1, 1, 1, 3)
    assert body["created_tags"] == ["Fresh"]
    assert [row["text"] for row in body["would_create_speeches"]] == ["Brand new"]
    assert body["would_update_speeches"] == [
        {"row": 3, "speech_id": str(edited.id), "audio_filename": PurePosixPath(edited.audio.name).name,
         "text": "Edited", "level": "A1", "type": edited.type, "tags": ["Fresh"], "new_audio": False}]
    assert body["created_speeches"] == [] and body["updated_speeches"] == []
    assert Speech.objects.get(pk=edited.id).text == "Edit me" and Speech.objects.count() == 2
    assert stored_keys() == before

    written = import_csv(staff_client, session, data).json()

    assert (written["create_count"], written["update_count"], written["unchanged_count"]) == (1, 1, 1)
    assert [item["text"] for item in written["created_speeches"]] == ["Brand new"]
    assert [item["speech_id"] for item in written["updated_speeches"]] == [str(edited.id)]
    assert Speech.objects.count() == 3
    assert sorted(t.name for t in Speech.objects.get(pk=edited.id).tags.all()) == ["Fresh"]


def test_every_id_problem_is_a_row_error_naming_the_cell_and_nothing_is_written(staff_client):
    active, archived = SpeechFactory(text="Active"), SpeechFactory(text="Gone", archived_at=timezone.now())
    unknown = uuid.uuid4()
    data = csv_bytes([
        {"id": "not-a-uuid", "text": "Malformed", "level": "A1"},
        {"id": str(unknown), "text": "Unknown", "level": "A1"},
        {"id": str(archived.id), "text": "Archived", "level": "A1"},
        {"id": str(active.id), "text": "First use", "level": "A1"},
        {"id": str(active.id), "text": "Second use", "level": "A1"},
        {"id": "", "audio_filename": "", "text": "No id, no audio", "level": "A1"},
        {"id": str(active.id).upper(), "text": "Third use, other spelling", "level": "A1"},
    ], columns=COLUMNS)
    session = empty_session(staff_client)

    response = import_csv(staff_client, session, data)

    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"row": 2, "error": "Invalid id 'not-a-uuid': not a speech id", "column": "id", "value": "not-a-uuid"},
        {"row": 3, "error": f"Speech '{unknown}' not found (unknown or archived)", "column": "id",
         "value": str(unknown)},
        {"row": 4, "error": f"Speech '{archived.id}' not found (unknown or archived)", "column": "id",
         "value": str(archived.id)},
        {"row": 6, "error": f"Duplicate id '{active.id}' (already used in row 5)", "column": "id",
         "value": str(active.id)},
        {"row": 7, "error": "Missing required field 'audio_filename'", "column": "audio_filename", "value": ""},
        {"row": 8, "error": f"Duplicate id '{str(active.id).upper()}' (already used in row 5)", "column": "id",
         "value": str(active.id).upper()},
    ]
    assert Speech.objects.get(pk=active.id).text == "Active"
    assert UploadSession.objects.get(pk=session).state == "open"


def test_an_id_row_may_keep_its_audio_name_or_leave_it_empty_but_not_name_another_file(staff_client):
    speech = SpeechFactory(text="Mine", level="A1")
    data = csv_bytes([{"id": str(speech.id), "audio_filename": "somebody-else.wav", "text": "Mine", "level": "A1"}],
                     columns=COLUMNS)

    response = import_csv(staff_client, empty_session(staff_client), data)

    assert response.status_code == 422
    assert response.json()["errors"] == [{"row": 2, "error": "Audio file 'somebody-else.wav' not found in upload "
                                          "session", "column": "audio_filename", "value": "somebody-else.wav"}]


def test_an_id_row_keeps_the_type_when_empty_and_the_tags_when_the_column_is_missing(staff_client):
    speech = SpeechFactory(text="Tagged", level="A1", type="question", tags=[TagFactory(name="Food")])
    data = csv_bytes([{"id": str(speech.id), "text": "Tagged again", "level": "B1", "type": ""}],
                     columns=("id", "audio_filename", "text", "level", "type"))

    body = import_csv(staff_client, empty_session(staff_client), data).json()

    assert body["update_count"] == 1
    speech = Speech.objects.prefetch_related("tags").get(pk=speech.id)
    assert (speech.text, speech.level, speech.type) == ("Tagged again", "B1", "question")
    assert [tag.name for tag in speech.tags.all()] == ["Food"]


def test_an_unchanged_file_imports_without_writing_a_speech(staff_client, django_capture_on_commit_callbacks):
    speeches = catalogue()
    stamps = dict(Speech.objects.values_list("id", "updated_at"))

    with django_capture_on_commit_callbacks(execute=True):
        body = import_csv(staff_client, empty_session(staff_client),
                          csv_bytes(export(staff_client, "csv"), columns=COLUMNS)).json()

    assert (body["create_count"], body["update_count"], body["unchanged_count"]) == (0, 0, len(speeches))
    assert dict(Speech.objects.values_list("id", "updated_at")) == stamps
    assert not AuditLog.objects.filter(action__in=["speech.bulk_update", "speech.bulk_create"]).exists()


# --- XLSX specifics --------------------------------------------------------------------------

def test_xlsx_cells_become_text_with_the_sheets_row_numbers(staff_client):
    session = upload(staff_client, [wav_file("2024.wav"), wav_file("b.wav")]).json()["upload_session_id"]
    data = xlsx_bytes([
        ["audio_filename", "text", "level", "type", "tags"],
        ["2024.wav", 2024.0, "a1", None, "'@home"],  # a number cell is its digits; no quote is removed
        ["b.wav", "Fine", "Z9", "question", None],
    ], blank_rows_before={2: 1})  # the third record sits in row 4, after a blank row 3

    response = import_csv(staff_client, session, data, name="edits.xlsx")

    assert response.status_code == 422
    assert response.json()["errors"] == [{"row": 4, "error": "Invalid level 'Z9'. Must be one of: A1, A2, B1, B2, C1",
                                          "column": "level", "value": "Z9"}]
    data = xlsx_bytes([["audio_filename", "text", "level", "type", "tags"],
                       ["2024.wav", 2024.0, "a1", None, "'@home"]])
    preview = import_csv(staff_client, session, data, dry_run=True, name="no-extension").json()
    assert preview["would_create_speeches"] == [{"row": 2, "audio_filename": "2024.wav", "text": "2024",
                                                 "level": "A1", "type": "answer", "tags": ["'@home"]}]


@pytest.mark.parametrize(("data", "name"), [
    (b"PK\x03\x04 not really a zip", "speeches.csv"),
    (b"audio_filename,text,level\na.wav,Hi,A1\n", "speeches.xlsx"),
])
def test_an_unreadable_xlsx_is_400(staff_client, data, name):
    response = import_csv(staff_client, empty_session(staff_client), data, name=name)

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_xlsx"


def test_an_xlsx_over_the_size_limit_is_413(staff_client, settings):
    data = dict_rows_as_xlsx([{"id": "", "audio_filename": "a.wav", "text": "x" * 5000, "level": "A1"}])
    settings.IMPORT_CSV_MAX_BYTES = len(data) - 1

    assert import_csv(staff_client, empty_session(staff_client), data, name="a.xlsx").status_code == 413


# --- sessions without files and the job path ------------------------------------------------------

def test_an_empty_session_is_opened_for_files_that_only_edit(staff_client, staff_user, api_client, auth_client):
    response = staff_client.post("/api/v1/admin/import/sessions")

    assert response.status_code == 201
    body = response.json()
    session = UploadSession.objects.get(pk=body["upload_session_id"])
    assert body["uploaded_files"] == [] and session.files.count() == 0 and session.created_by == staff_user
    assert AuditLog.objects.get(action="import.session_opened").object_id == str(session.id)
    # Audio may still join it, like any open session.
    assert upload(staff_client, [wav_file("late.wav")], session.id).status_code == 200
    assert api_client.post("/api/v1/admin/import/sessions").status_code == 401
    assert auth_client.post("/api/v1/admin/import/sessions").status_code == 403


def test_a_new_row_still_needs_its_audio_in_an_empty_session(staff_client):
    data = csv_bytes([{"id": "", "audio_filename": "a.wav", "text": "New", "level": "A1"}], columns=COLUMNS)

    response = import_csv(staff_client, empty_session(staff_client), data)

    assert response.status_code == 422
    assert response.json()["errors"][0]["column"] == "audio_filename"


def _wait_for(client, url: str, timeout: float = 30) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        body = client.get(url).json()
        if body["state"] in ("succeeded", "failed"):
            return body
        assert time.monotonic() < deadline, body
        time.sleep(0.05)


def test_a_large_edit_runs_as_a_job_that_updates_in_place(celery_worker, staff_client, settings):
    settings.IMPORT_SYNC_MAX_ROWS = 1
    settings.RATE_LIMIT_ENABLED = False
    speeches = [SpeechFactory(text=f"Sentence {n}", level="A1") for n in range(3)]
    rows = export(staff_client, "xlsx")
    rows[0]["text"], rows[2]["level"] = "Changed zero", "C1"

    response = import_csv(staff_client, empty_session(staff_client), dict_rows_as_xlsx(rows), name="big.xlsx")

    assert response.status_code == 202, response.content
    assert response.json()["progress"] == {"done": 0, "total": 2}  # rows to write; the unchanged one is free
    finished = _wait_for(staff_client, response["Location"])
    assert finished["state"] == "succeeded", finished
    assert finished["progress"] == {"done": 2, "total": 2}
    result = finished["result"]
    assert (result["speeches_created"], result["speeches_updated"], result["speeches_unchanged"]) == (0, 2, 1)
    assert result["updated_speech_ids"] == [str(speeches[0].id), str(speeches[2].id)]
    assert Speech.objects.count() == 3
    assert Speech.objects.get(pk=speeches[0].id).text == "Changed zero"
    assert Speech.objects.get(pk=speeches[2].id).level == "C1"
    assert Job.objects.get().state == "succeeded"
