"""cutover.ecs.deploy's decisions, table by table: input checks, strategy, traffic config,
AppSpec, idempotency, poll views and outcomes."""

from __future__ import annotations

import datetime
import json
from typing import Any

import pytest

from ansible_collections.cutover.ecs.plugins.module_utils._deploy import plan
from ansible_collections.cutover.ecs.plugins.module_utils._errors import InvalidInput

ARN = "arn:aws:ecs:us-east-1:123456789012:task-definition/web:{}"
V1, V2, V3 = ARN.format(1), ARN.format(2), ARN.format(3)


def service(controller: str = "CODE_DEPLOY", **extra: Any) -> dict:
    base = {
        "serviceName": "web",
        "deploymentController": {"type": controller},
        "loadBalancers": [{"targetGroupArn": "arn:tg/blue", "containerName": "app", "containerPort": 8080}],
    }
    base.update(extra)
    return base


TASK_DEFINITION = {
    "family": "web",
    "revision": 2,
    "taskDefinitionArn": V2,
    "containerDefinitions": [
        {"name": "app", "portMappings": [{"containerPort": 8080}, {"containerPort": 9090}]},
        {"name": "sidecar", "portMappings": []},
    ],
}


# --- input ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "options, message",
    [
        ({"action": "deploy"}, "task_definition is required"),
        ({"task_definition": "web:2", "traffic": {"type": "canary", "percent": 0, "interval_minutes": 5}}, "between 1 and 99"),
        ({"task_definition": "web:2", "traffic": {"type": "canary", "percent": 100, "interval_minutes": 5}}, "between 1 and 99"),
        ({"task_definition": "web:2", "traffic": {"type": "linear", "percent": 10}}, "needs traffic.percent"),
        ({"task_definition": "web:2", "traffic": {"type": "linear", "percent": 10, "interval_minutes": 0}}, "interval_minutes must be between"),
        ({"task_definition": "web:2", "traffic": {"type": "all_at_once", "percent": 10}}, "apply only to canary and linear"),
        ({"task_definition": "web:2", "traffic": {"type": "config"}}, "needs traffic.config_name"),
        ({"task_definition": "web:2", "traffic": {"type": "canary", "percent": 10, "interval_minutes": 5, "config_name": "x"}}, "only to traffic.type=config"),
        ({"task_definition": "web:2", "container_port": 70000}, "container_port must be between"),
        ({"task_definition": "web:2", "wait_timeout": 0}, "wait_timeout must be greater than 0"),
    ],
)
def test_validate_options_rejects(options: dict, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        plan.validate_options(options)


@pytest.mark.parametrize(
    "options",
    [
        {"task_definition": "web:2"},
        {"action": "continue"},
        {"action": "rollback"},
        {"task_definition": "web:2", "traffic": {"type": "canary", "percent": 1, "interval_minutes": 1}},
        {"task_definition": "web:2", "traffic": {"type": "linear", "percent": 99, "interval_minutes": 2880}},
        {"task_definition": "web:2", "traffic": {"type": "config", "config_name": "mine"}},
        {"task_definition": "web:2", "traffic": {"type": "all_at_once"}},
    ],
)
def test_validate_options_accepts(options: dict) -> None:
    plan.validate_options(options)


@pytest.mark.parametrize(
    "requested, controller, expected",
    [
        ("auto", "CODE_DEPLOY", "codedeploy"),
        (None, "ECS", "rolling"),
        ("auto", None, "rolling"),  # no deploymentController: ECS, as AWS's default
        ("codedeploy", "CODE_DEPLOY", "codedeploy"),
        ("rolling", "ECS", "rolling"),
    ],
)
def test_resolve_strategy(requested: str, controller: str, expected: str) -> None:
    svc = service(controller) if controller else {"serviceName": "web"}
    assert plan.resolve_strategy(requested, svc) == expected


@pytest.mark.parametrize(
    "requested, strategy, expected",
    [
        ("auto", "BLUE_GREEN", "ecs"),
        (None, "LINEAR", "ecs"),
        ("ecs", "CANARY", "ecs"),
        ("auto", "ROLLING", "rolling"),
        ("rolling", None, "rolling"),  # no strategy: ROLLING, as AWS's default
    ],
)
def test_resolve_strategy_of_the_ecs_controller(requested: str, strategy: str, expected: str) -> None:
    svc = {**service("ECS"), "deploymentConfiguration": {"strategy": strategy} if strategy else {}}
    assert plan.resolve_strategy(requested, svc) == expected


@pytest.mark.parametrize(
    "requested, controller, message",
    [
        ("rolling", "CODE_DEPLOY", "strategy=rolling needs a service with the ECS deployment controller"),
        ("codedeploy", "ECS", "strategy=codedeploy needs a service with the CODE_DEPLOY deployment controller"),
        ("auto", "EXTERNAL", "EXTERNAL deployment controller"),
        ("ecs", "CODE_DEPLOY", "strategy=ecs needs a service with the ECS deployment controller"),
    ],
)
def test_resolve_strategy_rejects(requested: str, controller: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        plan.resolve_strategy(requested, service(controller))


@pytest.mark.parametrize(
    "requested, strategy, message",
    [
        ("rolling", "BLUE_GREEN", "strategy=rolling needs a service whose deployment_configuration.strategy is ROLLING, but web has BLUE_GREEN"),
        ("ecs", "ROLLING", "strategy=ecs needs a service whose deployment_configuration.strategy is BLUE_GREEN, LINEAR or CANARY, but web has ROLLING"),
        ("ecs", None, "but web has ROLLING; use strategy=auto or rolling"),
    ],
)
def test_resolve_strategy_rejects_the_other_ecs_strategy(requested: str, strategy: str, message: str) -> None:
    svc = {**service("ECS"), "deploymentConfiguration": {"strategy": strategy} if strategy else {}}
    with pytest.raises(InvalidInput, match=message):
        plan.resolve_strategy(requested, svc)


@pytest.mark.parametrize(
    "name, port, expected",
    [
        (None, None, ("app", 8080)),  # from the service's load balancer
        ("app", 9090, ("app", 9090)),
        (None, 9090, ("app", 9090)),
    ],
)
def test_container_target(name: Any, port: Any, expected: tuple) -> None:
    assert plan.container_target(service(), TASK_DEFINITION, name, port) == expected


@pytest.mark.parametrize(
    "svc, name, port, message",
    [
        (service(), "db", None, "container_name db is not a container of the task definition web:2 \\(its containers: app, sidecar\\)"),
        (service(), None, 8081, "container_port 8081 is not a port mapping of container app in web:2 \\(its ports: 8080, 9090\\)"),
        (service(), "sidecar", None, "its ports: none"),
        (service(loadBalancers=[]), None, None, "no load balancer"),
    ],
)
def test_container_target_rejects(svc: dict, name: Any, port: Any, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        plan.container_target(svc, TASK_DEFINITION, name, port)


# --- task definitions ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "one, other, same",
    [
        (V2, V2, True),
        (V2, "web:2", True),
        ("web:2", V2, True),
        (V1, V2, False),
        ("web:12", V2, False),  # not a suffix match
        (None, V2, False),
        (V2, None, False),
    ],
)
def test_same_task_definition(one: Any, other: Any, same: bool) -> None:
    assert plan.same_task_definition(one, other) is same


def test_task_definition_diff_lists_only_what_differs() -> None:
    current = {"cpu": "256", "memory": "512", "containerDefinitions": [{"name": "app", "image": "v1"}]}
    desired = {"cpu": "256", "memory": "1024", "containerDefinitions": [{"name": "app", "image": "v2"}]}
    assert plan.task_definition_diff(current, desired) == {
        "before": {"memory": "512", "containerDefinitions": [{"name": "app", "image": "v1"}]},
        "after": {"memory": "1024", "containerDefinitions": [{"name": "app", "image": "v2"}]},
    }


# --- traffic -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "traffic, name, creates",
    [
        (None, None, False),  # the group's own config
        ({"type": "all_at_once"}, "CodeDeployDefault.ECSAllAtOnce", False),
        ({"type": "canary", "percent": 10, "interval_minutes": 5}, "CodeDeployDefault.ECSCanary10Percent5Minutes", False),
        ({"type": "canary", "percent": 10, "interval_minutes": 15}, "CodeDeployDefault.ECSCanary10Percent15Minutes", False),
        ({"type": "linear", "percent": 10, "interval_minutes": 1}, "CodeDeployDefault.ECSLinear10PercentEvery1Minutes", False),
        ({"type": "linear", "percent": 10, "interval_minutes": 3}, "CodeDeployDefault.ECSLinear10PercentEvery3Minutes", False),
        ({"type": "canary", "percent": 20, "interval_minutes": 5}, "cutover-ecs.Canary20PercentEvery5Minutes", True),
        ({"type": "linear", "percent": 10, "interval_minutes": 2}, "cutover-ecs.Linear10PercentEvery2Minutes", True),
        ({"type": "config", "config_name": "mine"}, "mine", False),
    ],
)
def test_traffic_config(traffic: Any, name: Any, creates: bool) -> None:
    choice = plan.traffic_config(traffic)
    assert choice.name == name
    assert (choice.create is not None) is creates


def test_custom_traffic_config_request() -> None:
    choice = plan.traffic_config({"type": "canary", "percent": 20, "interval_minutes": 5})
    assert choice.create == {
        "deploymentConfigName": "cutover-ecs.Canary20PercentEvery5Minutes",
        "computePlatform": "ECS",
        "trafficRoutingConfig": {"type": "TimeBasedCanary", "timeBasedCanary": {"canaryPercentage": 20, "canaryInterval": 5}},
    }
    linear = plan.traffic_config({"type": "linear", "percent": 25, "interval_minutes": 2}).create
    assert linear["trafficRoutingConfig"] == {"type": "TimeBasedLinear", "timeBasedLinear": {"linearPercentage": 25, "linearInterval": 2}}


@pytest.mark.parametrize(
    "existing, problem",
    [
        (None, False),
        ({"trafficRoutingConfig": {"type": "TimeBasedCanary", "timeBasedCanary": {"canaryPercentage": 20, "canaryInterval": 5}}}, False),
        ({"trafficRoutingConfig": {"type": "TimeBasedCanary", "timeBasedCanary": {"canaryPercentage": 30, "canaryInterval": 5}}}, True),
        ({"trafficRoutingConfig": {"type": "AllAtOnce"}}, True),
    ],
)
def test_config_mismatch(existing: Any, problem: bool) -> None:
    choice = plan.traffic_config({"type": "canary", "percent": 20, "interval_minutes": 5})
    assert (plan.config_mismatch(choice, existing) is not None) is problem


# --- AppSpec -------------------------------------------------------------------------------------


def test_build_appspec_minimal() -> None:
    assert plan.build_appspec(V2, "app", 8080) == {
        "version": 0.0,
        "Resources": [
            {
                "TargetService": {
                    "Type": "AWS::ECS::Service",
                    "Properties": {"TaskDefinition": V2, "LoadBalancerInfo": {"ContainerName": "app", "ContainerPort": 8080}},
                }
            }
        ],
    }


def test_build_appspec_carries_the_service_network_and_platform() -> None:
    svc = service(
        platformVersion="1.4.0",
        networkConfiguration={"awsvpcConfiguration": {"subnets": ["subnet-1"], "securityGroups": ["sg-1"], "assignPublicIp": "DISABLED"}},
    )
    properties = plan.build_appspec(V2, "app", 8080, svc)["Resources"][0]["TargetService"]["Properties"]
    assert properties["PlatformVersion"] == "1.4.0"
    assert properties["NetworkConfiguration"] == {"AwsvpcConfiguration": {"Subnets": ["subnet-1"], "SecurityGroups": ["sg-1"], "AssignPublicIp": "DISABLED"}}
    latest = plan.build_appspec(V2, "app", 8080, service(platformVersion="LATEST"))["Resources"][0]["TargetService"]["Properties"]
    assert "PlatformVersion" not in latest


@pytest.mark.parametrize(
    "revision, expected",
    [
        (None, None),
        ({"revisionType": "AppSpecContent", "appSpecContent": {"content": plan.appspec_content(plan.build_appspec(V2, "app", 8080))}}, V2),
        (
            {
                "revisionType": "String",
                "string": {
                    "content": "version: 0.0\nResources:\n  - TargetService:\n      Type: AWS::ECS::Service\n      Properties:\n        TaskDefinition: web:7\n"
                },
            },
            "web:7",
        ),
        ({"revisionType": "AppSpecContent", "appSpecContent": {"content": "{not json: ["}}, None),
        ({"revisionType": "AppSpecContent", "appSpecContent": {"content": json.dumps({"Resources": []})}}, None),
    ],
)
def test_appspec_task_definition(revision: Any, expected: Any) -> None:
    assert plan.appspec_task_definition(revision) == expected


def test_create_deployment_request_with_alarms() -> None:
    request = plan.create_deployment_request("web", "web", plan.build_appspec(V2, "app", 8080), "CodeDeployDefault.ECSAllAtOnce", ["5xx"], "why")
    assert request["revision"]["revisionType"] == "AppSpecContent"
    assert plan.appspec_task_definition(request["revision"]) == V2
    assert request["deploymentConfigName"] == "CodeDeployDefault.ECSAllAtOnce"
    assert request["overrideAlarmConfiguration"] == {"enabled": True, "ignorePollAlarmFailure": False, "alarms": [{"name": "5xx"}]}
    assert "DEPLOYMENT_STOP_ON_ALARM" in request["autoRollbackConfiguration"]["events"]
    plain = plan.create_deployment_request("web", "web", plan.build_appspec(V2, "app", 8080), None)
    assert "deploymentConfigName" not in plain and "overrideAlarmConfiguration" not in plain


@pytest.mark.parametrize(
    "ecs_services, cluster, matches",
    [
        ([{"serviceName": "web", "clusterName": "shop"}], "shop", True),
        ([{"serviceName": "web", "clusterName": "shop"}], "arn:aws:ecs:us-east-1:123456789012:cluster/shop", True),
        ([{"serviceName": "web", "clusterName": "other"}], "shop", False),
        ([{"serviceName": "api", "clusterName": "shop"}], "shop", False),
        ([], "shop", False),
    ],
)
def test_group_matches_service(ecs_services: list, cluster: str, matches: bool) -> None:
    assert plan.group_matches_service({"ecsServices": ecs_services}, cluster, "web") is matches


@pytest.mark.parametrize(
    "ready, verify, problem",
    [
        ({"actionOnTimeout": "STOP_DEPLOYMENT", "waitTimeInMinutes": 60}, True, False),
        ({"actionOnTimeout": "CONTINUE_DEPLOYMENT"}, True, True),
        (None, True, True),
        ({"actionOnTimeout": "CONTINUE_DEPLOYMENT"}, False, False),
        ({"actionOnTimeout": "STOP_DEPLOYMENT"}, False, False),  # the module continues it itself
    ],
)
def test_verify_problem(ready: Any, verify: bool, problem: bool) -> None:
    group = {"deploymentGroupName": "web", "blueGreenDeploymentConfiguration": {"deploymentReadyOption": ready} if ready else {}}
    found = plan.verify_problem(group, verify)
    assert (found is not None) is problem
    if problem:
        assert "STOP_DEPLOYMENT" in found


# --- idempotency ----------------------------------------------------------------------------------


def task_sets(*items: tuple[str, str]) -> list:
    return [{"status": status, "taskDefinition": td} for status, td in items]


@pytest.mark.parametrize(
    "sets, active, desired, action, deployment_id",
    [
        # already serving with all production traffic: reads only
        (task_sets(("PRIMARY", V2)), [], V2, plan.NOOP, None),
        (task_sets(("PRIMARY", V2)), [], "web:2", plan.NOOP, None),
        # serving another one: start
        (task_sets(("PRIMARY", V1)), [], V2, plan.START, None),
        # two task sets with no deployment (a deployment stopped without rollback): start
        (task_sets(("PRIMARY", V1), ("ACTIVE", V2)), [], V2, plan.START, None),
        # in progress to the same one: attach, never a second
        (task_sets(("PRIMARY", V1), ("ACTIVE", V2)), [("d-1", V2)], V2, plan.ATTACH, "d-1"),
        (task_sets(("PRIMARY", V1)), [("d-1", "web:2")], V2, plan.ATTACH, "d-1"),
        # traffic all on green but the termination wait runs: still attach
        (task_sets(("PRIMARY", V2), ("ACTIVE", V1)), [("d-1", V2)], V2, plan.ATTACH, "d-1"),
        # in progress to another one: conflict
        (task_sets(("PRIMARY", V1), ("ACTIVE", V3)), [("d-9", V3)], V2, plan.CONFLICT, "d-9"),
        # serving the desired one while a rollback deployment to another runs: conflict, not noop
        (task_sets(("PRIMARY", V2)), [("d-r", V1)], V2, plan.CONFLICT, "d-r"),
    ],
)
def test_decide_codedeploy(sets: list, active: list, desired: str, action: str, deployment_id: Any) -> None:
    decision = plan.decide_codedeploy(service(taskSets=sets), active, desired)
    assert (decision.action, decision.deployment_id) == (action, deployment_id)


def deployments(*items: tuple[str, str, str, str]) -> list:
    return [{"id": i, "status": status, "taskDefinition": td, "rolloutState": state} for i, status, td, state in items]


@pytest.mark.parametrize(
    "items, desired, action, deployment_id",
    [
        ([("ecs-1", "PRIMARY", V2, "COMPLETED")], V2, plan.NOOP, None),
        ([("ecs-1", "PRIMARY", V2, "COMPLETED")], "web:2", plan.NOOP, None),
        ([("ecs-1", "PRIMARY", V1, "COMPLETED")], V2, plan.START, None),
        ([("ecs-2", "PRIMARY", V2, "IN_PROGRESS"), ("ecs-1", "ACTIVE", V1, "COMPLETED")], V2, plan.ATTACH, "ecs-2"),
        ([("ecs-2", "PRIMARY", V3, "IN_PROGRESS"), ("ecs-1", "ACTIVE", V1, "COMPLETED")], V2, plan.CONFLICT, "ecs-2"),
        # the circuit breaker rolled a deployment of V2 back: deploying V2 again starts anew
        ([("ecs-1", "PRIMARY", V1, "COMPLETED"), ("ecs-2", "ACTIVE", V2, "FAILED")], V2, plan.START, None),
        ([], V2, plan.START, None),
    ],
)
def test_decide_rolling(items: list, desired: str, action: str, deployment_id: Any) -> None:
    decision = plan.decide_rolling(service("ECS", deployments=deployments(*items)), desired)
    assert (decision.action, decision.deployment_id) == (action, deployment_id)


def test_conflict_message_says_what_to_do() -> None:
    message = plan.conflict_message(plan.Decision(plan.CONFLICT, "d-9", V3, "deployment d-9 to web:3 is in progress"), V2)
    assert "d-9" in message and "web:3" in message and "web:2" in message and "on_conflict=wait" in message


# --- poll views ---------------------------------------------------------------------------------------

T0 = datetime.datetime(2026, 1, 1, 10, 0, tzinfo=datetime.UTC)


def target(events: list, blue: tuple[float, int], green: tuple[float, int]) -> dict:
    return {
        "ecsTarget": {
            "lifecycleEvents": [{"lifecycleEventName": name, "status": status, "startTime": T0} for name, status in events],
            "taskSetsInfo": [
                {"taskSetLabel": "Blue", "trafficWeight": blue[0], "runningCount": blue[1]},
                {"taskSetLabel": "Green", "trafficWeight": green[0], "runningCount": green[1]},
            ],
        }
    }


@pytest.mark.parametrize(
    "status, events, phase",
    [
        ("InProgress", [("BeforeInstall", "Succeeded"), ("Install", "InProgress")], "Install"),
        ("Ready", [("AfterAllowTestTraffic", "Succeeded")], "Ready (waiting for verification)"),
        ("InProgress", [("AfterAllowTraffic", "Succeeded")], "after AfterAllowTraffic"),
        ("Succeeded", [("AfterAllowTraffic", "Succeeded")], "Succeeded"),
    ],
)
def test_codedeploy_view_phase(status: str, events: list, phase: str) -> None:
    view = plan.codedeploy_view({"deploymentId": "d-1", "status": status}, target(events, (90.0, 2), (10.0, 2)))
    assert view["phase"] == phase
    assert view["weights"] == {"blue": 90.0, "green": 10.0}
    assert view["running"] == {"blue": 2, "green": 2}
    assert view["phases"][0]["started_at"] == T0.isoformat()


def test_codedeploy_view_before_start_and_progress_line() -> None:
    view = plan.codedeploy_view({"deploymentId": "d-1", "status": "Created"}, None)
    assert (view["phase"], view["weights"], view["phases"]) == ("Created", {"blue": 100.0, "green": 0.0}, [])
    line = plan.progress_line(plan.codedeploy_view({"status": "InProgress"}, target([("AllowTraffic", "InProgress")], (90.0, 2), (10.0, 3))), 12.0)
    assert line == "  12.0s AllowTraffic: traffic blue 90% / green 10%, running blue 2 / green 3"


def test_healthy_counts_in_progress_lines() -> None:
    deployment_target = target([("AllowTraffic", "InProgress")], (50.0, 2), (50.0, 2))
    for label, name in (("Blue", "tg-a"), ("Green", "tg-b")):
        next(ts for ts in deployment_target["ecsTarget"]["taskSetsInfo"] if ts["taskSetLabel"] == label)["targetGroup"] = {"name": name}
    assert plan.target_group_names(deployment_target) == {"blue": "tg-a", "green": "tg-b"}
    assert plan.target_group_names(None) == {}
    states = [{"TargetHealth": {"State": s}} for s in ("healthy", "draining", "healthy", "unhealthy", "initial")]
    assert plan.healthy_count(states) == 2
    view = dict(plan.codedeploy_view({"status": "InProgress"}, deployment_target), healthy={"blue": 2, "green": 1})
    assert plan.progress_line(view, 3.0).endswith("traffic blue 50% / green 50%, healthy blue 2 / green 1")


@pytest.mark.parametrize(
    "status, verify, done",
    [
        ("InProgress", False, False),
        ("Ready", False, False),
        ("Ready", True, True),
        ("Succeeded", False, True),
        ("Stopped", True, True),
        ("Failed", False, True),
    ],
)
def test_codedeploy_done(status: str, verify: bool, done: bool) -> None:
    assert plan.codedeploy_done({"status": status}, verify) is done


@pytest.mark.parametrize(
    "info, rollback, status, rolled_back",
    [
        ({"status": "Succeeded"}, None, plan.SUCCEEDED, False),
        ({"status": "Ready"}, None, plan.AWAITING, False),
        ({"status": "InProgress"}, None, plan.IN_PROGRESS, False),
        ({"status": "Stopped", "errorInformation": {"message": "stopped by the user"}}, {"status": "Succeeded"}, plan.ROLLED_BACK, True),
        ({"status": "Failed", "errorInformation": {"message": "tasks failed"}}, {"status": "Succeeded"}, plan.ROLLED_BACK, True),
        ({"status": "Failed", "errorInformation": {"message": "tasks failed"}}, None, plan.FAILED, False),
        ({"status": "Failed", "errorInformation": {"message": "tasks failed"}}, {"status": "Failed"}, plan.FAILED, False),
    ],
)
def test_codedeploy_outcome(info: dict, rollback: Any, status: str, rolled_back: bool) -> None:
    outcome = plan.codedeploy_outcome(plan.codedeploy_view(info, None), rollback)
    assert (outcome["status"], outcome["rolled_back"]) == (status, rolled_back)
    if rolled_back:
        assert outcome["rollback_reason"] == info["errorInformation"]["message"]


def rolling(items: list) -> dict:
    return service("ECS", deployments=[{**d, "runningCount": d.get("runningCount", 1)} for d in deployments(*items)])


@pytest.mark.parametrize(
    "items, ours, status, done, outcome, rolled_back",
    [
        ([("ecs-2", "PRIMARY", V2, "IN_PROGRESS"), ("ecs-1", "ACTIVE", V1, "COMPLETED")], "ecs-2", "IN_PROGRESS", False, plan.IN_PROGRESS, False),
        ([("ecs-2", "PRIMARY", V2, "COMPLETED")], "ecs-2", "COMPLETED", True, plan.SUCCEEDED, False),
        # the circuit breaker rolls back: the old deployment is PRIMARY again, ours FAILED
        ([("ecs-1", "PRIMARY", V1, "IN_PROGRESS"), ("ecs-2", "ACTIVE", V2, "FAILED")], "ecs-2", "FAILED", False, plan.ROLLED_BACK, True),
        ([("ecs-1", "PRIMARY", V1, "COMPLETED"), ("ecs-2", "ACTIVE", V2, "FAILED")], "ecs-2", "FAILED", True, plan.ROLLED_BACK, True),
        # FAILED without rollback (breaker without rollback): done, failed
        ([("ecs-2", "PRIMARY", V2, "FAILED"), ("ecs-1", "ACTIVE", V1, "COMPLETED")], "ecs-2", "FAILED", True, plan.FAILED, False),
    ],
)
def test_rolling_view(items: list, ours: str, status: str, done: bool, outcome: str, rolled_back: bool) -> None:
    view = plan.rolling_view(rolling(items), ours)
    assert (view["status"], view["rolled_back"]) == (status, rolled_back)
    assert plan.rolling_done(view) is done
    assert plan.rolling_outcome(view)["status"] == outcome


@pytest.mark.parametrize(
    "items, desired, status, rolled_back",
    [
        # ECS dropped our deployment after the rollback finished: the service runs V1 again
        ([("ecs-1", "PRIMARY", V1, "COMPLETED")], V2, "FAILED", True),
        ([("ecs-1", "PRIMARY", V1, "IN_PROGRESS")], V2, "FAILED", True),
        # ... or ours is PRIMARY under another id: it is the one running V2
        ([("ecs-3", "PRIMARY", V2, "COMPLETED")], V2, "COMPLETED", False),
        ([], V2, "IN_PROGRESS", False),
    ],
)
def test_rolling_view_when_our_deployment_is_gone(items: list, desired: str, status: str, rolled_back: bool) -> None:
    view = plan.rolling_view(rolling(items), "ecs-2", desired=desired)
    assert (view["status"], view["rolled_back"]) == (status, rolled_back)
    if rolled_back:
        assert "web:1" in view["reason"]
        assert plan.rolling_done(view) is (items[0][3] == "COMPLETED")


def test_rolling_view_takes_the_failure_from_the_events_once_the_deployment_is_gone() -> None:
    svc = rolling([("ecs-1", "PRIMARY", V1, "COMPLETED")])
    svc["events"] = [
        {"message": "(service web) has reached a steady state."},
        {"message": "(service web) rolling back to deployment ecs-1."},
        {"message": "(service web) (deployment ecs-2) deployment failed: tasks failed to start."},
        {"message": "(service web) (deployment ecs-0) deployment failed: an older one."},
    ]
    view = plan.rolling_view(svc, "ecs-2", desired=V2)
    assert (view["status"], view["rolled_back"]) == ("FAILED", True)
    assert view["reason"] == view["rollback_reason"] == "(service web) (deployment ecs-2) deployment failed: tasks failed to start."
    assert plan.failure_event(svc["events"], None) is None


def test_rolling_view_weights_follow_running_tasks() -> None:
    view = plan.rolling_view(
        service("ECS", deployments=[{"id": "n", "status": "PRIMARY", "runningCount": 1}, {"id": "o", "status": "ACTIVE", "runningCount": 3}]), "n"
    )
    assert view["weights"] == {"blue": 75.0, "green": 25.0}
    assert view["running"] == {"blue": 3, "green": 1}


@pytest.mark.parametrize(
    "status, weights",
    [
        (plan.SUCCEEDED, {"blue": 0.0, "green": 100.0}),
        (plan.ROLLED_BACK, {"blue": 100.0, "green": 0.0}),
        (plan.AWAITING, {"blue": 100.0, "green": 0.0}),
        (plan.FAILED, {"blue": 60.0, "green": 40.0}),
    ],
)
def test_final_weights(status: str, weights: dict) -> None:
    view = {"weights": {"blue": 100.0, "green": 0.0} if status == plan.AWAITING else {"blue": 60.0, "green": 40.0}}
    assert plan.final_weights({"status": status}, view) == weights


def test_report_has_one_shape() -> None:
    result = plan.report(
        "codedeploy", {"deployment_id": "d-1", "phases": [{"name": "Install"}]}, {"status": plan.SUCCEEDED}, V1, V2, 3.14159, ["a"], changed=True
    )
    assert set(result) == {
        "status",
        "strategy",
        "deployment_id",
        "previous_task_definition",
        "task_definition",
        "phases",
        "weights",
        "rolled_back",
        "rollback_reason",
        "elapsed",
        "progress",
        "changed",
    }
    assert (result["elapsed"], result["rolled_back"], result["progress"]) == (3.1, False, ["a"])


def test_progress_collects_lines() -> None:
    progress = plan.Progress()
    progress(plan.codedeploy_view({"status": "Created"}, None), 1.0)
    progress(plan.codedeploy_view({"status": "Succeeded"}, None), 2.0)
    assert len(progress.lines) == 2 and progress.lines[1].startswith("   2.0s Succeeded")


TD2 = "arn:aws:ecs:us-east-1:1:task-definition/web:2"


@pytest.mark.parametrize(
    "tasks, reason",
    [
        ([], None),
        ([{"stoppedReason": None, "taskDefinitionArn": TD2}], None),
        (
            [
                {
                    "stoppedReason": "Essential container in task exited",
                    "stoppedAt": 9,
                    "taskDefinitionArn": TD2,
                    "containers": [{"name": "web", "exitCode": 3}, {"name": "log", "exitCode": 0}],
                },
                {"stoppedReason": "older", "stoppedAt": 2, "taskDefinitionArn": TD2, "containers": []},
                {"stoppedReason": "another revision", "stoppedAt": 20, "taskDefinitionArn": "web:1", "containers": []},
            ],
            "Essential container in task exited (web: exit code 3)",
        ),
        (
            [
                {
                    "stoppedReason": "CannotPullContainerError",
                    "stoppedAt": "2026-11-26T10:00:00+00:00",
                    "taskDefinitionArn": "web:2",
                    "containers": [{"name": "web", "reason": "pull access denied"}],
                }
            ],
            "CannotPullContainerError (web: pull access denied)",
        ),
        ([{"stoppedReason": "another revision", "stoppedAt": 20, "taskDefinitionArn": "web:1"}], None),
        (
            [
                # the rollback scales the failed revision in after the failure: not the reason
                {"stoppedReason": "Scaling activity initiated by (deployment ecs-svc/1)", "stoppedAt": 30, "taskDefinitionArn": TD2},
                {"stoppedReason": "Task stopped by user", "stopCode": "UserInitiated", "stoppedAt": 31, "taskDefinitionArn": TD2},
                {"stoppedReason": "Task failed ELB health checks in (target-group blue)", "stoppedAt": 10, "taskDefinitionArn": TD2},
            ],
            "Task failed ELB health checks in (target-group blue)",
        ),
        ([{"stoppedReason": "Scaling activity initiated by (deployment ecs-svc/1)", "stoppedAt": 30, "taskDefinitionArn": TD2}], None),
    ],
)
def test_stopped_task_reason(tasks: list, reason: str | None) -> None:
    assert plan.stopped_task_reason(tasks, TD2) == reason


@pytest.mark.parametrize(
    "reason, task_reason, combined",
    [
        ("tasks failed to start.", "Task failed ELB health checks", "tasks failed to start. Last stopped task: Task failed ELB health checks"),
        ("tasks failed to start.", None, "tasks failed to start."),
        (None, "Essential container in task exited", "Last stopped task: Essential container in task exited"),
        ("Last reason: Essential container in task exited", "Essential container in task exited", "Last reason: Essential container in task exited"),
    ],
)
def test_with_task_reason(reason: str | None, task_reason: str | None, combined: str | None) -> None:
    assert plan.with_task_reason(reason, task_reason) == combined
