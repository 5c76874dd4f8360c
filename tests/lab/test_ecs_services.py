"""Conformance: ECS services with the ECS deployment controller (rolling update).

Pages followed:
- https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-type-ecs.html
- https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-circuit-breaker.html
- https://docs.aws.amazon.com/AmazonECS/latest/developerguide/service-event-messages-list.html
- https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_CreateService.html
"""

from __future__ import annotations

import re
import time
from typing import Any

import pytest

from lab.ecs import planner
from lab.ecs.sampleimage import SampleImages, ensure_sample_images
from lab.ecs.testkit import (
    SAMPLE_PORT,
    all_service_tasks,
    awsvpc,
    create_alb,
    default_subnets,
    describe_service,
    health_states,
    max_overlap,
    min_coverage,
    register_sample,
    timestamp,
    unique,
    wait_for,
)

TIMEOUT = 180
INF = float("inf")


@pytest.fixture(scope="module")
def images() -> SampleImages:
    return ensure_sample_images("podman")


@pytest.fixture(scope="module")
def env(lab: Any) -> dict[str, Any]:
    ecs, ec2 = lab.client("ecs"), lab.client("ec2")
    cluster = unique("svc")
    ecs.create_cluster(clusterName=cluster)
    subnets = default_subnets(ec2)
    return {"lab": lab, "ecs": ecs, "ec2": ec2, "elbv2": lab.client("elbv2"), "cluster": cluster, "subnets": subnets, "network": awsvpc(subnets)}


def create(env: dict[str, Any], task_definition: str, desired: int = 2, **kwargs: Any) -> str:
    name = unique("s")
    env["ecs"].create_service(
        cluster=env["cluster"],
        serviceName=name,
        taskDefinition=task_definition,
        desiredCount=desired,
        launchType="FARGATE",
        networkConfiguration=env["network"],
        **kwargs,
    )
    return name


def steady(desired: int, task_definition: str | None = None) -> Any:
    def check(service: dict[str, Any]) -> bool:
        deployments = service["deployments"]
        done = len(deployments) == 1 and deployments[0]["rolloutState"] == "COMPLETED" and service["runningCount"] == desired and service["pendingCount"] == 0
        return done and (task_definition is None or service["taskDefinition"] == task_definition)

    return check


def wait_service(env: dict[str, Any], name: str, check: Any, what: str = "the service") -> dict[str, Any]:
    return wait_for(what, lambda: describe_service(env["ecs"], env["cluster"], name), check, timeout=TIMEOUT)


def running_tasks(env: dict[str, Any], name: str) -> list[str]:
    return env["ecs"].list_tasks(cluster=env["cluster"], serviceName=name)["taskArns"]


def delete(env: dict[str, Any], name: str) -> None:
    env["ecs"].delete_service(cluster=env["cluster"], service=name, force=True)


def test_create_service_keeps_deployment_configuration_and_grace(env: dict[str, Any], images: SampleImages) -> None:
    """API_CreateService.html: deploymentConfiguration and healthCheckGracePeriodSeconds
    are part of the service as created; omitted fields take AWS's defaults."""
    task_definition = register_sample(env["ecs"], unique("cfg"), images.v1)
    config = {"minimumHealthyPercent": 50, "deploymentCircuitBreaker": {"enable": True, "rollback": False}}
    name = unique("s")
    created = env["ecs"].create_service(
        cluster=env["cluster"],
        serviceName=name,
        taskDefinition=task_definition,
        desiredCount=0,
        launchType="FARGATE",
        networkConfiguration=env["network"],
        deploymentConfiguration=config,
        healthCheckGracePeriodSeconds=45,
    )["service"]
    described = describe_service(env["ecs"], env["cluster"], name)
    for service in (created, described):
        assert service["deploymentConfiguration"] == {
            "maximumPercent": 200,
            "minimumHealthyPercent": 50,
            "deploymentCircuitBreaker": {"enable": True, "rollback": False},
        }
        assert service["healthCheckGracePeriodSeconds"] == 45
        assert service["deployments"][0]["status"] == "PRIMARY"
    delete(env, name)


