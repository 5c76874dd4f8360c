"""Listener plans: actions, the traffic-weights policy, conditions, rules, certificates.

The regressions of community.aws's elb_application_lb are here: it rewrites
listener weights on every re-run, so a deployment's traffic split is undone.
"""

from __future__ import annotations

import pytest

from ansible_collections.cutover.ecs.plugins.module_utils._elbv2.plan import (
    absent_rule_priorities,
    action_to_aws,
    apply_traffic_policy,
    current_action,
    current_condition,
    current_listener,
    current_rules,
    desired_action,
    desired_condition,
    desired_listener,
    desired_pairs,
    desired_rule_tags,
    desired_rules,
    effective_action,
    effective_rules,
    group_rules,
    modify_listener_params,
    plan_certificates,
    plan_listener,
    plan_rule_tags,
    predict_listener,
    rule_params,
    rule_tag_arns,
    same_traffic_targets,
    with_rule_tags,
)
from ansible_collections.cutover.ecs.plugins.module_utils._errors import InvalidInput

PREFIX = "arn:aws:elasticloadbalancing:us-east-1:123456789012"
LB = f"{PREFIX}:loadbalancer/app/shop/1"
LISTENER = f"{PREFIX}:listener/app/shop/1/2"


def tg(name: str) -> str:
    return f"{PREFIX}:targetgroup/{name}/0"


BLUE, GREEN, RED = tg("blue"), tg("green"), tg("red")


def resolve(name_or_arn: str) -> str:
    return name_or_arn if name_or_arn.startswith("arn:") else tg(name_or_arn)


# --- AWS-shaped live data -------------------------------------------------------------------


def aws_single(arn: str) -> dict:
    """A single forward as DescribeListeners reports it (both forms at once)."""
    return {
        "Type": "forward",
        "TargetGroupArn": arn,
        "Order": 1,
        "ForwardConfig": {"TargetGroups": [{"TargetGroupArn": arn, "Weight": 1}], "TargetGroupStickinessConfig": {"Enabled": False}},
    }


def aws_weighted(weights: dict, stickiness: dict | None = None) -> dict:
    return {
        "Type": "forward",
        "Order": 1,
        "ForwardConfig": {
            "TargetGroups": [{"TargetGroupArn": arn, "Weight": weight} for arn, weight in weights.items()],
            "TargetGroupStickinessConfig": stickiness or {"Enabled": False},
        },
    }


def aws_rule(priority: int, conditions: list, action: dict, arn: str | None = None) -> dict:
    return {"RuleArn": arn or f"{LISTENER}/rule-{priority}", "Priority": str(priority), "Conditions": conditions, "Actions": [action], "IsDefault": False}


AWS_DEFAULT_RULE = {"RuleArn": f"{LISTENER}/default", "Priority": "default", "Conditions": [], "Actions": [aws_single(BLUE)], "IsDefault": True}


def live(default_action: dict, rules: list = (), port: int = 80, protocol: str = "HTTP", tags: list = ()) -> dict:
    listener = {"ListenerArn": LISTENER, "LoadBalancerArn": LB, "Port": port, "Protocol": protocol, "DefaultActions": [default_action]}
    return current_listener(listener, [], [*rules, AWS_DEFAULT_RULE], list(tags))


# --- module-shaped options --------------------------------------------------------------------


def forward(*names: str, **stickiness) -> dict:
    return {"forward": {"target_group": names[0], "stickiness": stickiness or None}}


def weighted(weights: dict, **stickiness) -> dict:
    return {"forward": {"target_groups": [{"target_group": name, "weight": weight} for name, weight in weights.items()], "stickiness": stickiness or None}}


def options(default_action=None, rules=None, **extra) -> dict:
    return {"port": 80, "protocol": "HTTP", "default_action": default_action, "rules": rules, "tags": None, **extra}


def plan_for(opts: dict, current: dict, traffic_weights: str = "managed", pairs=None, purge_rules: bool = True):
    desired = desired_listener(opts, LB, resolve)
    desired = apply_traffic_policy(desired, current, traffic_weights, desired_pairs(pairs, resolve))
    return desired, plan_listener(desired, current, purge_rules=purge_rules)


PAIR = [["blue", "green"]]

# --- the default action under traffic_weights ---------------------------------------------------


