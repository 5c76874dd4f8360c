"""Unit tests of ``lab.codedeploy.lifecycle``: the pure rules of the CodeDeploy ECS lifecycle.

Each table follows an AWS page: "Working with deployment configurations in CodeDeploy"
(deployment-configurations.html) for the traffic shift, "AppSpec 'resources' section" and
"AppSpec 'hooks' section" for the AppSpec, "Deployments on an Amazon ECS compute platform"
(deployment-steps-ecs.html) for events, stops, failures and rollbacks.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime

import pytest

from lab.codedeploy import lifecycle as lc

T0 = datetime(2025, 1, 1, tzinfo=UTC)
T1 = datetime(2025, 1, 1, 0, 1, tzinfo=UTC)


# traffic routing ------------------------------------------------------------------------------

CANARY_10_5 = {"type": "TimeBasedCanary", "timeBasedCanary": {"canaryPercentage": 10, "canaryInterval": 5}}
LINEAR_10_1 = {"type": "TimeBasedLinear", "timeBasedLinear": {"linearPercentage": 10, "linearInterval": 1}}


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ({"trafficRoutingConfig": {"type": "AllAtOnce"}}, lc.TrafficRouting()),
        ({}, lc.TrafficRouting()),
        ({"trafficRoutingConfig": CANARY_10_5}, lc.TrafficRouting("TimeBasedCanary", 10, 5)),
        (LINEAR_10_1, lc.TrafficRouting("TimeBasedLinear", 10, 1)),
    ],
)
def test_traffic_routing_from_config(config: dict, expected: lc.TrafficRouting) -> None:
    assert lc.traffic_routing_from(config) == expected


@pytest.mark.parametrize(
    "config",
    [
        {"type": "TimeBasedCanary", "timeBasedCanary": {"canaryPercentage": 0, "canaryInterval": 5}},
        {"type": "TimeBasedCanary", "timeBasedCanary": {"canaryPercentage": 100, "canaryInterval": 5}},
        {"type": "TimeBasedLinear", "timeBasedLinear": {"linearPercentage": 10, "linearInterval": 0}},
        {"type": "Sideways"},
    ],
)
def test_traffic_routing_rejects_unusable_configs(config: dict) -> None:
    with pytest.raises(lc.ConfigError):
        lc.traffic_routing_from(config)


@pytest.mark.parametrize(
    ("routing", "schedule"),
    [
        (lc.TrafficRouting(), [(0, 100)]),
        (lc.TrafficRouting("TimeBasedCanary", 10, 5), [(0, 10), (5, 100)]),
        (lc.TrafficRouting("TimeBasedCanary", 25, 15), [(0, 25), (15, 100)]),
        (lc.TrafficRouting("TimeBasedLinear", 10, 1), [(i, 10 * (i + 1)) for i in range(10)]),
        (lc.TrafficRouting("TimeBasedLinear", 10, 3), [(3 * i, 10 * (i + 1)) for i in range(10)]),
        (lc.TrafficRouting("TimeBasedLinear", 33, 2), [(0, 33), (2, 66), (4, 99), (6, 100)]),
    ],
)
def test_shift_schedule(routing: lc.TrafficRouting, schedule: list[tuple[int, int]]) -> None:
    assert [(s.at_minutes, s.green_weight) for s in lc.shift_schedule(routing)] == schedule


@pytest.mark.parametrize(
    ("routing", "minutes", "weight"),
    [
        (lc.TrafficRouting(), 0, 100),
        (lc.TrafficRouting("TimeBasedCanary", 10, 5), 0, 10),
        (lc.TrafficRouting("TimeBasedCanary", 10, 5), 4.99, 10),
        (lc.TrafficRouting("TimeBasedCanary", 10, 5), 5, 100),
        (lc.TrafficRouting("TimeBasedLinear", 10, 1), 0.5, 10),
        (lc.TrafficRouting("TimeBasedLinear", 10, 1), 1, 20),
        (lc.TrafficRouting("TimeBasedLinear", 10, 1), 8.9, 90),
        (lc.TrafficRouting("TimeBasedLinear", 10, 1), 9, 100),
        (lc.TrafficRouting("TimeBasedLinear", 10, 1), 60, 100),
    ],
)
def test_green_weight_at(routing: lc.TrafficRouting, minutes: float, weight: int) -> None:
    assert lc.green_weight_at(lc.shift_schedule(routing), minutes) == weight


# AppSpec -------------------------------------------------------------------------------------

APPSPEC_YAML = """
version: 0.0
Resources:
  - TargetService:
      Type: AWS::ECS::Service
      Properties:
        TaskDefinition: "arn:aws:ecs:us-east-1:123456789012:task-definition/web:2"
        LoadBalancerInfo:
          ContainerName: "web"
          ContainerPort: 8080
        PlatformVersion: "LATEST"
        NetworkConfiguration:
          AwsvpcConfiguration:
            Subnets: ["subnet-1", "subnet-2"]
            SecurityGroups: ["sg-1"]
            AssignPublicIp: "DISABLED"
