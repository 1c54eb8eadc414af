"""Benchmark of pronunciation scoring with the local (PocketSphinx) engine.

Prints:
  * the real-time factor (processing seconds per second of audio) of the local engine on
    one core, per test recording and overall: decoding (PyAV) + quality checks + scoring,
    measured as the thread's CPU time (so other load on the machine does not count) and
    as wall time, with the process pinned to one CPU;
  * the end-to-end latency (p50/p95/max) of POST /api/v1/speech/score through Django's
    test client (JWT auth, multipart parsing, decoding, scoring, JSON), after one warm-up
    request, and the cold first request that loads the decoder;
  * throughput with BENCH_THREADS concurrent clients sharing SPEECH_LOCAL_DECODERS decoders.

Uses a throwaway SQLite database and local-memory cache; rate limits are off. Run:
  .venv/bin/python bench/scoring.py          (BENCH_ROUNDS, BENCH_REQUESTS, BENCH_THREADS)
"""

import os
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "5"))
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "40"))
THREADS = int(os.environ.get("BENCH_THREADS", "2"))
WORK_DIR = tempfile.mkdtemp(prefix="bench-scoring-")

os.environ.update({
    "DATABASE_URL": f"sqlite:///{WORK_DIR}/bench.sqlite3",
    "DEBUG": "0",
    "SECRET_KEY": os.environ.get("SECRET_KEY", "bench-only-secret-key-" + "x" * 40),
    "ALLOWED_HOSTS": "testserver",
    "RATE_LIMIT_ENABLED": "0",
    "REDIS_URL": "",
    "SECURE_SSL_REDIRECT": "0",
    "MEDIA_ROOT": f"{WORK_DIR}/media",
    "LOG_LEVEL": "WARNING",
    "SPEECH_PROVIDER": "local",
    "SPEECH_LOCAL_DECODERS": str(max(THREADS, 1)),
    "DJANGO_SETTINGS_MODULE": "config.settings",
})

import django  # noqa: E402

django.setup()

from django.core.files.uploadedfile import SimpleUploadedFile  # noqa: E402
from django.core.management import call_command  # noqa: E402
from rest_framework.test import APIClient  # noqa: E402
from rest_framework_simplejwt.tokens import RefreshToken  # noqa: E402

from accounts.models import User  # noqa: E402
from scoring.audio import check_quality, decode_audio  # noqa: E402
from scoring.providers.factory import get_speech_provider  # noqa: E402

AUDIO_DIR = ROOT / "tests" / "scoring" / "audio"
REFERENCE = "I would like to order a cup of coffee, please."
CLIPS = ["right.wav", "right.mp3", "right.m4a", "changed.wav", "truncated.wav", "different.wav"]
URL = "/api/v1/speech/score"


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def real_time_factor() -> None:
    provider = get_speech_provider()
    data = {name: (AUDIO_DIR / name).read_bytes() for name in CLIPS}
    provider.transcribe_and_score(decode_audio(data["right.wav"], max_seconds=30), REFERENCE)  # loads a decoder
    print(f"Real-time factor of the local engine, one core, {ROUNDS} rounds per clip "
          "(decode + quality check + score):")
    print(f"  {'clip':15s} {'audio s':>8s} {'CPU RTF':>8s} {'wall RTF':>9s}")
    total_audio = total_cpu = total_wall = 0.0
    for name in CLIPS:
        audio_seconds = cpu = wall = 0.0
        for _ in range(ROUNDS):
            cpu_start, wall_start = time.thread_time(), time.perf_counter()
            pcm = decode_audio(data[name], max_seconds=30)
            check_quality(pcm)
            provider.transcribe_and_score(pcm, REFERENCE)
            cpu += time.thread_time() - cpu_start
            wall += time.perf_counter() - wall_start
            audio_seconds += pcm.duration
        print(f"  {name:15s} {audio_seconds / ROUNDS:8.2f} {cpu / audio_seconds:8.3f} {wall / audio_seconds:9.3f}")
        total_audio, total_cpu, total_wall = total_audio + audio_seconds, total_cpu + cpu, total_wall + wall
    print(f"  {'all':15s} {total_audio / ROUNDS / len(CLIPS):8.2f} {total_cpu / total_audio:8.3f} "
          f"{total_wall / total_audio:9.3f}")


def client_for(user: User) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(user).access_token}")
    return client


def post(client: APIClient, name: str, data: bytes) -> float:
    started = time.perf_counter()
    response = client.post(URL, {"audio": SimpleUploadedFile(name, data), "reference_text": REFERENCE},
                           format="multipart")
    elapsed = time.perf_counter() - started
    if response.status_code != 200:
        raise SystemExit(f"{name}: HTTP {response.status_code} {response.content[:200]!r}")
    return elapsed


def endpoint_latency(user: User) -> None:
    client = client_for(user)
    data = {name: (AUDIO_DIR / name).read_bytes() for name in CLIPS}
    from scoring.providers.factory import reset_speech_providers

    reset_speech_providers()
    cold = post(client, "right.wav", data["right.wav"])
    print(f"\nPOST {URL} through the test client (sequential):")
    print(f"  cold first request (loads a decoder): {cold * 1000:.0f} ms")
    for names, label in ((["right.wav"], "right reading (WAV, 2.7 s)"),
                         (CLIPS, "mixed clips (WAV/MP3/M4A; right, changed, truncated, different)")):
        timings = [post(client, names[i % len(names)], data[names[i % len(names)]]) for i in range(REQUESTS)]
        print(f"  {label}: n={len(timings)} p50={percentile(timings, 0.5) * 1000:.0f} ms "
              f"p95={percentile(timings, 0.95) * 1000:.0f} ms max={max(timings) * 1000:.0f} ms")


def throughput(user: User) -> None:
    data = (AUDIO_DIR / "right.wav").read_bytes()
    per_thread = max(1, REQUESTS // THREADS)
    timings: list[float] = []
    lock = threading.Lock()

    def worker() -> None:
        client = client_for(user)
        mine = [post(client, "right.wav", data) for _ in range(per_thread)]
        with lock:
            timings.extend(mine)

    started = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    print(f"\n{THREADS} concurrent clients, {os.environ['SPEECH_LOCAL_DECODERS']} decoders, right.wav: "
          f"{len(timings) / elapsed:.1f} requests/s, p50={percentile(timings, 0.5) * 1000:.0f} ms "
          f"p95={percentile(timings, 0.95) * 1000:.0f} ms (all CPUs of the machine: {os.cpu_count()})")


def main() -> None:
    call_command("migrate", verbosity=0)
    user = User.objects.create_user(email="bench@example.com", password="bench-password-123", name="Bench")
    cpus = sorted(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {cpus[0]})
    try:
        real_time_factor()
        endpoint_latency(user)
    finally:
        os.sched_setaffinity(0, set(cpus))
    throughput(user)


if __name__ == "__main__":
    main()
