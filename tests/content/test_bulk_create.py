"""`content.services.create_speeches` / `write_speeches`: the one bulk write path of imports and the seed."""

import re
import uuid

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django.utils import timezone

from audit.models import AuditLog
from content import services
from content.exceptions import SpeechNotFound
from content.models import Speech, SpeechTag, Tag
from core.exceptions import InvalidInput
from tests.content.factories import EMPTY_WAV, SpeechFactory, TagFactory
from tests.imports.helpers import stored_keys

pytestmark = pytest.mark.django_db


def stored_sources(*names: str) -> list[str]:
    return [default_storage.save(f"incoming/{name}", ContentFile(EMPTY_WAV + name.encode())) for name in names]


def test_creates_speeches_links_and_missing_tags_by_the_tag_naming_rule(auth_client):
    food = TagFactory(name="Food")
    items = [
        services.NewSpeech("One", "A1", "question", ("food", "Past  Simple"), "audio/A1/one.wav"),
        services.NewSpeech("Two", "A1", "question", ("past simple", "Travel"), "audio/A1/two.wav"),
    ]
    served = auth_client.post("/api/v1/game/speeches/random", {"level": "A1", "type": "question",
                                                                "tags": [str(food.id)]}, format="json")
    assert served.json()["speeches"] == []  # now cached as empty

    created = services.create_speeches(items=items, copy_audio=False, source="test")

    assert created.tags_created == ["Past Simple", "Travel"]  # first spelling, whitespace collapsed
    assert created.audio_keys == ["audio/A1/one.wav", "audio/A1/two.wav"]
    speeches = {s.id: s for s in Speech.objects.prefetch_related("tags")}
    assert [speeches[speech_id].text for speech_id in created.ids] == ["One", "Two"]
    assert sorted(t.name for t in speeches[created.ids[0]].tags.all()) == ["Food", "Past Simple"]
    assert Tag.objects.count() == 3
    audit = AuditLog.objects.get(action="speech.bulk_create")
    assert audit.changes == {"source": "test", "speeches_created": 2, "tags_created": ["Past Simple", "Travel"]}
    served = auth_client.post("/api/v1/game/speeches/random", {"level": "A1", "type": "question",
                                                                "tags": [str(food.id)]}, format="json")
    assert [s["text"] for s in served.json()["speeches"]] == ["One"]


def test_copies_audio_to_the_speeches_own_keys_and_leaves_the_sources(any_storage):
    sources = stored_sources("hello.wav", "bye.wav")

    created = services.create_speeches(items=[
        services.NewSpeech("Hello", "B1", "answer", (), sources[0]),
        services.NewSpeech("Bye", "C1", "answer", (), sources[1]),
    ], copy_audio=True)

    assert re.fullmatch(r"audio/B1/hello-[0-9a-f]{12}\.wav", created.audio_keys[0])
    assert re.fullmatch(r"audio/C1/bye-[0-9a-f]{12}\.wav", created.audio_keys[1])
    assert stored_keys() == set(sources) | set(created.audio_keys)
    with default_storage.open(created.audio_keys[1], "rb") as copy:
        assert copy.read() == EMPTY_WAV + b"bye.wav"
    assert set(Speech.objects.values_list("audio", flat=True)) == set(created.audio_keys)


def test_a_named_batch_copies_into_its_own_folders_which_delete_batch_audio_empties(any_storage):
    sources = stored_sources("hello.wav", "bye.wav")
    created = services.create_speeches(items=[
        services.NewSpeech("Hello", "B1", "answer", (), sources[0]),
        services.NewSpeech("Bye", "C1", "answer", (), sources[1]),
    ], copy_audio=True, batch="kept")
    # What a killed batch leaves: copies in its folders that no speech points at...
    left = [default_storage.save(f"audio/{level}/killed/clip-0123456789ab.wav", ContentFile(EMPTY_WAV))
            for level in ("A1", "C1")]
    # ...and one an editor has since chosen as a speech's audio (any stored key may be).
    chosen = SpeechFactory(audio=default_storage.save("audio/B2/killed/chosen.wav", ContentFile(EMPTY_WAV)))

    assert re.fullmatch(r"audio/B1/kept/hello-[0-9a-f]{12}\.wav", created.audio_keys[0])
    assert re.fullmatch(r"audio/C1/kept/bye-[0-9a-f]{12}\.wav", created.audio_keys[1])
    assert services.delete_batch_audio(batch="killed") == 2
    assert stored_keys() == set(sources) | set(created.audio_keys) | {chosen.audio.name}
    assert not set(left) & stored_keys()
    assert services.delete_batch_audio(batch="killed") == 0


