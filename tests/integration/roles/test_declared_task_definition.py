"""A declared task definition converges, through ansible-playbook against the lab, as a user's own
ops playbook runs the infrastructure and deploy roles (its own names, ports and health path):

- one environment value changed: a new revision carrying it, cut over under 50 requests a second
  with 0 failed, the new value served over HTTP (the sample service answers /version with
  SERVICE_VERSION); the re-run makes 0 mutating calls; rollback.yml then goes back to the revision
  that served before, chosen from the deployment history (a revision registered in between and
  never served is not taken), under load with 0 failed, and its re-run changes nothing;
- a sidecar added (the full form, infrastructure_containers), on each of the three strategies
  (rolling after the environment change): cut over under load with 0 failed, a re-run with 0
  mutating calls, rolled back the same way;
- the desired count and the alarms changed in place (no deployment), or the count left to autoscaling; the default awslogs logging and its
  log group with retention; the execution role's read access to exactly the
  declared secrets;
- a declared definition the load balancer cannot reach, or a deploy_container_name it does not
  declare, fails before any mutating call and names the variable.

The module is in tests/conftest.py's INDEPENDENT_MODULES: every test builds its own stack, so the
tests spread over the workers.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from moto_counting_server import mutating_calls
from role_stack import Stack, changed_tasks, recap

from lab.ecs.sampleimage import SampleImages, ensure_sample_images
from lab.loadgen import LoadGenerator

# The ops playbook's own names and ports, not the roles' defaults.
OWN_LAYOUT = {
    "infrastructure_container_name": "storefront",
    "infrastructure_container_port": 8081,
    "infrastructure_health_path": "/version",
    "infrastructure_production_port": 8088,
    "infrastructure_test_port": 9099,
}

# Secrets by ARN: a Secrets Manager secret's JSON key (the policy names the secret) and an SSM parameter.
DB_SECRET = "arn:aws:secretsmanager:us-east-1:123456789012:secret:storefront-db-AbCdEf"
API_KEY_PARAMETER = "arn:aws:ssm:us-east-1:123456789012:parameter/storefront/api-key"
SECRETS = {"DB_PASSWORD": f"{DB_SECRET}:password::", "API_KEY": API_KEY_PARAMETER}


@pytest.fixture(scope="module")
def images() -> SampleImages:
    return ensure_sample_images("podman")


def _storefront(image: str, version: str) -> dict:
    return {
        "name": "storefront",
        "image": image,
        "portMappings": [{"containerPort": 8081}],
        "environment": [{"name": "PORT", "value": "8081"}, {"name": "SERVICE_VERSION", "value": version}],
    }


def _sidecar(image: str) -> dict:
    # The sample service again, on its own port: a stand-in for a metrics or proxy sidecar.
    return {
        "name": "metrics",
        "image": image,
        "essential": False,
        "portMappings": [{"containerPort": 9100}],
        "environment": [{"name": "PORT", "value": "9100"}, {"name": "SERVICE_VERSION", "value": "sidecar"}],
    }


def _running_definition(stack: Stack) -> dict:
    ecs = stack.lab.client("ecs")
    return ecs.describe_task_definition(taskDefinition=stack.service()["taskDefinition"])["taskDefinition"]


def _cut_over_under_load(stack: Stack, infrastructure: dict) -> str:
    """Runs the play with ``infrastructure`` under 50 requests a second; returns the new revision's ARN."""
    before = stack.service()["taskDefinition"]
    started = time.monotonic()
    with LoadGenerator(stack.production_url(), rate=50) as load:
        applied = stack.play(stack.images.v1, infrastructure=infrastructure)
    report = load.report()
    assert recap(applied)["failed"] == 0, applied.stdout[-5000:]
    assert any(name.endswith("Cut over | Task definition to run") for name in changed_tasks(applied)), applied.stdout[-4000:]
    assert report.total > 50 and report.failed == 0, _failures_in_time(report, started, applied.stdout)
    after = stack.service()["taskDefinition"]
    assert after != before
    return after


def _failures_in_time(report: Any, started: float, stdout: str) -> str:
    """The failed requests (seconds after the play started) beside the deployment's progress lines."""
    failed = [f"{sample.started - started:6.1f}s status={sample.status} {sample.error}" for sample in report.samples if not sample.ok]
    progress = [line for line in stdout.splitlines() if line.strip().startswith("[localhost]")]
    return "failed requests:\n" + "\n".join(failed[:20]) + "\nprogress:\n" + "\n".join(progress[-40:])


def _rollback_under_load(stack: Stack, served: str) -> None:
    """rollback.yml goes back to ``served``, the revision that served before, from the history;
    its re-run changes nothing."""
    started = time.monotonic()
    with LoadGenerator(stack.production_url(), rate=50) as load:
        rolled = stack.rollback()
    assert rolled.returncode == 0, rolled.stdout[-5000:]
    assert load.report().failed == 0, _failures_in_time(load.report(), started, rolled.stdout)
    assert stack.service()["taskDefinition"] == served
    assert f"redeploy {served.rsplit('/', 1)[1]}, the task definition that last served all production traffic before" in " ".join(rolled.stdout.split())
    mark = stack.lab.app.mark()
    again = stack.rollback()
    assert recap(again)["changed"] == 0, again.stdout[-3000:]
    assert mutating_calls(stack.lab.app.since(mark)) == []


