from __future__ import annotations

import copy

import pytest

from ansible_collections.cutover.ecs.plugins.module_utils._ecs import service_plan as sp

ACCOUNT = "123456789012"
TG = f"arn:aws:elasticloadbalancing:us-east-1:{ACCOUNT}:targetgroup"
BLUE, GREEN, OTHER = f"{TG}/blue/1", f"{TG}/green/2", f"{TG}/other/3"
TD1 = f"arn:aws:ecs:us-east-1:{ACCOUNT}:task-definition/web:1"
TD2 = f"arn:aws:ecs:us-east-1:{ACCOUNT}:task-definition/web:2"
RULE = f"arn:aws:elasticloadbalancing:us-east-1:{ACCOUNT}:listener-rule/app/shop/1/2/3"

OPTIONS = dict(
    name="web",
    cluster="shop",
    task_definition=None,
    desired_count=2,
    launch_type="FARGATE",
    capacity_provider_strategy=None,
    platform_version=None,
    scheduling_strategy=None,
    deployment_controller=None,
    deployment_configuration=dict(maximum_percent=200, minimum_healthy_percent=100, deployment_circuit_breaker=dict(enable=True, rollback=True)),
    load_balancers=[dict(target_group_arn=BLUE, container_name="web", container_port=8080)],
    target_group_pair=None,
    network_configuration=dict(subnets=["subnet-a", "subnet-b"], security_groups=["sg-1"], assign_public_ip=False),
    health_check_grace_period_seconds=None,
    propagate_tags=None,
    enable_ecs_managed_tags=None,
    enable_execute_command=None,
    availability_zone_rebalancing=None,
    placement_constraints=None,
    placement_strategy=None,
    tags=None,
)

# DescribeServices for OPTIONS (ECS controller).
LIVE = {
    "serviceName": "web",
    "serviceArn": f"arn:aws:ecs:us-east-1:{ACCOUNT}:service/shop/web",
    "status": "ACTIVE",
    "taskDefinition": TD1,
    "desiredCount": 2,
    "runningCount": 2,
    "pendingCount": 0,
    "launchType": "FARGATE",
    "platformVersion": "LATEST",
    "schedulingStrategy": "REPLICA",
    "deploymentController": {"type": "ECS"},
    "deploymentConfiguration": {
        "deploymentCircuitBreaker": {"enable": True, "rollback": True},
        "maximumPercent": 200,
        "minimumHealthyPercent": 100,
        "alarms": {"alarmNames": [], "enable": False, "rollback": False},
        "strategy": "ROLLING",
    },
    "loadBalancers": [{"targetGroupArn": BLUE, "containerName": "web", "containerPort": 8080}],
    "networkConfiguration": {"awsvpcConfiguration": {"subnets": ["subnet-b", "subnet-a"], "securityGroups": ["sg-1"], "assignPublicIp": "DISABLED"}},
    "healthCheckGracePeriodSeconds": 0,
    "propagateTags": "NONE",
    "enableECSManagedTags": False,
    "enableExecuteCommand": False,
    "tags": [{"key": "team", "value": "payments"}],
}


def _live(**changes) -> dict:
    live = copy.deepcopy(LIVE)
    live.update(changes)
    return live


def _code_deploy_live(**changes) -> dict:
    live = _live(deploymentController={"type": "CODE_DEPLOY"}, deploymentConfiguration={"maximumPercent": 200, "minimumHealthyPercent": 100})
    live.update(changes)
    return live


def _plan(options: dict, live: dict = LIVE, task_definition: str | None = TD1) -> sp.ServicePlan:
    desired = sp.desired_service(options, task_definition)
    return sp.plan_service(desired, sp.current_service(live), True, options.get("target_group_pair"))


