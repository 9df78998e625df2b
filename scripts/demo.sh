#!/usr/bin/env bash
# The main job, as far as it exists: until the synthetic corpus and training land (issues on
# the corpus and on training), it renders a short piece of music with sox and runs the audio
# path end to end (header, decode + resample, both front ends), then initialises a tiny model
# and runs the text path (tokenize, embed-text) and the audio path (embed-audio).
# Output goes to demo-out/.
set -euo pipefail
build=${1:-build}
root=$(cd "$(dirname "$0")/.." && pwd)
mulan=$root/$build/bin/mulan
out=$root/demo-out
mkdir -p "$out"

echo "== rendering a 20 s stereo chord progression at 44.1 kHz (sox)"
piece=$out/chords.flac
parts=()
for chord in "C4 E4 G4" "A3 C4 E4" "F3 A3 C4" "G3 B3 D4"; do
  set -- $chord
  part=$out/part-${#parts[@]}.wav
  sox -q -n -r 44100 -c 2 "$part" synth 5 pluck "$1" pluck "$2" pluck "$3" fade 0 5 0.5 gain -6
  parts+=("$part")
done
sox -q "${parts[@]}" "$piece"
rm -f "${parts[@]}"

echo "== mulan info"
"$mulan" info "$piece"

for fe in resnet ast; do
  echo "== mulan mel --frontend $fe"
  "$mulan" mel "$piece" --frontend "$fe" --out "$out/chords.$fe.npy"
done
echo "== mulan mel --frontend resnet --offset 5 --duration 10 (decodes only that part)"
"$mulan" mel "$piece" --frontend resnet --offset 5 --duration 10 --out "$out/chords.part.npy"

/usr/bin/python3 - "$out" <<'PY'
import sys, numpy as np
out = sys.argv[1]
for name in ("chords.resnet", "chords.ast", "chords.part"):
    m = np.load(f"{out}/{name}.npy")
    print(f"{name}.npy: shape {m.shape}, min {m.min():.2f}, mean {m.mean():.2f}, max {m.max():.2f}")
PY
echo "== mulan init --preset tiny (a random model: its similarities mean nothing until trained)"
"$mulan" init --preset tiny --out "$out/model" --seed 1 --force
echo "== mulan tokenize"
echo "Melancholic lo-fi piano for a rainy night" | "$mulan" tokenize --vocab "$out/model/vocab.txt" --tokens
echo "== mulan embed-text"
printf '%s\n' "melancholic lo-fi piano for a rainy night" "fast energetic rock with drums" "calm ambient synth pads" \
  | "$mulan" embed-text --model "$out/model" --out "$out/texts.npy"
/usr/bin/python3 - "$out" <<'PY'
import sys, numpy as np
e = np.load(f"{sys.argv[1]}/texts.npy")
print(f"texts.npy: shape {e.shape}, row norms {np.round(np.linalg.norm(e, axis=1), 4).tolist()}")
PY
echo "== mulan embed-audio --windows (the same random model's audio tower)"
"$mulan" embed-audio --model "$out/model" --windows "$piece" --out "$out/audio.npy"
cat "$out/audio.npy.json"
echo "demo: done; files in $out"
