"""mulan.Index against the CLI's own library commands and the model's embeddings."""
import json

import numpy as np
import pytest

import mulan
from conftest import run_cli


@pytest.fixture(scope="session")
def library(cli, model_dir, recordings, tmp_path_factory):
    lib = tmp_path_factory.mktemp("index") / "lib"
    run_cli(cli, "index", "build", "--model", model_dir, "--out", str(lib), *recordings)
    return str(lib)


def cli_search(cli, lib, query):
    _, out, _ = run_cli(cli, "index", "search", "--json", "--top", "10", lib, query)
    return json.loads(out)["results"]


def test_search_equals_the_cli_and_the_embeddings(cli, library, model, recordings):
    index = mulan.Index.open(library)
    assert len(index) == 3 and index.embed_dim == model.embed_dim
    query = "a slow sad piano"
    hits = index.search(query)
    expected = cli_search(cli, library, query)
    assert [h["id"] for h in hits] == [h["id"] for h in expected]
    for h, e in zip(hits, expected):
        assert h["path"] == e["path"] and h["start_s"] == pytest.approx(e["start_s"])
        assert h["score"] == pytest.approx(e["score"], abs=1e-6)
    # The scores are the cosines of the model's own embeddings (float64 here).
    text = model.embed_text(query).astype(np.float64)
    audio = model.embed_audio([h["path"] for h in hits]).astype(np.float64)
    cos = audio @ text / (np.linalg.norm(audio, axis=1) * np.linalg.norm(text))
    np.testing.assert_allclose([h["score"] for h in hits], cos, atol=1e-5)
    # A vector query gives the same, and the embeddings are the tracks' in id order.
    assert [h["id"] for h in index.search(text.astype(np.float32))] == [h["id"] for h in hits]
    tracks = index.tracks()
    emb = index.embeddings()
    assert emb.shape == (3, model.embed_dim) and emb.dtype == np.float32
    by_path = dict(zip(recordings, model.embed_audio(recordings)))
    for t, row in zip(tracks, emb):
        np.testing.assert_allclose(row, by_path[t["path"]], atol=1e-6)
    assert index.track(tracks[0]["id"]) == tracks[0]


def test_similar_leaves_the_track_out(library):
    index = mulan.Index.open(library)
    first = index.tracks()[0]["id"]
    hits = index.similar(first, k=5)
    assert len(hits) == 2 and first not in [h["id"] for h in hits]
    scores = [h["score"] for h in hits]
    assert scores == sorted(scores, reverse=True)


def test_errors(cli, library, tmp_path, model):
    with pytest.raises(mulan.NotFoundError):
        mulan.Index.open(tmp_path / "nothing")
    index = mulan.Index.open(library)
    with pytest.raises(mulan.NotFoundError):
        index.track(12345)
    with pytest.raises(mulan.UsageError):
        index.search("x", k=0)
    with pytest.raises(mulan.UsageError):
        index.search(np.zeros(3, dtype=np.float32))
    with pytest.raises(mulan.InputTypeError):
        index.similar("1")
    other = tmp_path / "other"
    run_cli(cli, "init", "--preset", "tiny", "--out", str(other), "--seed", "9")
    with pytest.raises(mulan.Error) as e:
        index.model(other)
    assert index.info()["model_hash"] in str(e.value) and mulan._mulan.model_hash(str(other)) in str(e.value)
    with pytest.raises(mulan.Error):
        index.search("x", model=mulan.Model.load(str(other)))
    assert index.model().path == model.path
