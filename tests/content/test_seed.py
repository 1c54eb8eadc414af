import io
import re
from collections import Counter, defaultdict

import pytest
from django.contrib.auth import get_user_model
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command

from content.demo.make_clips import recognise, words
from content.demo.sentences import SENTENCES, TAGS, clip_name
from content.models import Level, SentenceType, Speech, SpeechTag, Tag
from content.seeding import AUDIO_DIR, DEMO_AUDIO_PREFIX, GAP_CLIP, LEARNER_EMAILS, distinct_demo_texts

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def seed_passwords(settings):
    settings.SEED_STAFF_EMAIL = "editor@example.com"
    settings.SEED_STAFF_PASSWORD = "editor-demo-pass-1"
    settings.SEED_LEARNER_PASSWORD = "learner-demo-pass-1"


def seed(*args) -> str:
    out = io.StringIO()
    call_command("seed", *args, stdout=out)
    return out.getvalue()


def stored(key: str) -> bytes:
    with default_storage.open(key, "rb") as f:
        return f.read()


def test_seed_creates_tags_speeches_audio_and_accounts():
    output = seed()

    assert Tag.objects.count() >= 20
    assert set(Tag.objects.values_list("category", flat=True)) == {"tense", "topic"}
    assert Speech.objects.count() == 1000
    per_combo = Counter(Speech.objects.values_list("level", "type"))
    assert set(per_combo) == {(lv, ty) for lv in Level.values for ty in SentenceType.values}
    assert set(per_combo.values()) == {100}
    assert Speech.objects.values("text").distinct().count() == 1000
    assert not Speech.objects.exclude(id__in=SpeechTag.objects.values("speech_id")).exists()
    for speech in Speech.objects.all()[:50]:
        assert default_storage.exists(speech.audio.name)
    users = get_user_model().objects
    staff = users.get(email="editor@example.com")
    assert staff.is_staff and staff.check_password("editor-demo-pass-1")
    learners = users.filter(is_staff=False).exclude(email__startswith="league-mate-")
    assert learners.count() == 3 and all(u.check_password("learner-demo-pass-1") for u in learners)
    # The league mates the learning loop seeds cannot sign in.
    mates = users.filter(email__startswith="league-mate-")
    assert mates.count() == 24 and not any(mate.has_usable_password() for mate in mates)
    assert "editor@example.com / editor-demo-pass-1" in output
    assert "learner-demo-pass-1" in output


def test_seed_is_idempotent():
    seed()
    files = {s.audio.name for s in Speech.objects.all()}

    output = seed()

    assert Speech.objects.count() == 1000
    assert Tag.objects.count() == len(TAGS)
    assert get_user_model().objects.count() == 4 + 24  # staff, learners, league mates
    assert {s.audio.name for s in Speech.objects.all()} == files
    assert re.search(r"0 tags, 0 speeches \(0 audio files stored\), 0 accounts created", output)


def test_the_demo_editor_is_a_content_editor_not_a_superuser():
    # An earlier seed made the demo editor a superuser: seeding again takes that away.
    get_user_model().objects.create_user(email="editor@example.com", password="x", name="Old",
                                         is_staff=True, is_superuser=True)

    seed("--speeches", "0")
    seed("--speeches", "0")

    editor = get_user_model().objects.get(email="editor@example.com")
    assert editor.is_staff and not editor.is_superuser
    assert list(editor.groups.values_list("name", flat=True)) == ["Content editor"]
    assert editor.has_perm("content.add_speech") and not editor.has_perm("accounts.view_user")
    learners = get_user_model().objects.filter(email__in=LEARNER_EMAILS)
    assert learners.count() == 3
    assert not any(learner.is_staff or learner.is_superuser or learner.groups.exists() for learner in learners)


def test_seed_keeps_existing_tags_whatever_their_case():
    Tag.objects.create(name="food", category="topic")

    seed("--speeches", "10")

    assert Tag.objects.filter(name__iexact="food").count() == 1


def test_tags_of_a_speech_are_those_of_its_sentences():
    seed("--speeches", "200")
    bank = {s.text: s for s in SENTENCES}

    for speech in Speech.objects.prefetch_related("tags"):
        parts = [bank[text] for text in re.findall(r"\S.*?[.?!](?= |$)", speech.text)]
        assert " ".join(p.text for p in parts) == speech.text
        assert {t.name for t in speech.tags.all()} == {name for p in parts for name in p.tags}
        assert {(p.level, p.type) for p in parts} == {(speech.level, speech.type)}


def test_seeded_audio_says_the_text():
    seed("--speeches", "400")
    single = Speech.objects.filter(text=SENTENCES[0].text).get()
    pair = Speech.objects.filter(level="A1", type="answer", text__contains=". ").first()

    assert stored(single.audio.name) == (AUDIO_DIR / clip_name(SENTENCES[0].text)).read_bytes()
    for speech in (single, pair):
        said, heard = words(speech.text), words(recognise(stored(speech.audio.name)))
        hits = sum(min(heard.count(w), said.count(w)) for w in set(said))
        assert hits >= 0.7 * len(said), (speech.text, heard)


def test_every_sentence_has_a_shipped_clip_and_the_set_is_small():
    clips = {p.name for p in AUDIO_DIR.glob("*.mp3")}

    assert clips == {clip_name(s.text) for s in SENTENCES} | {GAP_CLIP}
    assert sum(p.stat().st_size for p in AUDIO_DIR.glob("*.mp3")) < 5 * 1024 * 1024


def test_beyond_the_distinct_texts_audio_is_shared_only_by_identical_texts():
    total = distinct_demo_texts() + 500

    seed("--speeches", str(total))

    assert Speech.objects.count() == total
    texts_by_audio = defaultdict(set)
    for audio, text in Speech.objects.values_list("audio", "text"):
        texts_by_audio[audio].add(text)
    assert len(texts_by_audio) == distinct_demo_texts()
    assert all(len(texts) == 1 for texts in texts_by_audio.values())
    assert all(key.startswith(DEMO_AUDIO_PREFIX) for key in texts_by_audio)


def test_seed_grows_to_a_larger_count_without_duplicating():
    seed("--speeches", "30")
    first = set(Speech.objects.values_list("id", flat=True))

    seed("--speeches", "50")

    assert Speech.objects.count() == 50
    assert first < set(Speech.objects.values_list("id", flat=True))


@pytest.mark.s3
def test_seed_stores_audio_in_s3(s3_storage):
    client, bucket = s3_storage

    seed("--speeches", "12")

    keys = {obj["Key"] for obj in client.list_objects_v2(Bucket=bucket)["Contents"]}
    assert keys == set(Speech.objects.values_list("audio", flat=True))
    assert len(keys) == 12


def test_seed_refuses_to_invent_passwords(settings):
    settings.SEED_STAFF_PASSWORD = ""

    with pytest.raises(CommandError, match="SEED_STAFF_PASSWORD"):
        seed()
    assert not Speech.objects.exists()
