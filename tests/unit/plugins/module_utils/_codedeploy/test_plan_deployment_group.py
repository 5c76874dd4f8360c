from __future__ import annotations

import copy

import pytest

from ansible_collections.cutover.ecs.plugins.module_utils._codedeploy.plan import (
    create_deployment_group_request,
    current_deployment_group,
    deployment_group_info,
    desired_deployment_group,
    name_from_arn,
    new_load_balancer_references,
    plan_deployment_group,
    predict_deployment_group,
    update_deployment_group_request,
    validate_deployment_group_options,
)
from ansible_collections.cutover.ecs.plugins.module_utils._errors import InvalidInput

ROLE = "arn:aws:iam::123456789012:role/CodeDeployECS"
PROD = "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/shop/1/prod"
TEST = "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/shop/1/test"

OPTIONS = dict(
    application="shop",
    name="web",
    state="present",
    service_role="CodeDeployECS",
    cluster="shop",
    service="web",
    target_groups=["web-blue", "web-green"],
    prod_listener_arns=[PROD],
    test_listener_arns=[TEST],
    deployment_config_name="CodeDeployDefault.ECSAllAtOnce",
    deployment_ready_option={"action_on_timeout": "CONTINUE_DEPLOYMENT", "wait_time_in_minutes": None},
    termination_wait_time_in_minutes=5,
    alarm_configuration={"alarms": ["web-5xx", "web-latency"], "enabled": True, "ignore_poll_alarm_failure": False},
    auto_rollback_configuration={"enabled": True, "events": ["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM"]},
    tags={"team": "payments"},
    purge_tags=True,
)

# GetDeploymentGroup's answer for a group created from OPTIONS.
LIVE = {
    "applicationName": "shop",
    "deploymentGroupId": "dg-1",
    "deploymentGroupName": "web",
    "deploymentConfigName": "CodeDeployDefault.ECSAllAtOnce",
    "ec2TagFilters": [],
    "serviceRoleArn": ROLE,
    "alarmConfiguration": {"enabled": True, "ignorePollAlarmFailure": False, "alarms": [{"name": "web-latency"}, {"name": "web-5xx"}]},
    "autoRollbackConfiguration": {"enabled": True, "events": ["DEPLOYMENT_STOP_ON_ALARM", "DEPLOYMENT_FAILURE"]},
    "deploymentStyle": {"deploymentType": "BLUE_GREEN", "deploymentOption": "WITH_TRAFFIC_CONTROL"},
    "blueGreenDeploymentConfiguration": {
        "deploymentReadyOption": {"actionOnTimeout": "CONTINUE_DEPLOYMENT", "waitTimeInMinutes": 0},
        "terminateBlueInstancesOnDeploymentSuccess": {"action": "TERMINATE", "terminationWaitTimeInMinutes": 5},
    },
    "loadBalancerInfo": {
        "targetGroupPairInfoList": [
            {
                "targetGroups": [{"name": "web-blue"}, {"name": "web-green"}],
                "prodTrafficRoute": {"listenerArns": [PROD]},
                "testTrafficRoute": {"listenerArns": [TEST]},
            }
        ]
    },
    "computePlatform": "ECS",
    "ecsServices": [{"serviceName": "web", "clusterName": "shop"}],
}
LIVE_TAGS = [{"Key": "team", "Value": "payments"}]


def live(**changes):
    info = copy.deepcopy(LIVE)
    info.update(changes)
    return current_deployment_group(info, LIVE_TAGS)


def plan(overrides=None, current=None, purge=True):
    desired = desired_deployment_group({**OPTIONS, **(overrides or {})}, ROLE)
    return plan_deployment_group(desired, live() if current is None else current, purge)


def pair(target_groups, prod=(PROD,), test=(TEST,)):
    value = {"targetGroups": [{"name": name} for name in target_groups], "prodTrafficRoute": {"listenerArns": list(prod)}}
    if test:
        value["testTrafficRoute"] = {"listenerArns": list(test)}
    return {"targetGroupPairInfoList": [value]}


