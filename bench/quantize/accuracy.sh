#!/usr/bin/env bash
# What int8 costs in accuracy (issue 16): a trained model against its `mulan quantize` form on
# a synth corpus's test split: zero-shot tagging ROC-AUC, text-to-music retrieval mAP and R@10
# (mulan eval), and the cosine between each clip's and each text's float and int8 embeddings.
#
#   bench/quantize/accuracy.sh MODEL_DIR CORPUS_DIR [BUILD_DIR=build] [WORK_DIR=/tmp/mulan-int8-accuracy]
# e.g. after `make demo`: bench/quantize/accuracy.sh demo-out/model demo-out/corpus
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
[[ $# -ge 2 ]] || { sed -n 2,7p "$0" >&2; exit 2; }
model=$1 corpus=$2
build=${3:-build}
case $build in /*) ;; *) build=$root/$build ;; esac
work=${4:-/tmp/mulan-int8-accuracy}
mulan=$build/bin/mulan
[[ -x $mulan ]] || { echo "accuracy: no mulan CLI at $mulan (make build)" >&2; exit 2; }
mkdir -p "$work"
"$mulan" quantize --model "$model" --out "$work/int8" --force
/usr/bin/python3 - "$corpus/manifest.jsonl" "$corpus" > "$work/test-clips.txt" <<'PY'
import json, os, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r.get("split") == "test":
        print(os.path.join(sys.argv[2], r["audio"]))
PY
/usr/bin/python3 -c "
import json, sys
for line in open('$corpus/queries.jsonl'):
    print(json.loads(line)['text'])
" > "$work/texts.txt"
cat "$corpus/tags.txt" >> "$work/texts.txt"
for kind in float int8; do
  m=$model; [[ $kind == int8 ]] && m=$work/int8
  echo "accuracy: $kind" >&2
  "$mulan" eval tagging --model "$m" --model-name "$kind" --dataset synth-test --data "$corpus/manifest.jsonl" \
    --tags "$corpus/tags.txt" --split test --per-tag --out "$work/$kind-tagging.json" > /dev/null
  "$mulan" eval retrieval --model "$m" --model-name "$kind" --dataset synth-test --data "$corpus/manifest.jsonl" \
    --queries "$corpus/queries.jsonl" --split test --out "$work/$kind-retrieval.json" > /dev/null
  xargs -d '\n' "$mulan" embed-audio --model "$m" --out "$work/$kind-audio.npy" < "$work/test-clips.txt" 2> /dev/null
  "$mulan" embed-text --model "$m" --out "$work/$kind-text.npy" < "$work/texts.txt" 2> /dev/null
done
/usr/bin/python3 - "$work" <<'PY'
import json, sys
import numpy as np
w = sys.argv[1]
def load(kind, what):
    return json.load(open(f"{w}/{kind}-{what}.json"))
tf, tq = load("float", "tagging"), load("int8", "tagging")
rf, rq = load("float", "retrieval"), load("int8", "retrieval")
print("| measure | float | int8 | int8 - float |")
print("| --- | --- | --- | --- |")
for name, a, b in [("zero-shot tagging, macro ROC-AUC", tf["macro_roc_auc"], tq["macro_roc_auc"]),
                   ("zero-shot tagging, macro PR-AUC", tf["macro_pr_auc"], tq["macro_pr_auc"]),
                   ("retrieval mAP", rf["map"], rq["map"]), ("retrieval R@10", rf["r_at_10"], rq["r_at_10"])]:
    print(f"| {name} | {a:.4f} | {b:.4f} | {b - a:+.4f} |")
worst = max(tf["tags"], key=lambda t: abs((tq["tags"][t]["roc_auc"] or 0) - (tf["tags"][t]["roc_auc"] or 0)))
a, b = tf["tags"][worst]["roc_auc"], tq["tags"][worst]["roc_auc"]
print(f"| the tag that moved most ({worst}), ROC-AUC | {a:.4f} | {b:.4f} | {b - a:+.4f} |")
for what in ("audio", "text"):
    f, q = np.load(f"{w}/float-{what}.npy"), np.load(f"{w}/int8-{what}.npy")
    c = (f * q).sum(1) / np.linalg.norm(f, axis=1) / np.linalg.norm(q, axis=1)
    print(f"| cosine, float to int8 {what} embeddings ({len(c)}) | min {c.min():.5f} | mean {c.mean():.5f} | |")
PY
