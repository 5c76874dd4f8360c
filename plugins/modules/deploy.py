#!/usr/bin/python
# Copyright: cutover.ecs contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: deploy
short_description: Cut an Amazon ECS service over to a task definition (CodeDeploy, ECS-native blue/green, or rolling)
version_added: 0.1.0
description:
  - Moves production traffic of an ECS service to a task definition and reports how it went.
  - It does not decide whether a new revision is needed. M(cutover.ecs.task_definition) with C(running_in) compares the declared
    definition with the revision the service runs and returns the revision to cut over to (the M(cutover.ecs.deploy) role chains the two).
  - The strategy comes from the service (deployment controller V(CODE_DEPLOY) runs V(codedeploy); the V(ECS) controller runs V(ecs)
    when the service's deployment strategy is V(BLUE_GREEN), V(LINEAR) or V(CANARY), and V(rolling) when it is V(ROLLING)),
    or is given and then checked against it.
  - V(codedeploy) creates a CodeDeploy deployment whose AppSpec the module builds from the service (container, port, network
    configuration) and the task definition, optionally with a traffic config of its own (all at once, canary, linear or a named config),
    and follows its lifecycle events until it ends.
  - V(ecs) updates the service with the task definition (UpdateService), which starts an ECS service deployment of the service's
    strategy, and follows it through its lifecycle stages (DescribeServiceDeployments) until it ends. With O(traffic) or
    O(rollback_on_alarms) the same UpdateService also changes the service's deployment configuration (strategy, canary or linear
    settings, alarms), which stays on the service for later deployments. A deployment that ends C(ROLLBACK_SUCCESSFUL) (circuit
    breaker, alarms, a hook's rollback) fails the task with RV(rolled_back=true); C(STOPPED) and C(ROLLBACK_FAILED) fail it too.
  - V(rolling) updates the service with the task definition and waits for the deployment's rolloutState V(COMPLETED). A
    V(FAILED) rollout fails the task, with RV(rolled_back=true) when the circuit breaker rolled the service back.
  - Idempotent. When the service already serves the task definition with all production traffic the module makes read calls only
    and returns C(changed=false). When a deployment to the same task definition is in progress it attaches to it and waits; it never
    starts a second one. A deployment to another task definition in progress fails the task, or is waited for or stopped (O(on_conflict)).
  - Verification gate (V(codedeploy) and V(ecs)). With O(verify=true) the module returns C(status=awaiting_verification) once green
    serves the test listener and before it takes production traffic. Run your checks against the test listener, then call the module
    again with O(action=continue) or O(action=rollback).
  - CodeDeploy has no per-deployment ready option, so O(verify=true) needs a deployment group whose C(deployment_ready_option) has
    C(action_on_timeout=STOP_DEPLOYMENT) (and a C(wait_time_in_minutes) long enough for your checks). With such a group and
    O(verify=false) the module continues the deployment itself as soon as it is ready.
  - ECS has no per-deployment hook either, so with V(ecs) O(verify=true) needs a service with a test listener rule
    (C(advanced_configuration.test_listener_rule)) and a C(PAUSE) lifecycle hook at C(POST_TEST_TRAFFIC_SHIFT) (and a
    C(timeout_configuration) long enough for your checks). The module continues C(PAUSE) hooks it does not stop for
    (ContinueServiceDeployment) as it meets them, including that one when O(verify=false).
  - Every poll adds a line to RV(progress) (phase, traffic split, blue and green healthy or running task counts). For V(ecs) the phase is
    the lifecycle stage and the split is read from the production listener rule's forward weights.
  - In check mode the module returns the plan (strategy, what it would do, the AppSpec or the UpdateService request and deployment
    configuration, the task definition diff) and makes no mutating call.
options:
  task_definition:
    description:
      - The task definition to deploy, as an ARN or C(family:revision). Required when O(action=deploy).
      - In check mode it may be the revision a task before this one would register (the next revision of an existing family,
        as M(cutover.ecs.task_definition) predicts it in check mode); the plan then checks the containers of the family's latest
        revision, and that task's diff shows the fields that differ.
    type: str
  strategy:
    description:
      - V(auto) takes the strategy from the service's deployment controller and, for the V(ECS) controller, its deployment strategy.
      - V(ecs) runs the ECS-native V(BLUE_GREEN), V(LINEAR) or V(CANARY) service deployments; it needs a service with one of those
        strategies, and V(rolling) one with V(ROLLING). Change the service's strategy with M(cutover.ecs.service), or give O(traffic).
    type: str
    choices: [auto, codedeploy, rolling, ecs]
    default: auto
  action:
    description:
      - V(deploy) cuts over to O(task_definition).
      - V(continue) moves production traffic to green for a deployment waiting for verification (ContinueDeployment READY_WAIT;
        for V(ecs) ContinueServiceDeployment of the hook awaiting action).
      - V(rollback) stops a deployment in progress or waiting for verification, with rollback (StopDeployment with autoRollbackEnabled;
        for V(ecs) StopServiceDeployment with stopType ROLLBACK).
      - Both act on O(deployment_id), or on the deployment group's (V(ecs) the service's) deployment in progress. With none in progress
        they change nothing.
      - V(check) runs the checks a deployment runs before it starts (the listener rules, see O(on_listener_drift)) and changes
        nothing; C(status=checked). With a deployment in progress it checks nothing, as a deploy would attach to it. V(rolling)
        has nothing to check. The deploy role runs it before it registers a task definition, so a refusal comes before any change.
    type: str
    choices: [deploy, continue, rollback, check]
    default: deploy
  deployment_id:
    description:
      - The deployment that O(action=continue) or O(action=rollback) acts on (the CodeDeploy deployment id, or for V(ecs) the service
        deployment ARN). Default is the active one.
    type: str
  traffic:
    description:
      - How production traffic moves to green (V(codedeploy) and V(ecs)). Default is the deployment group's own config, or the service's
        own deployment strategy.
      - For V(ecs) it becomes the service's strategy (V(BLUE_GREEN), V(CANARY) with C(canaryPercent) and C(canaryBakeTimeInMinutes),
        V(LINEAR) with C(stepPercent) and C(stepBakeTimeInMinutes)) and stays on the service. V(config) is not available, a linear
        step is at least 3 percent and an interval at most 1440 minutes.
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
      - For V(ecs), V(stop) is StopServiceDeployment with rollback; the module waits for the rollback, then deploys.
    type: str
    choices: [fail, wait, stop]
    default: fail
  verify:
    description:
      - Stop once green serves the test listener and return C(status=awaiting_verification) (V(codedeploy) and V(ecs); see the
        description for what the deployment group or the service needs).
    type: bool
    default: false
  rollback_on_alarms:
    description:
      - CloudWatch alarms that roll the deployment back when they go into ALARM.
      - V(codedeploy) sets them per deployment (they replace the group's alarms for this deployment).
      - V(rolling) and V(ecs) set them in the service's deployment configuration, with rollback.
    type: list
    elements: str
    default: []
  watch_green:
    description:
      - While a deployment runs, watch green itself (V(codedeploy) and V(ecs)). When green cannot become healthy (one of its
        targets is C(unhealthy) in its target group, one of its tasks was stopped for failing health checks, or as many of its
        tasks stopped as ECS's circuit breaker allows), stop the deployment with rollback at once (StopDeployment, or
        StopServiceDeployment ROLLBACK) and say why, rather than wait out CodeDeploy's own timeout (an hour on AWS) or ECS's
        circuit breaker.
      - The reason reads C(green cannot become healthy:) and names the target and its health check reason, or the task and its
        stop reason; C(green_watch) returns the details. Green's stopped tasks are read only while it runs fewer tasks than
        it wants.
      - A service with a health check grace period is judged by its stopped tasks only, as ECS ignores failed checks during
        the grace period. A deployment ECS already rolls back is left to it. V(rolling) has no green target group of its own; ECS's circuit
        breaker stops it (about 18 s in the fault matrix).
    type: bool
    default: true
  wait_until:
    description:
      - How far the module follows the deployment before it returns (with O(wait=true)).
      - V(stable) (the default) waits for its end, CodeDeploy's termination wait and ECS's bake time and clean-up
        included. C(status=succeeded) then means blue is gone and nothing can roll the release back any more.
      - V(deployed) returns once all production traffic is on green (CodeDeploy's AllowTraffic succeeded; for V(ecs) the
        deployment is past C(PRODUCTION_TRAFFIC_SHIFT)), with C(status=deployed). The deployment goes on without the module
        (the bake time, blue's removal), and an alarm may still roll it back; M(cutover.ecs.deployment_info) tells. For
        V(rolling) it waits as V(stable) does.
      - A stage returns once the deployment got there, with C(status=in_progress). A CodeDeploy lifecycle event counts once
        it succeeded (V(BeforeInstall), V(Install), V(AfterInstall), V(AllowTestTraffic), V(AfterAllowTestTraffic),
        V(BeforeAllowTraffic), V(AllowTraffic), V(AfterAllowTraffic)); an ECS lifecycle stage once the deployment is at it
        or past it (V(RECONCILE_SERVICE), V(PRE_SCALE_UP), V(SCALE_UP), V(POST_SCALE_UP), V(TEST_TRAFFIC_SHIFT), V(POST_TEST_TRAFFIC_SHIFT),
        V(PRODUCTION_TRAFFIC_SHIFT), V(POST_PRODUCTION_TRAFFIC_SHIFT), V(BAKE_TIME), V(CLEAN_UP)). A deployment held at
        CodeDeploy's Ready or at a C(PAUSE) hook stays held; continue it with O(action=continue). A stage does not go with
        O(verify=true), whose gate decides where the module stops; a stage of another strategy is refused before any change.
      - How the task ends, for CI. It succeeds with C(status) V(succeeded), V(deployed), V(in_progress) (a stage reached, or
        O(wait=false)) or V(awaiting_verification). It fails with V(rolled_back) (failed and rolled back, production is on
        blue), V(failed) (failed and not rolled back; C(msg) says where traffic is) or V(stopped) (stopped by someone else
        without rollback; traffic stays where the deployment left it).
    type: str
    default: stable
  on_listener_drift:
    description:
      - Pre-shift checks (V(codedeploy) and V(ecs)). Before a deployment starts, and before each traffic shift the module drives
        (ContinueDeployment at Ready, ContinueServiceDeployment at a C(PAUSE) hook), the production and test listener rules the
        deployment moves are compared with what it expects. They forward to blue and green only; green's share of production
        is 0 before the start (the test listener may forward to either); before a shift it is where the deployment put it
        (for V(codedeploy) at Ready, 0 on production and 100 on test; for V(ecs) the weights the service deployment
        requested).
      - A rule changed by hand (a weight, another target group in the forward, a fixed response or a redirect in place of
        it, a deleted rule or listener) is reported field by field. V(fail) refuses, before any mutating call when the
        deployment has not started, and leaves a deployment held at a shift where it is. V(proceed) goes ahead, warns, and
        returns the differences in C(listener_drift); the deployment then sets the weights it needs and drops the rest.
      - The refusal or warning also names production traffic the rules send now to a target group with no registered
        target (those requests fail with HTTP 503) or no healthy one (the load balancer serves them fail-open).
      - Before production traffic moves onto green, the module also waits until every target in green's target group is
        C(healthy) (the green watch goes on meanwhile).
    type: str
    choices: [fail, proceed]
    default: fail
  poll_interval:
    description: Seconds between two polls while waiting.
    type: int
    default: 5
  progress_file:
    description:
      - Also append each progress line to this file as it is made, on the host the module runs on.
      - The collection's action plugin sets it to a temporary file when the module runs on the controller (C(connection=local)
        or C(delegate_to=localhost)) and prints every new line live, so C(ansible-playbook) shows the phase, the traffic split and
        the healthy counts at every poll. There is no need to set it yourself; C(tail -f) it if you do.
    type: path
author:
  - cutover.ecs developers (@cutover-ecs)
extends_documentation_fragment:
  - cutover.ecs.service
  - cutover.ecs.wait
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - cutover.ecs.boto3
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

- name: An ECS-native blue/green service, this time linear 25 percent every 2 minutes, rolled back on an alarm
  cutover.ecs.deploy:
    cluster: shop
    service: cart
    task_definition: cart:7
    traffic: {type: linear, percent: 25, interval_minutes: 2}
    rollback_on_alarms: [cart-5xx]

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
    - V(succeeded), V(deployed) (O(wait_until=deployed)), V(awaiting_verification), V(rolled_back), V(failed), V(stopped) (by
      someone else, without rollback); V(in_progress) with O(wait=false) or a stage of O(wait_until) reached; V(planned) in
      check mode; V(checked) with O(action=check). See O(wait_until) for which of them fail the task.
  returned: always
  type: str
  sample: succeeded
strategy:
  description: V(codedeploy), V(ecs) or V(rolling).
  returned: always
  type: str
  sample: codedeploy
deployment_id:
  description:
    - The CodeDeploy deployment id, the ECS service deployment ARN for V(ecs), or the ECS deployment id for V(rolling).
    - None when nothing was deployed.
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
  description:
    - CodeDeploy lifecycle events, the ECS deployments (rollout, rollback) for V(rolling), or for V(ecs) the lifecycle stages seen
      while waiting and the rollback, with their status and times.
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
deployment_status:
  description: The service deployment's status as ECS reports it (V(ecs) only), for example V(SUCCESSFUL) or V(ROLLBACK_SUCCESSFUL).
  returned: when the strategy is V(ecs) and a service deployment was followed
  type: str
  sample: SUCCESSFUL
listener_drift:
  description:
    - The listener rules that differed from what the deployment expected, one item per field, when O(on_listener_drift=proceed)
      let the deployment go on (also in the failure of a refusal).
    - C(where) names the listener (load balancer and port) and the rule (priority, or the default action); C(when) the check.
  returned: when a pre-shift check found a difference
  type: list
  elements: dict
  sample:
    - role: production
      where: "production listener web:80, rule 6"
      rule: "arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener-rule/app/web/50dc6c495c0c9188/f2f7dc8efc522ab2/9683b2d02a6cabee"
      priority: "6"
      field: "Actions[0].ForwardConfig.TargetGroups[web-green].Weight"
      expected: "0 %"
      found: "20 (20 %)"
      when: before it starts
green_watch:
  description:
    - Why the green watch stopped the deployment (O(watch_green)), and when.
    - C(check) is V(target_health) (C(target), C(target_group) and the load balancer's C(health_reason)) or V(task_stops) (C(task),
      C(stop_reason) and how many of green's tasks C(stopped)). C(seen_after_s) and C(rollback_started_after_s) count from
      the module's start; C(reason) is the sentence C(rollback_reason) gives.
    - For V(codedeploy), C(rollback_after_checks_began_s) is the time from when the load balancer began to check green (its
      target group joined the test listener, or the production one without a test listener) to the rollback's start. No
      check failed earlier, so it bounds the time from green's first failed check to the rollback.
  returned: when the green watch stopped a deployment
  type: dict
  sample:
    check: target_health
    target: 10.0.1.7:8080
    target_group: web-green
    health_reason: "Target.ResponseCodeMismatch: Health checks failed with these codes: [500]"
    reason: "green cannot become healthy: target 10.0.1.7:8080 in target group web-green failed its health checks
      (Target.ResponseCodeMismatch: Health checks failed with these codes: [500])"
    seen_after_s: 41.2
    rollback_started_after_s: 41.3
rollback_deployment_id:
  description: The CodeDeploy deployment that rolled this one back.
  returned: when a CodeDeploy deployment ended
  type: str
  sample: d-JKLMNOPQR
plan:
  description:
    - In check mode, what the module would do (C(action) start, attach, noop or conflict; the task definition diff).
    - C(traffic) says how production traffic would move to green, in every strategy, as C(steps) (a list of C(green_percent) and
      the minute, C(after_minutes), green gets it; empty for V(rolling)) and a C(line) to print.
    - V(codedeploy) adds the AppSpec and the deployment config; V(ecs) the C(update_service) request, the C(deployment_configuration)
      it would send (None when the service's own stays) and the C(deployment_strategy) the deployment would run.
  returned: check mode
  type: dict
  sample:
    action: start
    deployment_config: CodeDeployDefault.ECSCanary10Percent5Minutes
    traffic:
      steps: [{green_percent: 10, after_minutes: 0}, {green_percent: 100, after_minutes: 5}]
      line: "production traffic to green: 10% at minute 0, 100% at minute 5"
"""

from ansible_collections.cutover.ecs.plugins.module_utils._deploy.ensure import ensure_deployment
from ansible_collections.cutover.ecs.plugins.module_utils._module import WAIT_ARGS, build_module, run_module

ARGUMENT_SPEC = dict(
    cluster=dict(type="str", default="default"),
    service=dict(type="str", required=True),
    task_definition=dict(type="str"),
    strategy=dict(type="str", choices=["auto", "codedeploy", "rolling", "ecs"], default="auto"),
    action=dict(type="str", choices=["deploy", "continue", "rollback", "check"], default="deploy"),
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
    watch_green=dict(type="bool", default=True),
    on_listener_drift=dict(type="str", choices=["fail", "proceed"], default="fail"),
    wait_until=dict(type="str", default="stable"),
    poll_interval=dict(type="int", default=5),
    progress_file=dict(type="path"),
    **WAIT_ARGS,
)


def main() -> None:
    run_module(build_module(ARGUMENT_SPEC), ensure_deployment)


if __name__ == "__main__":
    main()
