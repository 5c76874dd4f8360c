#!/usr/bin/python
# Copyright: cutover.ecs contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: load_balancer
short_description: Create, update or delete an Application or Network Load Balancer
version_added: 0.1.0
description:
  - Makes sure an Elastic Load Balancing v2 load balancer (ALB or NLB) exists with the given subnets, security groups,
    IP address type, attributes and tags, or is gone.
  - Compares every managed field before acting, so a re-run with the same input makes no mutating call.
  - Options that are not given are not managed. AWS's defaults apply when the load balancer is created, and the live
    values are left alone afterwards.
  - AWS cannot change a load balancer's O(type) or O(scheme). When they differ from the live load balancer the module
    fails before any change and says so; delete the load balancer and create it again (its DNS name changes).
  - Listeners are managed by M(cutover.ecs.listener).
  - Supports check mode (the predicted load balancer is returned) and diff mode.
options:
  name:
    description: Name of the load balancer.
    type: str
    required: true
  state:
    description: Whether the load balancer should exist. Deleting it also deletes its listeners.
    type: str
    choices: [present, absent]
    default: present
  type:
    description:
      - The kind of load balancer. AWS creates an C(application) load balancer when this is not given.
      - Fixed at creation.
    type: str
    choices: [application, network]
  scheme:
    description:
      - Whether the load balancer has public addresses. AWS uses C(internet-facing) when this is not given.
      - Fixed at creation.
    type: str
    choices: [internet-facing, internal]
  subnets:
    description:
      - IDs of the subnets the load balancer lives in, at most one per Availability Zone.
      - Required to create the load balancer. Compared as a set.
    type: list
    elements: str
  security_groups:
    description:
      - Security groups of the load balancer, by ID (C(sg-...)) or by name. Names are looked up in the VPC of the
        load balancer (or of its first subnet when it is created).
      - Compared as a set of IDs. A Network Load Balancer only takes security groups when it was created with some.
    type: list
    elements: str
  ip_address_type:
    description: The IP address type of the load balancer.
    type: str
    choices: [ipv4, dualstack, dualstack-without-public-ipv4]
  attributes:
    description:
      - Load balancer attributes by their AWS key, for example C(idle_timeout.timeout_seconds),
        C(deletion_protection.enabled) or C(routing.http2.enabled).
      - Values are compared as strings (V(true) becomes C(true), V(60) becomes C(60)). Only the keys given are
        compared; other attributes are left as they are.
    type: dict
notes:
  - O(wait) waits until the load balancer is C(active) after a change, and until it is gone after a delete.
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
- name: An internet-facing ALB in two public subnets
  cutover.ecs.load_balancer:
    name: shop
    type: application
    scheme: internet-facing
    subnets: [subnet-0a1b2c3d4e5f60718, subnet-0f1e2d3c4b5a69788]
    security_groups: [shop-alb]
    attributes:
      idle_timeout.timeout_seconds: 30
      routing.http2.enabled: true
    tags:
      team: payments

- name: Remove the load balancer and wait until it is gone
  cutover.ecs.load_balancer:
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
load_balancer:
  description: The load balancer after the change (the prediction in check mode); empty when it is absent.
  returned: always
  type: dict
  contains:
    load_balancer_name:
      description: Name of the load balancer.
      type: str
      sample: shop
    load_balancer_arn:
      description: ARN of the load balancer.
      type: str
      sample: arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/shop/50dc6c495c0c9188
    dns_name:
      description: DNS name of the load balancer.
      type: str
      sample: shop-1234567890.us-east-1.elb.amazonaws.com
    canonical_hosted_zone_id:
      description: Route 53 hosted zone of the load balancer, for alias records.
      type: str
    type:
      description: C(application) or C(network).
      type: str
    scheme:
      description: C(internet-facing) or C(internal).
      type: str
    state:
      description: State of the load balancer, for example C({"code":"active"}).
      type: dict
    vpc_id:
      description: VPC of the load balancer.
      type: str
    subnets:
      description: Subnet IDs, sorted.
      type: list
      elements: str
    availability_zones:
      description: Zone name and subnet of each Availability Zone.
      type: list
      elements: dict
    security_groups:
      description: Security group IDs, sorted.
      type: list
      elements: str
    ip_address_type:
      description: IP address type.
      type: str
    attributes:
      description: Every attribute AWS reports, by its AWS key, as strings.
      type: dict
    tags:
      description: Tags of the load balancer.
      type: dict
    created_time:
      description: When the load balancer was created (ISO 8601).
      type: str
"""

from ansible_collections.cutover.ecs.plugins.module_utils._elbv2.ensure import ensure_load_balancer
from ansible_collections.cutover.ecs.plugins.module_utils._module import TAG_ARGS, WAIT_ARGS, build_module, run_module

ARGUMENT_SPEC = dict(
    name=dict(type="str", required=True),
    state=dict(type="str", choices=["present", "absent"], default="present"),
    type=dict(type="str", choices=["application", "network"]),
    scheme=dict(type="str", choices=["internet-facing", "internal"]),
    subnets=dict(type="list", elements="str"),
    security_groups=dict(type="list", elements="str"),
    ip_address_type=dict(type="str", choices=["ipv4", "dualstack", "dualstack-without-public-ipv4"]),
    attributes=dict(type="dict"),
    **TAG_ARGS,
    **WAIT_ARGS,
)


def main() -> None:
    run_module(build_module(ARGUMENT_SPEC), ensure_load_balancer)


if __name__ == "__main__":
    main()
