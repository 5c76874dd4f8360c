"""docker-registry as a child process of the lab, with htpasswd auth and an insecure-registry drop-in."""

from __future__ import annotations

import base64
import json
import logging
import os
import secrets
import socket
import subprocess
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import bcrypt

from lab.config import LabConfig
from lab.elb.process import HAProxyProcess, write_atomic
from lab.elb.render import Paths
from lab.loopback import port_free
from lab.registry import gate
from lab.registry.client import RegistryClient
from lab.server import Controller, Lab
from lab.state import State

log = logging.getLogger("lab.registry")

BINARY = "/usr/bin/docker-registry"
USERNAME = "AWS"  # ECR tokens decode to AWS:<password>
PROCESS_NAME = "registry"
GATE_PROCESS_NAME = "registry-gate"
DEFAULT_DROPIN_DIR = "/etc/containers/registries.conf.d"
READY_TIMEOUT = 15.0


def render_config(config: LabConfig, http_secret: str, addr: str) -> str:
    """docker-registry's YAML: filesystem storage under .lab/registry, deletes on, htpasswd auth,
    listening on ``addr`` (behind the gate, which has the registry's public address)."""
    data_dir = config.registry_dir / "data"
    return f"""version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: {data_dir}
  delete:
    enabled: true
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: {addr}
  secret: {http_secret}
auth:
  htpasswd:
    realm: cutover-lab
    path: {config.registry_dir / "htpasswd"}
"""


def render_dropin(registry_host: str) -> str:
    """containers-registries.conf(5) entry: podman may use plain HTTP for this registry."""
    return f'# Written by the cutover lab (python -m lab up); removed by python -m lab down.\n[[registry]]\nlocation = "{registry_host}"\ninsecure = true\n'


def dropin_path(config: LabConfig) -> Path:
    directory = Path(os.environ.get("LAB_REGISTRIES_CONF_DIR") or DEFAULT_DROPIN_DIR)
    name = "50-cutover-lab.conf" if config.registry_port == 5000 else f"50-cutover-lab-{config.registry_port}.conf"
    return directory / name


def render_auth_file(registry_host: str, username: str, password: str) -> str:
    token = base64.b64encode(f"{username}:{password}".encode()).decode()
    return json.dumps({"auths": {registry_host: {"auth": token}}}, indent=2) + "\n"


def htpasswd_line(username: str, password: str) -> str:
    """docker-registry's htpasswd takes bcrypt only. Cost 5, the fewest rounds bcrypt allows: the password is
    random and per lab, and the registry checks it on every request."""
    return f"{username}:{bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=5)).decode()}\n"