@pytest.mark.parametrize(
    "options, expected",
    [
        (OPTIONS, []),
        # Regression: only the deployment configuration changes (community.aws ecs_service ignores most of it).
        (dict(OPTIONS, deployment_configuration=dict(OPTIONS["deployment_configuration"], minimum_healthy_percent=50)), ["deploymentConfiguration"]),
        (dict(OPTIONS, deployment_configuration=dict(maximum_percent=200, minimum_healthy_percent=100)), ["deploymentConfiguration"]),  # breaker off
        (
            dict(OPTIONS, deployment_configuration=dict(OPTIONS["deployment_configuration"], alarms=dict(alarm_names=["5xx"], enable=True))),
            ["deploymentConfiguration"],
        ),
        (dict(OPTIONS, deployment_configuration=dict(OPTIONS["deployment_configuration"], alarms=dict(alarm_names=[], enable=False))), []),
        # Regression: only the network configuration changes.
        (dict(OPTIONS, network_configuration=dict(subnets=["subnet-a"], security_groups=["sg-1"], assign_public_ip=False)), ["networkConfiguration"]),
        (
            dict(OPTIONS, network_configuration=dict(subnets=["subnet-a", "subnet-b"], security_groups=["sg-1"], assign_public_ip=True)),
            ["networkConfiguration"],
        ),
        (dict(OPTIONS, network_configuration=dict(subnets=["subnet-b", "subnet-a"], security_groups=["sg-1"], assign_public_ip=False)), []),  # a set
        (dict(OPTIONS, desired_count=3), ["desiredCount"]),
        (dict(OPTIONS, health_check_grace_period_seconds=0), []),
        (dict(OPTIONS, health_check_grace_period_seconds=30), ["healthCheckGracePeriodSeconds"]),
        (dict(OPTIONS, propagate_tags="NONE", enable_execute_command=False, enable_ecs_managed_tags=False), []),
        (dict(OPTIONS, propagate_tags="SERVICE", enable_execute_command=True), ["enableExecuteCommand", "propagateTags"]),
        (dict(OPTIONS, platform_version="1.4.0"), ["platformVersion"]),
        (dict(OPTIONS, load_balancers=[dict(target_group_arn=BLUE, container_name="web", container_port=8081)]), ["loadBalancers"]),
        (dict(OPTIONS, capacity_provider_strategy=[dict(capacity_provider="FARGATE_SPOT", weight=1, base=0)], launch_type=None), ["capacityProviderStrategy"]),
        (dict(OPTIONS, deployment_configuration=None, load_balancers=None, network_configuration=None, desired_count=None), []),  # nothing managed
    ],
)
def test_plan_service_update_fields(options, expected):
    plan = _plan(options)
    assert plan.update == expected
    assert plan.deployment == [] and plan.immutable == []


def test_plan_service_task_definition_change_on_ecs_is_an_update():
    assert _plan(OPTIONS, task_definition=TD2).update == ["taskDefinition"]


@pytest.mark.parametrize(
    "options, expected_immutable",
    [
        (dict(OPTIONS, deployment_controller="CODE_DEPLOY"), ["deploymentController"]),
        (dict(OPTIONS, launch_type="EC2"), ["launchType"]),
        (dict(OPTIONS, scheduling_strategy="DAEMON"), ["schedulingStrategy"]),
        (dict(OPTIONS, deployment_controller="ECS", scheduling_strategy="REPLICA"), []),
    ],
)
def test_plan_service_immutable(options, expected_immutable):
    assert _plan(options).immutable == expected_immutable


CODE_DEPLOY_OPTIONS = dict(OPTIONS, deployment_controller="CODE_DEPLOY", deployment_configuration=None, target_group_pair=[BLUE, GREEN])