"""

APPSPEC_JSON = json.dumps(
    {
        "version": 1,
        "Resources": [
            {
                "TargetService": {
                    "Type": "AWS::ECS::Service",
                    "Properties": {"TaskDefinition": "web:3", "LoadBalancerInfo": {"ContainerName": "web", "ContainerPort": "80"}},
                }
            }
        ],
    }
)


def test_parse_appspec_yaml() -> None:
    spec = lc.parse_appspec(APPSPEC_YAML)
    assert spec.task_definition == "arn:aws:ecs:us-east-1:123456789012:task-definition/web:2"
    assert (spec.container_name, spec.container_port, spec.platform_version) == ("web", 8080, "LATEST")
    assert spec.network_configuration == {
        "awsvpcConfiguration": {"subnets": ["subnet-1", "subnet-2"], "securityGroups": ["sg-1"], "assignPublicIp": "DISABLED"}
    }


def test_parse_appspec_json_with_port_as_text() -> None:
    spec = lc.parse_appspec(APPSPEC_JSON)
    assert (spec.task_definition, spec.container_name, spec.container_port, spec.network_configuration) == ("web:3", "web", 80, None)


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        ("", "Resources"),
        ("just text", "Resources"),
        ("Resources: []", "one TargetService"),
        ("Resources:\n  - TargetService:\n      Type: AWS::Lambda::Function\n      Properties: {}", "AWS::ECS::Service"),
        ("Resources:\n  - TargetService:\n      Type: AWS::ECS::Service", "no Properties"),
        (
            "Resources:\n  - TargetService:\n      Type: AWS::ECS::Service\n      Properties:\n        LoadBalancerInfo: {ContainerName: a, ContainerPort: 1}",
            "TaskDefinition",
        ),
        ("Resources:\n  - TargetService:\n      Type: AWS::ECS::Service\n      Properties:\n        TaskDefinition: t:1", "LoadBalancerInfo"),
        (
            "Resources:\n  - TargetService:\n      Type: AWS::ECS::Service\n      Properties:\n        TaskDefinition: t:1\n        LoadBalancerInfo: {ContainerName: a, ContainerPort: http}",
            "port number",
        ),
        ("Resources: [{a: 1}", "neither valid YAML nor JSON"),
    ],
)
def test_parse_appspec_rejects(content: str, fragment: str) -> None:
    with pytest.raises(lc.AppSpecError, match=fragment):
        lc.parse_appspec(content)


@pytest.mark.parametrize(
    "hooks",
    [
        '\nHooks:\n  - BeforeInstall: "CheckBefore"\n',
        '\nHooks:\n  - AfterAllowTestTraffic: "RunTests"\n  - AfterAllowTraffic: "Smoke"\n',
    ],
)
def test_lambda_hooks_are_refused_not_skipped(hooks: str) -> None:
    """AppSpec 'hooks' section for an Amazon ECS deployment: hooks run Lambda functions,
    which the lab cannot run; the error names them."""
    with pytest.raises(lc.AppSpecError, match="cannot run the Lambda hooks") as caught:
        lc.parse_appspec(APPSPEC_YAML + hooks)
    assert "Hooks" in str(caught.value)


def test_empty_hooks_section_is_fine() -> None:
    assert lc.parse_appspec(APPSPEC_YAML + "\nHooks: []\n").container_name == "web"


@pytest.mark.parametrize(
    ("revision", "expected"),
    [
        ({"revisionType": "AppSpecContent", "appSpecContent": {"content": "x", "sha256": "ab"}}, ("x", "ab")),
        ({"revisionType": "String", "string": {"content": "y"}}, ("y", None)),
    ],
)
def test_revision_content(revision: dict, expected: tuple) -> None:
    assert lc.revision_content(revision) == expected


def test_revision_content_rejects_github() -> None:
    with pytest.raises(lc.AppSpecError):
        lc.revision_content({"revisionType": "GitHub"})


def test_sha256_must_match_the_content() -> None:
    lc.check_sha256("abc", hashlib.sha256(b"abc").hexdigest())
    lc.check_sha256("abc", None)
    with pytest.raises(lc.AppSpecError, match="sha256"):
        lc.check_sha256("abc", hashlib.sha256(b"abd").hexdigest())


CONTAINERS = [{"name": "web", "portMappings": [{"containerPort": 8080}]}, {"name": "sidecar", "portMappings": []}]


@pytest.mark.parametrize(
    ("name", "port", "fragment"),
    [
        ("web", 8080, None),
        ("api", 8080, "is not in the task definition"),
        ("web", 80, "did not have a container port 80"),
        ("sidecar", 8080, "did not have a container port 8080"),
    ],
)
def test_container_mismatch(name: str, port: int, fragment: str | None) -> None:
    result = lc.container_mismatch(lc.AppSpec("t:1", name, port), CONTAINERS)
    assert (result is None) if fragment is None else (fragment in (result or ""))


# lifecycle events and statuses ------------------------------------------------------------------


def test_events_are_the_eight_ecs_events_in_order_and_pending() -> None:
    events = lc.new_events()
    assert [e.name for e in events] == [
        "BeforeInstall",
        "Install",
        "AfterInstall",
        "AllowTestTraffic",
        "AfterAllowTestTraffic",
        "BeforeAllowTraffic",
        "AllowTraffic",
        "AfterAllowTraffic",
    ]
    assert {e.status for e in events} == {"Pending"}


def test_start_and_finish_an_event() -> None:
    events = lc.start_event(lc.new_events(), "Install", T0)
    assert lc.event_status(events, "Install") == "InProgress"
    events = lc.finish_event(events, "Install", "Succeeded", T1)
    install = next(e for e in events if e.name == "Install")
    assert (install.status, install.start_time, install.end_time) == ("Succeeded", T0, T1)


def test_finishing_an_unstarted_hook_gives_it_a_start_time() -> None:
    events = lc.finish_event(lc.new_events(), "BeforeInstall", "Succeeded", T0)
    hook = events[0]
    assert (hook.status, hook.start_time, hook.end_time) == ("Succeeded", T0, T0)


def test_end_events_fails_the_running_event_and_skips_the_rest() -> None:
    events = lc.finish_event(lc.new_events(), "BeforeInstall", "Succeeded", T0)
    events = lc.start_event(events, "Install", T0)
    ended = lc.end_events(events, T1, "tasks crashed", "ECS_UPDATE_ERROR")
    assert [e.status for e in ended] == ["Succeeded", "Failed", "Skipped", "Skipped", "Skipped", "Skipped", "Skipped", "Skipped"]
    assert ended[1].diagnostics and ended[1].diagnostics["message"] == "tasks crashed"


def test_render_events_uses_the_api_field_names() -> None:
    rendered = lc.render_events(lc.start_event(lc.new_events(), "BeforeInstall", T0))
    assert rendered[0] == {"lifecycleEventName": "BeforeInstall", "status": "InProgress", "startTime": T0}
    assert rendered[1] == {"lifecycleEventName": "Install", "status": "Pending"}


@pytest.mark.parametrize(
    ("status", "target"),
    [("Created", "Pending"), ("InProgress", "InProgress"), ("Ready", "Ready"), ("Succeeded", "Succeeded"), ("Failed", "Failed"), ("Stopped", "Failed")],
)
def test_target_status_and_overview(status: str, target: str) -> None:
    assert lc.target_status(status) == target
    overview = lc.deployment_overview(status)
    assert overview[target] == 1 and sum(overview.values()) == 1
    assert set(overview) == {"Pending", "InProgress", "Succeeded", "Failed", "Skipped", "Ready"}


ROLLBACK_ALL = {"enabled": True, "events": ["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM", "DEPLOYMENT_STOP_ON_REQUEST"]}
ROLLBACK_DISABLED = {"enabled": False, "events": ["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM"]}


@pytest.mark.parametrize(
    ("trigger", "auto_rollback", "stop_rollback", "expected"),
    [
        ("failure", ROLLBACK_ALL, None, lc.Outcome("Failed", "ECS_UPDATE_ERROR", True)),
        ("failure", ROLLBACK_DISABLED, None, lc.Outcome("Failed", "ECS_UPDATE_ERROR", False)),
        ("failure", {"enabled": True, "events": ["DEPLOYMENT_STOP_ON_ALARM"]}, None, lc.Outcome("Failed", "ECS_UPDATE_ERROR", False)),
        ("failure", None, None, lc.Outcome("Failed", "ECS_UPDATE_ERROR", False)),
        ("alarm", ROLLBACK_ALL, None, lc.Outcome("Stopped", "ALARM_ACTIVE", True)),
        ("alarm", {"enabled": True, "events": ["DEPLOYMENT_FAILURE"]}, None, lc.Outcome("Stopped", "ALARM_ACTIVE", False)),
        ("stop", None, True, lc.Outcome("Stopped", "MANUAL_STOP", True)),
        ("stop", ROLLBACK_ALL, False, lc.Outcome("Stopped", "MANUAL_STOP", False)),
        ("stop", ROLLBACK_ALL, None, lc.Outcome("Stopped", "MANUAL_STOP", True)),
        ("stop", {"enabled": True, "events": ["DEPLOYMENT_FAILURE"]}, None, lc.Outcome("Stopped", "MANUAL_STOP", False)),
        ("ready-timeout", ROLLBACK_ALL, None, lc.Outcome("Stopped", "TIMEOUT", True)),
        ("ready-timeout", None, None, lc.Outcome("Stopped", "TIMEOUT", False)),
    ],
)
def test_early_outcome(trigger: str, auto_rollback: dict | None, stop_rollback: bool | None, expected: lc.Outcome) -> None:
    assert lc.early_outcome(trigger, auto_rollback, stop_rollback) == expected


@pytest.mark.parametrize(
    ("configuration", "names"),
    [
        (None, ()),
        ({"enabled": False, "alarms": [{"name": "a"}]}, ()),
        ({"enabled": True, "alarms": [{"name": "a"}, {"name": "b"}]}, ("a", "b")),
        ({"enabled": True}, ()),
    ],
)
def test_alarms_to_watch(configuration: dict | None, names: tuple) -> None:
    assert lc.alarms_to_watch(configuration) == names


def test_alarm_message_names_the_alarms() -> None:
    assert lc.alarm_message(["high-5xx", "latency"]).endswith("Activated alarms: <high-5xx, latency>")


# target groups and listeners ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("blue", "green"),
    [("tg-a", "tg-b"), ("tg-b", "tg-a")],
)
def test_green_is_the_other_target_group(blue: str, green: str) -> None:
    assert lc.green_target_group(("tg-a", "tg-b"), blue) == green


def test_green_target_group_needs_blue_in_the_pair() -> None:
    with pytest.raises(lc.TargetGroupPairError):
        lc.green_target_group(("tg-a", "tg-b"), "tg-c")


BLUE, GREEN, OTHER = "arn:tg/blue", "arn:tg/green", "arn:tg/other"


@pytest.mark.parametrize(
    ("actions", "weight", "expected_weights"),
    [
        ([{"Type": "forward", "TargetGroupArn": BLUE}], 10, [(BLUE, 90), (GREEN, 10)]),
        ([{"Type": "forward", "ForwardConfig": {"TargetGroups": [{"TargetGroupArn": BLUE, "Weight": 1}]}}], 100, [(BLUE, 0), (GREEN, 100)]),
        (
            [{"Type": "forward", "ForwardConfig": {"TargetGroups": [{"TargetGroupArn": BLUE, "Weight": 0}, {"TargetGroupArn": GREEN, "Weight": 100}]}}],
            0,
            [(BLUE, 100), (GREEN, 0)],
        ),
        ([{"Type": "forward", "TargetGroupArn": GREEN}], 100, [(BLUE, 0), (GREEN, 100)]),
    ],
)
def test_reweighted_actions(actions: list, weight: int, expected_weights: list) -> None:
    result = lc.reweighted_actions(actions, BLUE, GREEN, weight)
    assert result is not None and len(result) == 1
    groups = result[0]["ForwardConfig"]["TargetGroups"]
    assert [(g["TargetGroupArn"], g["Weight"]) for g in groups] == expected_weights
    assert "TargetGroupArn" not in result[0]  # ELBv2 allows it only with a single target group


def test_reweighted_actions_leaves_other_actions_and_keeps_stickiness_and_order() -> None:
    fixed = {"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "404"}}
    forward = {
        "Type": "forward",
        "Order": 2,
        "ForwardConfig": {"TargetGroups": [{"TargetGroupArn": BLUE, "Weight": 1}], "TargetGroupStickinessConfig": {"Enabled": True, "DurationSeconds": 60}},
    }
    result = lc.reweighted_actions([fixed, forward], BLUE, GREEN, 10)
    assert result is not None
    assert result[0] == fixed
    assert result[1]["Order"] == 2
    assert result[1]["ForwardConfig"]["TargetGroupStickinessConfig"] == {"Enabled": True, "DurationSeconds": 60}


def test_reweighted_actions_is_none_when_nothing_forwards_to_the_pair() -> None:
    assert lc.reweighted_actions([{"Type": "forward", "TargetGroupArn": OTHER}], BLUE, GREEN, 10) is None


# deployment groups ---------------------------------------------------------------------------------

PAIR = {
    "targetGroupPairInfoList": [
        {
            "targetGroups": [{"name": "tg-a"}, {"name": "tg-b"}],
            "prodTrafficRoute": {"listenerArns": ["arn:listener/prod"]},
            "testTrafficRoute": {"listenerArns": ["arn:listener/test"]},
        }
    ]
}
SERVICES = [{"serviceName": "web", "clusterName": "lab"}]


def test_group_settings_reads_an_ecs_group() -> None:
    blue_green = {
        "deploymentReadyOption": {"actionOnTimeout": "STOP_DEPLOYMENT", "waitTimeInMinutes": 30},
        "terminateBlueInstancesOnDeploymentSuccess": {"action": "TERMINATE", "terminationWaitTimeInMinutes": 5},
    }
    alarms = {"enabled": True, "alarms": [{"name": "5xx"}]}
    settings = lc.group_settings(SERVICES, PAIR, blue_green, ROLLBACK_ALL, alarms)
    assert (settings.cluster, settings.service, settings.target_groups) == ("lab", "web", ("tg-a", "tg-b"))
    assert (settings.prod_listeners, settings.test_listeners) == (("arn:listener/prod",), ("arn:listener/test",))
    assert (settings.ready_action, settings.ready_wait_minutes) == ("STOP_DEPLOYMENT", 30)
    assert (settings.termination_action, settings.termination_wait_minutes) == ("TERMINATE", 5)
    assert settings.alarms == ("5xx",)


def test_group_settings_defaults() -> None:
    settings = lc.group_settings(SERVICES, PAIR, {}, None, None)
    assert (settings.ready_action, settings.termination_wait_minutes, settings.alarms) == ("CONTINUE_DEPLOYMENT", 0, ())


@pytest.mark.parametrize(
    ("services", "balancers", "code"),
    [
        ([], PAIR, "InvalidECSServiceException"),
        (SERVICES, {}, "InvalidLoadBalancerInfoException"),
        (
            SERVICES,
            {"targetGroupPairInfoList": [{"targetGroups": [{"name": "a"}], "prodTrafficRoute": {"listenerArns": ["l"]}}]},
            "InvalidTargetGroupPairException",
        ),
        (SERVICES, {"targetGroupPairInfoList": [{"targetGroups": [{"name": "a"}, {"name": "b"}]}]}, "InvalidTargetGroupPairException"),
    ],
)
def test_group_settings_rejects(services: list, balancers: dict, code: str) -> None:
    with pytest.raises(lc.GroupError) as caught:
        lc.group_settings(services, balancers, {}, None, None)
    assert caught.value.code == code


def test_blue_green_answer_fills_the_ready_option_and_the_termination() -> None:
    """GetDeploymentGroup answers both waits with their minutes: ``aws ecs deploy`` reads
    ``waitTimeInMinutes`` and ``terminationWaitTimeInMinutes`` with no fallback."""
    assert lc.blue_green_answer(None) is None
    assert lc.blue_green_answer({"deploymentReadyOption": {"actionOnTimeout": "CONTINUE_DEPLOYMENT"}}) == {
        "deploymentReadyOption": {"actionOnTimeout": "CONTINUE_DEPLOYMENT", "waitTimeInMinutes": 0},
        "terminateBlueInstancesOnDeploymentSuccess": {"action": "TERMINATE", "terminationWaitTimeInMinutes": 0},
    }
    declared = {
        "deploymentReadyOption": {"actionOnTimeout": "STOP_DEPLOYMENT", "waitTimeInMinutes": 30},
        "terminateBlueInstancesOnDeploymentSuccess": {"action": "TERMINATE", "terminationWaitTimeInMinutes": 5},
    }
    assert lc.blue_green_answer(declared) == declared