@pytest.mark.parametrize(
    "overrides, expected",
    [
        ({}, []),
        # A blue/green deployment leaves the pair as configured, but which one serves
        # production flips: the order carries no meaning and is no drift.
        ({"target_groups": ["web-green", "web-blue"]}, []),
        ({"target_groups": ["web-blue", "web-canary"]}, ["targetGroups"]),
        # Target groups and services given by ARN compare as their names.
        ({"target_groups": ["arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web-green/abc", "web-blue"]}, []),
        ({"cluster": "arn:aws:ecs:us-east-1:123456789012:cluster/shop", "service": "arn:aws:ecs:us-east-1:123456789012:service/shop/web"}, []),
        ({"service": "api"}, ["ecsServices"]),
        ({"prod_listener_arns": [TEST], "test_listener_arns": [PROD]}, ["prodListenerArns", "testListenerArns"]),
        ({"test_listener_arns": None}, []),  # not given: left alone
        ({"test_listener_arns": []}, ["testListenerArns"]),  # removes the test route
        ({"deployment_config_name": "CodeDeployDefault.ECSCanary10Percent5Minutes"}, ["deploymentConfigName"]),
        ({"deployment_ready_option": {"action_on_timeout": "STOP_DEPLOYMENT", "wait_time_in_minutes": 30}}, ["deploymentReadyOption"]),
        ({"termination_wait_time_in_minutes": 60}, ["terminateBlueInstancesOnDeploymentSuccess"]),
        ({"alarm_configuration": {"alarms": ["web-latency", "web-5xx"], "enabled": True, "ignore_poll_alarm_failure": False}}, []),  # a set
        ({"alarm_configuration": {"alarms": ["web-5xx"], "enabled": True, "ignore_poll_alarm_failure": False}}, ["alarmConfiguration"]),
        ({"alarm_configuration": {"alarms": ["web-5xx", "web-latency"], "enabled": True, "ignore_poll_alarm_failure": True}}, ["alarmConfiguration"]),
        ({"alarm_configuration": None}, []),
        ({"auto_rollback_configuration": {"enabled": True, "events": ["DEPLOYMENT_STOP_ON_ALARM", "DEPLOYMENT_FAILURE"]}}, []),  # a set
        ({"auto_rollback_configuration": {"enabled": False, "events": ["DEPLOYMENT_STOP_ON_ALARM", "DEPLOYMENT_FAILURE"]}}, ["autoRollbackConfiguration"]),
        ({"auto_rollback_configuration": None}, []),
        ({"tags": {"team": "search"}}, ["tags"]),
        ({"tags": None}, []),
    ],
)
def test_plan_deployment_group(overrides, expected):
    assert plan(overrides) == expected


def test_a_different_role_is_a_change():
    desired = desired_deployment_group(OPTIONS, "arn:aws:iam::123456789012:role/Other")
    assert plan_deployment_group(desired, live()) == ["serviceRoleArn"]


@pytest.mark.parametrize(
    "live_changes, overrides, expected",
    [
        # AWS leaves out structures that were never set: asking for them "disabled" is no change.
        ({"alarmConfiguration": None, "autoRollbackConfiguration": None}, {"alarm_configuration": None, "auto_rollback_configuration": None}, []),
        (
            {"alarmConfiguration": None},
            {"alarm_configuration": {"alarms": [], "enabled": False, "ignore_poll_alarm_failure": False}},
            [],
        ),
        ({"autoRollbackConfiguration": {}}, {"auto_rollback_configuration": {"enabled": False, "events": []}}, []),
        # The wait time means nothing with CONTINUE_DEPLOYMENT, whatever AWS answers for it.
        (
            {
                "blueGreenDeploymentConfiguration": {
                    "deploymentReadyOption": {"actionOnTimeout": "CONTINUE_DEPLOYMENT", "waitTimeInMinutes": 7},
                    "terminateBlueInstancesOnDeploymentSuccess": {"action": "TERMINATE", "terminationWaitTimeInMinutes": 5},
                }
            },
            {},
            [],
        ),
        # A group without a termination setting gets one.
        (
            {"blueGreenDeploymentConfiguration": {"deploymentReadyOption": {"actionOnTimeout": "CONTINUE_DEPLOYMENT"}}},
            {},
            ["terminateBlueInstancesOnDeploymentSuccess"],
        ),
        ({"loadBalancerInfo": pair(["web-green", "web-blue"], test=())}, {}, ["testListenerArns"]),
        ({"deploymentStyle": {"deploymentType": "IN_PLACE", "deploymentOption": "WITHOUT_TRAFFIC_CONTROL"}}, {}, ["deploymentStyle"]),
    ],
)
def test_plan_against_sparse_or_odd_answers(live_changes, overrides, expected):
    assert plan(overrides, current=live(**live_changes)) == expected


