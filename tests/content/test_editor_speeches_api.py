import uuid

import pytest
import requests
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from audit.models import AuditLog
from content import selectors
from content.demo.sentences import SENTENCES, clip_name
from content.models import Speech
from content.seeding import AUDIO_DIR
from core.storage import s3_storage_options
from tests.conftest import bearer
from tests.content.factories import EMPTY_WAV, SpeechFactory, TagFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/admin/speeches"
CLIP = (AUDIO_DIR / clip_name(SENTENCES[0].text)).read_bytes()  # "What is your name?"
M4A_HEAD = b"\x00\x00\x00\x20ftypM4A \x00\x00\x00\x00isomM4A mp42" + b"\x00" * 64


def mp3_upload(name="new.mp3", data=CLIP):
    return SimpleUploadedFile(name, data, content_type="audio/mpeg")


def stored_bytes(name: str) -> bytes:
    with default_storage.open(name, "rb") as stored:
        return stored.read()


def download(api_client, url: str) -> bytes:
    if url.startswith("http://testserver/"):
        response = api_client.get(url)
        assert response.status_code == 200
        return b"".join(response.streaming_content)
    return requests.get(url, timeout=5).content


# --- list ----------------------------------------------------------------------------------

def test_list_is_paginated_newest_first_with_tags(staff_client):
    tag = TagFactory(name="Food")
    speeches = [SpeechFactory(tags=[tag]) for _ in range(3)]

    response = staff_client.get(URL, {"limit": 2})

    assert response.status_code == 200
    body = response.json()
    assert body["pagination"] == {"page": 1, "limit": 2, "total": 3, "total_pages": 2}
    assert [s["id"] for s in body["speeches"]] == [str(speeches[2].id), str(speeches[1].id)]
    item = body["speeches"][0]
    assert set(item) == {"id", "audio_url", "text", "level", "type", "tags", "created_at", "updated_at"}
    assert item["tags"] == [{"id": str(tag.id), "name": "Food"}]
    assert staff_client.get(URL, {"limit": 2, "page": 2}).json()["speeches"][0]["id"] == str(speeches[0].id)


def test_list_defaults_to_fifty_and_allows_up_to_two_hundred(staff_client):
    assert staff_client.get(URL).json()["pagination"]["limit"] == 50
    assert staff_client.get(URL, {"limit": 200}).status_code == 200
    assert staff_client.get(URL, {"limit": 201}).status_code == 400


def test_list_filters_combine(staff_client):
    food, travel = TagFactory(name="Food"), TagFactory(name="Travel")
    wanted = SpeechFactory(level="B1", type="answer", text="I like cooking pasta.", tags=[food, travel])
    SpeechFactory(level="B1", type="answer", text="I like cooking rice.", tags=[travel])
    SpeechFactory(level="B1", type="question", text="Do you like cooking?", tags=[food])
    SpeechFactory(level="A1", type="answer", text="I like cooking soup.", tags=[food])

    response = staff_client.get(URL, {"level": "B1", "type": "answer", "tag_id": str(food.id)})

    assert [s["id"] for s in response.json()["speeches"]] == [str(wanted.id)]
    assert response.json()["pagination"]["total"] == 1


def test_list_search_finds_words_in_the_text(staff_client):
    pasta = SpeechFactory(text="I like cooking pasta.")
    SpeechFactory(text="Where is the station?")

    response = staff_client.get(URL, {"search": "pasta"})

    assert [s["id"] for s in response.json()["speeches"]] == [str(pasta.id)]


def test_list_hides_archived_speeches(staff_client):
    active = SpeechFactory()
    SpeechFactory(archived_at=timezone.now())

    response = staff_client.get(URL)

    assert [s["id"] for s in response.json()["speeches"]] == [str(active.id)]


@pytest.mark.parametrize("params", [{"level": "Z9"}, {"type": "statement"}, {"tag_id": "nope"}, {"page": 0},
                                    {"limit": 0}])
