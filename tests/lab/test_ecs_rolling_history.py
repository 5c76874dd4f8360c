"""Conformance: rolling updates are ECS service deployments (ListServiceDeployments,
DescribeServiceDeployments, DescribeServiceRevisions), so a rolling service has a history.

Pages followed:
- https://docs.aws.amazon.com/AmazonECS/latest/developerguide/service-deployment.html ("View service
  history using Amazon ECS service deployments": the source and target service revisions, the
  status, completed states SUCCESSFUL, STOPPED, ROLLBACK_SUCCESSFUL, ROLLBACK_FAILED; "the details
  of a rollback if one occurred")
- https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ListServiceDeployments.html
- https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-circuit-breaker.html
"""

from __future__ import annotations

from typing import Any

import pytest

from lab.ecs import model
from lab.ecs.rolling_history import rolling_status
from lab.ecs.sampleimage import SampleImages, ensure_sample_images
from lab.ecs.testkit import awsvpc, default_subnets, describe_service, register_sample, unique, wait_for

TIMEOUT = 180


@pytest.fixture(scope="module")
def images() -> SampleImages:
    return ensure_sample_images("podman")


@pytest.fixture(scope="module")
def env(lab: Any) -> dict[str, Any]:
    ecs = lab.client("ecs")
    cluster = unique("hist")
    ecs.create_cluster(clusterName=cluster)
    return {"ecs": ecs, "cluster": cluster, "network": awsvpc(default_subnets(lab.client("ec2")))}


def _steady(ecs: Any, cluster: str, name: str, task_definition: str) -> dict:
    def done(service: dict) -> bool:
        deployments = service["deployments"]
        return len(deployments) == 1 and deployments[0]["rolloutState"] == "COMPLETED" and service["taskDefinition"] == task_definition

    return wait_for(f"{name} steady on {task_definition}", lambda: describe_service(ecs, cluster, name), done, timeout=TIMEOUT)


def _history(ecs: Any, cluster: str, name: str) -> list[dict]:
    """The service deployments, newest first, described, with each revision's task definition."""
    briefs = ecs.list_service_deployments(cluster=cluster, service=name)["serviceDeployments"]
    if not briefs:
        return []
    described = {
        d["serviceDeploymentArn"]: d
        for d in ecs.describe_service_deployments(serviceDeploymentArns=[b["serviceDeploymentArn"] for b in briefs])["serviceDeployments"]
    }
    revisions = {arn for d in described.values() for arn in [d["targetServiceRevision"]["arn"], *(s["arn"] for s in d["sourceServiceRevisions"])]}
    task_definitions = {
        r["serviceRevisionArn"]: r["taskDefinition"] for r in ecs.describe_service_revisions(serviceRevisionArns=sorted(revisions))["serviceRevisions"]
    }
    history = []
    for brief in briefs:
        deployment = described[brief["serviceDeploymentArn"]]
        assert brief["targetServiceRevisionArn"] == deployment["targetServiceRevision"]["arn"]
        history.append(
            {
                "status": brief["status"],
                "target": task_definitions[deployment["targetServiceRevision"]["arn"]],
                "sources": [task_definitions[s["arn"]] for s in deployment["sourceServiceRevisions"]],
                "rollback": deployment.get("rollback"),
                "finished": "finishedAt" in brief,
            }
        )
    return history


