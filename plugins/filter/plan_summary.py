# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

DOCUMENTATION = r"""
name: plan_summary
short_description: What a play's resource tasks did, or would do in check mode, one entry per resource
version_added: 0.1.0
description:
  - Takes the registered results of resource tasks, keyed by a label for each resource, and returns the resources
    that were (or, in check mode, would be) created, updated or deleted, with the fields that differ.
  - A result of a cutover.ecs module carries C(plan) (C(action) and C(fields)); a result of another module that
    changed becomes C(action=change) without fields. A loop's result gives one entry per item, labelled with it.
    Skipped tasks and results that did not change (a task that only planned, with C(changed_when)) are left out.
options:
  _input:
    description: Label of each resource to its registered result (or a loop's registered result).
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: What the play would change
  ansible.builtin.debug:
    msg: "{{ {'target group': target_groups, 'service': service} | cutover.ecs.plan_summary }}"
"""

RETURN = r"""
_value:
  description: One entry per resource that changes, in the order of the input.
  type: list
  elements: dict
  contains:
    resource:
      description: The label, with the loop item for a loop's result (C(target group blue)).
      type: str
    action:
      description: V(create), V(update), V(delete), or V(change) for a module that does not say which.
      type: str
    fields:
      description: The fields that differ, as the AWS API names them; empty when the module does not say.
      type: list
      elements: str
    line:
      description: "The entry as one line of text, for example C(update target group blue: HealthyThresholdCount)."
      type: str
"""


def _entries(label: str, result: Any) -> list[dict]:
    if not isinstance(result, Mapping) or result.get("skipped"):
        return []
    if isinstance(result.get("results"), list):
        entries: list[dict] = []
        for item in result["results"]:
            name = item.get("item") if isinstance(item, Mapping) else None
            entries += _entries(f"{label} {name}" if name is not None else label, item)
        return entries
    if not result.get("changed"):
        return []
    plan = result.get("plan")
    if isinstance(plan, Mapping) and plan.get("action") in ("create", "update", "delete"):
        return [_entry(label, plan["action"], list(plan.get("fields") or []))]
    return [_entry(label, "change", [])]


def _entry(label: str, action: str, fields: list) -> dict:
    line = f"{action} {label}" + (f": {', '.join(fields)}" if fields and action == "update" else "")
    return {"resource": label, "action": action, "fields": fields, "line": line}


def plan_summary(results: Mapping[str, Any]) -> list[dict]:
    """The resources of ``results`` (label to registered result) that change, with their fields."""
    if not isinstance(results, Mapping):
        raise TypeError(f"plan_summary takes a dict of label to registered result, got {type(results).__name__}")
    summary: list[dict] = []
    for label, result in results.items():
        summary += _entries(str(label), result)
    return summary


class FilterModule:
    def filters(self) -> dict:
        return {"plan_summary": plan_summary}
