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
    ],
)
def test_predict_tags(desired, current, purge, expected):
    assert predict_tags(desired, current, purge) == expected


def test_plan_tags_sets_only_what_differs():
    assert plan_tags({"a": "1", "b": "2"}, {"a": "1", "c": "3"}, True) == ({"b": "2"}, ["c"])
