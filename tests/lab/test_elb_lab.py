"""Conformance of the lab's load balancers through the AWS API (boto3 against the lab endpoint).

The session's lab (``tests/lab/conftest.py``) runs HAProxy; these tests create
load balancers, target groups and listeners with boto3, register real HTTP
targets started here on loopback, and check what DescribeTargetHealth says and
where requests go. Waits poll for a state with a bound, they never time.
"""

from __future__ import annotations

import http.client
import itertools
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from lab.elb.testkit import TargetServer, status_from
from lab.loadgen import LoadGenerator

# Targets live outside the lab's address pools; the load balancers get the lab's own addresses.
_addresses = (f"127.42.{third}.{fourth}" for third in itertools.count(200) for fourth in range(1, 255))


def wait_for(predicate: Callable[[], bool], timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return predicate()


@pytest.fixture
def targets() -> Iterator[Callable[[str], TargetServer]]:
    started: list[TargetServer] = []

    def start(name: str) -> TargetServer:
        server = TargetServer(name, next(_addresses)).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


class Env:
    """A VPC's subnets and helpers to build ELBv2 resources with unique names."""

    def __init__(self, lab: Any) -> None:
        self.lab = lab
        self.elb = lab.client("elbv2")
        ec2 = lab.client("ec2")
        self.vpc = ec2.describe_vpcs()["Vpcs"][0]["VpcId"]
        self.subnets = [s["SubnetId"] for s in ec2.describe_subnets()["Subnets"]][:2]
        self.suffix = uuid.uuid4().hex[:6]

    def load_balancer(self, kind: str = "application", **more: Any) -> dict[str, Any]:
        return self.elb.create_load_balancer(Name=f"lb-{kind[:3]}-{self.suffix}", Subnets=self.subnets, Type=kind, **more)["LoadBalancers"][0]

    def target_group(self, name: str, protocol: str = "HTTP", **health: Any) -> str:
        settings = dict(HealthCheckIntervalSeconds=5, HealthCheckTimeoutSeconds=2, HealthyThresholdCount=2, UnhealthyThresholdCount=2)
        if protocol == "HTTP":
            settings["HealthCheckPath"] = "/health"
        settings.update(health)
        arn = self.elb.create_target_group(Name=f"{name}-{self.suffix}", Protocol=protocol, Port=80, VpcId=self.vpc, TargetType="ip", **settings)[
            "TargetGroups"
        ][0]["TargetGroupArn"]
        self.elb.modify_target_group_attributes(TargetGroupArn=arn, Attributes=[{"Key": "deregistration_delay.timeout_seconds", "Value": "3"}])
        return arn

    def register(self, group_arn: str, *servers: TargetServer) -> None:
        self.elb.register_targets(TargetGroupArn=group_arn, Targets=[{"Id": s.address, "Port": s.port} for s in servers])

    def health(self, group_arn: str, **kwargs: Any) -> dict[tuple[str, int], dict[str, str]]:
        answer = self.elb.describe_target_health(TargetGroupArn=group_arn, **kwargs)["TargetHealthDescriptions"]
        return {(d["Target"]["Id"], d["Target"]["Port"]): d["TargetHealth"] for d in answer}

    def states(self, group_arn: str) -> set[str]:
        return {h["State"] for h in self.health(group_arn).values()}


@pytest.fixture
def env(lab: Any) -> Env:
    return Env(lab)


def get(host: str, port: int, path: str = "/") -> tuple[int, str]:
    connection = http.client.HTTPConnection(host, port, timeout=10)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read().decode().strip()
    finally:
        connection.close()


def test_load_balancer_dns_name_is_its_loopback_address_and_listeners_bind_there(lab: Any, env: Env, targets: Callable[[str], TargetServer]) -> None:
    """Each load balancer gets its own address, reported as DNSName; each listener binds its port there.

    https://docs.aws.amazon.com/elasticloadbalancing/latest/application/application-load-balancers.html
    (DNS name of the load balancer) and
    https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-listeners.html
    """
    lb = env.load_balancer()
    address = lb["DNSName"]
    assert address.startswith(f"{lab.loopback_prefix}.1."), lb["DNSName"]
    group_arn = env.target_group("web")
    server = targets("web-1")
    env.register(group_arn, server)
    env.elb.create_listener(
        LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=8080, DefaultActions=[{"Type": "forward", "TargetGroupArn": group_arn}]
    )
    assert wait_for(lambda: env.states(group_arn) == {"healthy"})
    assert get(address, 8080) == (200, "web-1")
    (described,) = env.elb.describe_load_balancers(LoadBalancerArns=[lb["LoadBalancerArn"]])["LoadBalancers"]
    assert described["DNSName"] == address and described["State"]["Code"] == "active"


def test_security_groups_admit_only_the_sources_of_their_inbound_rules(lab: Any, env: Env, targets: Callable[[str], TargetServer]) -> None:
    """A listener admits the source CIDRs that the load balancer's security groups allow on its port, and follows
    rule changes; a port no rule allows admits nobody (a closed test listener).

    https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-update-security-groups.html
    (the security groups must allow traffic to the load balancer on the listener ports)
    """
    ec2 = lab.client("ec2")
    group = ec2.create_security_group(GroupName=f"lb-sg-{env.suffix}", Description="listeners", VpcId=env.vpc)["GroupId"]
    one_host = {"IpProtocol": "tcp", "FromPort": 8090, "ToPort": 8090, "IpRanges": [{"CidrIp": "127.0.0.3/32"}]}
    ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=[one_host])
    lb = env.load_balancer(SecurityGroups=[group])
    group_arn = env.target_group("sg")
    env.register(group_arn, targets("sg-1"))
    for port in (8090, 8091):
        env.elb.create_listener(
            LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=port, DefaultActions=[{"Type": "forward", "TargetGroupArn": group_arn}]
        )
    assert wait_for(lambda: env.states(group_arn) == {"healthy"})
    address = lb["DNSName"]
    assert wait_for(lambda: status_from("127.0.0.3", address, 8090) == 200)
    assert [status_from(source, address, port) for source, port in [("127.0.0.1", 8090), ("127.0.0.3", 8091), ("127.0.0.1", 8091)]] == ["refused"] * 3

    everyone_local = {"IpProtocol": "tcp", "FromPort": 8090, "ToPort": 8091, "IpRanges": [{"CidrIp": "127.0.0.0/8"}]}
    ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=[everyone_local])
    assert wait_for(lambda: status_from("127.0.0.1", address, 8091) == 200)
    assert status_from("127.0.0.1", address, 8090) == 200

    ec2.revoke_security_group_ingress(GroupId=group, IpPermissions=[one_host, everyone_local])
    assert wait_for(lambda: status_from("127.0.0.3", address, 8090) == "refused")
    assert status_from("127.0.0.1", address, 8091) == "refused"


