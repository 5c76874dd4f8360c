#!/usr/bin/python
# Copyright: cutover.ecs contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: target_group
short_description: Create, update or delete an Elastic Load Balancing v2 target group
version_added: 0.1.0
description:
  - Makes sure a target group exists with the given protocol, port, health check, attributes and tags, or is gone.
  - Compares every managed field before acting, so a re-run with the same input makes no mutating call.
  - Options that are not given are not managed. AWS's defaults apply when the target group is created (they depend
    on the protocol; for HTTP the health check path is C(/) and the thresholds are 5 and 2), and the live values are
    left alone afterwards. The M(cutover.ecs.listener) and the roles of this collection set what they need.
  - AWS cannot change a target group's O(target_type), O(protocol), O(protocol_version), O(port), O(vpc_id) or
    O(ip_address_type). When one of them differs from the live target group the module fails before any change and
    says so.
  - Targets are not managed here. ECS registers and deregisters its tasks itself.
  - Supports check mode (the predicted target group is returned) and diff mode.
options:
  name:
    description: Name of the target group (up to 32 letters, digits and hyphens).
    type: str
    required: true
  state:
    description:
      - Whether the target group should exist.
      - AWS refuses to delete a target group that a listener or rule still forwards to.
    type: str
    choices: [present, absent]
    default: present
  target_type:
    description:
      - How targets are addressed. ECS tasks in C(awsvpc) network mode need C(ip).
      - AWS uses C(instance) when this is not given. Fixed at creation.
    type: str
    choices: [ip, instance, alb]
  protocol:
    description: Protocol the load balancer uses to reach the targets. Required to create the target group. Fixed at creation.
    type: str
    choices: [HTTP, HTTPS, TCP, TLS, UDP, TCP_UDP]
  protocol_version:
    description: C(HTTP1), C(HTTP2) or C(GRPC), for HTTP and HTTPS target groups. Fixed at creation.
    type: str
    choices: [HTTP1, HTTP2, GRPC]
  port:
    description: Port the targets receive traffic on, unless a target overrides it. Required to create the target group. Fixed at creation.
    type: int
  vpc_id:
    description: VPC of the target group. Required to create the target group. Fixed at creation.
    type: str
  ip_address_type:
    description: C(ipv4) or C(ipv6) targets. Fixed at creation.
    type: str
    choices: [ipv4, ipv6]
  health_check:
    description:
      - The health check. Each setting that is not given keeps its live value (AWS's default on creation).
    type: dict
    suboptions:
      enabled:
        description: Whether health checks are on.
        type: bool
      protocol:
        description: Protocol of the health check.
        type: str
        choices: [HTTP, HTTPS, TCP, TLS, UDP, TCP_UDP]
      port:
        description: Port of the health check, or C(traffic-port) for the port each target receives traffic on.
        type: str
      path:
        description: Path of an HTTP or HTTPS health check, for example C(/healthcheck).
        type: str
      interval_seconds:
        description: Seconds between health checks of one target.
        type: int
      timeout_seconds:
        description: Seconds without a response that make a health check fail.
        type: int
      healthy_threshold_count:
        description: Consecutive successes that make an unhealthy target healthy.
        type: int
      unhealthy_threshold_count:
        description: Consecutive failures that make a healthy target unhealthy.
        type: int
      http_code:
        description: HTTP codes that mean healthy, for example C(200), C(200-299) or C(200,204).
        type: str
      grpc_code:
        description: gRPC codes that mean healthy, for example C(0) or C(0-99), when O(protocol_version=GRPC).
        type: str
  deregistration_delay:
    description:
      - Seconds a deregistering target keeps its in-flight requests (the C(deregistration_delay.timeout_seconds)
        attribute). AWS's default is 300.
    type: int
    aliases: [deregistration_delay_timeout]
  attributes:
    description:
      - Other target group attributes by their AWS key, for example C(stickiness.enabled) or
        C(load_balancing.algorithm.type).
      - Values are compared as strings. Only the keys given are compared; other attributes are left as they are.
    type: dict
author:
  - cutover.ecs developers (@cutover-ecs)
extends_documentation_fragment:
  - amazon.aws.tags
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - cutover.ecs.boto3
"""

EXAMPLES = r"""
- name: The blue target group of an ECS service in awsvpc mode
  cutover.ecs.target_group:
    name: shop-blue
    target_type: ip
    protocol: HTTP
    port: 8080
    vpc_id: vpc-0a1b2c3d4e5f60718
    health_check:
      path: /healthcheck
      interval_seconds: 10
      timeout_seconds: 5
      healthy_threshold_count: 4
      unhealthy_threshold_count: 2
      http_code: "200"
    deregistration_delay: 30
    tags:
      team: payments

- name: Remove a target group nothing forwards to any more
  cutover.ecs.target_group:
    name: shop-old
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
target_group:
  description: The target group after the change (the prediction in check mode); empty when it is absent.
  returned: always
  type: dict
  contains:
    target_group_name:
      description: Name of the target group.
      type: str
      sample: shop-blue
    target_group_arn:
      description: ARN of the target group.
      type: str
      sample: arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/shop-blue/73e2d6bc24d8a067
    target_type:
      description: How targets are addressed.
      type: str
    protocol:
      description: Protocol to the targets.
      type: str
    protocol_version:
      description: Protocol version.
      type: str
    port:
      description: Port of the targets.
      type: int
    vpc_id:
      description: VPC of the target group.
      type: str
    health_check_enabled:
      description: Whether health checks are on.
      type: bool
    health_check_protocol:
      description: Protocol of the health check.
      type: str
    health_check_port:
      description: Port of the health check.
      type: str
    health_check_path:
      description: Path of the health check.
      type: str
    health_check_interval_seconds:
      description: Seconds between health checks.
      type: int
    health_check_timeout_seconds:
      description: Health check timeout.
      type: int
    healthy_threshold_count:
      description: Successes to become healthy.
      type: int
    unhealthy_threshold_count:
      description: Failures to become unhealthy.
      type: int
    matcher:
      description: C(http_code) or C(grpc_code) that mean healthy.
      type: dict
    load_balancer_arns:
      description: Load balancers that forward to this target group.
      type: list
      elements: str
    attributes:
      description: Every attribute AWS reports, by its AWS key, as strings.
      type: dict
    tags:
      description: Tags of the target group.
      type: dict
"""

from ansible_collections.cutover.ecs.plugins.module_utils._elbv2.ensure import ensure_target_group
from ansible_collections.cutover.ecs.plugins.module_utils._module import TAG_ARGS, build_module, run_module

PROTOCOLS = ["HTTP", "HTTPS", "TCP", "TLS", "UDP", "TCP_UDP"]

ARGUMENT_SPEC = dict(
    name=dict(type="str", required=True),
    state=dict(type="str", choices=["present", "absent"], default="present"),
    target_type=dict(type="str", choices=["ip", "instance", "alb"]),
    protocol=dict(type="str", choices=PROTOCOLS),
    protocol_version=dict(type="str", choices=["HTTP1", "HTTP2", "GRPC"]),
    port=dict(type="int"),
    vpc_id=dict(type="str"),
    ip_address_type=dict(type="str", choices=["ipv4", "ipv6"]),
    health_check=dict(
        type="dict",
        options=dict(
            enabled=dict(type="bool"),
            protocol=dict(type="str", choices=PROTOCOLS),
            port=dict(type="str"),
            path=dict(type="str"),
            interval_seconds=dict(type="int"),
            timeout_seconds=dict(type="int"),
            healthy_threshold_count=dict(type="int"),
            unhealthy_threshold_count=dict(type="int"),
            http_code=dict(type="str"),
            grpc_code=dict(type="str"),
        ),
        mutually_exclusive=[["http_code", "grpc_code"]],
    ),
    deregistration_delay=dict(type="int", aliases=["deregistration_delay_timeout"]),
    attributes=dict(type="dict"),
    **TAG_ARGS,
)


def main() -> None:
    run_module(build_module(ARGUMENT_SPEC), ensure_target_group)


if __name__ == "__main__":
    main()
