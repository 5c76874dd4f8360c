"""cutover.ecs.load_balancer against moto: check mode, apply, re-apply, modify, delete."""

from __future__ import annotations

import boto3
import pytest
from moto_counting_server import mutating_calls

NAME = "it-alb"
ELB = "elasticloadbalancing"


@pytest.fixture(scope="module")
def network(moto_server):
    """The default VPC, three of its subnets in different zones, and two security groups."""
    ec2 = boto3.client("ec2", region_name="us-east-1", endpoint_url=moto_server.url, aws_access_key_id="testing", aws_secret_access_key="testing")
    vpc_id = ec2.describe_vpcs(Filters=[{"Name": "isDefault", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
    subnets = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["Subnets"]
    by_zone = {subnet["AvailabilityZone"]: subnet["SubnetId"] for subnet in subnets}
    groups = {
        name: ec2.create_security_group(GroupName=name, Description="cutover.ecs integration test", VpcId=vpc_id)["GroupId"]
        for name in ("it-lb-sg-a", "it-lb-sg-b")
    }
    yield dict(vpc_id=vpc_id, subnets=[by_zone[zone] for zone in sorted(by_zone)][:3], groups=groups)
    for group_id in groups.values():
        ec2.delete_security_group(GroupId=group_id)


def test_load_balancer_lifecycle(run_module, network):
    subnets, groups = network["subnets"], network["groups"]
    args = dict(
        name=NAME,
        type="application",
        scheme="internet-facing",
        subnets=subnets[:2],
        security_groups=["it-lb-sg-a"],  # by name
        attributes={"idle_timeout.timeout_seconds": 30, "routing.http2.enabled": True},
        tags={"team": "payments", "env": "test"},
    )

    result, calls = run_module("load_balancer", args, check=True, diff=True)
    assert result["changed"] is True, result
    assert result["load_balancer"]["security_groups"] == [groups["it-lb-sg-a"]]  # resolved in check mode too
    assert result["diff"]["before"] == {}
    assert mutating_calls(calls) == []

    result, calls = run_module("load_balancer", args)
    assert result["changed"] is True, result
    balancer = result["load_balancer"]
    assert balancer["state"] == {"code": "active"}
    assert balancer["dns_name"]
    assert balancer["load_balancer_arn"].startswith("arn:aws:elasticloadbalancing:")
    assert balancer["vpc_id"] == network["vpc_id"]
    assert balancer["subnets"] == sorted(subnets[:2])
    assert balancer["security_groups"] == [groups["it-lb-sg-a"]]
    assert balancer["attributes"]["idle_timeout.timeout_seconds"] == "30"
    assert balancer["attributes"]["routing.http2.enabled"] == "true"
    assert balancer["tags"] == {"team": "payments", "env": "test"}
    assert mutating_calls(calls) == [f"{ELB}:CreateLoadBalancer", f"{ELB}:ModifyLoadBalancerAttributes"]

    result, calls = run_module("load_balancer", args)
    assert result["changed"] is False, result
    assert mutating_calls(calls) == []

    # Subnets in another order and the group by ID are the same load balancer.
    same = dict(args, subnets=list(reversed(subnets[:2])), security_groups=[groups["it-lb-sg-a"]])
    result, calls = run_module("load_balancer", same)
    assert result["changed"] is False, result
    assert mutating_calls(calls) == []

    modified = dict(
        args,
        subnets=subnets[:3],
        security_groups=["it-lb-sg-b", groups["it-lb-sg-a"]],
        attributes={"idle_timeout.timeout_seconds": 120},
        tags={"team": "search"},
    )
    result, calls = run_module("load_balancer", modified, check=True)
    assert result["changed"] is True
    assert result["load_balancer"]["subnets"] == sorted(subnets[:3])
    assert mutating_calls(calls) == []

    result, calls = run_module("load_balancer", modified, diff=True)
    assert result["changed"] is True, result
    balancer = result["load_balancer"]
    assert balancer["subnets"] == sorted(subnets[:3])
    assert balancer["security_groups"] == sorted(groups.values())
    assert balancer["attributes"]["idle_timeout.timeout_seconds"] == "120"
    assert balancer["attributes"]["routing.http2.enabled"] == "true"  # not listed, left alone
    assert balancer["tags"] == {"team": "search"}
    assert result["diff"]["before"]["Subnets"] == sorted(subnets[:2])
    assert sorted(mutating_calls(calls)) == sorted(
        [f"{ELB}:SetSubnets", f"{ELB}:SetSecurityGroups", f"{ELB}:ModifyLoadBalancerAttributes", f"{ELB}:AddTags", f"{ELB}:RemoveTags"]
    )

    result, calls = run_module("load_balancer", modified)
    assert result["changed"] is False, result
    assert mutating_calls(calls) == []

    # AWS cannot change the scheme: a clear error, before any mutating call.
    result, calls = run_module("load_balancer", dict(modified, scheme="internal"))
    assert result.get("failed") is True, result
    assert "scheme='internal'" in result["msg"] and "create it again" in result["msg"]
    assert mutating_calls(calls) == []

    result, calls = run_module("load_balancer", dict(name=NAME, state="absent"), check=True)
    assert result["changed"] is True
    assert mutating_calls(calls) == []

    result, calls = run_module("load_balancer", dict(name=NAME, state="absent"))
    assert result["changed"] is True
    assert result["load_balancer"] == {}
    assert mutating_calls(calls) == [f"{ELB}:DeleteLoadBalancer"]

    result, calls = run_module("load_balancer", dict(name=NAME, state="absent"))
    assert result["changed"] is False
    assert mutating_calls(calls) == []


def test_unknown_security_group_fails_before_any_change(run_module, network):
    args = dict(name="it-alb-bad-sg", subnets=network["subnets"][:2], security_groups=["it-no-such-group"])

    result, calls = run_module("load_balancer", args)
    assert result.get("failed") is True, result
    assert "it-no-such-group" in result["msg"]
    assert mutating_calls(calls) == []

    # Check mode assumes an earlier task creates it, and says so.
    result, calls = run_module("load_balancer", args, check=True)
    assert result["changed"] is True, result
    assert any("it-no-such-group" in warning for warning in result.get("warnings", []))
    assert mutating_calls(calls) == []


def test_creation_needs_subnets(run_module):
    result, calls = run_module("load_balancer", dict(name="it-alb-no-subnets"))
    assert result.get("failed") is True, result
    assert "needs subnets" in result["msg"]
    assert mutating_calls(calls) == []


def test_network_load_balancer(run_module, network):
    args = dict(name="it-nlb", type="network", scheme="internal", subnets=network["subnets"][:2], tags={"kind": "nlb"})

    result, calls = run_module("load_balancer", args)
    assert result["changed"] is True, result
    assert (result["load_balancer"]["type"], result["load_balancer"]["scheme"]) == ("network", "internal")
    assert result["load_balancer"]["state"] == {"code": "active"}
    assert mutating_calls(calls) == [f"{ELB}:CreateLoadBalancer"]

    result, calls = run_module("load_balancer", args)
    assert result["changed"] is False, result
    assert mutating_calls(calls) == []

    # The type cannot change in place either.
    result, calls = run_module("load_balancer", dict(args, type="application"))
    assert result.get("failed") is True, result
    assert "type='application'" in result["msg"]
    assert mutating_calls(calls) == []

    result, calls = run_module("load_balancer", dict(name="it-nlb", state="absent", wait=False))
    assert result["changed"] is True
    assert mutating_calls(calls) == [f"{ELB}:DeleteLoadBalancer"]
