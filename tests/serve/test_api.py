"""Each endpoint of the `mulan serve` contract (serve_api.md) against a running server: shapes,
types, order, k, scores against the CLI's own embeddings, audio bytes and ranges, metrics, auth
and a graceful SIGTERM."""
import json
import os
import re
import socket
import time

import pytest

import serve_util as su

TAG_KEYS = {"title", "artist", "album", "genre"}
TOL = 1e-4
QUERIES = ["calm piano", "loud distorted rock guitar with drums", "a jazz chord on a warm evening"]
PAGE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "src", "serve", "page", "index.html")


@pytest.fixture(scope="module")
def ref(library):
    """Reference embeddings from the CLI: per file (track and windows), and per query text."""
    rows = su.embed_audio(library.model, library.files, windows=True)
    audio = {p: r["embedding"] for p, r in zip(library.files, rows)}
    windows = {p: r["windows"] for p, r in zip(library.files, rows)}
    text = dict(zip(QUERIES, su.embed_texts(library.model, QUERIES)))
    return {"audio": audio, "windows": windows, "text": text}


@pytest.fixture(scope="module")
def all_tracks(server, library):
    r = su.get(server.base, "/api/search?" + su.qs(q="anything", k=100))
    assert r.status == 200, r
    tracks = r.json()["results"]
    assert len(tracks) == len(library.files)
    return {t["path"]: t for t in tracks}


def check_json(r, status=200):
    assert r.status == status, r
    assert r.headers.get("content-type", "").split(";")[0].strip() == "application/json", r.headers
    return r.json()


def check_error(r, status):
    body = check_json(r, status)
    assert isinstance(body, dict) and isinstance(body.get("error"), str) and body["error"], body
    assert "\n" not in body["error"], body
    return body


def check_track(t, library):
    assert isinstance(t["id"], int) and not isinstance(t["id"], bool), t
    assert isinstance(t["path"], str) and isinstance(t["name"], str), t
    assert os.path.isabs(t["path"]), t
    assert os.path.realpath(t["path"]) in {os.path.realpath(p) for p in library.files}, t
    assert t["name"] == os.path.basename(t["path"]), t
    assert isinstance(t["duration_s"], (int, float)), t
    path = next(p for p in library.files if os.path.realpath(p) == os.path.realpath(t["path"]))
    assert abs(t["duration_s"] - library.durations[path]) < 0.05, (t, library.durations[path])
    assert isinstance(t["tags"], dict) and set(t["tags"]) <= TAG_KEYS, t
    assert all(isinstance(v, str) for v in t["tags"].values()), t
    # Tags are the file's own: the ones written are there, none invented.
    assert {k: v for k, v in t["tags"].items() if v} == library.tags[path], (t, library.tags[path])
    return path


def check_hits(results, library, k):
    assert isinstance(results, list) and len(results) <= k
    for h in results:
        check_track(h, library)
        assert isinstance(h["score"], float) or isinstance(h["score"], int), h
        assert -1.0 - TOL <= h["score"] <= 1.0 + TOL, h
        assert isinstance(h["start_s"], (int, float)) and 0 <= h["start_s"] < h["duration_s"] + TOL, h
    scores = [h["score"] for h in results]
    assert all(a >= b for a, b in zip(scores, scores[1:])), scores
    assert len({h["id"] for h in results}) == len(results), "a track twice"


# --- / and /healthz --------------------------------------------------------------------------

def test_healthz(server, library):
    body = check_json(su.get(server.base, "/healthz"))
    assert body == {"status": "ok", "tracks": len(library.files)}
    assert server.tracks_reported == len(library.files), server.stderr()


def test_page_is_the_built_in_file(server):
    r = su.get(server.base, "/")
    assert r.status == 200
    assert r.headers["content-type"].split(";")[0].strip() == "text/html"
    with open(PAGE, "rb") as f:
        assert r.body == f.read(), "GET / is not src/serve/page/index.html"
    assert not re.search(rb"""(src|href)\s*=\s*["']?(https?:)?//""", r.body), "external resource in the page"
    r2 = su.get(server.base, "/?q=piano")
    assert r2.status == 200 and r2.body == r.body


