"""The audio sweep: stored objects in content's folders that no speech points at are deleted once old enough.

Each test runs on local storage and on the S3 server. S3 cannot backdate an object, so
"old" is made by moving the sweep's clock forward (and only the sweep's): the storage's
own last-modified times stay real.
"""

import os
import time
import uuid
from datetime import UTC, datetime, timedelta
from io import StringIO
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from django.utils import timezone

import content.services.audio as audio_services
from audit.models import AuditLog
from content.services import SweepResult, sweep_unreferenced_audio
from core import storage
from tests.content.factories import EMPTY_WAV, SpeechFactory

pytestmark = pytest.mark.django_db

HOUR = 3600


def store(key: str) -> str:
    stored = default_storage.save(key, ContentFile(EMPTY_WAV))
    assert stored == key
    return key


def stored_keys() -> set[str]:
    """Every key in the storage, read from the backend itself rather than through the code under test."""
    if storage.is_s3():
        pages = storage.s3_client().get_paginator("list_objects_v2").paginate(Bucket=default_storage.bucket_name)
        return {item["Key"] for page in pages for item in page.get("Contents", [])}
    root = Path(default_storage.location)
    return {path.relative_to(root).as_posix() for path in root.rglob("*") if path.is_file()}


def last_modified(key: str) -> datetime:
    if storage.is_s3():
        return storage.s3_client().head_object(Bucket=default_storage.bucket_name, Key=key)["LastModified"]
    return datetime.fromtimestamp(os.stat(default_storage.path(key)).st_mtime, tz=UTC)


@pytest.fixture
def sweep_clock(monkeypatch):
    """Set the instant the sweep takes for now."""
    def set_now(when: datetime) -> None:
        monkeypatch.setattr(audio_services, "timezone", SimpleNamespace(now=lambda: when))
    return set_now


@pytest.fixture
def two_hours_later(sweep_clock):
    """The sweep runs two hours after the test stored its objects: all of them are older than an hour."""
    sweep_clock(timezone.now() + timedelta(hours=2))


def test_only_unreferenced_objects_older_than_the_minimum_age_in_contents_folders_are_deleted(
        any_storage, sweep_clock):
    speech = SpeechFactory()
    archived = SpeechFactory(archived_at=timezone.now())
    orphans = {store("audio/A1/orphan.wav"), store("audio/B2/0123abcd/copy.wav"), store("audio/demo/A1/clip.mp3")}
    # An upload session's file waits for its CSV; `cleanup_uploads` owns it, even once no session row is left.
    upload = store(f"audio/uploads/{uuid.uuid4()}/sentence_001.wav")
    elsewhere = store("exports/audio.wav")
    old_until = max(last_modified(key) for key in stored_keys())
    # S3 keeps whole seconds: wait for the next one, so the young object is measurably younger.
    time.sleep(max(0.0, old_until.timestamp() + 1.1 - time.time()))
    young = store("audio/C1/copy-of-an-import-in-progress.wav")
    between = old_until + timedelta(milliseconds=500)
    assert last_modified(young) > between

    sweep_clock(between + timedelta(seconds=HOUR))
    result = sweep_unreferenced_audio(min_age_seconds=HOUR)

    assert result == SweepResult(scanned=6, too_recent=1, referenced=2, deleted=3, failed=0,
                                 min_age_seconds=HOUR, dry_run=False)
    assert stored_keys() == {speech.audio.name, archived.audio.name, upload, elsewhere, young}
    assert not orphans & stored_keys()
    event = AuditLog.objects.get(action="audio.swept")
    assert event.changes == {"deleted": 3, "failed": 0, "scanned": 6, "referenced": 2, "too_recent": 1,
                             "min_age_seconds": HOUR}


