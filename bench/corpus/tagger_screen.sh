#!/usr/bin/env bash
# Screens a corpus variant for issue 18 in minutes, before any full `make demo`: the tagger
# pre-training alone (the demo's recipe: tiny preset, batch 64, lr 2e-3, 10 % warm-up, 5 s
# windows), trained on TRAIN_CORPUS and validated on every clip of VAL_CORPUS (another seed),
# then the validation ROC-AUC of the labels asked for.
#
# usage: bench/corpus/tagger_screen.sh BUILD TRAIN_CORPUS VAL_CORPUS OUT [STEPS] [LABELS...]
#   STEPS defaults to 1000; LABELS (e.g. major minor) restricts the tagger to those labels,
#   otherwise it learns all of TRAIN_CORPUS/tags.txt as the demo does.
# Corpora: `mulan synth --out DIR --clips N --seconds S --seed K`.
set -euo pipefail
(( $# >= 4 )) || { sed -n 2,10p "$0" >&2; exit 2; }
mulan=$1/bin/mulan train=$2 val=$3 out=$4 steps=${5:-1000}
shift $(( $# >= 5 ? 5 : 4 ))
[[ -x $mulan ]] || { echo "tagger_screen: no mulan CLI at $mulan" >&2; exit 2; }
mkdir -p "$out"
if (( $# > 0 )); then printf '%s\n' "$@" > "$out/labels.txt"; else cp "$train/tags.txt" "$out/labels.txt"; fi
"$mulan" init --preset tiny --out "$out/init" --seed 1 --vocab-from "$train/manifest.jsonl" \
  --tagger-classes "$(wc -l < "$out/labels.txt")" --force > /dev/null
val_every=$(( steps / 4 > 0 ? steps / 4 : 1 ))
cat > "$out/tagger.json" <<JSON
{"steps": $steps, "batch": 64, "lr": 0.002, "trunk_lr": 0.002, "warmup_steps": $(( steps / 10 )),
 "val_every": $val_every, "checkpoint_every": $steps, "log_every": 10, "seed": 1}
JSON
rm -rf "$out/run"
"$mulan" pretrain-tagger --model "$out/init" --data "$train/manifest.jsonl" --labels "$out/labels.txt" \
  --out "$out/run" --config "$out/tagger.json" --val "$val/manifest.jsonl" --no-progress > "$out/summary.json" \
  2> >(grep -v 'not in the labels file' >&2)
/usr/bin/python3 - "$out/summary.json" <<'PY'
import json, sys
v = json.load(open(sys.argv[1]))["val"]
per = dict(v["roc_auc_per_label"])
mode = {k: round(per[k], 3) for k in ("major", "minor", "happy", "sad") if k in per}
print(f"val macro ROC-AUC {v['macro_roc_auc']:.3f}; mode and mood {mode}")
PY