# --- search ----------------------------------------------------------------------------------

@pytest.mark.parametrize("q", QUERIES)
def test_search_scores_are_the_cli_cosines(server, library, ref, q):
    body = check_json(su.get(server.base, "/api/search?" + su.qs(q=q, k=100)))
    assert body["query"] == q
    results = body["results"]
    check_hits(results, library, 100)
    assert len(results) == len(library.files)
    t = ref["text"][q]
    want = {}
    for h in results:
        path = check_track(h, library)
        want[path] = su.cosine(t, ref["audio"][path])
        assert abs(h["score"] - want[path]) < TOL, (h["path"], h["score"], want[path])
    # The order is the reference order (up to ties within the tolerance).
    ranked = sorted(want.values(), reverse=True)
    for h, w in zip(results, ranked):
        assert abs(h["score"] - w) < 2 * TOL


def test_search_start_is_the_best_window(server, library, ref):
    """start_s is the start of the file's window (as embed-audio --windows gives them) whose
    embedding is nearest the query's."""
    multi = [p for p in library.files if len(ref["windows"][p]) > 1]
    assert any(p.endswith("evolving.wav") for p in multi), "the long file has one window"
    for q in QUERIES:
        results = check_json(su.get(server.base, "/api/search?" + su.qs(q=q, k=100)))["results"]
        for hit in results:
            path = check_track(hit, library)
            wins = sorted(((su.cosine(ref["text"][q], w["embedding"]), w["start_s"])
                           for w in ref["windows"][path]), reverse=True)
            starts = [s for _, s in wins]
            assert any(abs(hit["start_s"] - s) < 0.02 for s in starts), (path, hit["start_s"], starts)
            if len(wins) == 1 or wins[0][0] - wins[1][0] > 1e-3:
                assert abs(hit["start_s"] - wins[0][1]) < 0.02, (q, path, hit["start_s"], wins)


def test_search_k_and_default(server, library):
    full = check_json(su.get(server.base, "/api/search?" + su.qs(q="piano", k=100)))["results"]
    for k in (1, 3, 7):
        body = check_json(su.get(server.base, "/api/search?" + su.qs(q="piano", k=k)))
        assert [h["id"] for h in body["results"]] == [h["id"] for h in full[:k]]
    default = check_json(su.get(server.base, "/api/search?" + su.qs(q="piano")))["results"]
    assert len(default) == min(10, len(library.files))
    assert [h["id"] for h in default] == [h["id"] for h in full[:10]]


def test_search_unicode_query_round_trips(server, library):
    q = "caf\u00e9 \u00e9t\u00e9 \u2014 \u97f3\u697d \U0001f3b9"
    body = check_json(su.get(server.base, "/api/search?" + su.qs(q=q, k=2)))
    assert body["query"] == q
    check_hits(body["results"], library, 2)


def test_search_bad_parameters(server):
    check_error(su.get(server.base, "/api/search"), 400)
    check_error(su.get(server.base, "/api/search?q="), 400)
    check_error(su.get(server.base, "/api/search?" + su.qs(q="x" * 1001)), 414)  # URI Too Long (docs/server.md)
    assert su.get(server.base, "/api/search?" + su.qs(q="x" * 1000)).status == 200
    for k in ("0", "101", "-1", "ten"):
        check_error(su.get(server.base, "/api/search?" + su.qs(q="piano", k=k)), 400)


# --- similar ---------------------------------------------------------------------------------

def test_similar(server, library, ref, all_tracks):
    for path, track in list(all_tracks.items())[:4]:
        body = check_json(su.get(server.base, "/api/similar?" + su.qs(id=track["id"], k=100)))
        assert body["id"] == track["id"]
        results = body["results"]
        check_hits(results, library, 100)
        assert len(results) == len(library.files) - 1
        assert track["id"] not in [h["id"] for h in results]
        for h in results:
            other = check_track(h, library)
            want = su.cosine(ref["audio"][path], ref["audio"][other])
            assert abs(h["score"] - want) < TOL, (path, other, h["score"], want)
        few = check_json(su.get(server.base, "/api/similar?" + su.qs(id=track["id"], k=2)))["results"]
        assert [h["id"] for h in few] == [h["id"] for h in results[:2]]


