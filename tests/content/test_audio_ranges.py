"""Players ask for audio in byte ranges (iOS will not play without): local storage answers 206."""

import pytest
import requests

from core.storage import signed_url
from tests.content.factories import EMPTY_WAV, SpeechFactory

pytestmark = pytest.mark.django_db
SIZE = len(EMPTY_WAV)


def fetch(client, speech, range_header=None, **headers):
    if range_header:
        headers["HTTP_RANGE"] = range_header
    return client.get(signed_url(speech.audio.name), **headers)


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_a_whole_file_says_it_accepts_ranges(api_client):
    response = fetch(api_client, SpeechFactory())

    assert response.status_code == 200
    assert response["Accept-Ranges"] == "bytes"
    assert response["Content-Length"] == str(SIZE)


@pytest.mark.parametrize(("header", "first", "last"), [
    ("bytes=0-1", 0, 1),          # what AVPlayer asks first
    ("bytes=4-", 4, SIZE - 1),    # from an offset to the end
    ("bytes=-10", SIZE - 10, SIZE - 1),  # the last bytes
    (f"bytes=10-{SIZE + 500}", 10, SIZE - 1),  # an end past the file is the file's end
])
def test_a_range_is_answered_206_with_that_part(api_client, header, first, last):
    response = fetch(api_client, SpeechFactory(), header)

    assert response.status_code == 206
    assert response["Content-Range"] == f"bytes {first}-{last}/{SIZE}"
    assert response["Content-Length"] == str(last - first + 1)
    assert response["Accept-Ranges"] == "bytes"
    assert response["Content-Type"] == "audio/wav"
    assert body(response) == EMPTY_WAV[first:last + 1]


def test_a_range_past_the_end_is_416_with_the_size(api_client):
    response = fetch(api_client, SpeechFactory(), f"bytes={SIZE}-")

    assert response.status_code == 416
    assert response["Content-Range"] == f"bytes */{SIZE}"


@pytest.mark.parametrize("header", ["bytes=0-1,4-5", "items=0-1", "bytes=9-3", "bytes=abc"])
def test_a_range_it_cannot_honour_gets_the_whole_file(api_client, header):
    response = fetch(api_client, SpeechFactory(), header)

    assert response.status_code == 200
    assert body(response) == EMPTY_WAV


def test_if_range_sends_the_whole_file(api_client):
    response = fetch(api_client, SpeechFactory(), "bytes=0-1", HTTP_IF_RANGE='"some-etag"')

    assert response.status_code == 200
    assert body(response) == EMPTY_WAV


def test_a_forged_link_is_refused_before_any_range(api_client):
    url = signed_url(SpeechFactory().audio.name)

    response = api_client.get(url[:-4] + "0000", HTTP_RANGE="bytes=0-1")

    assert response.status_code == 403


@pytest.mark.s3
def test_s3_urls_answer_ranges_too(s3_storage):
    speech = SpeechFactory()

    response = requests.get(signed_url(speech.audio.name), headers={"Range": "bytes=0-3"}, timeout=5)

    assert response.status_code == 206
    assert response.content == EMPTY_WAV[:4]
