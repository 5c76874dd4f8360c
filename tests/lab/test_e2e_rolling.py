"""End to end: an awsvpc service of 2 tasks of the sample image behind an ALB,
updated by a rolling deployment under load, then broken and rolled back.

Follows https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-type-ecs.html
and https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-circuit-breaker.html.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lab.ecs.sampleimage import SampleImages, ensure_sample_images
from lab.ecs.testkit import (
    SAMPLE_PORT,
    describe_service,
    health_states,
    healthy_count,
    register_sample,
    rolling_steady,
    rolling_world,
    task_ip,
    wait_for,
)
from lab.loadgen import LoadGenerator

DESIRED = 2
DEPLOY_TIMEOUT = 180


@pytest.fixture(scope="module")
def images() -> SampleImages:
    return ensure_sample_images("podman")


@pytest.fixture(scope="module")
def world(lab: Any, images: SampleImages) -> dict[str, Any]:
    """Cluster, ALB and a 2-task service on v1, steady."""
    return rolling_world(lab, images.v1, "e2e", DESIRED, DEPLOY_TIMEOUT, deploymentCircuitBreaker={"enable": True, "rollback": True})


def steady(service: dict[str, Any]) -> bool:
    return rolling_steady(service, DESIRED)


def get_version(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.loads(response.read())["version"]


class HealthWatch:
    """Samples DescribeTargetHealth (bounded) and keeps the fewest healthy targets seen."""

    def __init__(self, elbv2: Any, target_group_arn: str, max_samples: int = 3000) -> None:
        self.elbv2 = elbv2
        self.target_group_arn = target_group_arn
        self.max_samples = max_samples
        self.fewest: int | None = None
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set() and self.samples < self.max_samples:
            count = healthy_count(self.elbv2, self.target_group_arn)
            self.samples += 1
            self.fewest = count if self.fewest is None else min(self.fewest, count)
            self._stop.wait(0.2)

    def __enter__(self) -> HealthWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(10)


@pytest.fixture
def load(world: dict[str, Any]) -> Iterator[LoadGenerator]:
    generator = LoadGenerator(world["url"], rate=100, max_seconds=300).start()
    yield generator
    generator.stop()


def test_service_answers_from_real_containers(world: dict[str, Any]) -> None:
    """/version through the listener answers from the tasks; the target group holds
    exactly the tasks' addresses, both healthy."""
    ecs, elbv2 = world["ecs"], world["elbv2"]
    assert get_version(world["url"]) == "1"
    arns = ecs.list_tasks(cluster=world["cluster"], serviceName=world["service"])["taskArns"]
    tasks = ecs.describe_tasks(cluster=world["cluster"], tasks=arns)["tasks"]
    assert len(tasks) == DESIRED and all(t["lastStatus"] == "RUNNING" for t in tasks)
    assert health_states(elbv2, world["alb"]["tg"]) == {f"{task_ip(t)}:{SAMPLE_PORT}": "healthy" for t in tasks}
    for task in tasks:
        with urllib.request.urlopen(f"http://{task_ip(task)}:{SAMPLE_PORT}/version", timeout=5) as response:
            assert b'"version": "1"' in response.read()


def test_aws_cli_waits_for_the_service_to_be_stable(lab: Any, world: dict[str, Any]) -> None:
    """https://docs.aws.amazon.com/cli/latest/reference/ecs/wait/services-stable.html

    A real client: the AWS CLI's ``aws ecs wait services-stable`` (DescribeServices until one
    deployment whose running count equals the desired count) returns 0 against the lab."""
    aws = Path(sys.executable).parent / "aws"
    command = [str(aws), "ecs", "wait", "services-stable", "--cluster", world["cluster"], "--services", world["service"]]
    waited = subprocess.run([*command, "--endpoint-url", lab.url, "--region", "us-east-1"], env=lab.env, capture_output=True, text=True, timeout=300)
    assert waited.returncode == 0, waited.stderr


