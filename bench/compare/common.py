"""What the PyTorch-eager side and the ONNX export share: a safetensors reader (the format is
simple enough that a research script reads it with struct and numpy), the towers of a mulan
model directory built from torchvision and torch.nn.functional, the front end with torchaudio,
and the windowing policy of docs/model-format.md."""
import json
import math
import struct

import numpy as np
import torch
import torch.nn.functional as F
import torchaudio
import torchvision

DTYPES = {"F32": np.float32, "F64": np.float64, "F16": np.float16, "I64": np.int64}


def load_safetensors(path):
    blob = open(path, "rb").read()
    (n,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + n])
    out = {}
    for name, v in header.items():
        if name == "__metadata__":
            continue
        a, b = v["data_offsets"]
        arr = np.frombuffer(blob[8 + n + a:8 + n + b], dtype=DTYPES[v["dtype"]]).reshape(v["shape"])
        out[name] = torch.from_numpy(arr.astype(np.float32) if arr.dtype != np.int64 else arr.copy())
    return out


class AudioTower(torch.nn.Module):
    """torchvision's resnet50 with a one-channel conv1 and no fc, then the projection."""

    def __init__(self, W, cfg):
        super().__init__()
        assert cfg["arch"] == "resnet50" and cfg.get("resnet_stem_fstride", 4) == 4, "base-resnet only"
        self.trunk = torchvision.models.resnet50()
        self.trunk.conv1 = torch.nn.Conv2d(1, 64, 7, 2, 3, bias=False)
        self.trunk.fc = torch.nn.Identity()
        state = {k[len("audio.resnet."):]: v for k, v in W.items() if k.startswith("audio.resnet.")}
        self.trunk.load_state_dict(state, strict=True)
        self.proj = torch.nn.Linear(W["audio.proj.weight"].shape[1], W["audio.proj.weight"].shape[0])
        self.proj.load_state_dict({"weight": W["audio.proj.weight"], "bias": W["audio.proj.bias"]})
        self.eval()

    def forward(self, windows):  # [B, 1, 64, T] -> [B, d]
        return F.normalize(self.proj(self.trunk(windows)), dim=-1)


class TextTower(torch.nn.Module):
    """BERT written with torch.nn.functional (as research code does), [CLS] then the projection."""

    def __init__(self, W, cfg):
        super().__init__()
        self.W = {k: v for k, v in W.items() if k.startswith("text.")}
        self.H, self.heads, self.eps = cfg["hidden_size"], cfg["num_attention_heads"], cfg["layer_norm_eps"]
        self.layers = cfg["num_hidden_layers"]
        for i, (k, v) in enumerate(self.W.items()):
            self.register_buffer(f"w{i}", v, persistent=False)
        self.names = {k: f"w{i}" for i, k in enumerate(self.W)}

    def p(self, name):
        return getattr(self, self.names[name])

    def forward(self, ids, mask):  # [B, L] int64 each -> [B, d]
        H, heads = self.H, self.heads
        d = H // heads
        B, L = ids.shape
        b = "text.bert."
        ln = lambda x, n: F.layer_norm(x, (H,), self.p(n + ".weight"), self.p(n + ".bias"), self.eps)
        lin = lambda x, n: F.linear(x, self.p(n + ".weight"), self.p(n + ".bias"))
        x = (F.embedding(ids, self.p(b + "embeddings.word_embeddings.weight"))
             + self.p(b + "embeddings.position_embeddings.weight")[:L]
             + self.p(b + "embeddings.token_type_embeddings.weight")[0])
        x = ln(x, b + "embeddings.LayerNorm")
        bias = (1.0 - mask[:, None, None, :].to(x.dtype)) * -1e9
        for i in range(self.layers):
            n = f"{b}encoder.layer.{i}."
            q, k, v = (lin(x, n + "attention.self." + s).view(B, L, heads, d).transpose(1, 2)
                       for s in ("query", "key", "value"))
            att = torch.softmax(q @ k.transpose(2, 3) / math.sqrt(d) + bias, dim=-1) @ v
            att = att.transpose(1, 2).reshape(B, L, H)
            a = ln(lin(att, n + "attention.output.dense") + x, n + "attention.output.LayerNorm")
            x = ln(lin(F.gelu(lin(a, n + "intermediate.dense")), n + "output.dense") + a, n + "output.LayerNorm")
        return F.normalize(lin(x[:, 0], "text.proj"), dim=-1)


def log_mel(x):
    """16 kHz mono [N] -> [64, T], the resnet front end of docs/model-format.md."""
    mel = torchaudio.transforms.MelSpectrogram(
        sample_rate=16000, n_fft=512, win_length=400, hop_length=160, f_min=125, f_max=7500,
        n_mels=64, power=2.0, center=False, norm=None, mel_scale="htk")(x)
    return torch.log(mel + 1e-6)


def windows(spec, W, pad):
    """The inference windows: consecutive, the last aligned to the end, a short one padded."""
    T = spec.shape[1]
    starts = [0] if T <= W else list(range(0, T - W + 1, W))
    if T > W and starts[-1] + W < T:
        starts.append(T - W)
    out = torch.full((len(starts), 1, spec.shape[0], W), pad)
    for i, s in enumerate(starts):
        n = min(W, T - s)
        out[i, 0, :, :n] = spec[:, s:s + n]
    return out
