"""Speeches exported in the import CSV or XLSX format (content's), and imported back (through imports)."""

import csv
import io
from pathlib import PurePosixPath

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from content.models import Speech
from tests.content.factories import SpeechFactory, TagFactory
from tests.imports.helpers import csv_bytes, import_csv, read_object, upload, wav_bytes, wav_file

pytestmark = pytest.mark.django_db

EXPORT_URL = "/api/v1/admin/speeches/export.csv"


def exported_rows(response) -> list[dict]:
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text, newline="")))


def snapshot() -> set[tuple]:
    return {(s.text, s.level, s.type, tuple(sorted(t.name for t in s.tags.all())), read_object(s.audio.name))
            for s in Speech.objects.prefetch_related("tags")}


def test_export_round_trips_through_the_import(staff_client, any_storage, django_capture_on_commit_callbacks):
    rows = [
        {"audio_filename": "f0.wav", "text": "=SUM(A1:A9)", "level": "A1", "type": "question", "tags": "Maths,Tricky"},
        {"audio_filename": "f1.wav", "text": "-5 degrees, brr", "level": "B2", "type": "answer", "tags": "Weather"},
        {"audio_filename": "f2.wav", "text": "Line one\nline two \u201cquoted\u201d caf\u00e9", "level": "C1",
         "type": "answer", "tags": ""},
        # A text that really starts with a quote before "=" is written with one more quote, in and out.
        {"audio_filename": "f3.wav", "text": "''=quoted on purpose", "level": "A2", "type": "question",
         "tags": "'@home"},
    ]
    first = upload(staff_client, [wav_file(f"f{n}.wav", tone=300 + n) for n in range(4)]).json()
    with django_capture_on_commit_callbacks(execute=True):
        assert import_csv(staff_client, first["upload_session_id"], csv_bytes(rows)).status_code == 200
    before = snapshot()
    assert {text for text, *_ in before} >= {"=SUM(A1:A9)", "'=quoted on purpose"}

    response = staff_client.get(EXPORT_URL)

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="speeches-')
    exported = exported_rows(response)
    # The speech's id first (issue 15: re-importing updates in place), then the import's columns.
    assert list(exported[0]) == ["id", "audio_filename", "text", "level", "type", "tags"]
    assert {row["id"] for row in exported} == {str(pk) for pk in Speech.objects.values_list("id", flat=True)}
    texts = {row["text"] for row in exported}
    assert {"'=SUM(A1:A9)", "'-5 degrees, brr", "''=quoted on purpose"} <= texts  # formulas neutralised
    assert "'@home" in {row["tags"] for row in exported}
    by_text = {s.text: s for s in Speech.objects.all()}
    assert {row["audio_filename"] for row in exported} == {PurePosixPath(s.audio.name).name for s in by_text.values()}

    # Round trip in place: the exported CSV, into a session without files, changes nothing.
    exported_csv = b"".join(staff_client.get(EXPORT_URL).streaming_content)
    empty = staff_client.post("/api/v1/admin/import/sessions").json()["upload_session_id"]
    with django_capture_on_commit_callbacks(execute=True):
        reimport = import_csv(staff_client, empty, exported_csv)
    assert reimport.status_code == 200, reimport.content
    assert (reimport.json()["create_count"], reimport.json()["unchanged_count"]) == (0, 4)
    assert snapshot() == before

    # Rows without their id are new speeches again: with the stored audio uploaded under the exported names,
    # the CSV recreates the catalogue after it is gone.
    without_ids = csv_bytes([{name: value for name, value in row.items() if name != "id"}
                             for row in csv.DictReader(io.StringIO(exported_csv.decode("utf-8-sig"), newline=""))])
    audio = [SimpleUploadedFile(PurePosixPath(s.audio.name).name, read_object(s.audio.name))
             for s in Speech.objects.all()]
    Speech.objects.all().delete()
    second = upload(staff_client, audio).json()
    with django_capture_on_commit_callbacks(execute=True):
        recreated = import_csv(staff_client, second["upload_session_id"], without_ids)
    assert recreated.status_code == 200, recreated.content
    assert snapshot() == before


def test_export_filters_by_level_type_and_tag_and_skips_archived(staff_client):
    food = TagFactory(name="Food")
    wanted = SpeechFactory(level="A1", type="question", tags=[food], text="Wanted")
    SpeechFactory(level="A1", type="answer", tags=[food], text="Other type")
    SpeechFactory(level="B1", type="question", tags=[food], text="Other level")
    SpeechFactory(level="A1", type="question", text="No tag")
    SpeechFactory(level="A1", type="question", tags=[food], text="Archived", archived_at=timezone.now())

    response = staff_client.get(EXPORT_URL, {"level": "A1", "type": "question", "tag_id": str(food.id)})

    assert [row["text"] for row in exported_rows(response)] == [wanted.text]
    assert [row["text"] for row in exported_rows(staff_client.get(EXPORT_URL, {"level": "A1"}))] == [
        "Wanted", "Other type", "No tag"]
    assert [row["text"] for row in exported_rows(staff_client.get(EXPORT_URL, {"search": "level"}))] == [
        "Other level"]


