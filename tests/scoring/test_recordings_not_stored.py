"""A learner's recording is never written anywhere: not to a temporary file, not to storage."""

import os
import tempfile
from array import array

import pytest
from django.core.files import temp as django_temp
from django.test import RequestFactory

from tests.scoring.helpers import clip, pcm_of, post_score, silence, upload, wav_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def temp_dir(settings, tmp_path, monkeypatch):
    """Every temporary file (Django's upload spool and Python's tempfile) goes to one watched folder."""
    directory = tmp_path / "tmp"
    directory.mkdir()
    settings.FILE_UPLOAD_TEMP_DIR = str(directory)
    monkeypatch.setattr(tempfile, "tempdir", str(directory))
    created: list[str] = []
    real = django_temp.NamedTemporaryFile

    def watched(*args, **kwargs):
        file = real(*args, **kwargs)
        created.append(file.name)
        return file

    monkeypatch.setattr(django_temp, "NamedTemporaryFile", watched)
    return directory, created


def big_recording(pcm: bytes) -> bytes:
    """The same audio as 48 kHz stereo (each sample repeated), padded to 12 s: over 2 MB."""
    samples = array("h", pcm + silence(12 - len(pcm) / 32000))
    wide = array("h", (s for s in samples for _ in range(6)))
    data = wav_bytes(wide.tobytes(), rate=48000, channels=2)
    assert len(data) > 2 * 1024 * 1024  # larger than FILE_UPLOAD_MAX_MEMORY_SIZE: Django would spool it
    return data


def test_the_watch_sees_django_spooling_a_large_upload(temp_dir, settings):
    directory, created = temp_dir
    request = RequestFactory().post("/anywhere", {"audio": upload(big_recording(pcm_of("right.wav")))})

    spooled = request.FILES["audio"]

    assert created == [spooled.temporary_file_path()]
    assert os.listdir(directory)
    spooled.close()


def test_a_large_recording_is_scored_without_a_temporary_file(auth_client, temp_dir, settings):
    directory, created = temp_dir

    response = post_score(auth_client, big_recording(pcm_of("right.wav")))

    assert response.status_code == 200
    assert response.json()["pronunciation_score"] >= 80
    assert created == []
    assert os.listdir(directory) == []
    assert not os.path.exists(settings.MEDIA_ROOT) or os.listdir(settings.MEDIA_ROOT) == []


@pytest.mark.parametrize("data, status", [
    (lambda: big_recording(pcm_of("noise.wav")), 422),
    (lambda: b"Not audio at all. " * 200_000, 400),
    (lambda: wav_bytes(silence(328)), 413),  # refused while streaming, not from its Content-Length
])
def test_refused_recordings_leave_no_temporary_file(auth_client, temp_dir, settings, data, status):
    directory, created = temp_dir

    response = post_score(auth_client, data())

    assert response.status_code == status
    assert created == []
    assert os.listdir(directory) == []
    assert not os.path.exists(settings.MEDIA_ROOT) or os.listdir(settings.MEDIA_ROOT) == []


def test_a_small_recording_leaves_nothing_either(auth_client, temp_dir):
    directory, created = temp_dir

    assert post_score(auth_client, clip("right.m4a"), name="r.m4a").status_code == 200
    assert created == [] and os.listdir(directory) == []