def test_similar_unknown_and_bad_id(server, all_tracks):
    unknown = max(t["id"] for t in all_tracks.values()) + 1000
    check_error(su.get(server.base, "/api/similar?" + su.qs(id=unknown)), 404)
    check_error(su.get(server.base, "/api/similar"), 400)
    # The contract leaves a malformed id's status open: 400 (a bad parameter) or 404 (no such track).
    body = su.get(server.base, "/api/similar?id=abc")
    check_error(body, body.status if body.status in (400, 404) else 400)


# --- tracks and audio ------------------------------------------------------------------------

def test_track_object(server, library, all_tracks):
    for path, hit in all_tracks.items():
        t = check_json(su.get(server.base, "/api/tracks/%d" % hit["id"]))
        assert t == {k: v for k, v in hit.items() if k not in ("score", "start_s")}
    unknown = max(t["id"] for t in all_tracks.values()) + 1000
    check_error(su.get(server.base, "/api/tracks/%d" % unknown), 404)
    check_error(su.get(server.base, "/api/tracks/%d/audio" % unknown), 404)


def test_audio_bytes(server, all_tracks):
    for path, hit in all_tracks.items():
        r = su.get(server.base, "/api/tracks/%d/audio" % hit["id"])
        assert r.status == 200, r
        with open(path, "rb") as f:
            assert r.body == f.read(), path
        assert r.headers["content-type"].split(";")[0].strip() in ("audio/wav", "audio/x-wav"), r.headers
        assert r.headers.get("accept-ranges") == "bytes", r.headers
        assert int(r.headers["content-length"]) == len(r.body)


@pytest.fixture(scope="module")
def audio_file(all_tracks):
    path, hit = next(iter(all_tracks.items()))
    with open(path, "rb") as f:
        return "/api/tracks/%d/audio" % hit["id"], f.read()


@pytest.mark.parametrize("spec", ["0-0", "10-99", "1000-", "-500", "100-END"])
def test_audio_range(server, audio_file, spec):
    url, data = audio_file
    n = len(data)
    first, _, last = spec.partition("-")
    if first == "":
        a, b = n - int(last), n - 1
    else:
        a = int(first)
        b = n - 1 if last in ("", "END") else int(last)
    rng = "bytes=" + spec.replace("END", str(2 * n))  # END: past the end of the file, clamped to it
    status, headers, body = su.raw_exchange(server.base, ("GET %s HTTP/1.1\r\nHost: x\r\nRange: %s\r\n"
                                                          "Connection: close\r\n\r\n" % (url, rng)).encode())
    assert status == 206, (rng, status)
    assert headers.get("content-range") == "bytes %d-%d/%d" % (a, b, n), (rng, headers)
    assert headers.get("content-length") == str(b - a + 1), (rng, headers)
    assert body == data[a:b + 1], rng


def test_audio_range_not_satisfiable(server, audio_file):
    url, data = audio_file
    rng = "bytes=%d-" % (len(data) + 10)
    status, headers, body = su.raw_exchange(server.base, ("GET %s HTTP/1.1\r\nHost: x\r\nRange: %s\r\n"
                                                          "Connection: close\r\n\r\n" % (url, rng)).encode())
    assert status == 416, (rng, status, headers)
    assert headers.get("content-range") == "bytes */%d" % len(data), headers


# --- tag -------------------------------------------------------------------------------------

