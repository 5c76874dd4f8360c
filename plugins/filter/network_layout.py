# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

DOCUMENTATION = r"""
name: network_layout
short_description: Where a service's load balancer and tasks go in a VPC, and what is wrong with the input
version_added: 0.1.0
description:
  - Takes the VPC's subnets and route tables (as C(amazon.aws.ec2_vpc_subnet_info) and C(amazon.aws.ec2_vpc_route_table_info)
    return them) and the subnets asked for, and returns the subnets of the load balancer and of the tasks, whether
    the tasks get a public IP, and the problems found, each a sentence that says what to change.
  - A subnet is public when its route table (its own, or the VPC's main one) sends C(0.0.0.0/0) to an internet gateway,
    or when it is a default subnet (AWS makes every default subnet public).
  - V(auto) for O(_input.assign_public_ip) gives a public IP when every task subnet is public and none when every
    one is private; a mix is a problem (tasks in a public subnet without a public IP cannot reach the internet).
  - Problems found are subnets that are not in the VPC, a load balancer with fewer than two Availability Zones or two
    subnets in one zone, and an internet-facing load balancer in a subnet that is not public.
options:
  _input:
    description: The VPC, its subnets and route tables, and what was asked for.
    type: dict
    required: true
    suboptions:
      vpc_id:
        description: The VPC.
        type: str
      vpc_subnets:
        description: Every subnet of the VPC, as C(amazon.aws.ec2_vpc_subnet_info) returns them.
        type: list
        elements: dict
      route_tables:
        description: Every route table of the VPC, as C(amazon.aws.ec2_vpc_route_table_info) returns them.
        type: list
        elements: dict
      subnets:
        description: Subnets for both the load balancer and the tasks; empty for every subnet of the VPC.
        type: list
        elements: str
      load_balancer_subnets:
        description: Subnets of the load balancer; empty for O(_input.subnets).
        type: list
        elements: str
      task_subnets:
        description: Subnets of the tasks; empty for O(_input.subnets).
        type: list
        elements: str
      assign_public_ip:
        description: V(auto), V(true) or V(false).
        type: raw
      scheme:
        description: V(internet-facing) or V(internal).
        type: str
      existing_load_balancer:
        description:
          - The load balancer exists already (made elsewhere), so its subnets and scheme are not checked, the load balancer
            subnets returned are empty, and O(_input.load_balancer_subnets) given is a problem.
        type: bool
        default: false
"""

EXAMPLES = r"""
- name: Settle the network
  ansible.builtin.set_fact:
    network: >-
      {{ {'vpc_id': vpc_id, 'vpc_subnets': found_subnets.subnets, 'route_tables': found_tables.route_tables,
          'task_subnets': ['subnet-private-a', 'subnet-private-b'], 'load_balancer_subnets': ['subnet-public-a', 'subnet-public-b'],
          'assign_public_ip': 'auto', 'scheme': 'internet-facing'} | cutover.ecs.network_layout }}
"""

RETURN = r"""
_value:
  description: The layout.
  type: dict
  contains:
    load_balancer_subnets:
      description: Subnet IDs of the load balancer.
      type: list
      elements: str
    task_subnets:
      description: Subnet IDs of the tasks.
      type: list
      elements: str
    assign_public_ip:
      description: Whether the tasks get a public IP.
      type: bool
    public_subnets:
      description: The subnets of the VPC that are public, sorted.
      type: list
      elements: str
    problems:
      description: What is wrong with the input, one sentence each; empty when nothing is.
      type: list
      elements: str
"""


def public_subnets(vpc_subnets: list[Mapping[str, Any]], route_tables: list[Mapping[str, Any]]) -> set[str]:
    """The subnets whose route table sends 0.0.0.0/0 to an internet gateway, and the default subnets."""
    explicit: dict[str, bool] = {}
    main_is_public = False
    for table in route_tables:
        to_internet = any(
            route.get("destination_cidr_block") == "0.0.0.0/0" and str(route.get("gateway_id") or "").startswith("igw-") for route in table.get("routes", [])
        )
        for association in table.get("associations", []):
            subnet = association.get("subnet_id")
            if subnet:
                explicit[subnet] = to_internet
            elif association.get("main"):
                main_is_public = to_internet
    found = set()
    for subnet in vpc_subnets:
        subnet_id = subnet.get("subnet_id")
        if explicit.get(subnet_id, main_is_public) or subnet.get("default_for_az"):
            found.add(subnet_id)
    return found


