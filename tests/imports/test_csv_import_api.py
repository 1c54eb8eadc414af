"""Step 2 of the import through the API, on local storage and on the S3 server."""

import re
import uuid
from datetime import timedelta

import pytest
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from audit.models import AuditLog
from content.models import Speech, Tag
from core import storage
from imports.models import UploadSession
from tests.content.factories import SpeechFactory, TagFactory
from tests.imports.helpers import (
    CSV_URL,
    csv_bytes,
    csv_file,
    import_csv,
    m4a_bytes,
    mp3_bytes,
    read_object,
    stored_keys,
    upload,
    wav_bytes,
    wav_file,
)

pytestmark = pytest.mark.django_db


def new_session(client, files) -> str:
    response = upload(client, files)
    assert response.status_code == 200, response.content
    return response.json()["upload_session_id"]


def test_two_step_import_creates_speeches_moves_audio_and_closes_the_session(
        staff_client, staff_user, any_storage, django_capture_on_commit_callbacks):
    session_id = new_session(staff_client, [
        SimpleUploadedFile("sentence_001.mp3", mp3_bytes()),
        wav_file("question_001.wav"),
        wav_file("question_001.wav", tone=880),  # stored as question_001_1.wav
        SimpleUploadedFile("answer.m4a", m4a_bytes()),
    ])
    data = csv_bytes([
        {"audio_filename": "sentence_001.mp3", "text": "What is your name?", "level": "A1", "type": "question",
         "tags": "Present Tense,Basics"},
        {"audio_filename": "question_001_1.wav", "text": "Where do you live?", "level": "B2", "type": "question",
         "tags": "Present Tense,Location"},
        {"audio_filename": "answer.m4a", "text": "My name is John.", "level": "A1", "type": "", "tags": ""},
    ])

    with django_capture_on_commit_callbacks(execute=True):
        response = import_csv(staff_client, session_id, data)

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["success_count"] == 3 and body["error_count"] == 0 and body["errors"] == []
    assert body["dry_run"] is False
    assert sorted(body["created_tags"]) == ["Basics", "Location", "Present Tense"]
    assert [(item["row"], item["text"]) for item in body["created_speeches"]] == [
        (2, "What is your name?"), (3, "Where do you live?"), (4, "My name is John.")]

    speeches = {str(s.id): s for s in Speech.objects.prefetch_related("tags")}
    assert set(speeches) == {item["speech_id"] for item in body["created_speeches"]}
    by_text = {s.text: s for s in speeches.values()}
    first, second, third = by_text["What is your name?"], by_text["Where do you live?"], by_text["My name is John."]
    assert (first.level, first.type, sorted(t.name for t in first.tags.all())) == (
        "A1", "question", ["Basics", "Present Tense"])
    assert (third.type, list(third.tags.all())) == ("answer", [])
    batch = uuid.UUID(session_id).hex  # the copies of one import share a folder per level
    assert re.fullmatch(rf"audio/A1/{batch}/sentence_001-[0-9a-f]{{12}}\.mp3", first.audio.name)
    assert re.fullmatch(rf"audio/B2/{batch}/question_001_1-[0-9a-f]{{12}}\.wav", second.audio.name)
    assert read_object(second.audio.name) == wav_bytes(tone=880)
    assert read_object(third.audio.name) == m4a_bytes()
    # Moved, not copied: the uploads are gone, the only objects left are the speeches' audio.
    assert stored_keys() == {s.audio.name for s in speeches.values()}

    session = UploadSession.objects.get(pk=session_id)
    assert session.state == "imported" and session.imported_at is not None
    audit = AuditLog.objects.get(action="import.csv_imported")
    assert (audit.actor, audit.object_id, audit.changes["speeches_created"]) == (staff_user, session_id, 3)

    again = import_csv(staff_client, session_id, data)
    assert again.status_code == 409
    assert again.json()["code"] == "upload_session_imported"
    assert Speech.objects.count() == 3