@pytest.mark.parametrize(
    "options, live, task_definition, update, deployment",
    [
        (CODE_DEPLOY_OPTIONS, _code_deploy_live(), TD1, [], []),
        # Regression: CodeDeploy swapped the live target group to the other of the pair: not drift.
        (CODE_DEPLOY_OPTIONS, _code_deploy_live(loadBalancers=[{"targetGroupArn": GREEN, "containerName": "web", "containerPort": 8080}]), TD1, [], []),
        # ... but a target group outside the pair is, and needs a deployment.
        (
            CODE_DEPLOY_OPTIONS,
            _code_deploy_live(loadBalancers=[{"targetGroupArn": OTHER, "containerName": "web", "containerPort": 8080}]),
            TD1,
            [],
            ["loadBalancers"],
        ),
        # Without the pair declared, the swap is reported as needing a deployment, never sent.
        (
            dict(CODE_DEPLOY_OPTIONS, target_group_pair=None),
            _code_deploy_live(loadBalancers=[{"targetGroupArn": GREEN, "containerName": "web", "containerPort": 8080}]),
            TD1,
            [],
            ["loadBalancers"],
        ),
        # Task definition, network configuration, platform version: a deployment's job.
        (CODE_DEPLOY_OPTIONS, _code_deploy_live(), TD2, [], ["taskDefinition"]),
        (
            dict(CODE_DEPLOY_OPTIONS, network_configuration=dict(subnets=["subnet-c"], security_groups=["sg-1"])),
            _code_deploy_live(),
            TD1,
            [],
            ["networkConfiguration"],
        ),
        (dict(CODE_DEPLOY_OPTIONS, platform_version="1.4.0", desired_count=4), _code_deploy_live(), TD1, ["desiredCount"], ["platformVersion"]),
        # What UpdateService takes for CODE_DEPLOY is still updated.
        (dict(CODE_DEPLOY_OPTIONS, deployment_configuration=dict(maximum_percent=150)), _code_deploy_live(), TD1, ["deploymentConfiguration"], []),
        (dict(CODE_DEPLOY_OPTIONS, health_check_grace_period_seconds=60), _code_deploy_live(), TD2, ["healthCheckGracePeriodSeconds"], ["taskDefinition"]),
    ],
)
def test_plan_service_code_deploy(options, live, task_definition, update, deployment):
    plan = _plan(options, live, task_definition)
    assert (plan.update, plan.deployment, plan.immutable) == (update, deployment, [])
    assert plan.changed is bool(update)


ADVANCED = {"alternateTargetGroupArn": GREEN, "productionListenerRule": RULE}


@pytest.mark.parametrize(
    "desired, current, pair, expected",
    [
        (
            [{"targetGroupArn": BLUE, "containerName": "web", "containerPort": 80}],
            [{"targetGroupArn": BLUE, "containerName": "web", "containerPort": 80}],
            None,
            True,
        ),
        (
            [{"targetGroupArn": BLUE, "containerName": "web", "containerPort": 80}],
            [{"targetGroupArn": GREEN, "containerName": "web", "containerPort": 80}],
            None,
            False,
        ),
        (
            [{"targetGroupArn": BLUE, "containerName": "web", "containerPort": 80}],
            [{"targetGroupArn": GREEN, "containerName": "web", "containerPort": 80}],
            [BLUE, GREEN],
            True,
        ),
        (
            [{"targetGroupArn": BLUE, "containerName": "web", "containerPort": 80}],
            [{"targetGroupArn": GREEN, "containerName": "web", "containerPort": 81}],
            [BLUE, GREEN],
            False,
        ),
        # ECS-native blue/green: after a deployment production is green, with blue the alternate.
        (
            [{"targetGroupArn": BLUE, "containerName": "web", "containerPort": 80, "advancedConfiguration": ADVANCED}],
            [{"targetGroupArn": GREEN, "containerName": "web", "containerPort": 80, "advancedConfiguration": dict(ADVANCED, alternateTargetGroupArn=BLUE)}],
            None,
            True,
        ),
        (
            [{"targetGroupArn": BLUE, "containerName": "web", "containerPort": 80, "advancedConfiguration": ADVANCED}],
            [{"targetGroupArn": GREEN, "containerName": "web", "containerPort": 80, "advancedConfiguration": dict(ADVANCED, alternateTargetGroupArn=OTHER)}],
            None,
            False,
        ),
        (
            [{"targetGroupArn": BLUE, "containerName": "web", "containerPort": 80, "advancedConfiguration": ADVANCED}],
            [{"targetGroupArn": BLUE, "containerName": "web", "containerPort": 80, "advancedConfiguration": dict(ADVANCED, productionListenerRule="x")}],
            None,
            False,
        ),
        ([], [], None, True),
        ([{"targetGroupArn": BLUE, "containerName": "web", "containerPort": 80}], [], None, False),
    ],
)
def test_load_balancers_match(desired, current, pair, expected):
    assert sp.load_balancers_match(desired, current, pair) is expected


