"""The pre-shift checks, function by function: how a rule as DescribeRules returns it is read, what differs from
what a deployment expects (one finding per field, with the exact words the user reads), how the refusal and the
warning say it, and when green is healthy enough for traffic."""

from __future__ import annotations

from typing import Any, Optional

import pytest

from ansible_collections.cutover.ecs.plugins.module_utils._deploy import preshift
from ansible_collections.cutover.ecs.plugins.module_utils._deploy.preshift import PRODUCTION, TEST, Pair, Route

ELB = "arn:aws:elasticloadbalancing:us-east-1:123456789012"
BLUE = f"{ELB}:targetgroup/web-blue/0123456789abcdef"
GREEN = f"{ELB}:targetgroup/web-green/fedcba9876543210"
OTHER = f"{ELB}:targetgroup/api/1111111111111111"
LISTENER = f"{ELB}:listener/app/shop/50dc6c495c0c9188/f2f7dc8efc522ab2"
TEST_LISTENER = f"{ELB}:listener/app/shop/50dc6c495c0c9188/0467ef3c8400ae65"
NLB_LISTENER = f"{ELB}:listener/net/edge/7a9d8e7f6a5b4c3d/1a2b3c4d5e6f7a8b"
RULE = f"{ELB}:listener-rule/app/shop/50dc6c495c0c9188/f2f7dc8efc522ab2/9683b2d02a6cabee"
DEFAULT_RULE = f"{ELB}:listener-rule/app/shop/50dc6c495c0c9188/f2f7dc8efc522ab2/0000000000000000"
PAIR = Pair(BLUE, GREEN)
WEIGHTS = "Actions[0].ForwardConfig.TargetGroups"


def forward(weights: dict) -> dict:
    return {"Type": "forward", "ForwardConfig": {"TargetGroups": [{"TargetGroupArn": arn, "Weight": weight} for arn, weight in weights.items()]}}


def fixed_response(status: str = "503") -> dict:
    return {"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": status, "ContentType": "text/plain"}}


def route(*actions: dict, role: str = PRODUCTION, priority: str = "6", port: Optional[int] = 80) -> Route:
    return Route(role, LISTENER, port, RULE, priority, tuple(actions))


def rule(priority: str, *actions: dict, arn: Optional[str] = RULE) -> dict:
    found: dict[str, Any] = {"Priority": priority, "IsDefault": priority == "default", "Actions": list(actions)}
    if arn:
        found["RuleArn"] = arn
    return found


def finding(field: str, expected: Any, found: Any, where: str = "production listener shop:80, rule 6", **route_fields: Any) -> dict:
    base = {"role": PRODUCTION, "listener": LISTENER, "port": 80, "rule": RULE, "priority": "6"}
    base.update(route_fields)
    return dict(base, field=field, expected=expected, found=found, where=where)


# --- names -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "arn, expected",
    [
        (BLUE, "web-blue"),
        (LISTENER, "shop"),
        (NLB_LISTENER, "edge"),
        (RULE, "shop"),
        (f"{ELB}:listener-rule/net/edge/7a9d/1a2b/3c4d", "edge"),
        ("arn:tg/blue", "arn:tg/blue"),
        ("web-blue", "web-blue"),
        (None, ""),
        ("", ""),
    ],
)
def test_name_of(arn: Optional[str], expected: str) -> None:
    assert preshift.name_of(arn) == expected


@pytest.mark.parametrize(
    "rule_arn, expected",
    [
        (RULE, LISTENER),
        (f"{ELB}:listener-rule/net/edge/7a9d8e7f6a5b4c3d/1a2b3c4d5e6f7a8b/99", NLB_LISTENER),
        # not a rule: as it is
        (LISTENER, LISTENER),
        ("arn:tg/blue", "arn:tg/blue"),
    ],
)
def test_listener_of_rule(rule_arn: str, expected: str) -> None:
    assert preshift.listener_of_rule(rule_arn) == expected


