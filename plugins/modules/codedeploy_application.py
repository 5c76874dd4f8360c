#!/usr/bin/python
# Copyright: cutover.ecs contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: codedeploy_application
short_description: Create or delete an AWS CodeDeploy application
version_added: 0.1.0
description:
  - Makes sure a CodeDeploy application exists with the given compute platform and tags, or is gone.
  - An application holds the deployment groups (see M(cutover.ecs.codedeploy_deployment_group)) that run
    blue/green deployments of an ECS service.
  - CodeDeploy cannot change an application's compute platform. When an application of that name exists
    with another platform, the module fails and says how to proceed, without changing anything.
  - Compares every managed field before acting, so a re-run with the same input makes no mutating call.
  - Supports check mode (the predicted application is returned) and diff mode.
  - An application is usable as soon as it is created, so the module has no wait options.
options:
  name:
    description: Name of the application.
    type: str
    required: true
    aliases: [application_name]
  state:
    description:
      - Whether the application should exist.
      - V(absent) also deletes the application's deployment groups, as CodeDeploy does.
    type: str
    choices: [present, absent]
    default: present
  compute_platform:
    description:
      - The compute platform of the application. Cannot be changed once the application exists.
      - The other modules of this collection work with V(ECS) applications.
    type: str
    choices: [ECS, Server, Lambda]
    default: ECS
author:
  - cutover.ecs developers (@cutover-ecs)
extends_documentation_fragment:
  - amazon.aws.tags
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - cutover.ecs.boto3
notes:
  - Tags are read and written through the application's ARN, which CodeDeploy does not return; the module builds
    it from C(sts:GetCallerIdentity), so the caller needs that permission (every principal has it by default).
"""

EXAMPLES = r"""
- name: Make sure the CodeDeploy application for the shop exists
  cutover.ecs.codedeploy_application:
    name: shop
    tags:
      team: payments

- name: Remove the application and its deployment groups
  cutover.ecs.codedeploy_application:
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
application:
  description: The application after the change (the prediction in check mode); empty when it is absent.
  returned: always
  type: dict
  contains:
    application_name:
      description: Name of the application.
      type: str
      sample: shop
    application_id:
      description: ID of the application (not known in check mode before it exists).
      type: str
      sample: 6f6b3c2e-1c6e-4a52-9a55-6b1a2f1d2a10
    compute_platform:
      description: Compute platform of the application.
      type: str
      sample: ECS
    create_time:
      description: When the application was created, in ISO 8601.
      type: str
      sample: "2025-01-01T12:00:00+00:00"
    tags:
      description: Tags of the application.
      type: dict
      sample: {team: payments}
"""

from ansible_collections.cutover.ecs.plugins.module_utils._codedeploy.ensure import ensure_application
from ansible_collections.cutover.ecs.plugins.module_utils._module import TAG_ARGS, build_module, run_module

ARGUMENT_SPEC = dict(
    name=dict(type="str", required=True, aliases=["application_name"]),
    state=dict(type="str", choices=["present", "absent"], default="present"),
    compute_platform=dict(type="str", choices=["ECS", "Server", "Lambda"], default="ECS"),
    **TAG_ARGS,
)


def main() -> None:
    run_module(build_module(ARGUMENT_SPEC), ensure_application)


if __name__ == "__main__":
    main()
