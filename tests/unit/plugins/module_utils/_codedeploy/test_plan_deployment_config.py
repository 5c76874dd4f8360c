from __future__ import annotations

import pytest

from ansible_collections.cutover.ecs.plugins.module_utils._codedeploy.plan import (
    create_deployment_config_request,
    current_deployment_config,
    desired_deployment_config,
    immutable_config_error,
    normalise_traffic_routing,
    plan_deployment_config,
    traffic_routing_config,
    validate_deployment_config_options,
)
from ansible_collections.cutover.ecs.plugins.module_utils._errors import InvalidInput

CANARY = {"type": "TimeBasedCanary", "timeBasedCanary": {"canaryPercentage": 20, "canaryInterval": 10}}
LINEAR = {"type": "TimeBasedLinear", "timeBasedLinear": {"linearPercentage": 25, "linearInterval": 2}}


def options(routing=None, name="shop-canary", state="present"):
    return dict(name=name, state=state, traffic_routing=routing, replace=False)


@pytest.mark.parametrize(
    "routing, expected",
    [
        (None, None),
        ({"type": "AllAtOnce", "percentage": None, "interval": None}, {"type": "AllAtOnce"}),
        ({"type": "TimeBasedCanary", "percentage": 20, "interval": 10}, CANARY),
        ({"type": "TimeBasedLinear", "percentage": 25, "interval": 2}, LINEAR),
    ],
)
def test_traffic_routing_config(routing, expected):
    assert traffic_routing_config(routing) == expected


@pytest.mark.parametrize(
    "opts, fragment",
    [
        (options({"type": "TimeBasedCanary", "percentage": 0, "interval": 5}), "between 1 and 99"),
        (options({"type": "TimeBasedCanary", "percentage": 100, "interval": 5}), "AllAtOnce"),
        (options({"type": "TimeBasedLinear", "percentage": -5, "interval": 5}), "between 1 and 99"),
        (options({"type": "TimeBasedLinear", "percentage": 10, "interval": None}), "needs traffic_routing.percentage and traffic_routing.interval"),
        (options({"type": "TimeBasedCanary", "percentage": None, "interval": 5}), "needs traffic_routing.percentage"),
        (options({"type": "TimeBasedCanary", "percentage": 10, "interval": 0}), "interval must be between 1"),
        (options({"type": "AllAtOnce", "percentage": 10, "interval": None}), "apply only to TimeBasedCanary"),
        (options(name="CodeDeployDefault.ECSAllAtOnce"), "predefines"),
        (options(name="CodeDeployDefault.ECSAllAtOnce", state="absent"), "cannot be created, changed or deleted"),
    ],
)
def test_bad_input_is_rejected(opts, fragment):
    with pytest.raises(InvalidInput) as excinfo:
        validate_deployment_config_options(opts)
    assert fragment in excinfo.value.message


@pytest.mark.parametrize(
    "opts",
    [
        options(),
        options({"type": "AllAtOnce", "percentage": None, "interval": None}),
        options({"type": "TimeBasedCanary", "percentage": 1, "interval": 1}),
        options({"type": "TimeBasedLinear", "percentage": 99, "interval": 2880}),
        options({"type": "TimeBasedCanary", "percentage": 500, "interval": 5}, state="absent"),  # absent ignores routing
    ],
)
def test_good_input_passes(opts):
    validate_deployment_config_options(opts)


def live(routing):
    return {"deploymentConfigId": "id-1", "deploymentConfigName": "shop-canary", "computePlatform": "ECS", "trafficRoutingConfig": routing}


@pytest.mark.parametrize(
    "routing, current, expected",
    [
        ({"type": "TimeBasedCanary", "percentage": 20, "interval": 10}, live(CANARY), []),
        ({"type": "TimeBasedCanary", "percentage": 30, "interval": 10}, live(CANARY), ["trafficRoutingConfig"]),
        ({"type": "TimeBasedCanary", "percentage": 20, "interval": 11}, live(CANARY), ["trafficRoutingConfig"]),
        ({"type": "TimeBasedLinear", "percentage": 20, "interval": 10}, live(CANARY), ["trafficRoutingConfig"]),
        ({"type": "AllAtOnce"}, live({"type": "AllAtOnce"}), []),
        (None, live(CANARY), []),  # routing not given: nothing managed
        (None, {**live(CANARY), "computePlatform": "Lambda"}, ["computePlatform"]),
        # AWS answering both parts for one type is read as that type's part only.
        ({"type": "TimeBasedLinear", "percentage": 25, "interval": 2}, live({**LINEAR, "timeBasedCanary": {"canaryPercentage": 1, "canaryInterval": 1}}), []),
    ],
)
def test_plan_deployment_config(routing, current, expected):
    desired = desired_deployment_config(options(routing))
    assert plan_deployment_config(desired, current_deployment_config(current)) == expected


def test_plan_deployment_config_when_missing():
    assert plan_deployment_config(desired_deployment_config(options(None)), None) == ["computePlatform"]
    assert plan_deployment_config(desired_deployment_config(options({"type": "AllAtOnce"})), None) == ["computePlatform", "trafficRoutingConfig"]


def test_create_request_defaults_to_all_at_once():
    assert create_deployment_config_request(desired_deployment_config(options(None))) == {
        "deploymentConfigName": "shop-canary",
        "computePlatform": "ECS",
        "trafficRoutingConfig": {"type": "AllAtOnce"},
    }


def test_normalise_traffic_routing():
    assert normalise_traffic_routing(None) is None
    assert normalise_traffic_routing({"type": "AllAtOnce", "timeBasedCanary": {"canaryPercentage": 1}}) == {"type": "AllAtOnce"}


def test_immutable_config_error_names_the_difference_and_the_ways_out():
    desired = desired_deployment_config(options({"type": "TimeBasedCanary", "percentage": 30, "interval": 10}))
    error = immutable_config_error("shop-canary", ["trafficRoutingConfig"], current_deployment_config(live(CANARY)), desired)
    assert "new name" in error.message and "replace=true" in error.message
    assert "'canaryPercentage': 20" in error.message and "'canaryPercentage': 30" in error.message
