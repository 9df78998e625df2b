"""Hostile requests against a running `mulan serve`: traversal, malformed and oversized bodies,
bad UTF-8, absurd parameters, slow and many clients, bad tokens, unknown routes and methods.

Every answer must be a 4xx/5xx (as serve_api.md says) with a JSON {"error": ...} body where there
is a body, /healthz must answer 200 after each case, and the server must be alive at the end."""
import json
import socket
import threading
import time

import pytest

import serve_util as su

MAX_UPLOAD_MB = 2


@pytest.fixture(scope="module")
def srv(serve):
    """A server of its own (token set, small upload limit), so that a crash shows here."""
    s = serve(token=su.TOKEN, extra=["--max-upload-mb", str(MAX_UPLOAD_MB)])
    yield s
    assert s.alive(), "the server died during the hostile suite; stderr:\n" + s.stderr()
    su.wait_healthy(s.base, 10)


@pytest.fixture(scope="module")
def track_id(srv):
    r = su.get(srv.base, "/api/search?" + su.qs(q="piano", k=1), headers=srv.auth())
    assert r.status == 200, r
    return r.json()["results"][0]["id"]


def check_refused(srv, r, statuses, leak=(b"root:", b"/bin/")):
    """r: a Response or (status, headers, body). The status must be in `statuses` (all 4xx/5xx);
    a body must be JSON {"error": str}; nothing may leak; the server stays healthy."""
    if isinstance(r, tuple):
        status, headers, body = r
    else:
        status, headers, body = r.status, r.headers, r.body
    assert status in statuses, (status, body[:300])
    assert all(400 <= s < 600 for s in statuses)
    for word in leak:
        assert word not in body, body[:300]
    if body:
        assert headers.get("content-type", "").split(";")[0].strip() == "application/json", headers
        obj = json.loads(body.decode("utf-8"))
        assert isinstance(obj, dict) and isinstance(obj.get("error"), str) and obj["error"], obj
    assert srv.alive(), srv.stderr()
    assert su.get(srv.base, "/healthz", timeout=10).status == 200


# --- path traversal --------------------------------------------------------------------------

TRAVERSAL_PATHS = [
    "/api/tracks/../../etc/passwd/audio",
    "/api/tracks/..%2f..%2fetc%2fpasswd/audio",
    "/api/tracks/%2e%2e%2f%2e%2e%2fetc%2fpasswd/audio",
    "/api/tracks/%2e%2e/%2e%2e/etc/passwd",
    "/api/tracks/1/../../../../etc/passwd",
    "/api/tracks/1%2f..%2f..%2fetc%2fpasswd/audio",
    "/api/tracks/%252e%252e%252fetc%252fpasswd/audio",
    "/api/tracks/..\\..\\etc\\passwd/audio",
    "/api/tracks//etc/passwd/audio",
    "/api/tracks/%00/audio",
    "/api/tracks/1%00/audio",
    "/api/tracks/-1/audio",
    "/api/tracks/0x1/audio",
    "/api/tracks/1e3/audio",
    "/api/tracks/+1/audio",
    "/api/tracks/ 1/audio",
    "/api/tracks/99999999999999999999999999/audio",
    "/api/tracks/etc/passwd",
    "/../../etc/passwd",
    "/%2e%2e/%2e%2e/etc/passwd",
    "/..%2f..%2f..%2fetc%2fpasswd",
    "//etc/passwd",
    "/api/../../etc/passwd",
    "/api/tracks/1/audio/../../../../etc/passwd",
]


@pytest.mark.parametrize("path", TRAVERSAL_PATHS)
def test_traversal_in_the_path(srv, path):
    r = su.get(srv.base, path.replace(" ", "%20"), headers=srv.auth())
    check_refused(srv, r, (400, 404))


@pytest.mark.parametrize("query", ["id=../../x", "id=..%2f..%2fetc%2fpasswd", "id=%2e%2e", "id=/etc/passwd",
                                   "id=1/../2", "id=1;2", "id=1%00"])
def test_traversal_in_the_id(srv, query):
    check_refused(srv, su.get(srv.base, "/api/similar?" + query, headers=srv.auth()), (400, 404))


def test_traversal_in_the_query_is_just_text(srv):
    for q in ("../../etc/passwd", "..%2f..%2f", "/etc/passwd\x00", "file:///etc/passwd"):
        r = su.get(srv.base, "/api/search?" + su.qs(q=q, k=3), headers=srv.auth())
        if "\x00" in q:
            assert r.status in (200, 400), r
        else:
            assert r.status == 200, r
        assert b"root:" not in r.body
        if r.status == 200:
            for hit in r.json()["results"]:
                assert "passwd" not in hit["path"]
    r = su.get(srv.base, "/api/tracks/1/audio?" + su.qs(path="/etc/passwd", file="../../etc/passwd",
                                                         token=su.TOKEN))
    assert b"root:" not in r.body