def test_tag_default_list(server, all_tracks):
    track = next(iter(all_tracks.values()))
    body = check_json(su.post_json(server.base, "/api/tag", {"id": track["id"], "k": 5}))
    assert body["id"] == track["id"] and isinstance(body["prompt"], str) and "{}" in body["prompt"]
    scores = body["scores"]
    assert len(scores) == 5
    assert all(isinstance(s["tag"], str) and s["tag"] and isinstance(s["score"], (int, float)) for s in scores)
    assert all(a["score"] >= b["score"] for a, b in zip(scores, scores[1:]))
    more = check_json(su.post_json(server.base, "/api/tag", {"id": track["id"], "k": 10}))["scores"]
    assert more[:5] == scores


def test_tag_scores_are_the_cli_cosines(server, library, ref, all_tracks):
    path, track = next(iter(all_tracks.items()))
    tags = ["jazz", "heavy metal", "calm piano", "violin"]
    prompt = "a song that sounds like {}"
    body = check_json(su.post_json(server.base, "/api/tag", {"id": track["id"], "tags": tags, "prompt": prompt}))
    assert body["prompt"] == prompt
    got = {s["tag"]: s["score"] for s in body["scores"]}
    assert set(got) == set(tags)
    texts = [prompt.replace("{}", t) for t in tags]
    for t, e in zip(tags, su.embed_texts(library.model, texts)):
        want = su.cosine(e, ref["audio"][path])
        assert abs(got[t] - want) < TOL, (t, got[t], want)
    assert [s["score"] for s in body["scores"]] == sorted(got.values(), reverse=True)


def test_tag_errors(server, all_tracks):
    unknown = max(t["id"] for t in all_tracks.values()) + 1000
    check_error(su.post_json(server.base, "/api/tag", {"id": unknown}), 404)
    check_error(su.post_json(server.base, "/api/tag", {"tags": ["x"]}), 400)
    check_error(su.post_json(server.base, "/api/tag", {"id": "1"}), 400)


# --- embed -----------------------------------------------------------------------------------

def test_embed_text(server, library):
    texts = ["calm piano", "", "caf\u00e9 \u00e9t\u00e9", "drums " * 50]
    texts = [t for t in texts if t]
    body = check_json(su.post_json(server.base, "/api/embed/text", {"texts": texts}))
    assert body["dim"] == 128 and len(body["embeddings"]) == len(texts)
    for got, want in zip(body["embeddings"], su.embed_texts(library.model, texts)):
        assert len(got) == 128
        assert max(abs(a - b) for a, b in zip(got, want)) < TOL
    check_error(su.post_json(server.base, "/api/embed/text", {"texts": []}), 400)
    check_error(su.post_json(server.base, "/api/embed/text", {"texts": ["a"] * 257}), 400)
    assert su.post_json(server.base, "/api/embed/text", {"texts": ["a"] * 256}, timeout=60).status == 200


def test_embed_audio(server, library, ref):
    for path in (library.files[0], next(p for p in library.files if p.endswith("evolving.wav"))):
        with open(path, "rb") as f:
            data = f.read()
        body = check_json(su.request(server.base, "POST", "/api/embed/audio", body=data,
                                     headers={"Content-Type": "audio/wav"}, timeout=60))
        assert body["dim"] == 128 and len(body["embedding"]) == 128
        assert abs(body["duration_s"] - library.durations[path]) < 0.05
        assert max(abs(a - b) for a, b in zip(body["embedding"], ref["audio"][path])) < TOL
    r = su.request(server.base, "POST", "/api/embed/audio", body=b"not audio at all" * 10)
    check_error(r, r.status if r.status in (400, 415, 422) else 400)


# --- metrics ---------------------------------------------------------------------------------

SAMPLE_RE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)")


def request_samples(text):
    """Sum of the request counters whose labels name a search route and code 200."""
    total = 0.0
    found = False
    for line in text.splitlines():
        m = SAMPLE_RE.match(line)
        if not m or line.startswith("#"):
            continue
        name, labels, value = m.group(1), m.group(3) or "", m.group(4)
        if "request" not in name or name.endswith(("_bucket", "_sum", "_count")):
            continue
        if "search" in labels and re.search(r'="200"', labels):
            total += float(value)
            found = True
    return found, total


