#!/usr/bin/python3
"""Is the mode of a synth corpus audible without knowing the key? (issue 18)

A key-free listener can hear the mode only through what sounds at a moment: the quality of the
chord. Per STFT frame (4096 points, 100-2000 Hz), the chroma is matched against the 24 major and
minor triad templates (every root); a clip's score is the fraction of its frames whose best
template is a minor triad. The ROC-AUC of that score for minor against major, overall and per
style, bounds what a network that only hears chord qualities can reach.

usage: bench/corpus/triad_probe.py CORPUS_DIR [MAX_CLIPS]   (a `mulan synth` output; default 400)
"""
import json, sys, numpy as np, torch, torchaudio
from sklearn.metrics import roc_auc_score
from chroma import pitch_class_energy
torch.set_num_threads(2)
corpus = sys.argv[1]
limit = int(sys.argv[2]) if len(sys.argv) > 2 else 400
rows = [json.loads(l) for l in open(corpus + '/manifest.jsonl')][:limit]
templates = []
for root in range(12):
    for third in (4, 3):  # even rows major, odd rows minor
        t = np.zeros(12)
        t[[root, (root + third) % 12, (root + 7) % 12]] = 1
        templates.append(t / np.linalg.norm(t))
templates = np.array(templates)
minor_share, is_minor, style = [], [], []
for r in rows:
    x, sr = torchaudio.load(corpus + '/' + r['audio'])
    x = x.mean(0)
    chroma = pitch_class_energy(x, sr, 100, 2000, hop=1024)
    chroma /= np.linalg.norm(chroma, axis=0, keepdims=True) + 1e-9
    best = (templates @ chroma).argmax(0)
    minor_share.append(np.mean(best % 2 == 1))
    is_minor.append(r['factors']['mode'] == 'minor')
    style.append(r['factors']['style'])
is_minor, minor_share = np.array(is_minor), np.array(minor_share)
print(f"{len(rows)} clips: share of minor-triad frames -> major/minor ROC-AUC {roc_auc_score(is_minor, minor_share):.3f}")
for s in sorted(set(style)):
    i = [k for k, v in enumerate(style) if v == s]
    if len(set(is_minor[i])) == 2:
        print(f"  {s}: ROC-AUC {roc_auc_score(is_minor[i], minor_share[i]):.2f}  "
              f"(minor-triad share: major clips {minor_share[i][~is_minor[i]].mean():.2f}, minor clips {minor_share[i][is_minor[i]].mean():.2f})")
