"""End to end: CodeDeploy ECS blue/green deployments under load through the production listener.

A load generator sends about 100 requests a second to ``/version`` on the production
listener while the lab carries a deployment out on real tasks and HAProxy. Pages followed:
"Deployments on an Amazon ECS compute platform" (deployment-steps-ecs.html), "Working with
deployment configurations in CodeDeploy" (deployment-configurations.html), ContinueDeployment
and StopDeployment (API Reference), "Monitoring deployments with CloudWatch alarms in
CodeDeploy" (monitoring-create-alarms.html).
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from test_codedeploy_engine_api import PROD_PORT, ROLLBACK_ALL, SETTLE, TEST_PORT, BlueGreenWorld, cluster, images, lab_minutes, time_scale

from lab.ecs.sampleimage import SampleImages
from lab.ecs.testkit import unique, wait_for
from lab.loadgen import LoadGenerator

__all__ = ["cluster", "images"]  # module fixtures shared with the conformance tests

CANARY_HOLD_SECONDS = 20.0


@pytest.fixture
def world(lab: Any, cluster: str, images: SampleImages) -> Iterator[BlueGreenWorld]:
    built = BlueGreenWorld(lab, cluster, images, desired=2)
    try:
        yield built
    finally:
        built.close()


def aws_cli() -> list[str]:
    return [str(Path(sys.executable).parent / "aws")]


def assert_no_failures(load: LoadGenerator) -> None:
    report = load.report()
    assert report.failed == 0, f"{report.failed} of {report.total} requests failed, first: {report.failures(3)}"


def test_all_at_once_under_load(lab: Any, world: BlueGreenWorld) -> None:
    """AllAtOnce v1 -> v2 with a termination wait: no request fails, /version flips to 2, the
    test listener serves green, and the blue task set is gone once the wait is over. The AWS
    CLI's ``aws deploy wait deployment-successful`` follows the deployment to Succeeded."""
    group = world.group(termination_minutes=1)
    blue_task_set = world.task_sets()[0]["id"]
    with LoadGenerator(world.url(PROD_PORT)) as load:
        load.wait_count(100)
        deployment_id = world.create_deployment(group)
        waited = subprocess.run(
            [*aws_cli(), "deploy", "wait", "deployment-successful", "--deployment-id", deployment_id, "--endpoint-url", lab.url, "--region", "us-east-1"],
            env=lab.env,
            capture_output=True,
            text=True,
            timeout=4 * SETTLE + 120 / time_scale(),
        )
        assert waited.returncode == 0, waited.stderr
        world.wait_version("2", port=TEST_PORT)
        world.wait_version("2", port=PROD_PORT)
        load.wait_count(load.count + 200)
    assert_no_failures(load)
    versions = load.report().sequence()
    assert versions[:50] == ["1"] * 50 and versions[-50:] == ["2"] * 50
    assert set(versions) == {"1", "2"}
    assert world.info(deployment_id)["status"] == "Succeeded"
    assert [(ts["status"], ts["externalId"]) for ts in world.task_sets()] == [("PRIMARY", deployment_id)]
    assert blue_task_set not in {ts["id"] for ts in world.task_sets()}
    wait_for("blue target group drained", lambda: world.healthy(world.blue_tg), lambda n: n == 0, timeout=SETTLE)