# --- forward actions ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "action, expected",
    [
        ({"Type": "forward", "TargetGroupArn": BLUE}, {BLUE: 1}),
        (forward({BLUE: 80, GREEN: 20}), {BLUE: 80, GREEN: 20}),
        # a weight of 0 is a weight, not a missing one
        (forward({BLUE: 0, GREEN: 100}), {BLUE: 0, GREEN: 100}),
        ({"Type": "forward", "ForwardConfig": {"TargetGroups": [{"TargetGroupArn": BLUE}, {"TargetGroupArn": GREEN}]}}, {BLUE: 1, GREEN: 1}),
        ({"Type": "forward", "ForwardConfig": {"TargetGroups": [{"TargetGroupArn": BLUE, "Weight": None}]}}, {BLUE: 1}),
        # ELBv2 answers both fields for a single group: the ForwardConfig's weights count
        ({"Type": "forward", "TargetGroupArn": BLUE, "ForwardConfig": {"TargetGroups": [{"TargetGroupArn": BLUE, "Weight": 7}]}}, {BLUE: 7}),
        ({"Type": "forward", "ForwardConfig": {"TargetGroups": [{"Weight": 5}, {"TargetGroupArn": GREEN, "Weight": 3}]}}, {GREEN: 3}),
        ({"Type": "forward"}, {}),
        (fixed_response(), {}),
        ({"Type": "redirect", "TargetGroupArn": BLUE}, {}),
        ({}, {}),
    ],
)
def test_forwarded(action: dict, expected: dict) -> None:
    assert preshift.forwarded(action) == expected


# --- listener_routes ---------------------------------------------------------------------------------


def test_listener_routes_keeps_the_rules_that_move_the_pair_with_the_default_rule() -> None:
    listener = {"ListenerArn": LISTENER, "Port": 443, "DefaultActions": [forward({BLUE: 1})]}
    unrelated = rule("1", forward({OTHER: 1}), arn=f"{ELB}:listener-rule/app/shop/50dc/f2f7/1111")
    moving = rule("6", forward({BLUE: 100, GREEN: 0}))
    default = rule("default", forward({BLUE: 1}), arn=DEFAULT_RULE)
    routes = preshift.listener_routes(PRODUCTION, listener, [unrelated, moving, default], PAIR)
    assert routes == [
        Route(PRODUCTION, LISTENER, 443, RULE, "6", (forward({BLUE: 100, GREEN: 0}),)),
        Route(PRODUCTION, LISTENER, 443, DEFAULT_RULE, "default", (forward({BLUE: 1}),)),
    ]


def test_listener_routes_reads_the_default_actions_when_the_rules_lack_the_default() -> None:
    listener = {"ListenerArn": LISTENER, "Port": 8080, "DefaultActions": [forward({BLUE: 0, GREEN: 100})]}
    routes = preshift.listener_routes(TEST, listener, [rule("1", forward({OTHER: 1}))], PAIR)
    assert routes == [Route(TEST, LISTENER, 8080, LISTENER, "default", (forward({BLUE: 0, GREEN: 100}),))]


def test_listener_routes_takes_the_default_rule_over_the_default_actions() -> None:
    """The default rule was read (it no longer forwards to the pair): the listener's DefaultActions are not read again."""
    listener = {"ListenerArn": LISTENER, "Port": 80, "DefaultActions": [forward({BLUE: 1})]}
    assert preshift.listener_routes(PRODUCTION, listener, [rule("default", fixed_response(), arn=DEFAULT_RULE)], PAIR) == []
    # a Priority of "default" marks the default rule even without IsDefault
    no_flag = {"RuleArn": DEFAULT_RULE, "Priority": "default", "Actions": [fixed_response()]}
    assert preshift.listener_routes(PRODUCTION, listener, [no_flag], PAIR) == []


def test_listener_routes_flags_a_default_rule_by_is_default_alone() -> None:
    odd = {"RuleArn": DEFAULT_RULE, "Priority": "50000", "IsDefault": True, "Actions": [forward({GREEN: 1})]}
    routes = preshift.listener_routes(PRODUCTION, {"ListenerArn": LISTENER, "Port": 80}, [odd], PAIR)
    assert [(r.rule, r.priority) for r in routes] == [(DEFAULT_RULE, "default")]


def test_listener_routes_of_a_rule_without_arn_name_the_listener() -> None:
    routes = preshift.listener_routes(PRODUCTION, {"ListenerArn": LISTENER, "Port": 80}, [rule("3", forward({GREEN: 1}), arn=None)], PAIR)
    assert routes == [Route(PRODUCTION, LISTENER, 80, LISTENER, "3", (forward({GREEN: 1}),))]


def test_listener_routes_of_a_listener_that_does_not_touch_the_pair() -> None:
    listener = {"ListenerArn": LISTENER, "Port": 80, "DefaultActions": [fixed_response("404")]}
    assert preshift.listener_routes(PRODUCTION, listener, [rule("1", forward({OTHER: 1}))], PAIR) == []
    assert preshift.listener_routes(PRODUCTION, listener, [], PAIR) == []