def test_admin_action_exports_the_selected_speeches(client, staff_user):
    staff_user.user_permissions.add(*Permission.objects.filter(
        content_type__app_label="content", codename__in=["change_speech", "view_speech"]))
    client.force_login(staff_user)
    food = TagFactory(name="Food")
    chosen = [SpeechFactory(text="=1+1", level="B1", tags=[food]), SpeechFactory(text="Plain", level="C1")]
    SpeechFactory(text="Not selected")

    response = client.post(reverse("admin:content_speech_changelist"), {
        "action": "export_speeches_as_import_csv", "_selected_action": [str(s.id) for s in chosen]})

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="speeches-')
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"), newline="")))
    assert [(r["id"], r["text"], r["level"], r["type"], r["tags"]) for r in rows] == [
        (str(chosen[0].id), "'=1+1", "B1", "question", "Food"), (str(chosen[1].id), "Plain", "C1", "question", "")]
    assert [r["audio_filename"] for r in rows] == [PurePosixPath(s.audio.name).name for s in chosen]


def test_export_with_a_bad_filter_is_400_json(staff_client):
    response = staff_client.get(EXPORT_URL, {"level": "Z9"}, HTTP_ACCEPT="text/csv")

    assert response.status_code == 400
    assert "level" in response.json()["errors"]


def test_export_is_for_staff_only(api_client, auth_client):
    assert api_client.get(EXPORT_URL).status_code == 401
    assert auth_client.get(EXPORT_URL).status_code == 403


def test_round_trip_of_an_unchanged_export_needs_no_renaming(staff_client, django_capture_on_commit_callbacks):
    session = upload(staff_client, [wav_file("hello.wav")]).json()["upload_session_id"]
    with django_capture_on_commit_callbacks(execute=True):
        import_csv(staff_client, session, csv_bytes([{"audio_filename": "hello.wav", "text": "Hello", "level": "A1"}]))
    first_key = Speech.objects.get().audio.name
    name = exported_rows(staff_client.get(EXPORT_URL))[0]["audio_filename"]

    again = upload(staff_client, [SimpleUploadedFile(name, wav_bytes())]).json()["upload_session_id"]
    with django_capture_on_commit_callbacks(execute=True):
        import_csv(staff_client, again, csv_bytes([{"audio_filename": name, "text": "Hello", "level": "A1"}]))

    keys = sorted(Speech.objects.values_list("audio", flat=True))
    # The new key drops the earlier random suffix before adding its own, so names do not grow.
    assert len(keys) == 2 and first_key in keys
    assert all(len(PurePosixPath(key).name) == len(PurePosixPath(first_key).name) for key in keys)


# --- XLSX ---------------------------------------------------------------------------------------

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def test_xlsx_export_has_the_csvs_rows_as_text_cells_and_the_same_filters(staff_client):
    food = TagFactory(name="Food")
    first = SpeechFactory(text="=SUM(A1:A9)", level="A1", tags=[food])
    second = SpeechFactory(text="Line one\nline two", level="A1")
    SpeechFactory(text="Other level", level="B2")

    response = staff_client.get(EXPORT_URL, {"format": "xlsx", "level": "A1"})

    assert response.status_code == 200
    assert response["Content-Type"] == XLSX_TYPE
    assert response["Content-Disposition"].startswith('attachment; filename="speeches-')
    assert response["Content-Disposition"].endswith('.xlsx"')
    data = b"".join(response.streaming_content)
    assert data.startswith(b"PK\x03\x04")
    sheet = load_workbook(io.BytesIO(data)).worksheets[0]
    assert [cell.value for cell in sheet[1]] == ["id", "audio_filename", "text", "level", "type", "tags"]
    assert sheet["C2"].data_type == "s" and sheet["C2"].value == "=SUM(A1:A9)"  # text, never a formula
    assert [[cell.value for cell in row] for row in sheet.iter_rows(min_row=2)] == [
        [str(first.id), PurePosixPath(first.audio.name).name, "=SUM(A1:A9)", "A1", "question", "Food"],
        [str(second.id), PurePosixPath(second.audio.name).name, "Line one\nline two", "A1", "question", None],
    ]


def test_an_unknown_export_format_is_400_json(staff_client):
    response = staff_client.get(EXPORT_URL, {"format": "pdf"})

    assert response.status_code == 400
    assert "format" in response.json()["errors"]


def test_the_export_formats_are_documented(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()

    operation = schema["paths"]["/api/v1/admin/speeches/export.csv"]["get"]
    assert {"text/csv", XLSX_TYPE} <= set(operation["responses"]["200"]["content"])
    assert [p["schema"]["enum"] for p in operation["parameters"] if p["name"] == "format"] == [["csv", "xlsx"]]
    assert "/api/v1/admin/import/sessions" in schema["paths"]


def test_a_speech_with_control_characters_still_exports_as_xlsx(staff_client):
    SpeechFactory(text="Bell\x07 and form feed\x0c")

    data = b"".join(staff_client.get(EXPORT_URL, {"format": "xlsx"}).streaming_content)

    assert load_workbook(io.BytesIO(data)).worksheets[0]["C2"].value == "Bell and form feed"
