"""Fixtures for module integration tests: moto with a call counter, and a
runner that calls a module through real ``ansible`` (ad hoc, JSON callback)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from moto_counting_server import Call, CountingMotoServer

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))  # `lab` is a top-level package of the repo, not installed

from lab.ecs.sampleimage import ensure_base_image  # noqa: E402 (the path is set above)
from lab.testing import LabHandle, running_lab  # noqa: E402
from scripts.iam_policy import assert_log_allowed  # noqa: E402


@pytest.fixture(scope="session")
def base_image() -> str:
    """The Debian base image the sample service builds on: built here when missing (once per
    machine, under a lock), so no test skips for want of it."""
    return ensure_base_image("podman")


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


# --- the lab, for modules whose operations moto lacks (CodeDeploy) ---------------------------
# Started like tests/lab/conftest.py does (its own free ports, temp LAB_DIR and loopback
# prefix); its calls are counted from the lab's own log, .lab/calls.jsonl.


class LabCallLog:
    """``mark()``/``since()`` over the lab's calls.jsonl, like CountingApp's."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def _records(self) -> list[dict]:
        if not self.path.exists():
            return []
        return [json.loads(line) for line in self.path.read_text().splitlines() if line.strip()]

    def mark(self) -> int:
        return len(self._records())

    def since(self, mark: int) -> list[Call]:
        return [Call(record["service"], record["operation"]) for record in self._records()[mark:]]


class ModuleTestLab(LabHandle):
    """A lab of the module tests' own, with ``url`` and ``app`` as ModuleRunner expects."""

    def __init__(self, lab_dir: Path) -> None:
        super().__init__(lab_dir)
        self.app = LabCallLog(lab_dir / "calls.jsonl")


@pytest.fixture(scope="session")
def module_lab(tmp_path_factory):
    lab = ModuleTestLab(tmp_path_factory.mktemp("module-lab"))
    yield from running_lab(lab)
    # issue 7's least privilege: every call Ansible made in these tests is in the committed policy
    assert_log_allowed(lab.dir / "calls.jsonl", require_calls=False)


@pytest.fixture(scope="session")
def run_module_on_lab(module_lab):
    return ModuleRunner(module_lab)