# --- named_route -----------------------------------------------------------------------------------


def test_named_route_of_a_rule_as_read() -> None:
    found = rule("6", forward({BLUE: 100, GREEN: 0}))
    assert preshift.named_route(PRODUCTION, RULE, found, {"ListenerArn": LISTENER, "Port": 80}) == Route(
        PRODUCTION, LISTENER, 80, RULE, "6", (forward({BLUE: 100, GREEN: 0}),), exists=True
    )
    default = preshift.named_route(TEST, DEFAULT_RULE, rule("default", forward({GREEN: 1}), arn=DEFAULT_RULE), None)
    assert (default.listener, default.port, default.priority, default.exists) == (LISTENER, None, "default", True)


def test_named_route_of_a_deleted_rule() -> None:
    assert preshift.named_route(TEST, RULE, None, {"ListenerArn": LISTENER, "Port": 8080}) == Route(TEST, LISTENER, 8080, RULE, "?", (), exists=False)
    assert preshift.named_route(TEST, RULE, None).port is None


def test_named_route_of_an_nlb_listener() -> None:
    found = {"ListenerArn": NLB_LISTENER, "Port": 443, "DefaultActions": [forward({BLUE: 1})]}
    assert preshift.named_route(PRODUCTION, NLB_LISTENER, found, found) == Route(PRODUCTION, NLB_LISTENER, 443, NLB_LISTENER, "default", (forward({BLUE: 1}),))
    # the port as the listener read says, when the listener answer lacks it
    bare = {"ListenerArn": NLB_LISTENER, "DefaultActions": [forward({BLUE: 1})]}
    assert preshift.named_route(PRODUCTION, NLB_LISTENER, bare, {"Port": 8443}).port == 8443
    gone = preshift.named_route(PRODUCTION, NLB_LISTENER, None, None)
    assert (gone.listener, gone.rule, gone.exists) == (NLB_LISTENER, NLB_LISTENER, False)


# --- route_drift -------------------------------------------------------------------------------------


def test_route_drift_of_a_deleted_rule() -> None:
    gone = Route(PRODUCTION, LISTENER, 80, RULE, "?", (), exists=False)
    assert preshift.route_drift(gone, PAIR, 0.0) == [finding("Rule", "exists", "deleted", where="production listener shop:80, rule ?", priority="?")]


def test_route_drift_of_a_deleted_listener() -> None:
    gone = Route(TEST, LISTENER, None, LISTENER, "default", (), exists=False)
    assert preshift.route_drift(gone, PAIR, None) == [
        {
            "role": TEST,
            "listener": LISTENER,
            "port": None,
            "rule": LISTENER,
            "priority": "default",
            "field": "Listener",
            "expected": "exists",
            "found": "deleted",
            # no port read: the listener's ARN in full
            "where": f"test listener {LISTENER}, default action",
        }
    ]


@pytest.mark.parametrize(
    "actions, found",
    [
        ((fixed_response("503"),), "fixed-response 503"),
        (({"Type": "fixed-response"},), "fixed-response"),
        (
            ({"Type": "redirect", "RedirectConfig": {"StatusCode": "HTTP_301", "Host": "maintenance.example.com", "Path": "/down"}},),
            "redirect HTTP_301 to maintenance.example.com/down",
        ),
        (({"Type": "redirect", "RedirectConfig": {"StatusCode": "HTTP_302"}},), "redirect HTTP_302 to #{host}"),
        (({"Type": "authenticate-oidc"}, forward({OTHER: 1})), "authenticate-oidc; forward to api (weight 1)"),
        (({"Type": "forward", "TargetGroupArn": OTHER},), "forward to api (weight 1)"),
        ((), "no action"),
    ],
)
def test_route_drift_of_a_rule_that_no_longer_forwards_to_the_pair(actions: tuple, found: str) -> None:
    assert preshift.route_drift(route(*actions), PAIR, 0.0) == [finding("Actions", "forward to web-blue and web-green", found)]


def test_route_drift_of_a_third_target_group_in_the_forward() -> None:
    drifted = route(forward({BLUE: 100, GREEN: 0, OTHER: 5}))
    assert preshift.route_drift(drifted, PAIR, 0.0) == [finding(f"{WEIGHTS}[api]", "absent (not blue or green)", "weight 5")]