def test_plan_when_missing_lists_every_given_field():
    options = {**OPTIONS, "test_listener_arns": None, "alarm_configuration": None, "tags": None}
    assert plan_deployment_group(desired_deployment_group(options, ROLE), None) == [
        "autoRollbackConfiguration",
        "deploymentConfigName",
        "deploymentReadyOption",
        "deploymentStyle",
        "ecsServices",
        "prodListenerArns",
        "serviceRoleArn",
        "targetGroups",
        "terminateBlueInstancesOnDeploymentSuccess",
    ]


BAD_INPUT = [
    ({"target_groups": ["web-blue"]}, "exactly two different target groups"),
    ({"target_groups": ["web-blue", "web-green", "web-canary"]}, "exactly two different target groups"),
    ({"target_groups": ["web-blue", "arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/web-blue/abc"]}, "exactly two different"),
    ({"prod_listener_arns": [PROD, TEST], "test_listener_arns": None}, "exactly one listener ARN"),
    ({"prod_listener_arns": []}, "exactly one listener ARN"),
    ({"test_listener_arns": [TEST, TEST + "2"]}, "at most one listener ARN"),
    ({"test_listener_arns": [PROD]}, "must differ from the production listener"),
    (
        {"deployment_ready_option": {"action_on_timeout": "CONTINUE_DEPLOYMENT", "wait_time_in_minutes": 10}},
        "applies only to action_on_timeout=STOP_DEPLOYMENT",
    ),
    ({"deployment_ready_option": {"action_on_timeout": "STOP_DEPLOYMENT", "wait_time_in_minutes": None}}, "needs wait_time_in_minutes"),
    ({"deployment_ready_option": {"action_on_timeout": "STOP_DEPLOYMENT", "wait_time_in_minutes": 2881}}, "needs wait_time_in_minutes"),
    ({"termination_wait_time_in_minutes": -1}, "termination_wait_time_in_minutes must be between 0 and 2880"),
    ({"alarm_configuration": {"alarms": [], "enabled": True, "ignore_poll_alarm_failure": False}}, "needs at least one name"),
    ({"alarm_configuration": {"alarms": [f"a{i}" for i in range(11)], "enabled": True, "ignore_poll_alarm_failure": False}}, "at most 10 alarms"),
    ({"auto_rollback_configuration": {"enabled": True, "events": []}}, "needs at least one of DEPLOYMENT_FAILURE"),
    ({"deployment_config_name": "CodeDeployDefault.OneAtATime"}, "not a deployment config for the ECS compute platform"),
]


@pytest.mark.parametrize("overrides, fragment", BAD_INPUT)
def test_bad_input_is_rejected(overrides, fragment):
    with pytest.raises(InvalidInput) as excinfo:
        validate_deployment_group_options({**OPTIONS, **overrides})
    assert fragment in excinfo.value.message


@pytest.mark.parametrize(
    "overrides",
    [
        {},
        {"deployment_ready_option": {"action_on_timeout": "STOP_DEPLOYMENT", "wait_time_in_minutes": 60}},
        {"alarm_configuration": {"alarms": [], "enabled": False, "ignore_poll_alarm_failure": False}},
        {"auto_rollback_configuration": {"enabled": False, "events": []}},
        {"deployment_config_name": "my-ecs-canary"},  # custom configs are checked by AWS
        {"state": "absent", "target_groups": ["only-one"]},  # absent checks nothing
    ],
)
def test_good_input_passes(overrides):
    validate_deployment_group_options({**OPTIONS, **overrides})