def test_traversal_in_json(srv):
    for body in ({"id": "../../etc/passwd"}, {"id": "/etc/passwd"}, {"id": [1]}, {"id": {"path": "/etc/passwd"}}):
        check_refused(srv, su.post_json(srv.base, "/api/tag", body, headers=srv.auth()), (400, 404))


# --- bodies ----------------------------------------------------------------------------------

MALFORMED = [b"", b"{", b"nope", b'{"id": 1,', b'{"id": 1}}', b"[]", b"null", b"1", b'"x"',
             b'{"id": 1, "k": "5"}', b'{"id": 1, "tags": "jazz"}', b'{"id": 1, "tags": [1, 2]}',
             b'{"id": 1, "prompt": 7}', b'{"id": 1.5}', b'{"id": true}', b"{'id': 1}",
             b'{"id": NaN}', b'{"id": 1e400}', b'\xef\xbb\xbf{"id": 1, "k": -1}']


@pytest.mark.parametrize("body", MALFORMED, ids=range(len(MALFORMED)))
def test_malformed_json_tag(srv, body, track_id):
    body = body.replace(b'"id": 1', b'"id": %d' % track_id).replace(b'"id": %d.5' % track_id, b'"id": 1.5')
    check_refused(srv, su.post_json(srv.base, "/api/tag", body, headers=srv.auth()), (400,))


@pytest.mark.parametrize("body", [b"", b"{", b"[]", b'{"texts": "a"}', b'{"texts": [1]}', b'{"texts": [null]}',
                                  b'{"texts": [["a"]]}', b'{"texts": []}', b'{"text": ["a"]}'])
def test_malformed_json_embed_text(srv, body):
    check_refused(srv, su.post_json(srv.base, "/api/embed/text", body, headers=srv.auth()), (400,))


@pytest.mark.parametrize("path", ["/api/tag", "/api/embed/text"])
@pytest.mark.parametrize("opener", [b"[", b'{"a":'])
def test_deeply_nested_json(srv, path, opener):
    body = opener * 100000
    t0 = time.monotonic()
    r = su.post_json(srv.base, path, body, headers=srv.auth(), timeout=20)
    check_refused(srv, r, (400, 413))
    assert time.monotonic() - t0 < 10


def send_oversized(srv, path, content_type, content_length, chunk, limit_bytes):
    """Sends the headers of a body of content_length bytes, waits up to 2 s for an answer (a
    server refusing by Content-Length answers before the body), then sends up to limit_bytes of
    the body in chunks while watching for an answer. Reading the answer before the server closes
    avoids losing it to a TCP reset. Returns (status, headers, body, bytes sent, seconds to the
    first byte of the answer, or None)."""
    host, port = su.split_url(srv.base)
    t0 = time.monotonic()
    sent = 0
    answered_s = None
    with socket.create_connection((host, port), timeout=10) as s:
        s.sendall(("POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: %s\r\nAuthorization: Bearer %s\r\n"
                   "Content-Length: %d\r\n\r\n" % (path, content_type, su.TOKEN, content_length)).encode())
        try:
            while time.monotonic() - t0 < 10:
                s.settimeout(2.0 if sent == 0 else 0.001)
                try:
                    if s.recv(1, socket.MSG_PEEK):
                        answered_s = time.monotonic() - t0
                        break
                except socket.timeout:
                    pass
                if sent >= limit_bytes:
                    break
                s.settimeout(2)
                part = chunk[:limit_bytes - sent]
                s.sendall(part)
                sent += len(part)
        except (BrokenPipeError, ConnectionResetError, socket.timeout):
            pass
        status, headers, body = su.read_response(s, timeout=12)
        if answered_s is None and status is not None:
            answered_s = time.monotonic() - t0
    return status, headers, body, sent, answered_s


def test_huge_json(srv):
    """A JSON body over the limit: 413 (Content-Length says so before the body)."""
    size = MAX_UPLOAD_MB * 2 ** 20 + 4096
    body = (b'{"texts": ["' + b"x" * size + b'"]}')
    status, headers, data, sent, secs = send_oversized(srv, "/api/embed/text", "application/json", len(body),
                                                       body, len(body))
    assert status == 413, (status, data[:200], sent)
    assert secs < 5, secs
    check_refused(srv, (status, headers, data), (413,))


