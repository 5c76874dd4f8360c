# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

DOCUMENTATION = r"""
name: listener_ingress
short_description: The inbound rules of a load balancer's security group, from who may reach each listener
version_added: 0.1.0
description:
  - Takes one entry per listener (its port, and the CIDRs and security groups that may reach it) and returns the
    O(amazon.aws.ec2_security_group#module:rules) that admit exactly those, one rule per kind of source.
  - A listener with no CIDR and no group gets no rule, so nobody reaches it. IPv6 CIDRs (with a C(:)) go to C(cidr_ipv6).
options:
  _input:
    description: One entry per listener.
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description: What the listener is, for the rules' descriptions (V(production), V(test)).
        type: str
        required: true
      port:
        description: The listener's port.
        type: int
        required: true
      cidrs:
        description: Source CIDRs, IPv4 or IPv6.
        type: list
        elements: str
      security_groups:
        description: Source security group IDs.
        type: list
        elements: str
"""

EXAMPLES = r"""
- name: Security group of the load balancer
  amazon.aws.ec2_security_group:
    name: web-alb
    description: Listeners of web
    rules: >-
      {{ [{'name': 'production', 'port': 443, 'cidrs': ['0.0.0.0/0', '::/0']},
          {'name': 'test', 'port': 9443, 'cidrs': ['10.0.0.0/16'], 'security_groups': ['sg-0123456789abcdef0']}]
         | cutover.ecs.listener_ingress }}
"""

RETURN = r"""
_value:
  description: Rules for O(amazon.aws.ec2_security_group#module:rules).
  type: list
  elements: dict
"""


def listener_ingress(listeners: list[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Rules of amazon.aws.ec2_security_group admitting each listener's sources on its port."""
    if not isinstance(listeners, list):
        raise TypeError(f"listener_ingress takes a list of listeners, got {type(listeners).__name__}")
    rules: list[dict[str, Any]] = []
    for listener in listeners:
        port = int(listener["port"])
        cidrs = [str(cidr) for cidr in listener.get("cidrs") or []]
        sources = {
            "cidr_ip": [cidr for cidr in cidrs if ":" not in cidr],
            "cidr_ipv6": [cidr for cidr in cidrs if ":" in cidr],
            "group_id": [str(group) for group in listener.get("security_groups") or []],
        }
        for key, values in sources.items():
            if values:
                rules.append({"proto": "tcp", "ports": [port], key: values, "rule_desc": f"{listener['name']} listener"})
    return rules


class FilterModule:
    def filters(self) -> dict:
        return {"listener_ingress": listener_ingress}
