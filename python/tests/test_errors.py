"""Bad input of every kind raises the documented exception with the CLI's one-line message, and
never takes the interpreter down."""

import json
import os
import shutil
import struct

import numpy as np
import pytest

import mulan
from conftest import run_cli


def drop_tensor(src, dst, name):
    """Writes safetensors file src to dst without tensor `name` (the others' offsets redone)."""
    with open(src, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out_header, chunks, offset = {}, [], 0
    for key, info in header.items():
        if key == name or key == "__metadata__":
            if key == "__metadata__":
                out_header[key] = info
            continue
        begin, end = info["data_offsets"]
        chunks.append(data[begin:end])
        out_header[key] = dict(info, data_offsets=[offset, offset + end - begin])
        offset += end - begin
    raw = json.dumps(out_header).encode()
    raw += b" " * (-len(raw) % 8)
    with open(dst, "wb") as f:
        f.write(struct.pack("<Q", len(raw)) + raw + b"".join(chunks))
    assert name in header


def cli_error(cli, *args):
    code, _, err = run_cli(cli, *args, check=False)
    assert code in (1, 2), err
    return err


def test_a_missing_audio_file(cli, model, model_dir, tmp_path):
    path = str(tmp_path / "nowhere.wav")
    with pytest.raises(mulan.NotFoundError) as e:
        model.embed_audio([path])
    assert isinstance(e.value, FileNotFoundError) and isinstance(e.value, mulan.Error)
    assert str(e.value) == f"'{path}': no such file"
    assert str(e.value) in cli_error(cli, "embed-audio", "--model", model_dir, path)


def test_a_file_that_is_not_audio(cli, model, model_dir, tmp_path):
    junk = tmp_path / "junk.wav"
    junk.write_text("this is not audio at all")
    with pytest.raises(mulan.Error) as e:
        model.embed_audio(str(junk))
    assert not isinstance(e.value, FileNotFoundError)
    assert str(e.value).startswith(f"'{junk}': ") and "\n" not in str(e.value)
    assert str(e.value) in cli_error(cli, "embed-audio", "--model", model_dir, str(junk))


def test_errors_nan_warns_and_goes_on(model, recordings, tmp_path):
    missing = str(tmp_path / "gone.wav")
    with pytest.warns(mulan.AudioWarning, match="gone.wav': no such file"):
        got = model.embed_audio([recordings[1], missing, recordings[2]], errors="nan")
    assert np.isnan(got[1]).all() and np.isfinite(got[[0, 2]]).all()
    np.testing.assert_allclose(got[[0, 2]], model.embed_audio([recordings[1], recordings[2]]), atol=1e-6)


def test_a_missing_model_directory_and_files(cli, model_dir, tmp_path):
    with pytest.raises(FileNotFoundError) as e:
        mulan.Model.load(tmp_path / "nowhere")
    assert str(e.value) == f"'{tmp_path / 'nowhere'}': no such model directory"
    assert str(e.value) in cli_error(cli, "embed-text", "--model", str(tmp_path / "nowhere"), "x")
    d = tmp_path / "no-vocab"
    shutil.copytree(model_dir, d)
    os.remove(d / "vocab.txt")
    with pytest.raises(mulan.NotFoundError, match="vocab.txt': no such file"):
        mulan.Model.load(d)


def test_a_model_with_a_missing_tensor(cli, model_dir, tmp_path):
    d = tmp_path / "cut"
    shutil.copytree(model_dir, d)
    with open(os.path.join(model_dir, "model.safetensors"), "rb") as f:
        names = [k for k in json.loads(f.read(struct.unpack("<Q", f.read(8))[0])) if k != "__metadata__"]
    victim = next(n for n in names if n.startswith("text."))
    drop_tensor(os.path.join(model_dir, "model.safetensors"), d / "model.safetensors", victim)
    with pytest.raises(mulan.Error) as e:
        mulan.Model.load(d)
    assert not isinstance(e.value, FileNotFoundError)
    assert victim in str(e.value) and "model.safetensors" in str(e.value)
    assert str(e.value) in cli_error(cli, "embed-text", "--model", str(d), "x")


def test_a_broken_config(model_dir, tmp_path):
    d = tmp_path / "broken"
    shutil.copytree(model_dir, d)
    (d / "config.json").write_text('{"embed_dim": "wide"')
    with pytest.raises(mulan.Error, match="config.json"):
        mulan.Model.load(d)


@pytest.mark.parametrize(
    "kwargs, exc, match",
    [
        (dict(device="gpu"), mulan.UsageError, "device 'gpu': must be cpu, cuda or cuda:N"),
        (dict(device=3), mulan.InputTypeError, "device must be a str"),
        (dict(text_batch_size=0), mulan.UsageError, "text_batch_size must be >= 1, not 0"),
        (dict(audio_batch_size=True), mulan.InputTypeError, "audio_batch_size must be an int"),
        (dict(decode_threads=100000), mulan.UsageError, "decode_threads must be <= 256"),
    ],
)
def test_load_arguments(model_dir, kwargs, exc, match):
    with pytest.raises(exc, match=match):
        mulan.Model.load(model_dir, **kwargs)


def test_bad_arrays(model):
    x = np.zeros(16000, np.float32)
    cases = [
        (lambda: model.embed_audio(x), mulan.UsageError, "sample_rate is required"),
        (lambda: model.embed_audio((x * 100).astype(np.int16), sample_rate=16000), TypeError, "int16"),
        (lambda: model.embed_audio(x.astype(np.complex64), sample_rate=16000), TypeError, "complex64"),
        (lambda: model.embed_audio(np.zeros((2, 2, 100), np.float32), sample_rate=16000), ValueError, "3-d"),
        (lambda: model.embed_audio(np.zeros((16000, 2), np.float32), sample_rate=16000), ValueError, r"x\.T"),
        (lambda: model.embed_audio(x, sample_rate=0), ValueError, "sample_rate must be >= 1"),
        (lambda: model.embed_audio(x, sample_rate=10), mulan.Error, "sample rate 10 Hz is outside"),
        (lambda: model.embed_audio(np.full(16000, np.nan, np.float32), sample_rate=16000), mulan.Error,
         "<array 0>': sample 0 is not a finite number"),
        (lambda: model.embed_audio("a.wav", sample_rate=16000), ValueError, "sample_rate applies to NumPy arrays"),
        (lambda: model.embed_audio([x, 3], sample_rate=16000), TypeError, r"audio\[1\]: expected a path or a NumPy array, not int"),
        (lambda: model.embed_audio(x, sample_rate=16000, batch_size=0), ValueError, "batch_size must be >= 1"),
        (lambda: model.embed_audio(x, sample_rate=16000, errors="skip"), ValueError, "errors must be 'raise' or 'nan'"),
        (lambda: model.embed_audio(b"bytes"), TypeError, "not bytes"),
    ]
    for call, exc, match in cases:
        with pytest.raises(exc, match=match) as e:
            call()
        assert isinstance(e.value, mulan.Error)


def test_bad_texts_and_tags(model):
    with pytest.raises(mulan.InputTypeError, match=r"texts\[1\] must be a str, not int"):
        model.embed_text(["a", 1])
    with pytest.raises(TypeError, match="texts must be a str or a list of str, not bytes"):
        model.embed_text(b"abc")
    with pytest.raises(ValueError, match="batch_size must be >= 1"):
        model.embed_text(["a"], batch_size=-2)
    e = model.embed_text(["a", "b"])
    with pytest.raises(mulan.UsageError, match=r"prompt must contain \{\}"):
        model.tag(e, ["rock"], prompt="rock music")
    with pytest.raises(mulan.UsageError, match=r"audio_embeddings must be \[A, 128\]"):
        model.tag(e[:, :5], ["rock"])
    with pytest.raises(mulan.InputTypeError):
        model.tag(np.zeros((2, 128), np.int64), ["rock"])
    with pytest.raises(mulan.InputTypeError, match="use mulan.Model.load"):
        mulan.Model("x")
    with pytest.raises(mulan.InputTypeError, match="path must be a path"):
        mulan.Model.load(42)
    with pytest.raises(TypeError, match="vocab_path must be a path \\(str or os.PathLike\\), not bytes"):
        mulan.Tokenizer(b"vocab.txt")


def test_tokenizer_errors(tmp_path):
    with pytest.raises(mulan.NotFoundError, match="no such file"):
        mulan.Tokenizer(tmp_path / "vocab.txt")
    (tmp_path / "bad.txt").write_text("a\na\n")
    with pytest.raises(mulan.Error, match="bad.txt"):
        mulan.Tokenizer(tmp_path / "bad.txt")