def test_list_with_invalid_filters_is_400(staff_client, params):
    response = staff_client.get(URL, params)

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_input"


def test_list_query_count_does_not_grow_with_the_page(staff_client):
    tags = [TagFactory() for _ in range(3)]
    SpeechFactory(tags=tags)
    with CaptureQueriesContext(connection) as one:
        staff_client.get(URL)
    for _ in range(20):
        SpeechFactory(tags=tags)
    with CaptureQueriesContext(connection) as many:
        staff_client.get(URL)

    assert len(one) == len(many)


# --- get -----------------------------------------------------------------------------------

def test_get_returns_the_speech(staff_client):
    speech = SpeechFactory(tags=[TagFactory(name="Work")], level="C1", type="answer")

    response = staff_client.get(f"{URL}/{speech.id}")

    assert response.status_code == 200
    assert response.json()["text"] == speech.text
    assert (response.json()["level"], response.json()["type"]) == ("C1", "answer")
    assert response.json()["tags"][0]["name"] == "Work"


def test_get_unknown_or_archived_is_404(staff_client):
    archived = SpeechFactory(archived_at=timezone.now())

    assert staff_client.get(f"{URL}/{uuid.uuid4()}").status_code == 404
    assert staff_client.get(f"{URL}/{archived.id}").json()["code"] == "speech_not_found"
    assert staff_client.get(f"{URL}/not-a-uuid").status_code == 404


# --- create --------------------------------------------------------------------------------

def test_create_with_an_uploaded_file(staff_client, staff_user, api_client, any_storage):
    food, travel = TagFactory(name="Food"), TagFactory(name="Travel")

    response = staff_client.post(URL, {"text": " What is your name? ", "level": "A1", "type": "question",
                                       "tag_ids": [str(food.id), str(travel.id)], "audio": mp3_upload()},
                                 format="multipart")

    assert response.status_code == 201
    body = response.json()
    speech = Speech.objects.get(pk=body["id"])
    assert (speech.text, speech.level, speech.type) == ("What is your name?", "A1", "question")
    assert speech.audio.name.startswith("audio/A1/") and speech.audio.name.endswith(".mp3")
    assert stored_bytes(speech.audio.name) == CLIP
    assert sorted(t["name"] for t in body["tags"]) == ["Food", "Travel"]
    assert download(api_client, body["audio_url"]) == CLIP
    audit = AuditLog.objects.get(action="speech.create")
    assert (audit.actor, audit.object_id) == (staff_user, str(speech.id))
    assert audit.changes["after"]["text"] == "What is your name?"


def test_create_defaults_to_the_answer_type(staff_client):
    response = staff_client.post(URL, {"text": "Fine, thanks.", "level": "A1", "audio": mp3_upload()},
                                 format="multipart")

    assert response.status_code == 201
    assert response.json()["type"] == "answer"
    assert response.json()["tags"] == []


@pytest.mark.parametrize(("name", "data", "extension"), [("a.wav", EMPTY_WAV, "wav"), ("b.m4a", M4A_HEAD, "m4a"),
                                                         ("misnamed.txt", CLIP, "mp3")])
def test_create_accepts_wav_and_m4a_judged_by_content(staff_client, name, data, extension):
    response = staff_client.post(URL, {"text": "Hi.", "level": "A1", "audio": mp3_upload(name, data)},
                                 format="multipart")

    assert response.status_code == 201
    assert Speech.objects.get().audio.name.endswith(f".{extension}")


def test_create_with_the_key_of_a_stored_object(staff_client, any_storage):
    key = default_storage.save("imports/batch-1/hello.mp3", ContentFile(CLIP))

    response = staff_client.post(URL, {"text": "What is your name?", "level": "A1", "type": "question",
                                       "audio_key": key}, format="json")

    assert response.status_code == 201
    assert Speech.objects.get().audio.name == key


