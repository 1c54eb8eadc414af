"""How well the local engine's scores tell right readings from wrong and off-task ones.

Builds an evaluation set from packaged TTS (nothing committed, nothing downloaded):
  * voices: espeak-ng English (en-us, en-gb, en-gb-x-rp, en-029), espeak-ng non-English voices
    reading English (hi, fr, de, es), flite (kal16, slt, awb, rms), festival's CMU SLT when
    installed; all at a learner's pace;
  * per voice and sentence: the right reading, the sentence with one word substituted, an
    unrelated English sentence, and (once per sentence) German speech (espeak-ng -v de);
  * each clip clean, with white noise at 20 and 10 dB SNR (seeded), through an 8 kHz
    telephone band, and as 48 kbit/s MP3; sox runs with -R, so every run scores the same audio
    (its default dither is random, and the previous engine's scores moved with it).
Then scores every clip with the current engine and with the previous one (the committed
`scoring/providers/local.py` and `local_scoring.py` of git HEAD, or BENCH_BASELINE_REV,
loaded as a temporary package), and with Azure when AZURE_SPEECH_KEY and AZURE_SPEECH_REGION
(or _ENDPOINT) are set, and prints, per voice family and per condition, side by side:
right-vs-substituted AUC (pronunciation score), substituted word flagged (and the lowest word)
%, false word flags on right readings %, off-task refused % (and refused-or-<=30 %), right
readings refused %, and RTF p50/p95 (one thread); then each other engine's pronunciation
score against the current one's (a line and the rank correlation: with Azure, the mapping of
the local engine's scores onto Azure's scale).

  apt-get install -y espeak-ng flite sox festival festvox-us-slt-hts   (festival is optional)
  .venv/bin/python bench/scoring_quality.py     (BENCH_CONDITIONS=clean,noise20,... to narrow)
"""

from __future__ import annotations

import importlib
import io
import math
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import types
import wave
from array import array
from dataclasses import dataclass
from pathlib import Path

import harness

WORK_DIR = harness.temp_dir("bench-scoring-quality-")
harness.start_django(DATABASE_URL=f"sqlite:///{WORK_DIR}/bench.sqlite3", MEDIA_ROOT=f"{WORK_DIR}/media",
                     SPEECH_PROVIDER="local")

import av  # noqa: E402

from scoring.audio import check_quality, decode_audio  # noqa: E402
from scoring.providers.azure import AzureSpeechProvider  # noqa: E402
from scoring.providers.local import LocalSpeechProvider  # noqa: E402

BASELINE_REV = os.environ.get("BENCH_BASELINE_REV", "HEAD")
CONDITIONS = [c for c in os.environ.get("BENCH_CONDITIONS", "clean,noise20,noise10,tel8k,mp3").split(",") if c]
# (reference, the word substituted, its replacement)
SENTENCES = [
    ("I would like to order a cup of coffee please", "coffee", "water"),
    ("I think it is a good idea", "good", "bad"),
    ("She reads a book every evening", "book", "letter"),
    ("Please open the window in the kitchen", "window", "door"),
]
REFUSALS = {"OffTaskSpeechError": "off_task", "AudioQualityError": "audio_quality"}
UNRELATED = "The weather is very cold today in the mountains"
GERMAN = "Das Wetter ist heute sehr schön, und die Kinder spielen im Garten."
VOICES = {  # family -> [(engine, voice)]
    "espeak-en": [("espeak", v) for v in ("en-us", "en-gb", "en-gb-x-rp", "en-029")],
    "espeak-foreign": [("espeak", v) for v in ("hi", "fr", "de", "es")],
    "flite": [("flite", v) for v in ("kal16", "slt", "awb", "rms")],
    "festival": [("festival", "slt")],
}


def _run(*args: str, stdin: str | None = None) -> None:
    subprocess.run(args, input=stdin, text=True, check=True, capture_output=True)


def synthesise(engine: str, voice: str, text: str, target: Path) -> bool:
    raw = target.with_suffix(".raw.wav")
    if engine == "espeak":
        _run("espeak-ng", "-v", voice, "-s", "130", "-w", str(raw), text)
    elif engine == "flite":
        _run("flite", "-voice", voice, "-t", text, "-o", str(raw))
    elif engine == "festival":
        if not shutil.which("text2wave"):
            return False
        _run("text2wave", "-eval", "(voice_cmu_us_slt_arctic_hts)", "-o", str(raw), stdin=text)
    _run("sox", "-R", str(raw), "-r", "16000", "-c", "1", "-b", "16", str(target))
    raw.unlink()
    return True