def test_desired_count_is_reconciled(env: dict[str, Any], images: SampleImages) -> None:
    """deployment-type-ecs.html: the scheduler keeps desiredCount tasks running,
    scaling out and in; events name the tasks started and stopped."""
    task_definition = register_sample(env["ecs"], unique("scale"), images.v1)
    name = create(env, task_definition, desired=2)
    service = wait_service(env, name, steady(2))
    assert len(running_tasks(env, name)) == 2
    assert service["events"][0]["message"] == f"(service {name}) has reached a steady state."
    env["ecs"].update_service(cluster=env["cluster"], service=name, desiredCount=3)
    wait_service(env, name, steady(3))
    assert len(running_tasks(env, name)) == 3
    env["ecs"].update_service(cluster=env["cluster"], service=name, desiredCount=1)

    def stopped_by_events(service: dict[str, Any]) -> int:
        """Tasks the stop events name: one event per scheduler pass, so one event or two when the scale-in took two
        passes (the second event may come a pass after the task count settles)."""
        stops = [re.match(rf"\(service {name}\) has stopped (\d+) running tasks: \(task ", e["message"]) for e in service["events"]]
        return sum(int(m.group(1)) for m in stops if m)

    service = wait_service(env, name, lambda s: steady(1)(s) and len(running_tasks(env, name)) == 1 and stopped_by_events(s) >= 2, "1 task, 2 stops evented")
    messages = [e["message"] for e in service["events"]]
    assert stopped_by_events(service) == 2, messages
    assert any(m.startswith(f"(service {name}) has started 1 tasks: (task ") for m in messages)
    stopped = wait_for(
        "2 stopped tasks",
        lambda: [t for t in all_service_tasks(env["ecs"], env["cluster"], name) if t["lastStatus"] == "STOPPED"],
        lambda tasks: len(tasks) >= 2,
        timeout=TIMEOUT,
    )
    assert len(stopped) == 2
    assert all(
        t["stopCode"] == "ServiceSchedulerInitiated" and t["stoppedReason"].startswith("Scaling activity initiated by (deployment ecs-svc/") for t in stopped
    )
    delete(env, name)


@pytest.mark.parametrize(("min_percent", "max_percent"), [(100, 200), (50, 100), (50, 150)])
def test_rolling_update_honours_min_and_max_percent(env: dict[str, Any], images: SampleImages, min_percent: int, max_percent: int) -> None:
    """deployment-type-ecs.html: during the update at least minimumHealthyPercent
    (rounded up) of the tasks keep running and at most maximumPercent (rounded
    down) exist; deployments are PRIMARY (new) and ACTIVE (old) until the rollout
    is COMPLETED."""
    desired = 2
    family = unique("roll")
    v1 = register_sample(env["ecs"], family, images.v1)
    name = create(env, v1, desired=desired, deploymentConfiguration={"minimumHealthyPercent": min_percent, "maximumPercent": max_percent})
    before = wait_service(env, name, steady(desired))
    v2 = register_sample(env["ecs"], family, images.v2)
    updated = env["ecs"].update_service(cluster=env["cluster"], service=name, taskDefinition=v2)["service"]
    update_time = time.time()
    primary, active = updated["deployments"]
    assert (primary["status"], primary["rolloutState"], primary["taskDefinition"]) == ("PRIMARY", "IN_PROGRESS", v2)
    assert primary["rolloutStateReason"] == f"ECS deployment {primary['id']} in progress."
    assert (active["status"], active["id"], active["taskDefinition"]) == ("ACTIVE", before["deployments"][0]["id"], v1)
    final = wait_service(env, name, steady(desired, v2), "the rollout")
    done_time = time.time()
    assert final["deployments"][0]["id"] == primary["id"]
    assert final["deployments"][0]["rolloutStateReason"] == f"ECS deployment {primary['id']} completed."

    tasks = all_service_tasks(env["ecs"], env["cluster"], name)
    assert sorted(t["taskDefinitionArn"] for t in tasks if t["lastStatus"] == "RUNNING") == [v2] * desired
    existing = [(timestamp(t["createdAt"]), timestamp(t["stoppedAt"]) if "stoppedAt" in t else INF) for t in tasks]
    serving = [(timestamp(t["startedAt"]), timestamp(t["stoppingAt"]) if "stoppingAt" in t else INF) for t in tasks if "startedAt" in t]
    assert max_overlap(existing) <= planner.max_tasks(desired, max_percent)
    assert min_coverage(serving, update_time, done_time) >= planner.min_healthy_tasks(desired, min_percent)
    messages = [e["message"] for e in final["events"]]
    assert messages[0] == f"(service {name}) has reached a steady state."
    assert messages[1] == f"(service {name}) (deployment {primary['id']}) deployment completed."
    delete(env, name)