@pytest.mark.parametrize(
    "case, desired, live_action, mode, pairs, expected",
    [
        # The incumbent's bug: weights a deployment set are rewritten on every re-run.
        ("weights-only drift, managed", weighted({"blue": 100, "green": 0}), aws_weighted({BLUE: 0, GREEN: 100}), "managed", None, ["DefaultActions"]),
        ("weights-only drift, ignore", weighted({"blue": 100, "green": 0}), aws_weighted({BLUE: 0, GREEN: 100}), "ignore", None, []),
        ("weights-only drift, ignore, with pairs", weighted({"blue": 100, "green": 0}), aws_weighted({BLUE: 10, GREEN: 90}), "ignore", PAIR, []),
        ("another target group, ignore", weighted({"blue": 100, "red": 0}), aws_weighted({BLUE: 0, GREEN: 100}), "ignore", None, ["DefaultActions"]),
        (
            "a target group removed, ignore",
            weighted({"blue": 100, "green": 0}),
            aws_weighted({BLUE: 100, GREEN: 0, RED: 0}),
            "ignore",
            None,
            ["DefaultActions"],
        ),
        # CodeDeploy swapped blue and green.
        ("swapped pair, ignore", forward("blue"), aws_single(GREEN), "ignore", PAIR, []),
        ("swapped pair, ignore, pair by ARN", forward("blue"), aws_single(GREEN), "ignore", [[BLUE, GREEN]], []),
        ("swapped pair, ignore, without pairs", forward("blue"), aws_single(GREEN), "ignore", None, ["DefaultActions"]),
        ("swapped pair, managed", forward("blue"), aws_single(GREEN), "managed", PAIR, ["DefaultActions"]),
        ("canary in progress, ignore", forward("blue"), aws_weighted({BLUE: 90, GREEN: 10}), "ignore", PAIR, []),
        ("canary in progress, managed", forward("blue"), aws_weighted({BLUE: 90, GREEN: 10}), "managed", PAIR, ["DefaultActions"]),
        ("forward outside the pair, ignore", forward("blue"), aws_weighted({BLUE: 50, RED: 50}), "ignore", PAIR, ["DefaultActions"]),
        ("other target group entirely, ignore", forward("blue"), aws_single(RED), "ignore", PAIR, ["DefaultActions"]),
        # Non-weight drift of the same action is still fixed under ignore.
        (
            "stickiness drift, ignore",
            weighted({"blue": 100, "green": 0}, enabled=True, duration_seconds=300),
            aws_weighted({BLUE: 0, GREEN: 100}),
            "ignore",
            None,
            ["DefaultActions"],
        ),
        (
            "fixed-response replaced a forward, ignore",
            forward("blue"),
            {"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "503"}},
            "ignore",
            PAIR,
            ["DefaultActions"],
        ),
        ("forward replaced by fixed-response, ignore", {"fixed_response": {"status_code": "503"}}, aws_single(BLUE), "ignore", PAIR, ["DefaultActions"]),
        # Shapes AWS treats as the same.
        ("single forward, both AWS forms", forward("blue"), {"Type": "forward", "TargetGroupArn": BLUE}, "managed", None, []),
        ("single forward vs ForwardConfig with weight", forward("blue"), aws_weighted({BLUE: 100}), "managed", None, []),
        ("weighted, order differs", weighted({"green": 0, "blue": 100}), aws_weighted({BLUE: 100, GREEN: 0}), "managed", None, []),
        ("weighted, same", weighted({"blue": 100, "green": 0}), aws_weighted({BLUE: 100, GREEN: 0}), "managed", None, []),
        (
            "stickiness disabled, duration ignored",
            weighted({"blue": 1, "green": 1}),
            aws_weighted({BLUE: 1, GREEN: 1}, {"Enabled": False, "DurationSeconds": 3600}),
            "managed",
            None,
            [],
        ),
    ],
)
def test_default_action_under_traffic_weights(case, desired, live_action, mode, pairs, expected):
    _desired, listener_plan = plan_for(options(desired), live(live_action), mode, pairs)
    assert listener_plan.fields == expected, case


def test_under_ignore_a_fix_keeps_the_live_weights():
    """Stickiness must change, but the deployment's 0/100 split is sent back unchanged."""
    current = live(aws_weighted({BLUE: 0, GREEN: 100}))
    desired, listener_plan = plan_for(options(weighted({"blue": 100, "green": 0}, enabled=True, duration_seconds=300)), current, "ignore")
    params = modify_listener_params(desired, current, listener_plan.fields)
    assert params == {
        "DefaultActions": [
            {
                "Type": "forward",
                "ForwardConfig": {
                    "TargetGroups": [{"TargetGroupArn": BLUE, "Weight": 0}, {"TargetGroupArn": GREEN, "Weight": 100}],
                    "TargetGroupStickinessConfig": {"Enabled": True, "DurationSeconds": 300},
                },
            }
        ]
    }


def test_under_ignore_other_listener_drift_is_fixed_without_touching_weights():
    current = live(aws_weighted({BLUE: 0, GREEN: 100}), port=80)
    desired, listener_plan = plan_for({**options(weighted({"blue": 100, "green": 0})), "port": 8080, "protocol": "HTTP"}, current, "ignore")
    assert listener_plan.fields == ["Port"]
    assert modify_listener_params(desired, current, listener_plan.fields) == {"Port": 8080}


def test_under_ignore_a_changed_target_group_set_uses_the_desired_weights():
    current = live(aws_weighted({BLUE: 0, GREEN: 100}))
    desired, listener_plan = plan_for(options(weighted({"blue": 100, "red": 0})), current, "ignore")
    groups = modify_listener_params(desired, current, listener_plan.fields)["DefaultActions"][0]["ForwardConfig"]["TargetGroups"]
    assert groups == [{"TargetGroupArn": BLUE, "Weight": 100}, {"TargetGroupArn": RED, "Weight": 0}]


@pytest.mark.parametrize(
    "desired, current, pairs, same",
    [
        ({BLUE}, {BLUE}, [], True),
        ({BLUE, GREEN}, {GREEN, BLUE}, [], True),
        ({BLUE}, {GREEN}, [], False),
        ({BLUE}, {GREEN}, [frozenset({BLUE, GREEN})], True),
        ({BLUE}, {BLUE, GREEN}, [frozenset({BLUE, GREEN})], True),
        ({BLUE}, {BLUE, RED}, [frozenset({BLUE, GREEN})], False),
        ({BLUE, RED}, {GREEN, RED}, [frozenset({BLUE, GREEN})], True),
    ],
)
def test_same_traffic_targets(desired, current, pairs, same):
    def action(arns):
        return {"Type": "forward", "ForwardConfig": {"TargetGroups": [{"TargetGroupArn": arn} for arn in arns]}}

    assert same_traffic_targets(action(desired), action(current), pairs) is same


def test_effective_action_without_a_live_action_is_the_desired_one():
    wanted = desired_action(forward("blue"), resolve)
    assert effective_action(wanted, None, "ignore") == wanted


def test_unknown_traffic_mode_is_rejected():
    with pytest.raises(InvalidInput):
        apply_traffic_policy({"Port": 80}, live(aws_single(BLUE)), "sometimes")


# --- actions ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "spec, aws",
    [
        (forward("blue"), {"Type": "forward", "TargetGroupArn": BLUE}),
        (
            forward("blue", enabled=True, duration_seconds=60),
            {
                "Type": "forward",
                "ForwardConfig": {"TargetGroups": [{"TargetGroupArn": BLUE}], "TargetGroupStickinessConfig": {"Enabled": True, "DurationSeconds": 60}},
            },
        ),
        (
            weighted({"green": 10, "blue": 90}),
            {
                "Type": "forward",
                "ForwardConfig": {
                    "TargetGroups": [{"TargetGroupArn": BLUE, "Weight": 90}, {"TargetGroupArn": GREEN, "Weight": 10}],
                    "TargetGroupStickinessConfig": {"Enabled": False},
                },
            },
        ),
        (
            {"fixed_response": {"status_code": 404, "content_type": "text/plain", "message_body": None}},
            {"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "404", "ContentType": "text/plain"}},
        ),
        (
            {"redirect": {"protocol": "HTTPS", "port": 443, "status_code": "HTTP_301"}},
            {
                "Type": "redirect",
                "RedirectConfig": {"Protocol": "HTTPS", "Port": "443", "Host": "#{host}", "Path": "/#{path}", "Query": "#{query}", "StatusCode": "HTTP_301"},
            },
        ),
    ],
)
def test_action_to_aws(spec, aws):
    assert action_to_aws(desired_action(spec, resolve)) == aws


def test_redirect_defaults_match_what_aws_reports():
    wanted = desired_action({"redirect": {"protocol": "HTTPS", "port": "443", "status_code": "HTTP_302"}}, resolve)
    reported = {
        "Type": "redirect",
        "Order": 1,
        "RedirectConfig": {"Protocol": "HTTPS", "Port": "443", "Host": "#{host}", "Path": "/#{path}", "Query": "#{query}", "StatusCode": "HTTP_302"},
    }
    assert current_action(reported) == wanted


def test_unknown_live_action_types_are_kept_so_they_show_as_drift():
    oidc = {"Type": "authenticate-oidc", "Order": 1, "AuthenticateOidcConfig": {"Issuer": "x"}}
    assert current_action(oidc) == {"Type": "authenticate-oidc", "AuthenticateOidcConfig": {"Issuer": "x"}}


@pytest.mark.parametrize(
    "spec, message",
    [
        ({"forward": {"target_group": "blue", "target_groups": [{"target_group": "green", "weight": 1}]}}, "exactly one of them"),
        ({"forward": {}}, "exactly one of them"),
        (weighted({"blue": 1000}), "0 to 999"),
        ({"forward": {"target_groups": [{"target_group": "blue", "weight": 1}, {"target_group": BLUE, "weight": 2}]}}, "same target group twice"),
        (weighted({f"tg{i}": 1 for i in range(6)}), "1 to 5"),
        (forward("blue", enabled=True), "duration_seconds"),
        ({}, "exactly one of forward"),
        ({"forward": {"target_group": "blue"}, "redirect": {"status_code": "HTTP_301"}}, "exactly one of forward"),
        ({"redirect": {"query": "a=1", "status_code": "HTTP_301"}}, "redirects to itself"),
    ],
)
def test_bad_actions_are_rejected(spec, message):
    with pytest.raises(InvalidInput) as error:
        desired_action(spec, resolve)
    assert message in str(error.value)


def test_pairs_need_two_different_target_groups():
    assert desired_pairs([["blue", "green"]], resolve) == [frozenset({BLUE, GREEN})]
    for bad in ([["blue"]], [["blue", "blue"]], [["blue", "green", "red"]]):
        with pytest.raises(InvalidInput):
            desired_pairs(bad, resolve)


# --- conditions ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "spec, aws",
    [
        ({"field": "path-pattern", "values": ["/b", "/a"]}, {"Field": "path-pattern", "Values": ["/a", "/b"], "PathPatternConfig": {"Values": ["/a", "/b"]}}),
        ({"field": "path-pattern", "values": ["/a"]}, {"Field": "path-pattern", "Values": ["/a"]}),  # values at the top level only
        (
            {"field": "host-header", "values": ["b.example.com", "a.example.com"]},
            {"Field": "host-header", "HostHeaderConfig": {"Values": ["a.example.com", "b.example.com"]}},
        ),
        (
            {"field": "http-header", "http_header_name": "X-Canary", "values": ["yes", "true"]},
            {"Field": "http-header", "HttpHeaderConfig": {"HttpHeaderName": "X-Canary", "Values": ["true", "yes"]}},
        ),
        (
            {"field": "query-string", "query_strings": [{"key": "v", "value": "2"}, {"key": None, "value": "beta"}]},
            {"Field": "query-string", "QueryStringConfig": {"Values": [{"Value": "beta"}, {"Key": "v", "Value": "2"}]}},
        ),
        (
            {"field": "source-ip", "values": ["10.0.0.0/8", "192.168.0.0/16"]},
            {"Field": "source-ip", "SourceIpConfig": {"Values": ["192.168.0.0/16", "10.0.0.0/8"]}},
        ),
        ({"field": "http-request-method", "values": ["POST", "GET"]}, {"Field": "http-request-method", "HttpRequestMethodConfig": {"Values": ["GET", "POST"]}}),
    ],
)
def test_conditions_compare_as_aws_does(spec, aws):
    assert desired_condition(spec) == current_condition(aws)


