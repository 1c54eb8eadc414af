"""AWS Signature V4 query-string presigning of S3 GET object URLs, without botocore in the hot path.

boto3's `generate_presigned_url` builds a request object, runs its event hooks and derives
the SigV4 signing key (four HMACs) on every call: hundreds of µs per URL, about 29 % of a
practice set's time. The algorithm itself is short and fully specified, so it is done here:
the signing key depends only on (secret, day, region) and is derived once per day; the
per-URL work is one SHA-256 of the canonical request and one HMAC (bench/presign.py).

The URLs are those boto3 makes for path-style addressing, byte for byte (the tests compare
them): the same percent-encoding of the key, the same query order, the same host rule.

Pure computation on strings: no Django, no settings, no I/O. `core.storage` supplies the
endpoint, bucket and credentials.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from functools import lru_cache
from urllib.parse import quote, urlsplit

ALGORITHM = "AWS4-HMAC-SHA256"
_DEFAULT_PORTS = {"http": 80, "https": 443}
_DATE_FORMAT = "%Y%m%dT%H%M%SZ"


@lru_cache(maxsize=16)
def signing_key(secret_key: str, date: str, region: str) -> bytes:
    """The SigV4 signing key of a day (`date` is yyyymmdd) for S3 in `region`.

    Cached: it changes once a day, and deriving it is four of the five HMACs of a signature.
    """
    key = hmac.digest(("AWS4" + secret_key).encode(), date.encode(), "sha256")
    for part in (region, "s3", "aws4_request"):
        key = hmac.digest(key, part.encode(), "sha256")
    return key


@lru_cache(maxsize=16)
def _bucket_base(endpoint_url: str, bucket: str) -> tuple[str, str, str]:
    """(URL up to the key, canonical URI up to the key, host header value) of a path-style bucket.

    The URL keeps the endpoint as written (scheme, host case, an explicit default port), as
    boto3 does; the signed host is lowercase and drops the scheme's default port, as botocore
    sends it (and so as the server sees it: HTTP clients omit a default port in Host too).
    """
    parts = urlsplit(endpoint_url)
    host = parts.hostname or ""
    if ":" in host:  # an IPv6 literal keeps its brackets in Host
        host = f"[{host}]"
    if parts.port is not None and parts.port != _DEFAULT_PORTS.get(parts.scheme):
        host = f"{host}:{parts.port}"
    # An endpoint with a path (a proxy mounting S3 under /s3) keeps it in front of the bucket.
    path = f"{parts.path.rstrip('/')}/{quote(bucket, safe='')}/"
    return f"{parts.scheme}://{parts.netloc}{path}", path, host


def _encode(value: str) -> str:
    # SigV4's URI encoding: everything but the unreserved characters A-Z a-z 0-9 - _ . ~
    # (Python's quote never escapes those), UTF-8 bytes as %XX with upper-case hex.
    return quote(value, safe="")


@lru_cache(maxsize=16)
def _credential(access_key: str, scope: str) -> str:
    # Encoded once a day: quoting its slashes costs more than the final HMAC.
    return _encode(f"{access_key}/{scope}")


def presign_get(key: str, *, endpoint_url: str, bucket: str, access_key: str, secret_key: str, region: str,
                expires_in: int, session_token: str | None = None, now: float | None = None) -> str:
    """A presigned path-style GET URL of `bucket`/`key` at `endpoint_url`, valid `expires_in` seconds from `now`.

    `now` (Unix seconds, default the current time) is when the URL is signed; the server
    refuses it from `now + expires_in` on.
    """
    stamp = time.gmtime(time.time() if now is None else now)
    amz_date = time.strftime(_DATE_FORMAT, stamp)
    date = amz_date[:8]
    url_base, path_base, host = _bucket_base(endpoint_url, bucket)
    # S3 signs the path as sent: each segment encoded once, '/' kept, no normalising of
    # "//" or "." (botocore's S3 signer does not normalise either, and S3 keys may hold them).
    path = quote(key, safe="/")
    scope = f"{date}/{region}/s3/aws4_request"
    head = (f"X-Amz-Algorithm={ALGORITHM}&X-Amz-Credential={_credential(access_key, scope)}"
            f"&X-Amz-Date={amz_date}&X-Amz-Expires={int(expires_in)}")
    token = f"&X-Amz-Security-Token={_encode(session_token)}" if session_token is not None else ""
    # The canonical query string is sorted by name (Security-Token before SignedHeaders); the
    # URL keeps boto3's order, which the server does not care about but byte equality does.
    canonical_request = (f"GET\n{path_base}{path}\n{head}{token}&X-Amz-SignedHeaders=host\n"
                         f"host:{host}\n\nhost\nUNSIGNED-PAYLOAD")
    string_to_sign = f"{ALGORITHM}\n{amz_date}\n{scope}\n{hashlib.sha256(canonical_request.encode()).hexdigest()}"
    signature = hmac.digest(signing_key(secret_key, date, region), string_to_sign.encode(), "sha256").hex()
    return f"{url_base}{path}?{head}&X-Amz-SignedHeaders=host{token}&X-Amz-Signature={signature}"