@pytest.mark.parametrize(
    "weights, share, expected",
    [
        (
            {BLUE: 80, GREEN: 20},
            0.0,
            [(f"{WEIGHTS}[web-blue].Weight", "100 %", "80 (80 %)"), (f"{WEIGHTS}[web-green].Weight", "0 %", "20 (20 %)")],
        ),
        (
            {BLUE: 50, GREEN: 50},
            0.0,
            [(f"{WEIGHTS}[web-blue].Weight", "100 %", "50 (50 %)"), (f"{WEIGHTS}[web-green].Weight", "0 %", "50 (50 %)")],
        ),
        # test traffic expected on green at Ready, still on blue
        (
            {BLUE: 100, GREEN: 0},
            100.0,
            [(f"{WEIGHTS}[web-blue].Weight", "0 %", "100 (100 %)"), (f"{WEIGHTS}[web-green].Weight", "100 %", "0 (0 %)")],
        ),
        (
            {BLUE: 3, GREEN: 1},
            12.5,
            [(f"{WEIGHTS}[web-blue].Weight", "87.5 %", "3 (75 %)"), (f"{WEIGHTS}[web-green].Weight", "12.5 %", "1 (25 %)")],
        ),
        # green missing from the forward: weight 0
        (
            {BLUE: 1},
            100.0,
            [(f"{WEIGHTS}[web-blue].Weight", "0 %", "1 (100 %)"), (f"{WEIGHTS}[web-green].Weight", "100 %", "0 (0 %)")],
        ),
    ],
)
def test_route_drift_of_weights_off(weights: dict, share: float, expected: list) -> None:
    found = preshift.route_drift(route(forward(weights)), PAIR, share)
    assert [(f["field"], f["expected"], f["found"]) for f in found] == expected
    assert all(f["where"] == "production listener shop:80, rule 6" and f["rule"] == RULE for f in found)


def test_route_drift_of_a_plain_forward_with_weights_off() -> None:
    assert preshift.route_drift(route({"Type": "forward", "TargetGroupArn": GREEN}), PAIR, 0.0) == [
        finding(f"{WEIGHTS}[web-blue].Weight", "100 %", "0 (0 %)"),
        finding(f"{WEIGHTS}[web-green].Weight", "0 %", "1 (100 %)"),
    ]


def test_route_drift_of_both_weights_zero() -> None:
    assert preshift.route_drift(route(forward({BLUE: 0, GREEN: 0})), PAIR, 0.0) == [finding(f"{WEIGHTS}.Weight", "web-green 0 %", "weight 0 on both")]
    assert preshift.route_drift(route(forward({BLUE: 0, GREEN: 0})), PAIR, 100.0)[0]["expected"] == "web-green 100 %"


def test_route_drift_shares_count_blue_and_green_only() -> None:
    """A third group is reported on its own: green's share is of what blue and green get."""
    assert preshift.route_drift(route(forward({BLUE: 1, GREEN: 1, OTHER: 2})), PAIR, 50.0) == [
        finding(f"{WEIGHTS}[api]", "absent (not blue or green)", "weight 2")
    ]
    assert preshift.route_drift(route(forward({BLUE: 0, GREEN: 0, OTHER: 1})), PAIR, 0.0) == [
        finding(f"{WEIGHTS}[api]", "absent (not blue or green)", "weight 1"),
        finding(f"{WEIGHTS}.Weight", "web-green 0 %", "weight 0 on both"),
    ]


def test_route_drift_with_any_share_ignores_the_weights_but_not_a_third_group() -> None:
    assert preshift.route_drift(route(forward({BLUE: 80, GREEN: 20})), PAIR, None) == []
    assert preshift.route_drift(route(forward({BLUE: 0, GREEN: 0})), PAIR, None) == []
    assert preshift.route_drift(route(forward({BLUE: 80, GREEN: 20, OTHER: 1})), PAIR, None) == [
        finding(f"{WEIGHTS}[api]", "absent (not blue or green)", "weight 1")
    ]