def loopback_port(host: str) -> int:
    """A free TCP port on ``host`` (the kernel's choice)."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


class Registry(Controller):
    """Starts, watches (restarts if it died) and stops docker-registry and its gate (``gate.py``):
    HAProxy on the registry's public address, docker-registry on a loopback port of its own."""

    name = "registry"
    services = ("ecr",)

    def __init__(self, config: LabConfig, state: State, account_id: str = "123456789012") -> None:
        self.config = config
        self.state = state
        self.account_id = account_id  # in the gate's NAME_UNKNOWN message, as ECR names the registry
        self.dir = config.registry_dir
        self.password = ""
        self.process: subprocess.Popen[bytes] | None = None
        self.dropin: Path | None = None
        self.upstream = config.registry_host  # docker-registry's own address, chosen at start
        self.client = RegistryClient(f"http://{self.upstream}", USERNAME, "")
        self.gate = HAProxyProcess(
            Paths(self.dir / "gate", config.socket_dir, socket_prefix="registry-"),
            on_start=lambda pid: state.add_process(GATE_PROCESS_NAME, pid, command="haproxy"),
            on_stop=lambda: state.remove_process(GATE_PROCESS_NAME),
        )
        self.repositories: frozenset[str] = frozenset()

    @property
    def host(self) -> str:
        return self.config.registry_host

    @property
    def auth_file(self) -> Path:
        """containers-auth.json with the lab's own credentials: the lab's "ECS agent" pulls with it,
        as ECS pulls from ECR with the task execution role."""
        return self.dir / "client" / "config.json"  # docker wants this name in its --config directory

    @property
    def data_dir(self) -> Path:
        return self.dir / "data"

    def start(self) -> None:
        if not port_free(self.config.host, self.config.registry_port):
            raise RuntimeError(f"registry port {self.config.registry_host} is in use (another lab? set LAB_REGISTRY_PORT)")
        self.dir.mkdir(parents=True, exist_ok=True)
        self.password = secrets.token_urlsafe(24)
        _write_private(self.dir / "password", self.password)
        _write_private(self.dir / "htpasswd", htpasswd_line(USERNAME, self.password))
        self.upstream = f"{self.config.host}:{loopback_port(self.config.host)}"
        _write_private(self.dir / "config.yml", render_config(self.config, secrets.token_hex(16), self.upstream))
        self.auth_file.parent.mkdir(parents=True, exist_ok=True)
        _write_private(self.auth_file, render_auth_file(self.host, USERNAME, self.password))
        self.client = RegistryClient(f"http://{self.upstream}", USERNAME, self.password)
        self.write_dropin()
        self._spawn()
        self._open_gate()

    @property
    def map_file(self) -> Path:
        return self.gate.paths.maps / "repositories.map"

    def _open_gate(self) -> None:
        self.gate.paths.maps.mkdir(parents=True, exist_ok=True)
        write_atomic(self.map_file, gate.render_map(self.repositories))
        self.gate.start(gate.render_config(self.host, self.upstream, self.gate.paths, self.map_file, self.account_id))
        log.info("registry gate on %s -> docker-registry on %s", self.host, self.upstream)

    def set_repositories(self, names: Iterable[str]) -> None:
        """The repositories ECR knows: the gate answers NAME_UNKNOWN for any other (``gate.py``)."""
        known = frozenset(names)
        if known == self.repositories:
            return
        self.repositories = known
        content = gate.render_map(known)
        write_atomic(self.map_file, content)
        if self.gate.running():
            self.gate.api.replace_map(self.map_file, content)

    def _spawn(self) -> None:
        with (self.dir / "registry.log").open("ab") as output:
            self.process = subprocess.Popen([BINARY, "serve", str(self.dir / "config.yml")], stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT)
        self.state.add_process(PROCESS_NAME, self.process.pid, command=BINARY)
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            if self.client.ping():
                log.info("registry on %s (pid %d)", self.host, self.process.pid)
                return
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        raise RuntimeError(f"docker-registry did not come up on {self.host}; see {self.dir / 'registry.log'}")

    def write_dropin(self) -> None:
        path = dropin_path(self.config)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self.state.add_file(path)
            path.write_text(render_dropin(self.host))
            self.dropin = path
        except OSError as exc:
            self.state.remove_file(path)
            log.warning("could not write %s (%s): podman push needs --tls-verify=false", path, exc)

    def reconcile(self, lab: Lab) -> None:
        if self.process is not None and self.process.poll() is not None:
            log.warning("docker-registry exited with %s; restarting", self.process.returncode)
            self.state.remove_process(PROCESS_NAME)
            self._spawn()
        if self.process is not None and not self.gate.running():
            log.warning("the registry gate (haproxy) exited; restarting")
            self.gate.stop()
            self._open_gate()

    def shutdown(self, lab: Lab) -> None:
        self.gate.stop()
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
            self.state.remove_process(PROCESS_NAME)
            self.process = None
        if self.dropin is not None:
            self.dropin.unlink(missing_ok=True)
            self.state.remove_file(self.dropin)
            self.dropin = None

    def describe(self) -> dict[str, Any]:
        return {
            "host": self.host,
            "pid": self.process.pid if self.process else None,
            "upstream": self.upstream,
            "gate_pid": self.gate.pid,
            "repositories": len(self.repositories),
            "auth": f"htpasswd, user {USERNAME}, password in {self.dir / 'password'}",
            "dropin": str(self.dropin) if self.dropin else None,
        }

    # what the filesystem storage knows and the API does not say --------------------

    def _manifest_revisions(self, repository: str) -> Path:
        return self.data_dir / "docker/registry/v2/repositories" / repository / "_manifests/revisions/sha256"

    def digests(self, repository: str) -> list[str]:
        """Every manifest digest of a repository, tagged or not (the V2 API lists only tags)."""
        directory = self._manifest_revisions(repository)
        if not directory.is_dir():
            return []
        return sorted(f"sha256:{entry.name}" for entry in directory.iterdir() if (entry / "link").exists())

    def pushed_at(self, repository: str, digest: str) -> float:
        """When the manifest was pushed (its revision link's mtime)."""
        link = self._manifest_revisions(repository) / digest.split(":", 1)[-1] / "link"
        try:
            return link.stat().st_mtime
        except OSError:
            return time.time()


def _write_private(path: Path, text: str) -> None:
    path.touch(mode=0o600, exist_ok=True)
    path.write_text(text)
