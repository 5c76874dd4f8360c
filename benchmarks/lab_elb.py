"""Figures for the lab's ELB data plane: failed requests while targets and weights change under load.

Runs its own haproxy in a temp directory with HTTP targets on loopback (never a
user's lab), sends about ``--rate`` requests a second through one listener and,
for ``--rounds`` rounds, registers a target, deregisters one (it drains, then
goes), shifts the blue/green weights and adds a rule (a seamless reload).
Keep-alive and connection-per-request clients run side by side. Merges its
``elb_*`` keys into bench-results/lab.json.

    .venv/bin/python benchmarks/lab_elb.py [--rounds 5] [--rate 100]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from lab_core import RESULTS, merge_results  # noqa: E402 - a sibling script, not a package

from lab.elb.haproxy import HAProxyDataPlane  # noqa: E402
from lab.elb.model import DEFAULT_PRIORITY, Action, Condition, ElbWorld, HealthCheck, Listener, LoadBalancer, Rule, Target, TargetGroup, WeightedGroup  # noqa: E402
from lab.elb.testkit import TargetServer, free_port  # noqa: E402
from lab.loadgen import LoadGenerator, LoadReport  # noqa: E402

ADDRESS_PREFIX = "127.43"  # outside the lab's pools and the tests' 127.42
HEALTH = HealthCheck(path="/health", interval=0.2, timeout=0.15, healthy_threshold=2, unhealthy_threshold=2)
DRAIN_SECONDS = 0.5
LISTENER = "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/bench/1/1"


def group(name: str, servers: list[TargetServer]) -> TargetGroup:
    arn = f"arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/{name}/1"
    return TargetGroup(arn, name, "HTTP", 80, HEALTH, DRAIN_SECONDS, tuple(Target(s.address, s.port) for s in servers))


def build_world(address: str, port: int, blue: TargetGroup, green: TargetGroup, green_weight: int, rules: int) -> ElbWorld:
    extra = tuple(
        Rule(f"{LISTENER}/r{i}", i + 1, (Condition("path-pattern", (f"/r{i}",)),), Action("fixed-response", status=200, body="r")) for i in range(rules)
    )
    default = Rule(
        f"{LISTENER}/default", DEFAULT_PRIORITY, (), Action("forward", (WeightedGroup(blue.arn, 100 - green_weight), WeightedGroup(green.arn, green_weight)))
    )
    listener = Listener(LISTENER, port, "HTTP", (*extra, default))
    return ElbWorld(
        (LoadBalancer("arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/bench/1", "bench", "application", address, (listener,)),),
        (blue, green),
    )


def settle(plane: HAProxyDataPlane, world: ElbWorld, groups: list[TargetGroup], timeout: float = 20.0) -> float:
    """Apply until every target is healthy and no drain is left; returns the seconds it took."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        plane.apply(world)
        healthy = all({h.state for h in plane.target_health(g.arn).values()} == {"healthy"} for g in groups)
        if healthy and not plane.needs_attention():
            return time.monotonic() - started
        time.sleep(0.05)
    raise SystemExit("the data plane did not settle")


def timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return (time.perf_counter() - started) * 1000.0