def test_describe_target_health_reports_unused_initial_healthy_unhealthy_and_draining(lab: Any, env: Env, targets: Callable[[str], TargetServer]) -> None:
    """DescribeTargetHealth answers from HAProxy's health checks, with AWS's states and reason codes.

    https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_DescribeTargetHealth.html
    https://docs.aws.amazon.com/elasticloadbalancing/latest/application/target-group-health-checks.html
    """
    lb = env.load_balancer()
    group_arn = env.target_group("health")
    a, b = targets("a"), targets("b")
    env.register(group_arn, a, b)
    unused = env.health(group_arn)
    assert {(h["State"], h.get("Reason")) for h in unused.values()} == {("unused", "Target.NotInUse")}

    env.elb.create_listener(
        LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=8081, DefaultActions=[{"Type": "forward", "TargetGroupArn": group_arn}]
    )
    assert wait_for(lambda: env.states(group_arn) == {"initial"}, timeout=10)
    assert {h["Reason"] for h in env.health(group_arn).values()} <= {"Elb.RegistrationInProgress", "Elb.InitialHealthChecking"}
    assert wait_for(lambda: env.states(group_arn) == {"healthy"})

    b.health_status = 500
    assert wait_for(lambda: env.health(group_arn)[(b.address, b.port)]["State"] == "unhealthy")
    assert env.health(group_arn)[(b.address, b.port)] == {
        "State": "unhealthy",
        "Reason": "Target.ResponseCodeMismatch",
        "Description": "Health checks failed with these codes: [500]",
    }
    b.health_status = 200
    assert wait_for(lambda: env.states(group_arn) == {"healthy"})

    env.elb.deregister_targets(TargetGroupArn=group_arn, Targets=[{"Id": a.address, "Port": a.port}])
    assert env.health(group_arn)[(a.address, a.port)] == {
        "State": "draining",
        "Reason": "Target.DeregistrationInProgress",
        "Description": "Target deregistration is in progress",
    }
    assert wait_for(lambda: (a.address, a.port) not in env.health(group_arn))
    asked = env.health(group_arn, Targets=[{"Id": a.address, "Port": a.port}])
    assert asked[(a.address, a.port)]["State"] == "unused" and asked[(a.address, a.port)]["Reason"] == "Target.NotRegistered"


