"""moto's server with a call counter in front, for the module integration tests.

The tests count mutating calls instead of assuming them: check mode and a
re-run with the same input must make none. This is test support, not the lab.
"""

from __future__ import annotations

import io
import re
import threading
from dataclasses import dataclass
from urllib.parse import parse_qs

from moto.server import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import make_server

READ_PREFIXES = ("Describe", "List", "Get", "BatchGet")
_CREDENTIAL = re.compile(r"Credential=[^/]+/[^/]+/[^/]+/([^/]+)/")


@dataclass(frozen=True)
class Call:
    service: str
    operation: str

    @property
    def mutating(self) -> bool:
        return not self.operation.startswith(READ_PREFIXES)


def _operation(environ: dict, body: bytes) -> str:
    target = environ.get("HTTP_X_AMZ_TARGET", "")
    if target:
        return target.rsplit(".", 1)[-1]
    query = parse_qs(environ.get("QUERY_STRING", ""))
    if "Action" in query:
        return query["Action"][0]
    if body:
        form = parse_qs(body.decode("utf-8", "replace"))
        if "Action" in form:
            return form["Action"][0]
    return f"{environ.get('REQUEST_METHOD')} {environ.get('PATH_INFO')}"


def mutating_calls(calls) -> list[str]:
    """``service:Operation`` of each mutating call, for readable assertion messages."""
    return [f"{call.service}:{call.operation}" for call in calls if call.mutating]


class CountingApp:
    def __init__(self) -> None:
        self._app = DomainDispatcherApplication(create_backend_app)
        self.calls: list[Call] = []
        self._lock = threading.Lock()

    def __call__(self, environ, start_response):
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(body)
        match = _CREDENTIAL.search(environ.get("HTTP_AUTHORIZATION", ""))
        service = match.group(1) if match else "unknown"
        with self._lock:
            self.calls.append(Call(service, _operation(environ, body)))
        return self._app(environ, start_response)

    def mark(self) -> int:
        with self._lock:
            return len(self.calls)

    def since(self, mark: int) -> list[Call]:
        with self._lock:
            return list(self.calls[mark:])

    def mutating_since(self, mark: int) -> list[Call]:
        return [call for call in self.since(mark) if call.mutating]


class CountingMotoServer:
    """moto on 127.0.0.1 with a free port, in a thread of the test process."""

    def __init__(self) -> None:
        self.app = CountingApp()
        self._server = make_server("127.0.0.1", 0, self.app, threaded=True, request_handler=MotoRequestHandler)
        self.port = self._server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> CountingMotoServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join(timeout=10)