@pytest.mark.parametrize(
    "config, scheduling, expected",
    [
        (
            None,
            "REPLICA",
            {
                "maximumPercent": 200,
                "minimumHealthyPercent": 100,
                "deploymentCircuitBreaker": {"enable": False, "rollback": False},
                "alarms": {"enable": False, "rollback": False, "alarmNames": []},
                "strategy": "ROLLING",
                "lifecycleHooks": [],
            },
        ),
        (None, "DAEMON", {"maximumPercent": 100, "minimumHealthyPercent": 0}),
        ({"alarms": {"alarmNames": ["b", "a"], "enable": True}}, "REPLICA", {"alarms": {"enable": True, "rollback": False, "alarmNames": ["a", "b"]}}),
        (
            {"linearConfiguration": {"stepPercent": 10, "stepBakeTimeInMinutes": 1}},
            "REPLICA",
            {"linearConfiguration": {"stepPercent": 10.0, "stepBakeTimeInMinutes": 1}},
        ),
        (
            {"lifecycleHooks": [{"lifecycleStages": ["POST_SCALE_UP", "PRE_SCALE_UP"], "hookTargetArn": "arn:l"}]},
            "REPLICA",
            {"lifecycleHooks": [{"targetType": "AWS_LAMBDA", "hookTargetArn": "arn:l", "lifecycleStages": ["POST_SCALE_UP", "PRE_SCALE_UP"]}]},
        ),
    ],
)
def test_normalise_deployment_configuration(config, scheduling, expected):
    normalised = sp.normalise_deployment_configuration(config, scheduling)
    assert {key: normalised.get(key) for key in expected} == expected


@pytest.mark.parametrize(
    "desired, current, expected",
    [
        ({"a": 1}, {"a": 1, "b": 2}, True),
        ({"a": 1, "b": 2}, {"a": 1}, False),
        ({"a": [1, 2]}, {"a": [1, 2]}, True),
        ({"a": [1]}, {"a": [1, 2]}, False),
        ({"a": {"x": 10.0}}, {"a": {"x": 10}}, True),
        ({"a": {"x": 10.0}}, {"a": {}}, False),
    ],
)
def test_covers(desired, current, expected):
    assert sp.covers(desired, current) is expected


def test_bake_time_is_compared_only_when_given():
    desired = sp.normalise_deployment_configuration({"strategy": "BLUE_GREEN"})
    assert sp.covers(desired, sp.normalise_deployment_configuration({"strategy": "BLUE_GREEN", "bakeTimeInMinutes": 5}))
    desired = sp.normalise_deployment_configuration({"strategy": "BLUE_GREEN", "bakeTimeInMinutes": 10})
    assert not sp.covers(desired, sp.normalise_deployment_configuration({"strategy": "BLUE_GREEN", "bakeTimeInMinutes": 5}))


def test_desired_service_translates_options():
    options = dict(
        OPTIONS,
        deployment_configuration=dict(
            strategy="CANARY",
            canary_configuration=dict(canary_percent=10, canary_bake_time_in_minutes=5),
            lifecycle_hooks=[
                dict(target_type="PAUSE", lifecycle_stages=["POST_TEST_TRAFFIC_SHIFT"], timeout_configuration=dict(timeout_in_minutes=30, action="ROLLBACK"))
            ],
        ),
        load_balancers=[
            dict(
                target_group_arn=BLUE,
                container_name="web",
                container_port=8080,
                advanced_configuration=dict(alternate_target_group_arn=GREEN, production_listener_rule=RULE),
            )
        ],
        enable_ecs_managed_tags=True,
        tags={"a": "b"},
    )
    desired = sp.desired_service(options, TD1)
    assert desired["deploymentConfiguration"]["strategy"] == "CANARY"
    assert desired["deploymentConfiguration"]["canaryConfiguration"] == {"canaryPercent": 10.0, "canaryBakeTimeInMinutes": 5}
    assert desired["deploymentConfiguration"]["lifecycleHooks"] == [
        {"targetType": "PAUSE", "lifecycleStages": ["POST_TEST_TRAFFIC_SHIFT"], "timeoutConfiguration": {"timeoutInMinutes": 30, "action": "ROLLBACK"}}
    ]
    assert desired["loadBalancers"] == [
        {
            "targetGroupArn": BLUE,
            "containerName": "web",
            "containerPort": 8080,
            "advancedConfiguration": {"alternateTargetGroupArn": GREEN, "productionListenerRule": RULE},
        }
    ]
    assert desired["networkConfiguration"] == {
        "awsvpcConfiguration": {"subnets": ["subnet-a", "subnet-b"], "securityGroups": ["sg-1"], "assignPublicIp": "DISABLED"}
    }
    assert desired["enableECSManagedTags"] is True
    assert desired["tags"] == {"a": "b"}
    assert "platformVersion" not in desired  # not given: not managed