def test_rolling_updates_are_service_deployments_with_source_and_target(env: dict[str, Any], images: SampleImages) -> None:
    ecs, cluster, family = env["ecs"], env["cluster"], unique("hist")
    v1 = register_sample(ecs, family, images.v1)
    name = unique("s")
    ecs.create_service(cluster=cluster, serviceName=name, taskDefinition=v1, desiredCount=1, launchType="FARGATE", networkConfiguration=env["network"])
    _steady(ecs, cluster, name, v1)
    # Creating a service is not a software update of it.
    assert _history(ecs, cluster, name) == []

    v2 = register_sample(ecs, family, images.v2)
    ecs.update_service(cluster=cluster, service=name, taskDefinition=v2)
    ongoing = wait_for("the update to be listed", lambda: _history(ecs, cluster, name), lambda h: len(h) == 1, timeout=30)
    assert ongoing[0]["status"] in ("IN_PROGRESS", "SUCCESSFUL")
    _steady(ecs, cluster, name, v2)
    unused = register_sample(ecs, family, images.broken)  # registered, never deployed
    v4 = register_sample(ecs, family, images.v1, env={"GREETING": "hello"})
    ecs.update_service(cluster=cluster, service=name, taskDefinition=v4)
    _steady(ecs, cluster, name, v4)

    history = _history(ecs, cluster, name)
    assert [(h["status"], h["target"], h["sources"]) for h in history] == [("SUCCESSFUL", v4, [v2]), ("SUCCESSFUL", v2, [v1])]
    assert all(h["finished"] and h["rollback"] is None for h in history)
    assert unused not in str(history)
    # The status filter.
    assert len(ecs.list_service_deployments(cluster=cluster, service=name, status=["SUCCESSFUL"])["serviceDeployments"]) == 2
    assert ecs.list_service_deployments(cluster=cluster, service=name, status=["IN_PROGRESS"])["serviceDeployments"] == []


def test_a_circuit_breaker_rollback_is_rollback_successful(env: dict[str, Any], images: SampleImages) -> None:
    ecs, cluster, family = env["ecs"], env["cluster"], unique("hist")
    v1 = register_sample(ecs, family, images.v1)
    name = unique("s")
    breaker = {"deploymentCircuitBreaker": {"enable": True, "rollback": True}}
    ecs.create_service(
        cluster=cluster,
        serviceName=name,
        taskDefinition=v1,
        desiredCount=1,
        launchType="FARGATE",
        networkConfiguration=env["network"],
        deploymentConfiguration=breaker,
    )
    _steady(ecs, cluster, name, v1)
    broken = register_sample(ecs, family, images.broken)
    ecs.update_service(cluster=cluster, service=name, taskDefinition=broken)
    history = wait_for("the rollback to end", lambda: _history(ecs, cluster, name), lambda h: h and h[0]["status"] == "ROLLBACK_SUCCESSFUL", timeout=TIMEOUT)
    assert (history[0]["target"], history[0]["sources"]) == (broken, [v1])
    assert history[0]["rollback"]["reason"].startswith("ECS deployment circuit breaker: rolling back to deploymentId")
    revision = ecs.describe_service_revisions(serviceRevisionArns=[history[0]["rollback"]["serviceRevisionArn"]])["serviceRevisions"][0]
    assert revision["taskDefinition"] == v1
    assert ecs.list_service_deployments(cluster=cluster, service=name, status=["SUCCESSFUL"])["serviceDeployments"] == []


def _record(rollout_state: str, status: str = "ACTIVE") -> model.DeploymentRecord:
    return model.DeploymentRecord(id="ecs-svc/1", task_definition="td:1", status=status, rollout_state=rollout_state, rollout_state_reason="", desired_count=1)


@pytest.mark.parametrize(
    ("deployment", "rolled_back_to", "expected"),
    [
        (_record("COMPLETED"), None, "SUCCESSFUL"),
        (_record("IN_PROGRESS", "PRIMARY"), None, "IN_PROGRESS"),
        # Superseded by a newer update before it completed.
        (_record("IN_PROGRESS", "INACTIVE"), None, "STOPPED"),
        # The circuit breaker without rollback: it stopped launching tasks.
        (_record("FAILED", "PRIMARY"), None, "STOPPED"),
        (_record("FAILED"), _record("IN_PROGRESS", "PRIMARY"), "ROLLBACK_IN_PROGRESS"),
        (_record("FAILED"), _record("COMPLETED", "PRIMARY"), "ROLLBACK_SUCCESSFUL"),
    ],
)
def test_rolling_status(deployment: model.DeploymentRecord, rolled_back_to: model.DeploymentRecord | None, expected: str) -> None:
    assert rolling_status(deployment, rolled_back_to) == expected
