import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from audit.models import AuditLog
from content.demo.sentences import SENTENCES, clip_name
from content.models import Speech, Tag
from content.seeding import AUDIO_DIR
from tests.content.factories import EMPTY_WAV, SpeechFactory, TagFactory

pytestmark = pytest.mark.django_db

SPEECHES = "/admin/content/speech/"
TAGS = "/admin/content/tag/"
CLIP = (AUDIO_DIR / clip_name(SENTENCES[0].text)).read_bytes()


def listed_ids(response) -> set[str]:
    return set(re.findall(r'name="_selected_action" value="([0-9a-f-]{36})"', response.content.decode()))


def run_action(client, action: str, speeches, url=SPEECHES, **extra):
    return client.post(url, {"action": action, "_selected_action": [str(s.pk) for s in speeches], **extra},
                       follow=True)


# --- speech list ---------------------------------------------------------------------------

def test_list_shows_text_tags_and_a_signed_audio_player(admin_client):
    speech = SpeechFactory(text="Where do you live?", tags=[TagFactory(name="Home"), TagFactory(name="Travel")])

    response = admin_client.get(SPEECHES)

    assert response.status_code == 200
    html = response.content.decode()
    assert "Where do you live?" in html and "Home, Travel" in html
    src = re.search(r'<audio controls preload="none" src="([^"]+)"', html).group(1).replace("&amp;", "&")
    audio = admin_client.get(src)
    assert audio.status_code == 200 and b"".join(audio.streaming_content) == EMPTY_WAV
    assert listed_ids(response) == {str(speech.pk)}


def test_archived_speeches_are_hidden_unless_the_filter_asks(admin_client):
    active = SpeechFactory()
    archived = SpeechFactory(archived_at=timezone.now())

    assert listed_ids(admin_client.get(SPEECHES)) == {str(active.pk)}
    assert listed_ids(admin_client.get(SPEECHES, {"archived": "yes"})) == {str(archived.pk)}
    assert listed_ids(admin_client.get(SPEECHES, {"archived": "all"})) == {str(active.pk), str(archived.pk)}


def test_list_filters_and_search(admin_client):
    food = TagFactory(name="Food")
    pasta = SpeechFactory(text="I like cooking pasta.", level="B1", tags=[food])
    SpeechFactory(text="I like cooking rice.", level="A1", tags=[food])
    SpeechFactory(text="Where is the station?", level="B1")

    assert listed_ids(admin_client.get(SPEECHES, {"level__exact": "B1", "tag": str(food.pk)})) == {
        str(pasta.pk)}
    assert listed_ids(admin_client.get(SPEECHES, {"q": "pasta"})) == {str(pasta.pk)}


def test_list_query_count_does_not_grow_with_the_page(admin_client):
    tags = [TagFactory() for _ in range(3)]
    SpeechFactory(tags=tags)
    admin_client.get(SPEECHES)  # session and permission caches warm
    with CaptureQueriesContext(connection) as few:
        admin_client.get(SPEECHES)
    for _ in range(30):
        SpeechFactory(tags=tags[:2])
    with CaptureQueriesContext(connection) as many:
        admin_client.get(SPEECHES)

    assert len(few) == len(many)


# --- speech add / change -------------------------------------------------------------------

def test_add_speech_with_audio_and_tags(admin_client, admin_user):
    food, travel = TagFactory(name="Food"), TagFactory(name="Travel")

    response = admin_client.post(f"{SPEECHES}add/", {
        "text": "What is your name?", "level": "A1", "type": "question",
        "tag_choices": [str(food.pk), str(travel.pk)],
        "audio_upload": SimpleUploadedFile("name.mp3", CLIP, content_type="audio/mpeg"),
    })

    assert response.status_code == 302
    speech = Speech.objects.get()
    assert (speech.text, speech.level, speech.type) == ("What is your name?", "A1", "question")
    assert sorted(speech.tags.values_list("name", flat=True)) == ["Food", "Travel"]
    assert speech.audio.read() == CLIP
    assert AuditLog.objects.get(action="speech.create").actor == admin_user


@pytest.mark.parametrize("upload", [None, SimpleUploadedFile("x.mp3", b"not audio at all", content_type="audio/mpeg")])
def test_add_speech_without_valid_audio_shows_an_error(admin_client, upload):
    data = {"text": "Hi.", "level": "A1", "type": "answer"}
    if upload:
        data["audio_upload"] = upload

    response = admin_client.post(f"{SPEECHES}add/", data)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["audio_upload"]
    assert not Speech.objects.exists()


def test_change_speech_goes_through_the_service(admin_client, auth_client):
    food, travel = TagFactory(name="Food"), TagFactory(name="Travel")
    speech = SpeechFactory(text="Old text.", level="A1", type="question", tags=[food])
    body = {"level": "A1", "type": "question", "tags": [str(travel.pk)]}
    assert auth_client.post("/api/v1/game/speeches/random", body, format="json").json()["speeches"] == []

    page = admin_client.get(f"{SPEECHES}{speech.pk}/change/")
    assert page.status_code == 200 and "<audio controls" in page.content.decode()
    response = admin_client.post(f"{SPEECHES}{speech.pk}/change/", {
        "text": "New text.", "level": "A1", "type": "question", "tag_choices": [str(travel.pk)]})

    assert response.status_code == 302
    speech.refresh_from_db()
    assert speech.text == "New text."
    assert list(speech.tags.values_list("name", flat=True)) == ["Travel"]
    audit = AuditLog.objects.get(action="speech.update")
    assert audit.changes["before"]["text"] == "Old text." and audit.changes["after"]["text"] == "New text."
    served = auth_client.post("/api/v1/game/speeches/random", body, format="json").json()["speeches"]
    assert [s["text"] for s in served] == ["New text."]