def test_canary_holds_ten_percent(lab: Any, world: BlueGreenWorld) -> None:
    """TimeBasedCanary 10 percent (deployment-configurations.html): while the canary holds,
    about a tenth of production requests reach v2 (10 % +- 5 %)."""
    config = unique("canary")
    interval = lab_minutes(CANARY_HOLD_SECONDS)
    world.deploy.create_deployment_config(
        deploymentConfigName=config,
        computePlatform="ECS",
        trafficRoutingConfig={"type": "TimeBasedCanary", "timeBasedCanary": {"canaryPercentage": 10, "canaryInterval": interval}},
    )
    group = world.group()
    with LoadGenerator(world.url(PROD_PORT)) as load:
        load.wait_count(100)
        deployment_id = world.create_deployment(group, deploymentConfigName=config)
        wait_for("canary at 10 %", lambda: world.weights(deployment_id), lambda w: w.get("Green") == 10.0, timeout=2 * SETTLE, interval=0.2)
        canary_seen = time.monotonic()
        last_canary = canary_seen
        while world.weights(deployment_id).get("Green") == 10.0 and time.monotonic() - canary_seen < 2 * CANARY_HOLD_SECONDS + interval * 60 / time_scale():
            last_canary = time.monotonic()
            time.sleep(0.2)
        assert world.wait_status(deployment_id, "Succeeded", "Failed", "Stopped")["status"] == "Succeeded"
        world.wait_version("2")
    assert_no_failures(load)
    # HAProxy follows a weight change within a reconcile tick or two: leave the first seconds out
    window = load.report().sequence(canary_seen + 2.0, last_canary)
    assert len(window) >= 300, f"only {len(window)} answers while the canary held"
    share = window.count("2") / len(window)
    print(f"canary: v2 answered {share:.3f} of {len(window)} requests while the canary held")
    assert 0.05 <= share <= 0.15, f"v2 share during the canary was {share:.3f} of {len(window)}"


def test_stop_deployment_keeps_prod_on_blue_until_continue(world: BlueGreenWorld) -> None:
    """deploymentReadyOption STOP_DEPLOYMENT (DeploymentReadyOption, ContinueDeployment): while the
    deployment is Ready, production stays on blue and the test listener serves green."""
    group = world.group(ready={"actionOnTimeout": "STOP_DEPLOYMENT", "waitTimeInMinutes": 600})
    with LoadGenerator(world.url(PROD_PORT)) as load:
        load.wait_count(100)
        deployment_id = world.create_deployment(group)
        world.wait_status(deployment_id, "Ready", timeout=2 * SETTLE)
        world.wait_version("2", port=TEST_PORT)
        load.wait_count(load.count + 300)
        continued = time.monotonic()
        assert set(load.report().sequence(until=continued)) == {"1"}
        world.deploy.continue_deployment(deploymentId=deployment_id, deploymentWaitType="READY_WAIT")
        assert world.wait_status(deployment_id, "Succeeded", "Failed", "Stopped")["status"] == "Succeeded"
        world.wait_version("2")
    assert_no_failures(load)


def test_ready_with_green_still_initial_fails_open_on_the_test_listener(lab: Any, cluster: str, images: SampleImages) -> None:
    """Paused at Ready (STOP_DEPLOYMENT), green's targets are still ``initial``: the test listener
    answers 200 from green all the same, and DescribeTargetHealth still says ``initial``.

    The test listener forwards to blue until AllowTestTraffic moves it, so green's target group
    serves no listener while green is installed (its targets ``unused``: no health checks, and
    ECS counts the task set steady on its tasks running). AWS's ALB documentation
    (target-group-health-checks.html): "If a target group contains only unhealthy registered
    targets, the load balancer routes requests to all those targets". Green's checks here fail
    (UnhealthyThresholdCount 10), so its targets stay ``initial`` for ten checks; with its
    check fixed, ContinueDeployment moves production over with no failed request."""
    world = BlueGreenWorld(lab, cluster, images, desired=2, test_listener_on_green=False)
    try:
        world.elbv2.modify_target_group(
            TargetGroupArn=world.green_tg, HealthCheckPath="/not-served", HealthCheckIntervalSeconds=300, UnhealthyThresholdCount=10
        )
        group = world.group(ready={"actionOnTimeout": "STOP_DEPLOYMENT", "waitTimeInMinutes": 600})
        with LoadGenerator(world.url(PROD_PORT)) as load:
            load.wait_count(100)
            deployment_id = world.create_deployment(group)
            world.wait_status(deployment_id, "Ready", timeout=2 * SETTLE)
            # the load balancer takes the listener change a moment after ModifyListener, as on AWS
            wait_for("the test listener off blue", lambda: world.version(TEST_PORT), lambda v: v != "1", timeout=SETTLE, interval=0.1)
            answers = [world.version(TEST_PORT) for _ in range(20)]
            health = world.elbv2.describe_target_health(TargetGroupArn=world.green_tg)["TargetHealthDescriptions"]
            assert answers == ["2"] * 20, f"the test listener answered {answers}"
            assert len(health) == 2
            assert {(h["TargetHealth"]["State"], h["TargetHealth"].get("Reason")) for h in health} == {("initial", "Elb.InitialHealthChecking")}
            assert set(load.report().sequence()) == {"1"}

            world.elbv2.modify_target_group(TargetGroupArn=world.green_tg, HealthCheckPath="/healthcheck", HealthCheckIntervalSeconds=5)
            world.wait_healthy(world.green_tg, 2)
            world.deploy.continue_deployment(deploymentId=deployment_id, deploymentWaitType="READY_WAIT")
            assert world.wait_status(deployment_id, "Succeeded", "Failed", "Stopped")["status"] == "Succeeded"
            world.wait_version("2")
        assert_no_failures(load)
    finally:
        world.close()