def test_many_texts_and_long_texts(srv):
    check_refused(srv, su.post_json(srv.base, "/api/embed/text", {"texts": ["a"] * 257}, headers=srv.auth()), (400,))
    r = su.post_json(srv.base, "/api/embed/text", {"texts": ["word " * 20000]}, headers=srv.auth(), timeout=30)
    assert r.status in (200, 400, 413, 414), r  # the contract sets no limit on a text's length
    if r.status != 200:
        check_refused(srv, r, (400, 413, 414))


@pytest.mark.parametrize("raw", [b"\xff\xfe", b"%ff%fe", b"caf%c3", b"%c0%af", b"%ed%a0%80", b"a%00b",
                                 b"%f4%90%80%80"])
def test_bad_utf8_in_q(srv, raw):
    host, port = su.split_url(srv.base)
    req = (b"GET /api/search?q=" + raw + b" HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + su.TOKEN.encode()
           + b"\r\nConnection: close\r\n\r\n")
    status, headers, body = su.raw_exchange(srv.base, req)
    if raw == b"a%00b" and status == 200:
        return  # NUL is valid UTF-8
    check_refused(srv, (status, headers, body), (400,))


@pytest.mark.parametrize("body", [b'{"texts": ["\xff\xfe"]}', b'{"texts": ["caf\xc3"]}', b'{"texts": ["\xc0\xaf"]}',
                                  b'{"texts": ["\xed\xa0\x80"]}', b'{"texts": ["\\ud800"]}',
                                  b'{"texts": ["\\udc00x"]}', b'{"id": 1, "tags": ["\xff"]}',
                                  b'{"id": 1, "prompt": "\xfe {}"}'])
def test_bad_utf8_in_json(srv, body, track_id):
    body = body.replace(b'"id": 1', b'"id": %d' % track_id)
    path = "/api/embed/text" if b"texts" in body else "/api/tag"
    check_refused(srv, su.post_json(srv.base, path, body, headers=srv.auth()), (400,))


def test_bad_audio_upload(srv):
    for body in (b"", b"RIFF\x00\x00\x00\x00WAVEfmt ", b"\x00" * 10000, b"fLaC" + b"\xff" * 100, b"OggS" * 50):
        r = su.request(srv.base, "POST", "/api/embed/audio", body=body, headers=srv.auth(), timeout=30)
        check_refused(srv, r, (400, 415, 422))


def test_upload_of_a_gigabyte(srv):
    """Content-Length 1 GiB and a few MB of it: 413 within seconds, without the server reading it all."""
    limit = 8 * 2 ** 20
    status, headers, body, sent, secs = send_oversized(srv, "/api/embed/audio", "audio/wav", 2 ** 30,
                                                       b"\x00" * 65536, limit)
    assert status == 413, (status, body[:200], sent)
    assert sent < limit and secs < 5, ("the 413 came only after %d bytes of the body and %.1f s: the server "
                                       "reads a body it will refuse" % (sent, secs))
    assert headers.get("connection", "").lower() == "close", ("a 413 before the body must close the "
                                                              "connection: %r" % headers)
    check_refused(srv, (status, headers, body), (413,))


# --- parameters ------------------------------------------------------------------------------

@pytest.mark.parametrize("k", ["-1", "0", "abc", "", "1.5", "1e2", "101", "100000", "99999999999999999999999999",
                               "-99999999999999999999", "0x10", "%2010", "10abc", "nan", "inf"])
def test_bad_k(srv, k, track_id):
    for path in ("/api/search?q=piano&k=" + k, "/api/similar?id=%d&k=%s" % (track_id, k)):
        check_refused(srv, su.get(srv.base, path, headers=srv.auth()), (400,))


@pytest.mark.parametrize("k", [-1, 0, 10 ** 30, -10 ** 30, "5", 2.5, [5], {"k": 5}])
def test_bad_k_in_json(srv, k, track_id):
    r = su.post_json(srv.base, "/api/tag", {"id": track_id, "k": k}, headers=srv.auth())
    check_refused(srv, r, (400,))


def test_long_query_and_url(srv):
    check_refused(srv, su.get(srv.base, "/api/search?" + su.qs(q="a" * 1001), headers=srv.auth()), (414,))
    check_refused(srv, su.get(srv.base, "/api/search?" + su.qs(q="\u00e9" * 501), headers=srv.auth()), (414,))
    r = su.raw_exchange(srv.base, b"GET /api/search?q=" + b"a" * 200000 + b" HTTP/1.1\r\nHost: x\r\n"
                        b"Connection: close\r\n\r\n", timeout=15)
    if r[0] is not None:  # closing the connection is a fair answer too
        check_refused(srv, r, (400, 401, 413, 414, 431))
    r = su.raw_exchange(srv.base, b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"b" * 200000 + b"\r\n\r\n",
                        timeout=15)
    if r[0] is not None:
        check_refused(srv, r, (400, 413, 431))


