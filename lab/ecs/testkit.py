"""Helpers for the ECS tests in tests/lab/: bounded waits and sample resources."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")
SAMPLE_PORT = 8080


class WaitTimeout(AssertionError):
    """A wait ran out; carries the last value seen so the failure says why."""

    def __init__(self, what: str, last: Any) -> None:
        super().__init__(f"timed out waiting for {what}; last seen: {last!r}"[:4000])
        self.last = last


def wait_for(what: str, probe: Callable[[], T], ready: Callable[[T], bool], timeout: float = 60.0, interval: float = 0.25) -> T:
    """Polls ``probe`` until ``ready`` holds (bounded in time); returns the value."""
    deadline = time.monotonic() + timeout
    value = probe()
    while not ready(value):
        if time.monotonic() > deadline:
            raise WaitTimeout(what, value)
        time.sleep(interval)
        value = probe()
    return value


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def default_subnets(ec2: Any) -> list[str]:
    vpc = ec2.describe_vpcs(Filters=[{"Name": "isDefault", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
    subnets = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"]
    return [s["SubnetId"] for s in subnets][:2]


def awsvpc(subnets: list[str]) -> dict[str, Any]:
    return {"awsvpcConfiguration": {"subnets": subnets, "assignPublicIp": "DISABLED"}}


def register_sample(ecs: Any, family: str, image: str, env: dict[str, str] | None = None, **container: Any) -> str:
    """A Fargate task definition of one container serving on 8080; returns its ARN."""
    definition = {
        "name": "app",
        "image": image,
        "essential": True,
        "portMappings": [{"containerPort": SAMPLE_PORT, "protocol": "tcp"}],
        "environment": [{"name": k, "value": v} for k, v in (env or {}).items()],
        **container,
    }
    response = ecs.register_task_definition(
        family=family,
        networkMode="awsvpc",
        requiresCompatibilities=["FARGATE"],
        cpu="256",
        memory="512",
        containerDefinitions=[definition],
    )
    return response["taskDefinition"]["taskDefinitionArn"]


def task_ip(task: dict[str, Any]) -> str | None:
    for attachment in task.get("attachments") or []:
        for detail in attachment.get("details") or []:
            if detail["name"] == "privateIPv4Address":
                return detail["value"]
    return None


def describe_service(ecs: Any, cluster: str, service: str) -> dict[str, Any]:
    return ecs.describe_services(cluster=cluster, services=[service])["services"][0]


def all_service_tasks(ecs: Any, cluster: str, service: str) -> list[dict[str, Any]]:
    """Every task of a service, running and stopped, described."""
    arns = ecs.list_tasks(cluster=cluster, serviceName=service)["taskArns"]
    arns += ecs.list_tasks(cluster=cluster, serviceName=service, desiredStatus="STOPPED")["taskArns"]
    tasks: list[dict[str, Any]] = []
    for start in range(0, len(arns), 100):
        tasks += ecs.describe_tasks(cluster=cluster, tasks=arns[start : start + 100])["tasks"]
    return tasks


def max_overlap(intervals: list[tuple[float, float]]) -> int:
    """Most intervals open at one instant ([start, end) with end=inf when open)."""
    points = sorted([(start, 1) for start, _ in intervals] + [(end, -1) for _, end in intervals], key=lambda p: (p[0], p[1]))
    best = current = 0
    for _, delta in points:
        current += delta
        best = max(best, current)
    return best


def min_coverage(intervals: list[tuple[float, float]], start: float, end: float) -> int:
    """Fewest intervals open at any instant of [start, end)."""
    cuts = sorted({start, end, *(s for s, _ in intervals), *(e for _, e in intervals)})
    cuts = [c for c in cuts if start <= c < end]
    return min((sum(1 for s, e in intervals if s <= c < e) for c in cuts), default=0)


def timestamp(value: Any) -> float:
    return value.timestamp() if hasattr(value, "timestamp") else float(value)


def create_alb(elbv2: Any, ec2: Any, subnets: list[str], name: str, deregistration_delay: int = 5) -> dict[str, str]:
    """An internal ALB with one ``ip`` target group (health check ``/healthcheck``
    every 5 s, 2 to turn healthy or unhealthy) and an HTTP:80 listener forwarding to it.
    Returns ARNs and ``dns`` (the lab answers with the ALB's loopback address)."""
    vpc = ec2.describe_subnets(SubnetIds=subnets[:1])["Subnets"][0]["VpcId"]
    lb = elbv2.create_load_balancer(Name=name, Subnets=subnets, Type="application", Scheme="internal")["LoadBalancers"][0]
    group = create_target_group(elbv2, f"{name}-tg"[:32], vpc)
    elbv2.modify_target_group_attributes(TargetGroupArn=group, Attributes=[{"Key": "deregistration_delay.timeout_seconds", "Value": str(deregistration_delay)}])
    listener = elbv2.create_listener(
        LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=80, DefaultActions=[{"Type": "forward", "TargetGroupArn": group}]
    )["Listeners"][0]
    return {"lb": lb["LoadBalancerArn"], "dns": lb["DNSName"], "tg": group, "listener": listener["ListenerArn"]}


def create_target_group(elbv2: Any, name: str, vpc: str) -> str:
    """An ``ip`` target group for the sample service: health check ``/healthcheck`` every 5 s,
    2 checks to turn healthy or unhealthy. Returns its ARN."""
    return elbv2.create_target_group(
        Name=name,
        Protocol="HTTP",
        Port=SAMPLE_PORT,
        VpcId=vpc,
        TargetType="ip",
        HealthCheckPath="/healthcheck",
        HealthCheckIntervalSeconds=5,
        HealthCheckTimeoutSeconds=2,
        HealthyThresholdCount=2,
        UnhealthyThresholdCount=2,
    )["TargetGroups"][0]["TargetGroupArn"]


def health_states(elbv2: Any, target_group_arn: str) -> dict[str, str]:
    """``ip:port`` -> state, from DescribeTargetHealth."""
    described = elbv2.describe_target_health(TargetGroupArn=target_group_arn)["TargetHealthDescriptions"]
    return {f"{d['Target']['Id']}:{d['Target'].get('Port')}": d["TargetHealth"]["State"] for d in described}


def healthy_count(elbv2: Any, target_group_arn: str) -> int:
    return sum(state == "healthy" for state in health_states(elbv2, target_group_arn).values())


def version_at(url: str, headers: dict[str, str] | None = None) -> str | None:
    """The ``version`` the sample service reports at ``url`` (with ``headers``, a Host say), or None when nothing answers."""
    import json
    import urllib.request

    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}), timeout=2) as response:
            return json.loads(response.read()).get("version")
    except (OSError, ValueError):
        return None


