"""`lab up` / `lab down`: idempotent, and down leaves no process, container or file behind.

These start their own labs (not the session one) because they take them down.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from lab.config import LabConfig
from lab.state import same_process_alive
from lab.testing import LabHandle


def recorded_processes(lab: LabHandle) -> dict[str, dict]:
    return lab.state()["processes"]


def container_exists(ident: str) -> bool:
    return subprocess.run(["podman", "container", "exists", ident], capture_output=True, timeout=60).returncode == 0


def wait_dead(pid: int, start_time: int | None, seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not same_process_alive(pid, start_time):
            return True
        time.sleep(0.05)
    return False


@pytest.fixture
def own_lab(tmp_path: Path):
    handle = LabHandle(tmp_path / "lab")
    yield handle
    handle.cli("down")  # whatever the test left


def test_up_is_idempotent_and_down_leaves_nothing(own_lab: LabHandle) -> None:
    """The lab's lifecycle (no AWS page): up twice is one lab; down stops every recorded pid and removes its files."""
    lab = own_lab
    first = lab.cli("up")
    assert first.returncode == 0, first.stderr
    assert f"lab up at {lab.url}" in first.stdout
    processes = recorded_processes(lab)
    assert {"serve", "registry"} <= set(processes)
    files = [Path(f) for f in lab.state()["files"]]
    assert all(path.exists() for path in files)

    second = lab.cli("up")
    assert second.returncode == 0 and "already up" in second.stdout
    assert recorded_processes(lab)["serve"]["pid"] == processes["serve"]["pid"]

    down = lab.cli("down")
    assert down.returncode == 0, down.stderr
    for name, entry in processes.items():
        assert not same_process_alive(entry["pid"], entry["start_time"]), f"{name} survived lab down"
    assert not any(path.exists() for path in files)
    assert not (lab.dir / "state.json").exists()
    assert not LabConfig.from_env(lab.env).socket_dir.exists()
    assert sorted(p.name for p in lab.dir.iterdir()) == ["calls.jsonl", "lab.log"]

    again = lab.cli("down")
    assert again.returncode == 0 and "not up" in again.stdout


def test_down_after_serve_was_killed_stops_children_and_containers(own_lab: LabHandle, tiny_image: str) -> None:
    """The lab's lifecycle (no AWS page): state.json alone is enough to clean up after a SIGKILLed serve."""
    lab = own_lab
    assert lab.cli("up").returncode == 0
    processes = recorded_processes(lab)
    name = f"cutover-lab-{lab.port}-probe"
    run = subprocess.run(
        [
            "podman",
            "run",
            "-d",
            "--runtime",
            "runc",
            "--ulimit",
            "nofile=1024:1024",
            "--ulimit",
            "nproc=1024:1024",
            "--name",
            name,
            tiny_image,
            "/bin/sleep",
            "600",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    container_id = run.stdout.strip()
    try:
        os.kill(processes["serve"]["pid"], signal.SIGKILL)
        assert wait_dead(processes["serve"]["pid"], processes["serve"]["start_time"])
        # What the ECS controller does before `run`; written here because serve is dead and cannot.
        state = lab.state()
        state["containers"][name] = {"runtime": "podman", "id": container_id}
        (lab.dir / "state.json").write_text(json.dumps(state))
        assert same_process_alive(processes["registry"]["pid"], processes["registry"]["start_time"]), "registry should outlive a SIGKILLed serve"

        down = lab.cli("down")
        assert down.returncode == 0, down.stdout + down.stderr
        for proc_name, entry in processes.items():
            assert not same_process_alive(entry["pid"], entry["start_time"]), f"{proc_name} survived lab down"
        assert not container_exists(container_id)
        assert not (lab.dir / "state.json").exists()
    finally:
        if container_exists(container_id):
            subprocess.run(["podman", "rm", "-f", "-t", "0", container_id], capture_output=True, timeout=60)


def run_sleeper(image: str, name: str, instance: str) -> str:
    run = subprocess.run(
        ["podman", "run", "-d", "--runtime", "runc", "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024"]
        + ["--name", name, "--label", f"cutover.lab.instance={instance}", image, "/bin/sleep", "600"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    return run.stdout.strip()


def test_down_removes_its_own_unrecorded_containers_and_no_other_labs(own_lab: LabHandle, tiny_image: str) -> None:
    """The lab's lifecycle (no AWS page): a task container the state no longer names (created while serve
    was stopping, or left by a failed removal) is found by the lab's instance label; another lab's stays."""
    lab = own_lab
    assert lab.cli("up").returncode == 0
    instance = LabConfig.from_env(lab.env).instance
    mine = run_sleeper(tiny_image, f"{instance}-ecs-unrecorded-app", instance)
    other = run_sleeper(tiny_image, f"cutover-lab-other-{lab.port}-app", f"cutover-lab-other-{lab.port}")
    try:
        assert mine[:12] not in json.dumps(lab.state()["containers"])
        down = lab.cli("down")
        assert down.returncode == 0, down.stdout + down.stderr
        assert not container_exists(mine)
        assert container_exists(other)
    finally:
        for ident in (mine, other):
            if container_exists(ident):
                subprocess.run(["podman", "rm", "-f", "-t", "0", ident], capture_output=True, timeout=60)


def test_up_after_a_crash_cleans_up_first(own_lab: LabHandle) -> None:
    """The lab's lifecycle (no AWS page): a stale state.json from a killed lab does not block the next up."""
    lab = own_lab
    assert lab.cli("up").returncode == 0
    old = recorded_processes(lab)
    os.kill(old["serve"]["pid"], signal.SIGKILL)
    assert wait_dead(old["serve"]["pid"], old["serve"]["start_time"])
    again = lab.cli("up")
    assert again.returncode == 0, again.stdout + again.stderr
    assert "cleaning up" in again.stdout
    assert not same_process_alive(old["registry"]["pid"], old["registry"]["start_time"])
    assert recorded_processes(lab)["serve"]["pid"] != old["serve"]["pid"]
    assert lab.cli("down").returncode == 0


def test_two_labs_never_share_a_loopback_prefix(own_lab: LabHandle, tmp_path: Path) -> None:
    """Two labs on one machine (two test workers, two test runs): the second lab asked for the
    first one's prefix refuses to start and says why; asked for ``auto``, it gets another one."""
    first = own_lab
    assert first.cli("up").returncode == 0
    second = LabHandle(tmp_path / "second")
    second.env["LAB_LOOPBACK_PREFIX"] = first.loopback_prefix
    try:
        refused = second.cli("up", "--timeout", "30")
        assert refused.returncode == 1
        assert f"loopback prefix {first.loopback_prefix} is in use by another lab" in refused.stderr
        second.env["LAB_LOOPBACK_PREFIX"] = "auto"
        started = second.cli("up")
        assert started.returncode == 0, started.stderr
        assert second.loopback_prefix != first.loopback_prefix
    finally:
        second.cli("down")