def test_desired_group_resolves_names_and_sorts_sets():
    desired = desired_deployment_group(
        {
            **OPTIONS,
            "cluster": "arn:aws:ecs:us-east-1:123456789012:cluster/shop",
            "service": "arn:aws:ecs:us-east-1:123456789012:service/web",
            "alarm_configuration": {"alarms": ["b", "a", "b"], "enabled": True, "ignore_poll_alarm_failure": False},
        },
        ROLE,
    )
    assert desired["ecsServices"] == [{"clusterName": "shop", "serviceName": "web"}]
    assert desired["alarmConfiguration"]["alarms"] == ["a", "b"]
    assert desired["serviceRoleArn"] == ROLE


@pytest.mark.parametrize(
    "value, name",
    [
        ("web", "web"),
        ("arn:aws:ecs:us-east-1:1:cluster/shop", "shop"),
        ("arn:aws:ecs:us-east-1:1:service/web", "web"),
        ("arn:aws:ecs:us-east-1:1:service/shop/web", "web"),
        ("arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/web-blue/73e2d6bc24d8a067", "web-blue"),
    ],
)
def test_name_from_arn(value, name):
    assert name_from_arn(value) == name


def test_create_request_has_the_ecs_shape():
    request = create_deployment_group_request(desired_deployment_group(OPTIONS, ROLE))
    assert request == {
        "applicationName": "shop",
        "deploymentGroupName": "web",
        "serviceRoleArn": ROLE,
        "deploymentConfigName": "CodeDeployDefault.ECSAllAtOnce",
        "deploymentStyle": {"deploymentType": "BLUE_GREEN", "deploymentOption": "WITH_TRAFFIC_CONTROL"},
        "ecsServices": [{"clusterName": "shop", "serviceName": "web"}],
        "autoRollbackConfiguration": {"enabled": True, "events": ["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM"]},
        "blueGreenDeploymentConfiguration": {
            "deploymentReadyOption": {"actionOnTimeout": "CONTINUE_DEPLOYMENT", "waitTimeInMinutes": 0},
            "terminateBlueInstancesOnDeploymentSuccess": {"action": "TERMINATE", "terminationWaitTimeInMinutes": 5},
        },
        "loadBalancerInfo": pair(["web-blue", "web-green"]),
        "alarmConfiguration": {"enabled": True, "ignorePollAlarmFailure": False, "alarms": [{"name": "web-5xx"}, {"name": "web-latency"}]},
        "tags": [{"Key": "team", "Value": "payments"}],
    }


def test_create_request_without_optional_structures():
    options = {**OPTIONS, "test_listener_arns": None, "alarm_configuration": None, "auto_rollback_configuration": None, "tags": None}
    request = create_deployment_group_request(desired_deployment_group(options, ROLE))
    assert request["loadBalancerInfo"] == pair(["web-blue", "web-green"], test=())
    assert "alarmConfiguration" not in request and "autoRollbackConfiguration" not in request and "tags" not in request


@pytest.mark.parametrize(
    "overrides, current, sent",
    [
        # Only the structures that changed are sent.
        ({"deployment_config_name": "CodeDeployDefault.ECSLinear10PercentEvery1Minutes"}, live(), {"deploymentConfigName"}),
        ({"termination_wait_time_in_minutes": 60}, live(), {"blueGreenDeploymentConfiguration"}),
        ({"tags": {"team": "search"}}, live(), set()),  # tags go through the tagging API
        ({"test_listener_arns": []}, live(), {"loadBalancerInfo"}),
        ({"alarm_configuration": {"alarms": [], "enabled": False, "ignore_poll_alarm_failure": False}}, live(), {"alarmConfiguration"}),
    ],
)
def test_update_request_sends_only_what_changed(overrides, current, sent):
    desired = desired_deployment_group({**OPTIONS, **overrides}, ROLE)
    fields = plan_deployment_group(desired, current)
    request = update_deployment_group_request(predict_deployment_group(desired, current), fields)
    assert set(request) - {"applicationName", "currentDeploymentGroupName"} == sent


