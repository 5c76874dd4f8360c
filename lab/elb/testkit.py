"""Targets and a load generator for the ELB tests and benchmark (not used by the lab itself).

``TargetServer``: an HTTP server on a loopback address that answers with its
name, with a health path whose status and delay a test can change.
``LoadGenerator``: paced requests from a few threads over keep-alive
connections, counting every failure (connection error or status >= 500).
"""

from __future__ import annotations

import http.client
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


def status_from(source: str, host: str, port: int, path: str = "/") -> int | str:
    """The status of GET ``path`` sent from the loopback address ``source``, or ``refused`` when the listener
    drops the connection (its security groups admit no such source)."""
    connection = http.client.HTTPConnection(host, port, timeout=10, source_address=(source, 0))
    try:
        connection.request("GET", path)
        return connection.getresponse().status
    except (ConnectionError, http.client.RemoteDisconnected):
        return "refused"
    finally:
        connection.close()


def free_port(address: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((address, 0))
        return sock.getsockname()[1]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _TargetHTTPServer

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        owner = self.server.owner
        owner.record(self)
        if self.path.split("?", 1)[0] == owner.health_path:
            if owner.health_delay:
                time.sleep(owner.health_delay)
            self._answer(owner.health_status, b"health\n")
            return
        if owner.delay:
            time.sleep(owner.delay)
        self._answer(200, f"{owner.name}\n".encode())

    def _answer(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


class _TargetHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    owner: TargetServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # HAProxy ends health-check connections with a reset; that is not an error here


class TargetServer:
    """``with TargetServer("blue-1", "127.42.2.1") as t: ...``; ``t.port`` is chosen free."""

    def __init__(self, name: str, address: str, port: int = 0, health_path: str = "/health") -> None:
        self.name = name
        self.address = address
        self.health_path = health_path
        self.health_status = 200
        self.health_delay = 0.0
        self.delay = 0.0
        self.requests = 0
        self.health_checks = 0
        self.last_headers: dict[str, str] = {}
        self._lock = threading.Lock()
        self._server = _TargetHTTPServer((address, port), _Handler)
        self._server.owner = self
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)

    def record(self, handler: BaseHTTPRequestHandler) -> None:
        with self._lock:
            if handler.path.split("?", 1)[0] == self.health_path:
                self.health_checks += 1
            else:
                self.requests += 1
                self.last_headers = {k.lower(): v for k, v in handler.headers.items()}

    def start(self) -> TargetServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> TargetServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
