#!/usr/bin/python3
"""Independent audio trunks, read from a mulan model directory with their own safetensors parser.

usage: audio_reference.py MODEL_DIR WINDOWS.npy OUT.npy
WINDOWS [B, F, T] float32 -> OUT [B, pooled] float32, the trunk's pooled vector:
- "resnet50": torchvision's resnet50 with a one-channel conv1 and fc = Identity (its average
  pool is the mean over mel and time), weights loaded with load_state_dict(strict=True); the
  stem's strides along the mel axis set from resnet_stem_fstride;
- "ast": the AST forward written out with torch.nn.functional in float64.
"""
import json
import math
import struct
import sys

import numpy as np
import torch
import torch.nn.functional as F
import torchvision

DTYPES = {"F32": np.float32, "F64": np.float64, "F16": np.float16, "I64": np.int64}


def load_safetensors(path, prefix):
    blob = open(path, "rb").read()
    (n,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + n])
    out = {}
    for name, v in header.items():
        if name == "__metadata__" or not name.startswith(prefix):
            continue
        begin, end = v["data_offsets"]
        arr = np.frombuffer(blob[8 + n + begin:8 + n + end], dtype=DTYPES[v["dtype"]]).reshape(v["shape"])
        out[name[len(prefix):]] = torch.from_numpy(arr.copy())
    return out


def resnet(W, cfg, x):
    assert cfg["resnet_width"] == 64, "torchvision's ResNet has width 64"
    net = torchvision.models.resnet.ResNet(torchvision.models.resnet.Bottleneck, cfg["resnet_layers"])
    # resnet_stem_fstride (absent: 4, torchvision's stem): 2 keeps the conv from striding along
    # the mel axis, 1 keeps the max-pool from it too; time always strides 2 in both.
    fs = cfg.get("resnet_stem_fstride", 4)
    assert fs in (1, 2, 4), fs
    net.conv1 = torch.nn.Conv2d(1, 64, kernel_size=7, stride=(2 if fs == 4 else 1, 2), padding=3, bias=False)
    net.maxpool = torch.nn.MaxPool2d(kernel_size=3, stride=(1 if fs == 1 else 2, 2), padding=1)
    net.fc = torch.nn.Identity()
    net.load_state_dict(W, strict=True)
    net.eval()
    return net(x.unsqueeze(1))


def ast(W, cfg, x):
    W = {k: v.double() for k, v in W.items()}
    x = x.double().unsqueeze(1)
    width, heads = cfg["width"], cfg["heads"]
    d = width // heads
    t = F.conv2d(x, W["patch_embed.proj.weight"], W["patch_embed.proj.bias"], stride=(cfg["fstride"], cfg["tstride"]))
    t = t.flatten(2).transpose(1, 2)
    B = t.shape[0]
    toks = [W["cls_token"].expand(B, -1, -1)]
    if cfg["has_dist_token"]:
        toks.append(W["dist_token"].expand(B, -1, -1))
    y = torch.cat(toks + [t], dim=1) + W["pos_embed"]
    N = y.shape[1]
    ln = lambda z, p: F.layer_norm(z, (width,), W[p + ".weight"], W[p + ".bias"], 1e-6)
    for i in range(cfg["layers"]):
        p = f"blocks.{i}."
        h = ln(y, p + "norm1")
        qkv = F.linear(h, W[p + "attn.qkv.weight"], W[p + "attn.qkv.bias"]).view(B, N, 3, heads, d)
        q, k, v = qkv[:, :, 0].transpose(1, 2), qkv[:, :, 1].transpose(1, 2), qkv[:, :, 2].transpose(1, 2)
        a = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(d), dim=-1) @ v
        y = y + F.linear(a.transpose(1, 2).reshape(B, N, width), W[p + "attn.proj.weight"], W[p + "attn.proj.bias"])
        h = ln(y, p + "norm2")
        h = F.linear(F.gelu(F.linear(h, W[p + "mlp.fc1.weight"], W[p + "mlp.fc1.bias"])), W[p + "mlp.fc2.weight"], W[p + "mlp.fc2.bias"])
        y = y + h
    y = ln(y, "norm")
    return (y[:, 0] + y[:, 1]) / 2 if cfg["has_dist_token"] else y[:, 0]


def main():
    model_dir, windows, out = sys.argv[1:4]
    cfg = json.load(open(f"{model_dir}/config.json"))["audio"]
    x = torch.from_numpy(np.load(windows))
    arch = cfg["arch"]
    W = load_safetensors(f"{model_dir}/model.safetensors", "audio.resnet." if arch == "resnet50" else "audio.ast.")
    with torch.no_grad():
        y = resnet(W, cfg, x) if arch == "resnet50" else ast(W, cfg, x)
    np.save(out, y.float().numpy())


if __name__ == "__main__":
    main()
