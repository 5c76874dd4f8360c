"""End to end: an ECS-native BLUE_GREEN deployment under load through the production listener rule.

``lab.loadgen`` sends about 100 requests a second to ``/version`` on the production listener while
the lab carries the service deployment out on real tasks and HAProxy. A PAUSE lifecycle hook at
POST_TEST_TRAFFIC_SHIFT holds it: production stays on blue while the test listener rule serves green.
Pages: "Amazon ECS blue/green service deployments workflow" (blue-green-deployment-how-it-works.html),
"Lifecycle hooks for Amazon ECS service deployments" (deployment-lifecycle-hooks.html),
ContinueServiceDeployment (API Reference).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from test_ecs_native_api import PROD_PORT, TEST_PORT, NativeWorld, cluster, images, pause_at

from lab.ecs.sampleimage import SampleImages
from lab.ecs.testkit import wait_for
from lab.loadgen import LoadGenerator, LoadReport

__all__ = ["cluster", "images"]  # module fixtures shared with the conformance tests

RATE = 100.0
MAX_LOAD_SECONDS = 600.0
AFTER_SECONDS = 5.0  # load kept up after the deployment ended, to see draining tasks drop nothing


@pytest.fixture
def world(lab: Any, cluster: str, images: SampleImages) -> Iterator[NativeWorld]:
    built = NativeWorld(lab, cluster, images)
    try:
        yield built
    finally:
        built.close()


def started_load(world: NativeWorld) -> LoadGenerator:
    """Load on the production listener once blue serves it (the listener binds with the service)."""
    world.create_service({"strategy": "BLUE_GREEN", "bakeTimeInMinutes": 0, "lifecycleHooks": [pause_at("POST_TEST_TRAFFIC_SHIFT")]}, desired=2)
    world.wait_version("1")
    load = LoadGenerator(world.url(PROD_PORT), rate=RATE, max_seconds=MAX_LOAD_SECONDS).start()
    wait_for("100 answers", lambda: load.report().total, lambda n: n >= 100, timeout=60, interval=0.2)
    return load


def assert_no_failures(report: LoadReport) -> None:
    assert report.total > 0
    assert report.failed == 0, f"{report.failed} of {report.total} requests failed, first: {report.failures(3)}"


def paused_deployment(world: NativeWorld) -> str:
    """UpdateService to v2: the deployment is held by its PAUSE hook once test traffic moved to green."""
    arn = world.deploy()
    world.wait_stage(arn, "POST_TEST_TRAFFIC_SHIFT", awaiting=True)
    world.wait_version("2", port=TEST_PORT)
    return arn


def test_blue_green_pause_then_continue_under_load(world: NativeWorld) -> None:
    """While the hook holds, every production answer is v1 and the test listener rule serves v2;
    after ContinueServiceDeployment(CONTINUE) /version flips to v2, blue is cleaned up, and no
    request fails."""
    load = started_load(world)
    try:
        arn = paused_deployment(world)
        time.sleep(2.0)
        held_until = time.monotonic()
        assert set(load.report().versions(until=held_until)) == {"1"}
        world.ecs.continue_service_deployment(serviceDeploymentArn=arn, hookId=world.hook_id(arn), action="CONTINUE")
        world.wait_version("2")
        done = world.wait_done(arn)
        time.sleep(AFTER_SECONDS)
    finally:
        report = load.stop()
    assert done["status"] == "SUCCESSFUL"
    assert_no_failures(report)
    assert report.last_version() == "2"
    assert report.versions(since=held_until)["2"] > 0
    assert world.running_task_definitions() == [world.td_v2, world.td_v2]


def test_blue_green_pause_then_rollback_under_load(world: NativeWorld) -> None:
    """ContinueServiceDeployment(ROLLBACK) at the POST_TEST_TRAFFIC_SHIFT hook: production never
    leaves blue, the test rule returns to blue, green is scaled down, and no request fails."""
    load = started_load(world)
    try:
        arn = paused_deployment(world)
        world.ecs.continue_service_deployment(serviceDeploymentArn=arn, hookId=world.hook_id(arn), action="ROLLBACK")
        done = world.wait_done(arn)
        world.wait_version("1", port=TEST_PORT)
        time.sleep(AFTER_SECONDS)
    finally:
        report = load.stop()
    assert done["status"] == "ROLLBACK_SUCCESSFUL"
    assert_no_failures(report)
    assert set(report.versions()) == {"1"}
    assert world.running_task_definitions() == [world.td_v1, world.td_v1]
    assert world.rule_weights(world.prod_rule) == {"blue": 100, "green": 0}


def test_blue_green_with_rules_forwarding_to_one_target_group_each_under_load(lab: Any, cluster: str, images: SampleImages) -> None:
    """Set up with the plain AWS API as AWS's pages do: each listener rule forwards to one target group,
    the production rule to blue and the test rule to green (migrate-code-deploy-to-ecs-blue-green.html), and
    ECS's BLUE_GREEN deployment rewrites the rules (blue-green-deployment-how-it-works.html, "Amazon ECS
    blue/green deployment workflow"). Under 50 requests a second on the production listener none fails."""
    world = NativeWorld(lab, cluster, images, one_group_rules=True)
    load = None
    try:
        world.create_service({"strategy": "BLUE_GREEN", "bakeTimeInMinutes": 0}, desired=2)
        world.wait_version("1")
        load = LoadGenerator(world.url(PROD_PORT), rate=50.0, max_seconds=MAX_LOAD_SECONDS).start()
        wait_for("50 answers", lambda: load.report().total, lambda n: n >= 50, timeout=60, interval=0.2)
        arn = world.deploy()
        done = world.wait_done(arn)
        world.wait_version("2")
        time.sleep(AFTER_SECONDS)
    finally:
        report = load.stop() if load is not None else None
        world.close()
    assert done["status"] == "SUCCESSFUL", done
    assert report is not None
    assert_no_failures(report)
    assert report.last_version() == "2"