@pytest.mark.parametrize(
    "spec, message",
    [
        ({"field": "path-pattern", "values": []}, "needs values"),
        ({"field": "http-header", "values": ["x"]}, "http_header_name"),
        ({"field": "query-string", "query_strings": []}, "query_strings"),
        ({"field": "cookie", "values": ["x"]}, "Unknown rule condition field"),
    ],
)
def test_bad_conditions_are_rejected(spec, message):
    with pytest.raises(InvalidInput) as error:
        desired_condition(spec)
    assert message in str(error.value)


# --- rules ---------------------------------------------------------------------------------------------

API_RULE = {"priority": 10, "conditions": [{"field": "path-pattern", "values": ["/api/*", "/v2/*"]}], "action": forward("blue")}
LIVE_API_RULE = aws_rule(
    10,
    [{"Field": "path-pattern", "Values": ["/api/*", "/v2/*"], "PathPatternConfig": {"Values": ["/api/*", "/v2/*"]}}],
    aws_single(BLUE),
)
CANARY_RULE = {
    "priority": 20,
    "conditions": [{"field": "http-header", "http_header_name": "X-Canary", "values": ["1"]}, {"field": "path-pattern", "values": ["/"]}],
    "action": weighted({"blue": 100, "green": 0}),
}
LIVE_CANARY_RULE = aws_rule(
    20,
    [
        {"Field": "path-pattern", "PathPatternConfig": {"Values": ["/"]}},
        {"Field": "http-header", "HttpHeaderConfig": {"HttpHeaderName": "X-Canary", "Values": ["1"]}},
    ],
    aws_weighted({BLUE: 0, GREEN: 100}),
)


