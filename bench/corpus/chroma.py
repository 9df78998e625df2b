"""Pitch-class energy of audio, shared by the issue-18 probes (mode_probe.py, triad_probe.py)."""
import numpy as np, torch


def pitch_class_energy(x, sr, lo, hi, n=4096, hop=2048):
    """[12, frames] numpy array: the power of an n-point Hann STFT of the mono tensor x, each bin
    in [lo, hi] Hz added to its nearest pitch class (row 0 is C). Not normalised."""
    power = torch.stft(x, n, hop, window=torch.hann_window(n), return_complex=True).abs() ** 2
    f = np.arange(n // 2 + 1) * sr / n
    band = (f >= lo) & (f <= hi)
    pitch_class = np.round(12 * np.log2(f[band] / 261.63)).astype(int) % 12
    energy = power[torch.from_numpy(band)].numpy()
    chroma = np.zeros((12, energy.shape[1]))
    np.add.at(chroma, pitch_class, energy)
    return chroma