def test_unhealthy_fault_fails_a_target_groups_checks_until_cleared(lab: Any, env: Env, targets: Callable[[str], TargetServer]) -> None:
    """``python -m lab fault unhealthy --target-group NAME``: every target fails its health checks (Target.FailedHealthChecks).

    https://docs.aws.amazon.com/elasticloadbalancing/latest/application/target-group-health-checks.html
    """
    lb = env.load_balancer()
    group_arn = env.target_group("fault")
    env.register(group_arn, targets("f1"), targets("f2"))
    env.elb.create_listener(
        LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=8082, DefaultActions=[{"Type": "forward", "TargetGroupArn": group_arn}]
    )
    assert wait_for(lambda: env.states(group_arn) == {"healthy"})

    name = group_arn.split(":targetgroup/", 1)[1].split("/", 1)[0]
    result = lab.cli("fault", "unhealthy", "--target-group", name)
    assert result.returncode == 0, result.stderr
    try:
        assert wait_for(lambda: env.states(group_arn) == {"unhealthy"})
        assert {h["Reason"] for h in env.health(group_arn).values()} == {"Target.FailedHealthChecks"}
        # only unhealthy targets: the group fails open, as on AWS (test_elb_dataplane.py, FAIL_OPEN_DOC)
        assert get(lb["DNSName"], 8082)[0] == 200
    finally:
        cleared = lab.cli("fault", "unhealthy", "--target-group", name, "--off")
        assert cleared.returncode == 0, cleared.stderr
    assert wait_for(lambda: env.states(group_arn) == {"healthy"})


def test_modify_listener_weights_shift_traffic_without_failures(lab: Any, env: Env, targets: Callable[[str], TargetServer]) -> None:
    """A blue/green shift by ModifyListener with weighted target groups, under about 100 requests a second: 0 failures.

    https://docs.aws.amazon.com/elasticloadbalancing/latest/application/rule-action-types.html
    (forward action with weighted target groups)
    """
    lb = env.load_balancer()
    blue_arn, green_arn = env.target_group("blue"), env.target_group("green")
    env.register(blue_arn, targets("blue"), targets("blue"))
    env.register(green_arn, targets("green"), targets("green"))

    def weights(blue: int, green: int) -> list[dict[str, Any]]:
        return [
            {
                "Type": "forward",
                "ForwardConfig": {"TargetGroups": [{"TargetGroupArn": blue_arn, "Weight": blue}, {"TargetGroupArn": green_arn, "Weight": green}]},
            }
        ]

    listener = env.elb.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=8083, DefaultActions=weights(100, 0))["Listeners"][0][
        "ListenerArn"
    ]
    assert wait_for(lambda: env.states(blue_arn) == {"healthy"} and env.states(green_arn) == {"healthy"})

    load = LoadGenerator(f"http://{lb['DNSName']}:8083/", rate=100, keepalive=True).start()
    try:
        for green in (10, 50, 100):
            env.elb.modify_listener(ListenerArn=listener, DefaultActions=weights(100 - green, green))
            time.sleep(1.5)
    finally:
        result = load.stop()
    assert result.failed == 0, result.failures()
    assert result.versions()["blue"] > 0 and result.versions()["green"] > 0
    assert Counter(get(lb["DNSName"], 8083)[1] for _ in range(20)) == Counter({"green": 20})
