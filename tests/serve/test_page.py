"""The page at / in headless Chromium: `/?q=...` searches at once and shows playable results.

Skipped only when no Chromium is installed. The screenshot is kept in MULAN_SERVE_ARTIFACTS."""
import http.client
import http.server
import json
import os
import re
import shutil
import subprocess
import threading

import pytest

import serve_util as su

CHROMIUM_TIMEOUT_S = 90


BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
pytestmark = pytest.mark.skipif(not any(shutil.which(b) for b in BROWSERS),
                                reason="no chromium (or chromium-browser, google-chrome) on PATH")


def chromium():
    return next(shutil.which(b) for b in BROWSERS if shutil.which(b))


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


# The buttons need clicks: a harness page, served from the same origin as the page by a small
# proxy in front of the server, loads `/?q=...` (the server's page) in an iframe, presses "Tags"
# and "More like this" on the first result and writes what the page then shows into <pre id="out">.
HARNESS = b"""<!DOCTYPE html><html><body><pre id="out"></pre><script>
var out = document.getElementById("out"), report = {};
var f = document.createElement("iframe");
f.width = 1000; f.height = 800; f.src = "/?q=calm%20piano";
document.body.appendChild(f);
function waitFor(cond, then, what) {
  var t0 = Date.now();
  (function poll() {
    var ok = false;
    try { ok = cond(); } catch (e) { ok = false; }
    if (ok) return then();
    if (Date.now() - t0 > 6000) { report.timeout = what; out.textContent = JSON.stringify(report); return; }
    setTimeout(poll, 50);
  })();
}
f.onload = function () {
  var d = f.contentDocument;
  waitFor(function () { return d.querySelector(".result"); }, function () {
    var first = d.querySelector(".result");
    report.first = first.dataset.id;
    report.title = first.querySelector(".title").textContent;
    first.querySelector(".tag-button").click();
    waitFor(function () { return first.querySelectorAll(".tags .tag").length > 0; }, function () {
      report.tags = Array.prototype.map.call(first.querySelectorAll(".tags .tag"), function (t) { return t.textContent; });
      first.querySelector(".more").click();
      waitFor(function () { return / similar to /.test(d.getElementById("status").textContent); }, function () {
        report.status = d.getElementById("status").textContent;
        report.heading = d.getElementById("heading").textContent;
        report.ids = Array.prototype.map.call(d.querySelectorAll(".result"), function (r) { return r.dataset.id; });
        out.textContent = JSON.stringify(report);
      }, "similar");
    }, "tags");
  }, "results");
};
</script></body></html>"""


class _Proxy(http.server.BaseHTTPRequestHandler):
    upstream = None  # (host, port)

    def log_message(self, *args):
        pass

    def _forward(self):
        if self.path == "/__harness":
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(HARNESS)))
            self.end_headers()
            self.wfile.write(HARNESS)
            return
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else None
        conn = http.client.HTTPConnection(*self.upstream, timeout=30)
        try:
            conn.request(self.command, self.path, body=body,
                         headers={k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")})
            resp = conn.getresponse()
            data = resp.read()
        finally:
            conn.close()
        self.send_response(resp.status)
        for k, v in resp.getheaders():
            if k.lower() not in ("connection", "keep-alive", "content-length", "transfer-encoding"):
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = _forward
    do_POST = _forward


def test_page_buttons(server, tmp_path):
    handler = type("Proxy", (_Proxy,), {"upstream": su.split_url(server.base)})
    proxy = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=proxy.serve_forever, daemon=True)
    thread.start()
    try:
        dom = run_chromium(tmp_path, ["--dump-dom"], "http://127.0.0.1:%d/__harness" % proxy.server_address[1])
    finally:
        proxy.shutdown()
        proxy.server_close()
    m = re.search(r'<pre id="out">(.*?)</pre>', dom, re.S)
    assert m and m.group(1), "the harness wrote nothing:\n" + dom[-2000:]
    text = m.group(1).replace("&quot;", '"').replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    report = json.loads(text)
    assert "timeout" not in report, report
    assert len(report["tags"]) == 5, report
    assert all(re.fullmatch(r".+-?\d\.\d{3}", t) for t in report["tags"]), report["tags"]
    assert report["heading"] == "Similar to " + report["title"], report
    assert re.match(r"\d+ results? similar to '", report["status"]), report
    assert report["ids"] and report["first"] not in report["ids"], report
    r = su.get(server.base, "/api/similar?" + su.qs(id=report["first"], k=10))
    assert report["ids"] == [str(h["id"]) for h in r.json()["results"]]