TASK_DEFINITION = {
    "family": "web",
    "networkMode": "awsvpc",
    "containerDefinitions": [
        {"name": "web", "portMappings": [{"containerPort": 8080}]},
        {"name": "metrics", "portMappings": [{"containerPortRange": "9000-9002"}]},
    ],
}


@pytest.mark.parametrize(
    "load_balancers, message",
    [
        ([{"containerName": "web", "containerPort": 8080}], None),
        ([{"containerName": "metrics", "containerPort": 9001}], None),
        ([{"containerName": "api", "containerPort": 8080}], "load_balancers container_name 'api' is not a container of web; use one of: metrics, web."),
        (
            [{"containerName": "web", "containerPort": 80}],
            "load_balancers container_port 80 is not exposed by container 'web' of web (its portMappings: 8080).",
        ),
    ],
)
def test_load_balancer_problems(load_balancers, message):
    problems = sp.load_balancer_problems(load_balancers, TASK_DEFINITION)
    assert problems == ([message] if message else [])


@pytest.mark.parametrize(
    "options, controller, fragment",
    [
        (OPTIONS, "ECS", None),
        (CODE_DEPLOY_OPTIONS, "CODE_DEPLOY", None),
        (
            dict(CODE_DEPLOY_OPTIONS, deployment_configuration=dict(deployment_circuit_breaker=dict(enable=True))),
            "CODE_DEPLOY",
            "deploymentCircuitBreaker needs",
        ),
        (dict(CODE_DEPLOY_OPTIONS, deployment_configuration=dict(alarms=dict(alarm_names=["x"], enable=True))), "CODE_DEPLOY", "alarms needs"),
        (dict(CODE_DEPLOY_OPTIONS, deployment_configuration=dict(strategy="BLUE_GREEN")), "CODE_DEPLOY", "strategy BLUE_GREEN needs deployment_controller ECS"),
        (dict(CODE_DEPLOY_OPTIONS, deployment_configuration=dict(strategy="ROLLING")), "EXTERNAL", None),
        (dict(OPTIONS, deployment_configuration=dict(strategy="LINEAR")), "ECS", "needs load_balancers[].advanced_configuration"),
        (
            dict(OPTIONS, deployment_configuration=dict(strategy="ROLLING", canary_configuration=dict(canary_percent=5))),
            "ECS",
            "canary_configuration needs strategy CANARY",
        ),
        (dict(OPTIONS, target_group_pair=[BLUE, GREEN]), "ECS", "target_group_pair is for CODE_DEPLOY"),
        (dict(CODE_DEPLOY_OPTIONS, target_group_pair=[GREEN, OTHER]), "CODE_DEPLOY", "must contain the target_group_arn"),
        (dict(CODE_DEPLOY_OPTIONS, target_group_pair=[BLUE, BLUE]), "CODE_DEPLOY", "two different"),
        (dict(CODE_DEPLOY_OPTIONS, load_balancers=OPTIONS["load_balancers"] * 2), "CODE_DEPLOY", "exactly one load balancer"),
        (
            dict(CODE_DEPLOY_OPTIONS, load_balancers=[dict(OPTIONS["load_balancers"][0], advanced_configuration=dict(alternate_target_group_arn=GREEN))]),
            "CODE_DEPLOY",
            "advanced_configuration is for ECS blue/green",
        ),
    ],
)
def test_controller_problems(options, controller, fragment):
    problems = sp.controller_problems(sp.desired_service(options, TD1), controller, options.get("target_group_pair"))
    if fragment is None:
        assert problems == []
    else:
        assert any(fragment in problem for problem in problems), problems