def test_imported_speeches_are_served_at_once_despite_cached_practice_sets(staff_client, auth_client):
    fresh = TagFactory(name="Fresh")
    SpeechFactory(level="A2", type="answer", text="Old", tags=[fresh])
    body = {"level": "A2", "type": "answer", "tags": [str(fresh.id)]}
    served = auth_client.post("/api/v1/game/speeches/random", body, format="json").json()["speeches"]
    assert [s["text"] for s in served] == ["Old"]
    session_id = new_session(staff_client, [wav_file("a.wav")])

    import_csv(staff_client, session_id, csv_bytes(
        [{"audio_filename": "a.wav", "text": "Fresh", "level": "A2", "tags": "fresh"}]))

    served = auth_client.post("/api/v1/game/speeches/random", body, format="json").json()["speeches"]
    assert sorted(s["text"] for s in served) == ["Fresh", "Old"]


def test_tags_are_created_once_and_existing_tags_match_whatever_their_case(staff_client):
    basics = TagFactory(name="Basics")
    session_id = new_session(staff_client, [wav_file(f"{n}.wav") for n in range(4)])
    data = csv_bytes([
        {"audio_filename": "0.wav", "text": "One", "level": "A1", "tags": "basics, Travel"},
        {"audio_filename": "1.wav", "text": "Two", "level": "A1", "tags": "travel,Food,FOOD"},
        {"audio_filename": "2.wav", "text": "Three", "level": "A1", "tags": "Travel"},
        {"audio_filename": "3.wav", "text": "Four", "level": "A1", "tags": "BASICS"},
    ])

    response = import_csv(staff_client, session_id, data)

    assert response.status_code == 200
    assert sorted(response.json()["created_tags"]) == ["Food", "Travel"]
    assert sorted(Tag.objects.values_list("name", flat=True)) == ["Basics", "Food", "Travel"]
    assert Speech.objects.filter(tags=basics).count() == 2
    assert Speech.objects.filter(tags__name="Travel").count() == 3
    assert Speech.objects.get(text="Two").tags.count() == 2


def test_one_bad_row_among_500_creates_nothing_and_reports_its_row(staff_client, any_storage):
    session_id = new_session(staff_client, [wav_file(f"clip_{n:03}.wav", frames=8) for n in range(500)])
    rows = [{"audio_filename": f"clip_{n:03}.wav", "text": f"Sentence {n}", "level": "B1", "tags": f"Batch {n % 7}"}
            for n in range(500)]
    rows[317]["level"] = "D1"
    uploads_before = stored_keys()

    response = import_csv(staff_client, session_id, csv_bytes(rows))

    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "csv_rows_invalid"
    assert body["errors"] == [{"row": 319, "error": "Invalid level 'D1'. Must be one of: A1, A2, B1, B2, C1",
                               "column": "level", "value": "D1"}]
    assert not Speech.objects.exists()
    assert not Tag.objects.exists()
    assert stored_keys() == uploads_before
    assert UploadSession.objects.get(pk=session_id).state == "open"


def test_every_row_error_is_reported_with_its_row_and_nothing_is_created(staff_client):
    session_id = new_session(staff_client, [wav_file("a.wav"), wav_file("b.wav")])
    data = (b"audio_filename,text,level,type,tags\r\n"
            b"a.wav,Fine,A1,question,New Tag\r\n"
            b"missing.wav,Who?,A1,,\r\n"
            b"b.wav,\"Two\r\nlines\",C2,maybe,\r\n"
            b"a.wav,Again,A1,,\r\n")

    response = import_csv(staff_client, session_id, data)

    assert response.status_code == 422
    # Each error names the offending cell: its column and value, beside the message.
    assert response.json()["errors"] == [
        {"row": 3, "error": "Audio file 'missing.wav' not found in upload session", "column": "audio_filename",
         "value": "missing.wav"},
        {"row": 4, "error": "Invalid level 'C2'. Must be one of: A1, A2, B1, B2, C1", "column": "level",
         "value": "C2"},
        {"row": 4, "error": "Invalid type 'maybe'. Must be one of: question, answer", "column": "type",
         "value": "maybe"},
        {"row": 5, "error": "Duplicate audio_filename 'a.wav' (already used in row 2)", "column": "audio_filename",
         "value": "a.wav"},
    ]
    assert not Speech.objects.exists() and not Tag.objects.exists()


