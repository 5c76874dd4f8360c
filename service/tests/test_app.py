"""The sample service's own tests: pure helpers, and the real server in a subprocess."""

from __future__ import annotations

import http.client
import importlib.util
import json
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

SERVICE = Path(__file__).resolve().parents[1]


def _load_app():
    # Loaded under a unique name: a plain ``import app`` could pick up another project's app module.
    spec = importlib.util.spec_from_file_location("cutover_sample_service", SERVICE / "app.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


app = _load_app()

# Bounds for waiting on the server's log; generous, never asserted as a speed.
LOG_WAIT = 20.0


# --- pure helpers -------------------------------------------------------------


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, {"status": "Version 0", "version": "0", "commit": "unknown"}),
        ({"SERVICE_VERSION": "2", "SERVICE_COMMIT": "abc123"}, {"status": "Version 2", "version": "2", "commit": "abc123"}),
        ({"SERVICE_VERSION": "", "SERVICE_COMMIT": ""}, {"status": "Version 0", "version": "0", "commit": "unknown"}),
    ],
)
def test_version_payload(env, expected):
    assert app.version_payload(env) == expected


@pytest.mark.parametrize(
    ("value", "status"),
    [(None, 200), ("", 200), ("0", 200), ("false", 200), ("1", 500), ("true", 500), ("YES", 500), (" on ", 500)],
)
def test_healthcheck_switch(value, status):
    env = {} if value is None else {"FAIL_HEALTHCHECK": value}
    assert app.healthcheck_response(env)[0] == status


@pytest.mark.parametrize(
    ("query", "seconds"),
    [("", 1.0), ("seconds=0.5", 0.5), ("seconds=-3", 0.0), ("seconds=999", app.MAX_SLOW_SECONDS), ("seconds=x", 1.0), ("seconds=nan", 1.0)],
)
def test_slow_seconds(query, seconds):
    assert app.slow_seconds(query) == seconds


# --- the real server ----------------------------------------------------------


class Service:
    """app.py in a subprocess on 127.0.0.1 and a free port; its stderr read line by line."""

    def __init__(self, **env: str) -> None:
        full_env = {key: value for key, value in os.environ.items() if key not in ("FAIL_HEALTHCHECK", "SERVICE_VERSION", "SERVICE_COMMIT")}
        full_env.update(HOST="127.0.0.1", PORT="0", PYTHONUNBUFFERED="1", **env)
        self.proc = subprocess.Popen([sys.executable, str(SERVICE / "app.py")], env=full_env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
        self.lines: queue.Queue[str] = queue.Queue()
        self.log: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()
        line = self.wait_for("service: listening on ")
        self.port = int(line.rsplit(":", 1)[1])

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.lines.put(line.rstrip("\n"))

    def wait_for(self, text: str) -> str:
        """The first (new) log line containing ``text``; fails after LOG_WAIT seconds."""
        while True:
            try:
                line = self.lines.get(timeout=LOG_WAIT)
            except queue.Empty:
                raise AssertionError(f"server never logged {text!r}; log so far: {self.log}") from None
            self.log.append(line)
            if text in line:
                return line

    def get(self, path: str) -> tuple[int, dict]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=LOG_WAIT)
        try:
            connection.request("GET", path)
            response = connection.getresponse()
            return response.status, json.loads(response.read())
        finally:
            connection.close()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=LOG_WAIT)


@pytest.fixture
def service() -> Iterator[Service]:
    server = Service(SERVICE_VERSION="7", SERVICE_COMMIT="0123abc")
    yield server
    server.stop()


def test_healthcheck_and_version(service):
    assert service.get("/healthcheck") == (200, {"status": "ok"})
    assert service.get("/version") == (200, {"status": "Version 7", "version": "7", "commit": "0123abc"})
    status, body = service.get("/nope")
    assert status == 404
    assert body["path"] == "/nope"


def test_fail_healthcheck_switch():
    server = Service(FAIL_HEALTHCHECK="1")
    try:
        status, body = server.get("/healthcheck")
        assert status == 500
        assert body["status"] == "failing"
        # Only the health check fails: the release still reports its version.
        assert server.get("/version")[0] == 200
    finally:
        server.stop()


def test_sigterm_finishes_request_in_flight(service):
    result: dict = {}

    def slow_request() -> None:
        try:
            result["response"] = service.get("/slow?seconds=1.5")
        except Exception as exc:  # reported by the assertion below
            result["error"] = exc

    client = threading.Thread(target=slow_request)
    client.start()
    service.wait_for("slow request: sleeping")
    service.proc.send_signal(signal.SIGTERM)

    line = service.wait_for("stopped accepting")
    assert "waiting for 1 request(s) in flight" in line
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", service.port), timeout=5).close()

    client.join(timeout=LOG_WAIT)
    assert "error" not in result, result
    assert result["response"] == (200, {"status": "ok", "slept": 1.5})
    assert service.proc.wait(timeout=LOG_WAIT) == 0
    service.wait_for("drained, exiting")


def test_sigterm_when_idle_exits_zero(service):
    service.proc.send_signal(signal.SIGTERM)
    assert service.proc.wait(timeout=LOG_WAIT) == 0
    service.wait_for("drained, exiting")


def test_sigterm_gives_up_after_shutdown_timeout():
    server = Service(SHUTDOWN_TIMEOUT="0.2")
    try:
        client = threading.Thread(target=lambda: _ignore_errors(server.get, "/slow?seconds=5"), daemon=True)
        client.start()
        server.wait_for("slow request: sleeping")
        server.proc.send_signal(signal.SIGTERM)
        # A request that outlives the grace period does not keep the task alive: exit code 1 says so.
        assert server.proc.wait(timeout=LOG_WAIT) == 1
        server.wait_for("still in flight")
    finally:
        server.stop()


def _ignore_errors(func, *args) -> None:
    try:
        func(*args)
    except OSError:
        pass