def test_a_failing_hook_rolls_everything_back_and_removes_the_copies(any_storage):
    sources = stored_sources("a.wav", "b.wav")
    calls = []

    def hook():
        calls.append("hook")
        Tag.objects.create(name="Written by the hook")
        raise RuntimeError("the caller's own check failed")

    with pytest.raises(RuntimeError):
        services.create_speeches(items=[services.NewSpeech("A", "A1", "answer", ("New",), key) for key in sources],
                                 copy_audio=True, in_transaction=hook)

    assert calls == ["hook"]
    assert not Speech.objects.exists() and not Tag.objects.exists()
    assert stored_keys() == set(sources)


@pytest.mark.django_db(transaction=True)
def test_a_failing_commit_removes_the_copies():
    sources = stored_sources("a.wav")
    tag = TagFactory()

    def link_to_a_missing_speech():
        # Foreign keys are checked at commit (deferred): the commit itself fails.
        SpeechTag.objects.bulk_create([SpeechTag(speech_id=uuid.uuid4(), tag=tag)])

    with pytest.raises(Exception, match="(?i)foreign key|integrity"):
        services.create_speeches(items=[services.NewSpeech("A", "A1", "answer", (), sources[0])],
                                 copy_audio=True, in_transaction=link_to_a_missing_speech)

    assert not Speech.objects.exists()
    assert stored_keys() == set(sources)


def test_invalid_items_are_refused_before_anything_is_written():
    with pytest.raises(InvalidInput) as refused:
        services.create_speeches(items=[
            services.NewSpeech("Fine", "A1", "answer", ("New",), "audio/A1/a.wav"),
            services.NewSpeech("  ", "Z9", "statement", (), ""),
        ], copy_audio=False)

    assert refused.value.errors["items"] == [
        "Item 1: text: This field may not be blank.", "Item 1: level: Must be one of A1, A2, B1, B2, C1.",
        "Item 1: type: Must be one of question, answer.", "Item 1: audio_key: A stored audio object is required."]
    assert not Speech.objects.exists() and not Tag.objects.exists()


def test_a_large_batch_keeps_the_items_order():
    # Past COPY_MIN_ROWS: PostgreSQL loads it with COPY, other databases with bulk INSERTs.
    count = services.bulk.COPY_MIN_ROWS + 5
    items = [services.NewSpeech(f"Sentence {n}", "A2", "answer", ("Batch",), f"audio/A2/{n}.wav")
             for n in range(count)]

    created = services.create_speeches(items=items, copy_audio=False)

    assert Speech.objects.count() == count and SpeechTag.objects.count() == count
    stamps = dict(Speech.objects.values_list("id", "created_at"))
    in_item_order = [stamps[speech_id] for speech_id in created.ids]
    assert in_item_order == sorted(in_item_order)  # lists and exports sort by created_at
    if connection.vendor == "postgresql":
        assert len(set(in_item_order)) == count


# --- updates in the same write (issue 15) ----------------------------------------------------------

