"""POST /api/v1/speech/score bounds a request before buffering it (issue 12, items 5 and 6).

One file part of at most MAX_UPLOAD_BYTES and a Content-Length of at most MAX_UPLOAD_BYTES +
64 KiB: a larger request is refused from its headers, a second file part at its headers, a
file over the limit as soon as it passes it. The request body is a stream that counts how
much of it the server read, which is what shows "refused before reading".
"""

import io
import uuid

import pytest

from core.audio import AudioTooLarge
from scoring.exceptions import TooManyFiles
from scoring.uploads import SingleAudioUploadHandler
from tests.scoring.helpers import REFERENCE, URL, clip

pytestmark = pytest.mark.django_db

# The documented allowance for the form fields next to the recording (see the OpenAPI description).
FORM_ALLOWANCE = 64 * 1024
# Django's multipart parser reads its input in chunks of this size (the upload handlers' chunk_size).
CHUNK = 64 * 1024


class CountingBody(io.BytesIO):
    """wsgi.input whose position is how many bytes the server has read."""

    @property
    def bytes_read(self) -> int:
        return self.tell()


def multipart(parts: list[tuple[str, str | None, bytes]]) -> tuple[bytes, str]:
    """A multipart body of (field name, file name or None for a plain field, content) parts."""
    boundary = uuid.uuid4().hex
    out = io.BytesIO()
    for name, filename, content in parts:
        out.write(f"--{boundary}\r\n".encode())
        if filename is None:
            out.write(f'Content-Disposition: form-data; name="{name}"\r\n\r\n'.encode())
        else:
            out.write(f'Content-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                      "Content-Type: audio/mpeg\r\n\r\n".encode())
        out.write(content + b"\r\n")
    out.write(f"--{boundary}--\r\n".encode())
    return out.getvalue(), f"multipart/form-data; boundary={boundary}"


def score_form(*extra: tuple[str, str | None, bytes], audio: bytes | None = None) -> list:
    return [("audio", "recording.mp3", clip("right.mp3") if audio is None else audio),
            ("reference_text", None, REFERENCE.encode()), *extra]


def send(client, body: bytes, content_type: str, *, content_length: int | None = -1):
    """POST `body` as a stream; content_length None sends none (chunked), -1 the true one."""
    stream = CountingBody(body)
    environ = {"wsgi.input": stream, "CONTENT_TYPE": content_type}
    if content_length is None:
        environ["HTTP_TRANSFER_ENCODING"] = "chunked"
    else:
        environ["CONTENT_LENGTH"] = str(len(body) if content_length == -1 else content_length)
    response = client.generic("POST", URL, b"", content_type=content_type, **environ)
    return response, stream


def assert_error(response, status: int, code: str) -> None:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"code", "detail"}
    assert body["code"] == code
    assert body["detail"]


@pytest.fixture(autouse=True)
def _no_rate_limit(settings):
    settings.RATE_LIMIT_ENABLED = False


def test_a_content_length_over_the_limit_is_refused_before_the_body_is_read(auth_client, settings):
    body, content_type = multipart(score_form())  # a valid request, announced as too large
    limit = settings.MAX_UPLOAD_BYTES + FORM_ALLOWANCE

    response, stream = send(auth_client, body, content_type, content_length=limit + 1)

    assert_error(response, 413, "request_too_large")
    assert str(limit) in response.json()["detail"]
    assert stream.bytes_read == 0


def test_the_thirty_recordings_of_the_issue_are_refused_from_the_headers(auth_client, settings):
    recording = clip("right.mp3")
    settings.MAX_UPLOAD_BYTES = len(recording) + 1  # each part alone is within the limit
    parts = [("audio", f"take{n}.mp3", recording) for n in range(30)]
    body, content_type = multipart(score_form(*parts))

    response, stream = send(auth_client, body, content_type)

    assert_error(response, 413, "request_too_large")
    assert stream.bytes_read == 0


