# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ansible_collections.cutover.ecs.plugins.filter.listener_rule import forwarded_groups, target_group_name

DOCUMENTATION = r"""
name: adoption
short_description: Whether the infrastructure role may change the service and load balancer it finds by name
version_added: 0.1.0
description:
  - The infrastructure role finds what it manages by name. Before anything changes, this filter looks at the live service
    and at a load balancer named like the service, and says whether the role made them and what it cannot change.
  - A service is the role's when its load balancers forward to the service's own target groups (V(<name>-blue) or
    V(<name>-green)); a load balancer is the role's when none of its listeners forwards elsewhere and its production and
    test listeners' default actions forward.
  - One the role did not make is refused, naming what the run would replace, unless O(_input.adopt) is true.
  - Refused whoever made the service, as AWS cannot change them on an existing service, a deployment controller other than
    the strategy's and a launch type other than Fargate's (a service on capacity providers needs them declared).
options:
  _input:
    description: What to look at.
    type: dict
    required: true
    suboptions:
      name:
        description: The service's name (C(infrastructure_name)).
        type: str
      cluster:
        description: The cluster's name, for the messages.
        type: str
      strategy:
        description: V(rolling), V(ecs) or V(codedeploy).
        type: str
      adopt:
        description: Take over a service or load balancer the role did not make.
        type: bool
      capacity_provider_strategy:
        description: The capacity provider strategy asked for; empty for the Fargate launch type.
        type: list
        elements: dict
      tags:
        description: The tags asked for (keys not in it are removed when O(_input.purge_tags)).
        type: dict
      purge_tags:
        description: Whether tags not asked for are removed.
        type: bool
      ports:
        description: The ports of the V(production) and V(test) listeners.
        type: dict
      service:
        description: The live service as M(cutover.ecs.service_info) returns it; empty when it does not exist.
        type: dict
      load_balancer:
        description:
          - The live load balancer named like the service, with its listeners and their rules, as
            M(amazon.aws.elb_application_lb_info) returns it; empty when there is none (or the service uses a shared one).
        type: dict
"""

EXAMPLES = r"""
- name: Check what exists before changing anything
  ansible.builtin.assert:
    that: existing.problems | length == 0
    fail_msg: "{{ existing.problems | join(' ') }}"
  vars:
    existing: >-
      {{ {'name': 'web', 'cluster': 'shop', 'strategy': 'rolling', 'adopt': false, 'capacity_provider_strategy': [],
          'tags': {}, 'purge_tags': true, 'ports': {'production': 80, 'test': 9000},
          'service': found_service.service, 'load_balancer': (found_lb.load_balancers | default([]) + [{}])[0]}
         | cutover.ecs.adoption }}
"""

RETURN = r"""
_value:
  description: The verdict.
  type: dict
  contains:
    service_exists:
      description: Whether the service exists.
      type: bool
    service_owned:
      description: Whether the service exists and was made by the role.
      type: bool
    load_balancer_owned:
      description: Whether a load balancer named like the service exists and was made by the role.
      type: bool
    problems:
      description: What is refused, one paragraph each; empty when nothing is.
      type: list
      elements: str
"""

CONTROLLERS = {"codedeploy": "CODE_DEPLOY", "rolling": "ECS", "ecs": "ECS"}
KEEP_PREFIXES = ("aws:", "cutover.ecs:")


def _pair(name: str) -> set[str]:
    return {f"{name}-blue", f"{name}-green"}


def _removed_tags(live: Mapping[str, Any], asked: Mapping[str, Any], purge: bool) -> list[str]:
    if not purge:
        return []
    return sorted(key for key in live or {} if key not in (asked or {}) and not key.startswith(KEEP_PREFIXES))


def _service_groups(service: Mapping[str, Any]) -> list[str]:
    return [item.get("target_group_arn") for item in service.get("load_balancers") or [] if item.get("target_group_arn")]


def _service_balancers(service: Mapping[str, Any]) -> str:
    """The service's target groups and Classic load balancers, by name."""
    classic = {item["load_balancer_name"] for item in service.get("load_balancers") or [] if item.get("load_balancer_name")}
    return ", ".join(sorted({target_group_name(arn) for arn in _service_groups(service)} | classic)) or "none"


def _service_takeover(name: str, cluster: str, service: Mapping[str, Any], tags: Mapping[str, Any], purge: bool) -> str:
    groups = _service_balancers(service)
    network = (service.get("network_configuration") or {}).get("awsvpc_configuration") or {}
    controller = (service.get("deployment_controller") or {}).get("type", "ECS")
    changes = [
        f"its load balancers ({groups}) with {name}-blue",
        f"its security groups ({', '.join(network.get('security_groups') or []) or 'none'}) with {name}-tasks",
        "its subnets with the role's task subnets",
    ]
    if controller == "ECS":
        changes.append("its deployment configuration, desired count and health check grace period")
    else:
        changes.append("its deployment percentages, desired count and health check grace period")
    removed = _removed_tags(service.get("tags") or {}, tags, purge)
    if removed:
        changes.append(f"its tags ({', '.join(removed)} removed)")
    if controller == "ECS":
        effect = (
            " ECS then replaces its tasks"
            + (f", and what forwards to {groups} loses its targets" if groups != "none" else "")
            + f"; the deploy role in the same play moves it to the task definition family {name} the role declares."
        )
    elif controller == "CODE_DEPLOY":
        effect = (
            " Its load balancer and network change only through a CodeDeploy deployment, and the role's deployment group"
            f" {name} cannot be made while another group deploys the service."
        )
    else:
        effect = ""
    return (
        f"The service {name} in cluster {cluster} was not made by the infrastructure role: its load balancers forward to "
        f"{groups}, not {name}-blue or {name}-green. Taking it over would replace "
        + "; ".join(changes)
        + "."
        + effect
        + " To take it over, set infrastructure_adopt: true (run with --check --diff first to see the plan); to leave it"
        " alone, choose another infrastructure_name or infrastructure_cluster; to only cut it over, use the deploy role"
        " alone (README: A service made elsewhere)."
    )


