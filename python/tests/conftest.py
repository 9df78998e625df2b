"""Shared fixtures: a tiny model made by the CLI (mulan init) and recordings written here.

Run by CTest (python_test) with PYTHONPATH at the staged package (build/python) and MULAN_CLI at
the command line; by hand:
    PYTHONPATH=build/python MULAN_CLI=build/bin/mulan /usr/bin/python3 -m pytest python/tests
"""

import json
import os
import subprocess
import wave

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def pytest_configure(config):
    config.addinivalue_line("markers", "install: installs the package into a fresh venv with pip (slow)")


@pytest.fixture(scope="session")
def cli():
    path = os.environ.get("MULAN_CLI", os.path.join(ROOT, "build", "bin", "mulan"))
    assert os.access(path, os.X_OK), f"no mulan CLI at {path} (set MULAN_CLI)"
    return path


def run_cli(cli, *args, check=True):
    """(exit code, stdout, stderr) of the CLI."""
    p = subprocess.run([cli, *args], capture_output=True, text=True)
    if check and p.returncode != 0:
        raise AssertionError(f"mulan {' '.join(args)} exited {p.returncode}: {p.stderr}")
    return p.returncode, p.stdout, p.stderr


def write_wav(path, samples, rate):
    """samples: float [frames] or [frames, channels] in [-1, 1] -> a 16-bit PCM WAV."""
    s = np.asarray(samples, dtype=np.float64)
    if s.ndim == 1:
        s = s[:, None]
    pcm = np.clip(np.round(s * 32767), -32768, 32767).astype("<i2")
    with wave.open(str(path), "wb") as w:
        w.setnchannels(s.shape[1])
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm.tobytes())


def read_wav(path):
    """-> (float32 [channels, frames] exactly as the WAV holds it, scaled by 1/32768, rate)."""
    with wave.open(str(path), "rb") as w:
        data = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float32) / 32768.0
        return data.reshape(-1, w.getnchannels()).T.copy(), w.getframerate()


def tone(seconds, rate, freqs, seed):
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * rate)) / rate
    x = sum(0.2 * np.sin(2 * np.pi * f * t) for f in freqs)
    return x + 0.01 * rng.standard_normal(t.shape)


@pytest.fixture(scope="session")
def model_dir(cli, tmp_path_factory):
    d = tmp_path_factory.mktemp("model") / "tiny"
    run_cli(cli, "init", "--preset", "tiny", "--out", str(d), "--seed", "3")
    return str(d)


@pytest.fixture(scope="session")
def model(model_dir):
    import mulan

    return mulan.Model.load(model_dir)


@pytest.fixture(scope="session")
def recordings(tmp_path_factory):
    """A folder of recordings: 12 s of 44.1 kHz stereo (two windows and a bit), 4 s of 16 kHz mono,
    1 s of 22.05 kHz mono (shorter than one window, padded)."""
    d = tmp_path_factory.mktemp("audio")
    left, right = tone(12, 44100, [220, 330], 1), tone(12, 44100, [262, 392], 2)
    write_wav(d / "stereo.wav", np.stack([left, right], axis=1), 44100)
    write_wav(d / "mono16k.wav", tone(4, 16000, [440], 3), 16000)
    write_wav(d / "short.wav", tone(1, 22050, [523, 659], 4), 22050)
    return [str(d / n) for n in ("stereo.wav", "mono16k.wav", "short.wav")]


@pytest.fixture(scope="session")
def cli_audio_embeddings(cli, model_dir, recordings, tmp_path_factory):
    """What `mulan embed-audio --windows --out` gives for the recordings: (per-file rows, windows, rows' names)."""
    d = tmp_path_factory.mktemp("cli-audio")
    run_cli(cli, "embed-audio", "--model", model_dir, "--out", str(d / "e.npy"), *recordings)
    run_cli(cli, "embed-audio", "--model", model_dir, "--windows", "--out", str(d / "w.npy"), *recordings)
    with open(d / "w.npy.json") as f:
        names = json.load(f)
    return np.load(d / "e.npy"), np.load(d / "w.npy"), names