def with_rule(rule: dict, **changes) -> dict:
    return {**rule, **changes}


def rule_plan(rules, live_rules, mode="managed", pairs=None, purge=True):
    _desired, listener_plan = plan_for(options(forward("blue"), rules), live(aws_single(BLUE), live_rules), mode, pairs, purge)
    assert listener_plan.fields == []
    return (
        [rule["Priority"] for rule in listener_plan.rules_to_add],
        [(item.rule["Priority"], item.fields) for item in listener_plan.rules_to_modify],
        [rule["Priority"] for rule in listener_plan.rules_to_delete],
    )


@pytest.mark.parametrize(
    "case, rules, live_rules, mode, pairs, purge, expected",
    [
        ("same rules", [API_RULE], [LIVE_API_RULE], "managed", None, True, ([], [], [])),
        (
            "condition values reordered",
            [with_rule(API_RULE, conditions=[{"field": "path-pattern", "values": ["/v2/*", "/api/*"]}])],
            [LIVE_API_RULE],
            "managed",
            None,
            True,
            ([], [], []),
        ),
        ("conditions reordered", [CANARY_RULE], [LIVE_CANARY_RULE], "ignore", None, True, ([], [], [])),
        (
            "a changed condition value",
            [with_rule(API_RULE, conditions=[{"field": "path-pattern", "values": ["/api/*"]}])],
            [LIVE_API_RULE],
            "managed",
            None,
            True,
            ([], [(10, ["Conditions"])], []),
        ),
        (
            "a changed condition, under ignore",
            [with_rule(API_RULE, conditions=[{"field": "host-header", "values": ["api.example.com"]}])],
            [LIVE_API_RULE],
            "ignore",
            PAIR,
            True,
            ([], [(10, ["Conditions"])], []),
        ),
        ("a changed action", [with_rule(API_RULE, action=forward("red"))], [LIVE_API_RULE], "managed", None, True, ([], [(10, ["Actions"])], [])),
        # Test-listener and production rules follow traffic_weights too.
        ("rule weights drift, managed", [CANARY_RULE], [LIVE_CANARY_RULE], "managed", None, True, ([], [(20, ["Actions"])], [])),
        ("rule weights drift, ignore", [CANARY_RULE], [LIVE_CANARY_RULE], "ignore", None, True, ([], [], [])),
        ("rule swapped pair, ignore", [API_RULE], [aws_rule(10, LIVE_API_RULE["Conditions"], aws_single(GREEN))], "ignore", PAIR, True, ([], [], [])),
        (
            "rule swapped pair, managed",
            [API_RULE],
            [aws_rule(10, LIVE_API_RULE["Conditions"], aws_single(GREEN))],
            "managed",
            PAIR,
            True,
            ([], [(10, ["Actions"])], []),
        ),
        ("a new rule", [API_RULE, CANARY_RULE], [LIVE_API_RULE], "managed", None, True, ([20], [], [])),
        ("an unlisted rule is purged", [API_RULE], [LIVE_API_RULE, LIVE_CANARY_RULE], "managed", None, True, ([], [], [20])),
        ("an unlisted rule is kept without purge", [API_RULE], [LIVE_API_RULE, LIVE_CANARY_RULE], "managed", None, False, ([], [], [])),
        ("a rule moved to another priority", [with_rule(API_RULE, priority=5)], [LIVE_API_RULE], "managed", None, True, ([5], [], [10])),
        ("no rules purges all", [], [LIVE_API_RULE, LIVE_CANARY_RULE], "managed", None, True, ([], [], [10, 20])),
        ("rules not given are not managed", None, [LIVE_API_RULE, LIVE_CANARY_RULE], "managed", None, True, ([], [], [])),
    ],
)
def test_rules(case, rules, live_rules, mode, pairs, purge, expected):
    assert rule_plan(rules, live_rules, mode, pairs, purge) == expected, case


def test_group_rules_keeps_the_rule_arn_of_a_modified_rule():
    desired = desired_listener(options(forward("blue"), [with_rule(API_RULE, action=forward("red"))]), LB, resolve)
    _add, modify, _delete = group_rules(desired["Rules"], current_rules([LIVE_API_RULE]))
    assert modify[0].rule_arn == LIVE_API_RULE["RuleArn"]


