#!/usr/bin/python
# Copyright: cutover.ecs contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: codedeploy_deployment_group
short_description: Create, update or delete a CodeDeploy deployment group for ECS blue/green deployments
version_added: 0.1.0
description:
  - Makes sure a CodeDeploy deployment group of an ECS application exists with the given ECS service, target group
    pair, production and test listeners, blue/green settings, alarms, automatic rollback, service role and
    deployment config, or is gone.
  - The deployment style is fixed to C(BLUE_GREEN) with C(WITH_TRAFFIC_CONTROL), the only style CodeDeploy supports
    for ECS.
  - Changes are made in place with C(UpdateDeploymentGroup), sending only the structures that differ; tags are
    changed through the tagging API.
  - B(The target group pair is compared as a set.) CodeDeploy keeps the pair as configured and itself determines
    which of the two target groups serves the blue and the green task set in each deployment, so after a deployment
    the one that serves production may be either. Listing the two in another order is no change, and an update of
    other load balancer fields keeps the order the group already has.
  - Options without a default are left as they are when not given; options with a default are always managed.
  - Bad input (for example three target groups, or a ready wait without V(STOP_DEPLOYMENT)) fails before any AWS call.
  - Compares every managed field before acting, so a re-run with the same input makes no mutating call.
  - Supports check mode (the predicted group is returned) and diff mode.
  - A deployment group is usable as soon as it is created, so the module has no wait options.
options:
  application:
    description: Name of the CodeDeploy application (compute platform C(ECS)) the group belongs to.
    type: str
    required: true
    aliases: [application_name]
  name:
    description: Name of the deployment group.
    type: str
    required: true
    aliases: [deployment_group_name]
  state:
    description: Whether the deployment group should exist.
    type: str
    choices: [present, absent]
    default: present
  service_role:
    description:
      - The IAM role that lets CodeDeploy change the ECS service and the load balancer, by name or ARN.
      - A name is looked up in IAM (C(iam:GetRole)) and compared as the role's ARN.
      - Required when O(state=present).
    type: str
    aliases: [service_role_arn]
  cluster:
    description:
      - Name (or ARN) of the ECS cluster of the service. Required when O(state=present).
    type: str
  service:
    description:
      - Name (or ARN) of the ECS service, which must use the C(CODE_DEPLOY) deployment controller.
      - Required when O(state=present).
    type: str
  target_groups:
    description:
      - The two target groups, by name (or ARN), between which deployments move the service's tasks.
      - List the one the production listener forwards to first when you create the group. Compared as a set.
      - Required when O(state=present).
    type: list
    elements: str
  prod_listener_arns:
    description:
      - The ARN of the listener that carries production traffic (CodeDeploy takes exactly one).
      - Required when O(state=present).
    type: list
    elements: str
  test_listener_arns:
    description:
      - The ARN of the listener that carries test traffic to the green task set before production moves
        (at most one).
      - An empty list removes the test route. Left as it is when not given.
    type: list
    elements: str
  deployment_config_name:
    description:
      - The deployment config that says how production traffic moves, one of the predefined
        C(CodeDeployDefault.ECS*) configs or a custom one (see M(cutover.ecs.codedeploy_deployment_config)).
    type: str
    default: CodeDeployDefault.ECSAllAtOnce
  deployment_ready_option:
    description:
      - When production traffic moves to green (C(blueGreenDeploymentConfiguration.deploymentReadyOption)).
      - Always managed; when not given, the defaults of its suboptions apply.
    type: dict
    suboptions:
      action_on_timeout:
        description:
          - V(CONTINUE_DEPLOYMENT) moves traffic as soon as green is ready.
          - V(STOP_DEPLOYMENT) waits for C(ContinueDeployment) (for example after your verification of the test
            listener) and stops the deployment when O(deployment_ready_option.wait_time_in_minutes) pass first.
        type: str
        choices: [CONTINUE_DEPLOYMENT, STOP_DEPLOYMENT]
        default: CONTINUE_DEPLOYMENT
      wait_time_in_minutes:
        description:
          - How long to wait for C(ContinueDeployment), 1 to 2880 minutes.
          - Required with V(STOP_DEPLOYMENT), not allowed with V(CONTINUE_DEPLOYMENT).
        type: int
  termination_wait_time_in_minutes:
    description:
      - Minutes after production traffic has moved before the blue task set is deleted, 0 to 2880
        (C(terminateBlueInstancesOnDeploymentSuccess), action C(TERMINATE)).
      - During this wait a deployment can still be stopped and rolled back at once.
    type: int
    default: 5
  alarm_configuration:
    description:
      - CloudWatch alarms that stop the deployment when they enter C(ALARM). Left as they are when not given.
    type: dict
    suboptions:
      alarms:
        description: Names of the alarms (at most 10), compared as a set.
        type: list
        elements: str
        default: []
      enabled:
        description: Whether the alarms are watched. V(true) needs at least one alarm.
        type: bool
        default: true
      ignore_poll_alarm_failure:
        description: Whether a deployment goes on when the state of the alarms cannot be read from CloudWatch.
        type: bool
        default: false
  auto_rollback_configuration:
    description:
      - When CodeDeploy rolls a deployment back by itself. Left as it is when not given.
    type: dict
    suboptions:
      enabled:
        description: Whether automatic rollback is on. V(true) needs at least one event.
        type: bool
        default: true
      events:
        description: The events that roll back, compared as a set.
        type: list
        elements: str
        choices: [DEPLOYMENT_FAILURE, DEPLOYMENT_STOP_ON_ALARM, DEPLOYMENT_STOP_ON_REQUEST]
        default: []
author:
  - cutover.ecs developers (@cutover-ecs)
