"""Fixtures for the tests of a running `mulan serve` (docs: /work/notes/serve_api.md, issue 14).

MULAN_CLI names the mulan binary (default /work/main/build/bin/mulan, for runs by hand).
MULAN_SERVE_ARTIFACTS names a folder for artifacts such as the page's screenshot (default: a tmp dir).
Servers listen on 127.0.0.1 only.
"""
import os
import re
import signal
import subprocess
import sys
import threading
import types

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import serve_util  # noqa: E402

LISTEN_RE = re.compile(r"listening on (http://127\.0\.0\.1:(\d+))")
START_TIMEOUT_S = 60
STOP_TIMEOUT_S = 20

# The test library: (relative path, seconds, sample rate, channels, chord in Hz, tremolo Hz, tags).
TRACKS = [
    ("jazz/blue_night.wav", 3.0, 16000, 1, [220.0, 277.2, 329.6], 0.0,
     {"title": "Blue Night", "artist": "The Testers", "album": "Tones Vol 1", "genre": "Jazz"}),
    ("jazz/late night/slow minor.wav", 4.5, 44100, 2, [220.0, 261.6, 329.6], 3.0,
     {"title": "Slow Minor", "artist": "The Testers"}),
    ("jazz/late night/fifths.wav", 2.0, 16000, 1, [196.0, 293.7], 0.0, None),
    ("rock/loud/power_chord.wav", 5.0, 44100, 1, [82.4, 123.5, 164.8], 8.0,
     {"title": "Power Chord", "genre": "Rock"}),
    ("rock/loud/deep/er/octaves.wav", 3.5, 16000, 1, [110.0, 220.0, 440.0], 0.0, None),
    ("rock/drone.wav", 6.0, 16000, 2, [55.0, 82.4], 0.5, None),
    ("classical/piano_a.wav", 2.5, 44100, 1, [440.0], 0.0, {"album": "Single Notes"}),
    ("classical/piano_c.wav", 3.0, 16000, 1, [523.3, 659.3, 784.0], 0.0, None),
    ("classical/strings/high.wav", 4.0, 16000, 1, [880.0, 1108.7], 6.0, None),
    ("classical/strings/caf\u00e9 \u00e9t\u00e9.wav", 2.2, 16000, 1, [349.2, 440.0, 523.3], 0.0,
     {"title": "Caf\u00e9 \u00e9t\u00e9", "artist": "Quatuor \u00c9 & <Friends>"}),
    ("ambient/pad.wav", 5.5, 44100, 1, [261.6, 392.0, 493.9, 587.3], 0.2, None),
    ("ambient/bells.wav", 2.8, 16000, 1, [1318.5, 1567.9], 12.0, None),
    # Longer than one 10 s window: its best window can start after 0.
    ("ambient/long/evolving.wav", 25.0, 16000, 1, [146.8, 174.6, 220.0], 1.0, None),
]


@pytest.fixture(scope="session")
def cli():
    path = serve_util.cli_path()
    if not os.path.isfile(path) or not os.access(path, os.X_OK):
        pytest.fail("MULAN_CLI=%s is not an executable (set MULAN_CLI to the mulan binary)" % path)
    return path


@pytest.fixture(scope="session")
def artifacts(tmp_path_factory):
    path = os.environ.get("MULAN_SERVE_ARTIFACTS") or str(tmp_path_factory.mktemp("artifacts"))
    os.makedirs(path, exist_ok=True)
    return path


@pytest.fixture(scope="session")
def library(cli, tmp_path_factory):
    """A tiny model, 13 WAV files in a nested tree (one not audio file beside them) and the
    library `mulan index build` makes of them."""
    root = tmp_path_factory.mktemp("serve")
    model = str(root / "model")
    serve_util.run_cli(["init", "--preset", "tiny", "--out", model, "--seed", "3"])
    music = root / "music"
    files, tags, durations = [], {}, {}
    for rel, seconds, sr, channels, freqs, trem, tg in TRACKS:
        path = str(music / rel)
        durations[path] = serve_util.write_wav(path, seconds, sr, freqs, channels=channels, tags=tg,
                                               tremolo_hz=trem)
        files.append(path)
        tags[path] = tg or {}
    (music / "jazz" / "notes.txt").write_text("not audio\n")
    lib = str(root / "lib")
    serve_util.run_cli(["index", "build", "--model", model, "--out", lib, str(music)], timeout=600)
    return types.SimpleNamespace(dir=lib, model=model, music=str(music), files=sorted(files),
                                 tags=tags, durations=durations)


class Server:
    def __init__(self, cli, library, token=None, extra=()):
        self.token = token
        args = [cli, "serve", "--index", library.dir, "--host", "127.0.0.1", "--port", "0"]
        if token is not None:
            args += ["--token", token]
        args += list(extra)
        self.args = args
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE)
        self.stderr_lines = []
        self._listening = threading.Event()
        self.base = None
        self.stopping = False
        self.tracks_reported = None
        self._reader = threading.Thread(target=self._drain, daemon=True)
        self._reader.start()
        if not self._listening.wait(START_TIMEOUT_S):
            self.proc.kill()
            self.proc.wait(10)
            raise AssertionError("mulan serve did not print 'listening on http://127.0.0.1:PORT' within %d s; "
                                 "stderr:\n%s" % (START_TIMEOUT_S, self.stderr()))
        self.port = int(self.base.rsplit(":", 1)[1])

    def _drain(self):
        # Reads stderr to the end so that a server that logs each request never blocks on a full pipe.
        for raw in self.proc.stderr:
            line = raw.decode("utf-8", errors="replace").rstrip("\n")
            self.stderr_lines.append(line)
            if self.base is None:
                m = LISTEN_RE.search(line)
                if m:
                    self.base = m.group(1)
                    t = re.search(r"\((\d+) tracks?\)", line)
                    self.tracks_reported = int(t.group(1)) if t else None
                    self._listening.set()
        self._listening.set()  # the process ended: wake the waiter

    def stderr(self):
        return "\n".join(self.stderr_lines[-40:])

    def alive(self):
        return self.proc.poll() is None

    def auth(self):
        return {"Authorization": "Bearer " + self.token} if self.token else {}

    def sigterm(self):
        """A SIGTERM sent by a test, which then checks the exit itself."""
        self.stopping = True
        self.proc.send_signal(signal.SIGTERM)

    def stop(self):
        """SIGTERM; returns the exit status (None if it had to be killed)."""
        if self.proc.poll() is not None:
            return self.proc.returncode
        self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)
            return None
        self._reader.join(5)
        return rc


@pytest.fixture(scope="session")
def serve(cli, library):
    """serve(token=None, extra=()) starts a server; each is stopped with SIGTERM at the end of the
    session and must exit 0 within 20 s."""
    started = []

    def start(token=None, extra=()):
        s = Server(cli, library, token=token, extra=extra)
        started.append(s)
        return s

    yield start
    problems = []
    for s in started:
        if s.stopping:
            continue
        was_alive = s.alive()
        rc = s.stop()
        if not was_alive:
            problems.append("%s had died (exit %s) before the end; stderr:\n%s" % (s.args, rc, s.stderr()))
        elif rc != 0:
            problems.append("%s: SIGTERM gave exit %s (want 0 within %d s); stderr:\n%s"
                            % (s.args, rc, STOP_TIMEOUT_S, s.stderr()))
    assert not problems, "\n".join(problems)


@pytest.fixture(scope="session")
def server(serve):
    """A server without a token."""
    return serve()


@pytest.fixture(scope="session")
def token_server(serve):
    """A server started with --token TOKEN."""
    return serve(token=serve_util.TOKEN)

