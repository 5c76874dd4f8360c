#!/usr/bin/python
# Copyright: cutover.ecs contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: service
short_description: Create, update or delete an Amazon ECS service, blue/green aware
version_added: 0.1.0
description:
  - Makes sure an ECS service exists with the given settings, or is gone.
  - Compares every option given with the live service (the whole deployment configuration, load balancers with their
    advanced configuration, network configuration, capacity providers, counts, tags ...) and sends only what differs.
    An option left out is left as it is.
  - For a V(CODE_DEPLOY) or V(EXTERNAL) service it never sends the task definition, load balancers, network
    configuration, platform version or capacity provider strategy to UpdateService, which AWS rejects; they change
    only through a deployment. A difference there is reported as RV(deployment_required) with the fields and the diff,
    and does not make the task changed.
  - A target group swapped by a blue/green deployment is not drift. For ECS blue/green the live target group may be
    the one in O(load_balancers[].target_group_arn) or in its O(load_balancers[].advanced_configuration.alternate_target_group_arn);
    for CODE_DEPLOY either one of O(target_group_pair).
  - With O(wait=true) the module waits until the deployment has finished, not until the counts match. For the ECS
    controller that is the PRIMARY deployment's C(rolloutState) C(COMPLETED); a C(FAILED) rollout fails the task with
    its reason. For CODE_DEPLOY and EXTERNAL it is every task set in C(STEADY_STATE) with the running count at the
    desired count.
  - Bad input fails before any change, with a message that says what to change. For example a load balancer container
    or port the task definition does not have, or a setting the deployment controller cannot take.
  - Supports check mode (the predicted service is returned) and diff mode.