def test_an_environment_change_and_a_sidecar_are_cut_over_and_rolled_back(module_lab: Any, images: SampleImages, tmp_path: Path) -> None:
    """Rolling; the sidecar on the two blue/green strategies is the test below."""
    stack = Stack(module_lab, images, "rolling", tmp_path, **OWN_LAYOUT)
    first = {"infrastructure_environment": {"PORT": 8081, "SERVICE_VERSION": "1.0"}}
    provisioned = stack.play(images.v1, infrastructure=first)
    assert recap(provisioned)["failed"] == 0, provisioned.stdout[-5000:]
    stack.wait_version("1.0")

    # One environment value: a new revision from the declared one, served over HTTP.
    changed = {"infrastructure_environment": {"PORT": 8081, "SERVICE_VERSION": "1.1"}}
    served = _cut_over_under_load(stack, changed)
    stack.wait_version("1.1")
    running = _running_definition(stack)
    assert {"name": "SERVICE_VERSION", "value": "1.1"} in running["containerDefinitions"][0]["environment"]
    stack.rerun_changes_nothing(stack.images.v1, infrastructure=changed)

    # Someone registers a revision of the family that never serves: "the revision below" the
    # next one, which the rollback must not take for the one that served before.
    never_served = _register_unserved(stack, running)

    _check_sidecar(stack, _storefront(images.v1, "1.1"))
    assert _running_definition(stack)["revision"] == int(never_served.rsplit(":", 1)[1]) + 1
    _rollback_under_load(stack, served)
    stack.wait_version("1.1")
    assert [c["name"] for c in _running_definition(stack)["containerDefinitions"]] == ["storefront"]


@pytest.mark.parametrize("strategy", ["codedeploy", "ecs"])
def test_a_sidecar_is_cut_over_and_rolled_back(module_lab: Any, images: SampleImages, tmp_path: Path, strategy: str) -> None:
    stack = Stack(module_lab, images, strategy, tmp_path, **OWN_LAYOUT)
    first = {"infrastructure_environment": {"PORT": 8081, "SERVICE_VERSION": "1.0"}}
    provisioned = stack.play(images.v1, infrastructure=first)
    assert recap(provisioned)["failed"] == 0, provisioned.stdout[-5000:]
    stack.wait_version("1.0")
    served = stack.service()["taskDefinition"]
    _check_sidecar(stack, _storefront(images.v1, "1.0"))
    _rollback_under_load(stack, served)
    assert [c["name"] for c in _running_definition(stack)["containerDefinitions"]] == ["storefront"]

    # Alarms are changed in place: the deployment group's (codedeploy) or the service's (ecs), no deployment.
    _alarms_change_in_place(stack, first, {"codedeploy": "codedeploy:UpdateDeploymentGroup", "ecs": "ecs:UpdateService"}[strategy])
    if strategy == "codedeploy":
        group = stack.lab.client("codedeploy").get_deployment_group(applicationName=stack.name, deploymentGroupName=stack.name)["deploymentGroupInfo"]
        assert group["alarmConfiguration"]["enabled"] is True
        assert [alarm["name"] for alarm in group["alarmConfiguration"]["alarms"]] == ["storefront-5xx"]
        assert "DEPLOYMENT_STOP_ON_ALARM" in group["autoRollbackConfiguration"]["events"]
    else:
        assert stack.service()["deploymentConfiguration"]["alarms"] == {"alarmNames": ["storefront-5xx"], "enable": True, "rollback": True}


def _alarms_change_in_place(stack: Stack, infrastructure: dict, call: str) -> None:
    """infrastructure_alarms set: ``call`` only, the same revision, no new deployment; the re-run changes nothing."""
    running = stack.service()["taskDefinition"]
    alarmed = {**infrastructure, "infrastructure_alarms": ["storefront-5xx"]}
    mark = stack.lab.app.mark()
    applied = stack.play(stack.images.v1, infrastructure=alarmed)
    assert recap(applied)["failed"] == 0, applied.stdout[-5000:]
    assert mutating_calls(stack.lab.app.since(mark)) == [call]
    assert stack.service()["taskDefinition"] == running
    stack.rerun_changes_nothing(stack.images.v1, infrastructure=alarmed)


def _check_sidecar(stack: Stack, storefront: dict) -> None:
    """A sidecar added in the full form (the same container as the compact form, and one more):
    cut over under load, two containers running, the re-run changes nothing."""
    full = {"infrastructure_containers": [storefront, _sidecar(stack.images.v1)]}
    revision = _cut_over_under_load(stack, full)
    running = _running_definition(stack)
    assert running["taskDefinitionArn"] == revision
    assert sorted(container["name"] for container in running["containerDefinitions"]) == ["metrics", "storefront"]
    stack.wait_version(dict((item["name"], item["value"]) for item in storefront["environment"])["SERVICE_VERSION"])
    stack.rerun_changes_nothing(stack.images.v1, infrastructure=full)