@pytest.mark.parametrize("key", ["imports/nothing-here.mp3", "../../etc/passwd", "/etc/passwd"])
def test_create_with_a_key_that_is_not_stored_is_400(staff_client, key):
    response = staff_client.post(URL, {"text": "Hi.", "level": "A1", "audio_key": key}, format="json")

    assert response.status_code == 400
    assert "audio_key" in response.json()["errors"]
    assert not Speech.objects.exists()


def test_create_without_audio_or_with_both_is_400(staff_client):
    key = default_storage.save("imports/x.mp3", ContentFile(CLIP))

    missing = staff_client.post(URL, {"text": "Hi.", "level": "A1"}, format="json")
    both = staff_client.post(URL, {"text": "Hi.", "level": "A1", "audio_key": key, "audio": mp3_upload()},
                             format="multipart")

    assert missing.status_code == both.status_code == 400
    assert "audio" in missing.json()["errors"] and "audio" in both.json()["errors"]
    assert not Speech.objects.exists()


def test_create_with_a_file_that_is_not_audio_is_400_and_stores_nothing(staff_client, settings):
    response = staff_client.post(URL, {"text": "Hi.", "level": "A1",
                                       "audio": mp3_upload("x.mp3", b"%PDF-1.7 not audio at all")},
                                 format="multipart")

    assert response.status_code == 400
    assert response.json()["code"] == "unsupported_audio_format"
    assert not Speech.objects.exists()
    assert not (settings.MEDIA_ROOT / "audio").exists()


def test_create_with_a_too_large_file_is_413(staff_client, settings):
    settings.MAX_UPLOAD_BYTES = len(CLIP) - 1

    response = staff_client.post(URL, {"text": "Hi.", "level": "A1", "audio": mp3_upload()}, format="multipart")

    assert response.status_code == 413
    assert response.json()["code"] == "audio_too_large"
    assert not Speech.objects.exists()


def test_create_with_an_unknown_tag_is_400_and_leaves_no_file(staff_client, settings):
    response = staff_client.post(URL, {"text": "Hi.", "level": "A1", "tag_ids": [str(uuid.uuid4())],
                                       "audio": mp3_upload()}, format="multipart")

    assert response.status_code == 400
    assert response.json()["code"] == "unknown_tags"
    assert not Speech.objects.exists()
    assert not list(settings.MEDIA_ROOT.rglob("*.mp3"))


def test_storage_outage_is_503_and_writes_nothing(staff_client, settings):
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": s3_storage_options(bucket="audio", endpoint_url="http://127.0.0.1:9", access_key="k",
                                      secret_key="s", region="us-east-1"),
    }}

    response = staff_client.post(URL, {"text": "Hi.", "level": "A1", "audio": mp3_upload()}, format="multipart")

    assert response.status_code == 503
    assert response.json()["code"] == "storage_unavailable"
    assert not Speech.objects.exists()


@pytest.mark.parametrize(("body", "field"), [
    ({"level": "A1"}, "text"), ({"text": "   ", "level": "A1"}, "text"), ({"text": "Hi."}, "level"),
    ({"text": "Hi.", "level": "Z1"}, "level"), ({"text": "Hi.", "level": "A1", "type": "other"}, "type"),
    ({"text": "Hi.", "level": "A1", "tag_ids": ["nope"]}, "tag_ids"), ({"text": "x" * 1001, "level": "A1"}, "text"),
])
def test_create_with_invalid_fields_is_400(staff_client, body, field):
    response = staff_client.post(URL, {**body, "audio": mp3_upload()}, format="multipart")

    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert not Speech.objects.exists()


# --- update --------------------------------------------------------------------------------

