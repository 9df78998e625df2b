#!/usr/bin/python3
"""What a perfect text tower could reach with a projection held at the tagger head (issue 18).

With `"audio_proj": "tagger"` in `mulan train`, coordinate k of the audio embedding is the
tagger's logit of tag k over the norm of all its logits. Ranking a corpus's clips by that
coordinate is what zero-shot tagging would give if the text tower mapped tag k exactly onto
axis k. This prints that ROC-AUC per tag (sklearn), next to the zero-shot one from an
`mulan eval tagging --per-tag --out` result when one is given, so the gap shows which tags the
text tower loses.

usage: bench/corpus/held_projection_bound.py EMB.npy CORPUS_DIR [TAGGING.json]
  e.g. build/bin/mulan embed-audio --model M --out e.npy c7/audio/*.flac
       build/bin/mulan eval tagging --model M --data c7/manifest.jsonl --tags c7/tags.txt --per-tag --out z.json
       bench/corpus/held_projection_bound.py e.npy c7 z.json
The tags file of CORPUS_DIR must list the tags in the order of the model's tagger head (a
corpus of the same `mulan synth` has the same tags.txt).
"""
import json, os, sys
import numpy as np
from sklearn.metrics import roc_auc_score

if len(sys.argv) not in (3, 4):
    sys.exit(__doc__.split('usage: ')[1])
emb, corpus = sys.argv[1], sys.argv[2]
X = np.load(emb)
paths = [os.path.realpath(r['path']) for r in json.load(open(emb + '.json'))]
tags = [line.strip() for line in open(os.path.join(corpus, 'tags.txt')) if line.strip()]
truth = {}
for line in open(os.path.join(corpus, 'manifest.jsonl')):
    r = json.loads(line)
    truth[os.path.realpath(os.path.join(corpus, r['audio']))] = set(r['tags'])
missing = [p for p in paths if p not in truth]
if missing:
    sys.exit(f'{emb}.json names {len(missing)} files that are not clips of {corpus}, first: {missing[0]}')
Y = np.array([[t in truth[p] for t in tags] for p in paths])
zero_shot = json.load(open(sys.argv[3]))['tags'] if len(sys.argv) == 4 else {}
bound = {}
for k, t in enumerate(tags):
    if Y[:, k].any() and not Y[:, k].all():
        bound[t] = roc_auc_score(Y[:, k], X[:, k])
for t, v in sorted(bound.items(), key=lambda kv: (zero_shot[kv[0]]['roc_auc'] - kv[1]) if kv[0] in zero_shot else 0):
    z = zero_shot.get(t)
    print(f'{t:<18} axis {v:.3f}' + (f'  zero-shot {z["roc_auc"]:.3f}  ({z["roc_auc"] - v:+.3f})' if z else ''))
mode = [t for t in ('major', 'minor', 'happy', 'sad') if t in bound]
print(f'macro over {len(bound)} tags: axis {np.mean(list(bound.values())):.3f}' +
      (f', mode and mood {np.mean([bound[t] for t in mode]):.3f}' if mode else ''))