def test_a_dry_run_reports_what_it_would_delete_and_deletes_nothing(any_storage, settings, two_hours_later):
    settings.AUDIO_SWEEP_MIN_AGE_SECONDS = HOUR
    speech = SpeechFactory()
    orphan = store("audio/A2/orphan.wav")

    result = sweep_unreferenced_audio(dry_run=True)

    assert (result.deleted, result.referenced, result.scanned, result.dry_run) == (1, 1, 2, True)
    assert stored_keys() == {speech.audio.name, orphan}
    assert not AuditLog.objects.filter(action="audio.swept").exists()


def test_the_default_minimum_age_comes_from_the_settings_and_a_sweep_that_deletes_nothing_is_not_audited(
        any_storage, settings, sweep_clock):
    settings.AUDIO_SWEEP_MIN_AGE_SECONDS = HOUR
    orphan = store("audio/B1/just-copied.wav")

    result = sweep_unreferenced_audio()

    assert (result.too_recent, result.deleted, result.min_age_seconds) == (1, 0, HOUR)
    assert stored_keys() == {orphan}
    assert not AuditLog.objects.filter(action="audio.swept").exists()

    sweep_clock(timezone.now() + timedelta(hours=2))
    assert sweep_unreferenced_audio().deleted == 1
    assert stored_keys() == set()


def test_the_sweep_works_page_by_page(any_storage, monkeypatch, two_hours_later):
    monkeypatch.setattr(audio_services, "SWEEP_PAGE", 2)
    speeches = [SpeechFactory(level=level) for level in ("A1", "A1", "B2")]
    for key in ("audio/A1/o1.wav", "audio/A1/o2.wav", "audio/A1/batch/o3.wav", "audio/B2/o4.wav",
                "audio/demo/o5.mp3"):
        store(key)

    result = sweep_unreferenced_audio(min_age_seconds=HOUR)

    assert (result.scanned, result.referenced, result.deleted) == (8, 3, 5)
    assert stored_keys() == {speech.audio.name for speech in speeches}


def test_objects_the_storage_refuses_to_delete_are_counted_and_kept(any_storage, monkeypatch, two_hours_later):
    orphan = store("audio/A1/stubborn.wav")
    monkeypatch.setattr(storage, "delete_quietly", lambda keys: len(list(keys)))

    result = sweep_unreferenced_audio(min_age_seconds=HOUR)

    assert (result.deleted, result.failed) == (0, 1)
    assert stored_keys() == {orphan}


def test_a_storage_failure_part_way_still_audits_what_was_deleted(monkeypatch, two_hours_later):
    store("audio/A1/orphan.wav")
    real_list_objects = storage.list_objects

    def list_objects(prefix):
        if prefix != "audio/A1/":
            raise storage.StorageUnavailable()
        return real_list_objects(prefix)

    monkeypatch.setattr(storage, "list_objects", list_objects)

    with pytest.raises(storage.StorageUnavailable):
        sweep_unreferenced_audio(min_age_seconds=HOUR)

    assert stored_keys() == set()
    assert AuditLog.objects.get(action="audio.swept").changes["deleted"] == 1


def test_the_command_prints_the_counts(any_storage, two_hours_later):
    speech = SpeechFactory()
    store("audio/C1/orphan.wav")

    out = StringIO()
    call_command("sweep_audio", "--dry-run", "--min-age", str(HOUR), stdout=out)
    assert out.getvalue().strip() == (
        "Dry run: 1 unreferenced object(s) would be deleted; kept 1 referenced and 0 younger than 3600 s; "
        "2 scanned. Nothing was deleted.")
    assert len(stored_keys()) == 2

    out = StringIO()
    call_command("sweep_audio", "--min-age", str(HOUR), stdout=out)
    assert out.getvalue().strip() == (
        "Deleted 1 unreferenced object(s); kept 1 referenced and 0 younger than 3600 s; 2 scanned.")
    assert stored_keys() == {speech.audio.name}
    assert AuditLog.objects.get(action="audio.swept").request_id.startswith("sweep_audio:")


def test_the_command_refuses_a_negative_minimum_age():
    with pytest.raises(CommandError, match="--min-age"):
        call_command("sweep_audio", "--min-age", "-1", stdout=StringIO())
