"""The ECS-native strategy's decisions, table by table: input checks, the deploymentConfiguration
UpdateService sends, requests, idempotency, one view per poll, when a wait is over and how
it ended."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from ansible_collections.cutover.ecs.plugins.module_utils._deploy import native_plan as np
from ansible_collections.cutover.ecs.plugins.module_utils._deploy import plan
from ansible_collections.cutover.ecs.plugins.module_utils._errors import InvalidInput

TD = "arn:aws:ecs:us-east-1:123456789012:task-definition/web:{}"
V1, V2, V3 = TD.format(1), TD.format(2), TD.format(3)
BLUE, GREEN = "arn:tg/blue", "arn:tg/green"
PROD_RULE = "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener-rule/app/shop/1/2/3"
TEST_RULE = "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener-rule/app/shop/1/4/5"
PAUSE_AT_VERIFY = {"targetType": "PAUSE", "lifecycleStages": ["POST_TEST_TRAFFIC_SHIFT"]}
ARN = "arn:aws:ecs:us-east-1:123456789012:service-deployment/c/web/abc"
REV_V1, REV_V2 = "arn:rev/1", "arn:rev/2"


def service(strategy: str = "BLUE_GREEN", hooks: list | None = None, test_rule: str | None = TEST_RULE, deployments: list | None = None, **config: Any) -> dict:
    advanced = {"alternateTargetGroupArn": GREEN, "productionListenerRule": PROD_RULE, "roleArn": "arn:role"}
    if test_rule:
        advanced["testListenerRule"] = test_rule
    return {
        "serviceName": "web",
        "deploymentController": {"type": "ECS"},
        "deploymentConfiguration": {"strategy": strategy, "lifecycleHooks": list(hooks or []), **config},
        "loadBalancers": [{"targetGroupArn": BLUE, "containerName": "app", "containerPort": 8080, "advancedConfiguration": advanced}],
        "deployments": deployments
        if deployments is not None
        else [{"id": "ecs-svc/1", "status": "PRIMARY", "taskDefinition": V1, "rolloutState": "COMPLETED"}],
    }


# --- the service ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "svc, expected",
    [
        (service("LINEAR"), "LINEAR"),
        ({"deploymentConfiguration": {}}, "ROLLING"),
        ({}, "ROLLING"),
    ],
)
def test_service_strategy(svc: dict, expected: str) -> None:
    assert np.service_strategy(svc) == expected


@pytest.mark.parametrize(
    "svc, expected",
    [
        (service(), np.Routing(BLUE, GREEN, PROD_RULE, TEST_RULE)),
        (service(test_rule=None), np.Routing(BLUE, GREEN, PROD_RULE, None)),
        ({"loadBalancers": [{"targetGroupArn": BLUE, "containerName": "app", "containerPort": 8080}]}, None),  # no advancedConfiguration
        ({"loadBalancers": []}, None),
    ],
)
def test_routing_of(svc: dict, expected: Any) -> None:
    assert np.routing_of(svc) == expected


def test_pause_stages_ignores_lambda_hooks() -> None:
    hooks = [PAUSE_AT_VERIFY, {"targetType": "AWS_LAMBDA", "lifecycleStages": ["PRE_SCALE_UP"]}, {"targetType": "PAUSE", "lifecycleStages": ["POST_SCALE_UP"]}]
    assert np.pause_stages(service(hooks=hooks)) == {"POST_TEST_TRAFFIC_SHIFT", "POST_SCALE_UP"}


# --- input ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "svc, message",
    [
        (service(hooks=[PAUSE_AT_VERIFY]), None),
        (service(hooks=[PAUSE_AT_VERIFY, {"targetType": "PAUSE", "lifecycleStages": ["POST_SCALE_UP"]}]), None),
        (service(hooks=[]), "add a lifecycle hook {target_type: PAUSE, lifecycle_stages: [POST_TEST_TRAFFIC_SHIFT]}"),
        (service(hooks=[{"targetType": "PAUSE", "lifecycleStages": ["POST_SCALE_UP"]}]), "lifecycle_stages: [POST_TEST_TRAFFIC_SHIFT]"),
        # a Lambda hook at the right stage does not pause
        (service(hooks=[{"targetType": "AWS_LAMBDA", "lifecycleStages": ["POST_TEST_TRAFFIC_SHIFT"]}]), "target_type: PAUSE"),
        (service(hooks=[PAUSE_AT_VERIFY], test_rule=None), "needs a test listener rule"),
    ],
)
def test_verify_problem(svc: dict, message: str | None) -> None:
    problem = np.verify_problem(svc)
    if message is None:
        assert problem is None
    else:
        assert problem is not None and message in problem


@pytest.mark.parametrize(
    "options, svc, message",
    [
        ({"traffic": {"type": "config", "config_name": "x"}}, service(), "CodeDeploy deployment config"),
        ({"traffic": {"type": "linear", "percent": 2, "interval_minutes": 1}}, service(), "must be at least 3"),
        ({"traffic": {"type": "canary", "percent": 5, "interval_minutes": 1441}}, service(), "at most 1440"),
        ({"verify": True}, service(), "needs the service web to pause"),
    ],
)
def test_check_input_rejects(options: dict, svc: dict, message: str) -> None:
    with pytest.raises(InvalidInput, match=message.replace("[", r"\[")):
        np.check_input(options, svc)


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"traffic": {"type": "all_at_once"}},
        {"traffic": {"type": "linear", "percent": 3, "interval_minutes": 0}},
        {"traffic": {"type": "canary", "percent": 1, "interval_minutes": 1440}},
        {"verify": False},
    ],
)
def test_check_input_accepts(options: dict) -> None:
    np.check_input(options, service())


def test_check_input_accepts_verify_with_the_hook() -> None:
    np.check_input({"verify": True}, service(hooks=[PAUSE_AT_VERIFY]))


# --- requests ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "traffic, expected",
    [
        ({"type": "all_at_once"}, {"strategy": "BLUE_GREEN"}),
        ({}, {"strategy": "BLUE_GREEN"}),
        (
            {"type": "canary", "percent": 20, "interval_minutes": 5},
            {"strategy": "CANARY", "canaryConfiguration": {"canaryPercent": 20.0, "canaryBakeTimeInMinutes": 5}},
        ),
        (
            {"type": "linear", "percent": 25, "interval_minutes": 2},
            {"strategy": "LINEAR", "linearConfiguration": {"stepPercent": 25.0, "stepBakeTimeInMinutes": 2}},
        ),
    ],
)
def test_traffic_settings(traffic: dict, expected: dict) -> None:
    assert np.traffic_settings(traffic) == expected


CURRENT = {
    "strategy": "BLUE_GREEN",
    "bakeTimeInMinutes": 5,
    "lifecycleHooks": [PAUSE_AT_VERIFY],
    "deploymentCircuitBreaker": {"enable": True, "rollback": True},
}
CANARY_CURRENT = {**CURRENT, "strategy": "CANARY", "canaryConfiguration": {"canaryPercent": 10.0, "canaryBakeTimeInMinutes": 5}}
ALARMS = {"alarmNames": ["p99"], "enable": True, "rollback": True}


@pytest.mark.parametrize(
    "current, traffic, alarms, expected",
    [
        # nothing asked: the service's configuration is left alone
        (CURRENT, None, [], None),
        # asked what it already is: nothing to send
        (CURRENT, {"type": "all_at_once"}, [], None),
        (CANARY_CURRENT, {"type": "canary", "percent": 10, "interval_minutes": 5}, [], None),
        ({**CURRENT, "alarms": ALARMS}, None, ["p99"], None),
        # the strategy changes, hooks, bake time and breaker stay
        (
            CURRENT,
            {"type": "canary", "percent": 20, "interval_minutes": 1},
            [],
            {**CURRENT, "strategy": "CANARY", "canaryConfiguration": {"canaryPercent": 20.0, "canaryBakeTimeInMinutes": 1}},
        ),
        # another strategy's settings are dropped (ECS refuses canaryConfiguration with LINEAR)
        (
            CANARY_CURRENT,
            {"type": "linear", "percent": 50, "interval_minutes": 2},
            [],
            {**CURRENT, "strategy": "LINEAR", "linearConfiguration": {"stepPercent": 50.0, "stepBakeTimeInMinutes": 2}},
        ),
        (CANARY_CURRENT, {"type": "all_at_once"}, [], CURRENT),
        # alarms with rollback, alone or with traffic
        (CURRENT, None, ["p99"], {**CURRENT, "alarms": ALARMS}),
        (None, {"type": "all_at_once"}, ["p99"], {"strategy": "BLUE_GREEN", "alarms": ALARMS}),
    ],
)
def test_desired_deployment_configuration(current: dict, traffic: dict, alarms: list, expected: dict | None) -> None:
    assert np.desired_deployment_configuration(current, traffic, alarms) == expected


def test_desired_deployment_configuration_leaves_the_current_one_alone() -> None:
    current = {**CANARY_CURRENT, "lifecycleHooks": [dict(PAUSE_AT_VERIFY)]}
    before = repr(current)
    np.desired_deployment_configuration(current, {"type": "all_at_once"}, ["p99"])
    assert repr(current) == before


@pytest.mark.parametrize(
    "configuration, expected",
    [
        (None, {"cluster": "c", "service": "web", "taskDefinition": V2}),
        ({"strategy": "CANARY"}, {"cluster": "c", "service": "web", "taskDefinition": V2, "deploymentConfiguration": {"strategy": "CANARY"}}),
    ],
)
def test_update_service_request(configuration: dict | None, expected: dict) -> None:
    assert np.update_service_request("c", "web", V2, configuration) == expected


def test_continue_and_stop_requests() -> None:
    assert np.continue_request(ARN, "h1") == {"serviceDeploymentArn": ARN, "hookId": "h1", "action": "CONTINUE"}
    assert np.continue_request(ARN, "h1", "ROLLBACK")["action"] == "ROLLBACK"
    assert np.stop_request(ARN) == {"serviceDeploymentArn": ARN, "stopType": "ROLLBACK"}


# --- idempotency ---------------------------------------------------------------------------


ROUTING = np.Routing(BLUE, GREEN, PROD_RULE, TEST_RULE)


@pytest.mark.parametrize(
    "actions, expected",
    [
        (
            [{"Type": "forward", "ForwardConfig": {"TargetGroups": [{"TargetGroupArn": BLUE, "Weight": 80}, {"TargetGroupArn": GREEN, "Weight": 20}]}}],
            {BLUE: 80, GREEN: 20},
        ),
        # a weight left out is 1, as ELB's default
        ([{"Type": "forward", "ForwardConfig": {"TargetGroups": [{"TargetGroupArn": BLUE}]}}], {BLUE: 1}),
        ([{"Type": "forward", "TargetGroupArn": GREEN}], {GREEN: 1}),
        ([{"Type": "authenticate-oidc"}, {"Type": "forward", "TargetGroupArn": BLUE}], {BLUE: 1}),
        ([{"Type": "fixed-response"}], {}),
        ([], {}),
    ],
)
def test_forward_weights(actions: list, expected: dict) -> None:
    assert np.forward_weights(actions) == expected


@pytest.mark.parametrize(
    "weights, expected",
    [
        ({BLUE: 80, GREEN: 20}, {"blue": 80.0, "green": 20.0}),
        ({BLUE: 0, GREEN: 100}, {"blue": 0.0, "green": 100.0}),
        ({BLUE: 1}, {"blue": 100.0, "green": 0.0}),
        ({BLUE: 2, GREEN: 1}, {"blue": 66.7, "green": 33.3}),
        ({BLUE: 0, GREEN: 0}, None),
        ({}, None),
        ({"arn:tg/other": 1}, {"blue": 0.0, "green": 0.0}),
    ],
)
def test_traffic_split(weights: dict, expected: dict | None) -> None:
    assert np.traffic_split(weights, ROUTING) == expected


ALL_ON_SERVICE_TG = {"blue": 100.0, "green": 0.0}


@pytest.mark.parametrize(
    "svc, active, desired, production, expected",
    [
        # serving it, all production on the service's target group, nothing in progress: noop
        (service(), [], V1, ALL_ON_SERVICE_TG, (plan.NOOP, None)),
        (service(), [], "web:1", None, (plan.NOOP, None)),  # no production rule to read: the deployments decide
        # serving it but the production rule sends traffic elsewhere: deploy again
        (service(), [], V1, {"blue": 50.0, "green": 50.0}, (plan.START, None)),
        (service(), [], V2, ALL_ON_SERVICE_TG, (plan.START, None)),
        # two deployments in the service (a rollout not finished): not serving
        (
            service(deployments=[{"status": "PRIMARY", "taskDefinition": V1, "rolloutState": "IN_PROGRESS"}, {"status": "ACTIVE", "taskDefinition": V3}]),
            [],
            V1,
            ALL_ON_SERVICE_TG,
            (plan.START, None),
        ),
        # a deployment to it in progress: attach, also when the service already names it
        (service(), [np.ActiveDeployment(ARN, "IN_PROGRESS", V2)], V2, None, (plan.ATTACH, ARN)),
        (service(), [np.ActiveDeployment(ARN, "PENDING", "web:2")], V2, None, (plan.ATTACH, ARN)),
        # to another task definition, or being rolled back: conflict
        (service(), [np.ActiveDeployment(ARN, "IN_PROGRESS", V3)], V2, None, (plan.CONFLICT, ARN)),
        (service(), [np.ActiveDeployment(ARN, "ROLLBACK_IN_PROGRESS", V2)], V2, None, (plan.CONFLICT, ARN)),
        (service(), [np.ActiveDeployment(ARN, "IN_PROGRESS", V3)], V1, ALL_ON_SERVICE_TG, (plan.CONFLICT, ARN)),
        # the matching one wins over an older conflicting one
        (service(), [np.ActiveDeployment("arn:other", "IN_PROGRESS", V3), np.ActiveDeployment(ARN, "IN_PROGRESS", V2)], V2, None, (plan.ATTACH, ARN)),
    ],
)
def test_decide_native(svc: dict, active: list, desired: str, production: dict | None, expected: tuple) -> None:
    decision = np.decide_native(svc, active, desired, production)
    assert (decision.action, decision.deployment_id) == expected


def test_conflict_reason_says_what_is_in_progress() -> None:
    decision = np.decide_native(service(), [np.ActiveDeployment(ARN, "ROLLBACK_REQUESTED", V3)], V2)
    assert decision.reason == f"service deployment {ARN} to web:3 is being rolled back"
    assert "on_conflict=wait" in plan.conflict_message(decision, V2)


@pytest.mark.parametrize(
    "active, desired, expected",
    [
        ([np.ActiveDeployment(ARN, "PENDING", V2)], V2, ARN),
        ([np.ActiveDeployment("arn:x", "IN_PROGRESS", V3), np.ActiveDeployment(ARN, "IN_PROGRESS", V2)], "web:2", ARN),
        ([np.ActiveDeployment(ARN, "ROLLBACK_IN_PROGRESS", V2)], V2, None),
        ([], V2, None),
    ],
)
def test_ours(active: list, desired: str, expected: str | None) -> None:
    assert np.ours(active, desired) == expected


T0 = datetime.datetime(2026, 1, 1, 10, 0, tzinfo=datetime.UTC)


def brief(name: str, status: str, minutes: int) -> dict:
    return {"serviceDeploymentArn": name, "status": status, "createdAt": T0 + datetime.timedelta(minutes=minutes)}


@pytest.mark.parametrize(
    "briefs, expected",
    [
        ([], None),
        ([brief("old", "SUCCESSFUL", 0), brief("new", "ROLLBACK_SUCCESSFUL", 5)], "new"),
        ([brief("new", "SUCCESSFUL", 5), brief("old", "SUCCESSFUL", 0)], "new"),
        # the unfinished one, even when a newer one is listed (none can be, on AWS; still)
        ([brief("newer", "SUCCESSFUL", 9), brief("running", "IN_PROGRESS", 5)], "running"),
    ],
)
def test_newest(briefs: list, expected: str | None) -> None:
    found = np.newest(briefs)
    assert (found or {}).get("serviceDeploymentArn") == expected


# --- polling views -------------------------------------------------------------------------


def deployment(status: str = "IN_PROGRESS", stage: str = "SCALE_UP", hooks: list | None = None, **extra: Any) -> dict:
    body = {
        "serviceDeploymentArn": ARN,
        "status": status,
        "lifecycleStage": stage,
        "createdAt": T0,
        "startedAt": T0,
        "sourceServiceRevisions": [{"arn": REV_V1, "runningTaskCount": 2, "requestedProductionTrafficWeight": 100.0}],
        "targetServiceRevision": {"arn": REV_V2, "runningTaskCount": 1, "requestedProductionTrafficWeight": 0.0},
        "lifecycleHookDetails": list(hooks or []),
    }
    body.update(extra)
    return body


TDS = {REV_V1: V1, REV_V2: V2}
AWAITING = {"hookId": "h1", "targetType": "PAUSE", "status": "AWAITING_ACTION"}


def test_native_view_of_a_deployment_in_progress() -> None:
    view = np.native_view(deployment(), TDS, {"blue": 100.0, "green": 0.0}, {"blue": 2, "green": 1})
    assert view["deployment_id"] == ARN
    assert (view["status"], view["stage"], view["phase"]) == ("IN_PROGRESS", "SCALE_UP", "SCALE_UP")
    assert (view["task_definition"], view["previous_task_definition"]) == (V2, V1)
    assert view["weights"] == {"blue": 100.0, "green": 0.0}
    assert view["running"] == {"blue": 2, "green": 1}
    assert view["healthy"] == {"blue": 2, "green": 1}
    assert (view["awaiting"], view["hook_id"]) == (False, None)
    assert plan.progress_line(view, 3.0) == "   3.0s SCALE_UP: traffic blue 100% / green 0%, healthy blue 2 / green 1"


@pytest.mark.parametrize(
    "body, phase, awaiting, hook_id",
    [
        (deployment(stage="POST_TEST_TRAFFIC_SHIFT", hooks=[AWAITING]), "POST_TEST_TRAFFIC_SHIFT (waiting for verification)", True, "h1"),
        (deployment(stage="POST_SCALE_UP", hooks=[AWAITING]), "POST_SCALE_UP (paused by a lifecycle hook)", True, "h1"),
        (deployment(stage="POST_TEST_TRAFFIC_SHIFT", hooks=[{**AWAITING, "status": "SUCCEEDED"}]), "POST_TEST_TRAFFIC_SHIFT", False, None),
        (deployment(status="ROLLBACK_IN_PROGRESS", stage="SCALE_UP"), "ROLLBACK_IN_PROGRESS at SCALE_UP", False, None),
        # a hook of a finished deployment awaits nothing
        (
            deployment(status="ROLLBACK_SUCCESSFUL", stage="POST_TEST_TRAFFIC_SHIFT", hooks=[AWAITING]),
            "ROLLBACK_SUCCESSFUL at POST_TEST_TRAFFIC_SHIFT",
            False,
            None,
        ),
        (deployment(status="PENDING", stage=None), "PENDING", False, None),
    ],
)
def test_native_view_phase_and_hook(body: dict, phase: str, awaiting: bool, hook_id: str | None) -> None:
    view = np.native_view(body, TDS)
    assert (view["phase"], view["awaiting"], view["hook_id"]) == (phase, awaiting, hook_id)


@pytest.mark.parametrize(
    "target_weight, expected",
    [
        (0.0, {"blue": 100.0, "green": 0.0}),
        (20.0, {"blue": 80.0, "green": 20.0}),
        (None, {"blue": 100.0, "green": 0.0}),
    ],
)
def test_native_view_weights_without_a_listener_rule(target_weight: float | None, expected: dict) -> None:
    """No production rule read: the deployment's requested production weight stands in."""
    body = deployment(targetServiceRevision={"arn": REV_V2, "requestedProductionTrafficWeight": target_weight})
    assert np.native_view(body, TDS)["weights"] == expected