def test_dry_run_previews_and_writes_nothing(staff_client, any_storage):
    TagFactory(name="Basics")
    session_id = new_session(staff_client, [wav_file("a.wav"), wav_file("b.wav")])
    data = csv_bytes([
        {"audio_filename": "a.wav", "text": "Hello", "level": "A1", "type": "question", "tags": "basics,Greetings"},
        {"audio_filename": "b.wav", "text": "Bye", "level": "C1"},
    ])
    before = stored_keys()

    response = import_csv(staff_client, session_id, data, dry_run=True)

    assert response.status_code == 200
    body = response.json()
    assert body["dry_run"] is True and body["success_count"] == 2 and body["created_speeches"] == []
    assert body["created_tags"] == ["Greetings"]
    assert body["would_create_speeches"] == [
        {"row": 2, "audio_filename": "a.wav", "text": "Hello", "level": "A1", "type": "question",
         "tags": ["basics", "Greetings"]},
        {"row": 3, "audio_filename": "b.wav", "text": "Bye", "level": "C1", "type": "answer", "tags": []},
    ]
    assert not Speech.objects.exists()
    assert list(Tag.objects.values_list("name", flat=True)) == ["Basics"]
    assert stored_keys() == before
    assert UploadSession.objects.get(pk=session_id).state == "open"
    assert not AuditLog.objects.filter(action="import.csv_imported").exists()

    assert import_csv(staff_client, session_id, data).status_code == 200
    assert Speech.objects.count() == 2


def test_dry_run_with_bad_rows_is_422_too(staff_client):
    session_id = new_session(staff_client, [wav_file("a.wav")])

    response = import_csv(staff_client, session_id,
                          csv_bytes([{"audio_filename": "x.wav", "text": "Hi", "level": "A1"}]), dry_run=True)

    assert response.status_code == 422
    assert response.json()["errors"][0]["row"] == 2


class _FailingOnThirdCopy:
    """Counts copies into `audio/{level}/` and fails the third, as a storage outage would."""

    def __init__(self):
        self.calls = 0

    def __call__(self):
        self.calls += 1
        if self.calls == 3:
            raise OSError("storage went away")


@pytest.fixture
def failing_third_move(any_storage, monkeypatch, settings):
    """Inject a failure at the storage boundary: the local file system, or the S3 CopyObject call."""
    settings.IMPORT_STORAGE_CONCURRENCY = 2  # S3 copies run in parallel: some finish after the failure
    fault = _FailingOnThirdCopy()
    if any_storage == "s3":
        from botocore.exceptions import EndpointConnectionError

        def before_copy(**kwargs):
            try:
                fault()
            except OSError as exc:
                raise EndpointConnectionError(endpoint_url="s3") from exc

        client = storage.s3_client()  # the client bulk storage calls use
        client.meta.events.register("before-call.s3.CopyObject", before_copy)
        yield fault
        client.meta.events.unregister("before-call.s3.CopyObject", before_copy)
    else:
        original_save = FileSystemStorage._save

        def save(storage, name, content):
            if name.startswith("audio/") and not name.startswith("audio/uploads/"):
                fault()
            return original_save(storage, name, content)

        monkeypatch.setattr(FileSystemStorage, "_save", save)
        yield fault


