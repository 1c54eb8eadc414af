"""S3 presigned audio URLs made by `core.s3_presign` (through `core.storage.signed_url`).

Against the real S3 server of the session (which verifies SigV4 signatures): they download,
expire and refuse tampering. Offline: they are byte for byte the URLs boto3 makes, so the
signer is standard SigV4 and not merely something our test server happens to accept.
"""

import time
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest
import requests
import time_machine
from botocore.config import Config
from django.conf import settings
from django.core.files.storage import default_storage

from core.s3_presign import presign_get
from core.storage import s3_client, s3_storage_options, signed_url

KEYS = [
    "audio/A1/hello world.mp3",
    "audio/B2/năm mươi/tiếng Việt ü.mp3",
    "audio/C1/a+b=c&d.mp3",
    "audio/~user/deep/er/still/clip~1.wav",
    "audio/日本語/テスト (1).m4a",
]
FROZEN = datetime(2026, 3, 14, 23, 59, 59, tzinfo=UTC)


def _boto3_url(key: str, expires_in: int) -> str:
    """What signed_url returned before it had its own signer: boto3's presigner, public endpoint."""
    client = s3_client(endpoint_url=settings.AWS_S3_PUBLIC_ENDPOINT_URL)
    return client.generate_presigned_url(
        "get_object", Params={"Bucket": default_storage.bucket_name, "Key": key}, ExpiresIn=expires_in)


@pytest.mark.s3
@pytest.mark.parametrize("key", KEYS)
def test_a_presigned_url_downloads_the_object(s3_storage, key):
    client, bucket = s3_storage
    body = f"bytes of {key}".encode()
    client.put_object(Bucket=bucket, Key=key, Body=body)

    response = requests.get(signed_url(key), timeout=5)

    assert response.status_code == 200, response.text
    assert response.content == body


@pytest.mark.s3
@pytest.mark.parametrize("key", KEYS)
def test_the_url_is_byte_for_byte_the_one_boto3_makes(s3_storage, key):
    with time_machine.travel(FROZEN, tick=False):
        ours = signed_url(key, expires_in=900)
        theirs = _boto3_url(key, 900)

    assert ours == theirs
    assert parse_qs(urlsplit(ours).query)["X-Amz-Date"] == ["20260314T235959Z"]


@pytest.mark.s3
def test_the_url_is_signed_for_the_public_endpoint(s3_storage, settings):
    client, bucket = s3_storage
    client.put_object(Bucket=bucket, Key="audio/A1/public.mp3", Body=b"public")
    # Another name of the same server: clients reach the storage where the server does not.
    settings.AWS_S3_PUBLIC_ENDPOINT_URL = settings.AWS_S3_ENDPOINT_URL.replace("127.0.0.1", "localhost")

    with time_machine.travel(time.time(), tick=False):  # both signed in the same second
        url = signed_url("audio/A1/public.mp3")
        boto3_url = _boto3_url("audio/A1/public.mp3", settings.AUDIO_URL_EXPIRY_SECONDS)

    assert url.startswith(settings.AWS_S3_PUBLIC_ENDPOINT_URL + f"/{bucket}/")
    assert url == boto3_url
    assert requests.get(url, timeout=5).content == b"public"


@pytest.mark.s3
def test_an_expired_url_is_refused_by_the_server(s3_storage):
    client, bucket = s3_storage
    client.put_object(Bucket=bucket, Key="audio/A1/old.mp3", Body=b"old")
    with time_machine.travel(time.time() - 2 * 3600, tick=False):
        expired = signed_url("audio/A1/old.mp3", expires_in=3600)
        still_valid = signed_url("audio/A1/old.mp3", expires_in=3 * 3600)

    assert requests.get(expired, timeout=5).status_code == 403
    # Signed at the same moment: the server refuses the first for its expiry, not its age.
    assert requests.get(still_valid, timeout=5).content == b"old"


@pytest.mark.s3
def test_a_url_dies_when_its_expiry_passes(s3_storage):
    client, bucket = s3_storage
    client.put_object(Bucket=bucket, Key="audio/A1/short.mp3", Body=b"short")
    url = signed_url("audio/A1/short.mp3", expires_in=1)

    assert requests.get(url, timeout=5).content == b"short"
    time.sleep(2.1)
    assert requests.get(url, timeout=5).status_code == 403


