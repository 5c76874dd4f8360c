from __future__ import annotations

import datetime

import pytest

from ansible_collections.cutover.ecs.plugins.module_utils._elbv2.plan import (
    attribute_text,
    create_load_balancer_params,
    current_load_balancer,
    desired_load_balancer,
    plan_attributes,
    plan_load_balancer,
    predict_load_balancer,
)
from ansible_collections.cutover.ecs.plugins.module_utils._errors import InvalidInput

ARN = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/shop/50dc6c495c0c9188"

LIVE = {
    "LoadBalancerArn": ARN,
    "DNSName": "shop-1.us-east-1.elb.amazonaws.com",
    "CanonicalHostedZoneId": "Z35SXDOTRQ7X7K",
    "CreatedTime": datetime.datetime(2025, 1, 2, 3, 4, 5, tzinfo=datetime.UTC),
    "LoadBalancerName": "shop",
    "Scheme": "internet-facing",
    "VpcId": "vpc-1",
    "State": {"Code": "active"},
    "Type": "application",
    "AvailabilityZones": [{"ZoneName": "us-east-1b", "SubnetId": "subnet-b"}, {"ZoneName": "us-east-1a", "SubnetId": "subnet-a"}],
    "SecurityGroups": ["sg-2", "sg-1"],
    "IpAddressType": "ipv4",
}
LIVE_ATTRIBUTES = [
    {"Key": "idle_timeout.timeout_seconds", "Value": "60"},
    {"Key": "deletion_protection.enabled", "Value": "false"},
    {"Key": "routing.http2.enabled", "Value": "true"},
]
LIVE_TAGS = [{"Key": "team", "Value": "payments"}]

BASE = dict(name="shop", type=None, scheme=None, subnets=None, ip_address_type=None, attributes=None, tags=None)


def current():
    return current_load_balancer(LIVE, LIVE_ATTRIBUTES, LIVE_TAGS)


@pytest.mark.parametrize(
    "overrides, security_groups, purge, expected",
    [
        ({}, None, True, []),  # nothing managed: nothing to do
        ({"type": "application", "scheme": "internet-facing"}, None, True, []),
        ({"subnets": ["subnet-a", "subnet-b"]}, None, True, []),
        ({"subnets": ["subnet-b", "subnet-a"]}, None, True, []),  # a set
        ({"subnets": ["subnet-a", "subnet-c"]}, None, True, ["Subnets"]),
        ({}, ["sg-1", "sg-2"], True, []),
        ({}, ["sg-2", "sg-1", "sg-1"], True, []),  # a set, duplicates collapse
        ({}, ["sg-1"], True, ["SecurityGroups"]),
        ({"ip_address_type": "ipv4"}, None, True, []),
        ({"ip_address_type": "dualstack"}, None, True, ["IpAddressType"]),
        # Only the attributes given are compared; YAML ints and bools compare as AWS strings.
        ({"attributes": {"idle_timeout.timeout_seconds": 60}}, None, True, []),
        ({"attributes": {"routing.http2.enabled": True}}, None, True, []),
        ({"attributes": {"idle_timeout.timeout_seconds": "30"}}, None, True, ["Attributes"]),
        ({"attributes": {"deletion_protection.enabled": True}}, None, True, ["Attributes"]),
        ({"attributes": {"waf.fail_open.enabled": "false"}}, None, True, ["Attributes"]),  # not reported yet
        ({"tags": {"team": "payments"}}, None, True, []),
        ({"tags": {"team": "search"}}, None, True, ["Tags"]),
        ({"tags": {}}, None, True, ["Tags"]),
        ({"tags": {}}, None, False, []),
        ({"subnets": ["subnet-a"], "tags": {"x": "y"}}, ["sg-9"], True, ["SecurityGroups", "Subnets", "Tags"]),
    ],
)
def test_plan_load_balancer(overrides, security_groups, purge, expected):
    desired = desired_load_balancer({**BASE, **overrides}, security_groups)
    assert plan_load_balancer(desired, current(), purge_tags=purge) == expected


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"scheme": "internal"}, "scheme='internal' (it is 'internet-facing')"),
        ({"type": "network"}, "type='network' (it is 'application')"),
    ],
)
def test_changing_type_or_scheme_says_to_recreate(overrides, message):
    desired = desired_load_balancer({**BASE, **overrides}, None)
    with pytest.raises(InvalidInput) as error:
        plan_load_balancer(desired, current())
    assert message in str(error.value)
    assert "create it again" in str(error.value)


def test_plan_when_missing_lists_every_given_field():
    desired = desired_load_balancer({**BASE, "subnets": ["subnet-a"], "attributes": {"a": 1}}, ["sg-1"])
    assert plan_load_balancer(desired, None) == ["Attributes", "SecurityGroups", "Subnets"]


def test_current_load_balancer_normalises():
    normalised = current()
    assert normalised["Subnets"] == ["subnet-a", "subnet-b"]
    assert normalised["SecurityGroups"] == ["sg-1", "sg-2"]
    assert normalised["Attributes"]["idle_timeout.timeout_seconds"] == "60"
    assert normalised["Tags"] == {"team": "payments"}
    assert normalised["CreatedTime"] == "2025-01-02T03:04:05+00:00"  # JSON-safe
    assert current_load_balancer(None) is None


def test_predict_load_balancer_merges_attributes_and_tags():
    desired = desired_load_balancer({**BASE, "attributes": {"idle_timeout.timeout_seconds": 30}, "tags": {"a": "b"}}, None)
    after = predict_load_balancer(desired, current(), purge_tags=False)
    assert after["Attributes"]["idle_timeout.timeout_seconds"] == "30"
    assert after["Attributes"]["routing.http2.enabled"] == "true"
    assert after["Tags"] == {"team": "payments", "a": "b"}
    assert after["DNSName"] == LIVE["DNSName"]


def test_predict_new_load_balancer_uses_aws_defaults():
    after = predict_load_balancer(desired_load_balancer({**BASE, "subnets": ["subnet-a"]}, None), None)
    assert (after["Type"], after["Scheme"], after["State"]) == ("application", "internet-facing", {"Code": "active"})


def test_create_params():
    desired = desired_load_balancer({**BASE, "type": "network", "subnets": ["s2", "s1"], "tags": {"a": "b"}}, None)
    assert create_load_balancer_params(desired) == {"Name": "shop", "Type": "network", "Subnets": ["s1", "s2"], "Tags": [{"Key": "a", "Value": "b"}]}


@pytest.mark.parametrize("value, text", [(True, "true"), (False, "false"), (60, "60"), ("60", "60"), ("lb_cookie", "lb_cookie")])
def test_attribute_text(value, text):
    assert attribute_text(value) == text


def test_plan_attributes_only_given_keys():
    assert plan_attributes({"a": "1", "b": "2"}, {"a": "1", "b": "3", "c": "9"}) == {"b": "2"}
    assert plan_attributes(None, {"a": "1"}) == {}
