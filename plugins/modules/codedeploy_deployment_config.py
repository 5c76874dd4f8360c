#!/usr/bin/python
# Copyright: cutover.ecs contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: codedeploy_deployment_config
short_description: Create or delete a CodeDeploy deployment config for ECS traffic shifting
version_added: 0.1.0
description:
  - Makes sure a custom CodeDeploy deployment config for the ECS compute platform exists, or is gone.
  - The config says how production traffic moves from the blue to the green task set during a CodeDeploy
    blue/green deployment, all at once, as a canary (two steps) or linearly (equal steps).
  - B(Deployment configs cannot be changed on AWS.) When a config of that name exists with other settings, the
    module fails by default and tells you to use a new name, without changing anything. With O(replace=true) it
    deletes the config and creates it again with the new settings instead; AWS refuses that while a deployment
    group uses the config.
  - The predefined C(CodeDeployDefault.*) configs, for example C(CodeDeployDefault.ECSAllAtOnce) or
    C(CodeDeployDefault.ECSCanary10Percent5Minutes), belong to AWS. They cannot be created or deleted, and this
    module refuses those names; refer to them by name in M(cutover.ecs.codedeploy_deployment_group) instead.
  - Bad input (for example a percentage outside 1..99) fails before any AWS call.
  - Supports check mode (the predicted config is returned) and diff mode. A re-run with the same input makes no
    mutating call.
  - A config is usable as soon as it is created, so the module has no wait options.
options:
  name:
    description: Name of the deployment config. Must not start with C(CodeDeployDefault.).
    type: str
    required: true
    aliases: [deployment_config_name]
  state:
    description: Whether the deployment config should exist.
    type: str
    choices: [present, absent]
    default: present
  traffic_routing:
    description:
      - How production traffic is shifted to the green task set.
      - When not given, an existing config is left as it is, and a new one is created with V(AllAtOnce).
    type: dict
    suboptions:
      type:
        description:
          - V(AllAtOnce) shifts all traffic at once.
          - V(TimeBasedCanary) shifts O(traffic_routing.percentage) percent first and the rest
            O(traffic_routing.interval) minutes later.
          - V(TimeBasedLinear) shifts O(traffic_routing.percentage) percent every O(traffic_routing.interval)
            minutes until all traffic is shifted.
        type: str
        choices: [AllAtOnce, TimeBasedCanary, TimeBasedLinear]
        default: AllAtOnce
      percentage:
        description:
          - Percentage of traffic in the first step (canary) or in every step (linear), 1 to 99.
          - Required for V(TimeBasedCanary) and V(TimeBasedLinear), not allowed for V(AllAtOnce).
        type: int
      interval:
        description:
          - Minutes between the two steps (canary) or between steps (linear), 1 to 2880.
          - Required for V(TimeBasedCanary) and V(TimeBasedLinear), not allowed for V(AllAtOnce).
        type: int
  replace:
    description:
      - What to do when the config exists with other settings, which AWS cannot change in place.
      - V(false) fails with a message that names the differences.
      - V(true) deletes the config and creates it again (a new config ID). This fails while a deployment group
        uses the config; point the groups at another config first.
    type: bool
    default: false
author:
  - cutover.ecs developers (@cutover-ecs)
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - cutover.ecs.boto3
"""

EXAMPLES = r"""
- name: Canary, 20 percent first and the rest after 10 minutes
  cutover.ecs.codedeploy_deployment_config:
    name: shop-canary-20-10
    traffic_routing:
      type: TimeBasedCanary
      percentage: 20
      interval: 10

- name: Linear, 25 percent every 2 minutes
  cutover.ecs.codedeploy_deployment_config:
    name: shop-linear-25-2
    traffic_routing:
      type: TimeBasedLinear
      percentage: 25
      interval: 2

- name: Change a config in place (delete and create again); fails while a group uses it
  cutover.ecs.codedeploy_deployment_config:
    name: shop-linear-25-2
    traffic_routing:
      type: TimeBasedLinear
      percentage: 50
      interval: 2
    replace: true

- name: Remove a config
  cutover.ecs.codedeploy_deployment_config:
    name: shop-canary-20-10
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
deployment_config:
  description: The deployment config after the change (the prediction in check mode); empty when it is absent.
  returned: always
  type: dict
  contains:
    deployment_config_name:
      description: Name of the config.
      type: str
      sample: shop-canary-20-10
    deployment_config_id:
      description: ID of the config (not known in check mode before it exists).
      type: str
    compute_platform:
      description: Always C(ECS) for configs this module creates.
      type: str
      sample: ECS
    traffic_routing_config:
      description: The traffic routing, as CodeDeploy reports it.
      type: dict
      contains:
        type:
          description: V(AllAtOnce), V(TimeBasedCanary) or V(TimeBasedLinear).
          type: str
        time_based_canary:
          description: C(canary_percentage) and C(canary_interval) (minutes) of a canary config.
          type: dict
          returned: for canary configs
        time_based_linear:
          description: C(linear_percentage) and C(linear_interval) (minutes) of a linear config.
          type: dict
          returned: for linear configs
      sample: {type: TimeBasedCanary, time_based_canary: {canary_percentage: 20, canary_interval: 10}}
    create_time:
      description: When the config was created, in ISO 8601.
      type: str
"""

from ansible_collections.cutover.ecs.plugins.module_utils._codedeploy.ensure import ensure_deployment_config
from ansible_collections.cutover.ecs.plugins.module_utils._module import build_module, run_module

ARGUMENT_SPEC = dict(
    name=dict(type="str", required=True, aliases=["deployment_config_name"]),
    state=dict(type="str", choices=["present", "absent"], default="present"),
    traffic_routing=dict(
        type="dict",
        options=dict(
            type=dict(type="str", choices=["AllAtOnce", "TimeBasedCanary", "TimeBasedLinear"], default="AllAtOnce"),
            percentage=dict(type="int"),
            interval=dict(type="int"),
        ),
    ),
    replace=dict(type="bool", default=False),
)


def main() -> None:
    run_module(build_module(ARGUMENT_SPEC), ensure_deployment_config)


if __name__ == "__main__":
    main()
