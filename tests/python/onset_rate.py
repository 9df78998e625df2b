#!/usr/bin/python3
"""Onsets per second of raw audio, by spectral flux: an independent check of the synth's tempo.

usage: onset_rate.py RATE FILE.f32...
Each FILE is raw little-endian float32 mono at RATE Hz. Prints one JSON list: the onsets per
second of each file, in order.

Method: SuperFlux (Boeck and Widmer, DAFx 2013) on a 40-band mel power spectrogram in dB
(1024-point Hann window, 10 ms hop, floored 40 dB below the clip's maximum). The flux of a
frame is the mean over bands of the rise in dB against the frame two hops earlier, taken from
a maximum filter over three neighbouring bands (so vibrato does not count as onsets). An onset
is a frame whose flux is the largest within +-30 ms, at least 0.7 dB, and at least 50 ms after the
previous onset. The threshold is absolute (0.7 dB), not relative to the clip, so sustained
notes with no new attacks give few onsets. Soft attacks (bowed or blown legato over a pad) are
missed: the detector undercounts such music, slow or fast alike.
"""
import json
import sys

import numpy as np


def mel_filters(rate, n_fft, n_mels, fmin=30.0):
    hz_to_mel = lambda f: 2595.0 * np.log10(1.0 + f / 700.0)
    mel_to_hz = lambda m: 700.0 * (10.0 ** (m / 2595.0) - 1.0)
    edges = mel_to_hz(np.linspace(hz_to_mel(fmin), hz_to_mel(rate / 2.0), n_mels + 2))
    bins = np.fft.rfftfreq(n_fft, 1.0 / rate)
    fb = np.zeros((n_mels, len(bins)))
    for i in range(n_mels):
        lo, mid, hi = edges[i], edges[i + 1], edges[i + 2]
        fb[i] = np.maximum(0.0, np.minimum((bins - lo) / (mid - lo), (hi - bins) / (hi - mid)))
    return fb


def onset_rate(x, rate, threshold_db=0.7, floor_db=40.0, n_fft=1024, lag=2):
    hop = rate // 100
    if len(x) < n_fft + lag * hop:
        return 0.0
    frames = 1 + (len(x) - n_fft) // hop
    idx = np.arange(n_fft)[None, :] + hop * np.arange(frames)[:, None]
    power = np.abs(np.fft.rfft(x[idx] * np.hanning(n_fft)[None, :], axis=1)) ** 2
    db = 10.0 * np.log10(power @ mel_filters(rate, n_fft, 40).T + 1e-12)
    db = np.maximum(db, db.max() - floor_db)
    ref = np.maximum(np.maximum(np.roll(db, 1, axis=1), db), np.roll(db, -1, axis=1))
    flux = np.concatenate([np.zeros(lag), np.maximum(0.0, db[lag:] - ref[:-lag]).mean(axis=1)])
    half, gap = 3, 5  # frames
    onsets, last = 0, -gap
    for i in range(len(flux)):
        lo, hi = max(0, i - half), min(len(flux), i + half + 1)
        if flux[i] < flux[lo:hi].max() or flux[i] < threshold_db or i - last < gap:
            continue
        onsets += 1
        last = i
    return onsets / (len(x) / rate)


def main():
    rate = int(sys.argv[1])
    rates = [onset_rate(np.fromfile(p, dtype="<f4").astype(np.float64), rate) for p in sys.argv[2:]]
    print(json.dumps(rates))


if __name__ == "__main__":
    main()