def test_native_view_reasons() -> None:
    body = deployment(
        status="ROLLBACK_SUCCESSFUL",
        statusReason="ECS deployment circuit breaker: tasks failed to start.",
        rollback={"reason": "rolled back", "startedAt": T0, "serviceRevisionArn": REV_V1},
    )
    view = np.native_view(body, TDS)
    assert view["reason"] == "ECS deployment circuit breaker: tasks failed to start."
    assert view["rollback_reason"] == "rolled back"
    assert np.native_view(deployment(status="STOPPED", rollback={"reason": "stopped"}), TDS)["reason"] == "stopped"


@pytest.mark.parametrize(
    "seen, stage, expected",
    [
        ([], "SCALE_UP", [("SCALE_UP", "t1")]),
        ([("SCALE_UP", "t0")], "SCALE_UP", [("SCALE_UP", "t0")]),
        ([("SCALE_UP", "t0")], "POST_SCALE_UP", [("SCALE_UP", "t0"), ("POST_SCALE_UP", "t1")]),
        ([("SCALE_UP", "t0")], None, [("SCALE_UP", "t0")]),
    ],
)
def test_note_stage(seen: list, stage: str | None, expected: list) -> None:
    assert np.note_stage(seen, stage, "t1") == expected


def test_native_phases_from_the_stages_seen() -> None:
    seen = [("SCALE_UP", "t0"), ("TEST_TRAFFIC_SHIFT", "t1"), ("CLEAN_UP", "t2")]
    done = deployment(status="SUCCESSFUL", stage="CLEAN_UP", finishedAt=T0)
    assert np.native_phases(done, seen) == [
        {"name": "SCALE_UP", "status": "Succeeded", "started_at": "t0", "ended_at": "t1"},
        {"name": "TEST_TRAFFIC_SHIFT", "status": "Succeeded", "started_at": "t1", "ended_at": "t2"},
        {"name": "CLEAN_UP", "status": "Succeeded", "started_at": "t2", "ended_at": T0.isoformat()},
    ]
    running = np.native_phases(deployment(), seen[:1])
    assert running == [{"name": "SCALE_UP", "status": "InProgress", "started_at": "t0", "ended_at": None}]


