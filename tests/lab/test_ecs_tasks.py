"""Conformance: ECS tasks run as real containers in the lab.

Each test names the AWS page it follows. Tasks are awsvpc Fargate tasks of the
sample service (service/), each on its own loopback address.
"""

from __future__ import annotations

import base64
import json
import subprocess
import urllib.request
from typing import Any

import pytest

from lab.ecs.sampleimage import SampleImages, ensure_sample_images
from lab.ecs.testkit import awsvpc, default_subnets, register_sample, task_ip, unique, wait_for

TIMEOUT = 90


@pytest.fixture(scope="module")
def images() -> SampleImages:
    return ensure_sample_images("podman")


@pytest.fixture(scope="module")
def ecs(lab: Any) -> Any:
    return lab.client("ecs")


@pytest.fixture(scope="module")
def cluster(ecs: Any) -> str:
    name = unique("tasks")
    ecs.create_cluster(clusterName=name)
    return name


@pytest.fixture(scope="module")
def network(lab: Any) -> dict[str, Any]:
    return awsvpc(default_subnets(lab.client("ec2")))


def run(ecs: Any, cluster: str, task_definition: str, network: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    response = ecs.run_task(cluster=cluster, taskDefinition=task_definition, launchType="FARGATE", networkConfiguration=network, **kwargs)
    assert response["failures"] == []
    return response["tasks"][0]


def describe(ecs: Any, cluster: str, arn: str) -> dict[str, Any]:
    return ecs.describe_tasks(cluster=cluster, tasks=[arn])["tasks"][0]


def wait_status(ecs: Any, cluster: str, arn: str, status: str) -> dict[str, Any]:
    return wait_for(f"task {status}", lambda: describe(ecs, cluster, arn), lambda t: t["lastStatus"] == status, timeout=TIMEOUT)


def http_get(url: str) -> dict[str, Any] | None:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return json.loads(response.read())
    except OSError:
        return None


def container_exists(container_id: str) -> bool:
    return subprocess.run(["podman", "container", "exists", container_id], capture_output=True).returncode == 0


def test_run_task_is_a_real_container_on_its_own_address(lab: Any, ecs: Any, cluster: str, network: dict[str, Any], images: SampleImages) -> None:
    """https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-lifecycle-explanation.html
    A task goes PROVISIONING -> PENDING -> RUNNING; its awsvpc attachment carries
    the ENI's private address, here the task's own loopback address."""
    task_definition = register_sample(ecs, unique("run"), images.v1)
    started = run(ecs, cluster, task_definition, network)
    assert started["lastStatus"] in ("PROVISIONING", "PENDING")
    assert started["desiredStatus"] == "RUNNING"
    running = wait_status(ecs, cluster, started["taskArn"], "RUNNING")
    address = task_ip(running)
    assert address and address.startswith(lab.loopback_prefix + ".")
    assert running["attachments"][0]["type"] == "ElasticNetworkInterface"
    assert running["containers"][0]["networkInterfaces"][0]["privateIpv4Address"] == address
    assert {"pullStartedAt", "pullStoppedAt", "startedAt", "connectivityAt"} <= set(running)
    answer = wait_for("the task to answer", lambda: http_get(f"http://{address}:8080/version"), lambda body: body is not None, timeout=30)
    assert answer["version"] == "1"
    container_id = running["containers"][0]["runtimeId"]
    assert container_exists(container_id)
    recorded = [entry.get("id") for entry in lab.state()["containers"].values()]
    assert container_id in recorded  # so that `lab down` removes it
    ecs.stop_task(cluster=cluster, task=started["taskArn"])


def test_environment_and_overrides_are_honoured(ecs: Any, cluster: str, network: dict[str, Any], images: SampleImages) -> None:
    """https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ContainerOverride.html
    Task definition environment reaches the container; RunTask overrides win."""
    task_definition = register_sample(ecs, unique("env"), images.v1, env={"SERVICE_VERSION": "7"})
    plain = run(ecs, cluster, task_definition, network)
    overridden = run(
        ecs, cluster, task_definition, network, overrides={"containerOverrides": [{"name": "app", "environment": [{"name": "SERVICE_VERSION", "value": "8"}]}]}
    )
    for task, expected in ((plain, "7"), (overridden, "8")):
        address = task_ip(wait_status(ecs, cluster, task["taskArn"], "RUNNING"))
        answer = wait_for("the task to answer", lambda a=address: http_get(f"http://{a}:8080/version"), lambda body: body is not None, timeout=30)
        assert answer["version"] == expected
        ecs.stop_task(cluster=cluster, task=task["taskArn"])


def test_command_is_honoured_and_exit_stops_the_task(ecs: Any, cluster: str, network: dict[str, Any], images: SampleImages) -> None:
    """https://docs.aws.amazon.com/AmazonECS/latest/developerguide/stopped-task-errors.html
    When the essential container exits the task stops with
    "Essential container in task exited" and the container's exit code."""
    task_definition = register_sample(ecs, unique("cmd"), images.v1, command=["python3", "-c", "raise SystemExit(3)"])
    task = run(ecs, cluster, task_definition, network)
    stopped = wait_status(ecs, cluster, task["taskArn"], "STOPPED")
    assert stopped["stoppedReason"] == "Essential container in task exited"
    assert stopped["stopCode"] == "EssentialContainerExited"
    assert stopped["desiredStatus"] == "STOPPED"
    assert stopped["containers"][0]["exitCode"] == 3
    assert stopped["containers"][0]["lastStatus"] == "STOPPED"


def test_stop_task_sends_sigterm_and_removes_the_container(ecs: Any, cluster: str, network: dict[str, Any], images: SampleImages) -> None:
    """https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_StopTask.html
    StopTask sends SIGTERM; the sample service exits 0. The reason is kept."""
    task_definition = register_sample(ecs, unique("stop"), images.v1, env={"SHUTDOWN_TIMEOUT": "1"})
    task = run(ecs, cluster, task_definition, network)
    running = wait_status(ecs, cluster, task["taskArn"], "RUNNING")
    wait_for("the task to answer", lambda: http_get(f"http://{task_ip(running)}:8080/healthcheck"), lambda body: body is not None, timeout=30)
    answer = ecs.stop_task(cluster=cluster, task=task["taskArn"], reason="maintenance window")["task"]
    assert answer["desiredStatus"] == "STOPPED"
    stopped = wait_status(ecs, cluster, task["taskArn"], "STOPPED")
    assert stopped["stoppedReason"] == "maintenance window"
    assert stopped["stopCode"] == "UserInitiated"
    assert stopped["containers"][0]["exitCode"] == 0
    assert {"stoppingAt", "executionStoppedAt", "stoppedAt"} <= set(stopped)
    assert not container_exists(running["containers"][0]["runtimeId"])


def test_stop_timeout_then_sigkill(ecs: Any, cluster: str, network: dict[str, Any], images: SampleImages) -> None:
    """https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ContainerDefinition.html (stopTimeout)
    A container that ignores SIGTERM is killed after its stopTimeout: exit code 137."""
    ignore = "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); print('up', flush=True); time.sleep(600)"
    task_definition = register_sample(ecs, unique("kill"), images.v1, command=["python3", "-c", ignore], stopTimeout=2)
    task = run(ecs, cluster, task_definition, network)
    running = wait_status(ecs, cluster, task["taskArn"], "RUNNING")
    logs = lambda: subprocess.run(["podman", "logs", running["containers"][0]["runtimeId"]], capture_output=True, text=True).stdout  # noqa: E731
    wait_for("the process to install its handler", logs, lambda text: "up" in text, timeout=30)
    ecs.stop_task(cluster=cluster, task=task["taskArn"])
    stopped = wait_status(ecs, cluster, task["taskArn"], "STOPPED")
    assert stopped["containers"][0]["exitCode"] == 137


def test_list_and_describe_tasks(ecs: Any, cluster: str, network: dict[str, Any], images: SampleImages) -> None:
    """https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ListTasks.html
    ListTasks filters by family, startedBy and desiredStatus (RUNNING by default);
    DescribeTasks reports unknown tasks as failures with reason MISSING."""
    family = unique("list")
    task_definition = register_sample(ecs, family, images.v1)
    task = run(ecs, cluster, task_definition, network, startedBy="conformance")
    assert ecs.list_tasks(cluster=cluster, family=family)["taskArns"] == [task["taskArn"]]
    assert ecs.list_tasks(cluster=cluster, startedBy="conformance")["taskArns"] == [task["taskArn"]]
    assert ecs.list_tasks(cluster=cluster, family=family, desiredStatus="STOPPED")["taskArns"] == []
    missing = f"arn:aws:ecs:us-east-1:123456789012:task/{cluster}/0123456789abcdef0123456789abcdef"
    described = ecs.describe_tasks(cluster=cluster, tasks=[task["taskArn"], missing])
    assert [t["taskArn"] for t in described["tasks"]] == [task["taskArn"]]
    assert described["failures"] == [{"arn": missing, "reason": "MISSING"}]
    ecs.stop_task(cluster=cluster, task=task["taskArn"])
    wait_status(ecs, cluster, task["taskArn"], "STOPPED")
    assert ecs.list_tasks(cluster=cluster, family=family)["taskArns"] == []
    assert ecs.list_tasks(cluster=cluster, family=family, desiredStatus="STOPPED")["taskArns"] == [task["taskArn"]]


def test_awsvpc_needs_a_network_configuration(ecs: Any, cluster: str, images: SampleImages) -> None:
    """https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-networking-awsvpc.html"""
    task_definition = register_sample(ecs, unique("nonet"), images.v1)
    with pytest.raises(ecs.exceptions.InvalidParameterException, match="Network Configuration must be provided"):
        ecs.run_task(cluster=cluster, taskDefinition=task_definition, launchType="FARGATE")


def test_kill_task_fault(lab: Any, ecs: Any, cluster: str, network: dict[str, Any], images: SampleImages) -> None:
    """`python -m lab fault kill-task` kills the containers as a crash would:
    "Essential container in task exited" with exit code 137."""
    task_definition = register_sample(ecs, unique("crash"), images.v1)
    task = run(ecs, cluster, task_definition, network)
    wait_status(ecs, cluster, task["taskArn"], "RUNNING")
    result = lab.cli("fault", "kill-task", "--cluster", cluster, "--task", task["taskArn"])
    assert result.returncode == 0, result.stderr
    stopped = wait_status(ecs, cluster, task["taskArn"], "STOPPED")
    assert stopped["stoppedReason"] == "Essential container in task exited"
    assert stopped["containers"][0]["exitCode"] == 137


HEALTH_PROBE = "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8080/healthcheck', timeout=2).status == 200 else 1)"


@pytest.mark.parametrize(("fail", "expected"), [("0", "HEALTHY"), ("1", "UNHEALTHY")])
def test_container_health_check(ecs: Any, cluster: str, network: dict[str, Any], images: SampleImages, fail: str, expected: str) -> None:
    """https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_HealthCheck.html
    The container's healthCheck command runs inside it; its result is the
    container's and the task's healthStatus."""
    health = {"command": ["CMD", "python3", "-c", HEALTH_PROBE], "interval": 5, "timeout": 3, "retries": 2}
    task_definition = register_sample(ecs, unique("hc"), images.v1, env={"FAIL_HEALTHCHECK": fail}, healthCheck=health)
    task = run(ecs, cluster, task_definition, network)
    assert task["healthStatus"] == "UNKNOWN"
    checked = wait_for("a health verdict", lambda: describe(ecs, cluster, task["taskArn"]), lambda t: t["healthStatus"] != "UNKNOWN", timeout=TIMEOUT)
    assert checked["healthStatus"] == expected
    assert checked["containers"][0]["healthStatus"] == expected
    assert checked["lastStatus"] == "RUNNING"  # a standalone task keeps running either way
    ecs.stop_task(cluster=cluster, task=task["taskArn"])


def test_image_is_pulled_from_the_lab_registry(lab: Any, ecs: Any, cluster: str, network: dict[str, Any], images: SampleImages) -> None:
    """https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_cannot_pull_image.html
    A task's image is pulled from ECR (the lab's registry); an image that is not
    there stops the task with CannotPullContainerError (stopCode TaskFailedToStart)."""
    ecr = lab.client("ecr")
    uri = ecr.create_repository(repositoryName=unique("ecs-pull"))["repository"]["repositoryUri"]
    token = ecr.get_authorization_token()["authorizationData"][0]["authorizationToken"]
    creds = base64.b64decode(token).decode()
    pushed = subprocess.run(
        ["podman", "push", "--quiet", "--tls-verify=false", "--creds", creds, images.v1, f"{uri}:v1"], capture_output=True, text=True, timeout=300
    )
    assert pushed.returncode == 0, pushed.stderr
    family = unique("ecr")
    good = run(ecs, cluster, register_sample(ecs, family, f"{uri}:v1"), network)
    running = wait_status(ecs, cluster, good["taskArn"], "RUNNING")
    assert running["containers"][0]["image"] == f"{uri}:v1"
    assert running["pullStoppedAt"] >= running["pullStartedAt"]
    ecs.stop_task(cluster=cluster, task=good["taskArn"])
    missing = run(ecs, cluster, register_sample(ecs, family, f"{uri}:no-such-tag"), network)
    stopped = wait_status(ecs, cluster, missing["taskArn"], "STOPPED")
    assert stopped["stoppedReason"].startswith("CannotPullContainerError")
    assert stopped["stopCode"] == "TaskFailedToStart"