def test_the_default_rule_is_not_a_rule():
    assert current_rules([AWS_DEFAULT_RULE]) == []


def test_duplicate_priorities_are_rejected():
    with pytest.raises(InvalidInput) as error:
        desired_listener(options(forward("blue"), [API_RULE, with_rule(API_RULE, action=forward("red"))]), LB, resolve)
    assert "priority 10" in str(error.value)


@pytest.mark.parametrize("rule", [with_rule(API_RULE, priority=0), with_rule(API_RULE, priority=50001), with_rule(API_RULE, conditions=[])])
def test_bad_rules_are_rejected(rule):
    with pytest.raises(InvalidInput):
        desired_listener(options(forward("blue"), [rule]), LB, resolve)


def test_rule_params():
    desired = desired_listener(options(forward("blue"), [API_RULE]), LB, resolve)
    assert rule_params(desired["Rules"][0]) == {
        "Priority": 10,
        "Conditions": [{"Field": "path-pattern", "PathPatternConfig": {"Values": ["/api/*", "/v2/*"]}}],
        "Actions": [{"Type": "forward", "TargetGroupArn": BLUE}],
    }


# --- rules[].state=absent: a service on a shared listener deletes only its own rule ------------------------

OTHER_RULE = aws_rule(30, [{"Field": "host-header", "HostHeaderConfig": {"Values": ["other.example.com"]}}], aws_single(RED))
SHARED = [LIVE_API_RULE, LIVE_CANARY_RULE, OTHER_RULE]


def absent(priority: int) -> dict:
    """An absent rule as the module passes it: only the priority, the other suboptions None."""
    return {"priority": priority, "state": "absent", "conditions": None, "action": None}


@pytest.mark.parametrize(
    "case, rules, live_rules, purge, expected",
    [
        ("absent at a live priority, without purge", [absent(20)], SHARED, False, ([], [], [20])),
        ("absent at a priority not live, without purge", [absent(25)], SHARED, False, ([], [], [])),
        ("absent on a listener without rules", [absent(20)], [], False, ([], [], [])),
        ("absent next to a kept rule, without purge", [API_RULE, absent(20)], SHARED, False, ([], [], [20])),
        ("absent next to a new rule, without purge", [with_rule(API_RULE, priority=5), absent(20)], SHARED, False, ([5], [], [20])),
        ("absent and a changed rule, without purge", [with_rule(API_RULE, action=forward("red")), absent(20)], SHARED, False, ([], [(10, ["Actions"])], [20])),
        # An absent priority is not listed, so purge deletes it (once) with every other unlisted rule.
        ("absent with purge", [API_RULE, absent(20)], SHARED, True, ([], [], [20, 30])),
        ("only absent rules with purge purges all", [absent(20)], SHARED, True, ([], [], [10, 20, 30])),
        ("absent keeps its conditions and action unused", [with_rule(API_RULE, priority=20, state="absent")], SHARED, False, ([], [], [20])),
        ("present is the default state", [with_rule(API_RULE, state=None)], SHARED, False, ([], [], [])),
    ],
)
def test_absent_rules(case, rules, live_rules, purge, expected):
    assert rule_plan(rules, live_rules, purge=purge) == expected, case


def test_an_absent_rule_deletes_exactly_that_rule_arn_and_nothing_else():
    current = live(aws_single(BLUE), SHARED)
    desired, listener_plan = plan_for(options(None, [absent(20)]), current, purge_rules=False)
    assert [rule["RuleArn"] for rule in listener_plan.rules_to_delete] == [LIVE_CANARY_RULE["RuleArn"]]
    assert (listener_plan.fields, listener_plan.rules_to_add, listener_plan.rules_to_modify) == ([], [], [])
    # Check mode and diff report it: a change named "Rules", and a prediction without the rule.
    assert listener_plan.changed and listener_plan.summary == ["Rules"]
    after = predict_listener(desired, current, listener_plan)
    assert [rule["RuleArn"] for rule in after["Rules"]] == [LIVE_API_RULE["RuleArn"], OTHER_RULE["RuleArn"]]
    assert after["DefaultActions"] == current["DefaultActions"]


def test_an_absent_rule_that_is_gone_is_not_a_change():
    current = live(aws_single(BLUE), [LIVE_API_RULE, OTHER_RULE])
    desired, listener_plan = plan_for(options(None, [absent(20)]), current, purge_rules=False)
    assert not listener_plan.changed and listener_plan.summary == []
    assert predict_listener(desired, current, listener_plan)["Rules"] == current["Rules"]


def test_absent_rules_are_never_created():
    desired, listener_plan = plan_for(options(forward("blue"), [API_RULE, absent(20)]), None)
    assert [rule["Priority"] for rule in listener_plan.rules_to_add] == [10]
    assert [rule["Priority"] for rule in predict_listener(desired, None, listener_plan)["Rules"]] == [10]


def test_absent_rules_are_kept_apart_from_the_desired_rules():
    specs = [absent(30), API_RULE, absent(20)]
    assert [rule["Priority"] for rule in desired_rules(specs, resolve)] == [10]
    assert absent_rule_priorities(specs) == [20, 30]
    assert absent_rule_priorities(None) == [] and absent_rule_priorities([API_RULE]) == []
    desired = desired_listener(options(forward("blue"), specs), LB, resolve)
    assert [rule["Priority"] for rule in desired["Rules"]] == [10]
    assert desired["AbsentRules"] == [20, 30]
    assert "AbsentRules" not in desired_listener(options(forward("blue"), [API_RULE]), LB, resolve)


