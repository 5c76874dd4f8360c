"""rules[].state=absent and rules[].tags end to end through ensure_listener, with a fake ELBv2 client that keeps
state: a service on a shared listener deletes or tags only its own rule, check mode only reports it, and a re-run
does nothing. The argument spec's part (absent needs only a priority) is here too."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.cutover.ecs.plugins.module_utils._elbv2.ensure import ensure_listener
from ansible_collections.cutover.ecs.plugins.module_utils._module import Context
from ansible_collections.cutover.ecs.plugins.modules.listener import ARGUMENT_SPEC

PREFIX = "arn:aws:elasticloadbalancing:us-east-1:123456789012"
LB = f"{PREFIX}:loadbalancer/app/shop/1"
LISTENER = f"{PREFIX}:listener/app/shop/1/2"
OURS, THEIRS = f"{PREFIX}:targetgroup/ours/0", f"{PREFIX}:targetgroup/theirs/0"
READS = ("describe_", "get_paginator")


def aws_rule(priority: int, path: str, target_group: str) -> dict:
    return {
        "RuleArn": f"{LISTENER}/rule-{priority}",
        "Priority": str(priority),
        "Conditions": [{"Field": "path-pattern", "PathPatternConfig": {"Values": [path]}}],
        "Actions": [{"Type": "forward", "TargetGroupArn": target_group, "Order": 1}],
        "IsDefault": False,
    }


DEFAULT_RULE = {
    "RuleArn": f"{LISTENER}/default",
    "Priority": "default",
    "Conditions": [],
    "Actions": [{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "404"}, "Order": 1}],
    "IsDefault": True,
}


class FakeElbv2:
    """One HTTP listener with rules; records every call, and rule and tag calls really change its state.

    ``tags`` maps an ARN to its tags as a dict (every rule has tags, read or not).
    """

    def __init__(self, rules: list, tags: dict | None = None) -> None:
        self.calls: list = []
        self.rules = [*copy.deepcopy(rules), DEFAULT_RULE]
        self.listener = {"ListenerArn": LISTENER, "LoadBalancerArn": LB, "Port": 80, "Protocol": "HTTP", "DefaultActions": DEFAULT_RULE["Actions"]}
        self.tags = {LISTENER: {}, **{rule["RuleArn"]: {} for rule in self.rules}, **copy.deepcopy(tags or {})}

    def _record(self, operation: str, params: dict) -> None:
        self.calls.append((operation, params))

    @property
    def mutating(self) -> list:
        return [(operation, params) for operation, params in self.calls if not operation.startswith(READS)]

    def describe_load_balancers(self, **params: Any) -> dict:
        self._record("describe_load_balancers", params)
        return {"LoadBalancers": [{"LoadBalancerArn": LB, "LoadBalancerName": "shop"}]}

    def describe_listeners(self, **params: Any) -> dict:
        self._record("describe_listeners", params)
        return {"Listeners": [copy.deepcopy(self.listener)]}

    def describe_rules(self, **params: Any) -> dict:
        self._record("describe_rules", params)
        return {"Rules": copy.deepcopy(self.rules)}

    def describe_tags(self, **params: Any) -> dict:
        self._record("describe_tags", params)
        assert 1 <= len(params["ResourceArns"]) <= 20, "DescribeTags takes 1 to 20 ARNs"
        return {
            "TagDescriptions": [
                {"ResourceArn": arn, "Tags": [{"Key": key, "Value": value} for key, value in self.tags[arn].items()]} for arn in params["ResourceArns"]
            ]
        }

    @property
    def tag_reads(self) -> list:
        """The ARNs each DescribeTags call asked for."""
        return [params["ResourceArns"] for operation, params in self.calls if operation == "describe_tags"]

    def create_rule(self, **params: Any) -> dict:
        self._record("create_rule", params)
        rule = {"RuleArn": f"{LISTENER}/rule-{params['Priority']}", "Priority": str(params["Priority"]), "IsDefault": False}
        rule.update(Conditions=params["Conditions"], Actions=[{**action, "Order": 1} for action in params["Actions"]])
        self.rules.insert(0, rule)
        self.tags[rule["RuleArn"]] = {tag["Key"]: tag["Value"] for tag in params.get("Tags", [])}
        return {"Rules": [copy.deepcopy(rule)]}

    def modify_rule(self, **params: Any) -> dict:
        self._record("modify_rule", params)
        rule = next(rule for rule in self.rules if rule["RuleArn"] == params["RuleArn"])
        if "Conditions" in params:
            rule["Conditions"] = params["Conditions"]
        if "Actions" in params:
            rule["Actions"] = [{**action, "Order": 1} for action in params["Actions"]]
        return {"Rules": [copy.deepcopy(rule)]}

    def add_tags(self, **params: Any) -> None:
        self._record("add_tags", params)
        for arn in params["ResourceArns"]:
            for tag in params["Tags"]:
                assert isinstance(tag["Value"], str), "AWS takes tag values as text"
                self.tags[arn][tag["Key"]] = tag["Value"]

    def remove_tags(self, **params: Any) -> None:
        self._record("remove_tags", params)
        for arn in params["ResourceArns"]:
            for key in params["TagKeys"]:
                self.tags[arn].pop(key, None)

    def get_paginator(self, operation: str) -> Any:
        client = self

        class Paginator:
            def paginate(self, **params: Any) -> list:
                return [getattr(client, operation)(**params)]

        return Paginator()

    def delete_rule(self, **params: Any) -> None:
        self._record("delete_rule", params)
        self.rules = [rule for rule in self.rules if rule["RuleArn"] != params["RuleArn"]]

    def __getattr__(self, operation: str) -> Any:
        def call(**params: Any) -> dict:
            self._record(operation, params)
            raise AssertionError(f"unexpected call {operation}({params})")

        return call


def validated(options: dict) -> dict:
    """The options as the module would pass them on: validated, defaults filled in."""
    result = ArgumentSpecValidator(ARGUMENT_SPEC).validate(copy.deepcopy(options))
    assert not result.error_messages, result.error_messages
    return result.validated_parameters


SHARED_RULES = [aws_rule(10, "/theirs/*", THEIRS), aws_rule(20, "/ours/*", OURS), aws_rule(30, "/also-theirs/*", THEIRS)]
REMOVE_OURS = {"load_balancer": "shop", "port": 80, "purge_rules": False, "rules": [{"priority": 20, "state": "absent"}]}


def run(client: FakeElbv2, options: dict, check_mode: bool = False) -> dict:
    context = Context(client=lambda _service: client, check_mode=check_mode, diff_mode=True)
    return ensure_listener(context, validated(options))


def test_absent_deletes_only_its_own_rule():
    client = FakeElbv2(SHARED_RULES)
    result = run(client, REMOVE_OURS)
    assert client.mutating == [("delete_rule", {"RuleArn": f"{LISTENER}/rule-20"})]
    assert result["changed"] is True and result["plan"] == {"action": "update", "fields": ["Rules"]}
    assert [rule["priority"] for rule in result["listener"]["rules"]] == [10, 30]
    assert result["listener"]["default_actions"] == [{"type": "fixed-response", "fixed_response_config": {"status_code": "404"}}]


def test_absent_in_check_mode_reports_the_deletion_and_makes_no_call():
    client = FakeElbv2(SHARED_RULES)
    result = run(client, REMOVE_OURS, check_mode=True)
    assert client.mutating == []
    assert result["changed"] is True and result["plan"] == {"action": "update", "fields": ["Rules"]}
    assert [rule["Priority"] for rule in result["diff"]["before"]["Rules"]] == [10, 20, 30]
    assert [rule["Priority"] for rule in result["diff"]["after"]["Rules"]] == [10, 30]
    assert [rule["priority"] for rule in result["listener"]["rules"]] == [10, 30]


@pytest.mark.parametrize("check_mode", [False, True])
def test_absent_rule_already_gone_is_no_change(check_mode):
    client = FakeElbv2([SHARED_RULES[0], SHARED_RULES[2]])
    result = run(client, REMOVE_OURS, check_mode)
    assert client.mutating == []
    assert result["changed"] is False and result["plan"]["action"] == "none"


def test_rerun_after_deleting_makes_no_call():
    client = FakeElbv2(SHARED_RULES)
    run(client, REMOVE_OURS)
    client.calls.clear()
    assert run(client, REMOVE_OURS)["changed"] is False
    assert client.mutating == []


# --- the argument spec: conditions and action are required for state=present only ----------------------

PRESENT = {"priority": 20, "conditions": [{"field": "path-pattern", "values": ["/ours/*"]}], "action": {"forward": {"target_group": "ours"}}}


@pytest.mark.parametrize(
    "rule, errors",
    [
        ({"priority": 20, "state": "absent"}, []),
        # Given, but ignored: an absent rule's other suboptions may stay in place.
        ({**PRESENT, "state": "absent"}, []),
        (PRESENT, []),
        ({**PRESENT, "state": "present"}, []),
        ({"priority": 20}, ["state is present but all of the following are missing: conditions, action found in rules"]),
        ({key: value for key, value in PRESENT.items() if key != "action"}, ["state is present but all of the following are missing: action found in rules"]),
        (
            {key: value for key, value in PRESENT.items() if key != "conditions"},
            ["state is present but all of the following are missing: conditions found in rules"],
        ),
        ({"priority": 20, "state": "gone"}, ["value of state must be one of: present, absent, got: gone found in rules"]),
    ],
)
def test_argument_spec_requires_conditions_and_action_for_present_rules_only(rule, errors):
    result = ArgumentSpecValidator(ARGUMENT_SPEC).validate({"load_balancer": "shop", "port": 80, "rules": [rule]})
    assert result.error_messages == errors


def test_argument_spec_fills_in_state_present():
    assert validated({"load_balancer": "shop", "port": 80, "rules": [PRESENT]})["rules"][0]["state"] == "present"


# --- rules[].tags: the one rule a service adds to a shared listener is tagged, and only that rule ---------

OUR_RULE = f"{LISTENER}/rule-20"
OUR_RULE_SPEC = {"priority": 20, "conditions": [{"field": "path-pattern", "values": ["/ours/*"]}], "action": {"forward": {"target_group": OURS}}}
LIVE_TAGS = {"service": "old", "stale": "x", "n": "3", "aws:cloudformation:stack-name": "infra", "cutover.ecs:owner": "rollback"}


def tag_ours(tags: dict | None, **extra: Any) -> dict:
    rule = copy.deepcopy(OUR_RULE_SPEC)
    if tags is not None:
        rule["tags"] = tags
    return {"load_balancer": "shop", "port": 80, "purge_rules": False, "rules": [rule], **extra}


def shared_with_tags() -> FakeElbv2:
    """The shared listener, our rule (20) tagged, the others' rules tagged too (never to be read or changed)."""
    theirs = {"team": "theirs"}
    return FakeElbv2(SHARED_RULES, {OUR_RULE: LIVE_TAGS, f"{LISTENER}/rule-10": theirs, f"{LISTENER}/rule-30": theirs})


