#!/usr/bin/python3
"""The same work as mulan, the PyTorch-eager way: torchaudio load, resample and MelSpectrogram,
torchvision's resnet50, a BERT in torch.nn.functional with batches padded to their longest,
in input order.

usage: torch_eager.py MODEL_DIR INPUTS_DIR OUT_DIR audio|text [BATCH=8 windows | 32 texts]
INPUTS_DIR: audio/*.flac and texts.txt. audio writes OUT_DIR/torch_audio.npy, windows.npy (every
window, for ONNX Runtime) and torch_audio.json (model-only seconds, windows per file); text
writes torch_text.npy, ids.npy + lens.npy (the token ids) and torch_text.json.
"""
import glob
import json
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F
import torchaudio

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
from wordpiece import WordPiece  # noqa: E402


def main():
    model_dir, inputs, out, mode = sys.argv[1:5]
    torch.set_grad_enabled(False)
    # Every core, as mulan uses them (Debian's torch started with 1 thread here).
    torch.set_num_threads(len(os.sched_getaffinity(0)))
    cfg = json.load(open(f"{model_dir}/config.json"))
    W = common.load_safetensors(f"{model_dir}/model.safetensors")
    if mode == "audio":
        run_audio(W, cfg, inputs, out, int(sys.argv[5]) if len(sys.argv) > 5 else 8)
    elif mode == "text":
        run_text(W, cfg, model_dir, inputs, out, int(sys.argv[5]) if len(sys.argv) > 5 else 32)
    else:
        sys.exit(f"mode must be audio or text, not {mode}")


def run_audio(W, cfg, inputs, out, batch_windows):
    audio = common.AudioTower(W, cfg["audio"])
    times = {"model_s": 0.0, "windows_per_file": []}

    files = sorted(glob.glob(f"{inputs}/audio/*.flac"))
    pad = float(common.log_mel(torch.zeros(16000))[0, 0])
    embeddings, all_windows = [], []
    for path in files:
        x, rate = torchaudio.load(path)
        x = torchaudio.functional.resample(x.mean(0), rate, 16000)
        win = common.windows(common.log_mel(x), cfg["audio"]["window_frames"], pad)
        all_windows.append(win)
        times["windows_per_file"].append(len(win))
        t = time.perf_counter()
        e = torch.cat([audio(win[i:i + batch_windows]) for i in range(0, len(win), batch_windows)])
        times["model_s"] += time.perf_counter() - t
        embeddings.append(F.normalize(e.mean(0), dim=0))
    np.save(f"{out}/torch_audio.npy", torch.stack(embeddings).numpy())
    np.save(f"{out}/windows.npy", torch.cat(all_windows).numpy())
    json.dump(times, open(f"{out}/torch_audio.json", "w"))


def run_text(W, cfg, model_dir, inputs, out, batch_texts):
    text = common.TextTower(W, cfg["text"])
    times = {"model_s": 0.0}
    tok = WordPiece(f"{model_dir}/vocab.txt", cfg["text"]["max_length"])
    texts = open(f"{inputs}/texts.txt", encoding="utf-8").read().split("\n")[:-1]
    encoded = [tok.encode(s) for s in texts]
    rows = []
    for i in range(0, len(encoded), batch_texts):
        batch = encoded[i:i + batch_texts]
        L = max(len(e) for e in batch)
        ids = torch.zeros(len(batch), L, dtype=torch.int64)
        mask = torch.zeros(len(batch), L, dtype=torch.int64)
        for j, e in enumerate(batch):
            ids[j, :len(e)] = torch.tensor(e)
            mask[j, :len(e)] = 1
        t = time.perf_counter()
        rows.append(text(ids, mask))
        times["model_s"] += time.perf_counter() - t
    np.save(f"{out}/torch_text.npy", torch.cat(rows).numpy())
    lens = np.array([len(e) for e in encoded], dtype=np.int64)
    flat = np.zeros((len(encoded), int(lens.max())), dtype=np.int64)
    for j, e in enumerate(encoded):
        flat[j, :len(e)] = e
    np.save(f"{out}/ids.npy", flat)
    np.save(f"{out}/lens.npy", lens)
    json.dump(times, open(f"{out}/torch_text.json", "w"))


if __name__ == "__main__":
    main()
