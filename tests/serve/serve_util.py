"""Helpers for the tests of a running `mulan serve`: test audio, a bounded HTTP client, the CLI.

Python 3 standard library only. Every network call has a timeout.
"""
import array
import http.client
import json
import math
import os
import socket
import struct
import subprocess
import time
import urllib.parse
import wave

CLI_TIMEOUT_S = 120
TOKEN = "s3cret-T0ken_for-tests"


def cli_path():
    return os.environ.get("MULAN_CLI", "/work/main/build/bin/mulan")


def run_cli(args, stdin=None, timeout=CLI_TIMEOUT_S):
    """Runs the mulan CLI; raises AssertionError with its stderr when it fails."""
    proc = subprocess.run([cli_path()] + list(args), input=stdin, capture_output=True, timeout=timeout)
    if proc.returncode != 0:
        raise AssertionError("mulan %s failed (%d): %s" % (" ".join(args), proc.returncode,
                                                           proc.stderr.decode(errors="replace")))
    return proc.stdout


# ---------------------------------------------------------------------------------------------
# Test audio: short WAV files of tones and chords, some with RIFF INFO tags.

def _info_chunk(tags):
    ids = {"title": b"INAM", "artist": b"IART", "album": b"IPRD", "genre": b"IGNR"}
    body = b"INFO"
    for key, value in tags.items():
        data = value.encode("utf-8") + b"\0"
        if len(data) % 2:
            data += b"\0"
        body += ids[key] + struct.pack("<I", len(data)) + data
    return b"LIST" + struct.pack("<I", len(body)) + body


def write_wav(path, seconds, sample_rate, freqs, channels=1, tags=None, tremolo_hz=0.0):
    """A chord of sine tones (with a gentle decay and optional tremolo) as 16-bit PCM WAV."""
    n = int(round(seconds * sample_rate))
    amp = 0.6 / max(1, len(freqs))
    two_pi = 2.0 * math.pi
    samples = array.array("h")
    for i in range(n):
        t = i / sample_rate
        env = math.exp(-0.15 * t) * (1.0 + (0.4 * math.sin(two_pi * tremolo_hz * t) if tremolo_hz else 0.0))
        v = sum(math.sin(two_pi * f * t) for f in freqs) * amp * env
        s = int(max(-1.0, min(1.0, v)) * 32767)
        for _ in range(channels):
            samples.append(s)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with wave.open(path, "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(2)
        w.setframerate(sample_rate)
        w.writeframes(samples.tobytes())
    if tags:
        with open(path, "rb") as f:
            data = f.read()
        extra = _info_chunk(tags)
        data = data[:4] + struct.pack("<I", len(data) - 8 + len(extra)) + data[8:] + extra
        with open(path, "wb") as f:
            f.write(data)
    return n / sample_rate


# ---------------------------------------------------------------------------------------------
# HTTP.

class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers  # lower-case name -> value
        self.body = body

    def json(self):
        return json.loads(self.body.decode("utf-8"))

    def __repr__(self):
        return "<%d %r>" % (self.status, self.body[:300])


def split_url(base):
    u = urllib.parse.urlsplit(base)
    return u.hostname, u.port


def request(base, method, path, body=None, headers=None, timeout=15.0):
    """One request on a fresh connection; path is sent exactly as given."""
    host, port = split_url(base)
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        conn.putrequest(method, path, skip_accept_encoding=True)
        hdrs = dict(headers or {})
        if body is not None:
            hdrs.setdefault("Content-Length", str(len(body)))
        for k, v in hdrs.items():
            conn.putheader(k, v)
        conn.endheaders(body)
        resp = conn.getresponse()
        data = resp.read()
        return Response(resp.status, {k.lower(): v for k, v in resp.getheaders()}, data)
    finally:
        conn.close()


def get(base, path, **kw):
    return request(base, "GET", path, **kw)


def post_json(base, path, obj, headers=None, **kw):
    body = obj if isinstance(obj, (bytes, bytearray)) else json.dumps(obj).encode("utf-8")
    h = {"Content-Type": "application/json"}
    h.update(headers or {})
    return request(base, "POST", path, body=body, headers=h, **kw)


def qs(**params):
    return urllib.parse.urlencode(params, quote_via=urllib.parse.quote)


def raw_exchange(base, data, timeout=10.0, shut_write=False):
    """Sends raw bytes, returns (status or None, headers, body) read until the server closes,
    a complete Content-Length body, or the timeout."""
    host, port = split_url(base)
    with socket.create_connection((host, port), timeout=timeout) as s:
        s.sendall(data)
        if shut_write:
            s.shutdown(socket.SHUT_WR)
        return read_response(s, timeout)


def read_response(sock, timeout=10.0):
    deadline = time.monotonic() + timeout
    buf = b""
    head_end = -1
    length = None
    while True:
        if head_end < 0:
            head_end = buf.find(b"\r\n\r\n")
            if head_end >= 0:
                for line in buf[:head_end].split(b"\r\n")[1:]:
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value.strip())
        if head_end >= 0 and length is not None and len(buf) >= head_end + 4 + length:
            break
        left = deadline - time.monotonic()
        if left <= 0:
            break
        sock.settimeout(left)
        try:
            chunk = sock.recv(65536)
        except socket.timeout:
            break
        except ConnectionResetError:
            break
        if not chunk:
            break
        buf += chunk
    if not buf:
        return None, {}, b""
    head = buf[:head_end] if head_end >= 0 else buf
    lines = head.split(b"\r\n")
    status = None
    parts = lines[0].split(b" ")
    if len(parts) >= 2 and parts[0].startswith(b"HTTP/") and parts[1].isdigit():
        status = int(parts[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        headers[name.strip().lower().decode("latin-1")] = value.strip().decode("latin-1")
    body = buf[head_end + 4:] if head_end >= 0 else b""
    return status, headers, body


# ---------------------------------------------------------------------------------------------
# Vectors.

def dot(a, b):
    return sum(x * y for x, y in zip(a, b))


def cosine(a, b):
    return dot(a, b) / math.sqrt(dot(a, a) * dot(b, b))


def embed_texts(model, texts):
    out = run_cli(["embed-text", "--model", model], stdin="\n".join(texts).encode("utf-8") + b"\n")
    rows = [json.loads(line) for line in out.decode("utf-8").splitlines() if line.strip()]
    assert len(rows) == len(texts), rows
    return [r["embedding"] for r in rows]


def embed_audio(model, paths, windows=False):
    args = ["embed-audio", "--model", model] + (["--windows"] if windows else []) + list(paths)
    out = run_cli(args)
    rows = [json.loads(line) for line in out.decode("utf-8").splitlines() if line.strip()]
    assert len(rows) == len(paths), rows
    return rows


def wait_healthy(base, timeout=10.0):
    """Polls /healthz until it answers 200; AssertionError with the last answer otherwise."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            r = get(base, "/healthz", timeout=5)
            if r.status == 200:
                return r
            last = r
        except OSError as e:
            last = e
        time.sleep(0.2)
    raise AssertionError("/healthz did not answer 200 within %.0f s: %r" % (timeout, last))