@pytest.mark.parametrize(
    "weights, share, drifted",
    [
        ({BLUE: 1000, GREEN: 4}, 0.0, False),  # 0.4 %
        ({BLUE: 199, GREEN: 1}, 0.0, False),  # 0.5 %: the tolerance itself
        ({BLUE: 99, GREEN: 1}, 0.0, True),  # 1 %
        ({BLUE: 1, GREEN: 199}, 100.0, False),
        ({BLUE: 1, GREEN: 99}, 100.0, True),
        ({BLUE: 999, GREEN: 1001}, 50.0, False),
        # relative weights: the shares count, not the numbers
        ({BLUE: 1, GREEN: 0}, 0.0, False),
        ({BLUE: 0, GREEN: 3}, 100.0, False),
        ({BLUE: 1, GREEN: 1}, 50.0, False),
        ({BLUE: 100, GREEN: 0}, 0.0, False),
        ({BLUE: 0, GREEN: 100}, 100.0, False),
    ],
)
def test_route_drift_tolerance_and_relative_weights(weights: dict, share: float, drifted: bool) -> None:
    assert bool(preshift.route_drift(route(forward(weights)), PAIR, share)) is drifted


def test_route_drift_names_the_index_of_the_forward_among_the_actions() -> None:
    drifted = route({"Type": "authenticate-cognito"}, forward({BLUE: 50, GREEN: 50}))
    assert [f["field"] for f in preshift.route_drift(drifted, PAIR, 0.0)] == [
        "Actions[1].ForwardConfig.TargetGroups[web-blue].Weight",
        "Actions[1].ForwardConfig.TargetGroups[web-green].Weight",
    ]


def test_route_drift_where_names_listener_port_and_rule() -> None:
    test_default = Route(TEST, TEST_LISTENER, 8080, TEST_LISTENER, "default", (forward({BLUE: 1}),))
    assert preshift.route_drift(test_default, PAIR, 100.0)[0]["where"] == "test listener shop:8080, default action"


# --- listener_without_route, drift ------------------------------------------------------------------


def test_listener_without_route() -> None:
    assert preshift.listener_without_route(TEST, {"ListenerArn": TEST_LISTENER, "Port": 8080, "DefaultActions": [fixed_response()]}, PAIR) == {
        "role": TEST,
        "listener": TEST_LISTENER,
        "port": 8080,
        "rule": TEST_LISTENER,
        "priority": "*",
        "field": "Rules",
        "expected": "a rule forwarding to web-blue or web-green",
        "found": "none forwards to either",
        "where": "test listener shop:8080",
    }


def test_drift_checks_each_route_against_its_role_share() -> None:
    production = route(forward({BLUE: 100, GREEN: 0}))
    test = Route(TEST, TEST_LISTENER, 8080, TEST_LISTENER, "default", (forward({BLUE: 100, GREEN: 0}),))
    # as Ready leaves them: production on blue, test on green
    found = preshift.drift([production, test], PAIR, {PRODUCTION: 0.0, TEST: 100.0})
    assert [(f["role"], f["field"], f["expected"], f["found"]) for f in found] == [
        (TEST, f"{WEIGHTS}[web-blue].Weight", "0 %", "100 (100 %)"),
        (TEST, f"{WEIGHTS}[web-green].Weight", "100 %", "0 (0 %)"),
    ]
    assert preshift.drift([production, test], PAIR, {PRODUCTION: 0.0, TEST: 0.0}) == []
    # a role without a share: any weight
    assert preshift.drift([production, test], PAIR, {PRODUCTION: 100.0})[0]["role"] == PRODUCTION
    assert len(preshift.drift([production, test], PAIR, {PRODUCTION: 100.0})) == 2
    assert preshift.drift([], PAIR, {PRODUCTION: 0.0}) == []


# --- native_shares ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "stage, requested, expected",
    [
        ("PRODUCTION_TRAFFIC_SHIFT", (100, 30), {TEST: 100.0, PRODUCTION: 30.0}),
        # requested weights win over the stage's, a 0 too
        ("POST_PRODUCTION_TRAFFIC_SHIFT", (0, 0), {TEST: 0.0, PRODUCTION: 0.0}),
        ("SCALE_UP", ("25", None), {TEST: 25.0, PRODUCTION: 0.0}),
        ("POST_TEST_TRAFFIC_SHIFT", (None, None), {TEST: 100.0, PRODUCTION: 0.0}),
        ("TEST_TRAFFIC_SHIFT", (None, None), {TEST: None, PRODUCTION: 0.0}),
        ("PRODUCTION_TRAFFIC_SHIFT", (None, None), {TEST: 100.0, PRODUCTION: None}),
        ("POST_PRODUCTION_TRAFFIC_SHIFT", (None, None), {TEST: 100.0, PRODUCTION: 100.0}),
        ("RECONCILE_SERVICE", (None, None), {TEST: 0.0, PRODUCTION: 0.0}),
        ("BAKE_TIME", (None, None), {TEST: None, PRODUCTION: None}),
        (None, (None, None), {TEST: None, PRODUCTION: None}),
        (None, (None, 40), {TEST: None, PRODUCTION: 40.0}),
    ],
)
def test_native_shares(stage: Optional[str], requested: tuple, expected: dict) -> None:
    assert preshift.native_shares(stage, *requested) == expected


