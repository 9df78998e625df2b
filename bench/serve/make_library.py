#!/usr/bin/env python3
"""A library of N real tracks for load tests: N short recordings (chords of sine partials with
noise, each different, from a seed) written as 8 kHz WAV files, then `mulan index build`.

    bench/serve/make_library.py MULAN_CLI MODEL OUT_DIR [N=10000] [SECONDS=1.5]

OUT_DIR/audio holds the files, OUT_DIR/lib the library. Every track gets real embeddings from the
model (at 10k tracks and the tiny preset: a few minutes on 2 cores).
"""
import os
import subprocess
import sys
import wave

import numpy as np


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    cli, model, out = sys.argv[1:4]
    n = int(sys.argv[4]) if len(sys.argv) > 4 else 10000
    seconds = float(sys.argv[5]) if len(sys.argv) > 5 else 1.5
    rate = 8000
    audio = os.path.join(out, "audio")
    rng = np.random.default_rng(7)
    t = np.arange(int(seconds * rate)) / rate
    for i in range(n):
        folder = os.path.join(audio, f"{i // 1000:03d}")
        os.makedirs(folder, exist_ok=True)
        path = os.path.join(folder, f"track{i:06d}.wav")
        if os.path.exists(path):
            continue
        root = 110.0 * 2 ** (rng.integers(0, 36) / 12)
        x = sum(np.sin(2 * np.pi * root * r * t) / (j + 1) for j, r in enumerate([1, 1.26, 1.5, 2]))
        x = 0.3 * x / np.max(np.abs(x)) + 0.05 * rng.standard_normal(t.size)
        pcm = np.clip(np.round(x * 32767), -32768, 32767).astype("<i2")
        with wave.open(path, "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(rate)
            w.writeframes(pcm.tobytes())
    lib = os.path.join(out, "lib")
    subprocess.run([cli, "index", "build", "--batch", "256", "--model", model, "--out", lib, audio], check=True)
    print(lib)


if __name__ == "__main__":
    main()
