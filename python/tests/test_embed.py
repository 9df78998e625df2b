"""Model.embed_text / embed_audio / tag / config against the CLI and an independent float64 computation."""

import json
import os

import numpy as np
import pytest

import mulan
from conftest import read_wav, run_cli

TEXTS = [
    "melancholic lo-fi piano for a rainy night",
    "fast loud rock with drums",
    "",
    "Ünïcödé jazz, 120 BPM!",
    "a " * 300,  # longer than max_length: truncated as the CLI truncates
]


def test_embed_text_equals_the_cli(cli, model, model_dir, tmp_path):
    out = tmp_path / "t.npy"
    run_cli(cli, "embed-text", "--model", model_dir, "--batch", "2", "--out", str(out), *TEXTS)
    want = np.load(out)
    got = model.embed_text(TEXTS, batch_size=2)
    assert got.dtype == np.float32 and got.shape == (len(TEXTS), 128)
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-6)
    # Another batching gives the same numbers (each batch is padded to its own longest text).
    np.testing.assert_allclose(model.embed_text(TEXTS), want, rtol=0, atol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)


def test_one_text_gives_one_vector_and_an_empty_list_none(model):
    one = model.embed_text("fast loud rock with drums")
    assert one.shape == (128,)
    np.testing.assert_allclose(one, model.embed_text(["fast loud rock with drums"])[0], atol=1e-6)
    assert model.embed_text([]).shape == (0, 128)


def test_embed_audio_equals_the_cli(model, recordings, cli_audio_embeddings):
    want, want_windows, names = cli_audio_embeddings
    got = model.embed_audio(recordings)
    assert got.dtype == np.float32 and got.shape == (3, 128)
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-6)
    emb, windows = model.embed_audio(recordings, batch_size=3, windows=True)
    np.testing.assert_allclose(emb, want, rtol=0, atol=1e-5)
    assert [len(w.starts_s) for w in windows] == [sum(n["path"] == r for n in names) for r in recordings]
    np.testing.assert_allclose(np.concatenate([w.embeddings for w in windows]), want_windows, rtol=0, atol=1e-5)
    np.testing.assert_array_equal(np.concatenate([w.starts_s for w in windows]), [n["start_s"] for n in names])
    # The file's embedding is the mean of its windows, normalised (float64 here).
    for e, w in zip(emb, windows):
        mean = w.embeddings.astype(np.float64).mean(axis=0)
        np.testing.assert_allclose(e, mean / np.linalg.norm(mean), atol=1e-5)


def test_one_path_pathlike_and_empty_list(model, recordings, cli_audio_embeddings):
    want = cli_audio_embeddings[0]
    import pathlib

    one = model.embed_audio(pathlib.Path(recordings[1]))
    assert one.shape == (128,)
    np.testing.assert_allclose(one, want[1], atol=1e-6)
    assert model.embed_audio([]).shape == (0, 128)


def test_arrays_give_the_files_embeddings(model, recordings, cli_audio_embeddings):
    want = cli_audio_embeddings[0]
    stereo, rate = read_wav(recordings[0])  # [2, frames] at 44.1 kHz: mixed down and resampled as a file is
    mono, rate16 = read_wav(recordings[1])
    assert rate == 44100 and rate16 == 16000 and stereo.shape[0] == 2
    a = model.embed_audio(stereo, sample_rate=rate)
    np.testing.assert_allclose(a, want[0], atol=1e-4)
    b = model.embed_audio(mono[0].astype(np.float64), sample_rate=rate16)  # float64 is taken too
    np.testing.assert_allclose(b, want[1], atol=1e-6)
    # A non-contiguous view (every channel of a [frames, channels] array, transposed) is fine.
    c = model.embed_audio(np.ascontiguousarray(stereo.T).T, sample_rate=rate)
    np.testing.assert_allclose(c, a, atol=1e-6)


def test_tag_is_the_cosine_with_the_prompted_tags(model, recordings):
    audio = model.embed_audio(recordings)
    tags = ["piano", "rock", "ambient"]
    got = model.tag(audio, tags, prompt="a recording with a {} feel")
    text = model.embed_text([f"a recording with a {t} feel" for t in tags]).astype(np.float64)
    a = audio.astype(np.float64)
    want = (a / np.linalg.norm(a, axis=1, keepdims=True)) @ (text / np.linalg.norm(text, axis=1, keepdims=True)).T
    assert got.shape == (3, 3) and got.dtype == np.float32
    np.testing.assert_allclose(got, want, atol=1e-5)
    np.testing.assert_allclose(model.tag(audio[1], tags, prompt="a recording with a {} feel"), want[1], atol=1e-5)
    np.testing.assert_allclose(model.tag(audio, tags), (a / np.linalg.norm(a, axis=1, keepdims=True)) @ model.embed_text(tags).T, atol=1e-5)


def test_config_is_config_json(model, model_dir):
    with open(os.path.join(model_dir, "config.json")) as f:
        assert model.config == json.load(f)
    c = model.config
    c["embed_dim"] = 7
    assert model.config["embed_dim"] == 128  # a copy
    assert model.embed_dim == 128 and model.device == "cpu" and model.path == model_dir


def test_results_go_to_torch_without_a_copy(model):
    torch = pytest.importorskip("torch")
    e = model.embed_text(["a", "b"])
    t = torch.from_numpy(e)
    assert t.shape == (2, 128) and t.dtype == torch.float32
    t[0, 0] = 42.0  # the same memory
    assert e[0, 0] == 42.0


def test_the_version_is_the_projects():
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    import re

    with open(os.path.join(root, "CMakeLists.txt")) as f:
        cmake_version = re.search(r"project\(mulan VERSION ([0-9.]+)", f.read()).group(1)
    with open(os.path.join(root, "python", "pyproject.toml")) as f:
        py_version = re.search(r'^version = "([0-9.]+)"', f.read(), re.M).group(1)
    assert mulan.__version__ == cmake_version == py_version
