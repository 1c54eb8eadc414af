"""The storage operations an import needs, for the local file system and for S3.

This is the one place that talks to the storage for imports. On S3 it uses the storage's
own boto3 client directly: one PUT per upload (no existence probe), server-side
`copy_object` for moves (no download + upload), batched deletes, and a thread pool,
because an import of 10 000 clips is 10 000 round trips otherwise.
Every storage failure surfaces as `StorageUnavailable`.
"""

import logging
import os
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage

from core.audio import CONTENT_TYPES
from imports.exceptions import StorageUnavailable

logger = logging.getLogger(__name__)

STORAGE_ERRORS = (OSError, BotoCoreError, ClientError)
_S3_DELETE_BATCH = 1000  # the most keys one DeleteObjects request takes

Progress = Callable[[int], None] | None


def _s3():
    """(client, bucket) when the default storage is S3, else None."""
    if default_storage.__class__.__name__ != "S3Storage":
        return None
    return s3_client(), default_storage.bucket_name


def s3_client():
    """The boto3 client for bulk work on the default (S3) storage: its settings, a bigger connection pool."""
    storage = default_storage
    return _bulk_client(storage.endpoint_url, storage.access_key, storage.secret_key, storage.security_token,
                        storage.region_name, storage.verify, storage.client_config,
                        max(10, settings.IMPORT_STORAGE_CONCURRENCY))


@lru_cache(maxsize=8)
def _bulk_client(endpoint_url, access_key, secret_key, security_token, region_name, verify, client_config, pool):
    # The storage's own client keeps botocore's 10 connections; parallel copies need one each.
    session = boto3.session.Session(aws_access_key_id=access_key, aws_secret_access_key=secret_key,
                                    aws_session_token=security_token)
    return session.client("s3", endpoint_url=endpoint_url, region_name=region_name, verify=verify,
                          config=client_config.merge(Config(max_pool_connections=pool)))


def _run(tasks: Sequence[Callable[[], str]], progress: Progress) -> list[str]:
    """Run storage calls, in parallel on S3; results in task order. Stops at the first failure.

    The raised `StorageUnavailable` carries `done`: the results of the calls that succeeded,
    so the caller can undo them.
    """
    results: list[str | None] = [None] * len(tasks)
    failure: BaseException | None = None
    if _s3() is None or settings.IMPORT_STORAGE_CONCURRENCY <= 1 or len(tasks) <= 1:
        for index, task in enumerate(tasks):
            try:
                results[index] = task()
            except Exception as exc:  # every call here is storage I/O; the caller must get to undo
                failure = exc
                break
            if progress:
                progress(1)
    else:
        with ThreadPoolExecutor(max_workers=settings.IMPORT_STORAGE_CONCURRENCY) as pool:
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
        raise _storage_failure(failure, [result for result in results if result is not None]) from failure
    return results  # type: ignore[return-value]


def _storage_failure(exc: BaseException, done: list[str]) -> StorageUnavailable:
    logger.error("Storage operation failed during an import: %s", exc, exc_info=not isinstance(exc, STORAGE_ERRORS))
    error = StorageUnavailable()
    error.done = done  # type: ignore[attr-defined]
    return error


def put_many(items: Sequence[tuple[str, File, str]], progress: Progress = None) -> list[str]:
    """Store (key, file, audio format) items; returns the keys actually used, in order.

    On failure the objects already written are deleted again before `StorageUnavailable` is raised.
    """
    s3 = _s3()

    def put(key: str, content: File, audio_format: str) -> Callable[[], str]:
        def task() -> str:
            content.seek(0)
            if s3 is None:
                return default_storage.save(key, content)
            client, bucket = s3
            client.put_object(Bucket=bucket, Key=key, Body=content.file if hasattr(content, "file") else content,
                              ContentType=CONTENT_TYPES.get(audio_format, "application/octet-stream"))
            return key
        return task

    try:
        return _run([put(*item) for item in items], progress)
    except StorageUnavailable as exc:
        delete_quietly(exc.done)  # type: ignore[attr-defined]
        raise


def copy_many(pairs: Sequence[tuple[str, str]], progress: Progress = None) -> list[str]:
    """Copy (source key, destination key) pairs; returns the destination keys actually used.

    On failure the copies already made are deleted again; the sources are never touched.
    """
    s3 = _s3()

    def copy(source: str, destination: str) -> Callable[[], str]:
        def task() -> str:
            if s3 is None:
                with default_storage.open(source, "rb") as content:
                    return default_storage.save(destination, content)
            client, bucket = s3
            client.copy_object(Bucket=bucket, Key=destination, CopySource={"Bucket": bucket, "Key": source})
            return destination
        return task

    try:
        return _run([copy(*pair) for pair in pairs], progress)
    except StorageUnavailable as exc:
        delete_quietly(exc.done)  # type: ignore[attr-defined]
        raise


def delete_quietly(keys: Iterable[str]) -> int:
    """Delete objects, logging instead of raising: callers use it to tidy up. Returns how many failed."""
    keys = [key for key in keys if key]
    failed = 0
    s3 = _s3()
    if s3 is not None:
        client, bucket = s3
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


def delete_prefix(prefix: str) -> int:
    """Delete every object under `prefix` (a "folder" ending in /). Returns how many were deleted."""
    s3 = _s3()
    try:
        if s3 is not None:
            client, bucket = s3
            keys = [item["Key"]
                    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
                    for item in page.get("Contents", [])]
        else:
            keys = _local_keys(prefix)
    except STORAGE_ERRORS as exc:
        logger.warning("Could not list stored objects under %s: %s", prefix, exc)
        return 0
    failed = delete_quietly(keys)
    if s3 is None:
        _remove_empty_local_dirs(prefix)
    return len(keys) - failed


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
