#!/usr/bin/env bash
# The second path (README, docs/mining.md): from a raw, noisy crawl to a trained model.
#   mulan synth --crawl   a crawl around the built-in corpus: music and non-music recordings,
#                         titles full of boilerplate, descriptions and comments full of chatter
#   mulan mine            clips, the built-in music detector, the SF rule filter, the report
#   mulan train           both towers of the tiny preset with the MuLan loss, on the mined set
#   mulan eval tagging    zero-shot tagging on the test split of a clean corpus of another seed
# Everything goes to demo-mine-out/ (or $DEMO_OUT). Sizes: DEMO_RECORDINGS, DEMO_STEPS, DEMO_BATCH.
set -euo pipefail
build=${1:-build}
root=$(cd "$(dirname "$0")/.." && pwd)
case $build in
  /*) mulan=$build/bin/mulan ;;
  *) mulan=$root/$build/bin/mulan ;;
esac
[[ -x $mulan ]] || { echo "demo-mine: no mulan CLI at $mulan (build it first: make demo-mine)" >&2; exit 2; }
out=${DEMO_OUT:-$root/demo-mine-out}
recordings=${DEMO_RECORDINGS:-600}
steps=${DEMO_STEPS:-1500}
batch=${DEMO_BATCH:-64}
seed=${DEMO_SEED:-1}
mkdir -p "$out"
start=$(date +%s)

echo "== mulan synth --crawl: $recordings recordings of 20 to 40 s, with what it put in (crawl-truth.json)"
rm -rf "$out/crawl" "$out/mined" "$out/run" "$out/eval-corpus"
"$mulan" synth --crawl "$out/crawl" --recordings "$recordings" --seed "$seed" --seconds-min 20 --seconds-max 40

echo "== mulan mine: 10 s clips, the built-in music detector, the SF rule filter"
"$mulan" mine --crawl "$out/crawl/crawl.jsonl" --out "$out/mined" --clip-seconds 10

echo "== mulan synth: a clean corpus of another seed to evaluate on"
"$mulan" synth --out "$out/eval-corpus" --clips 150 --seconds 10 --seed $(( seed + 1000 ))

echo "== mulan init + mulan train: $steps steps of $batch pairs on the mined set"
"$mulan" init --preset tiny --out "$out/init" --seed "$seed" --vocab-from "$out/mined/manifest.jsonl" --force
cat > "$out/train.json" <<JSON
{"steps": $steps, "batch": $batch, "lr": 0.002, "trunk_lr": 0.002, "warmup_steps": $(( steps / 10 )),
 "val_every": 0, "checkpoint_every": $steps, "log_every": 20, "seed": $seed}
JSON
"$mulan" train --model "$out/init" --data "$out/mined/manifest.jsonl" --out "$out/run" --config "$out/train.json" \
  --no-progress > "$out/train-summary.json"

echo "== mulan eval tagging: zero-shot, on the clean corpus's test split"
"$mulan" eval tagging --model "$out/run/model" --model-name mulan-tiny-mined --dataset synth-test \
  --data "$out/eval-corpus/manifest.jsonl" --tags "$out/eval-corpus/tags.txt" --split test --out "$out/tagging.json" > /dev/null
/usr/bin/python3 - "$out" "$(( $(date +%s) - start ))" <<'PY'
import json, sys
out, elapsed = sys.argv[1], int(sys.argv[2])
rep = json.load(open(f"{out}/mined/mining-report.json"))
truth = json.load(open(f"{out}/crawl/crawl-truth.json"))
tag = json.load(open(f"{out}/tagging.json"))
print(f"crawl: {truth['recordings']} recordings, {truth['non_music']} not music; mined: {rep['kept']} kept, "
      f"{rep['rejected']['not_music']} rejected as not music")
print(f"zero-shot tagging on a clean test split: macro ROC-AUC {tag['macro_roc_auc']:.3f} over {tag['n_tags']} tags")
print(f"demo-mine: {elapsed // 60} min {elapsed % 60} s; everything in {out}")
PY