def test_metrics(server):
    su.get(server.base, "/api/search?" + su.qs(q="warm up"))
    r = su.get(server.base, "/metrics")
    assert r.status == 200
    assert r.headers["content-type"].startswith("text/plain"), r.headers
    text = r.body.decode("utf-8")
    assert "# TYPE" in text
    found, before = request_samples(text)
    assert found, "no request counter labelled with the search route and code 200:\n" + text[:3000]
    for i in range(3):
        assert su.get(server.base, "/api/search?" + su.qs(q="metrics %d" % i)).status == 200
    _, after = request_samples(su.get(server.base, "/metrics").body.decode("utf-8"))
    assert after - before >= 3, (before, after)
    assert re.search(r'_bucket\{[^}]*le="\+Inf"', text), "no latency histogram"
    su.get(server.base, "/api/no-such-route")
    text = su.get(server.base, "/metrics").body.decode("utf-8")
    assert re.search(r'="404"', text), "404s are not counted"


# --- auth ------------------------------------------------------------------------------------

def test_token(token_server, all_tracks):
    base = token_server.base
    good = {"Authorization": "Bearer " + su.TOKEN}
    q = "/api/search?" + su.qs(q="piano")
    check_error(su.get(base, q), 401)
    check_error(su.get(base, q, headers={"Authorization": "Bearer wrong"}), 401)
    check_error(su.get(base, q, headers={"Authorization": "Bearer " + su.TOKEN + "x"}), 401)
    check_error(su.get(base, q, headers={"Authorization": su.TOKEN}), 401)
    check_error(su.get(base, q + "&" + su.qs(token=su.TOKEN)), 401)  # ?token= is for audio only
    assert su.get(base, q, headers=good).status == 200
    tid = next(iter(all_tracks.values()))["id"]
    audio = "/api/tracks/%d/audio" % tid
    check_error(su.get(base, audio), 401)
    check_error(su.get(base, audio + "?" + su.qs(token="wrong")), 401)
    assert su.get(base, audio + "?" + su.qs(token=su.TOKEN)).status == 200
    assert su.get(base, audio, headers=good).status == 200
    check_error(su.post_json(base, "/api/tag", {"id": tid}), 401)
    check_error(su.post_json(base, "/api/embed/text", {"texts": ["a"]}), 401)
    assert su.post_json(base, "/api/embed/text", {"texts": ["a"]}, headers=good).status == 200
    for open_path in ("/", "/healthz", "/metrics"):
        assert su.get(base, open_path).status == 200, open_path
    assert su.TOKEN not in su.get(base, "/metrics").body.decode("utf-8", "replace")
    assert not any(su.TOKEN in line for line in token_server.stderr_lines), "the token is in the server's log"


# --- shutdown --------------------------------------------------------------------------------

def test_sigterm_finishes_the_request_in_flight(serve, library, tmp_path):
    long_wav = str(tmp_path / "long.wav")
    su.write_wav(long_wav, 60.0, 16000, [220.0, 330.0], tremolo_hz=2.0)
    with open(long_wav, "rb") as f:
        data = f.read()
    s = serve()
    t0 = time.monotonic()
    su.request(s.base, "POST", "/api/embed/audio", body=data, timeout=60)
    one = time.monotonic() - t0
    host, port = su.split_url(s.base)
    sock = socket.create_connection((host, port), timeout=60)
    try:
        sock.sendall(b"POST /api/embed/audio HTTP/1.1\r\nHost: x\r\nContent-Type: audio/wav\r\n"
                     b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(data) + data)
        time.sleep(min(0.05, one / 4))
        s.sigterm()
        status, headers, body = su.read_response(sock, timeout=60)
    finally:
        sock.close()
    assert status == 200, (status, body[:300], one)
    assert len(json.loads(body)["embedding"]) == 128
    rc = s.proc.wait(20)
    assert rc == 0, s.stderr()
    with pytest.raises(OSError):
        socket.create_connection((host, port), timeout=2).close()
