#!/usr/bin/python
# Copyright: cutover.ecs contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: deploy
short_description: Cut an Amazon ECS service over to a task definition (CodeDeploy blue/green or rolling)
version_added: 0.1.0
description:
  - Moves production traffic of an ECS service to a task definition and reports how it went.
  - The strategy comes from the service's deployment controller (V(CODE_DEPLOY) runs V(codedeploy), V(ECS) runs V(rolling)),
    or is given and then checked against it.
  - V(codedeploy) creates a CodeDeploy deployment whose AppSpec the module builds from the service (container, port, network
    configuration) and the task definition, optionally with a traffic config of its own (all at once, canary, linear or a named config),
    and follows its lifecycle events until it ends.
  - V(rolling) updates the service with the task definition and waits for the deployment's rolloutState V(COMPLETED). A
    V(FAILED) rollout fails the task, with RV(rolled_back=true) when the circuit breaker rolled the service back.
  - Idempotent. When the service already serves the task definition with all production traffic the module makes read calls only
    and returns C(changed=false). When a deployment to the same task definition is in progress it attaches to it and waits; it never
    starts a second one. A deployment to another task definition in progress fails the task, or is waited for or stopped (O(on_conflict)).
  - Verification gate (V(codedeploy)). With O(verify=true) the module returns C(status=awaiting_verification) once green serves the test
    listener and before it takes production traffic. Run your checks against the test listener, then call the module again with
    O(action=continue) or O(action=rollback).
  - CodeDeploy has no per-deployment ready option, so O(verify=true) needs a deployment group whose C(deployment_ready_option) has
    C(action_on_timeout=STOP_DEPLOYMENT) (and a C(wait_time_in_minutes) long enough for your checks). With such a group and
    O(verify=false) the module continues the deployment itself as soon as it is ready.
  - Every poll adds a line to RV(progress) (phase, traffic split, blue and green running task counts).
  - In check mode the module returns the plan (strategy, what it would do, the AppSpec, the task definition diff) and makes no mutating call.
  - The ECS-native strategies (O(strategy=ecs)) are not supported yet.