@pytest.mark.parametrize(
    "options, task_definition, fragment",
    [
        (OPTIONS, TASK_DEFINITION, None),
        (dict(OPTIONS, desired_count=None), TASK_DEFINITION, "desired_count is required"),
        (dict(OPTIONS, network_configuration=None), TASK_DEFINITION, "give network_configuration"),
        (dict(CODE_DEPLOY_OPTIONS, load_balancers=None), TASK_DEFINITION, "needs load_balancers"),
        (OPTIONS, None, "task_definition is required"),
    ],
)
def test_creation_problems(options, task_definition, fragment):
    desired = sp.desired_service(options, TD1 if task_definition else None)
    problems = sp.creation_problems(desired, sp.controller_of(desired, None), task_definition)
    if fragment is None:
        assert problems == []
    else:
        assert any(fragment in problem for problem in problems), problems


def test_update_request_for_code_deploy_never_carries_deployment_fields():
    desired = sp.desired_service(CODE_DEPLOY_OPTIONS, TD2)
    request = sp.update_request(desired, ["desiredCount"], "shop", "CODE_DEPLOY")
    assert request == {"cluster": "shop", "service": "web", "desiredCount": 2}
    for name in sp.DEPLOYMENT_FIELDS:
        with pytest.raises(ValueError):
            sp.update_request(dict(desired, **{name: "x"}), [name], "shop", "CODE_DEPLOY")


def test_deployment_configuration_request_for_code_deploy_keeps_only_percentages():
    config = sp.normalise_deployment_configuration({"maximumPercent": 150})
    assert sp.deployment_configuration_request(config, "CODE_DEPLOY") == {"maximumPercent": 150, "minimumHealthyPercent": 100}
    assert sp.deployment_configuration_request(config, "ECS")["deploymentCircuitBreaker"] == {"enable": False, "rollback": False}


def test_create_request():
    desired = sp.desired_service(dict(OPTIONS, tags={"team": "x"}), TD1)
    request = sp.create_request(desired, "shop")
    assert request["cluster"] == "shop" and request["serviceName"] == "web" and request["taskDefinition"] == TD1
    assert request["tags"] == [{"key": "team", "value": "x"}]
    assert request["deploymentConfiguration"]["deploymentCircuitBreaker"] == {"enable": True, "rollback": True}


def test_immutable_message_says_to_recreate():
    desired = sp.desired_service(dict(OPTIONS, deployment_controller="CODE_DEPLOY"), TD1)
    message = sp.immutable_message(["deploymentController"], desired, sp.current_service(LIVE))
    assert "deploymentController" in message and "recreate" in message


def test_tags_are_planned_apart():
    plan = _plan(dict(OPTIONS, tags={"team": "search"}))
    assert plan.update == [] and plan.tags == ({"team": "search"}, []) and plan.changed


def _deployment(state: str, task_definition: str = TD2, status: str = "PRIMARY", reason: str = "") -> dict:
    return {"id": "ecs-svc/1", "status": status, "taskDefinition": task_definition, "rolloutState": state, "rolloutStateReason": reason}


@pytest.mark.parametrize(
    "service, task_definition, expected",
    [
        (None, None, False),
        (_live(deployments=[_deployment("COMPLETED")]), TD2, True),
        # Counts match but the rollout is still running: not done (the incumbents stop here).
        (_live(deployments=[_deployment("IN_PROGRESS")]), TD2, False),
        (_live(deployments=[_deployment("COMPLETED"), _deployment("COMPLETED", TD1, "ACTIVE")]), TD2, False),
        # A rollback completed on the old revision is not our deployment finishing.
        (_live(deployments=[_deployment("COMPLETED", TD1)]), TD2, False),
        (_live(runningCount=1, deployments=[_deployment("COMPLETED")]), TD2, False),
        (_live(deployments=[_deployment("COMPLETED", TD1)]), None, True),
        (_code_deploy_live(taskSets=[{"stabilityStatus": "STEADY_STATE"}]), None, True),
        (_code_deploy_live(taskSets=[{"stabilityStatus": "STEADY_STATE"}, {"stabilityStatus": "STABILIZING"}]), None, False),
        (_code_deploy_live(runningCount=0, taskSets=[]), None, False),
    ],
)
def test_service_settled(service, task_definition, expected):
    assert sp.service_settled(service, task_definition) is expected


