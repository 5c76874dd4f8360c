"""cutover.ecs.target_group against moto: check mode, apply, re-apply, modify, delete."""

from __future__ import annotations

import boto3
import pytest
from moto_counting_server import mutating_calls

NAME = "it-tg-blue"
ELB = "elasticloadbalancing"


@pytest.fixture(scope="module")
def vpc_id(moto_server):
    ec2 = boto3.client("ec2", region_name="us-east-1", endpoint_url=moto_server.url, aws_access_key_id="testing", aws_secret_access_key="testing")
    return ec2.describe_vpcs(Filters=[{"Name": "isDefault", "Values": ["true"]}])["Vpcs"][0]["VpcId"]


def test_target_group_lifecycle(run_module, vpc_id):
    args = dict(
        name=NAME,
        target_type="ip",
        protocol="HTTP",
        port=8080,
        vpc_id=vpc_id,
        health_check=dict(path="/healthcheck", interval_seconds=10, timeout_seconds=5, healthy_threshold_count=4, unhealthy_threshold_count=2, http_code="200"),
        deregistration_delay=30,
        tags={"team": "payments"},
    )

    result, calls = run_module("target_group", args, check=True, diff=True)
    assert result["changed"] is True, result
    assert result["target_group"]["target_group_name"] == NAME
    assert result["target_group"]["health_check_path"] == "/healthcheck"
    assert result["diff"]["before"] == {}
    assert mutating_calls(calls) == []

    result, calls = run_module("target_group", args)
    assert result["changed"] is True, result
    group = result["target_group"]
    assert group["target_group_arn"].startswith("arn:aws:elasticloadbalancing:")
    assert (group["protocol"], group["port"], group["vpc_id"], group["target_type"]) == ("HTTP", 8080, vpc_id, "ip")
    assert (group["health_check_path"], group["health_check_interval_seconds"], group["health_check_timeout_seconds"]) == ("/healthcheck", 10, 5)
    assert (group["healthy_threshold_count"], group["unhealthy_threshold_count"]) == (4, 2)
    assert group["matcher"] == {"http_code": "200"}
    assert group["attributes"]["deregistration_delay.timeout_seconds"] == "30"
    assert group["tags"] == {"team": "payments"}
    assert mutating_calls(calls) == [f"{ELB}:CreateTargetGroup", f"{ELB}:ModifyTargetGroupAttributes"]

    result, calls = run_module("target_group", args)
    assert result["changed"] is False, result
    assert mutating_calls(calls) == []

    modified = dict(
        args,
        health_check=dict(args["health_check"], path="/version", healthy_threshold_count=3, http_code="200-299"),
        deregistration_delay=5,
        tags={"team": "search"},
    )
    result, calls = run_module("target_group", modified, check=True, diff=True)
    assert result["changed"] is True
    assert result["target_group"]["health_check_path"] == "/version"
    assert (result["diff"]["before"]["HealthCheckPath"], result["diff"]["after"]["HealthCheckPath"]) == ("/healthcheck", "/version")
    assert mutating_calls(calls) == []

    result, calls = run_module("target_group", modified, diff=True)
    assert result["changed"] is True, result
    group = result["target_group"]
    assert (group["health_check_path"], group["healthy_threshold_count"]) == ("/version", 3)
    assert group["matcher"] == {"http_code": "200-299"}
    assert group["attributes"]["deregistration_delay.timeout_seconds"] == "5"
    assert group["tags"] == {"team": "search"}
    assert sorted(mutating_calls(calls)) == sorted([f"{ELB}:ModifyTargetGroup", f"{ELB}:ModifyTargetGroupAttributes", f"{ELB}:AddTags"])

    result, calls = run_module("target_group", modified)
    assert result["changed"] is False, result
    assert mutating_calls(calls) == []

    # Fields AWS fixes at creation: a clear error before any mutating call.
    result, calls = run_module("target_group", dict(modified, port=9090, protocol="HTTPS"))
    assert result.get("failed") is True, result
    assert "port=9090" in result["msg"] and "protocol='HTTPS'" in result["msg"]
    assert mutating_calls(calls) == []

    result, calls = run_module("target_group", dict(name=NAME, state="absent"), check=True)
    assert result["changed"] is True
    assert mutating_calls(calls) == []

    result, calls = run_module("target_group", dict(name=NAME, state="absent"))
    assert result["changed"] is True
    assert result["target_group"] == {}
    assert mutating_calls(calls) == [f"{ELB}:DeleteTargetGroup"]

    result, calls = run_module("target_group", dict(name=NAME, state="absent"))
    assert result["changed"] is False
    assert mutating_calls(calls) == []


def test_target_group_creation_needs_port_and_vpc(run_module):
    result, calls = run_module("target_group", dict(name="it-tg-incomplete", protocol="HTTP"))
    assert result.get("failed") is True, result
    assert "port, vpc_id" in result["msg"]
    assert mutating_calls(calls) == []
