from __future__ import annotations

import pytest

from ansible_collections.cutover.ecs.plugins.module_utils._elbv2.plan import (
    create_target_group_params,
    current_target_group,
    desired_target_group,
    modify_target_group_params,
    plan_target_group,
    predict_target_group,
)
from ansible_collections.cutover.ecs.plugins.module_utils._errors import InvalidInput

ARN = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/shop-blue/73e2d6bc24d8a067"

LIVE = {
    "TargetGroupArn": ARN,
    "TargetGroupName": "shop-blue",
    "Protocol": "HTTP",
    "ProtocolVersion": "HTTP1",
    "Port": 8080,
    "VpcId": "vpc-1",
    "HealthCheckProtocol": "HTTP",
    "HealthCheckPort": "traffic-port",
    "HealthCheckEnabled": True,
    "HealthCheckIntervalSeconds": 10,
    "HealthCheckTimeoutSeconds": 5,
    "HealthyThresholdCount": 4,
    "UnhealthyThresholdCount": 2,
    "HealthCheckPath": "/healthcheck",
    "Matcher": {"HttpCode": "200"},
    "LoadBalancerArns": [],
    "TargetType": "ip",
    "IpAddressType": "ipv4",
}
LIVE_ATTRIBUTES = [
    {"Key": "deregistration_delay.timeout_seconds", "Value": "30"},
    {"Key": "stickiness.enabled", "Value": "false"},
    {"Key": "load_balancing.algorithm.type", "Value": "round_robin"},
]

BASE = dict(name="shop-blue", target_type=None, protocol=None, protocol_version=None, port=None, vpc_id=None, ip_address_type=None)


def current(tags=None):
    return current_target_group(LIVE, LIVE_ATTRIBUTES, tags or [{"Key": "team", "Value": "payments"}])


def health(**settings):
    return {"health_check": settings}


@pytest.mark.parametrize(
    "overrides, expected",
    [
        ({}, []),  # nothing managed
        ({"target_type": "ip", "protocol": "HTTP", "port": 8080, "vpc_id": "vpc-1", "protocol_version": "HTTP1"}, []),
        (health(path="/healthcheck", interval_seconds=10, timeout_seconds=5, healthy_threshold_count=4, unhealthy_threshold_count=2), []),
        (health(path="/health"), ["HealthCheckPath"]),
        (health(interval_seconds=30), ["HealthCheckIntervalSeconds"]),
        (health(timeout_seconds=6), ["HealthCheckTimeoutSeconds"]),
        (health(healthy_threshold_count=5), ["HealthyThresholdCount"]),
        (health(unhealthy_threshold_count=3), ["UnhealthyThresholdCount"]),
        (health(protocol="HTTPS"), ["HealthCheckProtocol"]),
        (health(port="traffic-port"), []),
        (health(port=8081), ["HealthCheckPort"]),  # an int port compares as AWS's string
        (health(enabled=False), ["HealthCheckEnabled"]),
        (health(http_code="200"), []),
        (health(http_code="200-299"), ["Matcher"]),
        (health(grpc_code="0"), ["Matcher"]),
        ({"deregistration_delay": 30}, []),
        ({"deregistration_delay": 300}, ["Attributes"]),
        ({"attributes": {"stickiness.enabled": False}}, []),
        ({"attributes": {"stickiness.enabled": True, "stickiness.type": "lb_cookie"}}, ["Attributes"]),
        ({"tags": {"team": "payments"}}, []),
        ({"tags": {"team": "search"}}, ["Tags"]),
    ],
)
def test_plan_target_group(overrides, expected):
    assert plan_target_group(desired_target_group({**BASE, **overrides}), current()) == expected


@pytest.mark.parametrize(
    "overrides, option",
    [
        ({"protocol": "HTTPS"}, "protocol='HTTPS'"),
        ({"port": 80}, "port=80"),
        ({"vpc_id": "vpc-2"}, "vpc_id='vpc-2'"),
        ({"target_type": "instance"}, "target_type='instance'"),
        ({"protocol_version": "GRPC"}, "protocol_version='GRPC'"),
    ],
)
def test_changing_an_immutable_field_is_a_clear_error(overrides, option):
    with pytest.raises(InvalidInput) as error:
        plan_target_group(desired_target_group({**BASE, **overrides}), current())
    assert option in str(error.value)
    assert "Create a target group with another name" in str(error.value)


def test_deregistration_delay_and_attribute_must_agree():
    with pytest.raises(InvalidInput):
        desired_target_group({**BASE, "deregistration_delay": 30, "attributes": {"deregistration_delay.timeout_seconds": 60}})
    desired = desired_target_group({**BASE, "deregistration_delay": 30, "attributes": {"deregistration_delay.timeout_seconds": "30"}})
    assert desired["Attributes"] == {"deregistration_delay.timeout_seconds": "30"}


def test_http_and_grpc_code_exclude_each_other():
    with pytest.raises(InvalidInput):
        desired_target_group({**BASE, **health(http_code="200", grpc_code="0")})


def test_creating_needs_protocol_port_and_vpc():
    with pytest.raises(InvalidInput) as error:
        plan_target_group(desired_target_group({**BASE, "protocol": "HTTP"}), None)
    assert "port, vpc_id" in str(error.value)


def test_create_params_send_only_given_fields():
    desired = desired_target_group(
        {**BASE, "target_type": "ip", "protocol": "HTTP", "port": 8080, "vpc_id": "vpc-1", **health(path="/healthcheck", http_code="200"), "tags": {"a": "b"}}
    )
    assert plan_target_group(desired, None) == ["HealthCheckPath", "Matcher", "Port", "Protocol", "Tags", "TargetType", "VpcId"]
    assert create_target_group_params(desired) == {
        "Name": "shop-blue",
        "Protocol": "HTTP",
        "Port": 8080,
        "VpcId": "vpc-1",
        "TargetType": "ip",
        "HealthCheckPath": "/healthcheck",
        "Matcher": {"HttpCode": "200"},
        "Tags": [{"Key": "a", "Value": "b"}],
    }


def test_modify_params_cover_only_changed_health_check_fields():
    desired = desired_target_group({**BASE, **health(path="/x", interval_seconds=10, http_code="200-299"), "deregistration_delay": 5})
    fields = plan_target_group(desired, current())
    assert fields == ["Attributes", "HealthCheckPath", "Matcher"]
    assert modify_target_group_params(desired, fields) == {"HealthCheckPath": "/x", "Matcher": {"HttpCode": "200-299"}}


def test_predict_target_group():
    desired = desired_target_group({**BASE, **health(path="/x"), "deregistration_delay": 5, "tags": {"a": "b"}})
    after = predict_target_group(desired, current())
    assert after["HealthCheckPath"] == "/x"
    assert after["Attributes"]["deregistration_delay.timeout_seconds"] == "5"
    assert after["Attributes"]["stickiness.enabled"] == "false"
    assert after["Tags"] == {"a": "b"}
    assert after["TargetGroupArn"] == ARN
