from __future__ import annotations

import pytest

from ansible_collections.cutover.ecs.plugins.module_utils._ecs.plan import current_cluster, desired_cluster, plan_cluster, plan_tags

BASE_OPTIONS = dict(name="shop", container_insights=None, capacity_providers=None, default_capacity_provider_strategy=None, tags=None)

LIVE = {
    "clusterName": "shop",
    "clusterArn": "arn:aws:ecs:us-east-1:123456789012:cluster/shop",
    "status": "ACTIVE",
    "settings": [{"name": "containerInsights", "value": "enabled"}],
    "capacityProviders": ["FARGATE", "FARGATE_SPOT"],
    "defaultCapacityProviderStrategy": [{"capacityProvider": "FARGATE", "weight": 1, "base": 1}],
    "tags": [{"key": "team", "value": "payments"}],
}


@pytest.mark.parametrize(
    "overrides, purge, expected",
    [
        ({}, True, []),  # nothing managed: nothing to do
        ({"container_insights": "enabled"}, True, []),
        ({"container_insights": "disabled"}, True, ["settings"]),
        ({"capacity_providers": ["FARGATE_SPOT", "FARGATE"]}, True, []),  # a set
        ({"capacity_providers": ["FARGATE"]}, True, ["capacityProviders"]),
        ({"default_capacity_provider_strategy": [{"capacity_provider": "FARGATE", "weight": 1, "base": 1}]}, True, []),
        ({"default_capacity_provider_strategy": [{"capacity_provider": "FARGATE", "weight": 2, "base": 1}]}, True, ["defaultCapacityProviderStrategy"]),
        ({"tags": {"team": "payments"}}, True, []),
        ({"tags": {"team": "search"}}, True, ["tags"]),
        ({"tags": {}}, True, ["tags"]),  # purge removes 'team'
        ({"tags": {}}, False, []),
    ],
)
def test_plan_cluster(overrides, purge, expected):
    desired = desired_cluster({**BASE_OPTIONS, **overrides})
    assert plan_cluster(desired, current_cluster(LIVE), purge_tags=purge) == expected


@pytest.mark.parametrize(
    "given, purge, wanted, changed",
    [
        (["FARGATE"], True, ["FARGATE"], ["capacityProviders"]),  # exactly these: FARGATE_SPOT goes
        (["FARGATE"], False, ["FARGATE", "FARGATE_SPOT"], []),  # a shared cluster keeps what it has
        (["my-asg"], False, ["FARGATE", "FARGATE_SPOT", "my-asg"], ["capacityProviders"]),
    ],
)
def test_capacity_providers_with_and_without_purge(given, purge, wanted, changed):
    current = current_cluster(LIVE)
    desired = desired_cluster({**BASE_OPTIONS, "capacity_providers": given, "purge_capacity_providers": purge}, current)
    assert desired["capacityProviders"] == wanted
    assert plan_cluster(desired, current) == changed


def test_a_new_cluster_gets_the_given_capacity_providers_whatever_purge_says():
    assert desired_cluster({**BASE_OPTIONS, "capacity_providers": ["FARGATE_SPOT"], "purge_capacity_providers": False}, None)["capacityProviders"] == [
        "FARGATE_SPOT"
    ]


def test_plan_cluster_when_missing_lists_every_managed_field():
    desired = desired_cluster({**BASE_OPTIONS, "container_insights": "enabled", "tags": {"a": "b"}})
    assert plan_cluster(desired, None) == ["settings", "tags"]


def test_current_cluster_of_nothing():
    assert current_cluster(None) is None


@pytest.mark.parametrize(
    "desired, current, purge, expected",
    [
        (None, {"a": "1"}, True, ({}, [])),
        ({"a": "1"}, {"a": "1"}, True, ({}, [])),
        ({"a": "2"}, {"a": "1", "b": "x"}, True, ({"a": "2"}, ["b"])),
        ({"a": "2"}, {"a": "1", "b": "x"}, False, ({"a": "2"}, [])),
    ],
)
def test_plan_tags(desired, current, purge, expected):
    assert plan_tags(desired, current, purge) == expected
