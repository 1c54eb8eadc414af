"""Every write operation of the API answers hostile bodies with a 4xx in the error shape, never a 500.

Oversized JSON, JSON nested 100 000 deep, a form over the field limit, a multipart over the
file limit, sent by a signed-in staff member (so every view gets as far as parsing).
"""

import io
import json
import re
import uuid

import pytest
from drf_spectacular.generators import SchemaGenerator

pytestmark = pytest.mark.django_db

BODY_LIMIT = 20_000


def _write_operations() -> list[tuple[str, str, set[str]]]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    operations = []
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            if method in {"post", "put", "patch"} and "requestBody" in operation:
                concrete = re.sub(r"\{[^}]+\}", lambda _: str(uuid.uuid4()), path)
                operations.append((method, concrete, set(operation["requestBody"]["content"])))
    return operations


OPERATIONS = _write_operations()


@pytest.fixture(autouse=True)
def _small_limits(settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = BODY_LIMIT
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 1000
    settings.DATA_UPLOAD_MAX_NUMBER_FILES = 5
    settings.RATE_LIMIT_ENABLED = False


def _send(client, method: str, path: str, body: bytes, content_type: str):
    return getattr(client, method)(path, data=body, content_type=content_type)


def _assert_refused(response, expected: int | None, accepted: bool) -> None:
    assert response.status_code < 500, response.content[:300]
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) >= {"code", "detail"}
    if accepted and expected is not None and response.status_code != 404:
        assert response.status_code == expected, body


def _multipart(fields: list[tuple[str, str, bytes | None]]) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    out = io.BytesIO()
    for name, filename, content in fields:
        out.write(f"--{boundary}\r\n".encode())
        if filename:
            out.write(f'Content-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                      "Content-Type: audio/wav\r\n\r\n".encode())
        else:
            out.write(f'Content-Disposition: form-data; name="{name}"\r\n\r\n'.encode())
        out.write((content or b"x") + b"\r\n")
    out.write(f"--{boundary}--\r\n".encode())
    return out.getvalue(), f"multipart/form-data; boundary={boundary}"


def test_the_schema_has_write_operations_to_walk():
    assert len(OPERATIONS) >= 15


@pytest.mark.parametrize(("method", "path", "types"), OPERATIONS, ids=[f"{m} {p}" for m, p, _ in OPERATIONS])
def test_hostile_bodies_get_a_4xx(staff_client, method, path, types):
    accepts_json = "application/json" in types
    too_big = json.dumps({"text": "x" * (BODY_LIMIT + 1)}).encode()
    _assert_refused(_send(staff_client, method, path, too_big, "application/json"), 413, accepts_json)

    too_deep = b"[" * 100_000 + b"]" * 100_000
    # Within the size limit for this check, so that the depth is what is refused.
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("django.conf.settings.DATA_UPLOAD_MAX_MEMORY_SIZE", len(too_deep) + 1)
        _assert_refused(_send(staff_client, method, path, too_deep, "application/json"), 400, accepts_json)

    many_fields = "&".join(f"f{n}=1" for n in range(1001)).encode()
    _assert_refused(_send(staff_client, method, path, many_fields, "application/x-www-form-urlencoded"), 400,
                    "application/x-www-form-urlencoded" in types)

    many_files, content_type = _multipart([("files", f"clip{n}.wav", b"RIFF") for n in range(6)])
    _assert_refused(_send(staff_client, method, path, many_files, content_type), 400,
                    "multipart/form-data" in types)
