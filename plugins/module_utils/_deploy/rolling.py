# Copyright: cutover.ecs contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The rolling strategy: UpdateService with the task definition, then DescribeServices
until the new deployment's rolloutState is COMPLETED, or FAILED (with the circuit
breaker's rollback, when it has one, followed to its end)."""

from __future__ import annotations

from typing import Optional

from ansible_collections.cutover.ecs.plugins.module_utils._deploy import plan
from ansible_collections.cutover.ecs.plugins.module_utils._deploy.target import Target
from ansible_collections.cutover.ecs.plugins.module_utils._ecs import api as ecs_api
from ansible_collections.cutover.ecs.plugins.module_utils._errors import CutoverError, InvalidInput


def _check_input(target: Target) -> None:
    options = target.options
    if target.option("verify", False):
        raise InvalidInput("verify=true needs a test listener, which only the codedeploy strategy has; remove verify or use codedeploy", option="verify")
    if target.option("action", "deploy") != "deploy":
        raise InvalidInput(
            f"action={options['action']} acts on a CodeDeploy deployment waiting for verification; a rolling deployment has no such wait. "
            "To roll back, deploy the previous task definition.",
            option="action",
        )
    if options.get("traffic"):
        raise InvalidInput("traffic applies to the codedeploy strategy only; a rolling update replaces tasks by min/max percent", option="traffic")
    if options.get("container_name") or options.get("container_port") or target.service.get("loadBalancers"):
        plan.container_target(target.service, target.task_definition, options.get("container_name"), options.get("container_port"))


def _fetch(target: Target) -> dict:
    service = ecs_api.describe_service(target.context.client("ecs"), target.cluster, target.service_name)
    if service is None:
        raise CutoverError(f"The service {target.service_name} disappeared during the deployment")
    return service


def _update_request(target: Target) -> dict:
    request = {"cluster": target.cluster, "service": target.service_name, "taskDefinition": target.task_definition_arn}
    alarms = target.option("rollback_on_alarms", [])
    if alarms:
        config = dict(target.service.get("deploymentConfiguration") or {})
        config["alarms"] = {"alarmNames": list(alarms), "enable": True, "rollback": True}
        request["deploymentConfiguration"] = config
    return request


def _previous(target: Target) -> Optional[str]:
    return plan.serving_task_definition(target.service) or target.service.get("taskDefinition")


def check(target: Target) -> None:
    """action=check: a rolling update moves no listener rule; nothing to check."""


def run(target: Target) -> dict:
    _check_input(target)
    desired = target.task_definition_arn
    decision = plan.decide_rolling(target.service, desired)
    previous = _previous(target)
    if decision.action == plan.CONFLICT and target.option("on_conflict", "fail") == "fail":
        raise CutoverError(plan.conflict_message(decision, desired), deployment_id=decision.deployment_id)

    if target.context.check_mode:
        diff = target.diff_from(previous)
        traffic = plan.traffic_steps("rolling", target.service.get("deploymentConfiguration"))
        result = plan.plan_report("rolling", decision, previous, desired, target.elapsed(), diff, traffic=traffic)
        if target.context.diff_mode:
            result["diff"] = diff
        return result

    if decision.action == plan.NOOP:
        primary = target.service["deployments"][0]
        view = plan.rolling_view(target.service, primary.get("id"))
        return plan.report("rolling", view, {"status": plan.SUCCEEDED}, previous, desired, target.elapsed(), changed=False)

    if decision.action == plan.CONFLICT and target.option("on_conflict") == "wait":
        target.service, _failure = _wait(target, decision.deployment_id)
        previous = _previous(target)
        decision = plan.decide_rolling(target.service, desired)
        if decision.action == plan.NOOP:
            return plan.report(
                "rolling", plan.rolling_view(target.service, None), {"status": plan.SUCCEEDED}, previous, desired, target.elapsed(), changed=False
            )

    if decision.action == plan.ATTACH:
        deployment_id = decision.deployment_id
    else:
        # on_conflict=stop: a new UpdateService supersedes the deployment in progress.
        updated = ecs_api.update_service(target.context.client("ecs"), **_update_request(target))
        deployment_id = next((d["id"] for d in updated.get("deployments") or [] if d.get("status") == "PRIMARY"), None)

    if not target.option("wait", True):
        view = plan.rolling_view(_fetch(target), deployment_id, previous, desired)
        return plan.report("rolling", view, plan.rolling_outcome(view), previous, desired, target.elapsed(), changed=True)
    service, failure = _wait(target, deployment_id)
    view = plan.rolling_view(service, deployment_id, previous, desired)
    if failure and view["status"] == "FAILED":
        view["reason"] = failure
    outcome = plan.rolling_outcome(view)
    if outcome["status"] in (plan.FAILED, plan.ROLLED_BACK):
        outcome = target.with_task_reason(outcome, desired)
    result = plan.report("rolling", view, outcome, previous, desired, target.elapsed(), target.progress.lines, changed=True)
    if outcome["status"] in (plan.FAILED, plan.ROLLED_BACK):
        raise CutoverError(f"Rolling deployment {deployment_id} {outcome['status'].replace('_', ' ')}: {outcome.get('reason')}", **result)
    return result


def _wait(target: Target, deployment_id: Optional[str]) -> tuple[dict, Optional[str]]:
    """Polls views (so progress lines read the same as CodeDeploy's); returns the service
    and why the rollout failed, when a poll saw it FAILED."""
    last: dict = {}

    def fetch() -> dict:
        last["service"] = _fetch(target)
        view = plan.rolling_view(last["service"], deployment_id, desired=target.task_definition_arn)
        if view["status"] == "FAILED" and view["phases"] and view["phases"][0]["name"] == "rollout":
            # ECS drops a rolled-back deployment from the list: keep why it failed.
            last["reason"] = view["reason"]
        return view

    target.poller().wait(fetch, plan.rolling_done, f"rolling deployment {deployment_id}")
    return last["service"], last.get("reason")


def describe(target: Target) -> dict:
    deployments = target.service.get("deployments") or []
    primary = next((d for d in deployments if d.get("status") == "PRIMARY"), None)
    if primary is None:
        return plan.report("rolling", None, {"status": "none"}, None, None, target.elapsed(), exists=False)
    others = [d for d in deployments if d is not primary]
    # A circuit-breaker rollback makes an older deployment PRIMARY again; report the failed one.
    failed = next((d for d in others if d.get("rolloutState") == "FAILED"), None)
    ours = failed or primary
    view = plan.rolling_view(target.service, ours.get("id"))
    previous = next((d.get("taskDefinition") for d in others if d is not ours), None) or (primary.get("taskDefinition") if failed else None)
    return plan.report(
        "rolling",
        view,
        plan.rolling_outcome(view),
        previous,
        ours.get("taskDefinition"),
        target.elapsed(),
        exists=True,
        deployment_status=ours.get("rolloutState"),
    )