def test_native_shares_without_requested_weights() -> None:
    assert preshift.native_shares("PRE_SCALE_UP") == {TEST: 0.0, PRODUCTION: 0.0}


# --- what the user reads -----------------------------------------------------------------------------

GREEN_OFF = finding(f"{WEIGHTS}[web-green].Weight", "0 %", "20 (20 %)")
BLUE_OFF = finding(f"{WEIGHTS}[web-blue].Weight", "100 %", "80 (80 %)")
BLUE_LINE = f"production listener shop:80, rule 6: {WEIGHTS}[web-blue].Weight: expected 100 %, found 80 (80 %)"
GREEN_LINE = f"production listener shop:80, rule 6: {WEIGHTS}[web-green].Weight: expected 0 %, found 20 (20 %)"


def test_lines() -> None:
    assert preshift.lines([BLUE_OFF, GREEN_OFF]) == [BLUE_LINE, GREEN_LINE]
    assert preshift.lines([]) == []


def test_drift_message_before_the_start() -> None:
    assert preshift.drift_message([BLUE_OFF, GREEN_OFF], "web", "before it starts") == (
        "The listener rules of web are not as the deployment expects before it starts (changed by hand, by another tool, or by a "
        f"deployment stopped without rollback): {BLUE_LINE}; {GREEN_LINE}. Nothing was changed: put them back, or set "
        "on_listener_drift=proceed (role: deploy_on_listener_drift) to deploy anyway; the deployment then sets "
        "the weights it needs and drops the rest."
    )


def test_drift_message_of_a_held_deployment() -> None:
    message = preshift.drift_message([GREEN_OFF], "web", "before production traffic moves (d-1 is Ready)", waiting="d-1")
    assert message == (
        "The listener rules of web are not as the deployment expects before production traffic moves (d-1 is Ready) (changed by "
        f"hand, by another tool, or by a deployment stopped without rollback): {GREEN_LINE}. The deployment d-1 waits where it is: "
        "put the rules back and continue it (action=continue), roll it back (action=rollback), or continue with "
        "on_listener_drift=proceed (role: deploy_on_listener_drift)."
    )
    assert "Nothing was changed" not in message


def test_proceed_warning() -> None:
    assert preshift.proceed_warning([BLUE_OFF, GREEN_OFF], "before it starts") == (
        "Proceeding before it starts although the listener rules differ from what the deployment expects "
        f"(on_listener_drift=proceed): {BLUE_LINE}; {GREEN_LINE}"
    )


# --- green_not_ready -------------------------------------------------------------------------------


def health(ident: Optional[str], state: str, port: Optional[int] = 8080) -> dict:
    return {"Target": {"Id": ident, "Port": port}, "TargetHealth": {"State": state}}


@pytest.mark.parametrize(
    "descriptions, group, expected",
    [
        ([], "web-green", "no target is registered in web-green"),
        ([], None, "no target is registered in green's target group"),
        # draining targets leave: they count neither way
        ([health("10.0.1.4", "draining")], "web-green", "no target is registered in web-green"),
        (
            [health("10.0.1.5", "initial"), health("10.0.1.6", "unhealthy"), health("10.0.1.7", "healthy"), health("10.0.1.8", "draining")],
            "web-green",
            "2 of 3 targets in web-green are not healthy (10.0.1.5:8080 initial, 10.0.1.6:8080 unhealthy)",
        ),
        ([health("10.0.1.5", "unused", 80)], None, "1 of 1 targets in green's target group are not healthy (10.0.1.5:80 unused)"),
        ([health("10.0.1.7", "healthy"), health("10.0.1.8", "draining")], "web-green", None),
        ([health("10.0.1.7", "healthy"), health("10.0.1.9", "healthy")], "web-green", None),
    ],
)
def test_green_not_ready(descriptions: list, group: Optional[str], expected: Optional[str]) -> None:
    assert preshift.green_not_ready(descriptions, group) == expected


