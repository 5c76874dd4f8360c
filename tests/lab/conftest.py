"""The lab for tests: one per session, on free ports, in a temporary directory.

Nothing here touches a user's lab: the endpoint and registry ports are free
ports, ``LAB_DIR`` is a temp directory and the loopback prefix is not 127.0.
``LAB_TIME_SCALE`` passes through from the environment.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))  # `lab` is a top-level package of the repo, not installed


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LabHandle:
    """A running test lab: its URL, its environment, and helpers to talk to it."""

    def __init__(self, lab_dir: Path) -> None:
        self.port = free_port()
        self.registry_port = free_port()
        self.dir = lab_dir
        self.url = f"http://127.0.0.1:{self.port}"
        self.registry_host = f"127.0.0.1:{self.registry_port}"
        self.loopback_prefix = f"127.{100 + self.port % 150}"
        self.env = dict(
            os.environ,
            LAB_PORT=str(self.port),
            LAB_REGISTRY_PORT=str(self.registry_port),
            LAB_DIR=str(lab_dir),
            LAB_LOOPBACK_PREFIX=self.loopback_prefix,
            AWS_ACCESS_KEY_ID="testing",
            AWS_SECRET_ACCESS_KEY="testing",
            AWS_DEFAULT_REGION="us-east-1",
        )
        self.env.pop("AWS_PROFILE", None)

    def cli(self, *args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
        """Run ``python -m lab ARGS`` against this lab."""
        return subprocess.run([sys.executable, "-m", "lab", *args], cwd=REPO, env=self.env, capture_output=True, text=True, timeout=timeout)

    def client(self, service: str, region: str = "us-east-1", retries: int | None = None, **kwargs: Any) -> Any:
        """A boto3 client for the lab; ``retries=0`` turns botocore's retries off."""
        config = Config(retries={"max_attempts": retries, "mode": "standard"}) if retries is not None else None
        return boto3.client(
            service,
            endpoint_url=self.url,
            region_name=region,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            config=config,
            **kwargs,
        )

    def calls(self) -> list[dict[str, Any]]:
        path = self.dir / "calls.jsonl"
        if not path.exists():
            return []
        return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]

    def state(self) -> dict[str, Any]:
        path = self.dir / "state.json"
        return json.loads(path.read_text()) if path.exists() else {}

    def clear_faults(self) -> None:
        result = self.cli("fault", "clear")
        assert result.returncode == 0, result.stderr


@pytest.fixture(scope="session")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabHandle]:
    """The session's lab, up; torn down (and checked down) at the end."""
    handle = LabHandle(tmp_path_factory.mktemp("lab"))
    started = handle.cli("up")
    if started.returncode != 0:
        log = (handle.dir / "lab.log").read_text() if (handle.dir / "lab.log").exists() else ""
        pytest.fail(f"lab up failed: {started.stdout}{started.stderr}\n{log[-4000:]}")
    try:
        yield handle
    finally:
        stopped = handle.cli("down")
        assert stopped.returncode == 0, stopped.stdout + stopped.stderr


def build_tiny_rootfs(root: Path) -> None:
    """A root filesystem holding /bin/sleep and the libraries it needs: a runnable image without Docker Hub."""
    sleep = Path(shutil.which("sleep") or "/bin/sleep").resolve()
    libraries = [
        Path(line.split("=>")[-1].split("(")[0].strip())
        for line in subprocess.run(["ldd", str(sleep)], capture_output=True, text=True, check=True).stdout.splitlines()
        if "/" in line
    ]
    (root / "bin").mkdir(parents=True)
    shutil.copy2(sleep, root / "bin" / "sleep")
    for library in libraries:
        target = root / library.relative_to("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(library.resolve(), target)
    (root / "hello.txt").write_text("cutover lab test image\n")


@pytest.fixture(scope="session")
def tiny_image(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A local podman image (``sleep`` and a text file, about 2 MB), removed by id afterwards."""
    if not shutil.which("podman"):
        pytest.skip("podman is not installed")
    work = tmp_path_factory.mktemp("tiny-image")
    build_tiny_rootfs(work / "rootfs")
    with tarfile.open(work / "rootfs.tar", "w") as tar:
        tar.add(work / "rootfs", arcname=".")
    reference = f"localhost/cutover-lab-test/tiny:{os.getpid()}"
    imported = subprocess.run(["podman", "import", str(work / "rootfs.tar"), reference], capture_output=True, text=True, timeout=120)
    assert imported.returncode == 0, imported.stderr
    image_id = imported.stdout.strip().splitlines()[-1]
    try:
        yield reference
    finally:
        subprocess.run(["podman", "rmi", "-f", image_id], capture_output=True, timeout=120)
