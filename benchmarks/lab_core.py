"""Figures for the lab core: `lab up` cold and warm, DescribeServices latency.

Runs its own lab on free ports in a temp directory (never a user's lab) and
merges its keys into bench-results/lab.json (other benchmarks write theirs there).

    .venv/bin/python benchmarks/lab_core.py [--calls 200]

Cold: a fresh lab directory and an empty bytecode cache (PYTHONPYCACHEPREFIX),
so every module of moto and the lab is compiled. Warm: `up` again after `down`.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench-results" / "lab.json"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(share * len(ordered) + 0.5)))
    return ordered[rank - 1]


def lab_cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "lab", *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=300)


def timed_up(env: dict[str, str]) -> float:
    started = time.perf_counter()
    result = lab_cli(env, "up")
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"lab up failed: {result.stdout}{result.stderr}")
    return elapsed


def describe_services_latency(endpoint: str, lab_dir: Path, calls: int) -> dict[str, float]:
    import boto3

    ecs = boto3.client("ecs", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="bench", aws_secret_access_key="bench")
    ecs.create_cluster(clusterName="bench")
    ecs.register_task_definition(family="bench", containerDefinitions=[{"name": "app", "image": "bench:latest", "memory": 64}])
    ecs.create_service(cluster="bench", serviceName="bench", taskDefinition="bench", desiredCount=0)
    for _ in range(10):  # warm the connection pool and moto's lazy paths
        ecs.describe_services(cluster="bench", services=["bench"])
    before = len((lab_dir / "calls.jsonl").read_text().splitlines())
    client_ms = []
    for _ in range(calls):
        started = time.perf_counter()
        ecs.describe_services(cluster="bench", services=["bench"])
        client_ms.append((time.perf_counter() - started) * 1000.0)
    logged = [json.loads(line) for line in (lab_dir / "calls.jsonl").read_text().splitlines()[before:]]
    server_ms = [record["ms"] for record in logged if record["operation"] == "DescribeServices"]
    return {
        "describe_services_p50_ms": round(percentile(client_ms, 0.50), 2),
        "describe_services_p99_ms": round(percentile(client_ms, 0.99), 2),
        "describe_services_server_p50_ms": round(percentile(server_ms, 0.50), 2),
        "describe_services_server_p99_ms": round(percentile(server_ms, 0.99), 2),
        "describe_services_mean_ms": round(statistics.fmean(client_ms), 2),
        "describe_services_calls": calls,
    }


def merge_results(path: Path, figures: dict[str, Any]) -> dict[str, Any]:
    """Add our keys to the results file, keeping every key another benchmark wrote."""
    try:
        current = json.loads(path.read_text())
    except (OSError, ValueError):
        current = {}
    current.update(figures)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(current, indent=2, sort_keys=True) + "\n")
    os.replace(tmp, path)
    return current


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="lab-bench-") as tmp:
        lab_dir = Path(tmp) / "lab"
        port = free_port()
        env = dict(
            os.environ,
            LAB_PORT=str(port),
            LAB_REGISTRY_PORT=str(free_port()),
            LAB_DIR=str(lab_dir),
            LAB_LOOPBACK_PREFIX="auto",  # the lab claims a free prefix (lab/loopback.py)
        )
        try:
            cold = timed_up(dict(env, PYTHONPYCACHEPREFIX=str(Path(tmp) / "pycache")))
            lab_cli(env, "down")
            warm = timed_up(env)
            latency = describe_services_latency(f"http://127.0.0.1:{port}", lab_dir, args.calls)
        finally:
            lab_cli(env, "down")
    figures = {
        "lab_up_cold_seconds": round(cold, 2),
        "lab_up_warm_seconds": round(warm, 2),
        **latency,
        "lab_core_measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "lab_core_machine": f"{platform.machine()} {os.cpu_count()} cpus, Python {platform.python_version()}",
    }
    merge_results(RESULTS, figures)
    print(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
