from datetime import timedelta

import pytest
import requests
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from audit.models import AuditLog
from imports.models import UploadedFile, UploadSession
from tests.accounts.factories import StaffUserFactory
from tests.conftest import bearer
from tests.imports.helpers import (
    AUDIO_URL,
    m4a_bytes,
    mp3_bytes,
    read_object,
    stored_keys,
    upload,
    wav_bytes,
    wav_file,
)

pytestmark = pytest.mark.django_db


def test_upload_stores_files_in_the_session_folder(staff_client, staff_user, any_storage):
    files = [
        SimpleUploadedFile("sentence_001.mp3", mp3_bytes()),
        SimpleUploadedFile("sentence_002.wav", wav_bytes()),
        SimpleUploadedFile("sentence_003.m4a", m4a_bytes()),
    ]

    response = upload(staff_client, files)

    assert response.status_code == 200
    body = response.json()
    session_id = body["upload_session_id"]
    assert [item["original_filename"] for item in body["uploaded_files"]] == [
        "sentence_001.mp3", "sentence_002.wav", "sentence_003.m4a"]
    assert [item["size_bytes"] for item in body["uploaded_files"]] == [
        len(mp3_bytes()), len(wav_bytes()), len(m4a_bytes())]
    assert stored_keys("audio/uploads/") == {
        f"audio/uploads/{session_id}/sentence_001.mp3",
        f"audio/uploads/{session_id}/sentence_002.wav",
        f"audio/uploads/{session_id}/sentence_003.m4a",
    }
    assert read_object(f"audio/uploads/{session_id}/sentence_002.wav") == wav_bytes()
    session = UploadSession.objects.get(pk=session_id)
    assert session.created_by == staff_user
    assert session.state == "open"
    assert timedelta(hours=23, minutes=59) < session.expires_at - timezone.now() <= timedelta(hours=24)
    assert sorted(session.files.values_list("format", flat=True)) == ["m4a", "mp3", "wav"]
    assert AuditLog.objects.filter(action="import.audio_uploaded", object_id=session_id, actor=staff_user).exists()


@pytest.mark.s3
def test_storage_url_is_a_signed_url_that_downloads_the_upload(staff_client, s3_storage):
    response = upload(staff_client, [wav_file("hello.wav")])

    url = response.json()["uploaded_files"][0]["storage_url"]
    assert "X-Amz-Signature=" in url
    assert requests.get(url, timeout=5).content == wav_bytes()


def test_local_storage_url_downloads_the_upload(staff_client, api_client):
    response = upload(staff_client, [wav_file("hello.wav")])

    url = response.json()["uploaded_files"][0]["storage_url"]
    download = api_client.get(url)
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == wav_bytes()


def test_repeated_names_get_numbered_suffixes_within_and_across_requests(staff_client, any_storage):
    first = upload(staff_client, [wav_file("question_001.wav"), wav_file("question_001.wav", tone=220)])
    session_id = first.json()["upload_session_id"]
    second = upload(staff_client, [wav_file("question_001.wav", tone=330), wav_file("other.wav")], session_id)

    assert second.status_code == 200
    assert second.json()["upload_session_id"] == session_id
    names = [item["filename"] for item in first.json()["uploaded_files"] + second.json()["uploaded_files"]]
    assert names == ["question_001.wav", "question_001_1.wav", "question_001_2.wav", "other.wav"]
    assert [item["original_filename"] for item in second.json()["uploaded_files"]] == ["question_001.wav", "other.wav"]
    assert read_object(f"audio/uploads/{session_id}/question_001_2.wav") == wav_bytes(tone=330)
    assert f"/audio/uploads/{session_id}/question_001_1.wav" in first.json()["uploaded_files"][1]["storage_url"]


def test_path_components_are_stripped_from_file_names(staff_client):
    response = upload(staff_client, [wav_file("../../etc/evil.wav"), wav_file("C:\\clips\\win.wav")])

    assert response.status_code == 200
    session_id = response.json()["upload_session_id"]
    assert [item["filename"] for item in response.json()["uploaded_files"]] == ["evil.wav", "win.wav"]
    assert stored_keys() == {f"audio/uploads/{session_id}/evil.wav", f"audio/uploads/{session_id}/win.wav"}


