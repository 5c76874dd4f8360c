#!/usr/bin/python
# Copyright: cutover.ecs contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: service_info
short_description: Read one Amazon ECS service
version_added: 0.1.0
description:
  - Returns an ECS service as DescribeServices reports it, in snake_case, or O(ignore:exists=false) when it is missing.
  - Makes read calls only, so it runs the same in check mode.
options:
  cluster:
    description: Name or ARN of the cluster.
    type: str
    default: default
  name:
    description: Name or ARN of the service.
    type: str
    required: true
author:
  - cutover.ecs developers (@cutover-ecs)
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - cutover.ecs.boto3
"""

EXAMPLES = r"""
- name: Find out whether the service exists yet
  cutover.ecs.service_info:
    cluster: shop
    name: web
  register: web

- name: Show its task definition
  ansible.builtin.debug:
    msg: "{{ web.service.task_definition if web.exists else 'not created yet' }}"
"""

RETURN = r"""
exists:
  description: Whether the service exists (and is not INACTIVE).
  returned: always
  type: bool
  sample: true
service:
  description:
    - The service as DescribeServices returns it, in snake_case; empty when it does not exist.
    - C(tags) is a dict of key to value, as every module of this collection returns tags, with the keys as they are.
  returned: always
  type: dict
  sample:
    service_name: web
    status: ACTIVE
    desired_count: 2
    task_definition: arn:aws:ecs:us-east-1:123456789012:task-definition/web:3
    tags: {Team.Name: payments}
"""

from ansible_collections.cutover.ecs.plugins.module_utils._ecs.ensure import describe_service_info
from ansible_collections.cutover.ecs.plugins.module_utils._module import build_module, run_module

ARGUMENT_SPEC = dict(
    cluster=dict(type="str", default="default"),
    name=dict(type="str", required=True),
)


def main() -> None:
    run_module(build_module(ARGUMENT_SPEC), describe_service_info)


if __name__ == "__main__":
    main()
