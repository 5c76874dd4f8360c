"""docker-registry as a child process of the lab, with htpasswd auth and an insecure-registry drop-in."""

from __future__ import annotations

import base64
import json
import logging
import os
import secrets
import subprocess
import time
import warnings
from pathlib import Path
from typing import Any

from lab.config import LabConfig
from lab.loopback import port_free
from lab.registry.client import RegistryClient
from lab.server import Controller, Lab
from lab.state import State

with warnings.catch_warnings():
    # bcrypt for htpasswd without a new dependency; Python 3.11 is pinned, crypt goes in 3.13.
    warnings.simplefilter("ignore", DeprecationWarning)
    import crypt

log = logging.getLogger("lab.registry")

BINARY = "/usr/bin/docker-registry"
USERNAME = "AWS"  # ECR tokens decode to AWS:<password>
PROCESS_NAME = "registry"
DEFAULT_DROPIN_DIR = "/etc/containers/registries.conf.d"
READY_TIMEOUT = 15.0


def render_config(config: LabConfig, http_secret: str) -> str:
    """docker-registry's YAML: filesystem storage under .lab/registry, deletes on, htpasswd auth."""
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
  addr: {config.registry_host}
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
    return f"{username}:{crypt.crypt(password, crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=1 << 5))}\n"


class Registry(Controller):
    """Starts, watches (restarts if it died) and stops docker-registry."""

    name = "registry"
    services = ("ecr",)

    def __init__(self, config: LabConfig, state: State) -> None:
        self.config = config
        self.state = state
        self.dir = config.registry_dir
        self.password = ""
        self.process: subprocess.Popen[bytes] | None = None
        self.dropin: Path | None = None
        self.client = RegistryClient(f"http://{config.registry_host}", USERNAME, "")

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
        _write_private(self.dir / "config.yml", render_config(self.config, secrets.token_hex(16)))
        self.auth_file.parent.mkdir(parents=True, exist_ok=True)
        _write_private(self.auth_file, render_auth_file(self.host, USERNAME, self.password))
        self.client = RegistryClient(f"http://{self.host}", USERNAME, self.password)
        self.write_dropin()
        self._spawn()

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

    def shutdown(self, lab: Lab) -> None:
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