def _pcm(path: Path) -> bytes:
    with wave.open(str(path)) as wav:
        return wav.readframes(wav.getnframes())


def _wav(pcm: bytes, rate: int = 16000) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(pcm)
    return buffer.getvalue()


def with_noise(pcm: bytes, snr_db: float, seed: int) -> bytes:
    samples = array("h", pcm)
    speech = [s for s in samples if abs(s) > 300] or list(samples)  # the RMS of the speech, not the pauses
    rms = math.sqrt(sum(s * s for s in speech) / len(speech))
    sigma = rms / 10 ** (snr_db / 20)
    rng = random.Random(seed)
    return array("h", (max(-32768, min(32767, int(s + rng.gauss(0, sigma)))) for s in samples)).tobytes()


def condition(name: str, path: Path, seed: int) -> bytes:
    if name == "clean":
        return path.read_bytes()
    if name.startswith("noise"):
        return _wav(with_noise(_pcm(path), float(name.removeprefix("noise")), seed))
    if name == "tel8k":
        target = path.with_suffix(".tel.wav")
        _run("sox", "-R", str(path), "-r", "8000", str(target), "sinc", "300-3400")
        data = target.read_bytes()
        target.unlink()
        return data
    if name == "mp3":
        out = io.BytesIO()
        with av.open(str(path)) as inp, av.open(out, "w", format="mp3") as mp3:
            stream = mp3.add_stream("libmp3lame", rate=16000, layout="mono")
            stream.bit_rate = 48_000
            for frame in inp.decode(audio=0):
                frame.pts = None
                for packet in stream.encode(frame):
                    mp3.mux(packet)
            for packet in stream.encode(None):
                mp3.mux(packet)
        return out.getvalue()
    raise ValueError(name)


@dataclass
class Clip:
    family: str
    voice: str
    kind: str  # right, substituted, unrelated, german
    reference: str
    substituted: str | None
    path: Path


def build_set(root: Path) -> list[Clip]:
    clips = []
    for family, voices in VOICES.items():
        for engine, voice in voices:
            for s, (reference, word, replacement) in enumerate(SENTENCES):
                texts = {"right": reference, "substituted": reference.replace(word, replacement),
                         "unrelated": UNRELATED}
                for kind, text in texts.items():
                    target = root / f"{engine}-{voice}-{s}-{kind}.wav"
                    if synthesise(engine, voice, text, target):
                        clips.append(Clip(family, f"{engine}:{voice}", kind, reference,
                                          word if kind == "substituted" else None, target))
    for s, (reference, _, _) in enumerate(SENTENCES):
        target = root / f"german-{s}.wav"
        synthesise("espeak", "de", GERMAN, target)
        clips.append(Clip("german speech", "espeak:de", "german", reference, None, target))
    return clips


def load_baseline() -> LocalSpeechProvider | None:
    """The engine as committed at BASELINE_REV, as a temporary package `baseline_scoring`."""
    package = Path(tempfile.mkdtemp(prefix="baseline-scoring-", dir=WORK_DIR)) / "baseline_scoring"
    package.mkdir()
    (package / "__init__.py").write_text("")
    # The engine's own modules, by their dotted names; pronunciations is younger than some revisions compared.
    modules = ["scoring.providers.base", "scoring.providers.local_scoring", "scoring.providers.local",
               "scoring.pronunciations"]
    for dotted in modules:
        name = dotted.rsplit(".", 1)[1]
        try:
            source = subprocess.run(["git", "show", f"{BASELINE_REV}:{dotted.replace('.', '/')}.py"],
                                    cwd=harness.ROOT, check=True, capture_output=True, text=True).stdout
        except subprocess.CalledProcessError:
            if dotted == "scoring.pronunciations":
                continue
            return None
        for other in modules:
            source = source.replace(f"from {other} import", f"from baseline_scoring.{other.rsplit('.', 1)[1]} import")
        (package / f"{name}.py").write_text(source)
    sys.path.insert(0, str(package.parent))
    module: types.ModuleType = importlib.import_module("baseline_scoring.local")
    return module.LocalSpeechProvider(pool_size=1)


