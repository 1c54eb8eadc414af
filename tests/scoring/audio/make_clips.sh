#!/usr/bin/env bash
# Regenerates the committed test recordings. Needs Debian's festival, festvox-us-slt-hts,
# espeak-ng and sox, plus the project's venv (PyAV) for MP3/M4A; the tests themselves only read
# the files.
#   apt-get install -y festival festvox-us-slt-hts espeak-ng sox
#   bash tests/scoring/audio/make_clips.sh
set -euo pipefail
cd "$(dirname "$0")"
PYTHON="${PYTHON:-../../../.venv/bin/python}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

say() {  # say NAME "TEXT": 16 kHz mono 16-bit WAV spoken by the CMU SLT voice
    echo "$2" | text2wave -eval '(voice_cmu_us_slt_arctic_hts)' -o "$work/$1.raw.wav"
    sox -R "$work/$1.raw.wav" -r 16000 -c 1 -b 16 "$1.wav"
}

speak() {  # speak NAME VOICE "TEXT": the same, spoken by an espeak-ng voice at a learner's pace
    espeak-ng -v "$2" -s 130 -w "$work/$1.raw.wav" "$3"
    sox -R "$work/$1.raw.wav" -r 16000 -c 1 -b 16 "$1.wav"
}

# The reference sentence of the tests is "I would like to order a cup of coffee please."
say right "I would like to order a cup of coffee please"
say changed "I would like to order a cup of water please"
say different "The weather is very cold today in the mountains"
say truncated "I would like to order a cup"
# One sound wrong: the reference "I think it is a good idea." with TH said as S.
say think "I think it is a good idea"
say sink "I sink it is a good idea"
# Off task: another language.
speak german de "Das Wetter ist heute sehr schön, und die Kinder spielen im Garten."
# A last word followed by the near-digital silence synthetic speech ends with (samples within +-1).
speak kitchen en-us "Please open the window in the kitchen"
# Accents: a British voice and the Hindi voice reading the English sentence, right and with one word changed.
for voice in en-gb hi; do
    speak "accent-$voice-right" "$voice" "I would like to order a cup of coffee please"
    speak "accent-$voice-changed" "$voice" "I would like to order a cup of water please"
done
sox -n -r 16000 -c 1 -b 16 silence.wav trim 0 2
sox -n -r 16000 -c 1 -b 16 noise.wav synth 2 whitenoise vol 0.3

"$PYTHON" - <<'PY'
import av

def convert(source, target, codec, container_format, bit_rate):
    with av.open(source) as inp, av.open(target, "w", format=container_format) as out:
        stream = out.add_stream(codec, rate=16000, layout="mono")
        stream.bit_rate = bit_rate
        for frame in inp.decode(audio=0):
            frame.pts = None
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)

convert("right.wav", "right.mp3", "libmp3lame", "mp3", 48_000)
convert("right.wav", "right.m4a", "aac", "ipod", 48_000)
PY
ls -l ./*.wav ./*.mp3 ./*.m4a