def run(rounds: int, rate: float) -> dict[str, object]:
    directory = Path(tempfile.mkdtemp(prefix="elb-bench-", dir="/tmp"))
    servers: list[TargetServer] = []
    plane = HAProxyDataPlane(directory)

    def start(name: str, index: int) -> TargetServer:
        server = TargetServer(name, f"{ADDRESS_PREFIX}.{2 if name == 'blue' else 3}.{index}").start()
        server.delay = 0.02  # requests are in flight at every change
        servers.append(server)
        return server

    address = f"{ADDRESS_PREFIX}.1.1"
    port = free_port(address)
    blue_servers = [start("blue", 1), start("blue", 2)]
    green_servers = [start("green", 1)]
    next_index = {"blue": 3, "green": 2}
    counts = {"target_adds": 0, "target_removes": 0, "weight_changes": 0, "reloads": 0}
    timings: dict[str, list[float]] = {"weight_commit_ms": [], "reload_ms": [], "add_to_healthy_s": [], "drain_to_gone_s": []}
    try:
        blue, green = group("blue", blue_servers), group("green", green_servers)
        rules = 0
        settle(plane, build_world(address, port, blue, green, 0, rules), [blue, green])
        loads = [
            LoadGenerator(f"http://{address}:{port}/", rate=rate / 2, workers=5, keepalive=True).start(),
            LoadGenerator(f"http://{address}:{port}/", rate=rate / 2, workers=5, keepalive=False).start(),
        ]
        started = time.monotonic()
        try:
            for round_number in range(rounds):
                weight = 0 if round_number % 2 == 0 else 100
                for name, members in (("blue", blue_servers), ("green", green_servers)):
                    members.append(start(name, next_index[name]))
                    next_index[name] += 1
                blue, green = group("blue", blue_servers), group("green", green_servers)
                timings["add_to_healthy_s"].append(settle(plane, build_world(address, port, blue, green, weight, rules), [blue, green]))
                counts["target_adds"] += 2
                blue_servers.pop(0)
                green_servers.pop(0)
                blue, green = group("blue", blue_servers), group("green", green_servers)
                timings["drain_to_gone_s"].append(settle(plane, build_world(address, port, blue, green, weight, rules), [blue, green]))
                counts["target_removes"] += 2
                for shifted in (10, 50, 90, 100 - weight):
                    world = build_world(address, port, blue, green, shifted, rules)
                    timings["weight_commit_ms"].append(timed(lambda world=world: plane.apply(world)))
                    counts["weight_changes"] += 1
                    time.sleep(0.3)
                rules += 1
                world = build_world(address, port, blue, green, 100 - weight, rules)
                timings["reload_ms"].append(timed(lambda world=world: plane.apply(world)))
                counts["reloads"] += 1
                time.sleep(0.3)
        finally:
            results: list[LoadReport] = [load.stop() for load in loads]
        elapsed = time.monotonic() - started
    finally:
        plane.stop()
        for server in servers:
            server.stop()
        shutil.rmtree(directory, ignore_errors=True)
    sent = sum(r.total for r in results)
    failed = sum(r.failed for r in results)
    errors = [e for r in results for e in r.failures()][:5]
    return {
        "elb_requests_during_changes": sent,
        "elb_failed_requests_during_changes": failed,
        "elb_failed_requests_keepalive": results[0].failed,
        "elb_failed_requests_new_connections": results[1].failed,
        "elb_request_rate_rps": round(sent / elapsed, 1),
        **{f"elb_{key}": value for key, value in counts.items()},
        "elb_weight_commit_p50_ms": round(statistics.median(timings["weight_commit_ms"]), 1),
        "elb_reload_p50_ms": round(statistics.median(timings["reload_ms"]), 1),
        "elb_new_target_healthy_p50_s": round(statistics.median(timings["add_to_healthy_s"]), 2),
        "elb_drain_to_removed_p50_s": round(statistics.median(timings["drain_to_gone_s"]), 2),
        "elb_errors_sample": errors,
        "elb_settings": f"checks every {HEALTH.interval}s, rise {HEALTH.healthy_threshold}, drain {DRAIN_SECONDS}s, targets answer in 20 ms",
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--rate", type=float, default=100.0)
    args = parser.parse_args()
    if shutil.which("haproxy") is None:
        raise SystemExit("haproxy is not installed")
    figures = run(args.rounds, args.rate)
    figures["elb_measured_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    figures["elb_machine"] = f"{platform.machine()} {os.cpu_count()} cpus, Python {platform.python_version()}, {haproxy_version()}"
    merge_results(RESULTS, figures)
    print(json.dumps(figures, indent=2))
    return 0 if figures["elb_failed_requests_during_changes"] == 0 else 1


def haproxy_version() -> str:
    first = subprocess.run(["haproxy", "-v"], capture_output=True, text=True, timeout=10).stdout.splitlines()
    return first[0].split(" - ")[0] if first else "haproxy"


if __name__ == "__main__":
    sys.exit(main())