@dataclass
class Outcome:
    clip: Clip
    condition: str
    refused: str | None  # "off_task", "audio_quality", "error" or None
    score: float
    word_flagged: bool | None  # the substituted word flagged (and lowest)
    words: int  # reference words scored
    flagged: int  # of them flagged
    rtf: float


def score(provider, clip: Clip, cond: str, data: bytes) -> Outcome:
    start = time.thread_time()
    refused, result = None, None
    try:
        pcm = decode_audio(data, max_seconds=30)
        check_quality(pcm)
        result = provider.transcribe_and_score(pcm, clip.reference)
    except Exception as exc:  # the previous engine raises its own copies of the error classes
        refused = REFUSALS.get(type(exc).__name__, "error")
    elapsed = time.thread_time() - start
    duration = len(_pcm(clip.path)) / 32000
    if result is None:
        return Outcome(clip, cond, refused, 0.0, False if clip.substituted else None, 0, 0, elapsed / duration)
    reference_words = [w for w in result.word_scores if w.error_type != "insertion" and w.score is not None]
    flagged = sum(w.error_type != "none" for w in reference_words)
    word_flagged = None
    if clip.substituted:
        target = [w for w in reference_words if w.word.lower() == clip.substituted]
        lowest = min(w.score for w in reference_words)
        word_flagged = bool(target) and target[0].error_type != "none" and target[0].score <= lowest
    return Outcome(clip, cond, None, result.pronunciation_score, word_flagged, len(reference_words), flagged,
                   elapsed / duration)


def auc(positives: list[float], negatives: list[float]) -> float:
    if not positives or not negatives:
        return float("nan")
    wins = sum(1.0 if p > n else 0.5 if p == n else 0.0 for p in positives for n in negatives)
    return wins / (len(positives) * len(negatives))


def pct(values: list[bool]) -> str:
    return f"{100 * sum(values) / len(values):5.1f}" if values else "    -"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def summarise(outcomes: list[Outcome]) -> list[str]:
    right = [o for o in outcomes if o.clip.kind == "right"]
    substituted = [o for o in outcomes if o.clip.kind == "substituted"]
    off = [o for o in outcomes if o.clip.kind in ("unrelated", "german")]
    cells = [
        f"{auc([o.score for o in right], [o.score for o in substituted]):5.2f}",
        pct([bool(o.word_flagged) for o in substituted]),
        f"{100 * sum(o.flagged for o in right) / max(1, sum(o.words for o in right)):5.1f}",
        pct([o.refused == "off_task" for o in off]),
        pct([o.refused is not None or o.score <= 30 for o in off]),
        # Issue 18: correct readings must not be refused as off-task; "too noisy" at 10 dB is the right answer.
        pct([o.refused == "off_task" for o in right]),
        f"{statistics.median([o.rtf for o in outcomes]):5.2f}" if outcomes else "    -",
        f"{percentile([o.rtf for o in outcomes], 0.95):5.2f}" if outcomes else "    -",
        f"{statistics.median([o.score for o in right]):5.1f}" if right else "    -",
    ]
    return cells


HEADER = ["AUC", "sub%", "false%", "offref%", "off<=30%", "rightref%", "RTF50", "RTF95", "right med"]


def table(title: str, groups: dict[str, dict[str, list[Outcome]]]) -> None:
    names = list(next(iter(groups.values())))
    width = 7 * len(names) - 1
    print(f"\n{title}  (each cell: {' | '.join(names)})")
    print(f"  {'':16s} " + " ".join(f"{h:>{width}s}" for h in HEADER))
    for group, by_engine in groups.items():
        columns = [summarise(by_engine[name]) for name in names]
        print(f"  {group:16s} " + " ".join(f"{'|'.join(cell.strip() for cell in cells):>{width}s}"
                                           for cells in zip(*columns, strict=True)))


def _ranks(values: list[float]) -> list[float]:
    order = sorted(range(len(values)), key=values.__getitem__)
    ranks = [0.0] * len(values)
    i = 0
    while i < len(order):  # ties share their mean rank
        j = i
        while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
            j += 1
        for k in range(i, j + 1):
            ranks[order[k]] = (i + j) / 2
        i = j + 1
    return ranks


