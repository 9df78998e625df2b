#!/usr/bin/python3
"""Can the mode of a synth corpus be told from its audio by a simple probe? (issue 18)

Per clip, the mean chroma (pitch-class energy) of 100-4000 Hz and of the bass (40-200 Hz) from a
4096-point STFT; then a 5-fold logistic regression (sklearn) for major against minor, on three
versions of the features: rotated to the clip's true key (from the manifest's factors: what the
audio holds once the tonic is known), rotated to the bass's most common pitch class (the tonic
as a listener without the answer might guess it), and rotation-invariant (|DFT| of the chroma).
Also how often the bass's most common pitch class is the tonic, per style.

usage: bench/corpus/mode_probe.py CORPUS_DIR   (a `mulan synth` output: manifest.jsonl, audio/)
"""
import json, sys, numpy as np, torch, torchaudio
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_score
from chroma import pitch_class_energy
torch.set_num_threads(2)
corpus=sys.argv[1]
rows=[json.loads(l) for l in open(corpus + '/manifest.jsonl')]
names=['C','C#','D','D#','E','F','F#','G','G#','A','A#','B']
alias={'Db':'C#','Eb':'D#','Gb':'F#','Ab':'G#','Bb':'A#'}
def chroma(x, sr, lo, hi):  # the mean over frames of each frame's share per pitch class
    C=pitch_class_energy(x, sr, lo, hi)
    C=C/ (C.sum(0,keepdims=True)+1e-9)
    return C.mean(1)
feats=[];y=[];keys=[];styles=[]
for r in rows:
    x,sr=torchaudio.load(corpus + '/' + r['audio'])
    x=x.mean(0)
    full=chroma(x,sr,100,4000); bass=chroma(x,sr,40,200)
    k=r['factors']['key']; k=alias.get(k,k); ki=names.index(k)
    feats.append((full,bass)); y.append(r['factors']['mode']=='minor'); keys.append(ki); styles.append(r['factors']['style'])
y=np.array(y)
def rot(v,k): return np.roll(v,-k)
X_oracle=np.array([np.concatenate([rot(f,k),rot(b,k)]) for (f,b),k in zip(feats,keys)])
# estimated root: argmax of bass chroma
X_bass=np.array([np.concatenate([rot(f,int(np.argmax(b))),rot(b,int(np.argmax(b)))]) for (f,b) in feats])
X_dft=np.array([np.concatenate([np.abs(np.fft.fft(f))[1:7],np.abs(np.fft.fft(b))[1:7]]) for (f,b) in feats])
print("keys in manifest:", sorted(set(r['factors']['key'] for r in rows)))
for name,X in [("aligned to the true key",X_oracle),("aligned to the most common bass pitch class",X_bass),("rotation-invariant |DFT| of chroma",X_dft)]:
    s=cross_val_score(LogisticRegression(max_iter=2000,C=10),X,y,cv=5,scoring='roc_auc')
    print(f"{name}: 5-fold ROC-AUC major/minor {s.mean():.3f}")
# does key == the relative key confusion: is the true key's tonic the argmax of bass?
hit=np.mean([int(np.argmax(b))==k for (f,b),k in zip(feats,keys)])
print("bass argmax == tonic:", round(hit,3))
for st in sorted(set(styles)):
    idx=[i for i,s in enumerate(styles) if s==st]
    h=np.mean([int(np.argmax(feats[i][1]))==keys[i] for i in idx])
    print(f"  {st}: n={len(idx)} bass argmax == tonic {h:.2f}")
