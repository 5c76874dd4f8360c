"""Check mode before the first apply (issue 26): ``--check --diff`` of a whole play on an account
where nothing of the service exists yet completes, makes no mutating call and plans every resource
the roles would create; nothing is created.

- an ops playbook with its own names and ports (the infrastructure and deploy roles), for the two
  blue/green strategies (every resource a rolling service has, and more);
- ``deploy.yml`` as a user runs it, rolling (the image role too: nothing is pushed or registered);
  then ``rollback.yml`` and ``teardown.yml`` on the same empty account: exit 0, nothing changed;
- the plan is true: a check run's plan (kept as JSON, as a CI job keeps it) lists the resources the
  first apply then creates, call by call; on that deployed stack, one environment value and one
  health-check threshold changed: the plan names exactly those two fields and the cutover it would
  run (strategy, from and to, traffic); the real run then makes exactly those changes (the target
  groups' threshold, a new revision, its rolling update).

The module is in tests/conftest.py's INDEPENDENT_MODULES: every test plans a stack of its own.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from moto_counting_server import mutating_calls
from role_stack import BIN, REPO, Stack, changed_tasks, recap

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


# The infrastructure role's plan (infrastructure_plan, printed in check mode): a line per resource.
PLAN_LINES = (
    "change security group of the load balancer",
    "change security group of the tasks",
    "change task execution role",
    "create target group blue",
    "create target group green",
    "create load balancer",
    "create cluster",
    "change log group",
    "create task definition",
    "create service",
)
PLAN_LINES_FOR = {
    "codedeploy": ("change CodeDeploy service role", "create CodeDeploy application", "create CodeDeploy deployment group"),
    "ecs": ("change ECS role for the load balancer",),
    "rolling": (),
}


def _missing_plan_lines(proc: subprocess.CompletedProcess[str], lines: tuple[str, ...]) -> list[str]:
    printed = " ".join(proc.stdout.split())
    return [line for line in lines if f"'{line}'" not in printed and f"- {line}" not in printed]


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
    assert _missing_plan_lines(plan, PLAN_LINES + PLAN_LINES_FOR[strategy]) == [], plan.stdout[-6000:]
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
    assert _missing_plan_lines(plan, PLAN_LINES) == [], plan.stdout[-6000:]
    # the one summary at the end: the image role's lines first, the infrastructure's, then the service's
    assert _missing_plan_lines(plan, (f"create ECR repository {name}",)) == [], plan.stdout[-6000:]
    assert re.search(rf"- build and push image \S+/{name}:v1\n", plan.stdout), plan.stdout[-6000:]
    assert _nothing_of(module_lab, name) == {"clusters": [], "load balancers": [], "target groups": [], "task definitions": []}
    assert "ecr" not in {call.split(":")[0] for call in mutating_calls(module_lab.app.since(mark))}

    # rollback.yml and teardown.yml, planned on the same empty account: nothing to do, nothing done.
    for playbook in ("rollback.yml", "teardown.yml"):
        mark = module_lab.app.mark()
        command = [str(BIN / "ansible-playbook"), playbook, "--check", "--diff", "-e", f"cutover_name={name}"]
        planned = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=900)
        assert planned.returncode == 0, planned.stdout[-6000:] + planned.stderr[-2000:]
        assert mutating_calls(module_lab.app.since(mark)) == [], playbook
        assert recap(planned)["changed"] == 0, (playbook, changed_tasks(planned))
        if playbook == "rollback.yml":
            assert f"{name} (cluster {name}) does not exist: a real run would fail here" in " ".join(planned.stdout.split()), planned.stdout[-3000:]


# The kind of resource each mutating call of a first apply acts on, and the calls that create one.
KIND_OF_CALL = {
    "ec2": "security group",
    "iam": "role",
    "logs": "log group",
    "ecs:CreateCluster": "cluster",
    "ecs:RegisterTaskDefinition": "task definition",
    "ecs:CreateService": "service",
    "elasticloadbalancing:CreateTargetGroup": "target group",
    "elasticloadbalancing:ModifyTargetGroupAttributes": "target group",
    "elasticloadbalancing:CreateLoadBalancer": "load balancer",
    "elasticloadbalancing:ModifyLoadBalancerAttributes": "load balancer",
    "elasticloadbalancing:CreateListener": "listener",
}
CREATES = ("ec2:CreateSecurityGroup", "iam:CreateRole", "logs:CreateLogGroup", "ecs:CreateCluster", "ecs:RegisterTaskDefinition", "ecs:CreateService")
CREATES += ("elasticloadbalancing:CreateTargetGroup", "elasticloadbalancing:CreateLoadBalancer", "elasticloadbalancing:CreateListener")


def _kind_of_call(call: str) -> str:
    return KIND_OF_CALL.get(call) or KIND_OF_CALL.get(call.split(":")[0]) or f"unplanned call {call}"


def _kind_of_entry(resource: str) -> str:
    for kind in ("security group", "target group", "load balancer", "listener", "log group", "task definition", "cluster", "service"):
        if resource.startswith(kind):
            return kind
    return "role" if resource.endswith("role") else resource


def test_the_plan_is_true_for_a_create_and_names_exactly_the_changed_fields(module_lab: Any, images: SampleImages, tmp_path: Path) -> None:
    stack = Stack(module_lab, images, "rolling", tmp_path, **OWN_LAYOUT)
    first = {"infrastructure_environment": {"PORT": 8081, "SERVICE_VERSION": "1.0"}}
    # The check run's plan, kept as a CI job keeps it; then the first apply makes exactly what it listed.
    kept = tmp_path / "plan.json"
    planned = stack.play(images.v1, check=True, infrastructure=first, plan_file=kept)
    assert planned.returncode == 0, planned.stdout[-6000:] + planned.stderr[-2000:]
    plan_data = json.loads(kept.read_text())
    assert plan_data["deploy"]["action"] == "none" and "would create" in plan_data["deploy"]["reason"], plan_data["deploy"]
    assert {entry["action"] for entry in plan_data["infrastructure"]} <= {"create", "change"}, plan_data["infrastructure"]
    mark = module_lab.app.mark()
    provisioned = stack.play(images.v1, infrastructure=first)
    assert recap(provisioned)["failed"] == 0, provisioned.stdout[-5000:]
    made = mutating_calls(module_lab.app.since(mark))
    created = Counter(_kind_of_call(call) for call in made if call in CREATES)
    assert created == Counter(_kind_of_entry(entry["resource"]) for entry in plan_data["infrastructure"]), (made, plan_data["infrastructure"])
    assert {_kind_of_call(call) for call in made} == set(created), made
    running = stack.service()["taskDefinition"]

    changed = {"infrastructure_environment": {"PORT": 8081, "SERVICE_VERSION": "1.1"}, "infrastructure_healthy_threshold": 3}
    mark = module_lab.app.mark()
    plan = stack.play(images.v1, check=True, infrastructure=changed, plan_file=kept)
    assert plan.returncode == 0, plan.stdout[-6000:]
    assert mutating_calls(module_lab.app.since(mark)) == []
    printed = " ".join(plan.stdout.split())
    # The infrastructure plan: the threshold of both target groups, nothing else.
    lines = ("update target group blue: HealthyThresholdCount", "update target group green: HealthyThresholdCount")
    assert _missing_plan_lines(plan, lines) == [], plan.stdout[-6000:]
    assert "msg: - 'update target group blue: HealthyThresholdCount' - 'update target group green: HealthyThresholdCount' TASK" in printed
    # The cutover it would run: from the running revision to the next one, for the environment value alone.
    following = f"{stack.name}:{int(running.rsplit(':', 1)[1]) + 1}"
    line = (
        f"cut over service {stack.name} with a rolling deployment from {running.split('/')[-1]} to {following} (registered by this run); "
        "fields that differ: containerDefinitions.storefront.environment; rolling update: tasks replaced"
    )
    assert line in printed, plan.stdout[-4000:]
    kept_plan = json.loads(kept.read_text())
    assert [(e["resource"], e["action"], e["fields"]) for e in kept_plan["infrastructure"]] == [
        ("target group blue", "update", ["HealthyThresholdCount"]),
        ("target group green", "update", ["HealthyThresholdCount"]),
    ]
    deploy_plan = kept_plan["deploy"]
    assert (deploy_plan["action"], deploy_plan["strategy"], deploy_plan["from"], deploy_plan["registers_revision"]) == ("start", "rolling", running, True)
    assert deploy_plan["to"].endswith(f"/{following}") and deploy_plan["fields"] == ["containerDefinitions.storefront.environment"], deploy_plan
    assert sorted(set(changed_tasks(plan)) - {"Keep the plan"}) == sorted(
        [
            "cutover.ecs.infrastructure : Load balancing | Blue and green target groups",
            "cutover.ecs.deploy : Cut over | Task definition to run",
            "cutover.ecs.deploy : Cut over | Production traffic to the new task definition",
        ]
    )

    # The real run makes exactly those changes.
    mark = module_lab.app.mark()
    applied = stack.play(images.v1, infrastructure=changed)
    assert recap(applied)["failed"] == 0, applied.stdout[-5000:]
    assert sorted(mutating_calls(module_lab.app.since(mark))) == sorted(
        ["elasticloadbalancing:ModifyTargetGroup", "elasticloadbalancing:ModifyTargetGroup", "ecs:RegisterTaskDefinition", "ecs:UpdateService"]
    )
    stack.wait_version("1.1")
