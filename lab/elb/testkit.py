"""Targets and a load generator for the ELB tests and benchmark (not used by the lab itself).

``TargetServer``: an HTTP server on a loopback address that answers with its
name, with a health path whose status and delay a test can change.
``LoadGenerator``: paced requests from a few threads over keep-alive
connections, counting every failure (connection error or status >= 500).
"""

from __future__ import annotations

import collections
import http.client
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


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


@dataclass
class LoadResult:
    sent: int = 0
    failed: int = 0
    by_body: collections.Counter[str] = field(default_factory=collections.Counter)
    errors: list[str] = field(default_factory=list)

    def share(self, body: str) -> float:
        return self.by_body[body] / self.sent if self.sent else 0.0


class LoadGenerator:
    """About ``rate`` requests a second to ``http://host:port/path`` until ``stop()`` (or ``limit`` requests).

    ``keepalive=False`` opens a connection per request (what exposes refused connections during a reload).
    """

    def __init__(
        self,
        host: str,
        port: int,
        path: str = "/",
        rate: float = 100.0,
        threads: int = 4,
        limit: int = 100_000,
        headers: dict[str, str] | None = None,
        keepalive: bool = True,
    ) -> None:
        self.host = host
        self.port = port
        self.path = path
        self.interval = threads / rate
        self.threads = [threading.Thread(target=self._run, daemon=True) for _ in range(threads)]
        self.limit = limit
        self.headers = dict(headers or {})
        self.keepalive = keepalive
        if not keepalive:
            self.headers["Connection"] = "close"
        self.result = LoadResult()
        self._lock = threading.Lock()
        self._stop = threading.Event()

    def start(self) -> LoadGenerator:
        for thread in self.threads:
            thread.start()
        return self

    def stop(self) -> LoadResult:
        self._stop.set()
        for thread in self.threads:
            thread.join(30)
        return self.result

    def __enter__(self) -> LoadGenerator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _count(self, body: str | None, error: str | None) -> bool:
        with self._lock:
            self.result.sent += 1
            if error is not None:
                self.result.failed += 1
                if len(self.result.errors) < 20:
                    self.result.errors.append(error)
            else:
                self.result.by_body[body or ""] += 1
            return self.result.sent < self.limit

    def _run(self) -> None:
        connection: http.client.HTTPConnection | None = None
        next_at = time.monotonic()
        while not self._stop.is_set():
            next_at += self.interval
            if connection is None:
                connection = http.client.HTTPConnection(self.host, self.port, timeout=10)
            body, error = None, None
            try:
                connection.request("GET", self.path, headers=self.headers)
                response = connection.getresponse()
                data = response.read().decode(errors="replace").strip()
                if response.status >= 500:
                    error = f"HTTP {response.status}: {data[:80]}"
                else:
                    body = data
                if response.will_close or not self.keepalive:
                    connection.close()
                    connection = None
            except (OSError, http.client.HTTPException) as exc:
                error = f"{type(exc).__name__}: {exc}"
                connection.close()
                connection = None
            if not self._count(body, error):
                break
            self._stop.wait(max(0.0, next_at - time.monotonic()))
        if connection is not None:
            connection.close()
