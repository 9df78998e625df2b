#!/usr/bin/env python3
"""What the Python module adds to the CLI: the same work, whole process, side by side.

    PYTHONPATH=build/python /usr/bin/python3 bench/python/bench_binding.py [--preset base-resnet]
        [--texts 1000] [--recordings 8] [--seconds 30] [--repeat 3] [--cli build/bin/mulan]

Makes a model with `mulan init --preset PRESET`, N texts of 4 to 200 characters (seeded), and a
folder of 44.1 kHz stereo WAV recordings (seeded tones and noise); then, REPEAT times each, times
  - `mulan embed-text --model M --out T.npy` (texts on stdin) against a Python process that
    imports mulan, loads M and saves model.embed_text(texts);
  - `mulan embed-audio --model M --out A.npy FILES` against model.embed_audio(FILES);
checks that both sides wrote the same embeddings (1e-5), and prints one table: the median
seconds of each whole process and the overhead of Python in percent; then the work alone: the
seconds inside the Python call (the process minus interpreter start, imports and model load)
against the CLI's whole process minus its fixed cost (start and model load: the same command on
one text, or one second of audio). docs/performance.md has the figures.
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import wave

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
WORDS = ("melancholic lo-fi piano for a rainy night fast loud rock with drums calm ambient pad slow sad "
         "strings in a minor key happy major ukulele 120 bpm jazz trio brushed snare deep house bassline "
         "female vocals choir synthwave 80s retro acoustic guitar fingerpicking orchestral epic trailer").split()

PY_TEXT = """
import sys, time, numpy as np
t0 = time.perf_counter()
import mulan
m = mulan.Model.load(sys.argv[1])
texts = open(sys.argv[2], encoding="utf-8").read().split("\\n")[:-1]
t1 = time.perf_counter()
e = m.embed_text(texts)
t2 = time.perf_counter()
np.save(sys.argv[3], e)
print(t2 - t1, t1 - t0)
"""
PY_AUDIO = """
import sys, time, numpy as np
t0 = time.perf_counter()
import mulan
m = mulan.Model.load(sys.argv[1])
t1 = time.perf_counter()
e = m.embed_audio(sys.argv[3:])
t2 = time.perf_counter()
np.save(sys.argv[2], e)
print(t2 - t1, t1 - t0)
"""


def texts(n, seed):
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        target = int(rng.integers(4, 201))
        s = ""
        while len(s) < target:
            s += ("" if not s else " ") + WORDS[int(rng.integers(len(WORDS)))]
        out.append(s[:target].strip() or "rock")
    return out


def recording(path, seconds, seed, rate=44100):
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * rate)) / rate
    f = rng.uniform(110, 880, size=3)
    mono = sum(0.2 * np.sin(2 * np.pi * x * t) for x in f)
    x = np.stack([mono + 0.02 * rng.standard_normal(t.size), mono + 0.02 * rng.standard_normal(t.size)], axis=1)
    pcm = np.clip(np.round(x * 32767), -32768, 32767).astype("<i2")
    with wave.open(path, "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm.tobytes())


def timed(cmd, stdin=None):
    start = time.perf_counter()
    p = subprocess.run(cmd, input=stdin, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if p.returncode != 0:
        sys.exit(f"bench: {' '.join(cmd[:3])} ... exited {p.returncode}: {p.stderr}")
    return seconds, p.stdout


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--preset", default="base-resnet")
    ap.add_argument("--texts", type=int, default=1000)
    ap.add_argument("--recordings", type=int, default=8)
    ap.add_argument("--seconds", type=float, default=30)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--cli", default=os.path.join(ROOT, "build", "bin", "mulan"))
    a = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="mulan-bench-binding-")
    model = os.path.join(tmp, "model")
    subprocess.run([a.cli, "init", "--preset", a.preset, "--out", model, "--seed", "1"], check=True, capture_output=True)
    lines = texts(a.texts, 7)
    text_file = os.path.join(tmp, "texts.txt")
    with open(text_file, "w", encoding="utf-8") as f:
        f.write("".join(t + "\n" for t in lines))
    files = []
    for i in range(a.recordings):
        files.append(os.path.join(tmp, f"rec{i}.wav"))
        recording(files[-1], a.seconds, 100 + i)
    short = os.path.join(tmp, "short.wav")
    recording(short, 1, 99)
    fixed_cmds = {"t": ([a.cli, "embed-text", "--model", model, "--out", os.path.join(tmp, "cli-fixed.npy"), "rock"], None),
                  "a": ([a.cli, "embed-audio", "--model", model, "--out", os.path.join(tmp, "cli-fixed.npy"), short], None)}
    py = [sys.executable, "-c"]
    rows = []
    for name, cli_cmd, py_cmd, stdin in [
        (f"{a.texts} texts", [a.cli, "embed-text", "--model", model, "--out", os.path.join(tmp, "cli-t.npy")],
         py + [PY_TEXT, model, text_file, os.path.join(tmp, "py-t.npy")], "".join(t + "\n" for t in lines)),
        (f"{a.recordings} recordings of {a.seconds:g} s", [a.cli, "embed-audio", "--model", model, "--out", os.path.join(tmp, "cli-a.npy")] + files,
         py + [PY_AUDIO, model, os.path.join(tmp, "py-a.npy")] + files, None),
    ]:
        tag = "t" if "texts" in name else "a"
        cli_s, py_s, inside, fixed = [], [], [], []
        for _ in range(a.repeat):  # alternate, so that both sides see the same machine state
            cli_s.append(timed(cli_cmd, stdin)[0])
            s, out = timed(py_cmd)
            py_s.append(s)
            inside.append(float(out.split()[0]))
            fixed.append(timed(*fixed_cmds[tag])[0])
        np.testing.assert_allclose(np.load(os.path.join(tmp, f"py-{tag}.npy")), np.load(os.path.join(tmp, f"cli-{tag}.npy")), atol=1e-5)
        c, p = statistics.median(cli_s), statistics.median(py_s)
        work_cli, work_py = c - statistics.median(fixed), statistics.median(inside)
        rows.append((name, c, p, 100 * (p - c) / c, work_cli, work_py, 100 * (work_py - work_cli) / work_cli))
    print(f"| work ({a.preset}, {a.repeat} runs, median) | CLI, whole process (s) | Python, whole process (s) | Python overhead "
          f"| CLI, work alone (s) | Python, inside the call (s) | Python overhead |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for name, c, p, over, wc, wp, over2 in rows:
        print(f"| {name} | {c:.2f} | {p:.2f} | {over:+.1f}% | {wc:.2f} | {wp:.2f} | {over2:+.1f}% |")


if __name__ == "__main__":
    main()