def test_creates_and_updates_go_in_one_write_with_tags_audio_audit_and_caches(
        any_storage, auth_client, django_capture_on_commit_callbacks):
    food, old_tag = TagFactory(name="Food"), TagFactory(name="Old")
    kept_audio = SpeechFactory(text="Keeps its audio", level="A1", type="question", tags=[food, old_tag])
    new_audio = SpeechFactory(text="Gets new audio", level="A1", type="question")
    old_keys = {kept_audio.id: kept_audio.audio.name, new_audio.id: new_audio.audio.name}
    body = {"level": "B2", "type": "answer", "tags": [str(food.id)]}
    assert auth_client.post("/api/v1/game/speeches/random", body, format="json").json()["speeches"] == []
    sources = stored_sources("created.wav", "replacement.wav")

    with django_capture_on_commit_callbacks(execute=True):
        written = services.write_speeches(
            items=[services.NewSpeech("Created", "A1", "answer", ("Fresh",), sources[0])],
            updates=[services.SpeechUpdate(kept_audio.id, " Edited text ", "B2", "answer", ("food", "Fresh")),
                     services.SpeechUpdate(new_audio.id, "Gets new audio", "C1", "question", (), sources[1])],
            copy_audio=True, batch="b1", source="test")

    assert written.updated_ids == [kept_audio.id, new_audio.id] and written.tags_created == ["Fresh"]
    kept_audio = Speech.objects.prefetch_related("tags").get(pk=kept_audio.id)
    assert (kept_audio.text, kept_audio.level, kept_audio.type) == ("Edited text", "B2", "answer")
    assert sorted(t.name for t in kept_audio.tags.all()) == ["Food", "Fresh"]
    assert kept_audio.audio.name == old_keys[kept_audio.id]
    new_audio.refresh_from_db()
    assert re.fullmatch(r"audio/C1/b1/replacement-[0-9a-f]{12}\.wav", new_audio.audio.name)
    assert not default_storage.exists(old_keys[new_audio.id])  # deleted after the commit
    assert stored_keys() == set(sources) | set(Speech.objects.values_list("audio", flat=True))
    assert new_audio.tags.count() == 0
    assert AuditLog.objects.get(action="speech.bulk_create").changes["speeches_created"] == 1
    assert AuditLog.objects.get(action="speech.bulk_update").changes == {
        "source": "test", "speeches_updated": 2, "audio_replaced": 1,
        "speech_ids": [str(kept_audio.id), str(new_audio.id)]}
    served = auth_client.post("/api/v1/game/speeches/random", body, format="json").json()["speeches"]
    assert [s["text"] for s in served] == ["Edited text"]


def test_a_failure_after_the_copies_rolls_the_updates_back_and_removes_them(any_storage, monkeypatch):
    speech = SpeechFactory(text="Before", level="A1")
    old_key = speech.audio.name
    sources = stored_sources("new.wav")

    def fail(*args, **kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(services.bulk, "_apply_updates", fail)
    with pytest.raises(RuntimeError):
        services.write_speeches(items=[], updates=[services.SpeechUpdate(speech.id, "After", "A1", "answer", (),
                                                                          sources[0])], copy_audio=True, batch="b2")

    speech.refresh_from_db()
    assert (speech.text, speech.audio.name) == ("Before", old_key)
    assert stored_keys() == set(sources) | {old_key}


def test_an_update_of_an_archived_or_unknown_speech_writes_nothing():
    archived = SpeechFactory(text="Archived", archived_at=timezone.now())
    unknown = uuid.uuid4()

    with pytest.raises(SpeechNotFound) as refused:
        services.write_speeches(
            items=[services.NewSpeech("New", "A1", "answer", ("Fresh",), "audio/A1/new.wav")],
            updates=[services.SpeechUpdate(archived.id, "X", "A1", "answer"),
                     services.SpeechUpdate(unknown, "Y", "A1", "answer")], copy_audio=False)

    assert refused.value.errors == {"speech_ids": [str(archived.id), str(unknown)]}
    assert Speech.objects.count() == 1 and not Tag.objects.exists()
    assert Speech.objects.get().text == "Archived"


def test_invalid_or_repeated_updates_are_refused_before_anything_is_written():
    speech = SpeechFactory(text="Same")

    with pytest.raises(InvalidInput) as refused:
        services.write_speeches(items=[], updates=[
            services.SpeechUpdate(speech.id, " ", "Z9", "answer"),
            services.SpeechUpdate(speech.id, "Ok", "A1", "answer"),
        ], copy_audio=False)

    assert refused.value.errors["items"] == [
        f"Speech {speech.id}: text: This field may not be blank.",
        f"Speech {speech.id}: level: Must be one of A1, A2, B1, B2, C1.", "A speech is updated more than once."]
    assert Speech.objects.get().text == "Same"