def mapping(outcomes: dict[str, list[Outcome]]) -> None:
    """Each other engine's pronunciation score against the current one's, over the clips both scored:
    a least-squares line (other = a + b x current) and the rank correlation. With Azure configured
    this is the local engine's score on Azure's scale, measured on the same recordings."""
    print("\nPronunciation score of each engine against the current one (clips both scored, not refused)")
    for name, theirs in outcomes.items():
        if name == "current":
            continue
        pairs = [(mine.score, other.score) for mine, other in zip(outcomes["current"], theirs, strict=True)
                 if mine.refused is None and other.refused is None]
        if len(pairs) < 3 or len({x for x, _ in pairs}) < 2:
            print(f"  {name}: too few clips scored by both")
            continue
        xs, ys = [x for x, _ in pairs], [y for _, y in pairs]
        slope, intercept = statistics.linear_regression(xs, ys)
        rho = statistics.correlation(_ranks(xs), _ranks(ys))
        print(f"  {name} = {intercept:.1f} + {slope:.2f} x current   (Spearman rho {rho:.2f}, {len(pairs)} clips)")


def main() -> None:
    for tool in ("espeak-ng", "flite", "sox"):
        if not shutil.which(tool):
            sys.exit(f"{tool} is missing: apt-get install -y espeak-ng flite sox")
    root = Path(tempfile.mkdtemp(prefix="clips-", dir=WORK_DIR))
    clips = build_set(root)
    engines = {"current": LocalSpeechProvider(pool_size=1)}
    baseline = load_baseline()
    if baseline is not None:
        engines["previous"] = baseline
    azure = os.environ.get("AZURE_SPEECH_KEY") and (os.environ.get("AZURE_SPEECH_REGION")
                                                    or os.environ.get("AZURE_SPEECH_ENDPOINT"))
    if azure:  # the same clips through Azure pronunciation assessment, for its scale beside ours
        engines["azure"] = AzureSpeechProvider(key=os.environ["AZURE_SPEECH_KEY"],
                                               region=os.environ.get("AZURE_SPEECH_REGION", ""),
                                               endpoint=os.environ.get("AZURE_SPEECH_ENDPOINT", ""))
    print(f"{len(clips)} clips x {len(CONDITIONS)} conditions ({', '.join(CONDITIONS)}), engines: "
          f"current, previous = {BASELINE_REV if baseline else 'unavailable'}"
          f"{', azure' if azure else ' (AZURE_SPEECH_KEY and _REGION add Azure)'}")
    outcomes: dict[str, list[Outcome]] = {name: [] for name in engines}
    for c, clip in enumerate(clips):
        for cond in CONDITIONS:
            data = condition(cond, clip.path, seed=c)
            for name, provider in engines.items():
                outcomes[name].append(score(provider, clip, cond, data))
    families = list(VOICES) + ["german speech"]
    by_family = {f: {n: [o for o in outcomes[n] if o.clip.family == f] for n in engines} for f in families}
    table("Per voice family, all conditions", by_family)
    table("Per condition, all voices", {cond: {n: [o for o in outcomes[n] if o.condition == cond] for n in engines}
                                        for cond in CONDITIONS})
    table("Per voice, clean", {v: {n: [o for o in outcomes[n] if o.clip.voice == v and o.condition == "clean"]
                                   for n in engines}
                               for v in dict.fromkeys(clip.voice for clip in clips)})
    # Issue 18's speed goal is per kind: a reading that is not the sentence pays for the language-model pass.
    table("Per kind of reading, all conditions (for its RTF)",
          {kind: {n: [o for o in outcomes[n] if o.clip.kind == kind] for n in engines}
           for kind in dict.fromkeys(clip.kind for clip in clips)})
    mapping(outcomes)
    print("\nAUC: right vs one-word-substituted readings by pronunciation score (a refusal scores 0); sub%: the "
          "substituted word flagged and lowest; false%: words flagged on right readings; offref%: unrelated "
          "sentences and German speech refused as off_task; off<=30%: refused or scored <= 30; rightref%: right "
          "readings refused as off_task; RTF: CPU seconds per audio second, one thread (Azure's: this client's "
          "only); right med: median score of right readings.")


if __name__ == "__main__":
    main()