def result_rule(result: dict, priority: int) -> dict:
    return next(rule for rule in result["listener"]["rules"] if rule["priority"] == priority)


def test_a_new_rule_is_created_with_its_tags():
    client = FakeElbv2([SHARED_RULES[0], SHARED_RULES[2]])
    result = run(client, tag_ours({"service": "ours", "n": 3}))
    assert client.mutating == [
        (
            "create_rule",
            {
                "ListenerArn": LISTENER,
                "Priority": 20,
                "Conditions": [{"Field": "path-pattern", "PathPatternConfig": {"Values": ["/ours/*"]}}],
                "Actions": [{"Type": "forward", "TargetGroupArn": OURS}],
                "Tags": [{"Key": "n", "Value": "3"}, {"Key": "service", "Value": "ours"}],
            },
        )
    ]
    # Before the change there was no rule 20, so no rule's tags were read; after it, only the new rule's.
    assert client.tag_reads == [[LISTENER], [LISTENER], [OUR_RULE]]
    assert result["changed"] is True and result["plan"] == {"action": "update", "fields": ["Rules"]}
    assert result_rule(result, 20)["tags"] == {"service": "ours", "n": "3"}
    assert "tags" not in result_rule(result, 10)


def test_a_new_rule_in_check_mode_predicts_its_tags():
    client = FakeElbv2([SHARED_RULES[0]])
    result = run(client, tag_ours({"service": "ours", "n": 3}), check_mode=True)
    assert client.mutating == []
    assert result["changed"] is True and result_rule(result, 20)["tags"] == {"service": "ours", "n": "3"}