options:
  cluster:
    description: Name or ARN of the cluster.
    type: str
    default: default
  service:
    description: Name of the service.
    type: str
    required: true
  task_definition:
    description:
      - The task definition to deploy, as an ARN or C(family:revision). Required when O(action=deploy).
    type: str
  strategy:
    description:
      - V(auto) takes the strategy from the service's deployment controller.
      - V(ecs) (ECS-native blue/green, linear, canary) is reserved and fails with "not supported yet".
    type: str
    choices: [auto, codedeploy, rolling, ecs]
    default: auto
  action:
    description:
      - V(deploy) cuts over to O(task_definition).
      - V(continue) moves production traffic to green for a deployment waiting for verification (ContinueDeployment READY_WAIT).
      - V(rollback) stops a deployment in progress or waiting for verification, with rollback (StopDeployment with autoRollbackEnabled).
      - Both act on O(deployment_id), or on the deployment group's deployment in progress. With none in progress they change nothing.
    type: str
    choices: [deploy, continue, rollback]
    default: deploy
  deployment_id:
    description: The CodeDeploy deployment that O(action=continue) or O(action=rollback) acts on. Default is the group's active one.
    type: str
  traffic:
    description:
      - How production traffic moves to green (V(codedeploy) only). Default is the deployment group's own config.
      - Canary and linear configs that AWS predefines (10 percent every 1 or 3 minutes, 10 percent for 5 or 15 minutes) are used by
        their C(CodeDeployDefault.ECS*) names; other ones are created as C(cutover-ecs.<Type><percent>PercentEvery<interval>Minutes).
    type: dict
    suboptions:
      type:
        description: V(all_at_once), V(canary) (O(traffic.percent) first, the rest after O(traffic.interval_minutes)),
          V(linear) (O(traffic.percent) more every O(traffic.interval_minutes)), or V(config) (O(traffic.config_name)).
        type: str
        choices: [all_at_once, canary, linear, config]
        default: all_at_once
      percent:
        description: Percent of production traffic per step, 1 to 99.
        type: int
      interval_minutes:
        description: Minutes between steps.
        type: int
      config_name:
        description: Name of an existing CodeDeploy deployment config for the ECS compute platform.
        type: str
  container_name:
    description: The container that receives traffic. Default is the service's load balancer's.
    type: str
  container_port:
    description: Its port. Default is the service's load balancer's.
    type: int
  application:
    description: CodeDeploy application. Default is searched (first an application named like the service).
    type: str
  deployment_group:
    description: CodeDeploy deployment group. Default is the group that deploys this service (first a group named like the service).
    type: str
  on_conflict:
    description:
      - What to do when a deployment to another task definition is in progress.
      - V(fail) fails before any change; V(wait) waits for it to end, then deploys; V(stop) stops it (with rollback) and deploys.
      - A CodeDeploy deployment waiting for verification ends only when it is continued, rolled back, or its ready wait runs out.
      - For V(rolling), V(stop) deploys at once; the new update supersedes the one in progress, as ECS does.
    type: str
    choices: [fail, wait, stop]
    default: fail
  verify:
    description:
      - Stop once green serves the test listener and return C(status=awaiting_verification) (V(codedeploy) only; see the description
        for what the deployment group needs).
    type: bool
    default: false
  rollback_on_alarms:
    description:
      - CloudWatch alarms that roll the deployment back when they go into ALARM.
      - V(codedeploy) sets them per deployment (they replace the group's alarms for this deployment).
      - V(rolling) sets them in the service's deployment configuration, with rollback.
    type: list
    elements: str
    default: []
  poll_interval:
    description: Seconds between two polls while waiting.
    type: int
    default: 5
author:
  - cutover.ecs developers (@cutover-ecs)
extends_documentation_fragment:
  - cutover.ecs.wait
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Cut over to the new revision (strategy from the service)
  cutover.ecs.deploy:
    cluster: shop
    service: web
    task_definition: web:42
  register: cutover

- name: Canary 20 percent for 5 minutes, stop before production to verify
  cutover.ecs.deploy:
    cluster: shop
    service: web
    task_definition: web:42
    traffic: {type: canary, percent: 20, interval_minutes: 5}
    verify: true
  register: cutover

- name: Check green through the test listener
  ansible.builtin.uri:
    url: http://shop.example.com:9000/healthcheck
  register: check
  ignore_errors: true

- name: Continue when the check passed
  cutover.ecs.deploy:
    cluster: shop
    service: web
    action: continue
    deployment_id: "{{ cutover.deployment_id }}"
  when: check is succeeded

- name: Roll back when it failed (production never left blue)
  cutover.ecs.deploy:
    cluster: shop
    service: web
    action: rollback
    deployment_id: "{{ cutover.deployment_id }}"
  when: check is failed
"""

RETURN = r"""
status:
  description:
    - V(succeeded), V(awaiting_verification), V(rolled_back), V(failed); V(in_progress) with O(wait=false); V(planned) in check mode.
  returned: always
  type: str
  sample: succeeded
strategy:
  description: V(codedeploy) or V(rolling).
  returned: always
  type: str
  sample: codedeploy
deployment_id:
  description: The CodeDeploy deployment id, or the ECS deployment id for V(rolling). None when nothing was deployed.
  returned: always
  type: str
  sample: d-ABCDEFGHI
previous_task_definition:
  description: The task definition the service served before.
  returned: always
  type: str
  sample: arn:aws:ecs:us-east-1:123456789012:task-definition/web:41
task_definition:
  description: The task definition deployed.
  returned: always
  type: str
  sample: arn:aws:ecs:us-east-1:123456789012:task-definition/web:42
phases:
  description: CodeDeploy lifecycle events, or the ECS deployments (rollout, rollback), with their status and times.
  returned: always
  type: list
  elements: dict
  sample: [{name: Install, status: Succeeded, started_at: "2026-01-01T10:00:00+00:00", ended_at: "2026-01-01T10:00:40+00:00"}]
weights:
  description: Percent of production traffic on blue and green at the end.
  returned: always
  type: dict
  sample: {blue: 0.0, green: 100.0}
rolled_back:
  description: Whether the deployment was rolled back.
  returned: always
  type: bool
  sample: false
rollback_reason:
  description: Why it was rolled back.
  returned: always
  type: str
  sample: The deployment 'd-ABCDEFGHI' was stopped by the user.
elapsed:
  description: Seconds the module ran.
  returned: always
  type: float
  sample: 42.5
progress:
  description: One line per poll while waiting (phase, traffic split, running task counts of blue and green).
  returned: always
  type: list
  elements: str
  sample: ["  12.0s AllowTraffic: traffic blue 90% / green 10%, running blue 2 / green 2"]
rollback_deployment_id:
  description: The CodeDeploy deployment that rolled this one back.
  returned: when a CodeDeploy deployment ended
  type: str
  sample: d-JKLMNOPQR
plan:
  description: In check mode, what the module would do (C(action) start, attach, noop or conflict; the AppSpec; the task definition diff).
  returned: check mode
  type: dict
  sample: {action: start, deployment_config: CodeDeployDefault.ECSAllAtOnce}
"""

from ansible_collections.cutover.ecs.plugins.module_utils._deploy.ensure import ensure_deployment
from ansible_collections.cutover.ecs.plugins.module_utils._module import WAIT_ARGS, build_module, run_module

ARGUMENT_SPEC = dict(
    cluster=dict(type="str", default="default"),
    service=dict(type="str", required=True),
    task_definition=dict(type="str"),
    strategy=dict(type="str", choices=["auto", "codedeploy", "rolling", "ecs"], default="auto"),
    action=dict(type="str", choices=["deploy", "continue", "rollback"], default="deploy"),
    deployment_id=dict(type="str"),
    traffic=dict(
        type="dict",
        options=dict(
            type=dict(type="str", choices=["all_at_once", "canary", "linear", "config"], default="all_at_once"),
            percent=dict(type="int"),
            interval_minutes=dict(type="int"),
            config_name=dict(type="str"),
        ),
    ),
    container_name=dict(type="str"),
    container_port=dict(type="int"),
    application=dict(type="str"),
    deployment_group=dict(type="str"),
    on_conflict=dict(type="str", choices=["fail", "wait", "stop"], default="fail"),
    verify=dict(type="bool", default=False),
    rollback_on_alarms=dict(type="list", elements="str", default=[]),
    poll_interval=dict(type="int", default=5),
    **WAIT_ARGS,
)


def main() -> None:
    run_module(build_module(ARGUMENT_SPEC), ensure_deployment)


if __name__ == "__main__":
    main()
