"""The page at / in headless Chromium: `/?q=...` searches at once and shows playable results.

Skipped only when no Chromium is installed. The screenshot is kept in MULAN_SERVE_ARTIFACTS."""
import os
import re
import shutil
import subprocess

import pytest

import serve_util as su

CHROMIUM_TIMEOUT_S = 90


def chromium():
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        path = shutil.which(name)
        if path:
            return path
    pytest.skip("no chromium (or chromium-browser, google-chrome) on PATH")


def run_chromium(tmp_path, args, url):
    profile = tmp_path / ("profile-%d" % len(list(tmp_path.iterdir())))
    cmd = [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
           "--user-data-dir=%s" % profile, "--virtual-time-budget=10000"] + args + [url]
    proc = subprocess.run(cmd, capture_output=True, timeout=CHROMIUM_TIMEOUT_S)
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")[-2000:]
    return proc.stdout.decode("utf-8", errors="replace")


RESULT_RE = re.compile(r'<li class="result"[^>]*data-id="(\d+)"', re.S)
AUDIO_RE = re.compile(r'<audio[^>]*\ssrc="(/api/tracks/(\d+)/audio[^"]*)"')


def results_in(dom):
    items = re.findall(r'<li class="result"[^>]*>.*?</li>', dom, re.S)
    return [(RESULT_RE.match(li).group(1), AUDIO_RE.search(li)) for li in items]


def test_page_searches_from_the_url(server, tmp_path):
    dom = run_chromium(tmp_path, ["--dump-dom"], server.base + "/?q=" + su.qs(q="calm piano")[2:])
    found = results_in(dom)
    assert found, "no .result in the page:\n" + dom[-3000:]
    for track_id, audio in found:
        assert audio, "a result without <audio src=/api/tracks/ID/audio>"
        assert audio.group(2) == track_id, (track_id, audio.group(1))
        assert re.search(r"#t=\d+(\.\d+)?$", audio.group(1)), audio.group(1)
    assert 'preload="metadata"' in dom
    status = re.search(r'<div id="status"[^>]*>([^<]*)<', dom).group(1)
    assert re.match(r"\d+ results? for &#39;calm piano&#39;|\d+ results? for 'calm piano'", status), status
    assert re.search(r'<div class="score"[^>]*>-?\d\.\d{3}<', dom), "no score with 3 decimals"
    assert 'value="calm piano"' in dom or "calm piano" in dom


def test_page_with_a_token(token_server, tmp_path):
    url = token_server.base + "/?q=piano#token=" + su.TOKEN
    dom = run_chromium(tmp_path, ["--dump-dom"], url)
    found = results_in(dom)
    assert found, "no .result with #token=:\n" + dom[-3000:]
    assert all(a and ("token=" + su.TOKEN) in a.group(1) for _, a in found)
    # Without the token the page shows the server's error, and no results.
    dom = run_chromium(tmp_path, ["--dump-dom"], token_server.base + "/?q=piano")
    assert not results_in(dom)
    assert re.search(r'<div id="status"[^>]*class="error"', dom), dom[-2000:]


def test_page_screenshot(server, tmp_path, artifacts):
    path = os.path.join(artifacts, "serve_page.png")
    if os.path.exists(path):
        os.remove(path)
    run_chromium(tmp_path, ["--screenshot=%s" % path, "--window-size=1280,900", "--hide-scrollbars"],
                 server.base + "/?q=" + su.qs(q="warm jazz chords")[2:])
    with open(path, "rb") as f:
        data = f.read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5000, len(data)