options:
  name:
    description: Name of the service.
    type: str
    required: true
    aliases: [service]
  cluster:
    description:
      - Name or ARN of the cluster.
      - In check mode a cluster that does not exist yet gives a warning, not an error.
    type: str
    default: default
  state:
    description:
      - V(present) creates or updates the service.
      - V(absent) scales it to 0, deletes it and, with O(wait=true), waits until it is INACTIVE.
    type: str
    choices: [present, absent]
    default: present
  force_delete:
    description: With O(state=absent), delete without scaling to 0 first.
    type: bool
    default: false
    aliases: [force_deletion]
  task_definition:
    description:
      - The task definition, as a family (its latest ACTIVE revision), V(family:revision) or ARN. It is resolved to an
        ARN before comparing.
      - Required to create the service (unless the controller is V(EXTERNAL)).
      - In check mode a task definition that does not exist yet (registered by an earlier task in a real run) gives a
        warning, not an error.
    type: str
  desired_count:
    description:
      - Number of tasks. Required to create a V(REPLICA) service.
      - Left out, the live count is kept, for example when Application Auto Scaling owns it.
    type: int
  launch_type:
    description:
      - Launch type. Fixed once the service exists; a service may move to a O(capacity_provider_strategy) later.
    type: str
    choices: [EC2, FARGATE, EXTERNAL, MANAGED_INSTANCES]
  capacity_provider_strategy:
    description: Capacity provider strategy, compared as a set. Excludes O(launch_type).
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
  platform_version:
    description: Fargate platform version, for example V(LATEST) or V(1.4.0).
    type: str
  scheduling_strategy:
    description: Scheduling strategy. Fixed once the service exists.
    type: str
    choices: [REPLICA, DAEMON]
  deployment_controller:
    description:
      - The deployment controller. Defaults to V(ECS) when the service is created.
      - Fixed once the service exists; asking for another one fails with a message to recreate the service.
    type: str
    choices: [ECS, CODE_DEPLOY, EXTERNAL]
  deployment_configuration:
    description:
      - The whole deployment configuration. Parts left out take AWS's defaults (200/100 percent, circuit breaker and
        alarms off, strategy V(ROLLING), no lifecycle hooks), so removing a part turns it off.
      - O(deployment_configuration.bake_time_in_minutes), O(deployment_configuration.linear_configuration) and
        O(deployment_configuration.canary_configuration) are compared only when given.
      - The circuit breaker, alarms, strategies other than V(ROLLING) and lifecycle hooks need the V(ECS) controller.
      - Left out altogether, the deployment configuration is left as it is.
    type: dict
    suboptions:
      maximum_percent:
        description: Upper limit of running and pending tasks during a deployment, in percent of the desired count.
        type: int
      minimum_healthy_percent:
        description: Lower limit of healthy tasks during a deployment, in percent of the desired count.
        type: int
      deployment_circuit_breaker:
        description: The rolling deployment circuit breaker.
        type: dict
        suboptions:
          enable:
            description: Fail a deployment that cannot reach a steady state.
            type: bool
            default: false
          rollback:
            description: Roll a failed deployment back to the last completed one.
            type: bool
            default: false
      alarms:
        description: CloudWatch alarms that fail a deployment.
        type: dict
        suboptions:
          alarm_names:
            description: Names of the alarms, compared as a set.
            type: list
            elements: str
          enable:
            description: Watch the alarms.
            type: bool
            default: false
          rollback:
            description: Roll back when an alarm fires.
            type: bool
            default: false
      strategy:
        description: ECS-native deployment strategy.
        type: str
        choices: [ROLLING, BLUE_GREEN, LINEAR, CANARY]
      bake_time_in_minutes:
        description: How long blue and green both run after production traffic has shifted.
        type: int
      linear_configuration:
        description: Traffic steps of a V(LINEAR) deployment.
        type: dict
        suboptions:
          step_percent:
            description: Percent of traffic shifted per step.
            type: float
          step_bake_time_in_minutes:
            description: Minutes between steps.
            type: int
      canary_configuration:
        description: The canary of a V(CANARY) deployment.
        type: dict
        suboptions:
          canary_percent:
            description: Percent of traffic shifted first.
            type: float
          canary_bake_time_in_minutes:
            description: Minutes before the rest shifts.
            type: int
      lifecycle_hooks:
        description: Hooks that run a Lambda function or pause the deployment at given stages; compared as a set.
        type: list
        elements: dict
        suboptions:
          target_type:
            description: What the hook does.
            type: str
            choices: [AWS_LAMBDA, PAUSE]
            default: AWS_LAMBDA
          hook_target_arn:
            description: ARN of the Lambda function (V(AWS_LAMBDA) hooks).
            type: str
          role_arn:
            description: Role ECS uses to invoke the function.
            type: str
          lifecycle_stages:
            description: Stages the hook runs at, for example V(POST_TEST_TRAFFIC_SHIFT).
            type: list
            elements: str
            required: true
          hook_details:
            description: Custom parameters passed to the function.
            type: raw
          timeout_configuration:
            description: What happens when the hook does not answer.
            type: dict
            suboptions:
              timeout_in_minutes:
                description: Minutes to wait.
                type: int
              action:
                description: What to do then.
                type: str
                choices: [ROLLBACK, CONTINUE]
  load_balancers:
    description:
      - Load balancers of the service. Each container and port must exist in the task definition.
      - Compared as a set. A blue/green swap of the target groups is not a difference (see O(target_group_pair)).
    type: list
    elements: dict
    suboptions:
      target_group_arn:
        description: ARN of the (production) target group.
        type: str
      load_balancer_name:
        description: Name of a Classic Load Balancer.
        type: str
      container_name:
        description: Container that receives the traffic.
        type: str
        required: true
      container_port:
        description: Port of that container; one of its C(portMappings).
        type: int
        required: true
      advanced_configuration:
        description: ECS-native blue/green settings (V(ECS) controller only).
        type: dict
        suboptions:
          alternate_target_group_arn:
            description: ARN of the alternate target group.
            type: str
            required: true
          production_listener_rule:
            description: ARN of the production listener rule (ALB) or listener (NLB).
            type: str
          test_listener_rule:
            description: ARN of the test listener rule (ALB) or listener (NLB).
            type: str
          role_arn:
            description: Role ECS uses to change the load balancer.
            type: str
  target_group_pair:
    description:
      - For a V(CODE_DEPLOY) or V(EXTERNAL) service, the two target groups a deployment swaps between (those of the
        CodeDeploy deployment group). The live target group may be either without being drift.
      - Must contain the O(load_balancers[].target_group_arn).
    type: list
    elements: str
  network_configuration:
    description: The C(awsvpc) network configuration; subnets and security groups are compared as sets.
    type: dict
    suboptions:
      subnets:
        description: Subnet IDs.
        type: list
        elements: str
        required: true
      security_groups:
        description: Security group IDs.
        type: list
        elements: str
      assign_public_ip:
        description: Give tasks a public IP.
        type: bool
        default: false
  health_check_grace_period_seconds:
    description: Seconds the scheduler ignores failing load balancer health checks of a new task.
    type: int
  propagate_tags:
    description: Where tasks take their tags from.
    type: str
    choices: [TASK_DEFINITION, SERVICE, NONE]
  enable_ecs_managed_tags:
    description: Let ECS tag the tasks with the cluster and service names.
    type: bool
  enable_execute_command:
    description: Allow ECS Exec into the tasks.
    type: bool
  availability_zone_rebalancing:
    description: Let ECS rebalance tasks across Availability Zones.
    type: str
    choices: [ENABLED, DISABLED]
  placement_constraints:
    description: Task placement constraints (C(type), C(expression)), compared as a set.
    type: list
    elements: dict
  placement_strategy:
    description: Task placement strategy (C(type), C(field)), in order.
    type: list
    elements: dict
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
- name: A rolling service behind an ALB, with the circuit breaker
  cutover.ecs.service:
    name: shop-web
    cluster: shop
    task_definition: shop-web
    desired_count: 2
    launch_type: FARGATE
    deployment_configuration:
      maximum_percent: 200
      minimum_healthy_percent: 100
      deployment_circuit_breaker:
        enable: true
        rollback: true
    load_balancers:
      - target_group_arn: arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/shop-blue/0123456789abcdef
        container_name: web
        container_port: 8080
    network_configuration:
      subnets: [subnet-0a1b2c3d, subnet-4e5f6a7b]
      security_groups: [sg-0123456789abcdef0]
    health_check_grace_period_seconds: 30
    tags:
      team: payments

