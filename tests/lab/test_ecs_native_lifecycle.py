"""Unit tests of ``lab.ecs.native_lifecycle`` (pure: no lab, no moto).

Pages: "Amazon ECS blue/green service deployments workflow" (blue-green-deployment-how-it-works.html),
"Amazon ECS linear deployments" (deployment-type-linear.html), "Amazon ECS canary deployments"
(deployment-type-canary.html), "Lifecycle hooks for Amazon ECS service deployments"
(deployment-lifecycle-hooks.html), API Reference: DeploymentConfiguration, AdvancedConfiguration.
"""

from __future__ import annotations

from typing import Any

import pytest

from lab.ecs import native_lifecycle as nl

BLUE = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/blue/1"
GREEN = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/green/2"
RULE = "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener-rule/app/lb/1/2/3"
ROLE = "arn:aws:iam::123456789012:role/ecs-lb"


def lb(**advanced: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {"targetGroupArn": BLUE, "containerName": "app", "containerPort": 8080}
    if advanced:
        entry["advancedConfiguration"] = advanced
    return entry


FULL = {"alternateTargetGroupArn": GREEN, "productionListenerRule": RULE, "roleArn": ROLE}


@pytest.mark.parametrize(
    ("config", "lbs", "controller", "expected"),
    [
        ({}, [lb()], "ECS", None),
        ({"strategy": "ROLLING"}, [lb()], "ECS", None),
        ({"strategy": "BLUE_GREEN"}, [lb(**FULL)], "ECS", None),
        ({"strategy": "BLUE_GREEN"}, [lb()], "ECS", "requires an alternate target group"),
        ({"strategy": "BLUE_GREEN"}, [lb(productionListenerRule=RULE, roleArn=ROLE)], "ECS", "alternateTargetGroupArn is required"),
        ({"strategy": "BLUE_GREEN"}, [lb(alternateTargetGroupArn=BLUE, productionListenerRule=RULE, roleArn=ROLE)], "ECS", "must be different"),
        ({"strategy": "BLUE_GREEN"}, [lb(alternateTargetGroupArn=GREEN, roleArn=ROLE)], "ECS", "productionListenerRule is required"),
        ({"strategy": "BLUE_GREEN"}, [lb(**FULL)], "CODE_DEPLOY", "only supported with the ECS deployment controller"),
        ({"strategy": "SIDEWAYS"}, [lb()], "ECS", "Invalid deployment strategy"),
        ({"strategy": "LINEAR", "linearConfiguration": {"stepPercent": 10.0, "stepBakeTimeInMinutes": 1}}, [lb(**FULL)], "ECS", None),
        ({"strategy": "LINEAR", "linearConfiguration": {"stepPercent": 1.0}}, [lb(**FULL)], "ECS", "stepPercent must be between"),
        ({"strategy": "CANARY", "canaryConfiguration": {"canaryPercent": 10.0, "canaryBakeTimeInMinutes": 2}}, [lb(**FULL)], "ECS", None),
        ({"strategy": "CANARY"}, [lb(**FULL)], "ECS", "canaryPercent must be between"),
        ({"strategy": "BLUE_GREEN", "canaryConfiguration": {"canaryPercent": 5.0}}, [lb(**FULL)], "ECS", "only supported with the CANARY"),
        ({"strategy": "BLUE_GREEN", "bakeTimeInMinutes": 2000}, [lb(**FULL)], "ECS", "bakeTimeInMinutes"),
        (
            {
                "strategy": "BLUE_GREEN",
                "lifecycleHooks": [{"targetType": "AWS_LAMBDA", "hookTargetArn": "arn:aws:lambda:x", "lifecycleStages": ["POST_SCALE_UP"]}],
            },
            [lb(**FULL)],
            "ECS",
            "cannot run Lambda",
        ),
        (
            {"strategy": "BLUE_GREEN", "lifecycleHooks": [{"targetType": "PAUSE", "lifecycleStages": ["BAKE_TIME"]}]},
            [lb(**FULL)],
            "ECS",
            "Invalid lifecycle stage",
        ),
        ({"strategy": "BLUE_GREEN", "lifecycleHooks": [{"targetType": "PAUSE", "lifecycleStages": []}]}, [lb(**FULL)], "ECS", "at least one stage"),
        ({"strategy": "BLUE_GREEN", "lifecycleHooks": [{"targetType": "PAUSE", "lifecycleStages": ["POST_TEST_TRAFFIC_SHIFT"]}]}, [lb(**FULL)], "ECS", None),
    ],
)
def test_config_error(config: dict[str, Any], lbs: list[dict[str, Any]], controller: str, expected: str | None) -> None:
    error = nl.config_error(config, lbs, controller)
    if expected is None:
        assert error is None
    else:
        assert error is not None and expected in error


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ({"strategy": "BLUE_GREEN"}, ((0, 100),)),
        ({}, ((0, 100),)),
        ({"strategy": "CANARY", "canaryConfiguration": {"canaryPercent": 10.0, "canaryBakeTimeInMinutes": 5}}, ((0, 10), (5, 100))),
        ({"strategy": "CANARY", "canaryConfiguration": {"canaryPercent": 0.5, "canaryBakeTimeInMinutes": 1}}, ((0, 1), (1, 100))),
        ({"strategy": "LINEAR", "linearConfiguration": {"stepPercent": 25.0, "stepBakeTimeInMinutes": 2}}, ((0, 25), (2, 50), (4, 75), (6, 100))),
        ({"strategy": "LINEAR", "linearConfiguration": {"stepPercent": 40.0, "stepBakeTimeInMinutes": 1}}, ((0, 40), (1, 80), (2, 100))),
        ({"strategy": "LINEAR", "linearConfiguration": {"stepPercent": 100.0, "stepBakeTimeInMinutes": 1}}, ((0, 100),)),
    ],
)
def test_production_schedule(config: dict[str, Any], expected: tuple[tuple[int, int], ...]) -> None:
    assert tuple((s.at_minutes, s.green_weight) for s in nl.production_schedule(config)) == expected