def _register_unserved(stack: Stack, running: dict) -> str:
    ecs = stack.lab.client("ecs")
    fields = ("family", "containerDefinitions", "cpu", "memory", "networkMode", "requiresCompatibilities", "executionRoleArn")
    definition = {key: running[key] for key in fields if key in running}
    definition["containerDefinitions"] = [dict(c, image=stack.images.broken) for c in running["containerDefinitions"]]
    return ecs.register_task_definition(**definition)["taskDefinition"]["taskDefinitionArn"]


@pytest.mark.parametrize(
    ("infrastructure", "deploy", "message"),
    [
        (
            {"infrastructure_containers": [dict(_storefront("registry.example/shop:1", "1"), name="web")]},
            {},
            "infrastructure_container_name 'storefront' and infrastructure_container_port 8081 behind the load balancer, cannot be registered",
        ),
        (
            {"infrastructure_secrets": {"DB_PASSWORD": "hunter2-not-an-arn"}},
            {},
            "secret 'DB_PASSWORD' does not take its value from an ARN",
        ),
        (
            None,
            {"deploy_container_name": "checkout", "deploy_task_definition": {"family": "shop", "containers": [_storefront("registry.example/shop:1", "1")]}},
            "deploy_container_name 'checkout' is not a container of deploy_task_definition",
        ),
    ],
    ids=["load-balancer-container", "secret-not-an-arn", "deploy-container"],
)
def test_bad_declared_definitions_fail_before_any_change(
    module_lab: Any, images: SampleImages, tmp_path: Path, infrastructure: dict | None, deploy: dict, message: str
) -> None:
    stack = Stack(module_lab, images, "rolling", tmp_path, **OWN_LAYOUT)
    mark = module_lab.app.mark()
    # None: the deploy role alone, as in a pipeline's own play.
    proc = stack.play(images.v1, infrastructure=infrastructure, provision=infrastructure is not None, **deploy)
    assert proc.returncode != 0
    assert message in " ".join(proc.stdout.split()), proc.stdout[-3000:]
    assert "hunter2" not in proc.stdout + proc.stderr
    assert mutating_calls(module_lab.app.since(mark)) == []


def test_desired_count_in_place_or_left_to_autoscaling_and_the_default_logging(module_lab: Any, images: SampleImages, tmp_path: Path) -> None:
    stack = Stack(module_lab, images, "rolling", tmp_path, **OWN_LAYOUT)
    declared = {"infrastructure_environment": {"PORT": 8081}, "infrastructure_secrets": SECRETS}
    unmanaged = {"infrastructure_desired_count_managed": False, **declared}
    first = stack.play(images.v1, infrastructure=unmanaged)
    assert recap(first)["failed"] == 0, first.stdout[-5000:]
    running = stack.service()["taskDefinition"]

    # Autoscaling (here: someone else) sets the count; the roles leave it alone.
    module_lab.client("ecs").update_service(cluster=stack.name, service=stack.name, desiredCount=2)
    stack.rerun_changes_nothing(stack.images.v1, infrastructure=unmanaged)
    assert stack.service()["desiredCount"] == 2

    # The default logging: a log group with its retention, and awslogs in the container.
    groups = module_lab.client("logs").describe_log_groups(logGroupNamePrefix=f"/ecs/{stack.name}")["logGroups"]
    assert [(group["logGroupName"], group.get("retentionInDays")) for group in groups] == [(f"/ecs/{stack.name}", 30)]
    assert _running_definition(stack)["containerDefinitions"][0]["logConfiguration"] == {
        "logDriver": "awslogs",
        "options": {"awslogs-group": f"/ecs/{stack.name}", "awslogs-region": "us-east-1", "awslogs-stream-prefix": "ecs"},
    }

    # The execution role reads exactly the declared secrets.
    policy = module_lab.client("iam").get_role_policy(RoleName=f"{stack.name}-task-execution", PolicyName="secrets")["PolicyDocument"]
    assert {statement["Action"]: statement["Resource"] for statement in policy["Statement"]} == {
        "secretsmanager:GetSecretValue": [f"{DB_SECRET}", f"{DB_SECRET}-??????"],
        "ssm:GetParameters": [API_KEY_PARAMETER],
    }

    # Managed, a new count is applied in place: one UpdateService, no revision, no cutover.
    mark = module_lab.app.mark()
    scaled = stack.play(images.v1, infrastructure={"infrastructure_desired_count": 3, **declared})
    assert recap(scaled)["failed"] == 0, scaled.stdout[-5000:]
    assert mutating_calls(module_lab.app.since(mark)) == ["ecs:UpdateService"]
    service = stack.service()
    assert (service["desiredCount"], service["taskDefinition"], len(service["deployments"])) == (3, running, 1)

    # Alarms too, in the service's deployment configuration.
    _alarms_change_in_place(stack, {"infrastructure_desired_count": 3, **declared}, "ecs:UpdateService")
    assert stack.service()["deploymentConfiguration"]["alarms"] == {"alarmNames": ["storefront-5xx"], "enable": True, "rollback": True}
    assert len(stack.service()["deployments"]) == 1
