"""The sample service: /healthcheck and /version, and a graceful SIGTERM.

Standard library only, so the image needs nothing but python3.

Environment:
  PORT              port to listen on (8080; 0 picks a free one, the tests use it)
  HOST              address to bind (0.0.0.0)
  SERVICE_VERSION   the release number, baked in at build time (Dockerfile ARG VERSION)
  SERVICE_COMMIT    the git commit, baked in at build time (Dockerfile ARG GIT_COMMIT)
  FAIL_HEALTHCHECK  1/true/yes makes /healthcheck answer 500: a "bad release" for rollback tests
  SHUTDOWN_TIMEOUT  seconds to wait for requests in flight after SIGTERM (20; ECS kills after 30)
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
import time
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

DEFAULT_PORT = 8080
DEFAULT_SHUTDOWN_TIMEOUT = 20.0
# /slow exists so tests can hold a request in flight across SIGTERM; capped so it cannot pin a worker.
MAX_SLOW_SECONDS = 10.0
TRUE_WORDS = frozenset(("1", "true", "yes", "on"))


def is_true(value: str | None) -> bool:
    return (value or "").strip().lower() in TRUE_WORDS


def version_payload(env: Mapping[str, str]) -> dict:
    """The article's ``{"status": "Version N"}`` plus the version and commit baked into the image."""
    version = env.get("SERVICE_VERSION") or "0"
    return {"status": f"Version {version}", "version": version, "commit": env.get("SERVICE_COMMIT") or "unknown"}


def healthcheck_response(env: Mapping[str, str]) -> tuple[int, dict]:
    if is_true(env.get("FAIL_HEALTHCHECK")):
        return 500, {"status": "failing", "reason": "FAIL_HEALTHCHECK is set"}
    return 200, {"status": "ok"}


def slow_seconds(query: str) -> float:
    """Seconds a /slow request should take: ``?seconds=N``, clamped to [0, MAX_SLOW_SECONDS]."""
    values = parse_qs(query).get("seconds") or ["1"]
    try:
        seconds = float(values[0])
    except ValueError:
        seconds = 1.0
    if seconds != seconds:  # NaN
        seconds = 1.0
    return max(0.0, min(seconds, MAX_SLOW_SECONDS))


class InFlight:
    """Counts requests being handled, so shutdown can wait for exactly those."""

    def __init__(self) -> None:
        self._count = 0
        self._idle = threading.Condition()

    def enter(self) -> None:
        with self._idle:
            self._count += 1

    def leave(self) -> None:
        with self._idle:
            self._count -= 1
            self._idle.notify_all()

    @property
    def count(self) -> int:
        with self._idle:
            return self._count

    def wait_idle(self, timeout: float) -> bool:
        with self._idle:
            return self._idle.wait_for(lambda: self._count == 0, timeout=timeout)


class Handler(BaseHTTPRequestHandler):
    server: ServiceServer
    server_version = "cutover-sample"
    # HTTP/1.0: one request per connection, so a stopped listener drains quickly (no idle keep-alives).
    protocol_version = "HTTP/1.0"

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        url = urlsplit(self.path)
        if url.path == "/healthcheck":
            self.send_json(*healthcheck_response(self.server.env))
        elif url.path == "/version":
            self.send_json(200, version_payload(self.server.env))
        elif url.path == "/slow":
            seconds = slow_seconds(url.query)
            self.log_message("slow request: sleeping %.1f s", seconds)
            time.sleep(seconds)
            self.send_json(200, {"status": "ok", "slept": seconds})
        else:
            self.send_json(404, {"status": "not found", "path": url.path})

    def send_json(self, status: int, body: dict) -> None:
        data = json.dumps(body).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 (http.server's signature)
        sys.stderr.write(f"{self.address_string()} {format % args}\n")
        sys.stderr.flush()


class ServiceServer(ThreadingHTTPServer):
    daemon_threads = True  # shutdown waits on InFlight with a deadline instead of joining forever
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], env: Mapping[str, str]) -> None:
        super().__init__(address, Handler)
        self.env = dict(env)
        self.in_flight = InFlight()

    def process_request(self, request: Any, client_address: Any) -> None:
        # Counted here, in the accept loop, before the handler thread starts: a connection accepted
        # just before SIGTERM is then waited for even if its thread has not run yet.
        self.in_flight.enter()
        try:
            super().process_request(request, client_address)
        except BaseException:
            self.in_flight.leave()
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self.in_flight.leave()


def log(message: str) -> None:
    sys.stderr.write(f"service: {message}\n")
    sys.stderr.flush()


def serve(env: Mapping[str, str]) -> int:
    host = env.get("HOST") or "0.0.0.0"
    port = int(env.get("PORT") or DEFAULT_PORT)
    grace = float(env.get("SHUTDOWN_TIMEOUT") or DEFAULT_SHUTDOWN_TIMEOUT)
    server = ServiceServer((host, port), env)
    stopping: list[int] = []
    # As PID 1 in a container, default signal dispositions do nothing: the handlers must be explicit.
    # They only record the signal: taking a lock inside a handler could deadlock the main thread.
    signal.signal(signal.SIGTERM, lambda signum, frame: stopping.append(signum))
    signal.signal(signal.SIGINT, lambda signum, frame: stopping.append(signum))

    loop = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True)
    loop.start()
    log(f"listening on {server.server_address[0]}:{server.server_address[1]}")
    while not stopping:
        time.sleep(0.1)
    log(f"got {signal.Signals(stopping[0]).name}")

    server.shutdown()  # no new accept() after this returns
    server.socket.close()  # refuse new connections instead of letting them queue in the backlog
    log(f"stopped accepting; waiting for {server.in_flight.count} request(s) in flight")
    drained = server.in_flight.wait_idle(grace)
    log("drained, exiting" if drained else f"{server.in_flight.count} request(s) still in flight after {grace:.0f} s, exiting")
    return 0 if drained else 1


def main() -> int:
    return serve(os.environ)


if __name__ == "__main__":
    sys.exit(main())
