"""The haproxy master-worker process: start, validate, seamless reload, stop.

``haproxy -W -S <master.sock> -f haproxy.cfg``: the master stays our child and
forks the worker. A reload is SIGUSR2 to the master; it re-reads the config and
starts a new worker, which takes the listening sockets over from the old one
(the stats socket has ``expose-fd listeners``), so no connection is refused.
The old worker finishes its requests and exits (at the latest after
``hard-stop-after``).
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from lab.elb.render import Paths
from lab.elb.runtime import RuntimeApi

log = logging.getLogger("lab.elb")

BINARY = "haproxy"
START_TIMEOUT = 15.0
RELOAD_TIMEOUT = 20.0
LOAD_FAILURE = "Loading failure!"  # the master's line when a new config could not start (the old worker keeps serving)
STOP_TIMEOUT = 5.0


class HAProxyError(RuntimeError):
    pass


def validate(binary: str, config_text: str, scratch: Path) -> None:
    """``haproxy -c`` on a config before it replaces the live one; raises with HAProxy's message."""
    scratch.write_text(config_text)
    try:
        result = subprocess.run([binary, "-c", "-q", "-f", str(scratch)], capture_output=True, text=True, timeout=30)
    finally:
        scratch.unlink(missing_ok=True)
    if result.returncode != 0:
        raise HAProxyError(f"invalid HAProxy config: {(result.stdout + result.stderr).strip()}")


def ensure_certificate(path: Path) -> bool:
    """A self-signed certificate and key for HTTPS/TLS listeners (made once per lab); False without openssl."""
    if path.exists():
        return True
    key, cert = path.with_suffix(".key"), path.with_suffix(".crt")
    command = [
        "openssl", "req", "-x509", "-nodes", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
        "-keyout", str(key), "-out", str(cert), "-days", "3650", "-subj", "/CN=cutover-lab",
        "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
    ]  # fmt: skip
    try:
        subprocess.run(command, capture_output=True, check=True, timeout=60)
    except (OSError, subprocess.SubprocessError) as exc:
        log.warning("no certificate for HTTPS listeners (%s): they serve plain HTTP", exc)
        return False
    write_atomic(path, cert.read_text() + key.read_text())
    path.chmod(0o600)
    key.unlink(missing_ok=True)
    cert.unlink(missing_ok=True)
    return True


def write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


class HAProxyProcess:
    """One master-worker haproxy. ``on_start(pid)`` / ``on_stop()`` record it (``lab.state``)."""

    def __init__(
        self,
        paths: Paths,
        binary: str = BINARY,
        on_start: Callable[[int], None] | None = None,
        on_stop: Callable[[], None] | None = None,
    ) -> None:
        self.paths = paths
        self.binary = binary
        self.on_start = on_start
        self.on_stop = on_stop
        self.api = RuntimeApi(paths.admin_socket)
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def log_file(self) -> Path:
        return self.paths.directory / "haproxy.log"

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def validate(self, config_text: str) -> None:
        validate(self.binary, config_text, self.paths.directory / "haproxy.check.cfg")

    def start(self, config_text: str) -> None:
        self.paths.directory.mkdir(parents=True, exist_ok=True)
        self.paths.maps.mkdir(parents=True, exist_ok=True)
        self.paths.admin_socket.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.validate(config_text)
        write_atomic(self.paths.config, config_text)
        if not self.paths.server_state.exists():
            self.paths.server_state.write_text("")
        for stale in (self.paths.admin_socket, self.paths.master_socket):
            stale.unlink(missing_ok=True)
        command = [self.binary, "-W", "-S", f"{self.paths.master_socket},mode,600", "-f", str(self.paths.config), "-p", str(self.paths.pid_file)]
        with self.log_file.open("ab") as output:
            self.process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT)
        if self.on_start:
            self.on_start(self.process.pid)
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.api.alive():
                log.info("haproxy master %d up, worker %s", self.process.pid, self.api.worker_pid())
                return
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        raise HAProxyError(f"haproxy did not start: {self.log_tail()}")

    def reload(self, config_text: str) -> None:
        """Seamless reload with a new config: returns once the new worker answers the runtime API."""
        if not self.running():
            raise HAProxyError("haproxy is not running")
        assert self.process is not None
        self.validate(config_text)
        old_worker = self.api.worker_pid()
        # The new worker starts from the old one's server states (health, drain, maintenance).
        write_atomic(self.paths.server_state, self.api.raw_servers_state())
        write_atomic(self.paths.config, config_text)
        log_size = self._log_size()
        os.kill(self.process.pid, signal.SIGUSR2)
        deadline = time.monotonic() + RELOAD_TIMEOUT
        while time.monotonic() < deadline:
            worker = self.api.worker_pid()
            if worker is not None and worker != old_worker:
                log.info("haproxy reloaded: worker %s -> %s", old_worker, worker)
                return
            if self.process.poll() is not None or LOAD_FAILURE in self._log_since(log_size):
                break
            time.sleep(0.05)
        raise HAProxyError(f"haproxy reload failed, the previous config still serves: {self._log_since(log_size)[-1500:] or self.log_tail()}")

    def _log_size(self) -> int:
        try:
            return self.log_file.stat().st_size
        except OSError:
            return 0

    def _log_since(self, offset: int) -> str:
        try:
            with self.log_file.open("rb") as handle:
                handle.seek(offset)
                return handle.read().decode(errors="replace")
        except OSError:
            return ""

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(STOP_TIMEOUT)
        self.process = None
        if self.on_stop:
            self.on_stop()

    def log_tail(self, lines: int = 15) -> str:
        try:
            return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no haproxy log)"