def test_update_changes_only_the_given_fields(staff_client, staff_user):
    food, travel, work = TagFactory(name="Food"), TagFactory(name="Travel"), TagFactory(name="Work")
    speech = SpeechFactory(text="How are you today?", level="A1", type="question", tags=[food, travel])

    response = staff_client.put(f"{URL}/{speech.id}", {"text": "How are you doing today?",
                                                       "tag_ids": [str(food.id), str(work.id)]}, format="json")

    assert response.status_code == 200
    assert response.json()["text"] == "How are you doing today?"
    assert sorted(t["name"] for t in response.json()["tags"]) == ["Food", "Work"]
    speech.refresh_from_db()
    assert (speech.level, speech.type) == ("A1", "question")
    assert sorted(speech.tags.values_list("name", flat=True)) == ["Food", "Work"]
    audit = AuditLog.objects.get(action="speech.update")
    assert audit.actor == staff_user
    assert audit.changes["before"]["text"] == "How are you today?"
    assert audit.changes["after"]["text"] == "How are you doing today?"
    assert "level" not in audit.changes["after"]


def test_update_with_new_audio_replaces_and_removes_the_old_file(staff_client, django_capture_on_commit_callbacks):
    speech = SpeechFactory()
    old = speech.audio.name

    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.put(f"{URL}/{speech.id}", {"audio": mp3_upload()}, format="multipart")

    assert response.status_code == 200
    speech.refresh_from_db()
    assert speech.audio.name != old and stored_bytes(speech.audio.name) == CLIP
    assert not default_storage.exists(old)


def test_update_keeps_an_old_file_other_speeches_use(staff_client, django_capture_on_commit_callbacks):
    first = SpeechFactory()
    second = SpeechFactory(audio=first.audio.name)

    with django_capture_on_commit_callbacks(execute=True):
        staff_client.put(f"{URL}/{first.id}", {"audio": mp3_upload()}, format="multipart")

    assert default_storage.exists(second.audio.name)


def test_update_with_invalid_values_is_400_and_changes_nothing(staff_client):
    speech = SpeechFactory(text="Unchanged.")

    for body in ({"text": ""}, {"level": "Q"}, {"tag_ids": [str(uuid.uuid4())]}, {"audio_key": "missing.mp3"}):
        assert staff_client.put(f"{URL}/{speech.id}", body, format="json").status_code == 400
    speech.refresh_from_db()
    assert speech.text == "Unchanged."


def test_update_unknown_or_archived_is_404(staff_client):
    archived = SpeechFactory(archived_at=timezone.now())

    assert staff_client.put(f"{URL}/{uuid.uuid4()}", {"text": "x"}, format="json").status_code == 404
    assert staff_client.put(f"{URL}/{archived.id}", {"text": "x"}, format="json").status_code == 404


# --- delete (archive) ----------------------------------------------------------------------

def test_delete_archives_the_speech_and_keeps_it_for_history(staff_client, staff_user):
    tag = TagFactory()
    speech = SpeechFactory(tags=[tag])

    response = staff_client.delete(f"{URL}/{speech.id}")

    assert response.status_code == 204
    speech.refresh_from_db()
    assert speech.archived_at is not None
    assert staff_client.get(f"{URL}/{speech.id}").status_code == 404
    assert staff_client.get(URL).json()["speeches"] == []
    assert staff_client.delete(f"{URL}/{speech.id}").status_code == 404
    kept = selectors.speech_for_learner(speech_id=speech.id)  # what game history reads
    assert [t.id for t in kept.tags.all()] == [tag.id]
    assert default_storage.exists(speech.audio.name)
    assert AuditLog.objects.get(action="speech.archive").actor == staff_user


# --- access --------------------------------------------------------------------------------

@pytest.mark.parametrize(("method", "path"), [("get", URL), ("post", URL), ("get", URL + "/ID"),
                                              ("put", URL + "/ID"), ("delete", URL + "/ID")])
def test_learners_get_403_and_anonymous_401(api_client, user, method, path):
    speech = SpeechFactory(text="Original.")
    path = path.replace("ID", str(speech.id))

    anonymous = getattr(api_client, method)(path, {"text": "Changed."}, format="json")
    api_client.credentials(**bearer(user))
    learner = getattr(api_client, method)(path, {"text": "Changed."}, format="json")

    assert anonymous.status_code == 401
    assert learner.status_code == 403
    speech.refresh_from_db()
    assert (speech.text, speech.archived_at) == ("Original.", None)
