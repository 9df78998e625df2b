#!/usr/bin/python3
"""The evaluation metrics the sklearn/numpy way, the reference of tests/eval/*_test.cpp.

usage:
  metrics_reference.py binary SCORES.npy LABELS.npy OUT.json        [n, k] scores and 0/1 labels
  metrics_reference.py zeroshot AUDIO.npy TEXT.npy LABELS.npy OUT.json
        scores = cosine of audio [n, d] and text [k, d] rows, then as binary
  metrics_reference.py retrieval SCORES.npy RELEVANCE.npy OUT.json  [q, n]
  metrics_reference.py retrieval-emb TEXT.npy AUDIO.npy RELEVANCE.npy OUT.json
        scores = cosine of text [q, d] and audio [n, d] rows, then as retrieval
  metrics_reference.py accuracy PRED.npy TRUTH.npy OUT.json
  metrics_reference.py model-hash DIR                               prints the hex digest

binary: per column roc_auc_score and average_precision_score, null for a column without a
positive or without a negative (sklearn refuses or degenerates there); macro = mean of the rest.
retrieval: per query the same, plus R@K = fraction of targets among the first K of a stable
descending sort, and the first target's 1-based rank; averaged over the queries used, median
(np.median) of the first ranks.
"""
import hashlib
import json
import os
import sys

import numpy as np
from sklearn.metrics import accuracy_score, average_precision_score, roc_auc_score


def cosine(a, b):
    a = a.astype(np.float64)
    b = b.astype(np.float64)
    a = a / np.linalg.norm(a, axis=1, keepdims=True)
    b = b / np.linalg.norm(b, axis=1, keepdims=True)
    return a @ b.T


def binary(scores, labels):
    roc, ap = [], []
    for j in range(scores.shape[1]):
        y = labels[:, j].astype(int)
        if y.min() == y.max():
            roc.append(None)
            ap.append(None)
            continue
        roc.append(float(roc_auc_score(y, scores[:, j])))
        ap.append(float(average_precision_score(y, scores[:, j])))
    used = [v for v in roc if v is not None]
    return {"roc_auc": roc, "ap": ap, "used": len(used), "excluded": len(roc) - len(used),
            "macro_roc_auc": float(np.mean(used)) if used else None,
            "macro_ap": float(np.mean([v for v in ap if v is not None])) if used else None}


def retrieval(scores, rel):
    per = []
    for i in range(scores.shape[0]):
        y = rel[i].astype(int)
        if y.min() == y.max():
            per.append(None)
            continue
        order = np.argsort(-scores[i], kind="stable")
        ranked = y[order]
        hits = np.nonzero(ranked)[0]
        per.append({"roc_auc": float(roc_auc_score(y, scores[i])),
                    "ap": float(average_precision_score(y, scores[i])),
                    "r_at_1": float(ranked[:1].sum() / y.sum()),
                    "r_at_5": float(ranked[:5].sum() / y.sum()),
                    "r_at_10": float(ranked[:10].sum() / y.sum()),
                    "first_rank": int(hits[0]) + 1})
    used = [p for p in per if p is not None]
    out = {"queries": per, "n_queries": len(used), "excluded": len(per) - len(used)}
    for key in ("roc_auc", "ap", "r_at_1", "r_at_5", "r_at_10"):
        out[key] = float(np.mean([p[key] for p in used])) if used else None
    out["median_rank"] = float(np.median([p["first_rank"] for p in used])) if used else None
    return out


def model_hash(d):
    h = hashlib.sha256()
    for name in ("config.json", "model.safetensors", "vocab.txt"):
        path = os.path.join(d, name)
        if os.path.exists(path):
            data = open(path, "rb").read()
            h.update(name.encode() + b"\0" + str(len(data)).encode() + b"\0" + data)
        else:
            h.update(name.encode() + b"\0missing\0")
    return h.hexdigest()


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "model-hash":
        print(model_hash(args[0]))
        return
    if cmd == "binary":
        out = binary(np.load(args[0]), np.load(args[1]))
    elif cmd == "zeroshot":
        out = binary(cosine(np.load(args[0]), np.load(args[1])), np.load(args[2]))
    elif cmd == "retrieval":
        out = retrieval(np.load(args[0]), np.load(args[1]))
    elif cmd == "retrieval-emb":
        out = retrieval(cosine(np.load(args[0]), np.load(args[1])), np.load(args[2]))
    elif cmd == "accuracy":
        out = {"accuracy": float(accuracy_score(np.load(args[1]), np.load(args[0])))}
    else:
        sys.exit("unknown command " + cmd)
    with open(args[-1], "w") as f:
        json.dump(out, f)


if __name__ == "__main__":
    main()
