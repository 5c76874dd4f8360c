"""Check mode before the first apply (issue 26): ``--check --diff`` of a whole play on an account
where nothing of the service exists yet completes, makes no mutating call and plans every resource
the roles would create; nothing is created.

- an ops playbook with its own names and ports (the infrastructure and deploy roles), for the two
  blue/green strategies (every resource a rolling service has, and more);
- ``deploy.yml`` as a user runs it, rolling (the image role too: nothing is pushed or registered).

The module is in tests/conftest.py's INDEPENDENT_MODULES: every test plans a stack of its own.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
from moto_counting_server import mutating_calls
from role_stack import BIN, REPO, Stack, changed_tasks

from lab.ecs.sampleimage import BASE_IMAGE, SampleImages, ensure_sample_images
from lab.ecs.testkit import unique

OWN_LAYOUT = {
    "infrastructure_container_name": "storefront",
    "infrastructure_container_port": 8081,
    "infrastructure_health_path": "/version",
    "infrastructure_production_port": 8088,
    "infrastructure_test_port": 9099,
}

# What the infrastructure role creates for every strategy, by task name.
PLANNED = (
    "Network | Security group of the load balancer",
    "Network | Security group of the tasks",
    "IAM | Task execution role (pulls the image, writes logs)",
    "Load balancing | Blue and green target groups",
    "Load balancing | Application load balancer",
    "Load balancing | Production and test listeners",
    "Service | Cluster",
    "Service | Log group of the containers",
    "Task definition | registered for a new service",
    "Service | The service",
)
PLANNED_FOR = {
    "codedeploy": ("IAM | CodeDeploy service role", "CodeDeploy | Application", "CodeDeploy | Deployment group"),
    "ecs": ("IAM | ECS role for the load balancer (ECS-native blue/green)",),
    "rolling": (),
}


@pytest.fixture(scope="module")
def images() -> SampleImages:
    return ensure_sample_images("podman")


def _nothing_of(lab: Any, name: str) -> dict[str, list]:
    """What the lab holds of ``name``: every list must be empty after a check run."""
    ecs, elbv2 = lab.client("ecs"), lab.client("elbv2")
    return {
        "clusters": [c for c in ecs.describe_clusters(clusters=[name])["clusters"] if c["status"] == "ACTIVE"],
        "load balancers": [b for b in elbv2.describe_load_balancers()["LoadBalancers"] if b["LoadBalancerName"].startswith(name)],
        "target groups": [g for g in elbv2.describe_target_groups()["TargetGroups"] if g["TargetGroupName"].startswith(name)],
        "task definitions": ecs.list_task_definitions(familyPrefix=name)["taskDefinitionArns"],
    }


def _planned(proc: subprocess.CompletedProcess[str], tasks: tuple[str, ...]) -> list[str]:
    """The tasks of ``tasks`` the check run did not report as changed (would not create)."""
    changed = changed_tasks(proc)
    return [task for task in tasks if not any(name.endswith(task) for name in changed)]


@pytest.mark.parametrize("strategy", ["codedeploy", "ecs"])
def test_an_ops_playbook_is_planned_on_an_empty_account(module_lab: Any, images: SampleImages, tmp_path: Path, strategy: str) -> None:
    stack = Stack(module_lab, images, strategy, tmp_path, **OWN_LAYOUT)
    mark = module_lab.app.mark()
    plan = stack.play(images.v2, check=True, infrastructure={"infrastructure_environment": {"PORT": 8081}})
    assert plan.returncode == 0, plan.stdout[-6000:] + plan.stderr[-2000:]
    assert mutating_calls(module_lab.app.since(mark)) == []
    assert _planned(plan, PLANNED + PLANNED_FOR[strategy]) == [], changed_tasks(plan)
    assert f"{stack.name} (cluster {stack.name}) does not exist yet" in " ".join(plan.stdout.split()), plan.stdout[-3000:]
    assert _nothing_of(module_lab, stack.name) == {"clusters": [], "load balancers": [], "target groups": [], "task definitions": []}


def test_deploy_yml_is_planned_on_an_empty_account(module_lab: Any, images: SampleImages, tmp_path: Path) -> None:
    name = unique("chk")
    env = Stack(module_lab, images, "codedeploy", tmp_path).env
    mark = module_lab.app.mark()
    command = [str(BIN / "ansible-playbook"), "deploy.yml", "--check", "--diff", "-e", f"cutover_name={name}", "-e", "cutover_strategy=rolling"]
    command += ["-e", "cutover_image_tag=v1", "-e", f"cutover_base_image={BASE_IMAGE}"]
    plan = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=900)
    assert plan.returncode == 0, plan.stdout[-6000:] + plan.stderr[-2000:]
    assert mutating_calls(module_lab.app.since(mark)) == []
    assert _planned(plan, PLANNED) == [], changed_tasks(plan)
    assert _nothing_of(module_lab, name) == {"clusters": [], "load balancers": [], "target groups": [], "task definitions": []}
    assert "ecr" not in {call.split(":")[0] for call in mutating_calls(module_lab.app.since(mark))}