def test_non_audio_file_is_400_naming_it_and_nothing_of_the_request_is_stored(staff_client, any_storage):
    response = upload(staff_client, [wav_file("good.wav"), SimpleUploadedFile("notes.mp3", b"just some text here"),
                                     SimpleUploadedFile("movie.m4a", b"\x00\x00\x00\x18ftypqt  \x00\x00\x00\x00")])

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid_audio_file"
    assert "notes.mp3" in body["detail"] and "movie.m4a" in body["detail"]
    assert [item["filename"] for item in body["errors"]] == ["notes.mp3", "movie.m4a"]
    assert stored_keys() == set()
    assert not UploadSession.objects.exists()


def test_content_decides_and_the_extension_must_agree(staff_client):
    response = upload(staff_client, [SimpleUploadedFile("really_a_wav.mp3", wav_bytes())])

    assert response.status_code == 400
    assert "really_a_wav.mp3" in response.json()["detail"]
    assert "must end in .wav" in response.json()["errors"][0]["error"]


def test_file_over_the_limit_is_413_and_nothing_is_stored(staff_client, settings):
    settings.MAX_UPLOAD_BYTES = 1000
    response = upload(staff_client, [wav_file("small.wav"), wav_file("big.wav", frames=2000)])

    assert response.status_code == 413
    assert response.json()["code"] == "audio_file_too_large"
    assert "big.wav" in response.json()["detail"]
    assert stored_keys() == set()


def test_bad_file_added_to_an_existing_session_leaves_it_as_it_was(staff_client):
    session_id = upload(staff_client, [wav_file("a.wav")]).json()["upload_session_id"]

    response = upload(staff_client, [wav_file("b.wav"), SimpleUploadedFile("c.wav", b"nope")], session_id)

    assert response.status_code == 400
    assert list(UploadedFile.objects.values_list("stored_name", flat=True)) == ["a.wav"]
    assert stored_keys() == {f"audio/uploads/{session_id}/a.wav"}


def test_no_files_is_400(staff_client):
    response = staff_client.post(AUDIO_URL, {}, format="multipart")

    assert response.status_code == 400
    assert "files" in response.json()["errors"]


@pytest.mark.parametrize("session_id", ["00000000-0000-0000-0000-000000000000", "not-a-uuid"])
def test_unknown_session_is_404(staff_client, session_id):
    response = upload(staff_client, [wav_file("a.wav")], session_id)

    assert response.status_code == 404
    assert response.json()["code"] == "upload_session_not_found"
    assert stored_keys() == set()


def test_expired_session_is_404(staff_client):
    session_id = upload(staff_client, [wav_file("a.wav")]).json()["upload_session_id"]
    UploadSession.objects.filter(pk=session_id).update(expires_at=timezone.now() - timedelta(seconds=1))

    response = upload(staff_client, [wav_file("b.wav")], session_id)

    assert response.status_code == 404


def test_another_staff_member_may_add_to_an_open_session(staff_client):
    session_id = upload(staff_client, [wav_file("a.wav")]).json()["upload_session_id"]
    colleague = StaffUserFactory()
    staff_client.credentials(**bearer(colleague))

    response = upload(staff_client, [wav_file("b.wav")], session_id)

    assert response.status_code == 200
    assert UploadedFile.objects.filter(session_id=session_id).count() == 2


def test_anonymous_is_401_and_learner_is_403(api_client, auth_client):
    assert upload(api_client, [wav_file("a.wav")]).status_code == 401
    assert upload(auth_client, [wav_file("a.wav")]).status_code == 403
    assert stored_keys() == set()


def test_upload_endpoints_declare_the_admin_rate_limit_scope():
    from content.apis import SpeechExportApi
    from imports import apis

    assert {apis.ImportAudioApi.rate_limit_scope, apis.ImportCsvApi.rate_limit_scope,
            SpeechExportApi.rate_limit_scope} == {"admin"}


def test_files_cannot_be_added_to_an_imported_session(staff_client):
    session_id = upload(staff_client, [wav_file("a.wav")]).json()["upload_session_id"]
    UploadSession.objects.filter(pk=session_id).update(state=UploadSession.State.IMPORTED)

    response = upload(staff_client, [wav_file("b.wav")], session_id)

    assert response.status_code == 409
    assert response.json()["code"] == "upload_session_imported"
    assert list(UploadedFile.objects.values_list("stored_name", flat=True)) == ["a.wav"]
