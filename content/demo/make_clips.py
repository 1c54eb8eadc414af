"""Synthesise the demo clips in content/demo/audio/ from the sentence bank (run by developers, not by seed).

    apt-get update && apt-get install -y festival festvox-us-slt-hts
    .venv/bin/python -m content.demo.make_clips [--force] [--check]

Festival speaks each sentence (voice cmu_us_slt_arctic_hts); PyAV (already a dependency)
encodes it as MP3: mono, 22.05 kHz, constant 32 kbit/s, without ID3 tag or Xing header.
That makes each clip a bare sequence of MPEG frames, so the seed can join clips by
concatenating bytes, and keeps the whole set around 1 MB. `--check` runs the offline
recogniser (pocketsphinx) over every clip and prints how many words it heard right.
"""

import argparse
import io
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import av

from content.demo.sentences import SENTENCES, clip_name

AUDIO_DIR = Path(__file__).resolve().parent / "audio"
GAP_CLIP = "gap.mp3"
VOICE = "(voice_cmu_us_slt_arctic_hts)"
SAMPLE_RATE = 22050
BIT_RATE = 32000
GAP_SECONDS = 0.4
# Bare MPEG frames: no ID3v2 tag in front, no Xing/LAME info frame.
MUXER_OPTIONS = {"id3v2_version": "0", "write_xing": "0", "write_id3v1": "0"}


def _encode_mp3(frames, destination: Path) -> None:
    with av.open(str(destination), "w", format="mp3", options=MUXER_OPTIONS) as output:
        stream = output.add_stream("libmp3lame", rate=SAMPLE_RATE, layout="mono")
        stream.bit_rate = BIT_RATE
        resampler = av.AudioResampler(format=stream.codec_context.format.name, layout="mono", rate=SAMPLE_RATE)
        for frame in [*frames, None]:
            for resampled in resampler.resample(frame):
                output.mux(stream.encode(resampled))
        output.mux(stream.encode(None))


def _wav_frames(path: Path):
    with av.open(str(path)) as source:
        yield from source.decode(audio=0)


def synthesise(text: str, destination: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "speech.wav"
        subprocess.run(["text2wave", "-eval", VOICE, "-o", str(wav)], input=text.encode(), check=True)
        _encode_mp3(_wav_frames(wav), destination)


def make_gap(destination: Path) -> None:
    silence = av.AudioFrame(format="s16", layout="mono", samples=int(SAMPLE_RATE * GAP_SECONDS))
    silence.sample_rate = SAMPLE_RATE
    for plane in silence.planes:
        plane.update(bytes(plane.buffer_size))
    _encode_mp3([silence], destination)


def recognise(mp3: bytes) -> str:
    """What the offline recogniser hears in an MP3 (16 kHz mono PCM for pocketsphinx)."""
    from pocketsphinx import Decoder

    pcm = bytearray()
    resampler = av.AudioResampler(format="s16", layout="mono", rate=16000)
    with av.open(io.BytesIO(mp3)) as source:
        for frame in [*source.decode(audio=0), None]:
            for resampled in resampler.resample(frame):
                pcm += bytes(resampled.planes[0])[: resampled.samples * 2]
    decoder = Decoder(samprate=16000, loglevel="FATAL")
    decoder.start_utt()
    decoder.process_raw(bytes(pcm), full_utt=True)
    decoder.end_utt()
    return decoder.hyp().hypstr if decoder.hyp() else ""


def words(text: str) -> list[str]:
    return re.findall(r"[a-z']+", text.lower())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--force", action="store_true", help="re-synthesise clips that exist")
    parser.add_argument("--check", action="store_true", help="recognise every clip and report word accuracy")
    args = parser.parse_args()
    if shutil.which("text2wave") is None:
        print("text2wave not found: apt-get install -y festival festvox-us-slt-hts", file=sys.stderr)
        return 1
    AUDIO_DIR.mkdir(exist_ok=True)
    wanted = {clip_name(s.text) for s in SENTENCES} | {GAP_CLIP}
    for stale in AUDIO_DIR.glob("*.mp3"):
        if stale.name not in wanted:
            stale.unlink()
    if args.force or not (AUDIO_DIR / GAP_CLIP).exists():
        make_gap(AUDIO_DIR / GAP_CLIP)
    for sentence in SENTENCES:
        destination = AUDIO_DIR / clip_name(sentence.text)
        if args.force or not destination.exists():
            synthesise(sentence.text, destination)
    total = sum(p.stat().st_size for p in AUDIO_DIR.glob("*.mp3"))
    print(f"{len(SENTENCES)} clips + gap in {AUDIO_DIR} ({total / 1024:.0f} KiB)")
    if args.check:
        heard_right = expected = 0
        for sentence in SENTENCES:
            heard = words(recognise((AUDIO_DIR / clip_name(sentence.text)).read_bytes()))
            said = words(sentence.text)
            hits = sum(min(heard.count(w), said.count(w)) for w in set(said))
            heard_right, expected = heard_right + hits, expected + len(said)
            print(f"{hits}/{len(said)}  {sentence.text!r} -> {' '.join(heard)!r}")
        print(f"recognised {heard_right}/{expected} words ({100 * heard_right / expected:.0f}%)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
