"""A lab of a test's own: free ports, a temporary LAB_DIR and a loopback prefix it claims.

Used by tests/lab and tests/integration. Nothing here touches a user's lab.
``LAB_TIME_SCALE`` passes through from the environment.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

from lab.loopback import AUTO, PREFIX_STATE_KEY

REPO = Path(__file__).resolve().parents[1]


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
        self.env = dict(
            os.environ,
            LAB_PORT=str(self.port),
            LAB_REGISTRY_PORT=str(self.registry_port),
            LAB_DIR=str(lab_dir),
            # the lab claims a free prefix of its own when it starts (lab/loopback.py)
            LAB_LOOPBACK_PREFIX=AUTO,
            AWS_ACCESS_KEY_ID="testing",
            AWS_SECRET_ACCESS_KEY="testing",
            AWS_DEFAULT_REGION="us-east-1",
        )
        self.env.pop("AWS_PROFILE", None)

    @property
    def loopback_prefix(self) -> str:
        """The prefix the running lab claimed (``127.N``)."""
        prefix = self.state().get("data", {}).get(PREFIX_STATE_KEY)
        if not prefix:
            raise RuntimeError(f"the lab in {self.dir} has not claimed a loopback prefix (is it up?)")
        return prefix

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

    def up(self) -> None:
        """``lab up``; raises with the lab's log when it does not come up."""
        started = self.cli("up")
        if started.returncode != 0:
            log = (self.dir / "lab.log").read_text() if (self.dir / "lab.log").exists() else ""
            raise RuntimeError(f"lab up failed: {started.stdout}{started.stderr}\n{log[-4000:]}")

    def down(self) -> None:
        stopped = self.cli("down")
        if stopped.returncode != 0:
            raise RuntimeError(f"lab down failed: {stopped.stdout}{stopped.stderr}")


def running_lab(handle: LabHandle) -> Iterator[LabHandle]:
    """A pytest fixture's body: the lab up for the fixture's scope, down at its end; a lab
    that does not come up fails the test with its log."""
    import pytest

    try:
        handle.up()
    except RuntimeError as exc:
        pytest.fail(str(exc))
    try:
        yield handle
    finally:
        handle.down()
