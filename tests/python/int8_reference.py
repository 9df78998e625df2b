#!/usr/bin/python3
"""Checks an int8 model directory against the float one it was made from, by the rule of
docs/model-format.md ("int8 models"), with its own safetensors parser (numpy, no mulan code):
every float "*.weight" of rank >= 2 is I8 q with an F32 "*.weight_scale" s per output channel,
s = float32(max |w| / 127) (1 for an all-zero channel), q = round(w / s) clipped to -127..127
(computed in float64); every other tensor is byte for byte the float file's; config.json is the
float one plus "quantization": "int8".

usage: int8_reference.py FLOAT_DIR INT8_DIR   (prints a JSON summary; exit 1 on a mismatch)
"""
import json
import struct
import sys

import numpy as np

DTYPES = {"F32": np.float32, "F64": np.float64, "F16": np.float16, "I64": np.int64, "I8": np.int8}


def tensors(path):
    blob = open(path, "rb").read()
    (n,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + n])
    base, out = 8 + n, {}
    for name, v in header.items():
        if name == "__metadata__":
            continue
        begin, end = v["data_offsets"]
        raw = blob[base + begin:base + end]
        out[name] = (v["dtype"], np.frombuffer(raw, dtype=DTYPES[v["dtype"]]).reshape(v["shape"]), raw)
    return out


def main():
    fdir, qdir = sys.argv[1:3]
    problems = []
    fcfg, qcfg = json.load(open(f"{fdir}/config.json")), json.load(open(f"{qdir}/config.json"))
    if qcfg.pop("quantization", None) != "int8":
        problems.append("config.json: no \"quantization\": \"int8\"")
    if qcfg != fcfg:
        problems.append("config.json differs beyond \"quantization\"")
    F, Q = tensors(f"{fdir}/model.safetensors"), tensors(f"{qdir}/model.safetensors")
    expected_names, n_int8, n_float = set(), 0, 0
    for name, (dtype, w, raw) in F.items():
        expected_names.add(name)
        if name.endswith(".weight") and w.ndim >= 2 and dtype.startswith("F"):
            n_int8 += 1
            expected_names.add(name + "_scale")
            if name not in Q or Q[name][0] != "I8" or Q[name][1].shape != w.shape:
                problems.append(f"{name}: not I8 of shape {list(w.shape)}")
                continue
            if name + "_scale" not in Q or Q[name + "_scale"][0] != "F32":
                problems.append(f"{name}_scale: missing or not F32")
                continue
            w64 = w.astype(np.float64).reshape(w.shape[0], -1)
            s = (np.abs(w64).max(axis=1) / 127.0).astype(np.float32)
            s[s == 0] = 1
            q = np.clip(np.round(w64 / s.astype(np.float64)[:, None]), -127, 127).astype(np.int8)
            if not np.array_equal(Q[name + "_scale"][1], s):
                problems.append(f"{name}_scale: differs from max|w|/127")
            if not np.array_equal(Q[name][1].reshape(w.shape[0], -1), q):
                bad = int((Q[name][1].reshape(w.shape[0], -1) != q).sum())
                problems.append(f"{name}: {bad} values differ from round(w / scale)")
        else:
            n_float += 1
            if name not in Q or Q[name][0] != dtype or Q[name][2] != raw:
                problems.append(f"{name}: not the float file's bytes")
    extra = set(Q) - expected_names
    if extra:
        problems.append(f"unexpected tensors: {sorted(extra)[:5]}")
    print(json.dumps({"int8": n_int8, "float": n_float, "problems": problems[:20]}))
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
