#!/usr/bin/python
# Copyright: cutover.ecs contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: deployment_info
short_description: The current or latest deployment of an Amazon ECS service, for any strategy
version_added: 0.1.0
description:
  - Returns the deployment in progress of a service, or its latest one, in the shape M(cutover.ecs.deploy) returns.
  - V(codedeploy) services (deployment controller C(CODE_DEPLOY)) report their deployment group's active or newest CodeDeploy
    deployment; a rollback deployment is reported as the deployment it rolled back (C(status=rolled_back)).
  - V(rolling) services (deployment controller C(ECS), deployment strategy C(ROLLING)) report their PRIMARY deployment, or the one the
    circuit breaker rolled back.
  - V(ecs) services (deployment controller C(ECS), deployment strategy C(BLUE_GREEN), C(LINEAR) or C(CANARY)) report their service
    deployment in progress, else their newest one (ListServiceDeployments, DescribeServiceDeployments). One held by a PAUSE hook at
    C(POST_TEST_TRAFFIC_SHIFT) is C(status=awaiting_verification), with RV(hook_id).
  - Also returns what a rollback would do (RV(rollback)), chosen from the service's deployment history; the
    M(cutover.ecs.rollback) role acts on it. The history is the deployment group's Succeeded CodeDeploy deployments
    (V(codedeploy)), or the service's SUCCESSFUL ECS service deployments (V(ecs) and V(rolling)). The task definition to go
    back to is the newest that took all production traffic and is not the one serving now, never "the revision number below".
  - Makes read calls only, so it runs the same in check mode.
options:
  strategy:
    description:
      - V(auto) takes it from the service's deployment controller and, for the C(ECS) controller, its deployment strategy.
      - Given, it is checked against the service.
    type: str
    choices: [auto, codedeploy, rolling, ecs]
    default: auto
  application:
    description: CodeDeploy application. Default is searched (first an application named like the service).
    type: str
  deployment_group:
    description: CodeDeploy deployment group. Default is the group that deploys this service.
    type: str
  rollback_task_definition:
    description:
      - A task definition (C(family:revision) or ARN) that a rollback should redeploy instead of the one the history gives.
        It must exist and be ACTIVE.
    type: str
author:
  - cutover.ecs developers (@cutover-ecs)
extends_documentation_fragment:
  - cutover.ecs.service
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - cutover.ecs.boto3
"""

EXAMPLES = r"""
- name: What is the service's deployment doing?
  cutover.ecs.deployment_info:
    cluster: shop
    service: web
  register: deployment

- name: Show it
  ansible.builtin.debug:
    msg: "{{ deployment.status }} {{ deployment.task_definition }} {{ deployment.weights }}"
"""

RETURN = r"""
exists:
  description: Whether the service has a deployment to report.
  returned: always
  type: bool
  sample: true
status:
  description: V(succeeded), V(awaiting_verification), V(in_progress), V(rolled_back), V(failed), V(stopped) (stopped by someone without rollback), or V(none).
  returned: always
  type: str
  sample: succeeded
deployment_status:
  description: The status as AWS reports it (CodeDeploy status, ECS rolloutState, or ECS service deployment status).
  returned: when O(ignore:exists=true)
  type: str
  sample: Succeeded
strategy:
  description: V(codedeploy), V(ecs) or V(rolling).
  returned: always
  type: str
  sample: codedeploy
deployment_id:
  description: The CodeDeploy deployment id, the ECS service deployment ARN (V(ecs)), or the ECS deployment id (V(rolling)).
  returned: always
  type: str
  sample: d-ABCDEFGHI
previous_task_definition:
  description: The task definition served before this deployment, when known.
  returned: always
  type: str
  sample: arn:aws:ecs:us-east-1:123456789012:task-definition/web:41
task_definition:
  description: The task definition the deployment deploys.
  returned: always
  type: str
  sample: arn:aws:ecs:us-east-1:123456789012:task-definition/web:42
phases:
  description:
    - CodeDeploy lifecycle events, ECS deployments (V(rolling)), or the service deployment's current lifecycle stage and its
      rollback (V(ecs)), with status and times.
  returned: always
  type: list
  elements: dict
  sample: [{name: Install, status: Succeeded, started_at: "2026-01-01T10:00:00+00:00", ended_at: "2026-01-01T10:00:40+00:00"}]
weights:
  description: Percent of production traffic on blue and green (at the end, for a finished deployment).
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
  sample: null
elapsed:
  description: Seconds the module ran.
  returned: always
  type: float
  sample: 0.4
progress:
  description: Always empty (deployment_info does not wait); kept so both modules return one shape.
  returned: always
  type: list
  elements: str
  sample: []
rollback:
  description: What a rollback of the service would do now.
  returned: always
  type: dict
  contains:
    action:
      description:
        - V(stop) a CodeDeploy or ECS-native deployment that has not ended (with rollback, so blue serves again);
          V(redeploy) RV(rollback.task_definition) (a rolling update in progress is superseded by it); V(none) when the
          latest deployment was rolled back already, or is the redeploy an earlier rollback made (the service's
          C(cutover.ecs:rollback-deployment) tag).
        - V(redeploy) with no RV(rollback.task_definition) means the history holds nothing to go back to.
      type: str
      sample: redeploy
    task_definition:
      description: The task definition production returns to.
      type: str
      sample: arn:aws:ecs:us-east-1:123456789012:task-definition/web:41
    reason:
      description: Why, in words.
      type: str
      sample: redeploy web:41, the task definition that last served all production traffic before
phase:
  description: The service deployment's lifecycle stage, and whether a PAUSE hook holds it (V(ecs)).
  returned: when O(ignore:exists=true) and the strategy is V(ecs)
  type: str
  sample: POST_TEST_TRAFFIC_SHIFT (waiting for verification)
hook_id:
  description: The PAUSE hook awaiting action, if any (V(ecs)).
  returned: when O(ignore:exists=true) and the strategy is V(ecs)
  type: str
  sample: 4c1e7c2f0b9d4e0a8d8b9e6f1a2b3c4d
"""

from ansible_collections.cutover.ecs.plugins.module_utils._deploy.ensure import describe_deployment
from ansible_collections.cutover.ecs.plugins.module_utils._module import build_module, run_module

ARGUMENT_SPEC = dict(
    cluster=dict(type="str", default="default"),
    service=dict(type="str", required=True),
    strategy=dict(type="str", choices=["auto", "codedeploy", "rolling", "ecs"], default="auto"),
    application=dict(type="str"),
    deployment_group=dict(type="str"),
    rollback_task_definition=dict(type="str"),
)


def main() -> None:
    run_module(build_module(ARGUMENT_SPEC), describe_deployment)


if __name__ == "__main__":
    main()
