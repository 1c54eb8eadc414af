import pytest
import requests
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

pytestmark = pytest.mark.s3


def test_save_url_and_delete_against_the_s3_server(s3_storage):
    client, bucket = s3_storage

    key = default_storage.save("audio/A1/hello.mp3", ContentFile(b"ID3 fake mp3 bytes"))

    assert client.get_object(Bucket=bucket, Key=key)["Body"].read() == b"ID3 fake mp3 bytes"
    url = default_storage.url(key)
    assert "X-Amz-Signature=" in url
    assert requests.get(url, timeout=5).content == b"ID3 fake mp3 bytes"

    default_storage.delete(key)
    assert not default_storage.exists(key)
    assert client.list_objects_v2(Bucket=bucket).get("KeyCount", 0) == 0


def test_tampered_signature_is_refused_by_the_server(s3_storage):
    key = default_storage.save("audio/A1/signed.mp3", ContentFile(b"data"))
    url = default_storage.url(key)

    tampered = url.replace("audio/A1/signed.mp3", "audio/A1/other.mp3")

    assert requests.get(tampered, timeout=5).status_code == 403


def test_wrong_secret_cannot_write(s3_server):
    import boto3
    from botocore.exceptions import ClientError

    intruder = boto3.client("s3", endpoint_url=s3_server.endpoint_url, aws_access_key_id=s3_server.access_key,
                            aws_secret_access_key="wrong-secret", region_name=s3_server.region)
    with pytest.raises(ClientError):
        intruder.list_buckets()
