#!/usr/bin/python3
"""Can a small CNN learn major/minor from log-mel windows, when mode is all it is asked? (issue 18)

Three 5 s windows per clip of a `mulan synth` corpus; train on its train and val splits, test on
its test split. Two models, 400 Adam steps of 64 windows each:
- Wide: a first kernel that spans every band;
- Local: 3x3 kernels with pooling.
With --semitone, the input is a 72-band semitone filterbank (110-7040 Hz) instead of 64 mels,
so that a transposition is a shift along the frequency axis.

usage: bench/corpus/mode_cnn.py CORPUS_DIR [--semitone]
"""
import sys
import json, numpy as np, torch, torchaudio, time
from sklearn.metrics import roc_auc_score
torch.set_num_threads(2); torch.manual_seed(0)
corpus=sys.argv[1]
semitone='--semitone' in sys.argv[2:]
rows=[json.loads(l) for l in open(corpus+'/manifest.jsonl')]
mel=torchaudio.transforms.MelSpectrogram(16000, n_fft=512, win_length=400, hop_length=160, n_mels=64, f_min=60, f_max=7800)
if semitone:
    spec=torchaudio.transforms.Spectrogram(n_fft=4096, win_length=4096, hop_length=160, power=2.0)
    f=torch.arange(2049)*16000/4096
    cent=110*2**(torch.arange(72)/12)
    fb=torch.zeros(72,2049)
    for i,c in enumerate(cent):  # triangular, one semitone each side
        lo,hi=c*2**(-1/12),c*2**(1/12)
        fb[i]=torch.clamp(torch.minimum((f-lo)/(c-lo),(hi-f)/(hi-c)),min=0)
    mel=lambda x: fb@spec(x)
X=[];Y=[];S=[]
for r in rows:
    x,sr=torchaudio.load(corpus+'/'+r['audio']); x=torchaudio.functional.resample(x.mean(0),sr,16000)
    for k in range(3):
        seg=x[k*160000:(k*160000)+80000]
        X.append(torch.log(mel(seg)+1e-6)); Y.append(float(r['factors']['mode']=='minor')); S.append(r['split'])
X=torch.stack(X).unsqueeze(1); X=(X-X.mean())/X.std(); Y=torch.tensor(Y)
tr=torch.tensor([s!='test' for s in S]); te=~tr
print("windows", X.shape, "train", int(tr.sum()), "test", int(te.sum()))
class Wide(torch.nn.Module):  # the first kernel spans every mel band
    def __init__(s):
        super().__init__(); s.c1=torch.nn.Conv2d(1,64,(X.shape[2],9),padding=(0,4)); s.c2=torch.nn.Conv1d(64,64,9,padding=4); s.o=torch.nn.Linear(64,1)
    def forward(s,x):
        h=torch.relu(s.c1(x)).squeeze(2); h=torch.relu(s.c2(h)); return s.o(h.mean(2)).squeeze(1)
class Local(torch.nn.Module):  # 3x3 kernels, pooling: the usual small CNN
    def __init__(s):
        super().__init__()
        s.f=torch.nn.Sequential(torch.nn.Conv2d(1,16,3,padding=1),torch.nn.ReLU(),torch.nn.MaxPool2d(2),
            torch.nn.Conv2d(16,32,3,padding=1),torch.nn.ReLU(),torch.nn.MaxPool2d(2),
            torch.nn.Conv2d(32,64,3,padding=1),torch.nn.ReLU()); s.o=torch.nn.Linear(64,1)
    def forward(s,x): return s.o(s.f(x).mean((2,3))).squeeze(1)
for M in (Wide, Local):
    torch.manual_seed(0); m=M(); opt=torch.optim.Adam(m.parameters(),1e-3); Xt,Yt=X[tr],Y[tr]; t0=time.time()
    for step in range(400):
        i=torch.randint(0,len(Xt),(64,)); loss=torch.nn.functional.binary_cross_entropy_with_logits(m(Xt[i]),Yt[i])
        opt.zero_grad(); loss.backward(); opt.step()
        if step%100==99:
            with torch.no_grad(): p=torch.cat([m(X[te][j:j+128]) for j in range(0,int(te.sum()),128)])
            print(M.__name__, step+1, "test ROC-AUC major/minor", round(roc_auc_score(Y[te].numpy(),p.numpy()),3), f"{time.time()-t0:.0f}s", flush=True)