def test_a_request_of_exactly_the_limit_is_scored(auth_client, settings):
    recording = clip("right.mp3")
    settings.MAX_UPLOAD_BYTES = len(recording)
    body, _ = multipart(score_form(("note", None, b"")))
    filler = settings.MAX_UPLOAD_BYTES + FORM_ALLOWANCE - len(body)
    body, content_type = multipart(score_form(("note", None, b"x" * filler)))
    assert len(body) == settings.MAX_UPLOAD_BYTES + FORM_ALLOWANCE

    response, stream = send(auth_client, body, content_type)

    assert response.status_code == 200, response.json()
    assert response.json()["pronunciation_score"] >= 80
    assert stream.bytes_read == len(body)


@pytest.mark.parametrize("second_field", ["audio", "other"])
def test_a_second_file_part_is_refused_at_its_headers(auth_client, second_field):
    second = b"a" * (1024 * 1024)  # 1 MB: never buffered if refused at its headers
    body, content_type = multipart(score_form((second_field, "second.mp3", second)))
    second_starts = body.index(b'filename="second.mp3"')

    response, stream = send(auth_client, body, content_type)

    assert_error(response, 400, "too_many_files")
    # Reading stops within the parser's read-ahead of the second part's headers, not at its end.
    assert stream.bytes_read <= second_starts + 3 * CHUNK < len(body)


def test_a_second_file_part_after_a_tiny_first_one_is_refused_too(auth_client):
    body, content_type = multipart([("junk", "a.txt", b"x"), *score_form()])

    response, _ = send(auth_client, body, content_type)

    assert_error(response, 400, "too_many_files")


def test_one_file_part_over_the_limit_is_refused_while_it_streams(auth_client, settings):
    settings.MAX_UPLOAD_BYTES = 3 * CHUNK
    oversize = clip("right.mp3") + b"\x00" * (3 * CHUNK + 40_000)  # within the request's allowance
    body, content_type = multipart(score_form(audio=oversize))
    assert len(body) <= settings.MAX_UPLOAD_BYTES + FORM_ALLOWANCE  # so the headers let it in

    response, _ = send(auth_client, body, content_type)

    assert_error(response, 413, "audio_too_large")


def test_the_upload_handler_keeps_no_more_than_the_limit(settings):
    # The parser's read-ahead may read a little more than the limit; what a worker holds is the handler's buffer.
    settings.MAX_UPLOAD_BYTES = 3 * CHUNK
    handler = SingleAudioUploadHandler()
    handler.new_file("audio", "recording.mp3", "audio/mpeg", None)
    for n in range(3):
        handler.receive_data_chunk(b"\x00" * CHUNK, n * CHUNK)

    with pytest.raises(AudioTooLarge):
        handler.receive_data_chunk(b"\x00", 3 * CHUNK)
    assert handler.buffer.getbuffer().nbytes == settings.MAX_UPLOAD_BYTES
    with pytest.raises(TooManyFiles):
        handler.new_file("other", "second.mp3", "audio/mpeg", None)


def test_a_chunked_upload_without_content_length_is_refused_unread(auth_client, settings):
    settings.MAX_UPLOAD_BYTES = 100_000
    body, content_type = multipart(score_form(audio=b"\x00" * 1_000_000))

    response, stream = send(auth_client, body, content_type, content_length=None)

    assert_error(response, 411, "length_required")
    assert stream.bytes_read == 0


def test_two_thousand_form_fields_are_a_bad_request(auth_client):
    fields = [(f"f{n}", None, b"1") for n in range(2000)]
    body, content_type = multipart(score_form(*fields))

    response, _ = send(auth_client, body, content_type)

    assert_error(response, 400, "too_many_fields")


def test_limits_are_checked_after_authentication(api_client, settings):
    body, content_type = multipart(score_form())

    response, stream = send(api_client, body, content_type, content_length=settings.MAX_UPLOAD_BYTES * 2)

    assert response.status_code == 401
    assert stream.bytes_read == 0


def test_the_refusals_are_in_the_api_docs(api_client):
    schema = api_client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    responses = schema["paths"]["/api/v1/speech/score"]["post"]["responses"]

    assert "too_many_files" in responses["400"]["description"]
    assert "length_required" in responses["411"]["description"]
    assert "audio_too_large" in responses["413"]["description"]
    assert "request_too_large" in responses["413"]["description"]
    for status in ("400", "411", "413"):
        error = responses[status]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
        assert set(schema["components"]["schemas"][error]["required"]) == {"code", "detail"}