def test_garbage_requests(srv):
    for data in (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\x00" * 100,  # a TLS hello
                 b"GARBAGE\r\n\r\n", b"GET\r\n\r\n", b"GET / HTTP/9.9\r\n\r\n",
                 b"POST /api/tag HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n{}",
                 b"POST /api/tag HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 50\r\n\r\n{}",
                 b"POST /api/tag HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"):
        status, headers, body = su.raw_exchange(srv.base, data, timeout=10, shut_write=True)
        assert status is None or 400 <= status < 600, (data[:40], status, body[:200])
        assert srv.alive(), srv.stderr()
        assert su.get(srv.base, "/healthz").status == 200


# --- clients ---------------------------------------------------------------------------------

def test_slow_clients_do_not_block_others(srv):
    host, port = su.split_url(srv.base)
    request = b"GET /healthz HTTP/1.1\r\nHost: slow\r\nX-Pad: " + b"p" * 64 + b"\r\n\r\n"
    socks = [socket.create_connection((host, port), timeout=5) for _ in range(8)]
    stop = threading.Event()

    def dribble():
        for i in range(len(request)):
            if stop.is_set():
                return
            for s in socks:
                try:
                    s.send(request[i:i + 1])
                except OSError:
                    pass
            stop.wait(1.0)

    t = threading.Thread(target=dribble, daemon=True)
    t.start()
    try:
        time.sleep(1.5)
        for i in range(8):
            t0 = time.monotonic()
            assert su.get(srv.base, "/healthz", timeout=5).status == 200
            r = su.get(srv.base, "/api/search?" + su.qs(q="slow clients %d" % i, k=3), headers=srv.auth(), timeout=5)
            assert r.status == 200, r
            assert time.monotonic() - t0 < 2.0, "a request took %.1f s beside slow clients" % (time.monotonic() - t0)
            time.sleep(0.5)
    finally:
        stop.set()
        t.join(5)
        for s in socks:
            s.close()


def test_connection_burst_is_accepted_quickly(srv):
    """200 connections opened in a row are accepted at once (a listen backlog too small for a
    burst makes clients wait for SYN retransmits, 1 s and more each)."""
    host, port = su.split_url(srv.base)
    socks = []
    stalls = []
    t0 = time.monotonic()
    try:
        for i in range(200):
            t = time.monotonic()
            socks.append(socket.create_connection((host, port), timeout=5))
            if time.monotonic() - t > 0.5:
                stalls.append((i, round(time.monotonic() - t, 2)))
            if time.monotonic() - t0 > 6:
                break
    finally:
        for s in socks:
            s.close()
    assert not stalls and len(socks) == 200, ("%d connections in %.1f s; connects that stalled (index, s): %s"
                                              % (len(socks), time.monotonic() - t0, stalls))
    su.wait_healthy(srv.base, 10)


def test_many_connections(srv):
    host, port = su.split_url(srv.base)
    socks = []
    try:
        for i in range(200):
            s = socket.create_connection((host, port), timeout=5)
            if i % 2:
                s.send(b"GET /api/search?q=half")  # an unfinished request line
            socks.append(s)
        t0 = time.monotonic()
        for _ in range(5):
            r = su.get(srv.base, "/healthz", timeout=5)
            assert r.status == 200, r
        r = su.get(srv.base, "/api/search?" + su.qs(q="many", k=2), headers=srv.auth(), timeout=5)
        assert r.status == 200, r
        assert time.monotonic() - t0 < 5
    finally:
        for s in socks:
            s.close()
    su.wait_healthy(srv.base, 10)


def test_concurrent_requests(srv):
    errors = []

    def worker(i):
        try:
            for j in range(5):
                r = su.get(srv.base, "/api/search?" + su.qs(q="worker %d %d" % (i, j), k=5), headers=srv.auth(),
                           timeout=30)
                if r.status not in (200, 503):
                    errors.append(r)
                elif r.status == 503:
                    assert r.json()["error"]
        except Exception as e:  # noqa: BLE001 (collected and reported below)
            errors.append(e)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors[:5]
    su.wait_healthy(srv.base)