def test_update_keeps_the_target_group_order_the_group_has():
    # After a deployment the group may list green first; a listener change must not reorder it.
    current = live(loadBalancerInfo=pair(["web-green", "web-blue"]))
    desired = desired_deployment_group({**OPTIONS, "test_listener_arns": []}, ROLE)
    fields = plan_deployment_group(desired, current)
    assert fields == ["testListenerArns"]
    request = update_deployment_group_request(predict_deployment_group(desired, current), fields)
    assert request["loadBalancerInfo"] == pair(["web-green", "web-blue"], test=())


def test_update_with_a_new_pair_uses_the_given_order():
    desired = desired_deployment_group({**OPTIONS, "target_groups": ["web-canary", "web-blue"]}, ROLE)
    current = live()
    request = update_deployment_group_request(predict_deployment_group(desired, current), plan_deployment_group(desired, current))
    assert request["loadBalancerInfo"] == pair(["web-canary", "web-blue"])


def test_update_of_the_ready_option_keeps_an_unmanaged_termination_setting():
    current = live(
        blueGreenDeploymentConfiguration={
            "deploymentReadyOption": {"actionOnTimeout": "CONTINUE_DEPLOYMENT", "waitTimeInMinutes": 0},
            "terminateBlueInstancesOnDeploymentSuccess": {"action": "TERMINATE", "terminationWaitTimeInMinutes": 42},
        }
    )
    options = {
        **OPTIONS,
        "termination_wait_time_in_minutes": None,
        "deployment_ready_option": {"action_on_timeout": "STOP_DEPLOYMENT", "wait_time_in_minutes": 15},
    }
    desired = desired_deployment_group(options, ROLE)
    request = update_deployment_group_request(predict_deployment_group(desired, current), plan_deployment_group(desired, current))
    assert request["blueGreenDeploymentConfiguration"] == {
        "deploymentReadyOption": {"actionOnTimeout": "STOP_DEPLOYMENT", "waitTimeInMinutes": 15},
        "terminateBlueInstancesOnDeploymentSuccess": {"action": "TERMINATE", "terminationWaitTimeInMinutes": 42},
    }


def test_predicted_info_of_a_new_group_matches_the_live_shape():
    desired = desired_deployment_group(OPTIONS, ROLE)
    predicted = deployment_group_info(predict_deployment_group(desired, None))
    actual = deployment_group_info(live())
    assert {key: value for key, value in predicted.items() if key != "deploymentGroupId"} == {
        key: value for key, value in actual.items() if key != "deploymentGroupId"
    }


def test_prediction_keeps_unmanaged_fields_and_applies_tags():
    desired = desired_deployment_group({**OPTIONS, "alarm_configuration": None, "tags": {"env": "prod"}}, ROLE)
    after = predict_deployment_group(desired, live(), purge_tags=False)
    assert after["alarmConfiguration"] == live()["alarmConfiguration"]
    assert after["tags"] == {"team": "payments", "env": "prod"}
    assert after["deploymentGroupId"] == "dg-1"


def test_current_deployment_group_of_nothing():
    assert current_deployment_group(None) is None


PROD = "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/web/1/80"
TEST = "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/web/1/9000"


@pytest.mark.parametrize(
    ("desired", "current", "expected"),
    [
        (
            {"targetGroups": ["web-blue", "web-green"], "prodListenerArns": [PROD], "testListenerArns": [TEST]},
            None,
            {"target_groups": ["web-blue", "web-green"], "listeners": sorted([PROD, TEST])},
        ),
        # unchanged references: nothing to look up
        (
            {"targetGroups": ["web-green", "web-blue"], "prodListenerArns": [PROD], "testListenerArns": []},
            {"targetGroups": ["web-blue", "web-green"], "prodListenerArns": [PROD], "testListenerArns": [TEST]},
            {"target_groups": [], "listeners": []},
        ),
        # a test listener added later
        (
            {"targetGroups": ["web-blue", "web-green"], "prodListenerArns": [PROD], "testListenerArns": [TEST]},
            {"targetGroups": ["web-blue", "web-green"], "prodListenerArns": [PROD], "testListenerArns": []},
            {"target_groups": [], "listeners": [TEST]},
        ),
    ],
)
def test_new_load_balancer_references(desired, current, expected):
    assert new_load_balancer_references(desired, current) == expected