def test_native_phases_without_polls_and_with_a_rollback() -> None:
    body = deployment(status="ROLLBACK_SUCCESSFUL", stage="SCALE_UP", finishedAt=T0, rollback={"reason": "x", "startedAt": T0})
    assert np.native_phases(body) == [
        {"name": "SCALE_UP", "status": "Failed", "started_at": T0.isoformat(), "ended_at": T0.isoformat()},
        {"name": "ROLLBACK", "status": "Succeeded", "started_at": T0.isoformat(), "ended_at": T0.isoformat()},
    ]
    rolling_back = np.native_phases(deployment(status="ROLLBACK_IN_PROGRESS", rollback={"reason": "x", "startedAt": T0}), [("SCALE_UP", "t0")])
    assert rolling_back[-1] == {"name": "ROLLBACK", "status": "InProgress", "started_at": T0.isoformat(), "ended_at": None}
    assert np.native_phases(deployment(status="PENDING", stage=None)) == []


def view(status: str, stage: str = "SCALE_UP", awaiting: bool = False, hook_id: str | None = None, **extra: Any) -> dict:
    return {"status": status, "stage": stage, "awaiting": awaiting, "hook_id": hook_id, **extra}


@pytest.mark.parametrize(
    "state, continued, expected",
    [
        (view("IN_PROGRESS"), (), False),
        (view("SUCCESSFUL"), (), True),
        (view("ROLLBACK_SUCCESSFUL"), (), True),
        (view("STOPPED"), (), True),
        (view("ROLLBACK_FAILED"), (), True),
        (view("ROLLBACK_IN_PROGRESS"), (), False),
        (view("IN_PROGRESS", "POST_TEST_TRAFFIC_SHIFT", True, "h1"), (), True),
        (view("IN_PROGRESS", "POST_SCALE_UP", True, "h1"), (), True),
        # a hook this run continued, still reported awaiting: keep polling
        (view("IN_PROGRESS", "POST_SCALE_UP", True, "h1"), ("h1",), False),
        (view("IN_PROGRESS", "POST_TEST_TRAFFIC_SHIFT", True, "h2"), ("h1",), True),
    ],
)
def test_native_done(state: dict, continued: tuple, expected: bool) -> None:
    assert np.native_done(state, continued) is expected


