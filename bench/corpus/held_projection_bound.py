#!/usr/bin/python3
"""What a perfect text tower could reach with a projection held at the tagger head (issue 18).

With `"audio_proj": "tagger"` in `mulan train`, coordinate k of the audio embedding is the
tagger's logit of tag k over the norm of all its logits (with "tagger-standardized", the
standardised logit over the norm of all of them). Ranking a corpus's clips by that
coordinate is what zero-shot tagging would give if the text tower mapped tag k exactly onto
axis k. This prints that ROC-AUC per tag (sklearn), next to the zero-shot one from an
`mulan eval tagging --per-tag --out` result when one is given, so the gap shows which tags the
text tower loses. With --probe it also prints, per tag, the ROC-AUC of a logistic regression on
the whole embedding (sklearn, C = 10, 5-fold cross-validated predictions on the corpus itself):
what a text direction that mixes axes could reach, as far as these few clips can tell.

usage: bench/corpus/held_projection_bound.py [--probe] EMB.npy CORPUS_DIR [TAGGING.json]
  e.g. build/bin/mulan embed-audio --model M --out e.npy c7/audio/*.flac
       build/bin/mulan eval tagging --model M --data c7/manifest.jsonl --tags c7/tags.txt --per-tag --out z.json
       bench/corpus/held_projection_bound.py e.npy c7 z.json
The tags file of CORPUS_DIR must list the tags in the order of the model's tagger head (a
corpus of the same `mulan synth` has the same tags.txt).
"""
import json, os, sys
import numpy as np
from sklearn.metrics import roc_auc_score

args = sys.argv[1:]
probe = '--probe' in args
if probe:
    args.remove('--probe')
if len(args) not in (2, 3):
    sys.exit(__doc__.split('usage: ')[1])
emb, corpus = args[0], args[1]
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
zero_shot = json.load(open(args[2]))['tags'] if len(args) == 3 else {}
bound = {}
for k, t in enumerate(tags):
    if Y[:, k].any() and not Y[:, k].all():
        bound[t] = roc_auc_score(Y[:, k], X[:, k])
probed = {}
if probe:
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import cross_val_predict
    for k, t in enumerate(tags):
        if t in bound:
            s = cross_val_predict(LogisticRegression(C=10.0, max_iter=3000), X, Y[:, k], cv=5, method='decision_function')
            probed[t] = roc_auc_score(Y[:, k], s)
for t, v in sorted(bound.items(), key=lambda kv: (zero_shot[kv[0]]['roc_auc'] - kv[1]) if kv[0] in zero_shot else 0):
    z = zero_shot.get(t)
    print(f'{t:<18} axis {v:.3f}' + (f'  zero-shot {z["roc_auc"]:.3f}  ({z["roc_auc"] - v:+.3f})' if z else '') +
          (f'  probe {probed[t]:.3f}' if t in probed else ''))
mode = [t for t in ('major', 'minor', 'happy', 'sad') if t in bound]
print(f'macro over {len(bound)} tags: axis {np.mean(list(bound.values())):.3f}' +
      (f', mode and mood {np.mean([bound[t] for t in mode]):.3f}' if mode else '') +
      (f'; probe {np.mean(list(probed.values())):.3f}' if probed else ''))