def test_stop_with_rollback_returns_prod_to_blue(world: BlueGreenWorld) -> None:
    """StopDeployment with autoRollbackEnabled after traffic moved: production returns to blue
    (the rollback deployment) and no request fails."""
    group = world.group(termination_minutes=600)
    with LoadGenerator(world.url(PROD_PORT)) as load:
        load.wait_count(100)
        deployment_id = world.create_deployment(group)
        world.wait_event(deployment_id, "AfterAllowTraffic", timeout=2 * SETTLE)
        world.wait_version("2")
        world.deploy.stop_deployment(deploymentId=deployment_id, autoRollbackEnabled=True)
        rollback_id = world.info(deployment_id)["rollbackInfo"]["rollbackDeploymentId"]
        assert world.wait_status(rollback_id, "Succeeded", "Failed")["status"] == "Succeeded"
        world.wait_version("1")
        load.wait_count(load.count + 300)
    assert_no_failures(load)
    assert load.report().sequence()[-100:] == ["1"] * 100
    assert [ts["taskDefinition"] for ts in world.task_sets()] == [world.td_v1]


def test_alarm_in_the_termination_wait_returns_prod_to_blue(world: BlueGreenWorld) -> None:
    """A CloudWatch alarm of the group entering ALARM during the termination wait stops the
    deployment and, with DEPLOYMENT_STOP_ON_ALARM, rolls production back to blue; no request fails."""
    alarm = world.alarm(unique("cd-e2e"))
    group = world.group(
        termination_minutes=600,
        alarmConfiguration={"enabled": True, "alarms": [{"name": alarm}]},
        autoRollbackConfiguration=ROLLBACK_ALL,
    )
    with LoadGenerator(world.url(PROD_PORT)) as load:
        load.wait_count(100)
        deployment_id = world.create_deployment(group)
        world.wait_event(deployment_id, "AfterAllowTraffic", timeout=2 * SETTLE)
        world.wait_version("2")
        assert world.info(deployment_id)["instanceTerminationWaitTimeStarted"] is True
        world.cloudwatch.set_alarm_state(AlarmName=alarm, StateValue="ALARM", StateReason="5xx in the lab")
        info = world.wait_status(deployment_id, "Stopped", "Failed", "Succeeded")
        assert (info["status"], info["errorInformation"]["code"]) == ("Stopped", "ALARM_ACTIVE")
        assert world.wait_status(info["rollbackInfo"]["rollbackDeploymentId"], "Succeeded", "Failed")["status"] == "Succeeded"
        world.wait_version("1")
        load.wait_count(load.count + 300)
    assert_no_failures(load)
    assert load.report().sequence()[-100:] == ["1"] * 100
