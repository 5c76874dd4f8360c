# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

DOCUMENTATION = r"""
name: listener_rule
short_description: This service's listener rule on a load balancer other services share
version_added: 0.1.0
description:
  - A service behind an existing application load balancer gets one rule on the production listener and the same rule
    (same priority, same conditions) on the test listener, selecting its requests by host header and/or path.
  - Reads the live listeners and rules, finds the service's own rule (the one forwarding to its target groups), chooses the
    priority and lists what is wrong, so a bad input is refused before anything changes.
  - The priority chosen is the own rule's when it exists, else one above every rule of both listeners (a new rule is
    evaluated after the others), else the lowest free one.
  - Refused, each naming the variable to change, a missing listener; no condition; more than 5 condition values or one
    longer than 128 characters, or with characters AWS does not take; a priority out of range, held by another rule, or different from the own rule's (a rule
    is not moved); two own rules on one listener; another rule matching the same host or path exactly (the same kinds of
    conditions, a value in common).
options:
  _input:
    description: What to look at.
    type: dict
    required: true
    suboptions:
      load_balancer:
        description: The load balancer's name, for the messages.
        type: str
      listeners:
        description: The load balancer's listeners with their rules, as M(amazon.aws.elb_application_lb_info) returns them.
        type: list
        elements: dict
      ports:
        description: The ports of the V(production) and V(test) listeners.
        type: dict
      target_groups:
        description: Names of the service's target groups; a rule forwarding to one of them is the service's own.
        type: list
        elements: str
      hosts:
        description: Host header values of the rule.
        type: list
        elements: str
      paths:
        description: Path patterns of the rule.
        type: list
        elements: str
      priority:
        description: The rule's priority; V(0) chooses one.
        type: int
"""

EXAMPLES = r"""
- name: This service's rule on the shared load balancer
  ansible.builtin.set_fact:
    rule: >-
      {{ {'load_balancer': 'shared', 'listeners': found.load_balancers[0].listeners, 'ports': {'production': 443, 'test': 8443},
          'target_groups': ['web-blue', 'web-green'], 'hosts': ['web.example.com'], 'paths': [], 'priority': 0}
         | cutover.ecs.listener_rule }}
"""

RETURN = r"""
_value:
  description: The rule.
  type: dict
  contains:
    listeners:
      description: ARNs of the V(production) and V(test) listeners (empty when missing).
      type: dict
    rules:
      description: ARNs of the service's own rule on the V(production) and V(test) listeners (empty when it has none yet).
      type: dict
    own_priorities:
      description: Priorities of the service's own rule on the V(production) and V(test) listeners (V(0) when it has none).
      type: dict
    priority:
      description: The priority to use on both listeners.
      type: int
    conditions:
      description: The rule's conditions, for the O(cutover.ecs.listener#module:rules) option.
      type: list
      elements: dict
    problems:
      description: What is wrong, one sentence each; empty when nothing is.
      type: list
      elements: str
"""

MAX_PRIORITY = 50000
MAX_VALUES = 5
MAX_LENGTH = 128
# The characters AWS takes in a host or path value (Add a listener rule, ELB user guide)
HOST = re.compile(r"^[A-Za-z0-9_*?.-]*\.[A-Za-z0-9*?]+$")
PATH = re.compile(r"^[A-Za-z0-9_.$/~\"'@:+;&*?-]+$")
MATCHED = ("host-header", "path-pattern")
VARIABLES = {"production": "infrastructure_production_port", "test": "infrastructure_test_port"}


def target_group_name(arn: str) -> str:
    """``arn:...:targetgroup/<name>/<id>`` -> ``<name>``."""
    parts = str(arn).split(":targetgroup/", 1)
    return parts[1].split("/", 1)[0] if len(parts) == 2 else str(arn)


def forwarded_groups(rule: Mapping[str, Any]) -> set[str]:
    names = set()
    for action in rule.get("actions") or []:
        if action.get("target_group_arn"):
            names.add(target_group_name(action["target_group_arn"]))
        for item in (action.get("forward_config") or {}).get("target_groups") or []:
            names.add(target_group_name(item.get("target_group_arn", "")))
    return names


def condition_values(rule: Mapping[str, Any]) -> dict[str, list[str]]:
    """Field -> values, from ``values`` or the field's ``*_config`` (both forms appear)."""
    found: dict[str, list[str]] = {}
    for condition in rule.get("conditions") or []:
        field = condition.get("field", "")
        config = condition.get(field.replace("-", "_") + "_config") or {}
        values = list(dict.fromkeys(list(condition.get("values") or []) + list(config.get("values") or [])))
        found.setdefault(field, []).extend(values)
    return found


def _comparable(field: str, values: Iterable[str]) -> set[str]:
    return {value.lower() for value in values} if field == "host-header" else set(values)


def _describe(rule: Mapping[str, Any], port: int) -> str:
    groups = ", ".join(sorted(forwarded_groups(rule))) or "no target group"
    return f"the rule at priority {rule.get('priority')} on port {port} (forwarding to {groups})"


