"""Deploy tools nobody here wrote, against the lab, under load (issue 27).

1. The AWS CLI's ``aws ecs deploy`` (awscli/customizations/ecs/deploy.py), as CodePipeline users run
   it with a task definition file and an AppSpec file: DescribeServices, GetApplication,
   GetDeploymentGroup, RegisterTaskDefinition, CreateDeployment (the AppSpec with the new task
   definition's ARN written in), then GetDeployment every 15 s until Succeeded. It reads
   ``deploymentReadyOption.waitTimeInMinutes`` and ``terminationWaitTimeInMinutes`` of the group
   with no fallback (lab/codedeploy/lifecycle.py ``blue_green_answer``). Only its ecs client takes
   ``--endpoint-url``, so the lab is named by ``AWS_ENDPOINT_URL``, as botocore reads it for every client.
2. fabfuel's ``ecs-deploy`` (``ecs deploy CLUSTER SERVICE --image CONTAINER IMAGE``), a rolling update:
   DescribeServices, DescribeTaskDefinition, RegisterTaskDefinition, UpdateService, then its own wait
   (one deployment left, and ``desiredCount`` RUNNING tasks of the new revision), then
   DeregisterTaskDefinition of the old revision. It has no endpoint flag either.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError
from test_codedeploy_engine_api import PROD_PORT, SETTLE, BlueGreenWorld, cluster, images, time_scale

from lab.ecs.sampleimage import SampleImages
from lab.ecs.testkit import SAMPLE_PORT, describe_service, rolling_steady, rolling_world, wait_for
from lab.loadgen import LoadGenerator

__all__ = ["cluster", "images"]  # module fixtures shared with the conformance tests

BIN = Path(sys.executable).parent
DESIRED = 2
DEPLOY_TIMEOUT = 180

# The AppSpec as the ECS pages write it (reference-appspec-file-example.html#appspec-file-example-ecs);
# the CLI replaces TaskDefinition with the ARN it registers.
APPSPEC = """\
version: 0.0
Resources:
  - TargetService:
      Type: AWS::ECS::Service
      Properties:
        TaskDefinition: "<TASK_DEFINITION>"
        LoadBalancerInfo:
          ContainerName: "app"
          ContainerPort: {port}
