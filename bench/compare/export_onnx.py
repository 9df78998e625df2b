#!/usr/bin/python3
"""Both towers of a mulan model directory as ONNX (torch.onnx.export of common.py's modules,
the same weights): OUT_DIR/audio.onnx ([B, 1, 64, T] windows -> [B, d]) and text.onnx
(ids, mask [B, L] int64 -> [B, d]), batch and length dynamic.

usage: export_onnx.py MODEL_DIR OUT_DIR
"""
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402


def main():
    model_dir, out = sys.argv[1:3]
    cfg = json.load(open(f"{model_dir}/config.json"))
    W = common.load_safetensors(f"{model_dir}/model.safetensors")
    T = cfg["audio"]["window_frames"]
    with torch.no_grad():
        torch.onnx.export(common.AudioTower(W, cfg["audio"]), (torch.randn(2, 1, 64, T),), f"{out}/audio.onnx",
                          input_names=["windows"], output_names=["embedding"],
                          dynamic_axes={"windows": {0: "batch"}, "embedding": {0: "batch"}}, opset_version=14)
        ids = torch.ones(2, 7, dtype=torch.int64)
        torch.onnx.export(common.TextTower(W, cfg["text"]), (ids, torch.ones_like(ids)), f"{out}/text.onnx",
                          input_names=["ids", "mask"], output_names=["embedding"],
                          dynamic_axes={"ids": {0: "batch", 1: "length"}, "mask": {0: "batch", 1: "length"},
                                        "embedding": {0: "batch"}}, opset_version=14)


if __name__ == "__main__":
    main()