@pytest.mark.parametrize("mode, pairs", [("ignore", PAIR), ("managed", None)])
def test_traffic_weights_ignore_absent_rules(mode, pairs):
    """A live weighted rule at an absent priority is deleted, not kept for its weights."""
    current = live(aws_single(BLUE), [LIVE_API_RULE, LIVE_CANARY_RULE])
    desired, listener_plan = plan_for(options(None, [API_RULE, absent(20)]), current, mode, pairs, purge_rules=False)
    assert [rule["Priority"] for rule in desired["Rules"]] == [10]
    assert [rule["Priority"] for rule in effective_rules(desired["Rules"], current["Rules"], mode, desired_pairs(pairs, resolve))] == [10]
    assert ([item.rule["Priority"] for item in listener_plan.rules_to_modify], [rule["Priority"] for rule in listener_plan.rules_to_delete]) == ([], [20])


@pytest.mark.parametrize(
    "rules, message",
    [
        ([API_RULE, absent(10)], "priority 10 is listed both with state=present and state=absent"),
        ([absent(10), with_rule(API_RULE, state="present")], "priority 10 is listed both with state=present and state=absent"),
        ([absent(20), absent(20)], "share priority 20"),
        ([with_rule(API_RULE, action=None)], "priority 10 needs an action"),
        ([{"priority": 10}], "priority 10 needs at least one condition"),
        ([absent(0)], "out of range"),
        ([absent(50001)], "out of range"),
        ([with_rule(API_RULE, state="gone")], "not 'gone'"),
    ],
)
def test_bad_rule_states_are_rejected(rules, message):
    with pytest.raises(InvalidInput) as error:
        desired_listener(options(forward("blue"), rules), LB, resolve)
    assert message in str(error.value)


def test_absent_needs_only_a_priority():
    desired = desired_listener(options(forward("blue"), [{"priority": 20, "state": "absent"}]), LB, resolve)
    assert (desired["Rules"], desired["AbsentRules"]) == ([], [20])


def test_group_rules_refuses_a_priority_both_present_and_absent():
    desired = desired_listener(options(forward("blue"), [API_RULE]), LB, resolve)
    with pytest.raises(InvalidInput):
        group_rules(desired["Rules"], current_rules([LIVE_API_RULE]), purge=False, absent=[10])


def test_group_rules_without_desired_rules_ignores_absent():
    assert group_rules(None, current_rules([LIVE_API_RULE]), purge=False, absent=[10]) == ([], [], [])


# --- listener-level fields, creation, prediction --------------------------------------------------------

CERT_A, CERT_B, CERT_C = "arn:aws:acm:us-east-1:1:certificate/a", "arn:aws:acm:us-east-1:1:certificate/b", "arn:aws:acm:us-east-1:1:certificate/c"


def https_live(default: str, listed: list) -> dict:
    listener = {
        "ListenerArn": LISTENER,
        "LoadBalancerArn": LB,
        "Port": 443,
        "Protocol": "HTTPS",
        "SslPolicy": "ELBSecurityPolicy-2016-08",
        "Certificates": [{"CertificateArn": default}],
        "DefaultActions": [aws_single(BLUE)],
    }
    return current_listener(listener, listed, [AWS_DEFAULT_RULE], [])


@pytest.mark.parametrize(
    "certificates, policy, expected_fields, expected_certificates",
    [
        ([CERT_A, CERT_B], None, [], (None, [], [])),
        ([CERT_A, CERT_B, CERT_A], None, [], (None, [], [])),
        ([CERT_A], None, ["Certificates"], (None, [], [CERT_B])),
        ([CERT_C, CERT_B], None, ["Certificates"], (CERT_C, [], [])),
        ([CERT_A, CERT_C, CERT_B], None, ["Certificates"], (None, [CERT_C], [])),
        ([CERT_A, CERT_B], "ELBSecurityPolicy-TLS13-1-2-2021-06", ["SslPolicy"], (None, [], [])),
    ],
)
def test_certificates_and_policy(certificates, policy, expected_fields, expected_certificates):
    # DescribeListenerCertificates lists the default certificate twice (IsDefault true and false).
    current = https_live(
        CERT_A, [{"CertificateArn": CERT_A, "IsDefault": True}, {"CertificateArn": CERT_A, "IsDefault": False}, {"CertificateArn": CERT_B, "IsDefault": False}]
    )
    opts = {**options(forward("blue")), "port": 443, "protocol": "HTTPS", "certificates": certificates, "ssl_policy": policy}
    desired, listener_plan = plan_for(opts, current)
    assert listener_plan.fields == expected_fields
    assert plan_certificates(desired.get("Certificates"), current["Certificates"]) == expected_certificates
    # Only a new default certificate goes through ModifyListener; SNI certificates have their own calls.
    new_default = expected_certificates[0]
    assert modify_listener_params(desired, current, listener_plan.fields).get("Certificates") == ([{"CertificateArn": new_default}] if new_default else None)


def test_becoming_https_sends_policy_and_certificate_in_the_same_call():
    opts = {**options(forward("blue")), "protocol": "HTTPS", "certificates": [CERT_A], "ssl_policy": "ELBSecurityPolicy-TLS13-1-2-2021-06"}
    current = live(aws_single(BLUE))
    desired, listener_plan = plan_for(opts, current)
    assert listener_plan.fields == ["Certificates", "Protocol", "SslPolicy"]
    assert modify_listener_params(desired, current, listener_plan.fields) == {
        "Protocol": "HTTPS",
        "SslPolicy": "ELBSecurityPolicy-TLS13-1-2-2021-06",
        "Certificates": [{"CertificateArn": CERT_A}],
    }


def test_protocol_drift_is_fixed_under_ignore():
    _desired, listener_plan = plan_for(options(forward("blue"), protocol="HTTP"), live(aws_single(GREEN), protocol="TCP"), "ignore", PAIR)
    assert listener_plan.fields == ["Protocol"]