@pytest.mark.parametrize(
    "service, task_definition, expected",
    [
        (_live(deployments=[_deployment("IN_PROGRESS")]), TD2, None),
        (_live(deployments=[_deployment("COMPLETED", TD1), _deployment("FAILED", TD2, "ACTIVE", "circuit breaker tripped")]), TD2, "circuit breaker tripped"),
        (_live(deployments=[_deployment("FAILED", TD1, "ACTIVE", "old")]), TD2, None),
        (_live(deployments=[_deployment("FAILED", TD1, "PRIMARY", "")]), None, "deployment ecs-svc/1 FAILED"),
    ],
)
def test_deployment_failure(service, task_definition, expected):
    assert sp.deployment_failure(service, task_definition) == expected


@pytest.mark.parametrize("service, expected", [(None, True), ({"status": "INACTIVE"}, True), ({"status": "DRAINING"}, False), ({"status": "ACTIVE"}, False)])
def test_service_gone(service, expected):
    assert sp.service_gone(service) is expected


def test_predicted_service():
    current = sp.current_service(LIVE)
    desired = sp.desired_service(dict(OPTIONS, desired_count=5), TD1)
    predicted = sp.predicted_service(current, desired, ["desiredCount"], {"a": "b"})
    assert predicted["desiredCount"] == 5 and predicted["tags"] == {"a": "b"} and predicted["serviceArn"] == LIVE["serviceArn"]
    created = sp.predicted_service(None, dict(desired, tags={"x": "y"}), [], {"x": "y"})
    assert created["status"] == "ACTIVE" and created["deploymentController"] == {"type": "ECS"} and created["tags"] == {"x": "y"}


TG_BLUE = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web-blue/1"
TG_GREEN = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web-green/2"


@pytest.mark.parametrize(
    ("desired", "current", "expected"),
    [
        # a new service: every group it names is checked
        ([{"targetGroupArn": TG_BLUE, "advancedConfiguration": {"alternateTargetGroupArn": TG_GREEN}}], None, [TG_BLUE, TG_GREEN]),
        # a blue/green swap names no new group
        ([{"targetGroupArn": TG_BLUE}], [{"targetGroupArn": TG_GREEN, "advancedConfiguration": {"alternateTargetGroupArn": TG_BLUE}}], []),
        # a group added to an existing service
        ([{"targetGroupArn": TG_BLUE}, {"targetGroupArn": TG_GREEN}], [{"targetGroupArn": TG_BLUE}], [TG_GREEN]),
        # no load balancers
        ([], [{"targetGroupArn": TG_BLUE}], []),
    ],
)
def test_new_target_groups(desired, current, expected):
    assert sp.new_target_groups({"loadBalancers": desired}, None if current is None else {"loadBalancers": current}) == expected


TD = "arn:aws:ecs:us-east-1:123456789012:task-definition/web:{}".format


@pytest.mark.parametrize(
    "service, expected",
    [
        ({"taskDefinition": TD(3)}, TD(3)),
        # ECS: a rolling or ECS-native deployment in progress runs the PRIMARY deployment's revision.
        ({"taskDefinition": TD(3), "deployments": [{"status": "ACTIVE", "taskDefinition": TD(3)}, {"status": "PRIMARY", "taskDefinition": TD(4)}]}, TD(4)),
        # CODE_DEPLOY: the PRIMARY task set's, whatever the service's own field says.
        ({"taskDefinition": TD(2), "taskSets": [{"status": "ACTIVE", "taskDefinition": TD(5)}, {"status": "PRIMARY", "taskDefinition": TD(4)}]}, TD(4)),
        ({}, None),
    ],
)
def test_running_task_definition(service, expected):
    assert sp.running_task_definition(service) == expected
