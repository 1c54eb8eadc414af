"""Demo data for `manage.py seed`: tags, speeches with real spoken audio, demo accounts.

Speeches are built from the sentence bank (content/demo/sentences.py), whose 160
sentences each have a synthesised clip. Per level x type the plan lists first the 16
single sentences, then ordered pairs of two different sentences ("What is your name?
Do you like pizza?") in a fixed shuffled order: 256 distinct texts per level x type,
2,560 in all. A pair's audio is the two clips joined by a short silence (the clips are
bare MPEG frames, so joining is byte concatenation) and its tags are the union of both
sentences' tags. So every text is spoken exactly as written, and audio is only shared
by speeches with the same text: beyond 2,560 speeches (benchmarks) the plan repeats
texts, and the repeats reuse the stored object of their text instead of uploading.

The plan is a fixed sequence, and seeded speeches are recognised by their audio keys
(under audio/demo/), so running the seed again creates only what is missing.
"""

import hashlib
import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.utils import timezone

from content.demo.sentences import SENTENCES, TAGS, Sentence, clip_name
from content.models import Level, SentenceType, Speech, SpeechTag, Tag
from content.services import invalidate_content_caches

AUDIO_DIR = Path(__file__).resolve().parent / "demo" / "audio"
GAP_CLIP = "gap.mp3"
DEMO_AUDIO_PREFIX = "audio/demo/"
COMBOS = [(level, type_) for level in Level.values for type_ in SentenceType.values]
BATCH_SIZE = 5000
LEARNER_EMAILS = ["learner1@example.com", "learner2@example.com", "learner3@example.com"]


@dataclass(frozen=True)
class PlannedSpeech:
    level: str
    type: str
    parts: tuple[Sentence, ...]

    @property
    def text(self) -> str:
        return " ".join(part.text for part in self.parts)

    @property
    def tag_names(self) -> list[str]:
        return list(dict.fromkeys(tag for part in self.parts for tag in part.tags))

    @property
    def audio_key(self) -> str:
        digest = hashlib.sha1(self.text.encode()).hexdigest()[:16]
        return f"{DEMO_AUDIO_PREFIX}{self.level}/{self.type}-{digest}.mp3"

    def audio_bytes(self) -> bytes:
        gap = (AUDIO_DIR / GAP_CLIP).read_bytes()
        return gap.join((AUDIO_DIR / clip_name(part.text)).read_bytes() for part in self.parts)


@lru_cache(maxsize=len(COMBOS))
def _combo_plan(level: str, type_: str) -> tuple[PlannedSpeech, ...]:
    bank = [s for s in SENTENCES if s.level == level and s.type == type_]
    pairs = [(a, b) for a in bank for b in bank if a is not b]
    random.Random(f"{level}:{type_}").shuffle(pairs)  # fixed order, varied first picks
    return tuple(PlannedSpeech(level, type_, parts) for parts in [(s,) for s in bank] + pairs)