extends_documentation_fragment:
  - amazon.aws.tags
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - cutover.ecs.boto3
notes:
  - Tags are read and written through the group's ARN, which CodeDeploy does not return; the module builds it from
    C(sts:GetCallerIdentity).
  - In check mode a service role that does not exist yet (because an earlier task would create it) is predicted
    as C(arn:aws:iam::<account>:role/<name>) with a warning.
"""

EXAMPLES = r"""
- name: Blue/green deployment group of the web service, with a test listener and a verification stop
  cutover.ecs.codedeploy_deployment_group:
    application: shop
    name: shop-web
    service_role: CodeDeployECSRole
    cluster: shop
    service: web
    target_groups: [web-blue, web-green]
    prod_listener_arns:
      - arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/shop/50dc6c495c0c9188/f2f7dc8efc522ab2
    test_listener_arns:
      - arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/shop/50dc6c495c0c9188/0f5b0a3e7b8c9d10
    deployment_config_name: CodeDeployDefault.ECSCanary10Percent5Minutes
    deployment_ready_option:
      action_on_timeout: STOP_DEPLOYMENT
      wait_time_in_minutes: 60
    termination_wait_time_in_minutes: 10
    alarm_configuration:
      alarms: [shop-web-5xx, shop-web-latency]
    auto_rollback_configuration:
      events: [DEPLOYMENT_FAILURE, DEPLOYMENT_STOP_ON_ALARM, DEPLOYMENT_STOP_ON_REQUEST]
    tags:
      team: payments

- name: Remove the deployment group
  cutover.ecs.codedeploy_deployment_group:
    application: shop
    name: shop-web
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
deployment_group:
  description: The deployment group after the change (the prediction in check mode); empty when it is absent.
  returned: always
  type: dict
  contains:
    application_name:
      description: Name of the application.
      type: str
      sample: shop
    deployment_group_name:
      description: Name of the group.
      type: str
      sample: shop-web
    deployment_group_id:
      description: ID of the group (not known in check mode before it exists).
      type: str
    compute_platform:
      description: Compute platform of the group.
      type: str
      sample: ECS
    service_role_arn:
      description: ARN of the service role.
      type: str
    deployment_config_name:
      description: Name of the deployment config.
      type: str
      sample: CodeDeployDefault.ECSAllAtOnce
    deployment_style:
      description: Always C(BLUE_GREEN) with C(WITH_TRAFFIC_CONTROL).
      type: dict
      sample: {deployment_type: BLUE_GREEN, deployment_option: WITH_TRAFFIC_CONTROL}
    blue_green_deployment_configuration:
      description: C(deployment_ready_option) and C(terminate_blue_instances_on_deployment_success).
      type: dict
      sample:
        deployment_ready_option: {action_on_timeout: CONTINUE_DEPLOYMENT, wait_time_in_minutes: 0}
        terminate_blue_instances_on_deployment_success: {action: TERMINATE, termination_wait_time_in_minutes: 5}
    ecs_services:
      description: The ECS service, as C(cluster_name) and C(service_name).
      type: list
      elements: dict
    load_balancer_info:
      description: The target group pair with its production and test traffic routes.
      type: dict
      contains:
        target_group_pair_info_list:
          description: One pair, with C(target_groups), C(prod_traffic_route) and C(test_traffic_route).
          type: list
          elements: dict
    alarm_configuration:
      description: C(enabled), C(ignore_poll_alarm_failure) and C(alarms) (each with C(name)).
      type: dict
    auto_rollback_configuration:
      description: C(enabled) and C(events).
      type: dict
    tags:
      description: Tags of the group.
      type: dict
"""

from ansible_collections.cutover.ecs.plugins.module_utils._codedeploy.ensure import ensure_deployment_group
from ansible_collections.cutover.ecs.plugins.module_utils._module import TAG_ARGS, build_module, run_module

ARGUMENT_SPEC = dict(
    application=dict(type="str", required=True, aliases=["application_name"]),
    name=dict(type="str", required=True, aliases=["deployment_group_name"]),
    state=dict(type="str", choices=["present", "absent"], default="present"),
    service_role=dict(type="str", aliases=["service_role_arn"]),
    cluster=dict(type="str"),
    service=dict(type="str"),
    target_groups=dict(type="list", elements="str"),
    prod_listener_arns=dict(type="list", elements="str"),
    test_listener_arns=dict(type="list", elements="str"),
    deployment_config_name=dict(type="str", default="CodeDeployDefault.ECSAllAtOnce"),
    deployment_ready_option=dict(
        type="dict",
        apply_defaults=True,
        options=dict(
            action_on_timeout=dict(type="str", choices=["CONTINUE_DEPLOYMENT", "STOP_DEPLOYMENT"], default="CONTINUE_DEPLOYMENT"),
            wait_time_in_minutes=dict(type="int"),
        ),
    ),
    termination_wait_time_in_minutes=dict(type="int", default=5),
    alarm_configuration=dict(
        type="dict",
        options=dict(
            alarms=dict(type="list", elements="str", default=[]),
            enabled=dict(type="bool", default=True),
            ignore_poll_alarm_failure=dict(type="bool", default=False),
        ),
    ),
    auto_rollback_configuration=dict(
        type="dict",
        options=dict(
            enabled=dict(type="bool", default=True),
            events=dict(type="list", elements="str", choices=["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM", "DEPLOYMENT_STOP_ON_REQUEST"], default=[]),
        ),
    ),
    **TAG_ARGS,
)

REQUIRED_IF = [("state", "present", ["service_role", "cluster", "service", "target_groups", "prod_listener_arns"])]


def main() -> None:
    run_module(build_module(ARGUMENT_SPEC, required_if=REQUIRED_IF), ensure_deployment_group)


if __name__ == "__main__":
    main()