"""


def tool_env(lab: Any) -> dict[str, str]:
    """The lab for every client a tool makes, as a user points such a tool at another endpoint."""
    return dict(lab.env, AWS_ENDPOINT_URL=lab.url)


def assert_no_failures(load: LoadGenerator) -> None:
    report = load.report()
    assert report.failed == 0, f"{report.failed} of {report.total} requests failed, first: {report.failures(3)}"


def printed(pattern: str, output: str) -> str:
    found = re.search(pattern, output)
    assert found, f"{pattern!r} not in the tool's output:\n{output[-3000:]}"
    return found.group(1)


# aws ecs deploy -----------------------------------------------------------------------------------


@pytest.fixture
def world(lab: Any, cluster: str, images: SampleImages) -> Iterator[BlueGreenWorld]:
    built = BlueGreenWorld(lab, cluster, images, desired=DESIRED)
    try:
        yield built
    finally:
        built.close()


def test_aws_cli_ecs_deploy_under_load(lab: Any, world: BlueGreenWorld, images: SampleImages, tmp_path: Path) -> None:
    """``aws ecs deploy`` (https://docs.aws.amazon.com/cli/latest/reference/ecs/deploy/index.html): it
    registers v2 from the file, creates the CodeDeploy deployment and waits for it; no production
    request fails, and the deployment runs the revision the CLI registered."""
    group = world.group()
    container = {"name": "app", "image": images.v2, "essential": True, "portMappings": [{"containerPort": SAMPLE_PORT, "protocol": "tcp"}]}
    definition = {
        "family": world.family,
        "networkMode": "awsvpc",
        "requiresCompatibilities": ["FARGATE"],
        "cpu": "256",
        "memory": "512",
        "containerDefinitions": [container],
    }
    (tmp_path / "taskdef.json").write_text(json.dumps(definition))
    (tmp_path / "appspec.yaml").write_text(APPSPEC.format(port=SAMPLE_PORT))
    command = [
        str(BIN / "aws"),
        "ecs",
        "deploy",
        "--cluster",
        world.cluster,
        "--service",
        world.name,
        "--task-definition",
        str(tmp_path / "taskdef.json"),
        "--codedeploy-appspec",
        str(tmp_path / "appspec.yaml"),
        "--codedeploy-application",
        world.name,
        "--codedeploy-deployment-group",
        group,
        "--region",
        "us-east-1",
    ]
    with LoadGenerator(world.url(PROD_PORT)) as load:
        load.wait_count(100)
        # the CLI's waiter asks every 15 real seconds, whatever LAB_TIME_SCALE
        deployed = subprocess.run(command, env=tool_env(lab), capture_output=True, text=True, timeout=4 * SETTLE + 120 / time_scale() + 30)
        assert deployed.returncode == 0, f"{deployed.stdout}\n{deployed.stderr}"
        world.wait_version("2")
        load.wait_count(load.count + 200)
    assert_no_failures(load)
    versions = load.report().sequence()
    assert versions[:50] == ["1"] * 50 and versions[-50:] == ["2"] * 50

    registered = printed(r"Successfully registered new ECS task definition (\S+)", deployed.stdout)
    deployment_id = printed(r"Successfully created deployment (\S+)", deployed.stdout)
    assert f"Successfully deployed {registered} to service '{world.name}'" in deployed.stdout
    info = world.info(deployment_id)
    assert info["status"] == "Succeeded"
    sent = json.loads(info["revision"]["appSpecContent"]["content"])
    assert sent["Resources"][0]["TargetService"]["Properties"]["TaskDefinition"] == registered
    assert [(ts["status"], ts["externalId"], ts["taskDefinition"]) for ts in world.task_sets()] == [("PRIMARY", deployment_id, registered)]


# ecs-deploy (fabfuel) -----------------------------------------------------------------------------


@pytest.fixture
def rolling(lab: Any, images: SampleImages) -> Iterator[dict[str, Any]]:
    """An ECS-controller service of 2 v1 tasks behind an ALB listener (port 80), steady."""
    world = rolling_world(lab, images.v1, "tp-roll", DESIRED, DEPLOY_TIMEOUT)
    ecs = world["ecs"]
    try:
        yield world
    finally:
        for call in (
            lambda: ecs.update_service(cluster=world["cluster"], service=world["service"], desiredCount=0),
            lambda: ecs.delete_service(cluster=world["cluster"], service=world["service"], force=True),
        ):
            try:
                call()
            except ClientError:
                pass


def test_ecs_deploy_rolling_update_under_load(lab: Any, rolling: dict[str, Any], images: SampleImages) -> None:
    """``ecs deploy CLUSTER SERVICE --image app v2`` (https://github.com/fabfuel/ecs-deploy): a new
    revision of the service's task definition, UpdateService, its wait to success, then the old
    revision deregistered; no request through the listener fails."""
    ecs = rolling["ecs"]
    command = [
        str(BIN / "ecs"),
        "deploy",
        rolling["cluster"],
        rolling["service"],
        "--image",
        "app",
        images.v2,
        "--timeout",
        str(DEPLOY_TIMEOUT),
        "--region",
        "us-east-1",
    ]
    with LoadGenerator(rolling["url"], rate=100, max_seconds=DEPLOY_TIMEOUT + 120) as load:
        load.wait_count(100)
        deployed = subprocess.run(command, env=tool_env(lab), capture_output=True, text=True, timeout=DEPLOY_TIMEOUT + 60)
        assert deployed.returncode == 0, f"{deployed.stdout}\n{deployed.stderr}"
        done = load.count
        load.wait_count(done + 200)
    assert_no_failures(load)
    report = load.report()
    assert set(report.versions()) == {"1", "2"}
    assert set(report.sequence()[done:]) == {"2"}, "v1 answered after ecs-deploy said the deployment was done"

    revision = int(printed(r"Successfully created revision: (\d+)", deployed.stdout))
    assert "Deployment successful" in deployed.stdout
    assert f"Successfully deregistered revision: {rolling['v1'].rsplit(':', 1)[-1]}" in deployed.stdout
    final = wait_for(
        "the rollout COMPLETED", lambda: describe_service(ecs, rolling["cluster"], rolling["service"]), lambda s: rolling_steady(s, DESIRED), timeout=30
    )
    assert final["taskDefinition"].endswith(f"task-definition/{rolling['family']}:{revision}")
    assert ecs.describe_task_definition(taskDefinition=rolling["v1"])["taskDefinition"]["status"] == "INACTIVE"