def planned_speech(index: int) -> PlannedSpeech:
    """The index-th demo speech; consecutive indexes go round every level x type."""
    plan = _combo_plan(*COMBOS[index % len(COMBOS)])
    return plan[(index // len(COMBOS)) % len(plan)]


def distinct_demo_texts() -> int:
    return sum(len(_combo_plan(*combo)) for combo in COMBOS)


@dataclass
class SeedReport:
    tags_created: int = 0
    speeches_created: int = 0
    speeches_total: int = 0
    audio_uploaded: int = 0
    users_created: int = 0


def seed_tags() -> tuple[dict[str, Tag], int]:
    existing = {tag.name.lower(): tag for tag in Tag.objects.all()}
    missing = [Tag(name=name, category=category) for name, category in TAGS if name.lower() not in existing]
    Tag.objects.bulk_create(missing)
    by_name = {tag.name.lower(): tag for tag in Tag.objects.all()}
    return {name: by_name[name.lower()] for name, _ in TAGS}, len(missing)


def _ensure_audio(planned: PlannedSpeech, done: set[str]) -> bool:
    """Store the planned speech's audio unless already stored; True when uploaded now."""
    key = planned.audio_key
    if key in done:
        return False
    done.add(key)
    if default_storage.exists(key):
        return False
    stored = default_storage.save(key, ContentFile(planned.audio_bytes()))
    if stored != key:  # the deterministic key is the point; never keep a renamed copy
        default_storage.delete(stored)
        raise RuntimeError(f"Storage renamed {key!r} to {stored!r}.")
    return True


def _insert_speeches(batch: list[PlannedSpeech], tags: dict[str, Tag]) -> None:
    ids = [uuid.uuid4() for _ in batch]
    links = [(speech_id, tags[name].id) for speech_id, planned in zip(ids, batch, strict=True)
             for name in planned.tag_names]
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # COPY loads a million rows in seconds; bulk_create's INSERTs would take many minutes.
            now = timezone.now()
            with connection.cursor() as cursor, cursor.cursor.copy(
                    "COPY content_speech (id, audio, text, level, type, created_at, updated_at) FROM STDIN") as copy:
                for speech_id, planned in zip(ids, batch, strict=True):
                    copy.write_row((speech_id, planned.audio_key, planned.text, planned.level, planned.type, now, now))
            with connection.cursor() as cursor, cursor.cursor.copy(
                    "COPY content_speech_tags (speech_id, tag_id) FROM STDIN") as copy:
                for link in links:
                    copy.write_row(link)
        else:
            Speech.objects.bulk_create([
                Speech(id=speech_id, audio=p.audio_key, text=p.text, level=p.level, type=p.type)
                for speech_id, p in zip(ids, batch, strict=True)], batch_size=BATCH_SIZE)
            SpeechTag.objects.bulk_create([SpeechTag(speech_id=s, tag_id=t) for s, t in links], batch_size=BATCH_SIZE)


def seed_speeches(*, total: int, tags: dict[str, Tag], progress: Callable[[str], None] | None = None
                  ) -> tuple[int, int]:
    """Create planned demo speeches until `total` exist; returns (created, audio objects uploaded)."""
    start = Speech.objects.filter(audio__startswith=DEMO_AUDIO_PREFIX).count()
    uploaded, done_keys = 0, set()
    for batch_start in range(start, total, BATCH_SIZE):
        batch = [planned_speech(i) for i in range(batch_start, min(batch_start + BATCH_SIZE, total))]
        for planned in batch:
            uploaded += _ensure_audio(planned, done_keys)
        _insert_speeches(batch, tags)
        done = batch_start + len(batch)
        if progress and (done == total or (done // BATCH_SIZE) % 20 == 0):
            progress(f"  {done:,}/{total:,} speeches")
    created = max(total - start, 0)
    if created and connection.vendor == "postgresql":
        # Fresh planner statistics after a bulk load, and (outside a transaction) a visibility
        # map, without which the practice-set index-only scans would still visit the table.
        command = "ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)"
        with connection.cursor() as cursor:
            cursor.execute(f"{command} content_speech, content_speech_tags")
    return created, uploaded


def seed_users(*, staff_email: str, staff_password: str, learner_password: str) -> int:
    """The demo learners and one staff account (a superuser, for Django Admin); passwords reset each run."""
    User = get_user_model()
    created = 0
    accounts = [(email, f"Learner {n}", False) for n, email in enumerate(LEARNER_EMAILS, 1)]
    accounts.append((staff_email, "Demo Editor", True))
    for email, name, staff in accounts:
        user = User.objects.filter(email__iexact=email).first()
        if user is None:
            user = User(email=email, name=name)
            created += 1
        user.is_staff = user.is_superuser = staff
        user.is_active = True
        user.set_password(staff_password if staff else learner_password)
        user.save()
    return created


def seed(*, speeches: int, progress: Callable[[str], None] | None = None) -> SeedReport:
    report = SeedReport()
    tags, report.tags_created = seed_tags()
    report.speeches_created, report.audio_uploaded = seed_speeches(total=speeches, tags=tags, progress=progress)
    report.speeches_total = Speech.objects.count()
    report.users_created = seed_users(staff_email=settings.SEED_STAFF_EMAIL,
                                      staff_password=settings.SEED_STAFF_PASSWORD,
                                      learner_password=settings.SEED_LEARNER_PASSWORD)
    if report.tags_created or report.speeches_created:
        invalidate_content_caches()
    return report
