"""`content.services.create_speeches`: the one bulk write path of imports and the seed."""

import re
import uuid

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection

from audit.models import AuditLog
from content import services
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
