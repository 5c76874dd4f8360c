from __future__ import annotations

import datetime

import pytest

from ansible_collections.cutover.ecs.plugins.module_utils._codedeploy.plan import (
    application_arn,
    current_application,
    deployment_group_arn,
    desired_application,
    immutable_application_error,
    plan_application,
    predict_tags,
    tags_from_aws,
)
from ansible_collections.cutover.ecs.plugins.module_utils._errors import InvalidInput

LIVE = {
    "applicationId": "6f6b3c2e",
    "applicationName": "shop",
    "createTime": datetime.datetime(2025, 1, 1, 12, 0, tzinfo=datetime.UTC),
    "computePlatform": "ECS",
}
LIVE_TAGS = [{"Key": "team", "Value": "payments"}]
BASE = dict(name="shop", compute_platform="ECS", tags=None)


@pytest.mark.parametrize(
    "overrides, purge, expected",
    [
        ({}, True, []),  # tags not given: left alone
        ({"tags": {"team": "payments"}}, True, []),
        ({"tags": {"team": "search"}}, True, ["tags"]),
        ({"tags": {}}, True, ["tags"]),  # purge removes 'team'
        ({"tags": {}}, False, []),
        ({"compute_platform": "Server"}, True, ["computePlatform"]),
    ],
)
def test_plan_application(overrides, purge, expected):
    desired = desired_application({**BASE, **overrides})
    assert plan_application(desired, current_application(LIVE, LIVE_TAGS), purge) == expected


def test_plan_application_when_missing():
    assert plan_application(desired_application({**BASE, "tags": {"a": "b"}}), None) == ["computePlatform", "tags"]
    assert plan_application(desired_application(BASE), None) == ["computePlatform"]


def test_current_application_is_plain_json():
    current = current_application(LIVE, LIVE_TAGS)
    assert current == {
        "applicationName": "shop",
        "applicationId": "6f6b3c2e",
        "computePlatform": "ECS",
        "createTime": "2025-01-01T12:00:00+00:00",
        "tags": {"team": "payments"},
    }
    assert current_application(None) is None


def test_immutable_application_error_says_what_to_change():
    error = immutable_application_error("shop", desired_application({**BASE, "compute_platform": "ECS"}), {"computePlatform": "Server"})
    assert isinstance(error, InvalidInput)
    assert "compute_platform=Server" in error.message and "state=absent" in error.message


@pytest.mark.parametrize(
    "desired, current, purge, expected",
    [
        (None, {"a": "1"}, True, {"a": "1"}),
        ({"b": "2"}, {"a": "1"}, True, {"b": "2"}),
        ({"b": "2"}, {"a": "1"}, False, {"a": "1", "b": "2"}),
    ],
)
def test_predict_tags(desired, current, purge, expected):
    assert predict_tags(desired, current, purge) == expected


def test_tags_from_aws():
    assert tags_from_aws([{"Key": "a", "Value": "1"}, {"Key": "b"}]) == {"a": "1", "b": ""}
    assert tags_from_aws(None) == {}


def test_arns_follow_the_caller_partition_and_account():
    caller = "arn:aws-cn:sts::210987654321:assumed-role/deployer/session"
    assert application_arn(caller, "cn-north-1", "shop") == "arn:aws-cn:codedeploy:cn-north-1:210987654321:application:shop"
    assert deployment_group_arn(caller, "cn-north-1", "shop", "web") == "arn:aws-cn:codedeploy:cn-north-1:210987654321:deploymentgroup:shop/web"
