"""Signed, expiring audio URLs for whichever storage is configured.

S3: presigned with boto3 for the *public* endpoint (clients may reach the storage at
another address than the server does). Local storage: a URL to our own view, signed
with an HMAC over the key and expiry. Both are pure computation, so a practice set can
sign 50 URLs without any I/O.
"""

import hashlib
import hmac
import time
from functools import lru_cache
from urllib.parse import quote

import boto3
from botocore.config import Config
from django.conf import settings
from django.core.files.storage import default_storage
from django.urls import get_script_prefix, reverse
from django.utils.crypto import constant_time_compare
from django.utils.http import RFC3986_SUBDELIMS

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


@lru_cache(maxsize=4)
def _signing_key(secret: str) -> bytes:
    # The same derivation as Django's salted_hmac, done once instead of per URL.
    return hashlib.sha256((_HMAC_SALT + secret).encode()).digest()


def _local_signature(key: str, expires: int) -> str:
    return hmac.new(_signing_key(settings.SECRET_KEY), f"{key}:{expires}".encode(), hashlib.sha256).hexdigest()


@lru_cache(maxsize=8)
def _local_path_prefix(script_prefix: str) -> str:
    # reverse() costs tens of microseconds; a practice set needs up to 50 of these URLs.
    return reverse("content:audio-file", kwargs={"key": "k"})[:-1]


def _local_audio_path(key: str) -> str:
    # Quoted exactly as reverse() quotes the <path:key> part.
    return _local_path_prefix(get_script_prefix()) + quote(key, safe=RFC3986_SUBDELIMS + "/~:@")


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
    url = f"{_local_audio_path(key)}?expires={expires}&signature={_local_signature(key, expires)}"
    if request is None:
        return url
    # The scheme and host are the same for every URL of a response: work them out once.
    origin = getattr(request, "_signed_audio_origin", None)
    if origin is None:
        origin = request.build_absolute_uri("/")[:-1]
        request._signed_audio_origin = origin
    return origin + url


def verify_local_signature(key: str, expires: str, signature: str) -> bool:
    """True when the local URL for `key` was signed by us and has not expired."""
    try:
        expires_at = int(expires)
    except (TypeError, ValueError):
        return False
    if expires_at < time.time():
        return False
    return constant_time_compare(_local_signature(key, expires_at), signature or "")
