"""Benchmark of S3 presigned audio URLs: boto3's presigner against `core.s3_presign`, in one process.

Prints µs per URL, each the median over BENCH_ROUNDS rounds (default 5) of BENCH_URLS URLs
(default 20 000, distinct keys shaped like stored audio keys), of

  * boto3: `generate_presigned_url` on the cached client for the public endpoint, which is
    what `core.storage.signed_url` did before;
  * signed_url: `core.storage.signed_url` as it is now (settings and storage lookups included);
  * presign_get: the signer alone, its inputs given;

and the ratio boto3 / signed_url. The targets take turns within each round, starting with a
different one every round, so a slower moment of the machine is shared out. Signing is pure
computation: no S3 server is involved (the endpoint below is never contacted), no database is
used. Run:  .venv/bin/python bench/presign.py
"""

import os
import statistics
import time
import uuid
from collections.abc import Callable

import harness

URLS = int(os.environ.get("BENCH_URLS", "20000"))
ROUNDS = max(3, int(os.environ.get("BENCH_ROUNDS", "5")))
ACCESS_KEY, SECRET_KEY = "bench-access-key", "bench-secret-key-0123456789"
PUBLIC_ENDPOINT = "https://media.example.com"

os.environ.update(harness.django_env(
    DATABASE_URL=f"sqlite:///{harness.temp_dir('bench-presign-')}/unused.sqlite3",
    AWS_STORAGE_BUCKET_NAME="bench-audio", AWS_S3_ENDPOINT_URL="http://127.0.0.1:9",
    AWS_S3_PUBLIC_ENDPOINT_URL=PUBLIC_ENDPOINT, AWS_S3_REGION_NAME="us-east-1",
    AWS_ACCESS_KEY_ID=ACCESS_KEY, AWS_SECRET_ACCESS_KEY=SECRET_KEY,
))
import django  # noqa: E402

django.setup()  # no migrate: nothing here touches the database

# Below: modules that need Django set up.
from django.core.files.storage import default_storage  # noqa: E402

from core.s3_presign import presign_get  # noqa: E402
from core.storage import is_s3, s3_client, signed_url  # noqa: E402

KEYS = [f"audio/B1/{uuid.uuid4().hex}.mp3" for _ in range(URLS)]
BUCKET = default_storage.bucket_name
BOTO3 = s3_client(endpoint_url=PUBLIC_ENDPOINT)


def boto3_url(key: str) -> str:
    return BOTO3.generate_presigned_url("get_object", Params={"Bucket": BUCKET, "Key": key}, ExpiresIn=3600)


def new_url(key: str) -> str:
    return signed_url(key, expires_in=3600)


def signer_alone(key: str) -> str:
    return presign_get(key, endpoint_url=PUBLIC_ENDPOINT, bucket=BUCKET, access_key=ACCESS_KEY,
                       secret_key=SECRET_KEY, region="us-east-1", expires_in=3600)


TARGETS: dict[str, Callable[[str], str]] = {"boto3": boto3_url, "signed_url": new_url, "presign_get": signer_alone}


def same_urls() -> None:
    """The three make the same URL (retried if a second ticks over between them): else the numbers mean nothing."""
    for _ in range(5):
        urls = {fn(KEYS[0]) for fn in TARGETS.values()}
        if len(urls) == 1:
            return
    raise SystemExit(f"the signers disagree: {urls}")


def per_url_us(sign: Callable[[str], str]) -> float:
    started = time.perf_counter()
    for key in KEYS:
        sign(key)
    return (time.perf_counter() - started) / len(KEYS) * 1e6


def main() -> None:
    assert is_s3(), "the default storage should be S3 here"
    same_urls()
    for sign in TARGETS.values():  # warm-up: imports, caches, the day's signing key
        for key in KEYS[:500]:
            sign(key)
    print(harness.load_average())
    names = list(TARGETS)
    samples: dict[str, list[float]] = {name: [] for name in names}
    for round_ in range(ROUNDS):
        for name in names[round_ % len(names):] + names[:round_ % len(names)]:
            samples[name].append(per_url_us(TARGETS[name]))
    print(f"{URLS} presigned GET URLs per target, {ROUNDS} interleaved rounds, median µs per URL:")
    medians = {name: statistics.median(values) for name, values in samples.items()}
    for name in names:
        rounds = " ".join(f"{value:.1f}" for value in samples[name])
        print(f"  {name:12s} {medians[name]:8.2f} µs   (rounds: {rounds})")
    print(f"  boto3 / signed_url = {medians['boto3'] / medians['signed_url']:.1f}x")
    print(harness.load_average())


if __name__ == "__main__":
    main()
