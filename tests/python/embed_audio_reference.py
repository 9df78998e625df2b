#!/usr/bin/python3
"""The whole-file embedding, the Python way: torchaudio front end over the whole recording,
the windowing policy of docs/mulan-spec.md 1.1 written out, the reference trunk of
audio_reference.py, the projection, the mean, the normalisation.

usage: embed_audio_reference.py MODEL_DIR WAV OUT.npy
WAV: 16 kHz mono 16-bit PCM. OUT: float32 [1 + K, d]: row 0 the file's embedding, then the
K window embeddings.
"""
import json
import sys
import wave

import numpy as np
import torch
import torch.nn.functional as F
import torchaudio

sys.path.insert(0, __file__.rsplit("/", 1)[0])
import audio_reference  # noqa: E402


def log_mel(x, frontend):
    if frontend == "resnet":
        mel = torchaudio.transforms.MelSpectrogram(
            sample_rate=16000, n_fft=512, win_length=400, hop_length=160, f_min=125, f_max=7500,
            n_mels=64, power=2.0, center=False, norm=None, mel_scale="htk")(x)
        return torch.log(mel + 1e-6)
    fb = torchaudio.compliance.kaldi.fbank(
        x.unsqueeze(0), htk_compat=True, sample_frequency=16000, use_energy=False,
        window_type="hanning", num_mel_bins=128, dither=0.0, frame_shift=10).T
    return (fb + 4.2677393) / (2 * 4.5689974)


def windows(spec, W, pad):
    T = spec.shape[1]
    if T <= W:
        starts = [0]
    else:
        starts = list(range(0, T - W + 1, W))
        if starts[-1] + W < T:
            starts.append(T - W)
    out = torch.full((len(starts), spec.shape[0], W), pad)
    for i, s in enumerate(starts):
        n = min(W, T - s)
        out[i, :, :n] = spec[:, s:s + n]
    return out


def main():
    model_dir, wav_path, out_path = sys.argv[1:4]
    cfg = json.load(open(f"{model_dir}/config.json"))["audio"]
    with wave.open(wav_path) as w:
        assert w.getframerate() == 16000 and w.getnchannels() == 1 and w.getsampwidth() == 2
        x = torch.from_numpy(np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float32) / 32768.0)
    spec = log_mel(x, cfg["frontend"])
    pad = float(log_mel(torch.zeros(16000), cfg["frontend"])[0, 0])
    win = windows(spec, cfg["window_frames"], pad)
    prefix = "audio.resnet." if cfg["arch"] == "resnet50" else "audio.ast."
    st = f"{model_dir}/model.safetensors"
    W = audio_reference.load_safetensors(st, prefix)
    P = audio_reference.load_safetensors(st, "audio.proj.")
    with torch.no_grad():
        pooled = (audio_reference.resnet if cfg["arch"] == "resnet50" else audio_reference.ast)(W, cfg, win).float()
        e = F.normalize(F.linear(pooled, P["weight"], P["bias"]), dim=-1)
        mean = F.normalize(e.mean(0), dim=0)
    np.save(out_path, torch.cat([mean.unsqueeze(0), e]).numpy())


if __name__ == "__main__":
    main()
