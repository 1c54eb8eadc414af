"""What the kill tests of imports share: a session of many files, the copies made, the storage for a subprocess."""

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile

from content.models import Level
from core import storage
from imports.models import UploadSession
from imports.services import upload_audio_files
from tests.imports.helpers import csv_bytes, stored_keys, wav_bytes

# Enough that copying takes a while on either storage (about a second), so a test sees it happen.
FILES = 1500


def storage_env() -> dict[str, str]:
    """The environment that gives a process of its own the test's storage (its media folder, or its bucket)."""
    if not storage.is_s3():
        return {"MEDIA_ROOT": str(settings.MEDIA_ROOT), "AWS_STORAGE_BUCKET_NAME": ""}
    options = settings.STORAGES["default"]["OPTIONS"]
    return {"AWS_STORAGE_BUCKET_NAME": options["bucket_name"], "AWS_S3_ENDPOINT_URL": options["endpoint_url"],
            "AWS_ACCESS_KEY_ID": options["access_key"], "AWS_SECRET_ACCESS_KEY": options["secret_key"],
            "AWS_S3_REGION_NAME": options["region_name"]}


def session_of_many_files(actor, count: int = FILES) -> tuple[UploadSession, bytes]:
    files = [SimpleUploadedFile(f"clip_{n:04}.wav", wav_bytes(frames=8, tone=200 + n % 500), content_type="audio/wav")
             for n in range(count)]
    session = upload_audio_files(actor=actor, files=files).session
    levels = Level.values
    csv_data = csv_bytes([{"audio_filename": f"clip_{n:04}.wav", "text": f"Sentence {n}", "level": levels[n % 5]}
                          for n in range(count)])
    return session, csv_data


def level_copies() -> set[str]:
    """What is stored in the level folders, wherever an import put it there."""
    return {key for level in Level.values for key in stored_keys(f"audio/{level}/")}