- name: A service deployed by CodeDeploy blue/green
  cutover.ecs.service:
    name: shop-api
    cluster: shop
    task_definition: shop-api
    desired_count: 2
    launch_type: FARGATE
    deployment_controller: CODE_DEPLOY
    load_balancers:
      - target_group_arn: arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/api-blue/0123456789abcdef
        container_name: api
        container_port: 8080
    target_group_pair:
      - arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/api-blue/0123456789abcdef
      - arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/api-green/fedcba9876543210
    network_configuration:
      subnets: [subnet-0a1b2c3d, subnet-4e5f6a7b]
      security_groups: [sg-0123456789abcdef0]
  register: api_service

- name: An ECS-native blue/green service that pauses for verification
  cutover.ecs.service:
    name: shop-cart
    cluster: shop
    task_definition: shop-cart
    desired_count: 2
    launch_type: FARGATE
    deployment_configuration:
      strategy: BLUE_GREEN
      bake_time_in_minutes: 5
      lifecycle_hooks:
        - target_type: PAUSE
          lifecycle_stages: [POST_TEST_TRAFFIC_SHIFT]
    load_balancers:
      - target_group_arn: arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/cart-blue/0123456789abcdef
        container_name: cart
        container_port: 8080
        advanced_configuration:
          alternate_target_group_arn: arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/cart-green/fedcba9876543210
          production_listener_rule: arn:aws:elasticloadbalancing:us-east-1:123456789012:listener-rule/app/shop/0123456789abcdef/0a1b2c3d/4e5f6a7b
          test_listener_rule: arn:aws:elasticloadbalancing:us-east-1:123456789012:listener-rule/app/shop/0123456789abcdef/0a1b2c3d/8c9d0e1f
          role_arn: arn:aws:iam::123456789012:role/ecsInfrastructureRoleForLoadBalancers
    network_configuration:
      subnets: [subnet-0a1b2c3d, subnet-4e5f6a7b]
      security_groups: [sg-0123456789abcdef0]

- name: Remove the service
  cutover.ecs.service:
    name: shop-web
    cluster: shop
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
service:
  description:
    - The service after the run (the prediction in check mode) in snake_case; empty when it is absent.
    - After a change it also holds up to 5 recent C(events).
  returned: always
  type: dict
  contains:
    service_name:
      description: Name of the service.
      type: str
      sample: shop-web
    service_arn:
      description: ARN of the service.
      type: str
      sample: arn:aws:ecs:us-east-1:123456789012:service/shop/shop-web
    status:
      description: Status of the service.
      type: str
      sample: ACTIVE
    task_definition:
      description: ARN of the task definition the service runs.
      type: str
    desired_count:
      description: Desired number of tasks.
      type: int
    running_count:
      description: Running tasks.
      type: int
    deployment_controller:
      description: The deployment controller.
      type: dict
      sample: {type: ECS}
    deployment_configuration:
      description: The deployment configuration.
      type: dict
    deployments:
      description: The deployments of an ECS-controlled service, with their C(rollout_state).
      type: list
      elements: dict
    task_sets:
      description: The task sets of a CODE_DEPLOY or EXTERNAL service.
      type: list
      elements: dict
    load_balancers:
      description: The load balancers.
      type: list
      elements: dict
    network_configuration:
      description: The network configuration.
      type: dict
    tags:
      description: Tags of the service.
      type: dict
deployment_required:
  description:
    - Whether fields differ that only a deployment can change (CODE_DEPLOY and EXTERNAL services). They were not sent.
  returned: always
  type: bool
deployment_required_fields:
  description: Those fields, by their API names; their values are in the diff.
  returned: always
  type: list
  elements: str
  sample: [taskDefinition]
