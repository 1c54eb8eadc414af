"""An import killed half-way leaves nothing behind: its retry or `cleanup_uploads` removes its copies.

An import copies a session's files to `audio/{level}/{session id hex}/...` (the session's copy
batch). A killed process deletes nothing itself; what it leaves is simulated here by writing
objects there, as the killed attempt's copies would be. tests/faults/test_import_killed.py
kills a real server process.
"""

import io
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, default_storage
from django.core.management import call_command
from django.utils import timezone

from content.models import Speech
from imports.models import UploadSession
from tests.content.factories import SpeechFactory
from tests.imports.helpers import (
    csv_bytes,
    import_csv,
    read_object,
    stored_keys,
    unreferenced_audio,
    upload,
    wav_bytes,
    wav_file,
)

pytestmark = pytest.mark.django_db


def new_session(client, count: int, name: str = "clip") -> UploadSession:
    response = upload(client, [wav_file(f"{name}_{n}.wav", tone=300 + n) for n in range(count)])
    assert response.status_code == 200, response.content
    return UploadSession.objects.get(pk=response.json()["upload_session_id"])


def rows(count: int, name: str = "clip") -> bytes:
    levels = ("A1", "B2", "C1")
    return csv_bytes([{"audio_filename": f"{name}_{n}.wav", "text": f"Sentence {n}", "level": levels[n % 3]}
                      for n in range(count)])


def leave_copies(session: UploadSession, levels=("A1", "B2")) -> list[str]:
    """Objects where a killed import of `session` had copied its first files."""
    return [default_storage.save(f"audio/{level}/{session.id.hex}/clip_{n}-0123456789ab.wav",
                                 ContentFile(wav_bytes(tone=300 + n)))
            for n, level in enumerate(levels)]


def expire(*sessions: UploadSession) -> None:
    UploadSession.objects.filter(pk__in=[s.pk for s in sessions]).update(
        expires_at=timezone.now() - timedelta(minutes=1))


def cleanup() -> str:
    out = io.StringIO()
    call_command("cleanup_uploads", stdout=out)
    return out.getvalue()


def test_importing_again_deletes_what_a_killed_attempt_copied_and_leaves_nothing_unreferenced(
        staff_client, any_storage, django_capture_on_commit_callbacks):
    session = new_session(staff_client, 5)
    left = leave_copies(session)
    other = new_session(staff_client, 1, name="other")
    others_left = leave_copies(other, levels=("A1",))  # another session's: only its own retry or cleanup may go

    with django_capture_on_commit_callbacks(execute=True):
        response = import_csv(staff_client, session.id, rows(5))

    assert response.status_code == 200, response.content
    assert not set(left) & stored_keys()
    speeches = list(Speech.objects.all())
    assert len(speeches) == 5
    assert all(s.audio.name.startswith(f"audio/{s.level}/{session.id.hex}/") for s in speeches)
    assert all(read_object(s.audio.name) == wav_bytes(tone=300 + int(s.text[-1])) for s in speeches)
    assert unreferenced_audio() == set(others_left)
    assert not stored_keys(session.storage_prefix)  # the originals went after the commit


def test_cleanup_deletes_the_copies_of_an_expired_session_never_imported_and_keeps_an_imported_ones(
        staff_client, any_storage):
    killed = new_session(staff_client, 2)
    left = leave_copies(killed)
    # An editor may have chosen one of the leftovers as a speech's audio since: that one stays.
    chosen = SpeechFactory(audio=leave_copies(killed, levels=("C1",))[0])
    imported = new_session(staff_client, 3, name="done")
    # The commit's callbacks never run in this test: the originals stay, as after a kill right after the commit.
    assert import_csv(staff_client, imported.id, rows(3, name="done")).status_code == 200
    assert len(stored_keys(imported.storage_prefix)) == 3
    expire(killed, imported)

    out = cleanup()

    assert "Removed 2 expired upload session(s) and 7 stored object(s)." in out  # 2 + 2 + 3
    assert not UploadSession.objects.exists()
    assert not set(left) & stored_keys()
    assert stored_keys() == set(Speech.objects.values_list("audio", flat=True))
    assert Speech.objects.count() == 4 and chosen.audio.name in stored_keys()


def test_a_session_whose_objects_cannot_all_be_deleted_is_kept_for_the_next_cleanup(staff_client, monkeypatch):
    stuck, fine = new_session(staff_client, 1), new_session(staff_client, 1, name="fine")
    left = leave_copies(stuck)
    expire(stuck, fine)
    real_delete = FileSystemStorage.delete

    def delete(storage, name):
        if name.startswith(f"audio/A1/{stuck.id.hex}/"):
            raise OSError("the disk refuses")
        real_delete(storage, name)

    monkeypatch.setattr(FileSystemStorage, "delete", delete)
    assert "Removed 1 expired upload session(s)" in cleanup()
    assert list(UploadSession.objects.all()) == [stuck]  # it still knows where its objects are
    assert left[0] in stored_keys()

    monkeypatch.setattr(FileSystemStorage, "delete", real_delete)
    assert "Removed 1 expired upload session(s)" in cleanup()
    assert not UploadSession.objects.exists()
    assert stored_keys("audio/") == set()