@pytest.mark.parametrize(("elapsed", "weight"), [(0.0, 10), (4.99, 10), (5.0, 100), (30.0, 100)])
def test_green_weight_over_time_for_a_canary(elapsed: float, weight: int) -> None:
    schedule = nl.production_schedule({"strategy": "CANARY", "canaryConfiguration": {"canaryPercent": 10.0, "canaryBakeTimeInMinutes": 5}})
    assert nl.green_weight_at(schedule, elapsed) == weight


def test_plan_walks_the_documented_stages_in_order() -> None:
    stages = []
    for step in nl.PLAN:
        if not stages or stages[-1] != step.stage:
            stages.append(step.stage)
    assert stages == [
        "RECONCILE_SERVICE",
        "PRE_SCALE_UP",
        "SCALE_UP",
        "POST_SCALE_UP",
        "TEST_TRAFFIC_SHIFT",
        "POST_TEST_TRAFFIC_SHIFT",
        "PRODUCTION_TRAFFIC_SHIFT",
        "POST_PRODUCTION_TRAFFIC_SHIFT",
        "BAKE_TIME",
        "CLEAN_UP",
    ]
    hook_names = [s.name for s in nl.PLAN if s.kind == "hook"]
    assert sorted(hook_names) == sorted(nl.HOOK_STAGES)
    # test traffic has moved before a TEST_TRAFFIC_SHIFT hook runs
    assert [s.kind for s in nl.PLAN if s.stage == "TEST_TRAFFIC_SHIFT"] == ["work", "hook"]
    assert nl.step_at(99).stage == "CLEAN_UP" and nl.is_last_step(len(nl.PLAN) - 1) and not nl.is_last_step(0)


@pytest.mark.parametrize(
    ("hooks", "stage", "expected"),
    [
        ([], "POST_SCALE_UP", ()),
        ([{"targetType": "PAUSE", "lifecycleStages": ["POST_SCALE_UP"]}], "POST_SCALE_UP", (nl.PauseHook(0, 1440, "ROLLBACK"),)),
        ([{"targetType": "PAUSE", "lifecycleStages": ["POST_SCALE_UP"]}], "PRE_SCALE_UP", ()),
        (
            [
                {"targetType": "AWS_LAMBDA", "lifecycleStages": ["POST_SCALE_UP"]},
                {
                    "targetType": "PAUSE",
                    "lifecycleStages": ["PRE_SCALE_UP", "POST_SCALE_UP"],
                    "timeoutConfiguration": {"timeoutInMinutes": 5, "action": "CONTINUE"},
                },
            ],
            "POST_SCALE_UP",
            (nl.PauseHook(1, 5, "CONTINUE"),),
        ),
    ],
)
def test_pause_hooks_at(hooks: list[dict[str, Any]], stage: str, expected: tuple[nl.PauseHook, ...]) -> None:
    assert nl.pause_hooks_at({"lifecycleHooks": hooks}, stage) == expected


