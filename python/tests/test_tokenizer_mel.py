"""mulan.Tokenizer and mulan.mel against the CLI (`mulan tokenize`, `mulan mel`)."""

import os

import numpy as np
import pytest

import mulan
from conftest import read_wav, run_cli

LINES = ["Melancholic lo-fi piano", "80s synth-pop, 120 BPM!", "Ünïcödé", "", "a " * 40]


def cli_ids(cli, vocab, lines, max_length=512):
    import subprocess

    p = subprocess.run([cli, "tokenize", "--vocab", vocab, "--max-length", str(max_length)],
                       input="\n".join(lines) + "\n", capture_output=True, text=True, check=True)
    return [[int(t) for t in line.split()] for line in p.stdout.splitlines()]


def test_encode_equals_the_cli(cli, model_dir):
    vocab = os.path.join(model_dir, "vocab.txt")
    tok = mulan.Tokenizer(vocab, max_length=16)
    assert [tok.encode(t) for t in LINES] == cli_ids(cli, vocab, LINES, 16)
    assert max(len(tok.encode(t)) for t in LINES) == 16 == tok.max_length
    full = mulan.Tokenizer(vocab)
    assert [full.encode(t) for t in LINES] == cli_ids(cli, vocab, LINES)


def test_encode_batch_pads_to_the_longest(model_dir):
    tok = mulan.Tokenizer(os.path.join(model_dir, "vocab.txt"))
    b = tok.encode_batch(["rock", "80s synth-pop"])
    ids, mask = b["input_ids"], b["attention_mask"]
    one, two = tok.encode("rock"), tok.encode("80s synth-pop")
    assert ids.dtype == np.int64 and ids.shape == (2, len(two)) and mask.shape == ids.shape
    assert ids[1].tolist() == two and mask[1].tolist() == [1] * len(two)
    assert ids[0, : len(one)].tolist() == one and mask[0].tolist() == [1] * len(one) + [0] * (len(two) - len(one))
    pad = tok.encode_batch([""])["input_ids"]  # [CLS] [SEP]
    assert pad.shape == (1, 2)
    assert tok.convert_ids_to_tokens(one)[0] == "[CLS]" and tok.convert_ids_to_tokens(one)[-1] == "[SEP]"
    assert tok.tokenize("Rock!") == ["rock", "!"]


def test_the_models_tokenizer_is_its_vocab(model, model_dir):
    tok = model.tokenizer
    assert tok.vocab_size == mulan.Tokenizer(os.path.join(model_dir, "vocab.txt")).vocab_size
    assert tok.encode("sad piano") == mulan.Tokenizer(os.path.join(model_dir, "vocab.txt"), max_length=tok.max_length).encode("sad piano")


def test_mel_equals_the_cli(cli, recordings, tmp_path):
    for frontend, bands in (("resnet", 64), ("ast", 128)):
        out = tmp_path / f"{frontend}.npy"
        run_cli(cli, "mel", recordings[0], "--frontend", frontend, "--out", str(out))
        got = mulan.mel(recordings[0], frontend=frontend)
        assert got.dtype == np.float32 and got.shape[0] == bands
        np.testing.assert_allclose(got, np.load(out), rtol=0, atol=1e-5)


def test_mel_of_an_array_is_the_mel_of_its_file(recordings):
    mono, rate = read_wav(recordings[1])
    np.testing.assert_allclose(mulan.mel(mono[0], sample_rate=rate), mulan.mel(recordings[1]), rtol=0, atol=1e-5)
    np.testing.assert_allclose(mulan.mel(mono, sample_rate=rate), mulan.mel(recordings[1]), rtol=0, atol=1e-5)


def test_mel_refuses(recordings):
    with pytest.raises(mulan.UsageError, match="frontend must be"):
        mulan.mel(recordings[0], frontend="vggish")
    with pytest.raises(mulan.Error, match="too short"):
        mulan.mel(np.zeros(100, np.float32), sample_rate=16000)
    with pytest.raises(FileNotFoundError):
        mulan.mel("/nonexistent/x.wav")