def test_circuit_breaker_without_rollback_fails_and_stops_launching(env: dict[str, Any], images: SampleImages) -> None:
    """deployment-circuit-breaker.html: after the failure threshold (0.5 x desired,
    at least 3) the deployment is FAILED and no more tasks are launched; without
    rollback the old tasks keep running."""
    family = unique("cb")
    v1 = register_sample(env["ecs"], family, images.v1)
    name = create(env, v1, desired=2, deploymentConfiguration={"deploymentCircuitBreaker": {"enable": True, "rollback": False}})
    wait_service(env, name, steady(2))
    broken = register_sample(env["ecs"], family, images.broken)
    env["ecs"].update_service(cluster=env["cluster"], service=name, taskDefinition=broken)
    failed = wait_service(env, name, lambda s: s["deployments"][0]["rolloutState"] == "FAILED", "the deployment to fail")
    primary, active = failed["deployments"]
    assert primary["status"] == "PRIMARY" and primary["taskDefinition"] == broken
    assert primary["rolloutStateReason"] == "ECS deployment circuit breaker: tasks failed to start."
    assert primary["failedTasks"] >= planner.circuit_breaker_threshold(2)
    assert active["taskDefinition"] == v1 and active["runningCount"] == 2
    assert any(e["message"] == f"(service {name}) (deployment {primary['id']}) deployment failed: tasks failed to start." for e in failed["events"])

    def started_by_failed() -> set[str]:
        listed = env["ecs"].list_tasks(cluster=env["cluster"], startedBy=primary["id"])["taskArns"]
        return set(listed) | set(env["ecs"].list_tasks(cluster=env["cluster"], startedBy=primary["id"], desiredStatus="STOPPED")["taskArns"])

    launched = started_by_failed()
    time.sleep(3)  # several scheduler ticks: none may launch a task for the failed deployment
    again = describe_service(env["ecs"], env["cluster"], name)
    assert again["deployments"][0]["rolloutState"] == "FAILED"
    assert started_by_failed() == launched
    wait_for(
        "the failed tasks to be gone",
        lambda: env["ecs"].list_tasks(cluster=env["cluster"], startedBy=primary["id"])["taskArns"],
        lambda arns: arns == [],
        timeout=TIMEOUT,
    )
    stopped = env["ecs"].describe_tasks(
        cluster=env["cluster"], tasks=env["ecs"].list_tasks(cluster=env["cluster"], startedBy=primary["id"], desiredStatus="STOPPED")["taskArns"][:5]
    )["tasks"]
    assert all(t["stoppedReason"] == "Essential container in task exited" and t["containers"][0]["exitCode"] == 1 for t in stopped)
    delete(env, name)


def test_circuit_breaker_rolls_back_to_the_last_completed_deployment(env: dict[str, Any], images: SampleImages) -> None:
    """deployment-circuit-breaker.html: with rollback the service returns to the
    deployment that was COMPLETED, which goes IN_PROGRESS again, then COMPLETED."""
    family = unique("rb")
    v1 = register_sample(env["ecs"], family, images.v1)
    name = create(env, v1, desired=2, deploymentConfiguration={"deploymentCircuitBreaker": {"enable": True, "rollback": True}})
    good = wait_service(env, name, steady(2))["deployments"][0]["id"]
    env["ecs"].update_service(cluster=env["cluster"], service=name, taskDefinition=register_sample(env["ecs"], family, images.broken))
    rolling_back = wait_service(env, name, lambda s: s["deployments"][0]["id"] == good, "the rollback to start")
    assert rolling_back["taskDefinition"] == v1
    final = wait_service(env, name, steady(2, v1), "the rollback to complete")
    assert final["deployments"][0]["id"] == good
    messages = [e["message"] for e in final["events"]]
    assert f"(service {name}) rolling back to deployment {good}." in messages
    reasons = {rolling_back["deployments"][0]["rolloutStateReason"], final["deployments"][0]["rolloutStateReason"]}
    assert reasons <= {f"ECS deployment circuit breaker: rolling back to deploymentId {good}.", f"ECS deployment {good} completed."}
    delete(env, name)