@pytest.mark.parametrize(
    ("statuses", "outcome"),
    [
        ([], "continue"),
        (["AWAITING_ACTION"], "wait"),
        (["SUCCEEDED", "AWAITING_ACTION"], "wait"),
        (["SUCCEEDED", "TIMED_OUT"], "continue"),
        (["FAILED", "AWAITING_ACTION"], "rollback"),
        (["SUCCEEDED"], "continue"),
    ],
)
def test_hooks_outcome(statuses: list[str], outcome: str) -> None:
    assert nl.hooks_outcome(statuses) == outcome


ROUTING = nl.Routing("tg-blue", "tg-green", "rule-prod", "rule-test", "app", 8080)


@pytest.mark.parametrize(
    ("routing", "forwarded", "missing"),
    [
        # each rule forwarding to one target group of the pair: production to blue, test to green
        (ROUTING, {"rule-prod": {"tg-blue"}, "rule-test": {"tg-green"}}, set()),
        # both rules weighted over the pair (green at weight 0 is associated)
        (ROUTING, {"rule-prod": {"tg-blue", "tg-green"}, "rule-test": {"tg-blue", "tg-green"}}, set()),
        # both rules forwarding to blue alone: green is on no rule
        (ROUTING, {"rule-prod": {"tg-blue"}, "rule-test": {"tg-blue"}}, {"tg-green"}),
        # a rule forwarding elsewhere
        (ROUTING, {"rule-prod": {"tg-other"}, "rule-test": {"tg-green"}}, {"tg-blue"}),
        # no test rule: the production rule must name both
        (nl.Routing("tg-blue", "tg-green", "rule-prod", None, "app", 8080), {"rule-prod": {"tg-blue"}}, {"tg-green"}),
        (nl.Routing("tg-blue", "tg-green", "rule-prod", None, "app", 8080), {"rule-prod": {"tg-blue", "tg-green"}}, set()),
        # a rule that does not exist forwards to nothing
        (ROUTING, {}, {"tg-blue", "tg-green"}),
    ],
)
def test_unassociated_target_groups(routing: nl.Routing, forwarded: dict[str, set[str]], missing: set[str]) -> None:
    """migrate-code-deploy-to-ecs-blue-green.html: both target groups must be associated with the
    production listener rule or the test listener rule."""
    assert nl.unassociated_target_groups(routing, forwarded) == missing


def test_green_and_swapped_load_balancers() -> None:
    lbs = [lb(**FULL), {"targetGroupArn": "plain", "containerName": "app", "containerPort": 8080}]
    green = nl.green_load_balancers(lbs)
    assert green[0] == {"targetGroupArn": GREEN, "containerName": "app", "containerPort": 8080}
    assert green[1]["targetGroupArn"] == "plain"
    swapped = nl.swapped_load_balancers(lbs)
    assert swapped[0]["targetGroupArn"] == GREEN and swapped[0]["advancedConfiguration"]["alternateTargetGroupArn"] == BLUE
    assert swapped[0]["advancedConfiguration"]["productionListenerRule"] == RULE
    assert nl.swapped_load_balancers(swapped)[0] == lbs[0]
    assert swapped[1] == lbs[1]
    assert nl.routings_of(lbs) == (nl.Routing(BLUE, GREEN, RULE, None, "app", 8080),)


@pytest.mark.parametrize(
    ("config", "names", "alarm_rollback", "breaker", "breaker_rollback"),
    [
        ({}, (), False, False, False),
        ({"alarms": {"enable": True, "rollback": True, "alarmNames": ["a", "b"]}}, ("a", "b"), True, False, False),
        ({"alarms": {"enable": False, "rollback": True, "alarmNames": ["a"]}}, (), False, False, False),
        ({"deploymentCircuitBreaker": {"enable": True, "rollback": False}}, (), False, True, False),
        ({"deploymentCircuitBreaker": {"enable": True, "rollback": True}}, (), False, True, True),
    ],
)
def test_rollback_monitors(config: dict[str, Any], names: tuple[str, ...], alarm_rollback: bool, breaker: bool, breaker_rollback: bool) -> None:
    assert nl.alarm_names(config) == names
    assert nl.rolls_back_on_alarm(config) is alarm_rollback
    assert nl.breaker_enabled(config) is breaker
    assert nl.rolls_back_on_breaker(config) is breaker_rollback


@pytest.mark.parametrize(
    ("enabled", "triggered", "finished", "status"),
    [(False, False, False, "DISABLED"), (True, True, False, "TRIGGERED"), (True, False, False, "MONITORING"), (True, False, True, "MONITORING_COMPLETE")],
)
def test_monitor_status(enabled: bool, triggered: bool, finished: bool, status: str) -> None:
    assert nl.monitor_status(enabled, triggered, finished) == status
