#!/usr/bin/python3
"""Does a model's audio embedding hold a synth corpus's mode? (issue 18)

A 5-fold logistic regression (sklearn) for major against minor on the clip embeddings that
`mulan embed-audio --out EMB.npy` wrote (EMB.npy.json names each row's file), matched to the
corpus's manifest by the audio path; prints the cross-validated ROC-AUC. Run it on a tagger's
model directory (its projection is still the random one of `mulan init`) and on the model after
the contrastive stage to see whether the stage kept what the trunk heard.

usage: bench/corpus/embedding_probe.py EMB.npy CORPUS_DIR [STYLE,STYLE...]
  e.g. build/bin/mulan embed-audio --model demo-out/model --out e.npy c7/audio/*.flac
       bench/corpus/embedding_probe.py e.npy c7
"""
import json, os, sys, numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import cross_val_predict

if len(sys.argv) not in (3, 4):
    sys.exit(__doc__.split('usage: ')[1])
emb, corpus = sys.argv[1], sys.argv[2]
styles = set(sys.argv[3].split(',')) if len(sys.argv) == 4 else None
X = np.load(emb)
paths = [os.path.realpath(r['path']) for r in json.load(open(emb + '.json'))]
if len(paths) != len(X):
    sys.exit(f'{emb}.json names {len(paths)} rows, {emb} has {len(X)}')
mode = {}
for line in open(os.path.join(corpus, 'manifest.jsonl')):
    r = json.loads(line)
    if styles is None or r['factors']['style'] in styles:
        mode[os.path.realpath(os.path.join(corpus, r['audio']))] = r['factors']['mode']
keep = [i for i, p in enumerate(paths) if p in mode]
if len(keep) < 10:
    sys.exit(f'only {len(keep)} rows of {emb} are clips of {corpus}' + (' in those styles' if styles else ''))
y = np.array([mode[paths[i]] == 'minor' for i in keep])
p = cross_val_predict(LogisticRegression(C=1.0, max_iter=2000), X[keep], y, cv=5, method='predict_proba')[:, 1]
print(f'{emb}: {len(keep)} clips, major/minor linear probe ROC-AUC (5-fold) {roc_auc_score(y, p):.3f}')
