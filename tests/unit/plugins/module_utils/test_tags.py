from __future__ import annotations

import pytest

from ansible_collections.cutover.ecs.plugins.module_utils._tags import plan_tags, predict_tags, tags_from_aws


@pytest.mark.parametrize(
    "aws, expected",
    [
        ([{"key": "team", "value": "web"}], {"team": "web"}),  # ECS
        ([{"Key": "team", "Value": "web"}], {"team": "web"}),  # ELBv2, CodeDeploy
        ([{"Key": "empty"}], {"empty": ""}),
        (None, {}),
    ],
)
def test_tags_from_aws(aws, expected):
    assert tags_from_aws(aws) == expected


@pytest.mark.parametrize(
    "desired, current, purge, expected",
    [
        (None, {"a": "1"}, True, {"a": "1"}),
        ({"b": "2"}, {"a": "1"}, True, {"b": "2"}),
        ({"b": "2"}, {"a": "1"}, False, {"a": "1", "b": "2"}),
        ({"a": "3"}, None, False, {"a": "3"}),
        # values are text, as AWS stores them
        ({"n": 3, "flag": True}, {}, True, {"n": "3", "flag": "True"}),
        # a purge never takes AWS's own tags away
        ({"b": "2"}, {"aws:cloudformation:stack-name": "s", "a": "1"}, True, {"aws:cloudformation:stack-name": "s", "b": "2"}),
    ],
)
def test_predict_tags(desired, current, purge, expected):
    assert predict_tags(desired, current, purge) == expected


def test_plan_tags_sets_only_what_differs():
    assert plan_tags({"a": "1", "b": "2"}, {"a": "1", "c": "3"}, True) == ({"b": "2"}, ["c"])


def test_plan_tags_compares_values_as_text():
    assert plan_tags({"n": 3, "flag": True}, {"n": "3", "flag": "True"}, True) == ({}, [])
    assert plan_tags({"n": 4}, {"n": "3"}, True) == ({"n": "4"}, [])


def test_plan_tags_never_removes_aws_keys():
    """Keys starting with aws: are reserved for AWS's use (tagging best practices); a purge leaves them."""
    current = {"aws:cloudformation:stack-name": "web", "team": "a", "old": "x"}
    assert plan_tags({"team": "a"}, current, True) == ({}, ["old"])
    assert plan_tags({"team": "b"}, current, False) == ({"team": "b"}, [])


def test_plan_tags_leaves_tags_alone_when_none_are_declared():
    assert plan_tags(None, {"a": "1"}, True) == ({}, [])


def test_a_purge_keeps_the_collections_own_markers():
    """The rollback role marks a service with cutover.ecs:rollback-deployment; the infrastructure role's purge keeps it."""
    current = {"cutover.ecs:rollback-deployment": "ecs-svc/1", "team": "a"}
    assert plan_tags({}, current, True) == ({}, ["team"])
    assert predict_tags({}, current, True) == {"cutover.ecs:rollback-deployment": "ecs-svc/1"}
