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
import time

import harness

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "5"))
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "40"))
THREADS = int(os.environ.get("BENCH_THREADS", "2"))
WORK_DIR = harness.temp_dir("bench-scoring-")

harness.start_django(
    DATABASE_URL=f"sqlite:///{WORK_DIR}/bench.sqlite3", MEDIA_ROOT=f"{WORK_DIR}/media",
    SPEECH_PROVIDER="local", SPEECH_LOCAL_DECODERS=str(max(THREADS, 1)),
)

# Below: modules that need Django set up.
from django.core.files.uploadedfile import SimpleUploadedFile  # noqa: E402
from rest_framework.test import APIClient  # noqa: E402

from accounts.models import User  # noqa: E402
from scoring.audio import check_quality, decode_audio  # noqa: E402
from scoring.providers.base import OffTaskSpeechError  # noqa: E402
from scoring.providers.factory import get_speech_provider, reset_speech_providers  # noqa: E402

AUDIO_DIR = harness.ROOT / "tests" / "scoring" / "audio"
REFERENCE = "I would like to order a cup of coffee, please."
CLIPS = ["right.wav", "right.mp3", "right.m4a", "changed.wav", "truncated.wav", "different.wav"]
URL = "/api/v1/speech/score"


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
            try:
                provider.transcribe_and_score(pcm, REFERENCE)
            except OffTaskSpeechError:
                pass  # different.wav is another sentence: refused, and the refusal's time is what counts

            cpu += time.thread_time() - cpu_start
            wall += time.perf_counter() - wall_start
            audio_seconds += pcm.duration
        print(f"  {name:15s} {audio_seconds / ROUNDS:8.2f} {cpu / audio_seconds:8.3f} {wall / audio_seconds:9.3f}")
        total_audio, total_cpu, total_wall = total_audio + audio_seconds, total_cpu + cpu, total_wall + wall
    print(f"  {'all':15s} {total_audio / ROUNDS / len(CLIPS):8.2f} {total_cpu / total_audio:8.3f} "
          f"{total_wall / total_audio:9.3f}")


def post(client: APIClient, name: str, data: bytes) -> float:
    body = {"audio": SimpleUploadedFile(name, data), "reference_text": REFERENCE}
    expect = 422 if name == "different.wav" else 200  # another sentence: refused as off_task
    return harness.timed_request(client, "post", URL, data=body, format="multipart", expect=expect)[0]


def endpoint_latency(user: User) -> None:
    client = harness.api_client(user)
    data = {name: (AUDIO_DIR / name).read_bytes() for name in CLIPS}
    reset_speech_providers()
    cold = post(client, "right.wav", data["right.wav"])
    print(f"\nPOST {URL} through the test client (sequential):")
    print(f"  cold first request (loads a decoder): {cold * 1000:.0f} ms")
    for names, label in ((["right.wav"], "right reading (WAV, 2.7 s)"),
                         (CLIPS, "mixed clips (WAV/MP3/M4A; right, changed, truncated, different)")):
        stats = harness.latency([post(client, names[i % len(names)], data[names[i % len(names)]])
                                 for i in range(REQUESTS)])
        print(f"  {label}: n={stats.n} p50={stats.p50:.0f} ms p95={stats.p95:.0f} ms max={stats.max:.0f} ms")


def throughput(user: User) -> None:
    data = (AUDIO_DIR / "right.wav").read_bytes()
    per_thread = max(1, REQUESTS // THREADS)

    def worker(_: int) -> list[float]:
        client = harness.api_client(user)
        return [post(client, "right.wav", data) for _ in range(per_thread)]

    results, elapsed = harness.in_threads(THREADS, worker)
    stats = harness.latency([timing for mine in results for timing in mine])
    print(f"\n{THREADS} concurrent clients, {os.environ['SPEECH_LOCAL_DECODERS']} decoders, right.wav: "
          f"{stats.n / elapsed:.1f} requests/s, p50={stats.p50:.0f} ms p95={stats.p95:.0f} ms "
          f"(all CPUs of the machine: {os.cpu_count()})")


def main() -> None:
    user = harness.new_user("scorer")
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