def test_full_queue_answers_503(serve):
    """--queue 1 and 32 clients at once: the queries past the queue get 503 {"error": "server
    busy..."}, the others 200, and the server carries on."""
    s = serve(extra=["--queue", "1"])
    answers = []
    lock = threading.Lock()

    def worker(i):
        for j in range(4):
            try:
                r = su.get(s.base, "/api/search?" + su.qs(q=("a long query %d %d " % (i, j)) * 40, k=5), timeout=30)
                with lock:
                    answers.append(r)
            except OSError as e:
                with lock:
                    answers.append(e)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(32)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(90)
    assert len(answers) == 128 and all(isinstance(r, su.Response) for r in answers), \
        [r for r in answers if not isinstance(r, su.Response)][:3]
    statuses = sorted({r.status for r in answers})
    assert set(statuses) <= {200, 503}, statuses
    busy = [r for r in answers if r.status == 503]
    assert busy and len(busy) < len(answers), statuses
    for r in busy:
        assert r.headers.get("content-type", "").startswith("application/json"), r.headers
        assert r.json()["error"].startswith("server busy"), r
    su.wait_healthy(s.base)
    assert su.get(s.base, "/api/search?" + su.qs(q="after the storm")).status == 200


# --- auth, routes, methods -------------------------------------------------------------------

WRONG_AUTH = [None, "", "Bearer", "Bearer ", "Bearer wrong", "bearer " + su.TOKEN[:-1], "Basic " + su.TOKEN,
              "Bearer " + su.TOKEN + " extra", "Bearer " + "x" * 10000, "Bearer " + su.TOKEN[:-1] + "\u00e9"]


@pytest.mark.parametrize("auth", WRONG_AUTH, ids=range(len(WRONG_AUTH)))
def test_wrong_token(srv, auth, track_id):
    headers = {} if auth is None else {"Authorization": auth.encode("utf-8").decode("latin-1")}
    for method, path, body in (("GET", "/api/search?q=piano", None), ("GET", "/api/similar?id=%d" % track_id, None),
                               ("GET", "/api/tracks/%d" % track_id, None),
                               ("GET", "/api/tracks/%d/audio" % track_id, None),
                               ("POST", "/api/tag", json.dumps({"id": track_id}).encode()),
                               ("POST", "/api/embed/text", b'{"texts": ["a"]}'),
                               ("POST", "/api/embed/audio", b"RIFF")):
        r = su.request(srv.base, method, path, body=body, headers=headers)
        # A 10 kB header may be refused as such before the token is looked at.
        check_refused(srv, r, (401, 400, 431) if auth and len(auth) > 8000 else (401,))


def test_wrong_token_in_the_audio_url(srv, track_id):
    for tok in ("", "wrong", su.TOKEN[:-1], su.TOKEN + "x", "%00", su.TOKEN + "%00"):
        r = su.get(srv.base, "/api/tracks/%d/audio?token=%s" % (track_id, tok))
        check_refused(srv, r, (401,))


def test_no_track_id(srv):
    check_refused(srv, su.get(srv.base, "/api/tracks/", headers=srv.auth()), (400, 404))


@pytest.mark.parametrize("path", ["/api", "/api/", "/api/nope", "/api/searchx?q=a", "/api/tracks",
                                  "/favicon.ico", "/api/tracks/1/audio/x",
                                  "/api/tracks/1/cover", "/metrics/x", "/healthz/x"])
def test_unknown_routes(srv, path):
    check_refused(srv, su.get(srv.base, path, headers=srv.auth()), (404,))


@pytest.mark.parametrize("method,path", [("POST", "/api/search?q=a"), ("DELETE", "/api/tracks/1"),
                                         ("PUT", "/api/tracks/1/audio"), ("GET", "/api/tag"),
                                         ("GET", "/api/embed/text"), ("GET", "/api/embed/audio"),
                                         ("POST", "/healthz"), ("DELETE", "/"), ("PATCH", "/api/similar?id=1"),
                                         ("POST", "/metrics"), ("OPTIONS", "/api/search?q=a"),
                                         ("TRACE", "/")])
def test_wrong_methods(srv, method, path):
    r = su.request(srv.base, method, path, body=b"{}" if method in ("POST", "PUT", "PATCH") else None,
                   headers=srv.auth())
    if method == "OPTIONS" and r.status in (200, 204):
        return  # a CORS preflight answer is fair
    # httplib 0.11 refuses a method it does not know (TRACE) as a malformed request.
    check_refused(srv, r, (400, 404, 405) if method == "TRACE" else (404, 405))


def test_alive_at_the_end(srv):
    assert srv.alive(), srv.stderr()
    su.wait_healthy(srv.base)
