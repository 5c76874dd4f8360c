#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: cutover.ecs contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: cluster
short_description: Create, update or delete an Amazon ECS cluster
version_added: 0.1.0
description:
  - Makes sure an ECS cluster exists with the given settings, capacity providers and tags, or is gone.
  - Compares every managed field before acting, so a re-run with the same input makes no mutating call.
  - Supports check mode (the predicted cluster is returned) and diff mode.
options:
  name:
    description: Name of the cluster.
    type: str
    required: true
  state:
    description: Whether the cluster should exist.
    type: str
    choices: [present, absent]
    default: present
  container_insights:
    description:
      - Value of the C(containerInsights) cluster setting.
      - Left as it is when not given.
    type: str
    choices: [enabled, disabled, enhanced]
  capacity_providers:
    description:
      - Capacity providers associated with the cluster, for example C(FARGATE) and C(FARGATE_SPOT).
      - Compared as a set. Left as they are when not given.
    type: list
    elements: str
  purge_capacity_providers:
    description:
      - V(false) adds O(capacity_providers) to those the cluster has and removes none, for a cluster that other
        services share (a provider in use by a service cannot be removed anyway).
      - V(true) makes the cluster's capacity providers exactly O(capacity_providers).
    type: bool
    default: true
  default_capacity_provider_strategy:
    description:
      - The default capacity provider strategy of the cluster.
      - Compared as a set. Left as it is when not given.
    type: list
    elements: dict
    suboptions:
      capacity_provider:
        description: Name of the capacity provider.
        type: str
        required: true
      weight:
        description: Relative share of tasks placed with this provider.
        type: int
        default: 0
      base:
        description: Minimum number of tasks placed with this provider.
        type: int
        default: 0
author:
  - cutover.ecs developers (@cutover-ecs)
extends_documentation_fragment:
  - amazon.aws.tags
  - cutover.ecs.wait
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - cutover.ecs.boto3
"""

EXAMPLES = r"""
- name: Make sure the cluster exists with Container Insights
  cutover.ecs.cluster:
    name: shop
    container_insights: enabled
    capacity_providers: [FARGATE, FARGATE_SPOT]
    default_capacity_provider_strategy:
      - capacity_provider: FARGATE
        weight: 1
        base: 1
    tags:
      team: payments

- name: Remove the cluster
  cutover.ecs.cluster:
    name: shop
    state: absent
"""

RETURN = r"""
plan:
  description:
    - What this run did to the resource, or would do in check mode, for a plan or a report.
    - C(action) is V(create), V(update), V(delete) or V(none); C(fields) names the fields that differ, as the AWS API
      names them (every given field for a create, none for a delete).
  returned: always
  type: dict
  contains:
    action:
      description: V(create), V(update), V(delete) or V(none).
      type: str
      sample: update
    fields:
      description: The fields that differ, sorted.
      type: list
      elements: str
      sample: [HealthyThresholdCount]
cluster:
  description: The cluster after the change (the prediction in check mode); empty when it is absent.
  returned: always
  type: dict
  contains:
    cluster_name:
      description: Name of the cluster.
      type: str
      sample: shop
    cluster_arn:
      description: ARN of the cluster.
      type: str
      sample: arn:aws:ecs:us-east-1:123456789012:cluster/shop
    status:
      description: Status of the cluster.
      type: str
      sample: ACTIVE
    settings:
      description: The C(containerInsights) setting.
      type: list
      elements: dict
    capacity_providers:
      description: Capacity providers of the cluster.
      type: list
      elements: str
    default_capacity_provider_strategy:
      description: The default capacity provider strategy.
      type: list
      elements: dict
    tags:
      description: Tags of the cluster.
      type: dict
"""

from ansible_collections.cutover.ecs.plugins.module_utils._ecs.ensure import ensure_cluster
from ansible_collections.cutover.ecs.plugins.module_utils._module import TAG_ARGS, WAIT_ARGS, build_module, run_module

ARGUMENT_SPEC = dict(
    name=dict(type="str", required=True),
    state=dict(type="str", choices=["present", "absent"], default="present"),
    container_insights=dict(type="str", choices=["enabled", "disabled", "enhanced"]),
    capacity_providers=dict(type="list", elements="str"),
    purge_capacity_providers=dict(type="bool", default=True),
    default_capacity_provider_strategy=dict(
        type="list",
        elements="dict",
        options=dict(
            capacity_provider=dict(type="str", required=True),
            weight=dict(type="int", default=0),
            base=dict(type="int", default=0),
        ),
    ),
    **TAG_ARGS,
    **WAIT_ARGS,
)


def main() -> None:
    run_module(build_module(ARGUMENT_SPEC), ensure_cluster)


if __name__ == "__main__":
    main()