def _listener_problems(load_balancer: Mapping[str, Any], pair: set[str], ports: Sequence[int]) -> list[str]:
    """What makes a load balancer named like the service someone else's, one phrase each."""
    found = []
    for listener in load_balancer.get("listeners") or []:
        port = int(listener.get("port", 0))
        default = listener.get("default_actions") or []
        foreign = forwarded_groups({"actions": default}) - pair
        for rule in listener.get("rules") or []:
            if not rule.get("is_default"):
                foreign |= forwarded_groups(rule) - pair
        if foreign:
            found.append(f"listener {port} forwards to {', '.join(sorted(foreign))}")
        elif port in ports and any(action.get("type") != "forward" for action in default):
            kinds = ", ".join(sorted({str(action.get("type")) for action in default}))
            found.append(f"listener {port}'s default action is {kinds}")
    return found


def _load_balancer_takeover(name: str, load_balancer: Mapping[str, Any], found: list[str], ports: Mapping[str, int], strategy: str) -> str:
    groups = ", ".join(load_balancer.get("security_groups") or []) or "none"
    listeners = f"{ports['production']} and {ports['test']}"
    rules = " and delete their other rules" if strategy == "ecs" else ""
    return (
        f"The load balancer {name} was not made by the infrastructure role: {'; '.join(found)}. Taking it over would replace its"
        f" security groups ({groups}) with {name}-alb and its subnets, and point listeners {listeners} at {name}-blue{rules}."
        " To put the service behind it beside what it serves, set infrastructure_load_balancer to it with"
        " infrastructure_rule_hosts or infrastructure_rule_paths; to leave it alone, choose another infrastructure_name;"
        " to take it over, set infrastructure_adopt: true."
    )


def _immutable_problems(name: str, strategy: str, capacity: Sequence[Mapping[str, Any]], service: Mapping[str, Any]) -> list[str]:
    problems = []
    controller = (service.get("deployment_controller") or {}).get("type", "ECS")
    wanted = CONTROLLERS.get(strategy, "ECS")
    if controller != wanted:
        keep = "infrastructure_strategy: codedeploy" if controller == "CODE_DEPLOY" else "infrastructure_strategy rolling or ecs"
        if controller not in CONTROLLERS.values():
            keep = "the service out of this role"
        problems.append(
            f"infrastructure_strategy: the service {name} has the {controller} deployment controller and strategy {strategy} needs"
            f" {wanted}; AWS cannot change a service's controller, so keep {keep}, or delete the service (the teardown role) and"
            " run again."
        )
    if service.get("scheduling_strategy", "REPLICA") != "REPLICA":
        problems.append(f"The service {name} is a {service['scheduling_strategy']} service; the role manages REPLICA services only.")
    launch_type = service.get("launch_type")
    live_capacity = service.get("capacity_provider_strategy") or []
    if launch_type and launch_type != "FARGATE":
        problems.append(
            f"The service {name} has launch type {launch_type}, which AWS cannot change on an existing service; the role runs"
            " Fargate tasks: choose another infrastructure_name or infrastructure_cluster."
        )
    elif not launch_type and live_capacity and not capacity:
        providers = ", ".join(f"{item.get('capacity_provider')} weight {item.get('weight', 0)} base {item.get('base', 0)}" for item in live_capacity)
        problems.append(
            f"infrastructure_capacity_provider_strategy: the service {name} runs on capacity providers ({providers}) and AWS"
            " cannot give it a launch type again: declare its strategy in infrastructure_capacity_provider_strategy."
        )
    return problems


def adoption(data: Mapping[str, Any]) -> dict:
    name = data["name"]
    pair = _pair(name)
    service = data.get("service") or {}
    load_balancer = data.get("load_balancer") or {}
    ports = {"production": int(data["ports"]["production"]), "test": int(data["ports"]["test"])}
    adopt = bool(data.get("adopt"))
    problems = []

    service_owned = False
    if service:
        groups = _service_groups(service)
        service_owned = bool(groups) and all(target_group_name(arn) in pair for arn in groups)
        problems += _immutable_problems(name, data.get("strategy", "rolling"), data.get("capacity_provider_strategy") or [], service)
        if not service_owned and not adopt:
            problems.append(_service_takeover(name, data.get("cluster", name), service, data.get("tags") or {}, bool(data.get("purge_tags", True))))

    load_balancer_owned = False
    if load_balancer:
        found = _listener_problems(load_balancer, pair, list(ports.values()))
        load_balancer_owned = not found
        if found and not adopt:
            problems.append(_load_balancer_takeover(name, load_balancer, found, ports, data.get("strategy", "rolling")))

    return {
        "service_exists": bool(service),
        "service_owned": service_owned,
        "load_balancer_owned": load_balancer_owned,
        "problems": problems,
    }


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {"adoption": adoption}