def test_speeches_cannot_be_deleted_only_archived(admin_client):
    speech = SpeechFactory()

    response = admin_client.get(f"{SPEECHES}{speech.pk}/delete/")

    assert response.status_code == 403
    assert "delete_selected" not in admin_client.get(SPEECHES).content.decode()
    assert Speech.objects.filter(pk=speech.pk).exists()


# --- speech actions ------------------------------------------------------------------------

def test_add_and_remove_a_tag_on_selected_speeches(admin_client):
    food = TagFactory(name="Food")
    chosen = [SpeechFactory(), SpeechFactory(tags=[food])]
    other = SpeechFactory()

    response = run_action(admin_client, "add_tag", chosen, tag=str(food.pk))

    assert "added to 1 speech(es)" in response.content.decode()
    assert set(food.speeches.all()) == set(chosen)
    run_action(admin_client, "remove_tag", [chosen[0], other], tag=str(food.pk))
    assert list(food.speeches.all()) == [chosen[1]]
    assert AuditLog.objects.filter(action__in=["speech.add_tag", "speech.remove_tag"]).count() == 2


def test_an_action_without_its_choice_changes_nothing(admin_client):
    speech = SpeechFactory(level="A1")

    response = run_action(admin_client, "set_level", [speech])

    assert "Choose a level" in response.content.decode()
    speech.refresh_from_db()
    assert speech.level == "A1"


def test_set_level_archive_and_restore(admin_client, auth_client):
    tag = TagFactory()
    speeches = [SpeechFactory(level="A1", type="answer", tags=[tag]) for _ in range(2)]
    body = {"level": "C1", "type": "answer", "tags": [str(tag.pk)]}

    run_action(admin_client, "set_level", speeches, level="C1")
    assert {s.level for s in Speech.objects.all()} == {"C1"}
    assert len(auth_client.post("/api/v1/game/speeches/random", body, format="json").json()["speeches"]) == 2

    run_action(admin_client, "archive", speeches[:1])
    assert Speech.objects.filter(archived_at__isnull=False).get() == speeches[0]
    assert len(auth_client.post("/api/v1/game/speeches/random", body, format="json").json()["speeches"]) == 1

    run_action(admin_client, "restore", speeches[:1], url=f"{SPEECHES}?archived=yes")  # where editors see them
    assert not Speech.objects.filter(archived_at__isnull=False).exists()
    assert len(auth_client.post("/api/v1/game/speeches/random", body, format="json").json()["speeches"]) == 2


# --- tags ----------------------------------------------------------------------------------

def test_tag_list_shows_speech_counts_with_one_tag_query(admin_client):
    food = TagFactory(name="Food", category="topic")
    TagFactory(name="Past Simple", category="tense")
    SpeechFactory(tags=[food])
    SpeechFactory(tags=[food], archived_at=timezone.now())
    admin_client.get(TAGS)

    with CaptureQueriesContext(connection) as queries:
        response = admin_client.get(TAGS, {"category": "topic"})

    html = response.content.decode()
    assert "Food" in html and "Past Simple" not in html.split("result_list")[1]
    assert re.search(r'<td class="field-speech_count">1</td>', html)
    listing = [q["sql"] for q in queries.captured_queries if "content_speech_tags" in q["sql"]]
    assert len(listing) == 1, listing


def test_add_tag_with_a_taken_name_in_another_case_is_a_form_error(admin_client):
    TagFactory(name="Food")

    response = admin_client.post(f"{TAGS}add/", {"name": "FOOD", "category": "topic"})

    assert response.status_code == 200
    assert Tag.objects.count() == 1


def test_add_and_rename_a_tag_invalidate_the_public_list(admin_client, api_client):
    assert api_client.get("/api/v1/tags").json()["tags"] == []

    admin_client.post(f"{TAGS}add/", {"name": "Weather", "category": "topic"})
    tag = Tag.objects.get()
    assert [t["name"] for t in api_client.get("/api/v1/tags").json()["tags"]] == ["Weather"]

    admin_client.post(f"{TAGS}{tag.pk}/change/", {"name": "Climate", "category": "topic"})
    assert [t["name"] for t in api_client.get("/api/v1/tags").json()["tags"]] == ["Climate"]
    assert AuditLog.objects.get(action="tag.update").changes == {"before": {"name": "Weather"},
                                                                   "after": {"name": "Climate"}}


def test_deleting_a_tag_in_use_is_refused_and_an_unused_one_is_deleted(admin_client):
    used, unused = TagFactory(name="Used"), TagFactory(name="Unused")
    SpeechFactory(tags=[used])

    refused = admin_client.post(f"{TAGS}{used.pk}/delete/", {"post": "yes"})
    deleted = admin_client.post(f"{TAGS}{unused.pk}/delete/", {"post": "yes"})

    assert "remove it from them first" in refused.content.decode()
    assert deleted.status_code == 302
    assert list(Tag.objects.values_list("name", flat=True)) == ["Used"]
    assert AuditLog.objects.get(action="tag.delete").changes["before"]["name"] == "Unused"
