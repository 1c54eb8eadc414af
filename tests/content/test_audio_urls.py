import time

import pytest
import requests

from core.storage import signed_url
from tests.content.factories import EMPTY_WAV, SpeechFactory

pytestmark = pytest.mark.django_db


def test_local_signed_url_streams_the_file(api_client):
    speech = SpeechFactory()

    response = api_client.get(signed_url(speech.audio.name))

    assert response.status_code == 200
    assert response["Content-Type"] == "audio/wav"
    assert b"".join(response.streaming_content) == EMPTY_WAV


def test_local_url_with_tampered_signature_is_403(api_client):
    speech = SpeechFactory()
    url = signed_url(speech.audio.name)

    response = api_client.get(url[:-4] + "0000")

    assert response.status_code == 403
    assert response.json()["code"] == "invalid_signature"


def test_local_url_for_another_file_is_403(api_client):
    first, second = SpeechFactory(), SpeechFactory()
    url = signed_url(first.audio.name)

    response = api_client.get(url.replace(first.audio.name, second.audio.name))

    assert response.status_code == 403


def test_expired_local_url_is_403(api_client):
    speech = SpeechFactory()
    url = signed_url(speech.audio.name, expires_in=1)
    time.sleep(1.1)

    response = api_client.get(url)

    assert response.status_code == 403


@pytest.mark.s3
def test_s3_url_downloads_the_object_and_tampering_is_refused(s3_storage):
    speech = SpeechFactory()
    url = signed_url(speech.audio.name)

    assert requests.get(url, timeout=5).content == EMPTY_WAV
    assert requests.get(url.replace("X-Amz-Signature=", "X-Amz-Signature=0"), timeout=5).status_code == 403


@pytest.mark.s3
def test_s3_url_is_signed_for_the_public_endpoint(s3_storage, settings):
    settings.AWS_S3_PUBLIC_ENDPOINT_URL = "https://media.example.com"
    speech = SpeechFactory()

    url = signed_url(speech.audio.name)

    assert url.startswith("https://media.example.com/")
    assert "X-Amz-Expires=3600" in url


@pytest.mark.parametrize("key", ["../outside.mp3", "audio/../../etc/passwd", "/etc/passwd"])
def test_a_signed_key_outside_the_media_folder_is_404(api_client, key):
    response = api_client.get(signed_url(key))

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