@pytest.mark.parametrize(
    "opts, message",
    [
        ({**options(forward("blue")), "protocol": None}, "needs protocol and default_action"),
        (options(None), "needs protocol and default_action"),
        ({**options(forward("blue")), "protocol": "HTTPS"}, "needs certificates"),
    ],
)
def test_creating_needs_protocol_action_and_certificates(opts, message):
    with pytest.raises(InvalidInput) as error:
        plan_for(opts, None)
    assert message in str(error.value)


def test_a_new_listener_plans_every_field_and_rule():
    desired, listener_plan = plan_for({**options(forward("blue"), [API_RULE, CANARY_RULE]), "tags": {"a": "b"}}, None, "ignore", PAIR)
    assert listener_plan.fields == ["DefaultActions", "Port", "Protocol"]
    assert [rule["Priority"] for rule in listener_plan.rules_to_add] == [10, 20]
    assert listener_plan.tags_to_set == {"a": "b"}
    after = predict_listener(desired, None, listener_plan)
    assert after["Port"] == 80 and after["LoadBalancerArn"] == LB
    assert [rule["Priority"] for rule in after["Rules"]] == [10, 20]
    assert after["Tags"] == {"a": "b"}


def test_predict_listener_applies_rule_changes():
    current = live(aws_single(BLUE), [LIVE_API_RULE, LIVE_CANARY_RULE])
    rules = [with_rule(API_RULE, action=forward("red")), with_rule(CANARY_RULE, priority=30)]
    desired, listener_plan = plan_for(options(forward("blue"), rules), current)
    after = predict_listener(desired, current, listener_plan)
    assert [rule["Priority"] for rule in after["Rules"]] == [10, 30]
    assert after["Rules"][0]["RuleArn"] == LIVE_API_RULE["RuleArn"]
    assert after["Rules"][0]["Actions"] == [desired_action(forward("red"), resolve)]


def test_nothing_to_do_is_not_a_change():
    _desired, listener_plan = plan_for(options(forward("blue"), [API_RULE]), live(aws_single(BLUE), [LIVE_API_RULE]))
    assert not listener_plan.changed
    assert listener_plan.summary == []


def test_tags_are_planned():
    current = live(aws_single(BLUE), tags=[{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}])
    _desired, listener_plan = plan_for({**options(forward("blue")), "tags": {"a": "2"}}, current)
    assert (listener_plan.tags_to_set, listener_plan.tags_to_remove, listener_plan.summary) == ({"a": "2"}, ["b"], ["Tags"])


# --- rules[].tags: managed per rule when given, with the listener's purge_tags ------------------------------------------

KEPT_LIVE = {"aws:cloudformation:stack-name": "infra", "cutover.ecs:owner": "rollback"}


def tagged_live(tags: dict, rules=(LIVE_API_RULE, LIVE_CANARY_RULE)) -> dict:
    """The live listener with the tags of rule 10 read (as ensure reads them), rule 20's not read."""
    current = live(aws_single(BLUE), list(rules))
    return with_rule_tags(current, {LIVE_API_RULE["RuleArn"]: [{"Key": key, "Value": value} for key, value in tags.items()]})


def tag_plan(tags, live_tags: dict, purge_tags: bool = True):
    current = tagged_live(live_tags)
    # Rule 20 is another service's: not listed, not purged.
    desired = desired_listener(options(forward("blue"), [with_rule(API_RULE, tags=tags)]), LB, resolve)
    return desired, current, plan_listener(desired, current, purge_rules=False, purge_tags=purge_tags)


@pytest.mark.parametrize(
    "case, tags, live_tags, purge, expected",
    [
        ("same tags", {"a": "1"}, {"a": "1"}, True, None),
        ("a number equals its text", {"n": 3, "on": True}, {"n": "3", "on": "True"}, True, None),
        ("a changed value", {"a": "2"}, {"a": "1"}, True, ({"a": "2"}, [])),
        ("a new key", {"a": "1", "b": 2}, {"a": "1"}, True, ({"b": "2"}, [])),
        ("an extra live key is purged", {"a": "1"}, {"a": "1", "old": "x"}, True, ({}, ["old"])),
        ("an extra live key is kept without purge", {"a": "1"}, {"a": "1", "old": "x"}, False, None),
        ("aws: and cutover.ecs: keys are never purged", {"a": "1"}, {"a": "1", **KEPT_LIVE}, True, None),
        ("empty tags purge all but the kept keys", {}, {"a": "1", **KEPT_LIVE}, True, ({}, ["a"])),
        ("empty tags without purge change nothing", {}, {"a": "1"}, False, None),
        ("set and remove at once", {"a": "2"}, {"a": "1", "b": "1", **KEPT_LIVE}, True, ({"a": "2"}, ["b"])),
    ],
)
def test_rule_tags(case, tags, live_tags, purge, expected):
    _desired, _current, listener_plan = tag_plan(tags, live_tags, purge)
    changes = [(item.rule_arn, item.priority, item.tags_to_set, item.tags_to_remove) for item in listener_plan.rule_tags]
    assert changes == ([] if expected is None else [(LIVE_API_RULE["RuleArn"], 10, *expected)]), case
    # Tags never make a rule "modified" (ModifyRule): they have their own calls.
    assert listener_plan.rules_to_modify == [] and listener_plan.fields == []
    assert listener_plan.changed is (expected is not None)
    assert listener_plan.summary == ([] if expected is None else ["RuleTags"])