@pytest.mark.s3
@pytest.mark.parametrize("tamper", [
    lambda url: url.replace("/audio/A1/signed.mp3?", "/audio/A1/other.mp3?"),
    lambda url: url.replace("X-Amz-Expires=60", "X-Amz-Expires=604800"),
    lambda url: url[:-4] + ("0000" if not url.endswith("0000") else "1111"),
], ids=["key", "expiry", "signature"])
def test_a_tampered_url_is_refused(s3_storage, tamper):
    client, bucket = s3_storage
    client.put_object(Bucket=bucket, Key="audio/A1/signed.mp3", Body=b"signed")
    client.put_object(Bucket=bucket, Key="audio/A1/other.mp3", Body=b"other")
    url = signed_url("audio/A1/signed.mp3", expires_in=60)
    assert requests.get(url, timeout=5).content == b"signed"

    tampered = tamper(url)

    assert tampered != url
    assert requests.get(tampered, timeout=5).status_code == 403


@pytest.mark.s3
def test_without_configured_keys_boto3_signs_with_the_credentials_it_finds(s3_storage, s3_server, settings,
                                                                             monkeypatch):
    client, bucket = s3_storage
    client.put_object(Bucket=bucket, Key="audio/A1/role.mp3", Body=b"role")
    # As on a machine with an instance role: no keys in the settings, credentials found by boto3.
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", s3_server.access_key)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", s3_server.secret_key)
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": s3_storage_options(bucket=bucket, endpoint_url=s3_server.endpoint_url, access_key=None,
                                      secret_key=None, region=s3_server.region),
    }}
    assert default_storage.access_key is None

    assert requests.get(signed_url("audio/A1/role.mp3"), timeout=5).content == b"role"


# --- offline: the signer against boto3's presigner, for what the test server cannot show ---------

@pytest.mark.parametrize("endpoint_url", [
    "http://127.0.0.1:9000",  # a port that is not the default: signed in Host
    "https://storage.example.com",
    "https://Storage.Example.com:443/s3/",  # default port written out, upper case, a path prefix
    "http://storage.example.com:80",
    "http://[::1]:9000",
    None,  # real AWS: the endpoint boto3 resolves for the region
])
@pytest.mark.parametrize("token", [None, "FwoGZXIvYXdzE+/session=token"])
@pytest.mark.parametrize("region", ["us-east-1", "ap-southeast-1"])
def test_the_signer_matches_boto3(endpoint_url, token, region):
    boto = boto3.client("s3", endpoint_url=endpoint_url, region_name=region, aws_access_key_id="AKIDEXAMPLE",
                        aws_secret_access_key="wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", aws_session_token=token,
                        config=Config(signature_version="s3v4", s3={"addressing_style": "path"}))
    for key in [*KEYS, "a//b/./c/../d", "%41 already-encoded%2F", "*!'()$@:;,", "tab\tand\nnewline"]:
        with time_machine.travel(FROZEN, tick=False):
            theirs = boto.generate_presigned_url("get_object", Params={"Bucket": "audio.bucket-1", "Key": key},
                                                 ExpiresIn=3600)
            ours = presign_get(key, endpoint_url=boto.meta.endpoint_url, bucket="audio.bucket-1",
                               access_key="AKIDEXAMPLE", secret_key="wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                               region=region, expires_in=3600, session_token=token)
        assert ours == theirs, key


def test_a_new_day_gets_a_new_signing_key():
    # The cached key is per day: a URL signed a second after midnight must not use yesterday's.
    boto = boto3.client("s3", endpoint_url="http://127.0.0.1:9000", region_name="us-east-1",
                        aws_access_key_id="AK", aws_secret_access_key="SK",
                        config=Config(signature_version="s3v4", s3={"addressing_style": "path"}))
    for moment in ["2026-03-14T23:59:59Z", "2026-03-15T00:00:00Z", "2026-03-15T00:00:01Z"]:
        with time_machine.travel(moment, tick=False):
            ours = presign_get("k", endpoint_url="http://127.0.0.1:9000", bucket="b", access_key="AK",
                               secret_key="SK", region="us-east-1", expires_in=60)
            assert ours == boto.generate_presigned_url("get_object", Params={"Bucket": "b", "Key": "k"},
                                                       ExpiresIn=60)
