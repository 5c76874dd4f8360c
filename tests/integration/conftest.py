"""Fixtures for module integration tests: moto with a call counter, and a
runner that calls a module through real ``ansible`` (ad hoc, JSON callback)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from moto_counting_server import CountingMotoServer

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


@pytest.fixture(scope="session")
def moto_server():
    server = CountingMotoServer().start()
    yield server
    server.stop()


class ModuleRunner:
    """Runs ``cutover.ecs.<name>`` and reports its result and the calls it made."""

    def __init__(self, server: CountingMotoServer) -> None:
        self.server = server
        self.env = dict(
            os.environ,
            ANSIBLE_CONFIG=str(REPO / "ansible.cfg"),
            ANSIBLE_LOAD_CALLBACK_PLUGINS="1",
            ANSIBLE_STDOUT_CALLBACK="json",
            ANSIBLE_NOCOLOR="1",
            AWS_ACCESS_KEY_ID="testing",
            AWS_SECRET_ACCESS_KEY="testing",
            AWS_REGION="us-east-1",
            AWS_DEFAULT_REGION="us-east-1",
            AWS_URL=server.url,
        )
        self.env.pop("AWS_PROFILE", None)

    def __call__(self, name: str, args: dict, check: bool = False, diff: bool = False):
        """Returns (result, calls) where calls are the AWS calls the run made."""
        mark = self.server.app.mark()
        command = [str(BIN / "ansible"), "localhost", "-m", f"cutover.ecs.{name}", "-a", json.dumps(args)]
        if check:
            command.append("--check")
        if diff:
            command.append("--diff")
        proc = subprocess.run(command, cwd=REPO, env=self.env, capture_output=True, text=True, timeout=600)
        try:
            output = json.loads(proc.stdout)
            result = output["plays"][0]["tasks"][0]["hosts"]["localhost"]
        except (ValueError, KeyError, IndexError) as exc:
            raise AssertionError(f"no result from ansible: {exc}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}") from exc
        return result, self.server.app.since(mark)


@pytest.fixture(scope="session")
def run_module(moto_server):
    return ModuleRunner(moto_server)