def test_storage_failure_half_way_leaves_no_rows_no_copies_and_the_session_retryable(
        staff_client, failing_third_move, django_capture_on_commit_callbacks):
    session_id = new_session(staff_client, [wav_file(f"{n}.wav", tone=100 + n) for n in range(6)])
    uploads = stored_keys()
    data = csv_bytes([{"audio_filename": f"{n}.wav", "text": f"Sentence {n}", "level": "A2", "tags": "Fresh"}
                      for n in range(6)])

    response = import_csv(staff_client, session_id, data)

    assert failing_third_move.calls >= 3
    assert response.status_code == 503
    assert response.json()["code"] == "storage_unavailable"
    assert not Speech.objects.exists()
    assert not Tag.objects.exists()
    assert stored_keys() == uploads  # every original still there, no stray copy
    assert all(read_object(key) == wav_bytes(tone=100 + int(key.rsplit("/", 1)[1][0])) for key in uploads)
    assert UploadSession.objects.get(pk=session_id).state == "open"

    with django_capture_on_commit_callbacks(execute=True):
        retry = import_csv(staff_client, session_id, data)

    assert retry.status_code == 200
    assert Speech.objects.count() == 6
    assert stored_keys() == set(Speech.objects.values_list("audio", flat=True))
    assert all(read_object(s.audio.name) == wav_bytes(tone=100 + int(s.text[-1])) for s in Speech.objects.all())


def test_expired_and_unknown_sessions_are_404(staff_client):
    session_id = new_session(staff_client, [wav_file("a.wav")])
    UploadSession.objects.filter(pk=session_id).update(expires_at=timezone.now() - timedelta(minutes=1))
    data = csv_bytes([{"audio_filename": "a.wav", "text": "Hi", "level": "A1"}])

    for target in (session_id, "6f1d2a8e-0000-4000-8000-000000000000", "nonsense"):
        response = import_csv(staff_client, target, data)
        assert response.status_code == 404
        assert response.json()["code"] == "upload_session_not_found"
    assert not Speech.objects.exists()


@pytest.mark.parametrize(("data", "code"), [
    (b"audio_filename,text\na.wav,Hi\n", "csv_missing_columns"),
    ("audio_filename,text,level\na.wav,Caf\u00e9,A1\n".encode("utf-16"), "invalid_csv"),
    (wav_bytes(), "invalid_csv"),
    (b"audio_filename,text,level\n", "csv_empty"),
])
def test_unreadable_csv_or_missing_columns_is_400(staff_client, data, code):
    session_id = new_session(staff_client, [wav_file("a.wav")])

    response = import_csv(staff_client, session_id, data)

    assert response.status_code == 400
    assert response.json()["code"] == code


def test_missing_required_columns_are_named(staff_client):
    session_id = new_session(staff_client, [wav_file("a.wav")])

    response = import_csv(staff_client, session_id, b"text,tags\nHi,x\n")

    assert response.status_code == 400
    assert response.json()["errors"] == {"missing_columns": ["audio_filename", "level"]}


def test_csv_over_the_limit_is_413(staff_client, settings):
    session_id = new_session(staff_client, [wav_file("a.wav")])
    settings.IMPORT_CSV_MAX_BYTES = 100

    response = import_csv(staff_client, session_id, csv_bytes(
        [{"audio_filename": "a.wav", "text": "x" * 200, "level": "A1"}]))

    assert response.status_code == 413


def test_missing_form_fields_are_400(staff_client):
    response = staff_client.post(CSV_URL, {"file": csv_file(b"audio_filename,text,level\n")}, format="multipart")

    assert response.status_code == 400
    assert "upload_session_id" in response.json()["errors"]


def test_only_staff_may_import(api_client, auth_client):
    assert api_client.post(CSV_URL, {}, format="multipart").status_code == 401
    assert auth_client.post(CSV_URL, {}, format="multipart").status_code == 403


def test_endpoints_are_documented(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()

    for path in ("/api/v1/admin/import/audio", "/api/v1/admin/import/csv", "/api/v1/admin/speeches/export.csv"):
        assert path in schema["paths"]
    csv_post = schema["paths"]["/api/v1/admin/import/csv"]["post"]
    assert {"200", "400", "404", "422"} <= set(csv_post["responses"])
    assert "multipart/form-data" in csv_post["requestBody"]["content"]
