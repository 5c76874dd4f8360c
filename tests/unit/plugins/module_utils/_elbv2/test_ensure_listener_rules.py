"""rules[].state=absent end to end through ensure_listener, with a fake ELBv2 client that keeps state:
a service on a shared listener deletes only its own rule, check mode only reports it, and a re-run does nothing.
The argument spec's part (absent needs only a priority) is here too."""

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
    """One HTTP listener with rules; records every call, and delete_rule really deletes."""

    def __init__(self, rules: list) -> None:
        self.calls: list = []
        self.rules = [*rules, DEFAULT_RULE]
        self.listener = {"ListenerArn": LISTENER, "LoadBalancerArn": LB, "Port": 80, "Protocol": "HTTP", "DefaultActions": DEFAULT_RULE["Actions"]}

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
        return {"TagDescriptions": [{"ResourceArn": LISTENER, "Tags": []}]}

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
