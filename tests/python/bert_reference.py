#!/usr/bin/python3
"""An independent text tower: BERT written out with torch.nn.functional ops in float64, read
from a mulan model directory with its own safetensors parser (numpy, no mulan code); an int8
model directory's weights are read as q * scale.

usage: bert_reference.py MODEL_DIR IDS.npy LENS.npy OUT.npy
IDS [N, L] int64 (padded), LENS [N]: each row is embedded alone, unpadded, -> OUT [N, d].
"""
import json
import math
import struct
import sys

import numpy as np
import torch
import torch.nn.functional as F

DTYPES = {"F32": np.float32, "F64": np.float64, "F16": np.float16, "I64": np.int64, "I8": np.int8}


def load_safetensors(path):
    blob = open(path, "rb").read()
    (n,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + n])
    base = 8 + n
    out = {}
    for name, v in header.items():
        if name == "__metadata__":
            continue
        begin, end = v["data_offsets"]
        arr = np.frombuffer(blob[base + begin:base + end], dtype=DTYPES[v["dtype"]]).reshape(v["shape"])
        out[name] = torch.from_numpy(arr.astype(np.float64))
    # An int8 model (docs/model-format.md): weight = q * scale, one scale per output channel.
    for name in [k for k in out if k.endswith("_scale")]:
        weight = name[:-len("_scale")]
        scale = out.pop(name)
        out[weight] = out[weight] * scale.reshape([-1] + [1] * (out[weight].dim() - 1))
    return out


def embed(W, cfg, ids):
    H, heads, eps = cfg["hidden_size"], cfg["num_attention_heads"], cfg["layer_norm_eps"]
    d = H // heads
    L = ids.shape[0]
    b = "text.bert."
    ln = lambda x, p: F.layer_norm(x, (H,), W[p + ".weight"], W[p + ".bias"], eps)
    lin = lambda x, p: F.linear(x, W[p + ".weight"], W[p + ".bias"])
    x = (W[b + "embeddings.word_embeddings.weight"][ids]
         + W[b + "embeddings.position_embeddings.weight"][:L]
         + W[b + "embeddings.token_type_embeddings.weight"][0])
    x = ln(x, b + "embeddings.LayerNorm")
    for i in range(cfg["num_hidden_layers"]):
        p = f"{b}encoder.layer.{i}."
        q, k, v = (lin(x, p + "attention.self." + n).view(L, heads, d).transpose(0, 1)
                   for n in ("query", "key", "value"))
        att = torch.softmax(q @ k.transpose(1, 2) / math.sqrt(d), dim=-1) @ v
        att = att.transpose(0, 1).reshape(L, H)
        a = ln(lin(att, p + "attention.output.dense") + x, p + "attention.output.LayerNorm")
        m = F.gelu(lin(a, p + "intermediate.dense"))  # exact erf GELU
        x = ln(lin(m, p + "output.dense") + a, p + "output.LayerNorm")
    e = lin(x[0], "text.proj")
    return e / e.norm()


def main():
    model_dir, ids_path, lens_path, out_path = sys.argv[1:5]
    cfg = json.load(open(f"{model_dir}/config.json"))["text"]
    W = load_safetensors(f"{model_dir}/model.safetensors")
    ids, lens = np.load(ids_path), np.load(lens_path)
    with torch.no_grad():
        out = [embed(W, cfg, torch.from_numpy(ids[i, :lens[i]].copy())).numpy() for i in range(len(lens))]
    np.save(out_path, np.stack(out).astype(np.float32))


if __name__ == "__main__":
    main()