def test_an_existing_rule_tags_converge_with_purge():
    client = shared_with_tags()
    result = run(client, tag_ours({"service": "ours", "n": 3}))
    # n=3 (a number) is the live "3": no change; aws: and cutover.ecs: keys stay; "stale" goes.
    assert client.mutating == [
        ("add_tags", {"ResourceArns": [OUR_RULE], "Tags": [{"Key": "service", "Value": "ours"}]}),
        ("remove_tags", {"ResourceArns": [OUR_RULE], "TagKeys": ["stale"]}),
    ]
    expected = {"service": "ours", "n": "3", "aws:cloudformation:stack-name": "infra", "cutover.ecs:owner": "rollback"}
    assert client.tags[OUR_RULE] == expected
    assert result["changed"] is True and result["plan"] == {"action": "update", "fields": ["RuleTags"]}
    assert result_rule(result, 20)["tags"] == expected
    # The other services' rules: tags never read, never changed.
    assert all(arns == [LISTENER] or arns == [OUR_RULE] for arns in client.tag_reads)
    assert client.tags[f"{LISTENER}/rule-10"] == {"team": "theirs"}


def test_purge_tags_false_keeps_the_rule_tags_not_given():
    client = shared_with_tags()
    result = run(client, tag_ours({"service": "ours"}, purge_tags=False))
    assert client.mutating == [("add_tags", {"ResourceArns": [OUR_RULE], "Tags": [{"Key": "service", "Value": "ours"}]})]
    assert result_rule(result, 20)["tags"] == {**LIVE_TAGS, "service": "ours"}