@pytest.mark.parametrize(
    "state, expected",
    [
        (view("SUCCESSFUL"), {"status": "succeeded", "rolled_back": False, "rollback_reason": None}),
        (view("IN_PROGRESS"), {"status": "in_progress", "rolled_back": False, "rollback_reason": None}),
        (view("IN_PROGRESS", "POST_TEST_TRAFFIC_SHIFT", True, "h1"), {"status": "awaiting_verification", "rolled_back": False, "rollback_reason": None}),
        # paused elsewhere: not the verification gate
        (view("IN_PROGRESS", "POST_SCALE_UP", True, "h1"), {"status": "in_progress", "rolled_back": False, "rollback_reason": None}),
        (view("ROLLBACK_IN_PROGRESS"), {"status": "in_progress", "rolled_back": False, "rollback_reason": None}),
        (
            view("ROLLBACK_SUCCESSFUL", reason="ECS deployment circuit breaker: tasks failed to start."),
            {
                "status": "rolled_back",
                "rolled_back": True,
                "rollback_reason": "ECS deployment circuit breaker: tasks failed to start.",
                "reason": "ECS deployment circuit breaker: tasks failed to start.",
            },
        ),
        (
            view("ROLLBACK_SUCCESSFUL", reason="Service deployment rolled back.", triggered_alarms=["p99"]),
            {
                "status": "rolled_back",
                "rolled_back": True,
                "rollback_reason": "Service deployment rolled back. (alarms in ALARM: p99)",
                "reason": "Service deployment rolled back. (alarms in ALARM: p99)",
            },
        ),
        (
            view("ROLLBACK_SUCCESSFUL"),
            {"status": "rolled_back", "rolled_back": True, "rollback_reason": "ROLLBACK_SUCCESSFUL", "reason": "ROLLBACK_SUCCESSFUL"},
        ),
        (
            view("STOPPED", reason="stopped by the user"),
            {"status": "stopped", "rolled_back": False, "rollback_reason": None, "reason": "STOPPED: stopped by the user"},
        ),
        (view("ROLLBACK_FAILED"), {"status": "failed", "rolled_back": False, "rollback_reason": None, "reason": "ROLLBACK_FAILED"}),
    ],
)
def test_native_outcome(state: dict, expected: dict) -> None:
    assert np.native_outcome(state) == expected


@pytest.mark.parametrize(
    "status, weights",
    [
        ("succeeded", {"blue": 0.0, "green": 100.0}),
        ("rolled_back", {"blue": 100.0, "green": 0.0}),
        ("awaiting_verification", {"blue": 100.0, "green": 0.0}),
    ],
)
def test_report_of_a_native_deployment(status: str, weights: dict) -> None:
    """The one result shape: an awaiting deployment reports the listener's split as seen."""
    state = np.native_view(deployment(stage="POST_TEST_TRAFFIC_SHIFT", hooks=[AWAITING]), TDS, {"blue": 100.0, "green": 0.0})
    result = plan.report("ecs", state, {"status": status}, V1, V2, 1.0)
    assert (result["strategy"], result["deployment_id"], result["weights"]) == ("ecs", ARN, weights)
