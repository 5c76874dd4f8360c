"""cutover.ecs.deploy and deployment_info, strategy rolling, through real ansible against the
lab (real tasks and HAProxy; the lab's ECS controller runs the rolling update and the
circuit breaker).

One ECS-controller service, in file order: check mode, v1 -> v2 (production flips), the
re-run (no mutating call), a broken release that the circuit breaker rolls back, bad input
(no mutating call).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from moto_counting_server import mutating_calls

from lab.ecs.sampleimage import SampleImages, ensure_sample_images
from lab.ecs.testkit import (
    SAMPLE_PORT,
    awsvpc,
    create_alb,
    default_subnets,
    describe_service,
    register_sample,
    rolling_steady,
    unique,
    version_at,
    wait_for,
)

WAIT = {"wait_timeout": 300, "poll_interval": 1}


class RollingWorld:
    def __init__(self, lab: Any, images: SampleImages) -> None:
        self.name = unique("roll")
        self.cluster = self.name
        self.ecs = lab.client("ecs")
        ec2, elbv2 = lab.client("ec2"), lab.client("elbv2")
        self.ecs.create_cluster(clusterName=self.cluster)
        subnets = default_subnets(ec2)
        alb = create_alb(elbv2, ec2, subnets, self.name, deregistration_delay=2)
        self.url = f"http://{alb['dns']}:80/version"
        self.td_v1 = register_sample(self.ecs, self.name, images.v1)
        self.td_v2 = register_sample(self.ecs, self.name, images.v2)
        self.td_broken = register_sample(self.ecs, self.name, images.broken)
        self.ecs.create_service(
            cluster=self.cluster,
            serviceName=self.name,
            taskDefinition=self.td_v1,
            desiredCount=1,
            launchType="FARGATE",
            networkConfiguration=awsvpc(subnets),
            loadBalancers=[{"targetGroupArn": alb["tg"], "containerName": "app", "containerPort": SAMPLE_PORT}],
            deploymentConfiguration={"maximumPercent": 200, "minimumHealthyPercent": 100, "deploymentCircuitBreaker": {"enable": True, "rollback": True}},
        )
        self.wait_version("1")
        # serving v1 comes a moment before ECS calls the creation's rollout COMPLETED; a deploy before that
        # meets a deployment in progress (it failed so in CI under load)
        wait_for("the creation's rollout COMPLETED", lambda: describe_service(self.ecs, self.cluster, self.name), lambda s: rolling_steady(s, 1), timeout=120)

    def args(self, **extra: Any) -> dict:
        return {"cluster": self.cluster, "service": self.name, **WAIT, **extra}

    def wait_version(self, wanted: str, samples: int = 5) -> None:
        streak = {"n": 0}

        def probe() -> int:
            streak["n"] = streak["n"] + 1 if version_at(self.url) == wanted else 0
            return streak["n"]

        wait_for(f"{samples} answers of version {wanted}", probe, lambda n: n >= samples, timeout=120, interval=0.2)


@pytest.fixture(scope="module")
def world(module_lab: Any) -> Iterator[RollingWorld]:
    built = RollingWorld(module_lab, ensure_sample_images("podman"))
    yield built
    built.ecs.update_service(cluster=built.cluster, service=built.name, desiredCount=0)


def test_check_mode_plans_without_mutating(world: RollingWorld, run_module_on_lab: Any) -> None:
    result, calls = run_module_on_lab("deploy", world.args(task_definition=world.td_v2), check=True)
    assert result.get("failed") is not True, result
    assert (result["changed"], result["status"], result["strategy"], result["plan"]["action"]) == (True, "planned", "rolling", "start")
    assert result["previous_task_definition"] == world.td_v1
    assert result["plan"]["traffic"]["steps"] == [] and result["plan"]["traffic"]["line"].startswith("rolling update: tasks replaced")
    assert mutating_calls(calls) == []


def test_rolling_v1_to_v2(world: RollingWorld, run_module_on_lab: Any) -> None:
    result, calls = run_module_on_lab("deploy", world.args(task_definition=world.td_v2))
    assert result.get("failed") is not True, result
    assert (result["changed"], result["status"], result["rolled_back"]) == (True, "succeeded", False)
    assert (result["previous_task_definition"], result["task_definition"]) == (world.td_v1, world.td_v2)
    assert result["deployment_id"].startswith("ecs-svc/")
    assert result["phases"][0]["name"] == "rollout" and result["phases"][0]["status"] == "COMPLETED"
    assert result["weights"] == {"blue": 0.0, "green": 100.0}
    assert result["progress"]
    assert mutating_calls(calls) == ["ecs:UpdateService"]
    world.wait_version("2")


def test_rerun_changes_nothing(world: RollingWorld, run_module_on_lab: Any) -> None:
    result, calls = run_module_on_lab("deploy", world.args(task_definition=world.td_v2.split("/")[-1]))
    assert result.get("failed") is not True, result
    assert (result["changed"], result["status"]) == (False, "succeeded")
    assert mutating_calls(calls) == []


def test_deployment_info(world: RollingWorld, run_module_on_lab: Any) -> None:
    result, calls = run_module_on_lab("deployment_info", {"cluster": world.cluster, "service": world.name})
    assert result.get("failed") is not True, result
    assert (result["exists"], result["status"], result["strategy"], result["task_definition"]) == (True, "succeeded", "rolling", world.td_v2)
    assert mutating_calls(calls) == []


def test_broken_release_is_rolled_back_by_the_circuit_breaker(world: RollingWorld, run_module_on_lab: Any) -> None:
    result, calls = run_module_on_lab("deploy", world.args(task_definition=world.td_broken))
    assert result.get("failed") is True, json.dumps(result, default=str)
    assert (result["status"], result["rolled_back"]) == ("rolled_back", True), result
    assert "tasks failed to start" in result["msg"], result["msg"]
    assert result["rollback_reason"]
    assert mutating_calls(calls) == ["ecs:UpdateService"]
    world.wait_version("2")
    # ECS drops the failed deployment once the rollback completes: the current one is v2 again
    info, _calls = run_module_on_lab("deployment_info", {"cluster": world.cluster, "service": world.name})
    assert (info["status"], info["task_definition"]) == ("succeeded", world.td_v2), info


@pytest.mark.parametrize(
    "extra, message",
    [
        ({"verify": True}, "verify=true needs a test listener"),
        ({"traffic": {"type": "canary", "percent": 10, "interval_minutes": 1}}, "traffic applies to the codedeploy strategy only"),
        ({"strategy": "codedeploy"}, "needs a service with the CODE_DEPLOY deployment controller"),
        ({"container_name": "nope"}, "container_name nope is not a container"),
        ({"task_definition": "no-such-family:1"}, "does not exist"),
    ],
)
def test_bad_input_fails_before_any_change(world: RollingWorld, run_module_on_lab: Any, extra: dict, message: str) -> None:
    result, calls = run_module_on_lab("deploy", world.args(**{"task_definition": world.td_v1, **extra}))
    assert result.get("failed") is True, result
    assert message in result["msg"]
    assert mutating_calls(calls) == []
