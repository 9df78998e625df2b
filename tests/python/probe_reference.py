#!/usr/bin/python3
"""The linear probe, sklearn's way: one LogisticRegression(penalty="l2", C) per label column
(one-vs-rest). The newton-cholesky solver reaches the optimum to about 1e-12; sklearn's lbfgs
stops early (its ftol), about 5e-5 off in probability on the test's problems.

usage: probe_reference.py X.npy Y.npy XTEST.npy C OUT.npy
X: [n, d] float64, Y: [n, k] 0/1, XTEST: [m, d]; OUT: [m, k] float64 probabilities of class 1.
"""
import sys

import numpy as np
from sklearn.linear_model import LogisticRegression


def main():
    x, y, xt = np.load(sys.argv[1]), np.load(sys.argv[2]), np.load(sys.argv[3])
    c = float(sys.argv[4])
    out = np.zeros((xt.shape[0], y.shape[1]))
    for j in range(y.shape[1]):
        model = LogisticRegression(penalty="l2", C=c, solver="newton-cholesky", tol=1e-12, max_iter=100000)
        model.fit(x, y[:, j].astype(int))
        out[:, j] = model.predict_proba(xt)[:, 1]
    np.save(sys.argv[5], out)


if __name__ == "__main__":
    main()