def test_plan_rule_tags_needs_a_live_rule_and_desired_tags():
    current = tagged_live({"a": "1"})["Rules"]
    tagged = desired_listener(options(forward("blue"), [with_rule(API_RULE, tags={"a": "2"})]), LB, resolve)["Rules"]
    assert [item.tags_to_set for item in plan_rule_tags(tagged, current)] == [{"a": "2"}]
    assert plan_rule_tags(None, current) == [] and plan_rule_tags(tagged, None) == [] and plan_rule_tags(tagged, []) == []


def test_rule_tags_not_given_are_not_managed():
    current = tagged_live({"a": "1", "old": "x"})
    desired = desired_listener(options(forward("blue"), [API_RULE]), LB, resolve)
    assert "Tags" not in desired["Rules"][0]
    assert rule_tag_arns(desired["Rules"], current["Rules"]) == []
    listener_plan = plan_listener(desired, current, purge_rules=False)
    assert listener_plan.rule_tags == [] and not listener_plan.changed
    assert predict_listener(desired, current, listener_plan)["Rules"] == current["Rules"]


def test_desired_rule_tags_are_text():
    assert desired_rule_tags(None) is None
    assert desired_rule_tags({}) == {}
    assert desired_rule_tags({"n": 3, 7: "x", "on": True}) == {"n": "3", "7": "x", "on": "True"}
    desired = desired_listener(options(forward("blue"), [with_rule(API_RULE, tags={"n": 3})]), LB, resolve)
    assert desired["Rules"][0]["Tags"] == {"n": "3"}


def test_only_tagged_rules_that_exist_have_their_tags_read():
    current = live(aws_single(BLUE), [LIVE_API_RULE, LIVE_CANARY_RULE])
    rules = [with_rule(API_RULE, tags={"a": "1"}), CANARY_RULE, with_rule(API_RULE, priority=40, tags={"a": "1"})]
    desired = desired_listener(options(forward("blue"), rules), LB, resolve)
    assert rule_tag_arns(desired["Rules"], current["Rules"]) == [LIVE_API_RULE["RuleArn"]]
    assert rule_tag_arns(None, current["Rules"]) == [] and rule_tag_arns(desired["Rules"], None) == []


def test_absent_rules_ignore_their_tags():
    current = live(aws_single(BLUE), [LIVE_API_RULE, LIVE_CANARY_RULE])
    desired, listener_plan = plan_for(options(None, [{**absent(10), "tags": {"a": "1"}}]), current, purge_rules=False)
    assert desired["Rules"] == [] and rule_tag_arns(desired["Rules"], current["Rules"]) == []
    assert listener_plan.rule_tags == [] and listener_plan.summary == ["Rules"]


def test_with_rule_tags_adds_tags_only_to_the_rules_read():
    current = live(aws_single(BLUE), [LIVE_API_RULE, LIVE_CANARY_RULE])
    tagged = with_rule_tags(current, {LIVE_API_RULE["RuleArn"]: [{"Key": "a", "Value": "1"}]})
    assert [rule.get("Tags") for rule in tagged["Rules"]] == [{"a": "1"}, None]
    assert "Tags" not in current["Rules"][0], "the live listener is not changed in place"
    assert with_rule_tags(None, {}) is None


@pytest.mark.parametrize(
    "purge, expected",
    [
        (True, {"a": "2", **KEPT_LIVE}),
        (False, {"a": "2", "b": "1", **KEPT_LIVE}),
    ],
)
def test_predict_listener_shows_the_rule_tags_after_the_run(purge, expected):
    live_tags = {"a": "1", "b": "1", **KEPT_LIVE}
    desired, current, listener_plan = tag_plan({"a": 2}, live_tags, purge)
    after = predict_listener(desired, current, listener_plan, purge_tags=purge)
    assert after["Rules"][0]["Tags"] == expected and after["Rules"][0]["RuleArn"] == LIVE_API_RULE["RuleArn"]
    assert "Tags" not in after["Rules"][1]
    assert current["Rules"][0]["Tags"] == live_tags


def test_a_modified_rule_predicts_merged_tags_not_the_desired_ones():
    desired = desired_listener(options(forward("blue"), [with_rule(API_RULE, action=forward("red"), tags={"a": "2"})]), LB, resolve)
    current = tagged_live({"a": "1", "b": "1"}, rules=(LIVE_API_RULE,))
    listener_plan = plan_listener(desired, current, purge_tags=False)
    assert [item.fields for item in listener_plan.rules_to_modify] == [["Actions"]]
    assert listener_plan.summary == ["Rules", "RuleTags"]
    assert predict_listener(desired, current, listener_plan, purge_tags=False)["Rules"][0]["Tags"] == {"a": "2", "b": "1"}


def test_a_new_rule_gets_its_tags_from_create_rule():
    current = live(aws_single(BLUE), [LIVE_CANARY_RULE])
    desired, listener_plan = plan_for(options(forward("blue"), [with_rule(API_RULE, tags={"b": 2, "a": "1"}), CANARY_RULE]), current)
    assert listener_plan.rule_tags == [] and listener_plan.summary == ["Rules"]
    assert rule_params(listener_plan.rules_to_add[0])["Tags"] == [{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}]
    assert predict_listener(desired, current, listener_plan)["Rules"][0]["Tags"] == {"a": "1", "b": "2"}
    # Empty tags: CreateRule gets no Tags at all.
    assert "Tags" not in rule_params(desired_listener(options(forward("blue"), [with_rule(API_RULE, tags={})]), LB, resolve)["Rules"][0])


def test_a_new_listener_creates_its_rules_with_their_tags():
    desired, listener_plan = plan_for(options(forward("blue"), [with_rule(API_RULE, tags={"a": "1"})]), None)
    assert listener_plan.rule_tags == []
    assert rule_params(listener_plan.rules_to_add[0])["Tags"] == [{"Key": "a", "Value": "1"}]