def test_the_same_tags_again_make_no_call():
    client = shared_with_tags()
    run(client, tag_ours({"service": "ours", "n": 3}))
    client.calls.clear()
    result = run(client, tag_ours({"service": "ours", "n": 3}))
    assert client.mutating == []
    assert result["changed"] is False and result["plan"] == {"action": "none", "fields": []}
    assert result_rule(result, 20)["tags"]["service"] == "ours"


def test_tags_in_check_mode_report_the_change_and_make_no_call():
    client = shared_with_tags()
    result = run(client, tag_ours({"service": "ours", "n": 3}), check_mode=True)
    assert client.mutating == []
    assert client.tags[OUR_RULE] == LIVE_TAGS
    assert result["changed"] is True and result["plan"] == {"action": "update", "fields": ["RuleTags"]}
    before = {rule["Priority"]: rule for rule in result["diff"]["before"]["Rules"]}
    after = {rule["Priority"]: rule for rule in result["diff"]["after"]["Rules"]}
    assert before[20]["Tags"] == LIVE_TAGS
    assert after[20]["Tags"] == {"service": "ours", "n": "3", "aws:cloudformation:stack-name": "infra", "cutover.ecs:owner": "rollback"}
    assert "Tags" not in before[10] and "Tags" not in after[10]


def test_a_rule_without_tags_never_has_its_tags_read_or_changed():
    client = shared_with_tags()
    options = tag_ours(None)
    options["rules"][0]["action"] = {"forward": {"target_group": THEIRS}}
    result = run(client, options)
    assert client.mutating == [("modify_rule", {"RuleArn": OUR_RULE, "Actions": [{"Type": "forward", "TargetGroupArn": THEIRS}]})]
    assert client.tag_reads == [[LISTENER], [LISTENER]]
    assert client.tags[OUR_RULE] == LIVE_TAGS
    assert "tags" not in result_rule(result, 20)


def test_an_action_and_tags_changed_together():
    client = shared_with_tags()
    options = tag_ours({"service": "ours", "n": "3"})
    options["rules"][0]["action"] = {"forward": {"target_group": THEIRS}}
    result = run(client, options)
    assert [operation for operation, _params in client.mutating] == ["modify_rule", "add_tags", "remove_tags"]
    assert result["plan"]["fields"] == ["RuleTags", "Rules"]


def test_an_absent_rule_ignores_its_tags():
    client = shared_with_tags()
    result = run(client, {**REMOVE_OURS, "rules": [{"priority": 20, "state": "absent", "tags": {"service": "ours"}}]})
    assert client.mutating == [("delete_rule", {"RuleArn": OUR_RULE})]
    assert client.tag_reads == [[LISTENER], [LISTENER]]
    assert result["plan"]["fields"] == ["Rules"]


def test_rule_tags_are_read_twenty_arns_a_call():
    rules = [aws_rule(priority, f"/p{priority}/*", OURS) for priority in range(1, 26)]
    client = FakeElbv2(rules, {rule["RuleArn"]: {"service": "ours"} for rule in rules})
    conditions = {priority: [{"field": "path-pattern", "values": [f"/p{priority}/*"]}] for priority in range(1, 26)}
    specs = [
        {**copy.deepcopy(OUR_RULE_SPEC), "priority": priority, "conditions": conditions[priority], "tags": {"service": "ours"}} for priority in range(1, 26)
    ]
    result = run(client, {"load_balancer": "shop", "port": 80, "rules": specs}, check_mode=True)
    assert client.mutating == [] and result["changed"] is False
    rule_reads = [arns for arns in client.tag_reads if arns != [LISTENER]]
    assert [len(arns) for arns in rule_reads] == [20, 5]
    assert sorted(arn for arns in rule_reads for arn in arns) == sorted(rule["RuleArn"] for rule in rules)
