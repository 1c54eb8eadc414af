"""Signed, expiring audio URLs for whichever storage is configured.

S3: presigned with boto3 for the *public* endpoint (clients may reach the storage at
another address than the server does). Local storage: a URL to our own view, signed
with an HMAC over the key and expiry. Both are pure computation, so a practice set can
sign 50 URLs without any I/O.
"""

import time
from functools import lru_cache
from urllib.parse import urlencode

import boto3
from botocore.config import Config
from django.conf import settings
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils.crypto import constant_time_compare, salted_hmac

_HMAC_SALT = "content.audio.signed-url"


def _is_s3() -> bool:
    return default_storage.__class__.__name__ == "S3Storage"


@lru_cache(maxsize=8)
def _presigning_client(endpoint_url: str | None, access_key: str | None, secret_key: str | None, region: str):
    # Building a boto3 client costs milliseconds; signing with one costs microseconds.
    return boto3.client(
        "s3", endpoint_url=endpoint_url, aws_access_key_id=access_key, aws_secret_access_key=secret_key,
        region_name=region, config=Config(signature_version="s3v4", s3={"addressing_style": "path"}),
    )


def _local_signature(key: str, expires: int) -> str:
    return salted_hmac(_HMAC_SALT, f"{key}:{expires}", algorithm="sha256").hexdigest()


def signed_audio_url(key: str, *, request=None, expires_in: int | None = None) -> str:
    """A URL that downloads the stored object `key` until it expires (default 1 hour)."""
    if not key:
        return ""
    expires_in = expires_in or settings.AUDIO_URL_EXPIRY_SECONDS
    if _is_s3():
        options = settings.STORAGES["default"].get("OPTIONS", {})
        endpoint = settings.AWS_S3_PUBLIC_ENDPOINT_URL or options.get("endpoint_url")
        client = _presigning_client(endpoint, options.get("access_key"), options.get("secret_key"),
                                    options.get("region_name") or settings.AWS_S3_REGION_NAME)
        return client.generate_presigned_url(
            "get_object", Params={"Bucket": default_storage.bucket_name, "Key": key}, ExpiresIn=expires_in,
        )
    expires = int(time.time()) + expires_in
    path = reverse("content:audio-file", kwargs={"key": key})
    url = f"{path}?{urlencode({'expires': expires, 'signature': _local_signature(key, expires)})}"
    return request.build_absolute_uri(url) if request is not None else url


def verify_local_signature(key: str, expires: str, signature: str) -> bool:
    """True when the local URL for `key` was signed by us and has not expired."""
    try:
        expires_at = int(expires)
    except (TypeError, ValueError):
        return False
    if expires_at < time.time():
        return False
    return constant_time_compare(_local_signature(key, expires_at), signature or "")
