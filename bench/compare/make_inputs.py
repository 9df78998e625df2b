#!/usr/bin/python3
"""The comparison's inputs, from a seed: OUT/audio/*.flac (N recordings of S seconds, 44.1 kHz
stereo: chords of harmonic notes with an envelope and noise, changing every second) and
OUT/texts.txt (M texts of 4 to 200 characters, music descriptions of mixed lengths).

usage: make_inputs.py OUT [N=3] [S=90] [M=1000]
"""
import os
import subprocess
import sys
import wave

import numpy as np

WORDS = ("slow sad piano music in a minor key with soft strings; fast loud rock with distorted guitars and "
         "drums; calm ambient pads; a jazz trio with brushed snare and walking bass; melancholic lo-fi beat "
         "for a rainy night; upbeat electronic dance track with a four on the floor kick; acoustic folk song "
         "with a female voice; orchestral film score, epic brass and choir; reggae groove; metal riff").split()


def main():
    out = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    seconds = float(sys.argv[3]) if len(sys.argv) > 3 else 90
    m = int(sys.argv[4]) if len(sys.argv) > 4 else 1000
    rng = np.random.default_rng(2026)
    os.makedirs(f"{out}/audio", exist_ok=True)
    rate = 44100
    for i in range(n):
        t = np.arange(int(seconds * rate)) / rate
        x = np.zeros_like(t)
        for s in range(int(seconds)):
            root = 110 * 2 ** (rng.integers(0, 24) / 12)
            seg = slice(s * rate, (s + 1) * rate)
            env = np.exp(-3 * (t[seg] - s))
            for r in (1, 1.25, 1.5):
                x[seg] += env * np.sin(2 * np.pi * root * r * t[seg]) / 3
        x += 0.02 * rng.standard_normal(t.size)
        stereo = np.stack([x, 0.8 * x], axis=1)
        pcm = np.clip(np.round(stereo * 0.5 * 32767), -32768, 32767).astype("<i2")
        wav = f"{out}/audio/rec{i}.wav"
        with wave.open(wav, "wb") as w:
            w.setnchannels(2)
            w.setsampwidth(2)
            w.setframerate(rate)
            w.writeframes(pcm.tobytes())
        subprocess.run(["sox", wav, f"{out}/audio/rec{i}.flac"], check=True)
        os.remove(wav)
    with open(f"{out}/texts.txt", "w", encoding="utf-8") as f:
        for _ in range(m):
            want = int(np.exp(rng.uniform(np.log(4), np.log(200))))
            s = ""
            while len(s) < want:
                s += ("" if not s else " ") + WORDS[rng.integers(0, len(WORDS))]
            f.write(s[:want].strip() + "\n")


if __name__ == "__main__":
    main()
