"""Clients nobody here wrote, against the lab: each creates, then re-runs, as its users do (issue 27).

A difference from AWS's documented responses shows up here as the client's own error, the way a user
would meet it. community.aws ``ecs_cluster`` reads ``capacityProviders`` and
``defaultCapacityProviderStrategy`` of DescribeClusters unguarded: AWS returns both for every cluster,
empty when none was set (API Reference, Cluster data type), and moto left them out (lab/moto_patches.py, 5).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from lab.ecs.testkit import unique

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def run_module(lab: Any, name: str, args: dict[str, Any]) -> dict[str, Any]:
    """``ansible localhost -m <name>`` against the lab; the module's result."""
    env = dict(lab.env, AWS_URL=lab.url, AWS_REGION="us-east-1", ANSIBLE_CONFIG=str(REPO / "ansible.cfg"))
    env.update(ANSIBLE_LOAD_CALLBACK_PLUGINS="1", ANSIBLE_STDOUT_CALLBACK="json", ANSIBLE_NOCOLOR="1")
    command = [str(BIN / "ansible"), "localhost", "-m", name, "-a", json.dumps(args)]
    proc = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    try:
        return json.loads(proc.stdout)["plays"][0]["tasks"][0]["hosts"]["localhost"]
    except (ValueError, KeyError, IndexError) as exc:
        raise AssertionError(f"no result from ansible: {exc}\n{proc.stdout[-3000:]}\n{proc.stderr[-2000:]}") from exc


def test_community_aws_ecs_cluster_creates_then_reruns(lab: Any) -> None:
    name = unique("tp-cluster")
    created = run_module(lab, "community.aws.ecs_cluster", {"name": name, "state": "present"})
    assert created.get("failed") is not True and created["changed"] is True, created
    again = run_module(lab, "community.aws.ecs_cluster", {"name": name, "state": "present"})
    assert again.get("failed") is not True, again.get("msg") or again
    assert again["changed"] is False, again
    cluster = lab.client("ecs").describe_clusters(clusters=[name])["clusters"][0]
    assert (cluster["capacityProviders"], cluster["defaultCapacityProviderStrategy"]) == ([], [])


def _default_network(lab: Any) -> tuple[str, list[str]]:
    ec2 = lab.client("ec2")
    vpc = ec2.describe_vpcs(Filters=[{"Name": "isDefault", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
    subnets = sorted(s["SubnetId"] for s in ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"])
    return vpc, subnets


def _create_then_rerun(lab: Any, module: str, args: dict[str, Any]) -> dict[str, Any]:
    created = run_module(lab, module, args)
    assert created.get("failed") is not True and created["changed"] is True, created.get("msg") or created
    again = run_module(lab, module, args)
    assert again.get("failed") is not True, again.get("msg") or again
    assert again["changed"] is False, again
    return again


def test_community_aws_ecs_taskdefinition_creates_then_reruns(lab: Any) -> None:
    container = {"name": "web", "image": "public.ecr.aws/nginx/nginx:1", "essential": True, "portMappings": [{"containerPort": 80, "protocol": "tcp"}]}
    args = {
        "family": unique("tp-td"),
        "containers": [container],
        "network_mode": "awsvpc",
        "launch_type": "FARGATE",
        "cpu": "256",
        "memory": "512",
        "state": "present",
    }
    _create_then_rerun(lab, "community.aws.ecs_taskdefinition", args)


def test_community_aws_elb_target_group_creates_then_reruns(lab: Any) -> None:
    vpc, _subnets = _default_network(lab)
    args = {
        "name": unique("tp-tg"),
        "protocol": "http",
        "port": 80,
        "vpc_id": vpc,
        "target_type": "ip",
        "health_check_protocol": "http",
        "health_check_path": "/",
        "state": "present",
    }
    _create_then_rerun(lab, "community.aws.elb_target_group", args)


def test_amazon_aws_elb_application_lb_creates_then_reruns(lab: Any) -> None:
    vpc, subnets = _default_network(lab)
    group = unique("tp-lbtg")
    lab.client("elbv2").create_target_group(Name=group, Protocol="HTTP", Port=80, VpcId=vpc, TargetType="ip")
    listener = {"Protocol": "HTTP", "Port": 80, "DefaultActions": [{"Type": "forward", "TargetGroupName": group}]}
    group_id = lab.client("ec2").describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [vpc]}, {"Name": "group-name", "Values": ["default"]}])[
        "SecurityGroups"
    ][0]["GroupId"]
    args = {"name": unique("tp-lb"), "subnets": subnets[:2], "security_groups": [group_id], "scheme": "internal", "listeners": [listener], "state": "present"}
    _create_then_rerun(lab, "amazon.aws.elb_application_lb", args)


def test_community_aws_ecs_service_creates_then_reruns(lab: Any) -> None:
    _vpc, subnets = _default_network(lab)
    ecs = lab.client("ecs")
    cluster = unique("tp-svc")
    ecs.create_cluster(clusterName=cluster)
    container = {"name": "web", "image": "public.ecr.aws/nginx/nginx:1", "essential": True}
    family = unique("tp-svctd")
    ecs.register_task_definition(
        family=family, containerDefinitions=[container], networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="256", memory="512"
    )
    args = {
        "name": unique("tp-svc"),
        "cluster": cluster,
        "task_definition": f"{family}:1",
        "desired_count": 0,
        "launch_type": "FARGATE",
        "network_configuration": {"subnets": subnets[:1], "assign_public_ip": False},
        "state": "present",
    }
    _create_then_rerun(lab, "community.aws.ecs_service", args)