def rolling_steady(service: dict[str, Any], desired: int) -> bool:
    """One deployment, COMPLETED, with ``desired`` tasks running."""
    deployments = service["deployments"]
    return len(deployments) == 1 and deployments[0]["rolloutState"] == "COMPLETED" and service["runningCount"] == desired


def rolling_world(lab: Any, v1_image: str, prefix: str, desired: int, timeout: float, **deployment: Any) -> dict[str, Any]:
    """A cluster, an ALB (HTTP:80) and an ECS-controller service of ``desired`` v1 tasks behind it,
    steady, its targets healthy. ``deployment``: the service's deploymentConfiguration beyond
    maximumPercent 200 and minimumHealthyPercent 100."""
    ecs, elbv2, ec2 = lab.client("ecs"), lab.client("elbv2"), lab.client("ec2")
    subnets = default_subnets(ec2)
    cluster, service, family = unique(prefix), unique("web"), unique("web")
    ecs.create_cluster(clusterName=cluster)
    alb = create_alb(elbv2, ec2, subnets, unique(prefix))
    v1 = register_sample(ecs, family, v1_image, env={"SHUTDOWN_TIMEOUT": "5"})
    ecs.create_service(
        cluster=cluster,
        serviceName=service,
        taskDefinition=v1,
        desiredCount=desired,
        launchType="FARGATE",
        networkConfiguration=awsvpc(subnets),
        loadBalancers=[{"targetGroupArn": alb["tg"], "containerName": "app", "containerPort": SAMPLE_PORT}],
        healthCheckGracePeriodSeconds=30,
        deploymentConfiguration={"maximumPercent": 200, "minimumHealthyPercent": 100, **deployment},
    )
    wait_for("the service to be steady", lambda: describe_service(ecs, cluster, service), lambda s: rolling_steady(s, desired), timeout=timeout)
    wait_for(f"{desired} healthy targets", lambda: healthy_count(elbv2, alb["tg"]), lambda n: n == desired, timeout=timeout)
    return {
        "ecs": ecs,
        "elbv2": elbv2,
        "cluster": cluster,
        "service": service,
        "family": family,
        "v1": v1,
        "alb": alb,
        "url": f"http://{alb['dns']}/version",
    }
