#!/usr/bin/python3
"""Writes audio checkpoints in the layouts mulan imports, with reference outputs.

usage: write_audio_checkpoints.py DIR
DIR/resnet.pth   torch.save(torchvision resnet50().state_dict()): three-channel conv1, fc, BN
DIR/resnet.npy   pooled [2, 2048] of DIR/x64.npy fed to all three input channels
DIR/ast.pth      the public AST layout at a small width: DataParallel "module.v.*" names, fused
                 qkv, cls + dist tokens, a 12 x 101 grid (1024 frames, fstride = tstride = 10),
                 head, head_dist and mlp_head
DIR/ast.npy      pooled [2, 64] of DIR/x128.npy, pos_embed resized bilinearly to 12 x 99
DIR/ast_head.npy its mlp_head logits [2, 527] (LayerNorm eps 1e-5, Linear), in float64
"""
import collections
import sys

import numpy as np
import torch
import torch.nn.functional as F
import torchvision

sys.path.insert(0, __file__.rsplit("/", 1)[0])
import audio_reference  # noqa: E402

out = sys.argv[1]
torch.manual_seed(0)

# ResNet-50, as torchvision saves it.
net = torchvision.models.resnet50()
with torch.no_grad():
    for m in net.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.normal_(0, 0.1)
            m.running_var.uniform_(0.5, 1.5)
            m.bias.normal_(0, 0.1)
torch.save(net.state_dict(), f"{out}/resnet.pth")
net.fc = torch.nn.Identity()
net.eval()
x64 = torch.randn(2, 64, 1000)
np.save(f"{out}/x64.npy", x64.numpy())
with torch.no_grad():
    np.save(f"{out}/resnet.npy", net(x64.unsqueeze(1).repeat(1, 3, 1, 1)).numpy())

# AST, small, in the public checkpoint's layout.
width, layers, heads, mlp, rows, cols = 64, 2, 4, 128, 12, 101
sd = collections.OrderedDict()
v = "module.v."
sd[v + "cls_token"] = torch.randn(1, 1, width) * 0.02
sd[v + "dist_token"] = torch.randn(1, 1, width) * 0.02
sd[v + "pos_embed"] = torch.randn(1, 2 + rows * cols, width) * 0.02
sd[v + "patch_embed.proj.weight"] = torch.randn(width, 1, 16, 16) * 0.02
sd[v + "patch_embed.proj.bias"] = torch.randn(width) * 0.02
for i in range(layers):
    p = f"{v}blocks.{i}."
    for name, shape in (("norm1", (width,)), ("norm2", (width,))):
        sd[p + name + ".weight"] = 1 + 0.1 * torch.randn(shape)
        sd[p + name + ".bias"] = 0.1 * torch.randn(shape)
    sd[p + "attn.qkv.weight"] = torch.randn(3 * width, width) * 0.05
    sd[p + "attn.qkv.bias"] = torch.randn(3 * width) * 0.05
    sd[p + "attn.proj.weight"] = torch.randn(width, width) * 0.05
    sd[p + "attn.proj.bias"] = torch.randn(width) * 0.05
    sd[p + "mlp.fc1.weight"] = torch.randn(mlp, width) * 0.05
    sd[p + "mlp.fc1.bias"] = torch.randn(mlp) * 0.05
    sd[p + "mlp.fc2.weight"] = torch.randn(width, mlp) * 0.05
    sd[p + "mlp.fc2.bias"] = torch.randn(width) * 0.05
sd[v + "norm.weight"] = 1 + 0.1 * torch.randn(width)
sd[v + "norm.bias"] = 0.1 * torch.randn(width)
sd[v + "head.weight"] = torch.randn(1000, width)
sd[v + "head.bias"] = torch.randn(1000)
sd[v + "head_dist.weight"] = torch.randn(1000, width)
sd[v + "head_dist.bias"] = torch.randn(1000)
sd["module.mlp_head.0.weight"] = 1 + 0.1 * torch.randn(width)
sd["module.mlp_head.0.bias"] = 0.1 * torch.randn(width)
sd["module.mlp_head.1.weight"] = torch.randn(527, width)
sd["module.mlp_head.1.bias"] = torch.randn(527)
torch.save(sd, f"{out}/ast.pth")

W = {k[len(v):]: t for k, t in sd.items() if k.startswith(v)}
pos = W["pos_embed"]
grid = pos[:, 2:].reshape(1, rows, cols, width).permute(0, 3, 1, 2)
grid = F.interpolate(grid, size=(12, 99), mode="bilinear", align_corners=False)
W["pos_embed"] = torch.cat([pos[:, :2], grid.permute(0, 2, 3, 1).reshape(1, 12 * 99, width)], dim=1)
cfg = {"width": width, "heads": heads, "layers": layers, "fstride": 10, "tstride": 10, "has_dist_token": True}
x128 = torch.randn(2, 128, 1000)
np.save(f"{out}/x128.npy", x128.numpy())
with torch.no_grad():
    pooled = audio_reference.ast(W, cfg, x128)
    np.save(f"{out}/ast.npy", pooled.float().numpy())
    # The public AST's classifier: mlp_head = Sequential(LayerNorm(width), Linear(width, 527)).
    head = F.linear(F.layer_norm(pooled, (width,), sd["module.mlp_head.0.weight"].double(), sd["module.mlp_head.0.bias"].double(),
                                 eps=1e-5), sd["module.mlp_head.1.weight"].double(), sd["module.mlp_head.1.bias"].double())
    np.save(f"{out}/ast_head.npy", head.float().numpy())