def test_kill_task_is_replaced(env: dict[str, Any], images: SampleImages) -> None:
    """deployment-type-ecs.html: the scheduler replaces a task that stopped."""
    name = create(env, register_sample(env["ecs"], unique("kill"), images.v1), desired=1)
    wait_service(env, name, steady(1))
    (victim,) = running_tasks(env, name)
    result = env["lab"].cli("fault", "kill-task", "--cluster", env["cluster"], "--task", victim)
    assert result.returncode == 0, result.stderr
    wait_service(env, name, lambda s: steady(1)(s) and running_tasks(env, name) not in ([], [victim]), "the replacement")
    # The replacement can be running before the victim's container is reaped (STOPPING).
    dead = wait_for(
        "the killed task to stop",
        lambda: env["ecs"].describe_tasks(cluster=env["cluster"], tasks=[victim])["tasks"][0],
        lambda task: task["lastStatus"] == "STOPPED",
        timeout=TIMEOUT,
    )
    assert dead["stopCode"] == "EssentialContainerExited"
    delete(env, name)


def test_delete_service_stops_its_tasks(env: dict[str, Any], images: SampleImages) -> None:
    """API_DeleteService.html: with force the service's tasks are stopped."""
    name = create(env, register_sample(env["ecs"], unique("del"), images.v1), desired=2)
    wait_service(env, name, steady(2))
    tasks = running_tasks(env, name)
    env["ecs"].delete_service(cluster=env["cluster"], service=name, force=True)
    stopped = wait_for(
        "the tasks to stop",
        lambda: env["ecs"].describe_tasks(cluster=env["cluster"], tasks=tasks)["tasks"],
        lambda described: all(t["lastStatus"] == "STOPPED" for t in described),
        timeout=TIMEOUT,
    )
    assert all(t["stopCode"] == "ServiceSchedulerInitiated" for t in stopped)


# ---------------------------------------------------------------- with a load balancer
@pytest.fixture(scope="module")
def alb(env: dict[str, Any]) -> dict[str, str]:
    return create_alb(env["elbv2"], env["ec2"], env["subnets"], unique("svc"), deregistration_delay=2)


def test_failing_health_checks_replace_the_task(env: dict[str, Any], images: SampleImages, alb: dict[str, str]) -> None:
    """deployment-type-ecs.html / service-event-messages-list.html: a task whose
    target turns unhealthy (after the grace period) is stopped with
    "Task failed ELB health checks in (target-group ...)" and replaced."""
    task_definition = register_sample(env["ecs"], unique("sick"), images.v1, env={"FAIL_HEALTHCHECK": "1"})
    name = create(
        env,
        task_definition,
        desired=1,
        loadBalancers=[{"targetGroupArn": alb["tg"], "containerName": "app", "containerPort": SAMPLE_PORT}],
        healthCheckGracePeriodSeconds=0,
    )
    service = wait_service(env, name, lambda s: any("is unhealthy in (target-group" in e["message"] for e in s["events"]), "an unhealthy target")
    event = next(e["message"] for e in service["events"] if "is unhealthy in (target-group" in e["message"])
    assert event.startswith(f"(service {name}) (task ") and f"(port {SAMPLE_PORT}) is unhealthy in (target-group {alb['tg']}) due to (reason " in event
    stopped = wait_for(
        "the task to stop",
        lambda: [t for t in all_service_tasks(env["ecs"], env["cluster"], name) if t["lastStatus"] == "STOPPED"],
        lambda tasks: len(tasks) >= 1,
        timeout=TIMEOUT,
    )
    assert stopped[0]["stoppedReason"] == f"Task failed ELB health checks in (target-group {alb['tg']})"
    assert stopped[0]["stopCode"] == "ServiceSchedulerInitiated"
    wait_for("a replacement task", lambda: running_tasks(env, name), lambda arns: arns and stopped[0]["taskArn"] not in arns, timeout=TIMEOUT)
    delete(env, name)


