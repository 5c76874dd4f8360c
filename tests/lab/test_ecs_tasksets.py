"""Conformance: task sets of services with the EXTERNAL and CODE_DEPLOY deployment controllers.

Pages followed:
- https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-type-external.html
- https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_CreateTaskSet.html
- https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_TaskSet.html
"""

from __future__ import annotations

from typing import Any

import pytest

from lab.ecs.sampleimage import SampleImages, ensure_sample_images
from lab.ecs.testkit import SAMPLE_PORT, awsvpc, create_alb, default_subnets, health_states, register_sample, task_ip, unique, wait_for

TIMEOUT = 180


@pytest.fixture(scope="module")
def images() -> SampleImages:
    return ensure_sample_images("podman")


@pytest.fixture(scope="module")
def env(lab: Any) -> dict[str, Any]:
    ecs, ec2 = lab.client("ecs"), lab.client("ec2")
    cluster = unique("ts")
    ecs.create_cluster(clusterName=cluster)
    subnets = default_subnets(ec2)
    return {"ecs": ecs, "ec2": ec2, "elbv2": lab.client("elbv2"), "cluster": cluster, "subnets": subnets, "network": awsvpc(subnets)}


def task_set(env: dict[str, Any], service: str, arn: str) -> dict[str, Any]:
    return env["ecs"].describe_task_sets(cluster=env["cluster"], service=service, taskSets=[arn])["taskSets"][0]


def steady_at(count: int) -> Any:
    return lambda ts: (
        ts["stabilityStatus"] == "STEADY_STATE" and ts["computedDesiredCount"] == count and ts["runningCount"] == count and ts["pendingCount"] == 0
    )


def test_create_task_set_is_rejected_on_an_ecs_controller_service(env: dict[str, Any], images: SampleImages) -> None:
    """API_CreateTaskSet.html: task sets are for services with an external deployment controller."""
    task_definition = register_sample(env["ecs"], unique("ecsctl"), images.v1)
    name = unique("s")
    env["ecs"].create_service(
        cluster=env["cluster"], serviceName=name, taskDefinition=task_definition, desiredCount=0, launchType="FARGATE", networkConfiguration=env["network"]
    )
    with pytest.raises(
        env["ecs"].exceptions.InvalidParameterException,
        match="Amazon ECS only supports task set management on services configured to use external deployment controllers.",
    ):
        env["ecs"].create_task_set(cluster=env["cluster"], service=name, taskDefinition=task_definition, networkConfiguration=env["network"])
    env["ecs"].delete_service(cluster=env["cluster"], service=name, force=True)


def test_external_task_set_scale_runs_tasks_in_its_target_group(env: dict[str, Any], images: SampleImages) -> None:
    """deployment-type-external.html: a task set runs scale x desiredCount tasks,
    registered in its load balancer's target group; stabilityStatus turns
    STEADY_STATE when they run; scaling it down stops tasks; deleting it stops the rest."""
    ecs = env["ecs"]
    alb = create_alb(env["elbv2"], env["ec2"], env["subnets"], unique("ts"), deregistration_delay=1)
    name = unique("ext")
    ecs.create_service(cluster=env["cluster"], serviceName=name, desiredCount=2, deploymentController={"type": "EXTERNAL"})
    task_definition = register_sample(ecs, unique("ext"), images.v1)
    created = ecs.create_task_set(
        cluster=env["cluster"],
        service=name,
        taskDefinition=task_definition,
        launchType="FARGATE",
        networkConfiguration=env["network"],
        loadBalancers=[{"targetGroupArn": alb["tg"], "containerName": "app", "containerPort": SAMPLE_PORT}],
        scale={"value": 100.0, "unit": "PERCENT"},
    )["taskSet"]
    assert created["stabilityStatus"] == "STABILIZING" and created["computedDesiredCount"] == 2
    arn, set_id = created["taskSetArn"], created["id"]
    steady = wait_for("the task set to be steady", lambda: task_set(env, name, arn), steady_at(2), timeout=TIMEOUT)
    assert steady["scale"] == {"value": 100.0, "unit": "PERCENT"}
    tasks = ecs.describe_tasks(cluster=env["cluster"], tasks=ecs.list_tasks(cluster=env["cluster"], serviceName=name)["taskArns"])["tasks"]
    assert len(tasks) == 2 and all(t["startedBy"] == set_id and t["group"] == f"service:{name}" for t in tasks)
    addresses = {f"{task_ip(t)}:{SAMPLE_PORT}" for t in tasks}
    wait_for(
        "both targets healthy", lambda: health_states(env["elbv2"], alb["tg"]), lambda states: states == dict.fromkeys(addresses, "healthy"), timeout=TIMEOUT
    )

    ecs.update_task_set(cluster=env["cluster"], service=name, taskSet=arn, scale={"value": 50.0, "unit": "PERCENT"})
    wait_for("the task set at 50 %", lambda: task_set(env, name, arn), steady_at(1), timeout=TIMEOUT)
    stopped = wait_for(
        "one stopped task",
        lambda: ecs.list_tasks(cluster=env["cluster"], serviceName=name, desiredStatus="STOPPED")["taskArns"],
        lambda arns: len(arns) == 1,
        timeout=TIMEOUT,
    )
    reason = ecs.describe_tasks(cluster=env["cluster"], tasks=stopped)["tasks"][0]["stoppedReason"]
    assert reason == f"Scaling activity initiated by (deployment {set_id})"

    primary = ecs.update_service_primary_task_set(cluster=env["cluster"], service=name, primaryTaskSet=arn)["taskSet"]
    assert primary["status"] == "PRIMARY"
    ecs.delete_task_set(cluster=env["cluster"], service=name, taskSet=arn, force=True)
    wait_for("the tasks to stop", lambda: ecs.list_tasks(cluster=env["cluster"], serviceName=name)["taskArns"], lambda arns: arns == [], timeout=TIMEOUT)


def test_code_deploy_service_starts_with_a_primary_task_set(env: dict[str, Any], images: SampleImages) -> None:
    """deployment-type-bluegreen.html: a CODE_DEPLOY service is created with one
    PRIMARY task set of its task definition at scale 100 %, which runs the tasks."""
    ecs = env["ecs"]
    name = unique("cd")
    task_definition = register_sample(ecs, unique("cd"), images.v1)
    ecs.create_service(
        cluster=env["cluster"],
        serviceName=name,
        taskDefinition=task_definition,
        desiredCount=1,
        launchType="FARGATE",
        networkConfiguration=env["network"],
        deploymentController={"type": "CODE_DEPLOY"},
    )
    (only,) = ecs.describe_task_sets(cluster=env["cluster"], service=name)["taskSets"]
    assert (only["status"], only["taskDefinition"], only["scale"]) == ("PRIMARY", task_definition, {"value": 100.0, "unit": "PERCENT"})
    wait_for("the task set to be steady", lambda: task_set(env, name, only["taskSetArn"]), steady_at(1), timeout=TIMEOUT)
    service = ecs.describe_services(cluster=env["cluster"], services=[name])["services"][0]
    assert service["runningCount"] == 1
    with pytest.raises(env["ecs"].exceptions.InvalidParameterException, match="CODE_DEPLOY"):
        ecs.update_service(cluster=env["cluster"], service=name, taskDefinition=task_definition)