def _bool(value: Any) -> bool | None:
    """True, False, or None for auto."""
    text = str(value).strip().lower()
    if text == "auto":
        return None
    if text in ("true", "yes", "on", "1"):
        return True
    if text in ("false", "no", "off", "0"):
        return False
    raise ValueError(f"assign_public_ip must be auto, true or false, got {value!r}")


def network_layout(layout: Mapping[str, Any]) -> dict[str, Any]:
    """The subnets of the load balancer and the tasks, the public IP choice, and the problems (see DOCUMENTATION)."""
    if not isinstance(layout, Mapping):
        raise TypeError(f"network_layout takes a dict, got {type(layout).__name__}")
    vpc_id = layout.get("vpc_id") or ""
    vpc_subnets = list(layout.get("vpc_subnets") or [])
    zones = {s.get("subnet_id"): s.get("availability_zone") for s in vpc_subnets}
    public = public_subnets(vpc_subnets, list(layout.get("route_tables") or []))
    shared = list(layout.get("subnets") or []) or sorted(zones)
    load_balancer = list(layout.get("load_balancer_subnets") or []) or shared
    tasks = list(layout.get("task_subnets") or []) or shared
    problems: list[str] = []

    asked = {
        "infrastructure_subnets": list(layout.get("subnets") or []),
        "infrastructure_load_balancer_subnets": list(layout.get("load_balancer_subnets") or []),
        "infrastructure_task_subnets": list(layout.get("task_subnets") or []),
    }
    for variable, subnets in asked.items():
        foreign = [s for s in subnets if s not in zones]
        if foreign:
            problems.append(
                f"{variable}: {', '.join(foreign)} {'is not a subnet' if len(foreign) == 1 else 'are not subnets'} of VPC {vpc_id}; "
                "give subnets of that VPC, or set infrastructure_vpc_id to the VPC they are in"
            )
    if not tasks:
        problems.append(f"VPC {vpc_id} has no subnets: create them, or give infrastructure_vpc_id of a VPC that has")

    if layout.get("existing_load_balancer"):
        # The load balancer was made elsewhere: its subnets and scheme are its owner's.
        if asked["infrastructure_load_balancer_subnets"]:
            problems.append(
                "infrastructure_load_balancer_subnets is for a load balancer the role creates; "
                "with infrastructure_load_balancer the existing one keeps its own subnets: drop it"
            )
        load_balancer = []
    known_lb = [s for s in load_balancer if s in zones]
    by_zone: dict[str, list[str]] = {}
    for subnet in known_lb:
        by_zone.setdefault(zones[subnet], []).append(subnet)
    crowded = {zone: subnets for zone, subnets in by_zone.items() if len(subnets) > 1}
    if crowded:
        problems.append(
            "an application load balancer takes one subnet per Availability Zone; the load balancer subnets have "
            + "; ".join(f"{', '.join(subnets)} in {zone}" for zone, subnets in sorted(crowded.items()))
            + ": keep one of each (infrastructure_load_balancer_subnets)"
        )
    elif known_lb and len(by_zone) < 2:
        problems.append(
            f"an application load balancer needs subnets in at least two Availability Zones; {', '.join(known_lb)} "
            f"{'is' if len(known_lb) == 1 else 'are'} in {', '.join(sorted(by_zone))} only (infrastructure_load_balancer_subnets)"
        )
    if load_balancer and layout.get("scheme", "internet-facing") == "internet-facing":
        private = [s for s in known_lb if s not in public]
        if private:
            problems.append(
                f"an internet-facing load balancer needs public subnets (a route to an internet gateway); {', '.join(private)} "
                f"{'has' if len(private) == 1 else 'have'} none: give public subnets as infrastructure_load_balancer_subnets, "
                "or set infrastructure_load_balancer_scheme to internal"
            )

    choice = _bool(layout.get("assign_public_ip", "auto"))
    known_tasks = [s for s in tasks if s in zones]
    if choice is None:
        public_tasks = [s for s in known_tasks if s in public]
        private_tasks = [s for s in known_tasks if s not in public]
        if public_tasks and private_tasks:
            problems.append(
                f"the task subnets mix public ({', '.join(public_tasks)}) and private ({', '.join(private_tasks)}) ones, so "
                "infrastructure_assign_public_ip: auto cannot choose; give one kind as infrastructure_task_subnets, or set "
                "infrastructure_assign_public_ip to true or false"
            )
        choice = bool(public_tasks) and not private_tasks
    return {
        "load_balancer_subnets": load_balancer,
        "task_subnets": tasks,
        "assign_public_ip": choice,
        "public_subnets": sorted(public),
        "problems": problems,
    }


class FilterModule:
    def filters(self) -> dict:
        return {"network_layout": network_layout}
