#!/usr/bin/env bash
# The main job: synthesise the built-in music corpus (mulan synth), pre-train the tiny preset's
# audio tower on the training split's tags (mulan pretrain-tagger, as the paper pre-trains on
# AudioSet: first the mode alone, then every tag), train the text tower with the MuLan loss
# towards the tagger's frozen audio side (mulan train: the tag lists first, then every text),
# evaluate zero-shot tagging and text-to-music retrieval on the test split, whose factor
# combinations and query phrasings training never saw (mulan eval), search it, make the corpus
# a searchable library (mulan index build, for mulan serve) and write a page of each training
# run (mulan report).
# Everything goes to demo-out/ (or $DEMO_OUT): corpus/, init/, tagger-mode-run/, tagger-run/,
# label-run/, run/, model/, library/, results.json, and each run's report.html.
#
# The sizes fit 15 minutes on 2 cores, build included (docs/results.md); override them for a
# longer run:
#   DEMO_CLIPS=16000 DEMO_TAGGER_STEPS=2500 DEMO_STEPS=2000 make demo
set -euo pipefail
build=${1:-build}
root=$(cd "$(dirname "$0")/.." && pwd)
# The build folder: relative to the checkout (what `make demo` passes) or absolute.
case $build in
  /*) mulan=$build/bin/mulan ;;
  *) mulan=$root/$build/bin/mulan ;;
esac
[[ -x $mulan ]] || { echo "demo: no mulan CLI at $mulan (build it first: make demo)" >&2; exit 2; }
out=${DEMO_OUT:-$root/demo-out}
# 9,600 clips, not 4,800: with twice the clips the mode phase stops memorising the training split
# (the mode 0.86 on the val split, not 0.73; docs/results.md, issue 18, round 5).
clips=${DEMO_CLIPS:-9600}
seconds=${DEMO_SECONDS:-5}
steps=${DEMO_STEPS:-1000}
tagger_steps=${DEMO_TAGGER_STEPS:-1600}
# Before the contrastive stage proper, label_steps steps on the ASET label lists alone
# ("Rock, Organ, Fast, Major, Happy, ..."): the text tower first learns what each tag word
# means, then the sentences (docs/results.md, issue 18). 0 skips it.
label_steps=${DEMO_LABEL_STEPS:-1000}
# The mode first: the tagger learns major/minor (and happy/sad, which follow it) alone for
# mode_steps steps of mode_batch clips before it learns every tag; learnt among the 43 tags
# from the start, the mode's features never form (docs/results.md, issue 18). 0 skips it.
mode_steps=${DEMO_MODE_STEPS:-1500}
mode_batch=${DEMO_MODE_BATCH:-32}
# Clips of 5 s, the tiny preset's window: each clip is one window.
# The mode phase runs without SpecAugment, whose frequency masks hide the thirds.
# The pre-trained audio trunk's rate in the contrastive stage: 0 keeps it as the tagger left it
# (no gradients are computed for it and it runs in evaluation mode, BatchNorm statistics fixed).
# There the audio projection is held at the tagger head, each logit standardised (below), so the
# audio embedding is the tagger's view of the clip and the text tower learns to meet it; with no
# SpecAugment either, the trunk runs once per clip, and a step costs the text tower.
# Any other rate lets the trunk and the projection learn (with SpecAugment).
audio_trunk_lr=${DEMO_AUDIO_TRUNK_LR:-0}
batch=${DEMO_BATCH:-64}
# The contrastive stage proper takes 128 pairs a step: more clips of the same style and instrument
# meet in a batch, so the text tower learns what tells them apart (the mode among them).
train_batch=${DEMO_TRAIN_BATCH:-128}
seed=${DEMO_SEED:-1}
mkdir -p "$out"
start=$(date +%s)

echo "== mulan synth: $clips clips of $seconds s (General MIDI through FluidSynth)"
rm -rf "$out/corpus"
"$mulan" synth --out "$out/corpus" --clips "$clips" --seconds "$seconds" --seed "$seed"

echo "== mulan init --preset tiny (vocabulary: the default one plus the corpus's words; a tagger head for the tags)"
"$mulan" init --preset tiny --out "$out/init" --seed "$seed" --vocab-from "$out/corpus/manifest.jsonl" \
  --tagger-classes "$(wc -l < "$out/corpus/tags.txt")" --force

model=$out/init
if (( mode_steps > 0 )); then
  echo "== mulan pretrain-tagger --learn major,minor,happy,sad: $mode_steps steps of $mode_batch clips (the mode first: alone, the audio tower learns to hear it)"
  cat > "$out/tagger-mode.json" <<JSON
{"steps": $mode_steps, "batch": $mode_batch, "lr": 0.002, "trunk_lr": 0.002, "warmup_steps": $(( mode_steps / 10 )), "spec_augment": false,
 "val_every": $mode_steps, "checkpoint_every": $mode_steps, "log_every": 10, "seed": $seed}
JSON
  rm -rf "$out/tagger-mode-run"
  "$mulan" pretrain-tagger --model "$model" --data "$out/corpus/manifest.jsonl" --labels "$out/corpus/tags.txt" \
    --learn major,minor,happy,sad --out "$out/tagger-mode-run" --config "$out/tagger-mode.json" > "$out/tagger-mode-summary.json"
  model=$out/tagger-mode-run/model
fi
if (( tagger_steps > 0 )); then
  echo "== mulan pretrain-tagger: $tagger_steps steps of $batch clips (the audio tower learns the training split's tags first, as the paper pre-trains on AudioSet)"
  cat > "$out/tagger.json" <<JSON
{"steps": $tagger_steps, "batch": $batch, "lr": 0.002, "trunk_lr": 0.002, "warmup_steps": $(( tagger_steps / 10 )),
 "val_every": $tagger_steps, "checkpoint_every": $tagger_steps, "log_every": 10, "seed": $seed}
JSON
  rm -rf "$out/tagger-run"
  "$mulan" pretrain-tagger --model "$model" --data "$out/corpus/manifest.jsonl" --labels "$out/corpus/tags.txt" \
    --out "$out/tagger-run" --config "$out/tagger.json" > "$out/tagger-summary.json"
  model=$out/tagger-run/model
fi

# With the trunk held, the audio projection is held too: at the tagger head, each logit
# standardised over the training clips ("tagger-standardized"), so that the audio embedding is
# the tagger's standardised logits, normalised, and every tag (the mode too) moves it alike.
if [[ $audio_trunk_lr == 0 ]]; then audio_side='"audio_proj": "tagger-standardized", "spec_augment": false'; else audio_side='"audio_proj": "learn", "spec_augment": true'; label_steps=0; fi
if (( label_steps > 0 )); then
  echo "== mulan train: $label_steps steps of $batch pairs on the ASET label lists alone (the text tower learns the tag words first)"
  cat > "$out/train-labels.json" <<JSON
{"steps": $label_steps, "batch": $batch, "lr": 0.002, "trunk_lr": 0, "text_trunk_lr": 0.002, "warmup_steps": $(( label_steps / 10 )), $audio_side,
 "source_ratio": {"aset": 1}, "val_every": $label_steps, "checkpoint_every": $label_steps, "log_every": 10, "seed": $seed}
JSON
  rm -rf "$out/label-run"
  "$mulan" train --model "$model" --data "$out/corpus/manifest.jsonl" --out "$out/label-run" --config "$out/train-labels.json" \
    > "$out/train-labels-summary.json"
  model=$out/label-run/model
fi
echo "== mulan train: $steps steps of $train_batch pairs (the MuLan loss; validation on the val split)"
cat > "$out/train.json" <<JSON
{"steps": $steps, "batch": $train_batch, "lr": 0.002, "trunk_lr": $audio_trunk_lr, "text_trunk_lr": 0.002, "warmup_steps": $(( steps / 10 )), $audio_side,
 "val_every": $(( steps / 4 > 0 ? steps / 4 : 1 )), "checkpoint_every": $(( steps / 4 > 0 ? steps / 4 : 1 )),
 "log_every": 10, "seed": $seed}
JSON
rm -rf "$out/run" "$out/model"
"$mulan" train --model "$model" --data "$out/corpus/manifest.jsonl" --out "$out/run" --config "$out/train.json" \
  > "$out/train-summary.json"
cp -r "$out/run/model" "$out/model"

echo "== mulan eval tagging (zero-shot, test split) and retrieval (test queries over the test clips)"
cache=$out/cache
"$mulan" eval tagging --model "$out/model" --model-name mulan-tiny-demo --dataset synth-test --data "$out/corpus/manifest.jsonl" \
  --tags "$out/corpus/tags.txt" --split test --cache "$cache" --per-tag --out "$out/tagging.json" > /dev/null
"$mulan" eval retrieval --model "$out/model" --model-name mulan-tiny-demo --dataset synth-test --data "$out/corpus/manifest.jsonl" \
  --queries "$out/corpus/queries.jsonl" --split test --cache "$cache" --out "$out/retrieval.json" > /dev/null

/usr/bin/python3 - "$out" "$(( $(date +%s) - start ))" "$tagger_steps" <<'PY'
import json, sys
out, elapsed, tagger_steps = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
tag = json.load(open(f"{out}/tagging.json"))
ret = json.load(open(f"{out}/retrieval.json"))
train = json.load(open(f"{out}/train-summary.json"))
results = {
    "zero_shot_tagging": {k: tag[k] for k in ("macro_roc_auc", "macro_pr_auc", "n_tags", "n_recordings")},
    "retrieval": {k: ret[k] for k in ("r_at_1", "r_at_10", "map", "roc_auc", "median_rank", "n_queries")},
    "pretraining": json.load(open(f"{out}/tagger-summary.json")) if tagger_steps > 0 else None,
    "training": train,
    "model": tag["model"],
    "date": tag["date"],
    "seconds_after_build": elapsed,
}
json.dump(results, open(f"{out}/results.json", "w"), indent=2)
print()
print("| test split (unseen factor combinations) | value |")
print("|---|---|")
print(f"| zero-shot tagging macro ROC-AUC ({tag['n_tags']} tags, {tag['n_recordings']} clips) | {tag['macro_roc_auc']:.3f} |")
print(f"| zero-shot tagging macro PR-AUC | {tag['macro_pr_auc']:.3f} |")
print(f"| text-to-music retrieval R@1 ({ret['n_queries']} queries) | {ret['r_at_1']:.3f} |")
print(f"| text-to-music retrieval R@10 | {ret['r_at_10']:.3f} |")
print(f"| text-to-music retrieval mAP | {ret['map']:.3f} |")
print()
PY

echo "== mulan search: three example searches over the test clips (top 3, with their true tags)"
"$mulan" search --model "$out/model" --data "$out/corpus/manifest.jsonl" --split test --cache "$cache" --top 3 \
  "slow sad piano music in a minor key" "happy rock with organ in a major key" "calm ambient violin music in a minor key"

echo "== mulan index build: the corpus as a searchable music library (then: mulan serve --index $out/library)"
"$mulan" index build --model "$out/model" --out "$out/library" "$out/corpus/manifest.jsonl"
"$mulan" index search "$out/library" "slow sad piano music in a minor key" --top 3

echo "== mulan report: a page of each training run (metrics over the steps, settings; per-tag ROC-AUC of the test split)"
pages=()
if (( mode_steps > 0 )); then
  pages+=("$("$mulan" report "$out/tagger-mode-run")")
fi
if (( tagger_steps > 0 )); then
  pages+=("$("$mulan" report "$out/tagger-run")")
fi
if (( label_steps > 0 )); then
  pages+=("$("$mulan" report "$out/label-run")")
fi
pages+=("$("$mulan" report "$out/run" --eval "$out/tagging.json" "$out/retrieval.json")")
echo "demo: done in $(( $(date +%s) - start )) s after the build; results in $out/results.json"
for page in "${pages[@]}"; do echo "demo: training report (open it in a browser, no network needed): $page"; done
echo "demo: search the corpus in a browser: $mulan serve --index $out/library, then open http://127.0.0.1:8080/"
