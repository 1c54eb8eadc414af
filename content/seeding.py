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
(under audio/demo/), so running the seed again creates only what is missing. Tags and
speeches are written by `content.services` like every other import (COPY on PostgreSQL),
in batches, so a million benchmark speeches take seconds, not hours.
"""

import hashlib
import random
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.db import connection

from content import services
from content.demo.sentences import SENTENCES, TAGS, Sentence, clip_name
from content.models import Level, SentenceType, Speech
from content.rules import tag_name_key
from core import storage

AUDIO_DIR = Path(__file__).resolve().parent / "demo" / "audio"
GAP_CLIP = "gap.mp3"
DEMO_AUDIO_PREFIX = "audio/demo/"
COMBOS = [(level, type_) for level in Level.values for type_ in SentenceType.values]
BATCH_SIZE = 5000
LEARNER_EMAILS = ["learner1@example.com", "learner2@example.com", "learner3@example.com"]
# The group accounts.services.staff_groups creates on migrate (content may not import accounts;
# tests/accounts/test_editor_group.py checks the two names agree).
CONTENT_EDITOR_GROUP = "Content editor"


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

    @cached_property
    def audio_key(self) -> str:
        digest = hashlib.sha1(self.text.encode()).hexdigest()[:16]
        return f"{DEMO_AUDIO_PREFIX}{self.level}/{self.type}-{digest}.mp3"

    @cached_property
    def new_speech(self) -> services.NewSpeech:
        # Built once per planned text: beyond 2,560 speeches the same ones repeat.
        return services.NewSpeech(text=self.text, level=self.level, type=self.type,
                                  tag_names=tuple(self.tag_names), audio_key=self.audio_key)

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


def seed_tags() -> int:
    """The demo tags with their categories; an existing tag of the same name (any case) is kept."""
    categories = {tag_name_key(name): category for name, category in TAGS}
    _tags, created = services.ensure_tags(names=[name for name, _ in TAGS], categories=categories, source="seed")
    return len(created)


def _ensure_audio(planned: PlannedSpeech, done: set[str]) -> bool:
    """Store the planned speech's audio unless already stored; True when uploaded now."""
    key = planned.audio_key
    if key in done:
        return False
    done.add(key)
    if storage.exists(key):
        return False
    stored = storage.save(key, ContentFile(planned.audio_bytes()))
    if stored != key:  # the deterministic key is the point; never keep a renamed copy
        storage.delete_quietly([stored])
        raise RuntimeError(f"Storage renamed {key!r} to {stored!r}.")
    return True


def seed_speeches(*, total: int, progress: Callable[[str], None] | None = None) -> tuple[int, int]:
    """Create planned demo speeches until `total` exist; returns (created, audio objects uploaded)."""
    start = Speech.objects.filter(audio__startswith=DEMO_AUDIO_PREFIX).count()
    uploaded, done_keys = 0, set()
    for batch_start in range(start, total, BATCH_SIZE):
        batch = [planned_speech(i) for i in range(batch_start, min(batch_start + BATCH_SIZE, total))]
        for planned in batch:
            uploaded += _ensure_audio(planned, done_keys)
        services.create_speeches(items=[planned.new_speech for planned in batch], copy_audio=False, source="seed")
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


def _content_editor_group() -> Group:
    try:
        return Group.objects.get(name=CONTENT_EDITOR_GROUP)
    except Group.DoesNotExist:
        raise RuntimeError(f"There is no {CONTENT_EDITOR_GROUP!r} group: run `manage.py migrate` first.") from None


def seed_users(*, staff_email: str, staff_password: str, learner_password: str) -> int:
    """The demo learners and one editor (staff in the "Content editor" group); passwords reset each run.

    The editor is deliberately not a superuser: the demo shows what editors see, and an
    earlier seed's superuser flag is taken away. `createsuperuser` makes an administrator.
    """
    User = get_user_model()
    editors = _content_editor_group()
    created = 0
    accounts = [(email, f"Learner {n}", False) for n, email in enumerate(LEARNER_EMAILS, 1)]
    accounts.append((staff_email, "Demo Editor", True))
    for email, name, staff in accounts:
        user = User.objects.filter(email__iexact=email).first()
        if user is None:
            user = User(email=email, name=name)
            created += 1
        user.is_staff = staff
        user.is_superuser = False
        user.is_active = True
        user.set_password(staff_password if staff else learner_password)
        user.save()
        if staff:
            user.groups.add(editors)
    return created


def seed(*, speeches: int, progress: Callable[[str], None] | None = None) -> SeedReport:
    report = SeedReport()
    report.tags_created = seed_tags()
    report.speeches_created, report.audio_uploaded = seed_speeches(total=speeches, progress=progress)
    report.speeches_total = Speech.objects.count()
    report.users_created = seed_users(staff_email=settings.SEED_STAFF_EMAIL,
                                      staff_password=settings.SEED_STAFF_PASSWORD,
                                      learner_password=settings.SEED_LEARNER_PASSWORD)
    return report