# --- serving_target_group, codedeploy_pair, codedeploy_listeners -------------------------------------


def task_set(status: str, *target_groups: str) -> dict:
    return {"status": status, "loadBalancers": [{"targetGroupArn": arn, "containerName": "app", "containerPort": 8080} for arn in target_groups]}


@pytest.mark.parametrize(
    "service, expected",
    [
        ({"taskSets": [task_set("ACTIVE", BLUE), task_set("PRIMARY", GREEN)], "loadBalancers": [{"targetGroupArn": BLUE}]}, GREEN),
        ({"taskSets": [task_set("PRIMARY", GREEN)], "loadBalancers": []}, GREEN),
        # the PRIMARY task set says nothing: the service's first load balancer
        ({"taskSets": [{"status": "PRIMARY"}, task_set("ACTIVE", GREEN)], "loadBalancers": [{"targetGroupArn": BLUE}, {"targetGroupArn": OTHER}]}, BLUE),
        (
            {
                "taskSets": [{"status": "PRIMARY", "loadBalancers": [{"containerName": "app"}]}],
                "loadBalancers": [{"containerName": "x"}, {"targetGroupArn": BLUE}],
            },
            BLUE,
        ),
        ({"loadBalancers": [{"targetGroupArn": BLUE}]}, BLUE),
        ({"taskSets": [task_set("ACTIVE", GREEN)], "loadBalancers": []}, None),
        ({}, None),
    ],
)
def test_serving_target_group(service: dict, expected: Optional[str]) -> None:
    assert preshift.serving_target_group(service) == expected


def codedeploy_group(*names: str, production: tuple = (LISTENER,), test: Optional[tuple] = (TEST_LISTENER,)) -> dict:
    info: dict = {"targetGroups": [{"name": name} for name in names], "prodTrafficRoute": {"listenerArns": list(production)}}
    if test is not None:
        info["testTrafficRoute"] = {"listenerArns": list(test)}
    return {"deploymentGroupName": "web", "loadBalancerInfo": {"targetGroupPairInfoList": [info]}}


ARNS = {"web-blue": BLUE, "web-green": GREEN}


@pytest.mark.parametrize(
    "group, arns, serving, expected",
    [
        (codedeploy_group("web-blue", "web-green"), ARNS, BLUE, Pair(BLUE, GREEN)),
        # after a deployment, the second group serves: it is blue now
        (codedeploy_group("web-blue", "web-green"), ARNS, GREEN, Pair(GREEN, BLUE)),
        (codedeploy_group("web-green", "web-blue"), ARNS, BLUE, Pair(BLUE, GREEN)),
        (codedeploy_group("web-green", "web-blue"), ARNS, GREEN, Pair(GREEN, BLUE)),
        # serving unknown: the pair's order
        (codedeploy_group("web-blue", "web-green"), ARNS, None, Pair(BLUE, GREEN)),
        (codedeploy_group("web-blue", "web-green"), ARNS, OTHER, Pair(BLUE, GREEN)),
        (codedeploy_group("web-blue", "web-green"), {"web-blue": BLUE}, BLUE, None),
        (codedeploy_group("web-blue", "web-green"), {}, None, None),
        (codedeploy_group("web-blue"), ARNS, BLUE, None),
        (codedeploy_group("web-blue", "web-green", "api"), dict(ARNS, api=OTHER), BLUE, None),
        ({"deploymentGroupName": "web"}, ARNS, BLUE, None),
        ({"loadBalancerInfo": {"targetGroupPairInfoList": []}}, ARNS, BLUE, None),
    ],
)
def test_codedeploy_pair(group: dict, arns: dict, serving: Optional[str], expected: Optional[Pair]) -> None:
    assert preshift.codedeploy_pair(group, arns, serving) == expected


@pytest.mark.parametrize(
    "group, expected",
    [
        (codedeploy_group("web-blue", "web-green"), [(PRODUCTION, LISTENER), (TEST, TEST_LISTENER)]),
        (codedeploy_group("web-blue", "web-green", test=None), [(PRODUCTION, LISTENER)]),
        (codedeploy_group("web-blue", "web-green", test=()), [(PRODUCTION, LISTENER)]),
        (
            codedeploy_group("web-blue", "web-green", production=(LISTENER, NLB_LISTENER)),
            [(PRODUCTION, LISTENER), (PRODUCTION, NLB_LISTENER), (TEST, TEST_LISTENER)],
        ),
        ({"deploymentGroupName": "web"}, []),
        ({"loadBalancerInfo": {"targetGroupPairInfoList": []}}, []),
    ],
)
def test_codedeploy_listeners(group: dict, expected: list) -> None:
    assert preshift.codedeploy_listeners(group) == expected


