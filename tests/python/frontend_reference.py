#!/usr/bin/python3
"""Reference front ends: the exact torchaudio calls of docs/mulan-spec.md 1.1.

usage: frontend_reference.py DIR NAME...
Reads DIR/NAME.npy (float32 [N], 16 kHz) and writes, for each front end KIND in resnet, ast:
  DIR/NAME.KIND.npy       float32 [F, T]  the reference log-mel
  DIR/NAME.KIND.mask.npy  float32 [F, T]  1 where the mel power is >= 1e-8 of its frame's max

usage: frontend_reference.py --precision DIR NAME...
Writes the ast log filter banks (kaldi.fbank, before AST's normalisation) of DIR/NAME.npy:
  DIR/NAME.ast64.npy       float64 [F, T]  computed from the wave cast to float64
  DIR/NAME.ast32.npy       float32 [F, T]  torchaudio's own float32 path
  DIR/NAME.ast64.mask.npy  float32 [F, T]  the mask as above, from the float64 power
"""
import sys

import numpy as np
import torch
import torchaudio

AST_MEAN, AST_STD = -4.2677393, 4.5689974


def resnet(wave):
    mel = torchaudio.transforms.MelSpectrogram(
        sample_rate=16000, n_fft=512, win_length=400, hop_length=160, f_min=125, f_max=7500,
        n_mels=64, power=2.0, center=False, norm=None, mel_scale="htk")(wave)
    return torch.log(mel + 1e-6), mel


def ast_fbank(wave):
    return torchaudio.compliance.kaldi.fbank(
        wave.unsqueeze(0), htk_compat=True, sample_frequency=16000, use_energy=False,
        window_type="hanning", num_mel_bins=128, dither=0.0, frame_shift=10).T


def fbank_power(fb):
    eps = torch.finfo(torch.float).eps
    power = torch.exp(fb)  # the mel power, floored at eps
    return torch.where(power <= eps * 1.0001, torch.zeros_like(power), power)


def ast(wave):
    fb = ast_fbank(wave)
    return (fb - AST_MEAN) / (2 * AST_STD), fbank_power(fb)


def frame_mask(power):
    frame_max = power.max(dim=0, keepdim=True).values
    return (power >= 1e-8 * frame_max).float()


def precision(folder, names):
    for name in names:
        wave = torch.from_numpy(np.load(f"{folder}/{name}.npy"))
        fb64 = ast_fbank(wave.to(torch.float64))
        np.save(f"{folder}/{name}.ast64.npy", fb64.numpy())
        np.save(f"{folder}/{name}.ast32.npy", ast_fbank(wave.to(torch.float32)).numpy())
        np.save(f"{folder}/{name}.ast64.mask.npy", frame_mask(fbank_power(fb64)).numpy().astype(np.float32))


def main():
    if sys.argv[1] == "--precision":
        precision(sys.argv[2], sys.argv[3:])
        return
    folder, names = sys.argv[1], sys.argv[2:]
    for name in names:
        wave = torch.from_numpy(np.load(f"{folder}/{name}.npy"))
        for kind, fn in (("resnet", resnet), ("ast", ast)):
            out, power = fn(wave)
            mask = frame_mask(power)
            np.save(f"{folder}/{name}.{kind}.npy", out.numpy().astype(np.float32))
            np.save(f"{folder}/{name}.{kind}.mask.npy", mask.numpy())


if __name__ == "__main__":
    main()
