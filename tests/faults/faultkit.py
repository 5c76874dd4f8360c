"""The fault matrix's own kit: run tests/faults/cutover.yml the way a user runs a playbook,
read what the deploy module reported, and look at a service through the lab's API.

Pure helpers (``deploy_result``, ``deployment_ids``, ``orphan_task_sets``...) take plain data
so tests/faults/test_faultkit.py checks them without a lab.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lab.loadgen import Sample

REPO = Path(__file__).resolve().parents[2]
PLAYBOOK = Path(__file__).resolve().parent / "cutover.yml"
BIN = Path(sys.executable).parent
DEPLOY_TASK = "Cut over | Production traffic to the new task definition"
PROD_PORT, TEST_PORT = 80, 9000


# --- what the deploy module reported (pure) -------------------------------------------------


def ansible_tasks(output: Mapping[str, Any]) -> list[tuple[str, dict]]:
    """(task name, localhost's result) for every task of the json callback's output."""
    found = []
    for play in output.get("plays") or []:
        for task in play.get("tasks") or []:
            result = (task.get("hosts") or {}).get("localhost")
            if result is not None:
                found.append((task["task"]["name"], result))
    return found


def deploy_result(output: Mapping[str, Any]) -> dict | None:
    """The deploy module's result (failed or not), or None when the play never got there."""
    results = [result for name, result in ansible_tasks(output) if name.endswith(DEPLOY_TASK)]
    return results[-1] if results else None


def first_failure(output: Mapping[str, Any]) -> tuple[str, dict] | None:
    return next(((name, result) for name, result in ansible_tasks(output) if result.get("failed")), None)


def what_the_tool_did(result: Mapping[str, Any] | None) -> dict:
    """The fields faults.json records per run."""
    if result is None:
        return {"status": None}
    return {
        "failed": bool(result.get("failed")),
        "status": result.get("status"),
        "rolled_back": result.get("rolled_back"),
        "rollback_reason": result.get("rollback_reason"),
        "deployment_id": result.get("deployment_id"),
        "msg": (result.get("msg") or "")[:400] or None,
    }


# --- a playbook run ---------------------------------------------------------------------------


@dataclass
class Run:
    """One finished ansible-playbook run."""

    returncode: int
    output: dict
    stderr: str
    seconds: float

    @property
    def deploy(self) -> dict | None:
        return deploy_result(self.output)

    def explain(self) -> str:
        failure = first_failure(self.output)
        where = f"{failure[0]}: {failure[1].get('msg')}" if failure else "no failed task"
        return f"rc={self.returncode} ({where}) stderr={self.stderr[-1500:]}"


@dataclass
class Playbook:
    """ansible-playbook tests/faults/cutover.yml against one lab."""

    lab_env: Mapping[str, str]
    lab_url: str
    runs: list[dict] = field(default_factory=list)

    def env(self) -> dict[str, str]:
        env = dict(self.lab_env)
        env.update(
            ANSIBLE_CONFIG=str(REPO / "ansible.cfg"),
            ANSIBLE_STDOUT_CALLBACK="json",
            ANSIBLE_LOAD_CALLBACK_PLUGINS="1",
            ANSIBLE_NOCOLOR="1",
            AWS_URL=self.lab_url,
            AWS_REGION="us-east-1",
        )
        return env

    def command(self, variables: Mapping[str, Any]) -> list[str]:
        return [str(BIN / "ansible-playbook"), str(PLAYBOOK), "-e", json.dumps(dict(variables))]

    def start(self, variables: Mapping[str, Any], log: Path) -> subprocess.Popen:
        """Starts the playbook in a process group of its own (so SIGKILL reaches every worker)."""
        with log.open("wb") as sink:
            return subprocess.Popen(
                self.command(variables), cwd=REPO, env=self.env(), stdout=sink, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True
            )

    def run(self, variables: Mapping[str, Any], timeout: float = 900) -> Run:
        started = time.monotonic()
        proc = subprocess.run(self.command(variables), cwd=REPO, env=self.env(), capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
        run = Run(proc.returncode, parse_output(proc.stdout), proc.stderr, time.monotonic() - started)
        self.runs.append({"image": variables.get("fault_image"), "seconds": round(run.seconds, 1), **what_the_tool_did(run.deploy)})
        return run


def parse_output(stdout: str) -> dict:
    """The json callback's document. Warnings may come before it, and may hold braces
    themselves: the document starts at the first line that is a lone ``{``."""
    lines = stdout.splitlines()
    start = next((number for number, line in enumerate(lines) if line.strip() == "{"), None)
    if start is None:
        return {"unparsed": stdout[-3000:]} if stdout.strip() else {}
    try:
        return json.loads("\n".join(lines[start:]))
    except ValueError:
        return {"unparsed": stdout[-3000:]}


def kill_group(proc: subprocess.Popen) -> None:
    """SIGKILL the playbook and everything it started (its own process group)."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait(timeout=30)


# --- the service as the lab's API shows it (pure parts) ---------------------------------------


def orphan_task_sets(task_sets: list[dict]) -> list[dict]:
    """Task sets a finished CodeDeploy cutover must not leave: anything but one PRIMARY."""
    primaries = [ts for ts in task_sets if ts.get("status") == "PRIMARY"]
    return [ts for ts in task_sets if ts not in primaries[:1]]


def tail_versions(sequence: list[str | None], count: int = 20) -> set[str | None]:
    """The versions of the last ``count`` successful answers: one element when production settled."""
    return set(sequence[-count:])


def deployments_since(deployment_ids: list[str], before: list[str]) -> list[str]:
    return [d for d in deployment_ids if d not in set(before)]


# --- requests a killed task may take down with it (pure) ----------------------------------------


def in_flight(sample: Sample, killed_from: float, stopped_by: float) -> bool:
    """Whether a request was open at some instant between the kill request and the moment the
    API showed the task STOPPED: only such a request can have been on the killed task."""
    return sample.started <= stopped_by and sample.started + sample.latency >= killed_from


def in_flight_bound(samples: list[Sample], killed_from: float, stopped_by: float) -> int:
    """How many requests AWS itself could fail when a task dies (an upper bound: at most those in flight)."""
    return sum(1 for sample in samples if in_flight(sample, killed_from, stopped_by))


def failed_outside(samples: list[Sample], killed_from: float, stopped_by: float) -> list[str]:
    """Failed requests that were not in flight while the task died: failures of ours, not AWS's."""
    return [f"status={s.status} error={s.error}" for s in samples if not s.ok and not in_flight(s, killed_from, stopped_by)]