def listener_rule(request: Mapping[str, Any]) -> dict[str, Any]:
    """The service's rule on a shared load balancer (see DOCUMENTATION)."""
    if not isinstance(request, Mapping):
        raise TypeError(f"listener_rule takes a dict, got {type(request).__name__}")
    name = request.get("load_balancer") or "the load balancer"
    listeners = list(request.get("listeners") or [])
    ports = {role: int(port) for role, port in (request.get("ports") or {}).items()}
    mine = set(request.get("target_groups") or [])
    hosts, paths = list(request.get("hosts") or []), list(request.get("paths") or [])
    asked = int(request.get("priority") or 0)
    problems: list[str] = []

    conditions = ([{"field": "host-header", "values": hosts}] if hosts else []) + ([{"field": "path-pattern", "values": paths}] if paths else [])
    if not conditions:
        problems.append(
            f"a service on the shared load balancer {name} needs a rule that selects its requests: give infrastructure_rule_hosts or infrastructure_rule_paths"
        )
    if len(hosts) + len(paths) > MAX_VALUES:
        problems.append(
            f"a listener rule takes at most {MAX_VALUES} condition values; "
            f"infrastructure_rule_hosts and infrastructure_rule_paths give {len(hosts) + len(paths)}"
        )
    too_long = [value for value in hosts + paths if len(value) > MAX_LENGTH]
    if too_long:
        problems.append(f"a host or path of a listener rule is at most {MAX_LENGTH} characters: {', '.join(too_long)}")
    bad_hosts = [value for value in hosts if not HOST.match(value)]
    if bad_hosts:
        problems.append(
            f"infrastructure_rule_hosts: {', '.join(bad_hosts)} is not a host AWS takes (letters, digits, - _ . and the wildcards * ?, "
            "at least one '.', and only letters, digits or wildcards after the last one)"
        )
    bad_paths = [value for value in paths if not PATH.match(value)]
    if bad_paths:
        problems.append(
            f"infrastructure_rule_paths: {', '.join(bad_paths)} is not a path pattern AWS takes "
            "(letters, digits, the characters _ - . $ / ~ \" ' @ : + ; & and the wildcards * ?)"
        )
    if asked and not 1 <= asked <= MAX_PRIORITY:
        problems.append(f"infrastructure_rule_priority: {asked} is out of range; use 1 to {MAX_PRIORITY}, or 0 to choose a free one")

    found: dict[str, Mapping[str, Any]] = {}
    for role, port in ports.items():
        listener = next((item for item in listeners if int(item.get("port") or 0) == port), None)
        if listener is None:
            have = ", ".join(str(item.get("port")) for item in listeners) or "none"
            problems.append(f"{VARIABLES.get(role, role)}: the load balancer {name} has no listener on port {port} (its listeners are on {have})")
        else:
            found[role] = listener

    rules = {
        role: [rule for rule in listener.get("rules") or [] if not rule.get("is_default") and rule.get("priority") != "default"]
        for role, listener in found.items()
    }
    own: dict[str, Mapping[str, Any]] = {}
    for role, listed in rules.items():
        owned = [rule for rule in listed if forwarded_groups(rule) & mine]
        if len(owned) > 1:
            problems.append(
                f"port {ports[role]} has {len(owned)} rules forwarding to {', '.join(sorted(mine))} "
                f"(priorities {', '.join(str(rule.get('priority')) for rule in owned)}): keep one"
            )
        if owned:
            own[role] = owned[0]

    own_priorities = {role: int(rule["priority"]) for role, rule in own.items()}
    if len(set(own_priorities.values())) > 1:
        problems.append(
            "this service's rules are at different priorities ("
            + ", ".join(f"{priority} on port {ports[role]}" for role, priority in sorted(own_priorities.items()))
            + "); a rule is not moved: give both the same priority on the load balancer, then set infrastructure_rule_priority to it (or 0)"
        )
    current = own_priorities.get("production", own_priorities.get("test", 0))
    if asked and current and asked != current:
        problems.append(f"this service's rule is at priority {current}; a rule is not moved: set infrastructure_rule_priority to {current} (or 0 to keep it)")

    taken = {int(rule["priority"]) for listed in rules.values() for rule in listed}
    if asked:
        priority = asked
    elif current:
        priority = current
    elif not taken:
        priority = 1
    elif max(taken) < MAX_PRIORITY:
        priority = max(taken) + 1
    else:
        priority = next((candidate for candidate in range(1, MAX_PRIORITY + 1) if candidate not in taken), 0)
        if not priority:
            problems.append(f"every priority of the listeners of {name} is taken")

    wanted = {condition["field"]: _comparable(condition["field"], condition["values"]) for condition in conditions}
    for role, listed in rules.items():
        for rule in listed:
            if own.get(role) is rule or forwarded_groups(rule) & mine:
                continue
            if int(rule["priority"]) == priority:
                problems.append(
                    f"priority {priority} is held by {_describe(rule, ports[role])}: choose another infrastructure_rule_priority, or 0 to choose a free one"
                )
            theirs = condition_values(rule)
            if wanted and set(theirs) == set(wanted):
                common = {field: sorted(wanted[field] & _comparable(field, values)) for field, values in theirs.items()}
                if all(common.values()):
                    shared = "; ".join(f"{field} {', '.join(values)}" for field, values in sorted(common.items()))
                    problems.append(
                        f"{shared} is already matched by {_describe(rule, ports[role])}: "
                        "give this service other infrastructure_rule_hosts or infrastructure_rule_paths"
                    )

    return {
        "listeners": {role: (found[role].get("listener_arn") or "") if role in found else "" for role in ports},
        "rules": {role: (own[role].get("rule_arn") or "") if role in own else "" for role in ports},
        "own_priorities": {role: int(own[role]["priority"]) if role in own else 0 for role in ports},
        "priority": priority,
        "conditions": conditions,
        "problems": problems,
    }


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {"listener_rule": listener_rule}