# --- production traffic that cannot be served now ------------------------------------------------------


def health(*states: str) -> list:
    return [{"Target": {"Id": f"10.0.0.{n}", "Port": 8080}, "TargetHealth": {"State": state}} for n, state in enumerate(states, 1)]


def test_production_shares_are_each_weighted_group_s_part_of_its_route() -> None:
    routes = [
        route(forward({BLUE: 80, GREEN: 20})),
        route(forward({BLUE: 1, OTHER: 3}), priority="default"),
        route(forward({BLUE: 0, GREEN: 100}), role=TEST),  # test traffic is not production's
        Route(PRODUCTION, LISTENER, 80, RULE, "7", (), exists=False),
        route(forward({BLUE: 0, GREEN: 0}), priority="8"),  # nothing goes anywhere
        route(fixed_response(), priority="9"),
    ]
    assert [(r.priority, arn, share) for r, arn, share in preshift.production_shares(routes)] == [
        ("6", BLUE, 80.0),
        ("6", GREEN, 20.0),
        ("default", BLUE, 25.0),
        ("default", OTHER, 75.0),
    ]


@pytest.mark.parametrize(
    "green_health, expected",
    [
        ([], "production listener shop:80, rule 6 sends 20 % of its requests to web-green, which has no registered target: those requests fail now (HTTP 503)"),
        (
            health("draining", "draining"),
            "production listener shop:80, rule 6 sends 20 % of its requests to web-green, which has no registered target: those requests fail now (HTTP 503)",
        ),
        (
            health("unhealthy"),
            "production listener shop:80, rule 6 sends 20 % of its requests to web-green, which has no healthy target (1 is not): the load balancer sends those requests to them anyway",
        ),
        (
            health("initial", "unhealthy", "draining"),
            "production listener shop:80, rule 6 sends 20 % of its requests to web-green, which has no healthy target (2 are not): the load balancer sends those requests to them anyway",
        ),
        (health("unhealthy", "healthy"), None),
        (health("healthy"), None),
    ],
    ids=["empty", "only-draining", "one-unhealthy", "none-healthy-yet", "one-healthy", "healthy"],
)
def test_failing_now_names_production_traffic_nothing_can_serve(green_health: list, expected: Optional[str]) -> None:
    routes = [route(forward({BLUE: 80, GREEN: 20})), route(forward({BLUE: 0, GREEN: 100}), role=TEST)]
    found = preshift.failing_now(routes, {BLUE: health("healthy"), GREEN: green_health})
    assert found == ([expected] if expected else [])


def test_failing_now_reads_only_the_groups_it_was_given_and_not_test_traffic() -> None:
    routes = [route(forward({BLUE: 100, GREEN: 0})), route(forward({BLUE: 0, GREEN: 100}), role=TEST)]
    # green is empty but production gives it nothing, and the test listener's traffic is not production's
    assert preshift.failing_now(routes, {BLUE: health("healthy"), GREEN: []}) == []
    # a group whose health was not read is not judged
    assert preshift.failing_now([route(forward({BLUE: 50, OTHER: 50}))], {BLUE: health("healthy")}) == []


def test_the_refusal_and_the_warning_say_what_fails_now() -> None:
    findings = [finding(f"{WEIGHTS}[web-green].Weight", "0 %", "20 (20 %)")]
    failing = [
        "production listener shop:80, rule 6 sends 20 % of its requests to web-green, which has no registered target: those requests fail now (HTTP 503)"
    ]
    message = preshift.drift_message(findings, "web", "before it starts", failing=failing)
    assert "expected 0 %, found 20 (20 %). Now: production listener shop:80, rule 6 sends 20 % of its requests to web-green" in message
    assert message.endswith("drops the rest.")
    warning = preshift.proceed_warning(findings, "before it starts", failing)
    assert warning.endswith("those requests fail now (HTTP 503)")
    assert ". Now:" not in preshift.drift_message(findings, "web", "before it starts")
    assert ". Now:" not in preshift.proceed_warning(findings, "before it starts")
