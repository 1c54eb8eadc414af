"""A multipart body of more files than allowed is a 400 (or a 415 where no file is expected), never a 500.

With the production limits: the body is larger than FILE_UPLOAD_MAX_MEMORY_SIZE, so Django
spools every part to its own open temporary file until it has counted past the limit. The
limit must refuse long before the worker runs out of file handles (it once allowed 20 000).
"""

import io
import resource
import uuid

import pytest
from django.conf import settings

pytestmark = pytest.mark.django_db


def _many_files(count: int, size: int) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    body = io.BytesIO()
    for n in range(count):
        body.write(f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="clip{n}.wav"\r\n'
                   f"Content-Type: audio/wav\r\n\r\n".encode() + b"R" * size + b"\r\n")
    body.write(f"--{boundary}--\r\n".encode())
    return body.getvalue(), f"multipart/form-data; boundary={boundary}"


@pytest.fixture
def too_many_files():
    count = settings.DATA_UPLOAD_MAX_NUMBER_FILES + 1
    body, content_type = _many_files(count, size=max(1, 2 * settings.FILE_UPLOAD_MAX_MEMORY_SIZE // count))
    assert len(body) > settings.FILE_UPLOAD_MAX_MEMORY_SIZE  # spooled to temporary files, as in production
    return body, content_type


def test_the_file_limit_is_far_below_the_open_files_limit():
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    assert settings.DATA_UPLOAD_MAX_NUMBER_FILES <= min(soft, 1024) - 24


def test_too_many_files_for_the_audio_import_is_a_400(staff_client, too_many_files):
    body, content_type = too_many_files

    response = staff_client.post("/api/v1/admin/import/audio", data=body, content_type=content_type)

    assert response.status_code == 400
    assert response.json()["code"] == "too_many_fields"


def test_a_json_operation_refuses_a_multipart_body_before_parsing_it(api_client, too_many_files):
    body, content_type = too_many_files

    response = api_client.post("/api/v1/auth/login", data=body, content_type=content_type)

    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"
