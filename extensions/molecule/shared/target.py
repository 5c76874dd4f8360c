"""The endpoint a Molecule scenario runs against: a lab of its own, or LocalStack.

    target.py up lab DIR          start a lab, write DIR/target.json
    target.py up localstack DIR   start LocalStack, or record why it is skipped, in DIR/target.json
    target.py down DIR            stop what DIR/target.json names, then remove the file

A lab gets free ports, ``LAB_DIR=DIR/lab`` and a loopback prefix of its own (``lab.testing``), so
a scenario never meets another scenario's lab or the user's lab on 4566. LocalStack runs only when
``LOCALSTACK_AUTH_TOKEN`` is set and a Docker engine answers; otherwise target.json carries the
reason and the scenario's playbooks skip every step (Molecule still exits 0).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(REPO))

from lab.testing import LabHandle  # noqa: E402  (the repository root is only importable after the line above)

TARGET_FILE = "target.json"
LAB_KEYS = ("LAB_DIR", "LAB_PORT", "LAB_REGISTRY_PORT", "LAB_LOOPBACK_PREFIX")
LAB_DOWN_TIMEOUT = 180

# LocalStack answers on its own gateway port (not 4566, the user's lab), and its gateway also
# carries the load balancers' listeners, so those ports are published next to it.
LOCALSTACK_IMAGE = "localstack/localstack-pro"
LOCALSTACK_PORT = 4567
LOCALSTACK_PRODUCTION_PORT = 18080
LOCALSTACK_TEST_PORT = 19000
LOCALSTACK_READY_TIMEOUT = 180.0


def localstack_skip_reason(environ: Mapping[str, str], docker_answers: bool) -> str:
    """Why the localstack scenario cannot run here ("" when it can)."""
    missing = []
    if not environ.get("LOCALSTACK_AUTH_TOKEN"):
        missing.append("LOCALSTACK_AUTH_TOKEN is not set (LocalStack needs a licence for ECS, ELBv2 and CodeDeploy)")
    if not docker_answers:
        missing.append("no Docker engine answers `docker info` (LocalStack runs ECS tasks as Docker containers)")
    return "; ".join(missing)


def docker_engine_answers() -> bool:
    if shutil.which("docker") is None:
        return False
    try:
        return subprocess.run(["docker", "info"], capture_output=True, timeout=30, check=False).returncode == 0
    except subprocess.TimeoutExpired:
        return False


def start_lab(directory: Path) -> dict[str, Any]:
    handle = LabHandle(directory / "lab")
    handle.up()
    return {"kind": "lab", "url": handle.url, "env": {key: handle.env[key] for key in LAB_KEYS}, "production_port": 80, "test_port": 9000}


def stop_lab(target: Mapping[str, Any]) -> None:
    env = dict(os.environ, **target["env"])
    stopped = subprocess.run([sys.executable, "-m", "lab", "down"], cwd=REPO, env=env, capture_output=True, text=True, timeout=LAB_DOWN_TIMEOUT)
    print(stopped.stdout.strip())
    if stopped.returncode != 0:
        raise RuntimeError(f"lab down failed: {stopped.stdout}{stopped.stderr}")


def localstack_run_command(ports: Mapping[str, int]) -> list[str]:
    published = [option for port in ports.values() for option in ("-p", f"127.0.0.1:{port}:{port}")]
    listen = ",".join(f":{port}" for port in ports.values())
    return [
        "docker",
        "run",
        "--detach",
        "--rm",
        *published,
        # ECR repositories beside the gateway (LocalStack's external service port range)
        *("-p", "127.0.0.1:4510-4559:4510-4559"),
        *("-e", "LOCALSTACK_AUTH_TOKEN"),
        *("-e", f"GATEWAY_LISTEN={listen}"),
        *("-e", f"LOCALSTACK_HOST=localhost.localstack.cloud:{ports['gateway']}"),
        *("-v", "/var/run/docker.sock:/var/run/docker.sock"),
        LOCALSTACK_IMAGE,
    ]


def wait_localstack_ready(url: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/_localstack/health", timeout=2) as response:
                services = json.loads(response.read()).get("services", {})
            if all(services.get(name) in ("available", "running") for name in ("ecs", "elbv2", "codedeploy", "ecr")):
                return
        except (OSError, ValueError, urllib.error.URLError):
            pass
        time.sleep(1)
    raise RuntimeError(f"LocalStack did not report ecs, elbv2, codedeploy and ecr available at {url} within {timeout:.0f} s")


def start_localstack() -> dict[str, Any]:
    reason = localstack_skip_reason(os.environ, docker_engine_answers())
    if reason:
        return {"kind": "localstack", "skip": reason}
    ports = {"gateway": LOCALSTACK_PORT, "production": LOCALSTACK_PRODUCTION_PORT, "test": LOCALSTACK_TEST_PORT}
    started = subprocess.run(localstack_run_command(ports), capture_output=True, text=True, timeout=600, check=True)
    target = {
        "kind": "localstack",
        "url": f"http://localhost.localstack.cloud:{ports['gateway']}",
        "container": started.stdout.strip(),
        "production_port": ports["production"],
        "test_port": ports["test"],
    }
    try:
        wait_localstack_ready(target["url"], LOCALSTACK_READY_TIMEOUT)
    except RuntimeError:
        stop_localstack(target)
        raise
    return target


def stop_localstack(target: Mapping[str, Any]) -> None:
    if target.get("container"):
        subprocess.run(["docker", "rm", "--force", target["container"]], capture_output=True, timeout=120, check=False)
        print(f"LocalStack container {target['container'][:12]} removed")


def up(kind: str, directory: Path) -> dict[str, Any]:
    down(directory)  # a target left behind by an interrupted run
    directory.mkdir(parents=True, exist_ok=True)
    target = start_lab(directory) if kind == "lab" else start_localstack()
    (directory / TARGET_FILE).write_text(json.dumps(target, indent=2) + "\n")
    return target


def down(directory: Path) -> None:
    path = directory / TARGET_FILE
    if not path.exists():
        print(f"nothing to stop: no {path}")
        return
    target = json.loads(path.read_text())
    if target["kind"] == "lab":
        stop_lab(target)
    else:
        stop_localstack(target)
    path.unlink()


def main(argv: list[str]) -> int:
    if len(argv) == 3 and argv[0] == "up" and argv[1] in ("lab", "localstack"):
        print(json.dumps(up(argv[1], Path(argv[2]))))
        return 0
    if len(argv) == 2 and argv[0] == "down":
        down(Path(argv[1]))
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