def test_rolling_update_under_load_drops_nothing(world: dict[str, Any], images: SampleImages, load: LoadGenerator) -> None:
    """Updating to v2 with min 100 % / max 200 %: new tasks are registered and
    healthy before old ones drain; no request fails, never fewer than 2 healthy
    targets, and traffic ends on v2."""
    ecs, elbv2 = world["ecs"], world["elbv2"]
    v2 = register_sample(ecs, world["family"], images.v2, env={"SHUTDOWN_TIMEOUT": "5"})
    with HealthWatch(elbv2, world["alb"]["tg"]) as watch:
        updated = ecs.update_service(cluster=world["cluster"], service=world["service"], taskDefinition=v2)["service"]
        assert [d["status"] for d in updated["deployments"]] == ["PRIMARY", "ACTIVE"]
        assert updated["deployments"][0]["rolloutState"] == "IN_PROGRESS"
        final = wait_for("the rollout to complete", lambda: describe_service(ecs, world["cluster"], world["service"]), steady, timeout=DEPLOY_TIMEOUT)
        completed_at = time.monotonic()
        wait_for("load after the rollout", lambda: load.report().total, lambda n: n > 0 and load.report().samples[-1].started > completed_at + 2, timeout=30)
    report = load.stop()
    assert final["taskDefinition"] == v2
    assert report.failed == 0, report.failures()
    assert report.total >= 500
    assert watch.fewest is not None and watch.fewest >= DESIRED, f"fewest healthy targets: {watch.fewest}"
    assert set(report.versions()) == {"1", "2"}
    assert set(report.versions(since=completed_at)) == {"2"}
    # events of this rollout only (newest first, up to the previous steady state)
    messages = [e["message"] for e in final["events"]]
    label = f"(service {world['service']})"
    assert messages[0] == f"{label} has reached a steady state."
    rollout = messages[1 : messages.index(f"{label} has reached a steady state.", 1)]
    group = re.escape(f"(target-group {world['alb']['tg']})")
    assert counted(rollout, rf"{re.escape(label)} has started (\d+) tasks: ") == DESIRED
    assert counted(rollout, rf"{re.escape(label)} registered (\d+) targets in {group}") == DESIRED
    assert counted(rollout, rf"{re.escape(label)} has begun draining connections on (\d+) tasks\.") == DESIRED
    assert counted(rollout, rf"{re.escape(label)} deregistered (\d+) targets in {group}") == DESIRED
    assert counted(rollout, rf"{re.escape(label)} has stopped (\d+) running tasks: ") == DESIRED
    assert any(m.endswith("deployment completed.") for m in rollout)


def counted(messages: list[str], pattern: str) -> int:
    """Sum of the counts in the messages matching ``pattern`` (ECS batches them per moment)."""
    return sum(int(match.group(1)) for m in messages if (match := re.match(pattern, m)))


def test_broken_image_trips_the_circuit_breaker_and_rolls_back(world: dict[str, Any], images: SampleImages, load: LoadGenerator) -> None:
    """A release whose container exits at start fails the deployment
    ("tasks failed to start.") and ECS rolls back to the last COMPLETED one."""
    ecs = world["ecs"]
    before = describe_service(ecs, world["cluster"], world["service"])
    good = before["taskDefinition"]
    broken = register_sample(ecs, world["family"], images.broken)
    seen_failed: list[dict[str, Any]] = []

    def probe() -> dict[str, Any]:
        service = describe_service(ecs, world["cluster"], world["service"])
        seen_failed.extend(d for d in service["deployments"] if d["rolloutState"] == "FAILED")
        return service

    ecs.update_service(cluster=world["cluster"], service=world["service"], taskDefinition=broken)
    wait_for(
        "the circuit breaker", probe, lambda s: any("deployment failed: tasks failed to start." in e["message"] for e in s["events"]), timeout=DEPLOY_TIMEOUT
    )
    final = wait_for("the rollback to complete", probe, lambda s: steady(s) and s["taskDefinition"] == good, timeout=DEPLOY_TIMEOUT)
    report = load.stop()
    assert seen_failed and seen_failed[0]["rolloutStateReason"] == "ECS deployment circuit breaker: tasks failed to start."
    assert seen_failed[0]["taskDefinition"] == broken
    assert seen_failed[0]["failedTasks"] >= 3
    rolled_back_to = before["deployments"][0]["id"]
    assert final["deployments"][0]["id"] == rolled_back_to
    assert any(e["message"] == f"(service {world['service']}) rolling back to deployment {rolled_back_to}." for e in final["events"])
    assert get_version(world["url"]) == "2"
    assert report.failed == 0, report.failures()
    assert healthy_count(world["elbv2"], world["alb"]["tg"]) == DESIRED