def test_grace_period_ignores_unhealthy_targets(env: dict[str, Any], images: SampleImages, alb: dict[str, str]) -> None:
    """API_CreateService.html (healthCheckGracePeriodSeconds): during the grace
    period the scheduler ignores unhealthy load balancer health checks."""
    task_definition = register_sample(env["ecs"], unique("grace"), images.v1, env={"FAIL_HEALTHCHECK": "1"})
    name = create(
        env,
        task_definition,
        desired=1,
        loadBalancers=[{"targetGroupArn": alb["tg"], "containerName": "app", "containerPort": SAMPLE_PORT}],
        healthCheckGracePeriodSeconds=3600,
    )
    (task,) = wait_for("the task", lambda: running_tasks(env, name), lambda arns: len(arns) == 1, timeout=TIMEOUT)
    described = env["ecs"].describe_tasks(cluster=env["cluster"], tasks=[task])["tasks"][0]
    address = next(d["value"] for d in described["attachments"][0]["details"] if d["name"] == "privateIPv4Address")
    wait_for(
        "the target to be unhealthy",
        lambda: health_states(env["elbv2"], alb["tg"]).get(f"{address}:{SAMPLE_PORT}"),
        lambda state: state == "unhealthy",
        timeout=TIMEOUT,
    )
    time.sleep(3)  # several scheduler ticks with the target unhealthy
    again = env["ecs"].describe_tasks(cluster=env["cluster"], tasks=[task])["tasks"][0]
    assert (again["lastStatus"], again["desiredStatus"]) == ("RUNNING", "RUNNING")
    assert not any("is unhealthy in (target-group" in e["message"] for e in describe_service(env["ecs"], env["cluster"], name)["events"])
    delete(env, name)


def test_failing_container_health_check_replaces_the_task(env: dict[str, Any], images: SampleImages) -> None:
    """https://docs.aws.amazon.com/AmazonECS/latest/developerguide/healthcheck.html:
    the service scheduler replaces a task whose essential container is UNHEALTHY."""
    probe = "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8080/healthcheck', timeout=2).status == 200 else 1)"
    health = {"command": ["CMD", "python3", "-c", probe], "interval": 5, "timeout": 3, "retries": 2}
    task_definition = register_sample(env["ecs"], unique("chk"), images.v1, env={"FAIL_HEALTHCHECK": "1"}, healthCheck=health)
    name = create(env, task_definition, desired=1)
    stopped = wait_for(
        "a task stopped for its health check",
        lambda: [t for t in all_service_tasks(env["ecs"], env["cluster"], name) if t["lastStatus"] == "STOPPED"],
        lambda tasks: len(tasks) >= 1,
        timeout=TIMEOUT,
    )
    assert stopped[0]["stoppedReason"] == "Task failed container health checks"
    assert stopped[0]["healthStatus"] == "UNHEALTHY"
    events = [e["message"] for e in describe_service(env["ecs"], env["cluster"], name)["events"]]
    assert f"(service {name}) (task {stopped[0]['taskArn'].rsplit('/', 1)[-1]}) failed container health checks." in events
    delete(env, name)


def test_force_new_deployment_replaces_every_task(env: dict[str, Any], images: SampleImages) -> None:
    """API_UpdateService.html (forceNewDeployment): a new deployment of the same
    task definition replaces all tasks."""
    task_definition = register_sample(env["ecs"], unique("force"), images.v1)
    name = create(env, task_definition, desired=2)
    before = wait_service(env, name, steady(2))
    old_tasks = set(running_tasks(env, name))
    updated = env["ecs"].update_service(cluster=env["cluster"], service=name, forceNewDeployment=True)["service"]
    assert updated["deployments"][0]["id"] != before["deployments"][0]["id"]
    assert updated["deployments"][0]["taskDefinition"] == task_definition
    wait_service(
        env, name, lambda s: steady(2)(s) and s["deployments"][0]["id"] == updated["deployments"][0]["id"] and not old_tasks & set(running_tasks(env, name))
    )
    same = env["ecs"].update_service(cluster=env["cluster"], service=name, taskDefinition=task_definition)["service"]
    assert [d["id"] for d in same["deployments"]] == [updated["deployments"][0]["id"]]  # nothing changed: no deployment
    delete(env, name)