"""

from ansible_collections.cutover.ecs.plugins.module_utils._ecs.ensure import ensure_service
from ansible_collections.cutover.ecs.plugins.module_utils._module import TAG_ARGS, WAIT_ARGS, build_module, run_module

HOOK_OPTIONS = dict(
    target_type=dict(type="str", choices=["AWS_LAMBDA", "PAUSE"], default="AWS_LAMBDA"),
    hook_target_arn=dict(type="str"),
    role_arn=dict(type="str"),
    lifecycle_stages=dict(type="list", elements="str", required=True),
    hook_details=dict(type="raw"),
    timeout_configuration=dict(
        type="dict",
        options=dict(
            timeout_in_minutes=dict(type="int"),
            action=dict(type="str", choices=["ROLLBACK", "CONTINUE"]),
        ),
    ),
)

DEPLOYMENT_CONFIGURATION_OPTIONS = dict(
    maximum_percent=dict(type="int"),
    minimum_healthy_percent=dict(type="int"),
    deployment_circuit_breaker=dict(
        type="dict",
        options=dict(enable=dict(type="bool", default=False), rollback=dict(type="bool", default=False)),
    ),
    alarms=dict(
        type="dict",
        options=dict(
            alarm_names=dict(type="list", elements="str"),
            enable=dict(type="bool", default=False),
            rollback=dict(type="bool", default=False),
        ),
    ),
    strategy=dict(type="str", choices=["ROLLING", "BLUE_GREEN", "LINEAR", "CANARY"]),
    bake_time_in_minutes=dict(type="int"),
    linear_configuration=dict(
        type="dict",
        options=dict(step_percent=dict(type="float"), step_bake_time_in_minutes=dict(type="int")),
    ),
    canary_configuration=dict(
        type="dict",
        options=dict(canary_percent=dict(type="float"), canary_bake_time_in_minutes=dict(type="int")),
    ),
    lifecycle_hooks=dict(type="list", elements="dict", options=HOOK_OPTIONS),
)

LOAD_BALANCER_OPTIONS = dict(
    target_group_arn=dict(type="str"),
    load_balancer_name=dict(type="str"),
    container_name=dict(type="str", required=True),
    container_port=dict(type="int", required=True),
    advanced_configuration=dict(
        type="dict",
        options=dict(
            alternate_target_group_arn=dict(type="str", required=True),
            production_listener_rule=dict(type="str"),
            test_listener_rule=dict(type="str"),
            role_arn=dict(type="str"),
        ),
    ),
)

ARGUMENT_SPEC = dict(
    name=dict(type="str", required=True, aliases=["service"]),
    cluster=dict(type="str", default="default"),
    state=dict(type="str", choices=["present", "absent"], default="present"),
    force_delete=dict(type="bool", default=False, aliases=["force_deletion"]),
    task_definition=dict(type="str"),
    desired_count=dict(type="int"),
    launch_type=dict(type="str", choices=["EC2", "FARGATE", "EXTERNAL", "MANAGED_INSTANCES"]),
    capacity_provider_strategy=dict(
        type="list",
        elements="dict",
        options=dict(
            capacity_provider=dict(type="str", required=True),
            weight=dict(type="int", default=0),
            base=dict(type="int", default=0),
        ),
    ),
    platform_version=dict(type="str"),
    scheduling_strategy=dict(type="str", choices=["REPLICA", "DAEMON"]),
    deployment_controller=dict(type="str", choices=["ECS", "CODE_DEPLOY", "EXTERNAL"]),
    deployment_configuration=dict(type="dict", options=DEPLOYMENT_CONFIGURATION_OPTIONS),
    load_balancers=dict(type="list", elements="dict", options=LOAD_BALANCER_OPTIONS),
    target_group_pair=dict(type="list", elements="str"),
    network_configuration=dict(
        type="dict",
        options=dict(
            subnets=dict(type="list", elements="str", required=True),
            security_groups=dict(type="list", elements="str"),
            assign_public_ip=dict(type="bool", default=False),
        ),
    ),
    health_check_grace_period_seconds=dict(type="int"),
    propagate_tags=dict(type="str", choices=["TASK_DEFINITION", "SERVICE", "NONE"]),
    enable_ecs_managed_tags=dict(type="bool"),
    enable_execute_command=dict(type="bool"),
    availability_zone_rebalancing=dict(type="str", choices=["ENABLED", "DISABLED"]),
    placement_constraints=dict(type="list", elements="dict"),
    placement_strategy=dict(type="list", elements="dict"),
    **TAG_ARGS,
    **WAIT_ARGS,
)


def main() -> None:
    module = build_module(ARGUMENT_SPEC, mutually_exclusive=[("launch_type", "capacity_provider_strategy")])
    run_module(module, ensure_service)


if __name__ == "__main__":
    main()
