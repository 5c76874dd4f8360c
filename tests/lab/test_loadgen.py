"""The lab's load generator counts what it sees: successes per version, and failures."""

from __future__ import annotations

import http.server
import json
import socket
import threading
import time

import pytest

from lab.loadgen import LoadGenerator, _version_of


class _Handler(http.server.BaseHTTPRequestHandler):
    version = "Version 1"

    def do_GET(self):  # noqa: N802 (http.server's name)
        body = json.dumps({"status": self.version}).encode()
        self.send_response(500 if self.path == "/fail" else 200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd.server_address[1]
    httpd.shutdown()
    httpd.server_close()


def _run(url: str, seconds: float = 1.0, rate: float = 50):
    load = LoadGenerator(url, rate=rate, max_seconds=30).start()
    time.sleep(seconds)
    return load.stop()


def test_counts_successes_per_version(server):
    report = _run(f"http://127.0.0.1:{server}/version")
    assert report.total >= 40
    assert report.failed == 0
    assert report.versions() == {"Version 1": report.total}
    assert report.share("Version 1") == 1.0
    assert report.last_version() == "Version 1"


def test_counts_http_errors_as_failures(server):
    report = _run(f"http://127.0.0.1:{server}/fail", seconds=0.5)
    assert report.total > 0
    assert report.failed == report.total
    assert report.share("Version 1") == 0.0


def test_counts_refused_connections_as_failures():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    report = _run(f"http://127.0.0.1:{port}/version", seconds=0.5)
    assert report.total > 0
    assert report.failed == report.total
    assert "ConnectionRefusedError" in report.failures()[0]


@pytest.mark.parametrize(
    "body, version",
    [
        (b'{"status": "Version 2", "version": 2}', "2"),
        (b'{"status": "Version 3"}', "Version 3"),
        (b"plain v4", "plain v4"),
        (b"", None),
    ],
)
def test_version_of(body, version):
    assert _version_of(body) == version


class _KeepAliveHandler(_Handler):
    protocol_version = "HTTP/1.1"
    peers: set = set()

    def do_GET(self):  # noqa: N802
        _KeepAliveHandler.peers.add(self.client_address)
        super().do_GET()


def test_keepalive_reuses_connections():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _KeepAliveHandler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        load = LoadGenerator(f"http://127.0.0.1:{httpd.server_address[1]}/version", rate=50, workers=2, keepalive=True).start()
        time.sleep(1.0)
        report = load.stop()
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert report.failed == 0
    assert report.total >= 40
    assert len(_KeepAliveHandler.peers) <= 2 < report.total


def test_sequence_and_wait_count(server):
    load = LoadGenerator(f"http://127.0.0.1:{server}/version", rate=50, max_seconds=30).start()
    try:
        load.wait_count(20, timeout=10)
        assert load.count >= 20
        middle = time.monotonic()
        load.wait_count(load.count + 10, timeout=10)
    finally:
        report = load.stop()
    assert report.sequence() == ["Version 1"] * report.total
    assert 0 < len(report.sequence(until=middle)) < report.total
    with pytest.raises(TimeoutError):
        LoadGenerator("http://127.0.0.1:1/version").wait_count(1, timeout=0.2)
