"""A declared task definition converges, through ansible-playbook against the lab, as a user's own
ops playbook runs the infrastructure and deploy roles (its own names, ports and health path):

- one environment value changed: a new revision carrying it, cut over with the service's own
  strategy under 50 requests a second with 0 failed, the new value served over HTTP (the sample
  service answers /version with SERVICE_VERSION); the re-run makes 0 mutating calls;
- a sidecar added (the full form, infrastructure_containers): the same;
- a declared definition the load balancer cannot reach, or a deploy_container_name it does not
  declare, fails before any mutating call and names the variable.

One test per strategy; the module is in tests/conftest.py's INDEPENDENT_MODULES, so the three
go to three workers.
"""

from __future__ import annotations

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
    with LoadGenerator(stack.production_url(), rate=50) as load:
        applied = stack.play(stack.images.v1, infrastructure=infrastructure)
    report = load.report()
    assert recap(applied)["failed"] == 0, applied.stdout[-5000:]
    assert any(name.endswith("Cut over | Task definition to run") for name in changed_tasks(applied)), applied.stdout[-4000:]
    assert report.total > 50 and report.failed == 0, report.failures()[:5]
    after = stack.service()["taskDefinition"]
    assert after != before
    return after


def _rerun_changes_nothing(stack: Stack, infrastructure: dict) -> None:
    mark = stack.lab.app.mark()
    again = stack.play(stack.images.v1, infrastructure=infrastructure)
    assert recap(again)["changed"] == 0, changed_tasks(again)
    assert mutating_calls(stack.lab.app.since(mark)) == []


@pytest.mark.parametrize("strategy", ["rolling", "codedeploy", "ecs"])
def test_an_environment_change_and_a_sidecar_are_cut_over(module_lab: Any, images: SampleImages, tmp_path: Path, strategy: str) -> None:
    stack = Stack(module_lab, images, strategy, tmp_path, **OWN_LAYOUT)
    first = {"infrastructure_environment": {"PORT": 8081, "SERVICE_VERSION": "1.0"}}
    provisioned = stack.play(images.v1, infrastructure=first)
    assert recap(provisioned)["failed"] == 0, provisioned.stdout[-5000:]
    stack.wait_version("1.0")
    _rerun_changes_nothing(stack, first)

    # One environment value: a new revision from the declared one, served over HTTP.
    changed = {"infrastructure_environment": {"PORT": 8081, "SERVICE_VERSION": "1.1"}}
    revision = _cut_over_under_load(stack, changed)
    stack.wait_version("1.1")
    running = _running_definition(stack)
    assert running["taskDefinitionArn"] == revision
    assert {"name": "SERVICE_VERSION", "value": "1.1"} in running["containerDefinitions"][0]["environment"]
    _rerun_changes_nothing(stack, changed)

    # A sidecar added, in the full form.
    full = {"infrastructure_containers": [_storefront(images.v1, "1.1"), _sidecar(images.v1)]}
    revision = _cut_over_under_load(stack, full)
    running = _running_definition(stack)
    assert running["taskDefinitionArn"] == revision
    assert sorted(container["name"] for container in running["containerDefinitions"]) == ["metrics", "storefront"]
    stack.wait_version("1.1")
    _rerun_changes_nothing(stack, full)


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
