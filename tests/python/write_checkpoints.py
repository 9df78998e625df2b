#!/usr/bin/python3
"""Writes real torch.save checkpoints for the C++ reader's tests, with what each should read as
in a safetensors file written here by a few lines of Python (no torch.save, no mulan code).

usage: write_checkpoints.py cases OUT_DIR MARKER
         OUT_DIR/NAME.pt and OUT_DIR/NAME.ref.safetensors for NAME in module, mixed, wrapped,
         model_wrapped; OUT_DIR/legacy.pt (the pre-1.6 format); OUT_DIR/evil.pt, whose pickle
         would run `touch MARKER` if anything unpickled it with Python's pickle
       write_checkpoints.py from-safetensors IN.safetensors OUT.bin
         torch.save of an OrderedDict of IN's tensors (as pytorch_model.bin is written)
"""
import collections
import json
import os
import struct
import sys

import numpy as np
import torch
from torch import nn

DTYPES = {torch.float64: "F64", torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16",
          torch.int64: "I64", torch.int32: "I32", torch.int16: "I16", torch.int8: "I8",
          torch.uint8: "U8", torch.bool: "BOOL"}
NUMPY = {"F64": np.float64, "F32": np.float32, "F16": np.float16, "I64": np.int64, "I32": np.int32,
         "I16": np.int16, "I8": np.int8, "U8": np.uint8, "BOOL": np.bool_}


def raw_bytes(t):
    t = t.detach().contiguous()
    if t.dtype == torch.bfloat16:
        t = t.view(torch.int16)  # numpy has no bfloat16; the bits are what matters
    return t.numpy().tobytes()


def write_safetensors(path, tensors):
    header, blobs, offset = {}, [], 0
    for name in sorted(tensors):
        data = raw_bytes(tensors[name])
        header[name] = {"dtype": DTYPES[tensors[name].dtype], "shape": list(tensors[name].shape),
                        "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    text = json.dumps(header).encode()
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def read_safetensors(path):
    blob = open(path, "rb").read()
    (n,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + n])
    out = collections.OrderedDict()
    for name in sorted(header):
        if name == "__metadata__":
            continue
        v = header[name]
        begin, end = v["data_offsets"]
        raw = blob[8 + n + begin:8 + n + end]
        if v["dtype"] == "BF16":
            t = torch.from_numpy(np.frombuffer(raw, np.int16).copy()).view(torch.bfloat16)
        else:
            t = torch.from_numpy(np.frombuffer(raw, NUMPY[v["dtype"]]).copy())
        out[name] = t.reshape(v["shape"])
    return out


def module_state_dict():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.Flatten(),
                        nn.Linear(4 * 4 * 4, 3), nn.LayerNorm(3))
    net.train()
    net(torch.randn(2, 1, 6, 6))  # moves the BatchNorm statistics; num_batches_tracked = 1
    top = nn.ModuleDict({"net": net, "emb": nn.Embedding(10, 4), "dec": nn.Linear(4, 10)})
    top["dec"].weight = top["emb"].weight  # tied: two names, one storage
    return top.state_dict()


def mixed_tensors():
    g = torch.Generator().manual_seed(1)
    base = torch.randn(20, generator=g)
    return {
        "f16": torch.randn(3, 4, generator=g).half(),
        "bf16": torch.randn(5, generator=g).bfloat16(),
        "f64": torch.randn(2, 2, generator=g).double(),
        "i64": torch.tensor([-(2 ** 40), -1, 0, 7, 2 ** 50], dtype=torch.int64),
        "i32": torch.tensor([[-(2 ** 31), 5], [6, 2 ** 31 - 1]], dtype=torch.int32),
        "i16": torch.tensor([-300, 300], dtype=torch.int16),
        "i8": torch.tensor([-128, 127, 0], dtype=torch.int8),
        "u8": torch.tensor([0, 200, 255], dtype=torch.uint8),
        "bool": torch.tensor([True, False, True]),
        "transposed": torch.randn(3, 5, generator=g).t(),          # strides (1, 5)
        "strided": torch.randn(4, 6, generator=g)[::2, 1::2],      # offset 1, strides (12, 2)
        "expanded": torch.randn(3, 1, generator=g).expand(3, 4),   # stride 0
        "shared_a": base[2:7],                                       # three views of one storage
        "shared_b": base[10:].view(2, 5),
        "shared_all": base,
        "scalar": torch.tensor(3.5),
        "empty": torch.zeros(0, 3),
        "param": nn.Parameter(torch.randn(4, generator=g)),        # _rebuild_parameter
    }


class Evil:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, ("touch " + self.marker,))


def cases(out, marker):
    sd = module_state_dict()
    mixed = mixed_tensors()
    torch.save(sd, os.path.join(out, "module.pt"))
    write_safetensors(os.path.join(out, "module.ref.safetensors"), sd)
    torch.save(mixed, os.path.join(out, "mixed.pt"))
    write_safetensors(os.path.join(out, "mixed.ref.safetensors"), mixed)
    torch.save({"epoch": 3, "state_dict": sd, "optimizer": {"lr": 0.1, "betas": (0.9, 0.999)}, "note": "best"},
               os.path.join(out, "wrapped.pt"))
    write_safetensors(os.path.join(out, "wrapped.ref.safetensors"), sd)
    torch.save({"model": mixed, "step": 10 ** 12, "debt": -(10 ** 12), "flags": [True, None, 2.5]},
               os.path.join(out, "model_wrapped.pt"))
    write_safetensors(os.path.join(out, "model_wrapped.ref.safetensors"), mixed)
    torch.save(sd, os.path.join(out, "legacy.pt"), _use_new_zipfile_serialization=False)
    torch.save({"w": torch.zeros(2), "evil": Evil(marker)}, os.path.join(out, "evil.pt"))


def from_safetensors(src, dst):
    torch.save(read_safetensors(src), dst)


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "cases":
        cases(sys.argv[2], sys.argv[3])
    elif len(sys.argv) == 4 and sys.argv[1] == "from-safetensors":
        from_safetensors(sys.argv[2], sys.argv[3])
    else:
        sys.exit(__doc__)
