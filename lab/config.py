"""LabConfig: where the lab keeps its files, which ports it binds, how fast time runs.

Everything comes from the environment so a test can run a second lab beside a
user's (``LAB_PORT``, ``LAB_DIR``, ``LAB_REGISTRY_PORT``, ``LAB_LOOPBACK_PREFIX``)
without the two ever touching each other's files, ports or addresses.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

DEFAULT_PORT = 4566
DEFAULT_REGISTRY_PORT = 5000
DEFAULT_LOOPBACK_PREFIX = "127.0"
TICK_SECONDS = 0.5
SOCKET_ROOT = Path("/tmp")
HOST = "127.0.0.1"


def _runtime_from(environ: Mapping[str, str]) -> str:
    """podman unless told otherwise or absent; a docker client alone needs a daemon we lack."""
    wanted = environ.get("LAB_RUNTIME", "").strip()
    if wanted:
        return wanted
    return "podman" if shutil.which("podman") else "docker"


@dataclass(frozen=True)
class LabConfig:
    root: Path
    dir: Path
    host: str = HOST
    port: int = DEFAULT_PORT
    registry_port: int = DEFAULT_REGISTRY_PORT
    time_scale: float = 1.0
    runtime: str = "podman"
    loopback_prefix: str = DEFAULT_LOOPBACK_PREFIX
    tick_seconds: float = TICK_SECONDS

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, root: Path | None = None) -> LabConfig:
        env = os.environ if environ is None else environ
        base = Path(root or env.get("LAB_ROOT") or Path.cwd()).resolve()
        lab_dir = Path(env.get("LAB_DIR") or base / ".lab").resolve()
        scale = float(env.get("LAB_TIME_SCALE") or 1.0)
        if scale <= 0:
            raise ValueError(f"LAB_TIME_SCALE must be > 0, got {scale}")
        return cls(
            root=base,
            dir=lab_dir,
            port=int(env.get("LAB_PORT") or DEFAULT_PORT),
            registry_port=int(env.get("LAB_REGISTRY_PORT") or DEFAULT_REGISTRY_PORT),
            time_scale=scale,
            runtime=_runtime_from(env),
            loopback_prefix=env.get("LAB_LOOPBACK_PREFIX") or DEFAULT_LOOPBACK_PREFIX,
        )

    @property
    def endpoint(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def instance(self) -> str:
        """A name unique per lab on this machine: prefix for container names and the like."""
        return f"cutover-lab-{self.port}"

    @property
    def state_file(self) -> Path:
        return self.dir / "state.json"

    @property
    def calls_file(self) -> Path:
        return self.dir / "calls.jsonl"

    @property
    def log_file(self) -> Path:
        return self.dir / "lab.log"

    @property
    def haproxy_dir(self) -> Path:
        return self.dir / "haproxy"

    @property
    def socket_dir(self) -> Path:
        """UNIX sockets (HAProxy's): a short path whatever LAB_DIR is, one per running lab
        (the port is bound by that lab alone). ``lab down`` removes it."""
        return SOCKET_ROOT / f"cutover-lab-{self.port}"

    @property
    def registry_dir(self) -> Path:
        return self.dir / "registry"

    @property
    def registry_host(self) -> str:
        """host:port that image names start with (what ECR repositoryUri points at)."""
        return f"{self.host}:{self.registry_port}"
