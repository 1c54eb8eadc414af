"""The one storage gateway: single files, bulk copy/delete and signed URLs, local or S3.

Everything that talks to the audio storage goes through here, so "is this S3?", the boto3
client and the translation of every storage failure into `StorageUnavailable` exist once.
Plain reads may still use `default_storage`; these functions exist where callers need more
(errors translated, parallel bulk work, signing).

- Bulk work (an import moves thousands of clips) uses one boto3 client directly on S3: one
  PUT per upload (no existence probe), server-side copies (no download + upload), batched
  deletes, and a thread pool, because 10 000 clips are 10 000 round trips otherwise.
- Signed URLs are pure computation, so a practice set signs 50 of them without I/O. S3:
  presigned for the *public* endpoint (clients may reach the storage at another address
  than the server does) by `core.s3_presign`: SigV4 with a signing key derived once a day,
  a few µs per URL where boto3's presigner takes hundreds (bench/presign.py). Local storage:
  a URL to the `content:audio-file` view, signed with an HMAC over the key and expiry, which
  `open_signed_file` checks.

Imports only Django, boto3/botocore, django-storages and core. `config.settings` imports
`s3_storage_options` from here, so nothing at import time may read settings or load apps.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import boto3
from botocore.client import BaseClient
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings
from django.core.exceptions import SuspiciousFileOperation
from django.core.files import File
from django.core.files.storage import default_storage, storages
from django.urls import get_script_prefix, reverse
from django.utils.crypto import constant_time_compare
from django.utils.http import RFC3986_SUBDELIMS
from django.utils.translation import gettext_lazy as _
from storages.backends.s3 import S3Storage

from core.audio import CONTENT_TYPES
from core.exceptions import Forbidden, NotFound, ServiceUnavailable
from core.s3_presign import presign_get

if TYPE_CHECKING:
    from django.http import HttpRequest

logger = logging.getLogger(__name__)

STORAGE_ERRORS = (OSError, BotoCoreError, ClientError)
_S3_DELETE_BATCH = 1000  # the most keys one DeleteObjects request takes
# Unchanged since the signer lived in content: links handed out before still verify.
_HMAC_SALT = "content.audio.signed-url"
# The route of the local download view; reversed by name, so core never imports content.
LOCAL_FILE_ROUTE = "content:audio-file"

# Called with the number of objects just handled (e.g. a progress bar's `update`).
Progress = Callable[[int], None] | None


class StorageUnavailable(ServiceUnavailable):
    code = "storage_unavailable"
    detail = _("The audio storage is unavailable. Try again later.")


class InvalidSignature(Forbidden):
    code = "invalid_signature"
    detail = _("This audio link is invalid or has expired.")


class StoredFileNotFound(NotFound):
    detail = _("Audio file not found.")


def is_s3() -> bool:
    return isinstance(default_storage, S3Storage)


def s3_storage_options(*, bucket: str, endpoint_url: str | None, access_key: str | None, secret_key: str | None,
                       region: str, url_expiry_seconds: int = 3600, timeout: float = 5.0) -> dict[str, Any]:
    """Options for django-storages' S3Storage, for settings and for tests against their own S3 server.

    `timeout` bounds each wait for the server (connect: at most 2 s); one retry, so a frozen
    server fails a call in about twice `timeout` instead of hanging the request.
    """
    return {
        "bucket_name": bucket,
        "endpoint_url": endpoint_url,
        "access_key": access_key,
        "secret_key": secret_key,
        "region_name": region,
        "signature_version": "s3v4",
        "addressing_style": "path",
        "querystring_auth": True,
        "querystring_expire": url_expiry_seconds,
        "file_overwrite": False,
        "default_acl": None,
        "client_config": Config(
            connect_timeout=min(2.0, timeout), read_timeout=timeout,
            retries={"total_max_attempts": 2, "mode": "standard"},
            signature_version="s3v4", s3={"addressing_style": "path"},
        ),
    }


# --- the client ----------------------------------------------------------------------------

def s3_client(*, endpoint_url: str | None = None) -> BaseClient:
    """The boto3 client for the default (S3) storage: its credentials and config, a larger pool.

    `endpoint_url` replaces the storage's own (presigned URLs are signed for the public one).
    Clients are cached: building one costs milliseconds, using one microseconds.
    """
    storage = default_storage
    return _client(endpoint_url or storage.endpoint_url, storage.access_key, storage.secret_key,
                   storage.security_token, storage.region_name or settings.AWS_S3_REGION_NAME, storage.verify,
                   storage.client_config, max(10, _concurrency()))


@lru_cache(maxsize=8)
def _client(endpoint_url: str | None, access_key: str | None, secret_key: str | None, security_token: str | None,
            region_name: str | None, verify: Any, client_config: Config, pool: int) -> BaseClient:
    # The storage's own client keeps botocore's 10 connections; parallel copies need one each.
    session = boto3.session.Session(aws_access_key_id=access_key, aws_secret_access_key=secret_key,
                                    aws_session_token=security_token)
    return session.client("s3", endpoint_url=endpoint_url, region_name=region_name, verify=verify,
                          config=client_config.merge(Config(max_pool_connections=pool)))


# --- single files --------------------------------------------------------------------------

def save(name: str, content: File) -> str:
    """Store `content` under `name` (or a free variant of it); returns the name used."""
    try:
        return default_storage.save(name, content)
    except STORAGE_ERRORS as exc:
        raise StorageUnavailable() from exc


@lru_cache(maxsize=4)
def _probe_config(base: Config, timeout: float) -> Config:
    # Cached, so the client cache (keyed by config) holds one probe client, not one per probe.
    return base.merge(Config(connect_timeout=timeout, read_timeout=timeout, retries={"total_max_attempts": 1}))


def probe(*, timeout: float = 2.0) -> None:
    """Prove the storage answers (credentials, bucket, network) within about `timeout` seconds, or raise.

    For readiness checks: one attempt with a short timeout, where normal calls retry and
    wait longer.
    """
    if not is_s3():
        default_storage.exists("health/probe")  # a stat: fails only if the folder cannot be read
        return
    client = _client(default_storage.endpoint_url, default_storage.access_key, default_storage.secret_key,
                     default_storage.security_token, default_storage.region_name or settings.AWS_S3_REGION_NAME,
                     default_storage.verify, _probe_config(default_storage.client_config, timeout), 1)
    try:
        client.head_object(Bucket=default_storage.bucket_name, Key="health/probe")
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") not in ("404", "NoSuchKey", "NotFound"):
            raise


def exists(key: str) -> bool:
    try:
        return default_storage.exists(key)
    except STORAGE_ERRORS as exc:
        raise StorageUnavailable() from exc


def open_signed_file(key: str, *, expires: str | None, signature: str | None) -> tuple[File, str]:
    """The file a local signed URL names, opened, and its content type.

    `InvalidSignature` (403) for a forged or expired link, before the storage is asked
    anything; `StoredFileNotFound` (404) when the object is gone.
    """
    if not verify_local_signature(key, expires, signature):
        raise InvalidSignature()
    try:
        if not default_storage.exists(key):
            raise StoredFileNotFound()
        handle = default_storage.open(key, "rb")
    except (FileNotFoundError, SuspiciousFileOperation):  # deleted meanwhile, or a key outside the storage
        raise StoredFileNotFound() from None
    except STORAGE_ERRORS as exc:
        raise StorageUnavailable() from exc
    return handle, CONTENT_TYPES.get(key.rsplit(".", 1)[-1].lower(), "application/octet-stream")


# --- bulk work -----------------------------------------------------------------------------

class _PartlyDone(Exception):
    def __init__(self, cause: BaseException, done: list[str]):
        super().__init__(str(cause))
        self.cause, self.done = cause, done


def _concurrency() -> int:
    # The setting is named for imports, the first (and biggest) bulk user of the storage.
    return settings.IMPORT_STORAGE_CONCURRENCY


def _run(tasks: Sequence[Callable[[], str]], progress: Progress) -> list[str]:
    """Run storage calls, in parallel on S3; results in task order. Stops at the first failure.

    A failure raises `_PartlyDone` with the results of the calls that succeeded, so the
    caller can undo them.
    """
    results: list[str | None] = [None] * len(tasks)
    failure: BaseException | None = None
    workers = _concurrency()
    if not is_s3() or workers <= 1 or len(tasks) <= 1:
        for index, task in enumerate(tasks):
            try:
                results[index] = task()
            except Exception as exc:  # every call here is storage I/O; the caller must get to undo
                failure = exc
                break
            if progress:
                progress(1)
    else:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            futures = [pool.submit(task) for task in tasks]
            for index, future in enumerate(futures):
                if failure is not None:
                    future.cancel()
                if future.cancelled():
                    continue
                try:
                    results[index] = future.result()
                except Exception as exc:
                    failure = failure or exc
                    continue
                if progress:
                    progress(1)
    if failure is not None:
        raise _PartlyDone(failure, [result for result in results if result is not None])
    return results  # type: ignore[return-value]


def _undo_and_raise(failed: _PartlyDone) -> StorageUnavailable:
    # A bug (not an outage) keeps its traceback in the log.
    logger.error("Storage operation failed: %s", failed.cause, exc_info=not isinstance(failed.cause, STORAGE_ERRORS))
    delete_quietly(failed.done)
    return StorageUnavailable()


def put_many(items: Sequence[tuple[str, File, str]], progress: Progress = None) -> list[str]:
    """Store (key, file, content type) items; returns the keys actually used, in order.

    On failure the objects already written are deleted again before `StorageUnavailable` is raised.
    """
    client = s3_client() if is_s3() else None
    bucket = default_storage.bucket_name if client else ""

    def put(key: str, content: File, content_type: str) -> Callable[[], str]:
        def task() -> str:
            content.seek(0)
            if client is None:
                return default_storage.save(key, content)
            client.put_object(Bucket=bucket, Key=key, Body=content.file if hasattr(content, "file") else content,
                              ContentType=content_type)
            return key
        return task

    try:
        return _run([put(*item) for item in items], progress)
    except _PartlyDone as failed:
        raise _undo_and_raise(failed) from failed.cause


def copy_many(pairs: Sequence[tuple[str, str]], progress: Progress = None) -> list[str]:
    """Copy (source key, destination key) pairs; returns the destination keys actually used.

    On failure the copies already made are deleted again; the sources are never touched.
    """
    client = s3_client() if is_s3() else None
    bucket = default_storage.bucket_name if client else ""

    def copy(source: str, destination: str) -> Callable[[], str]:
        def task() -> str:
            if client is None:
                with default_storage.open(source, "rb") as content:
                    return default_storage.save(destination, content)
            client.copy_object(Bucket=bucket, Key=destination, CopySource={"Bucket": bucket, "Key": source})
            return destination
        return task

    try:
        return _run([copy(*pair) for pair in pairs], progress)
    except _PartlyDone as failed:
        raise _undo_and_raise(failed) from failed.cause


def delete_quietly(keys: Iterable[str]) -> int:
    """Delete objects, logging instead of raising: callers use it to tidy up. Returns how many failed."""
    keys = [key for key in keys if key]
    failed = 0
    if is_s3():
        client, bucket = s3_client(), default_storage.bucket_name
        for start in range(0, len(keys), _S3_DELETE_BATCH):
            batch = keys[start:start + _S3_DELETE_BATCH]
            try:
                answer = client.delete_objects(
                    Bucket=bucket, Delete={"Objects": [{"Key": key} for key in batch], "Quiet": True})
                failed += len(answer.get("Errors", []))
            except STORAGE_ERRORS as exc:
                logger.warning("Could not delete %d stored objects: %s", len(batch), exc)
                failed += len(batch)
        return failed
    for key in keys:
        try:
            default_storage.delete(key)
        except STORAGE_ERRORS as exc:
            logger.warning("Could not delete stored object %s: %s", key, exc)
            failed += 1
    return failed


def list_keys(prefix: str) -> list[str]:
    """Every object key under `prefix` (a "folder" ending in /); `StorageUnavailable` if the storage cannot say."""
    try:
        if is_s3():
            pages = s3_client().get_paginator("list_objects_v2").paginate(
                Bucket=default_storage.bucket_name, Prefix=prefix)
            return [item["Key"] for page in pages for item in page.get("Contents", [])]
        return _local_keys(prefix)
    except STORAGE_ERRORS as exc:
        raise StorageUnavailable() from exc


@dataclass(frozen=True, slots=True)
class StoredObject:
    key: str
    modified: datetime  # aware: S3's LastModified, or the local file's mtime


def list_objects(prefix: str) -> Iterator[StoredObject]:
    """Every object under `prefix` (a "folder" ending in /) with its last-modified time, lazily.

    For walks over the whole storage: S3 is asked one page (1000 keys) at a time and local
    folders are read entry by entry, so a million objects never sit in memory at once. The
    order is the storage's own. `StorageUnavailable` if the storage cannot say, also part-way.
    """
    try:
        if is_s3():
            pages = s3_client().get_paginator("list_objects_v2").paginate(
                Bucket=default_storage.bucket_name, Prefix=prefix)
            for page in pages:
                for item in page.get("Contents", []):
                    yield StoredObject(item["Key"], item["LastModified"])
        else:
            yield from _local_objects(prefix)
    except STORAGE_ERRORS as exc:
        raise StorageUnavailable() from exc


def _local_objects(prefix: str) -> Iterator[StoredObject]:
    folder = prefix.rstrip("/")
    pending = [(default_storage.path(folder), folder)]
    while pending:
        path, key_folder = pending.pop()
        try:
            # One folder open at a time: subfolders wait in `pending` until this one is read.
            with os.scandir(path) as entries:
                for entry in entries:
                    key = f"{key_folder}/{entry.name}" if key_folder else entry.name
                    try:
                        # Not followed: a link is nothing this storage wrote, and a looping one never ends.
                        if entry.is_dir(follow_symlinks=False):
                            pending.append((entry.path, key))
                        elif entry.is_file(follow_symlinks=False):
                            yield StoredObject(key, datetime.fromtimestamp(entry.stat().st_mtime, tz=UTC))
                    except FileNotFoundError:
                        continue  # deleted since the folder was read
        except FileNotFoundError:
            continue  # no such folder (or removed meanwhile): nothing stored there


def delete_prefix(prefix: str, *, keep: Callable[[list[str]], Iterable[str]] | None = None) -> int:
    """Delete every object under `prefix` (a "folder" ending in /), except those `keep(keys)` names.

    Returns how many were deleted. `StorageUnavailable` when the objects cannot be listed or
    some could not be deleted: the caller keeps whatever record leads to the prefix (and
    tries again later) instead of forgetting objects that are still stored.
    """
    keys = list_keys(prefix)
    if keys and keep is not None:
        kept = set(keep(keys))
        keys = [key for key in keys if key not in kept]
    failed = delete_quietly(keys)
    if not is_s3():
        _remove_empty_local_dirs(prefix)
    if failed:
        raise StorageUnavailable()
    return len(keys)


def _local_keys(prefix: str) -> list[str]:
    folder = prefix.rstrip("/")
    if not default_storage.exists(folder):
        return []
    directories, files = default_storage.listdir(folder)
    keys = [f"{folder}/{name}" for name in files]
    for directory in directories:
        keys += _local_keys(f"{folder}/{directory}/")
    return keys


def _remove_empty_local_dirs(prefix: str) -> None:
    try:
        path = default_storage.path(prefix.rstrip("/"))
        for root, _dirs, _files in sorted(os.walk(path), key=lambda entry: -len(entry[0])):
            os.rmdir(root)
    except (OSError, NotImplementedError):
        pass  # a folder that is not empty or already gone needs no tidying


# --- signed URLs ---------------------------------------------------------------------------

@lru_cache(maxsize=4)
def _signing_key(secret: str) -> bytes:
    # The same derivation as Django's salted_hmac, done once instead of per URL.
    return hashlib.sha256((_HMAC_SALT + secret).encode()).digest()


def _local_signature(key: str, expires: int) -> str:
    return hmac.new(_signing_key(settings.SECRET_KEY), f"{key}:{expires}".encode(), hashlib.sha256).hexdigest()


@lru_cache(maxsize=8)
def _local_path_prefix(script_prefix: str) -> str:
    # reverse() costs tens of microseconds; a practice set needs up to 50 of these URLs.
    return reverse(LOCAL_FILE_ROUTE, kwargs={"key": "k"})[:-1]


def _local_path(key: str) -> str:
    # Quoted exactly as reverse() quotes the <path:key> part.
    return _local_path_prefix(get_script_prefix()) + quote(key, safe=RFC3986_SUBDELIMS + "/~:@")


def signed_url(key: str, *, request: HttpRequest | None = None, expires_in: int | None = None) -> str:
    """A URL that downloads the stored object `key` until it expires (default AUDIO_URL_EXPIRY_SECONDS).

    Local URLs are absolute when `request` is given (its scheme and host), else a path.
    """
    if not key:
        return ""
    expires_in = expires_in or settings.AUDIO_URL_EXPIRY_SECONDS
    if is_s3():
        return _s3_signed_url(key, expires_in)
    expires = int(time.time()) + expires_in
    url = f"{_local_path(key)}?expires={expires}&signature={_local_signature(key, expires)}"
    if request is None:
        return url
    # The scheme and host are the same for every URL of a response: work them out once.
    origin = getattr(request, "_signed_audio_origin", None)
    if origin is None:
        origin = request.build_absolute_uri("/")[:-1]
        request._signed_audio_origin = origin
    return origin + url


def _s3_signed_url(key: str, expires_in: int) -> str:
    # The storage itself, not the default_storage proxy: each attribute read through the proxy
    # costs a microsecond, half of what signing does. The same object (reset when STORAGES changes).
    storage = storages["default"]
    endpoint_url = settings.AWS_S3_PUBLIC_ENDPOINT_URL or storage.endpoint_url
    if not (storage.access_key and storage.secret_key):
        # No keys in the settings: boto3 finds credentials itself (environment, instance role,
        # web identity), and those may be temporary ones it refreshes. Only it can sign with them.
        return s3_client(endpoint_url=endpoint_url).generate_presigned_url(
            "get_object", Params={"Bucket": storage.bucket_name, "Key": key}, ExpiresIn=expires_in)
    if not endpoint_url:
        # Real AWS: the endpoint boto3 resolves (partition, the us-east-1 global host, FIPS or
        # dual-stack if configured), read from the cached client, so the URL stays the one boto3 made.
        endpoint_url = s3_client().meta.endpoint_url
    return presign_get(key, endpoint_url=endpoint_url, bucket=storage.bucket_name, access_key=storage.access_key,
                       secret_key=storage.secret_key, session_token=storage.security_token,
                       region=storage.region_name or settings.AWS_S3_REGION_NAME, expires_in=expires_in)


def verify_local_signature(key: str, expires: str | None, signature: str | None) -> bool:
    """True when the local URL for `key` was signed by us and has not expired."""
    try:
        expires_at = int(expires)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False
    if expires_at < time.time():
        return False
    return constant_time_compare(_local_signature(key, expires_at), signature or "")
