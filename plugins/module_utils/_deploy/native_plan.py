# Copyright: cutover.ecs contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ECS-native strategy's decisions (BLUE_GREEN, LINEAR, CANARY), as pure functions over
fetched AWS data.

``native`` reads, asks these functions what to do, acts and polls:

- input checks (:func:`check_input`, :func:`verify_problem`);
- the deploymentConfiguration an UpdateService sends (:func:`desired_deployment_configuration`)
  and the requests of UpdateService, ContinueServiceDeployment and StopServiceDeployment;
- idempotency (:func:`decide_native`) over the service's unfinished service deployments;
- one view per poll (:func:`native_view`) from DescribeServiceDeployments, the production
  listener rule's forward weights and the target groups' health; :func:`native_done` and
  :func:`native_outcome` in the shape of the other strategies (``plan.report``).

Field names follow the ECS API Reference (ServiceDeployment, ServiceRevision,
DeploymentConfiguration, DeploymentLifecycleHook, StopServiceDeployment).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Optional

from ansible_collections.cutover.ecs.plugins.module_utils._deploy import plan
from ansible_collections.cutover.ecs.plugins.module_utils._errors import InvalidInput

ROLLING = "ROLLING"
BLUE_GREEN = "BLUE_GREEN"
LINEAR = "LINEAR"
CANARY = "CANARY"
NATIVE_STRATEGIES = plan.NATIVE_DEPLOYMENT_STRATEGIES

# ServiceDeploymentStatus
PENDING = "PENDING"
IN_PROGRESS = "IN_PROGRESS"
SUCCESSFUL = "SUCCESSFUL"
STOPPED = "STOPPED"
STOP_REQUESTED = "STOP_REQUESTED"
ROLLBACK_REQUESTED = "ROLLBACK_REQUESTED"
ROLLBACK_IN_PROGRESS = "ROLLBACK_IN_PROGRESS"
ROLLBACK_SUCCESSFUL = "ROLLBACK_SUCCESSFUL"
ROLLBACK_FAILED = "ROLLBACK_FAILED"
ACTIVE_STATUSES = (PENDING, IN_PROGRESS, STOP_REQUESTED, ROLLBACK_REQUESTED, ROLLBACK_IN_PROGRESS)
ROLLING_BACK_STATUSES = (STOP_REQUESTED, ROLLBACK_REQUESTED, ROLLBACK_IN_PROGRESS)
FINAL_STATUSES = (SUCCESSFUL, STOPPED, ROLLBACK_SUCCESSFUL, ROLLBACK_FAILED)

# Green serves the test listener and production is still all on blue: the verification gate.
VERIFY_STAGE = "POST_TEST_TRAFFIC_SHIFT"
AWAITING_ACTION = "AWAITING_ACTION"
PAUSE = "PAUSE"
CONTINUE = "CONTINUE"
ROLLBACK = "ROLLBACK"

# LinearConfiguration.stepPercent: 3.0 to 100.0; bake times: 0 to 1440 minutes.
MIN_LINEAR_STEP = 3
MAX_BAKE_MINUTES = 1440


# --- the service ---------------------------------------------------------------------------


def service_strategy(service: Mapping[str, Any]) -> str:
    return (service.get("deploymentConfiguration") or {}).get("strategy") or ROLLING


@dataclass(frozen=True)
class Routing:
    """The first load balancer of the service with an advancedConfiguration: blue is the
    production target group, green the alternate one."""

    blue_target_group: str
    green_target_group: str
    production_rule: Optional[str]
    test_rule: Optional[str]


def routing_of(service: Mapping[str, Any]) -> Optional[Routing]:
    for balancer in service.get("loadBalancers") or []:
        advanced = balancer.get("advancedConfiguration") or {}
        if balancer.get("targetGroupArn") and advanced.get("alternateTargetGroupArn"):
            return Routing(
                blue_target_group=balancer["targetGroupArn"],
                green_target_group=advanced["alternateTargetGroupArn"],
                production_rule=advanced.get("productionListenerRule"),
                test_rule=advanced.get("testListenerRule"),
            )
    return None


def pause_stages(service: Mapping[str, Any]) -> set:
    """The lifecycle stages at which a PAUSE hook of the service holds a deployment."""
    stages: set = set()
    for hook in (service.get("deploymentConfiguration") or {}).get("lifecycleHooks") or []:
        if hook.get("targetType") == PAUSE:
            stages.update(hook.get("lifecycleStages") or [])
    return stages


# --- input ---------------------------------------------------------------------------------


def verify_problem(service: Mapping[str, Any]) -> Optional[str]:
    """What verify=true needs of the service and it lacks: a test listener rule, and a PAUSE
    hook once green serves it (ECS has no per-deployment hook)."""
    name = service.get("serviceName")
    routing = routing_of(service)
    if routing is None or not routing.test_rule:
        return (
            f"verify=true needs a test listener rule on the service {name}: set load_balancers[].advanced_configuration.test_listener_rule "
            "(cutover.ecs.service) so green can be checked before it takes production traffic"
        )
    if VERIFY_STAGE not in pause_stages(service):
        return (
            f"verify=true needs the service {name} to pause once green serves the test listener: add a lifecycle hook "
            f"{{target_type: PAUSE, lifecycle_stages: [{VERIFY_STAGE}]}} to its deployment_configuration (cutover.ecs.service), "
            "with a timeout_configuration long enough for your checks"
        )
    return None


def check_input(options: Mapping[str, Any], service: Mapping[str, Any]) -> None:
    """What the ecs strategy refuses of the options (the common checks are ``plan.validate_options``)."""
    traffic = options.get("traffic") or {}
    kind = traffic.get("type") or "all_at_once"
    if traffic and kind == "config":
        raise InvalidInput(
            "traffic.type=config names a CodeDeploy deployment config, which the ecs strategy does not use: use all_at_once, canary or linear",
            option="traffic",
        )
    if kind == "linear" and traffic.get("percent") is not None and traffic["percent"] < MIN_LINEAR_STEP:
        raise InvalidInput(f"traffic.percent of a linear ECS deployment must be at least {MIN_LINEAR_STEP} (got {traffic['percent']})", option="traffic")
    interval = traffic.get("interval_minutes")
    if interval is not None and interval > MAX_BAKE_MINUTES:
        raise InvalidInput(f"traffic.interval_minutes of an ECS deployment must be at most {MAX_BAKE_MINUTES} (got {interval})", option="traffic")
    if options.get("verify"):
        problem = verify_problem(service)
        if problem:
            raise InvalidInput(problem, option="verify")


# --- requests ------------------------------------------------------------------------------


def traffic_settings(traffic: Mapping[str, Any]) -> dict:
    """The ``traffic`` option as deploymentConfiguration fields."""
    kind = traffic.get("type") or "all_at_once"
    if kind == "canary":
        return {
            "strategy": CANARY,
            "canaryConfiguration": {"canaryPercent": float(traffic["percent"]), "canaryBakeTimeInMinutes": int(traffic["interval_minutes"])},
        }
    if kind == "linear":
        return {
            "strategy": LINEAR,
            "linearConfiguration": {"stepPercent": float(traffic["percent"]), "stepBakeTimeInMinutes": int(traffic["interval_minutes"])},
        }
    return {"strategy": BLUE_GREEN}


def desired_deployment_configuration(current: Optional[Mapping[str, Any]], traffic: Optional[Mapping[str, Any]], alarms: Sequence[str] = ()) -> Optional[dict]:
    """The deploymentConfiguration UpdateService sends, or None when nothing changes.

    The service's own configuration (hooks, bake time, circuit breaker) is kept; ``traffic``
    replaces the strategy and its settings (another strategy's settings are dropped, ECS
    refuses them), ``alarms`` the alarms, with rollback.
    """
    current = dict(current or {})
    if not traffic and not alarms:
        return None
    desired = copy.deepcopy(current)
    if traffic:
        desired.pop("linearConfiguration", None)
        desired.pop("canaryConfiguration", None)
        desired.update(traffic_settings(traffic))
    if alarms:
        desired["alarms"] = {"alarmNames": list(alarms), "enable": True, "rollback": True}
    return None if desired == current else desired


def update_service_request(cluster: str, service: str, task_definition: str, deployment_configuration: Optional[Mapping[str, Any]]) -> dict:
    request: dict = {"cluster": cluster, "service": service, "taskDefinition": task_definition}
    if deployment_configuration is not None:
        request["deploymentConfiguration"] = dict(deployment_configuration)
    return request


def continue_request(deployment_arn: str, hook_id: str, action: str = CONTINUE) -> dict:
    return {"serviceDeploymentArn": deployment_arn, "hookId": hook_id, "action": action}


def stop_request(deployment_arn: str) -> dict:
    """StopServiceDeployment with ROLLBACK: traffic back to blue, green scaled down."""
    return {"serviceDeploymentArn": deployment_arn, "stopType": ROLLBACK}


# --- idempotency ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ActiveDeployment:
    """An unfinished service deployment and the task definition of its target revision."""

    arn: str
    status: str
    task_definition: Optional[str]


def forward_weights(actions: Sequence[Mapping[str, Any]]) -> dict:
    """{target group ARN: weight} of a rule's (or listener's) forward action (a group without a weight, or a plain
    TargetGroupArn forward, weighs 1)."""
    for action in actions or []:
        if action.get("Type") != "forward":
            continue
        groups = (action.get("ForwardConfig") or {}).get("TargetGroups") or []
        if groups:
            return {g["TargetGroupArn"]: int(g["Weight"]) if g.get("Weight") is not None else 1 for g in groups if g.get("TargetGroupArn")}
        if action.get("TargetGroupArn"):
            return {action["TargetGroupArn"]: 1}
    return {}


def traffic_split(weights: Mapping[str, int], routing: Routing) -> Optional[dict]:
    """Percent of the forward's traffic on blue and green; None when it forwards nowhere."""
    total = sum(weights.values())
    if total <= 0:
        return None
    blue = weights.get(routing.blue_target_group, 0)
    green = weights.get(routing.green_target_group, 0)
    return {"blue": round(100.0 * blue / total, 1), "green": round(100.0 * green / total, 1)}


def decide_native(
    service: Mapping[str, Any], active: Sequence[ActiveDeployment], desired: str, production: Optional[Mapping[str, float]] = None
) -> plan.Decision:
    """``production``: the production listener's split (blue is the service's target group),
    when the service has one."""
    for deployment in active:
        if plan.same_task_definition(deployment.task_definition, desired) and deployment.status not in ROLLING_BACK_STATUSES:
            return plan.Decision(
                plan.ATTACH, deployment.arn, deployment.task_definition, f"service deployment {deployment.arn} to this task definition is in progress"
            )
    if active:
        deployment = active[0]
        doing = "is being rolled back" if deployment.status in ROLLING_BACK_STATUSES else "is in progress"
        return plan.Decision(
            plan.CONFLICT,
            deployment.arn,
            deployment.task_definition,
            f"service deployment {deployment.arn} to {plan.family_revision(deployment.task_definition)} {doing}",
        )
    serving = plan.same_task_definition(plan.serving_task_definition(service), desired)
    if serving and (production is None or production.get("blue", 0.0) >= 100.0):
        return plan.Decision(plan.NOOP, reason="the service already serves this task definition with all production traffic")
    return plan.Decision(plan.START)


def ours(active: Sequence[ActiveDeployment], desired: str) -> Optional[str]:
    """The unfinished deployment to ``desired`` (the one our UpdateService started)."""
    return next((d.arn for d in active if plan.same_task_definition(d.task_definition, desired) and d.status not in ROLLING_BACK_STATUSES), None)


def newest(briefs: Sequence[Mapping[str, Any]]) -> Optional[Mapping[str, Any]]:
    """The unfinished service deployment, else the newest one (ListServiceDeployments' briefs)."""
    if not briefs:
        return None
    ordered = sorted(briefs, key=lambda b: str(plan.iso(b.get("createdAt")) or ""), reverse=True)
    return next((b for b in ordered if b.get("status") in ACTIVE_STATUSES), ordered[0])


def succeeded_newest_first(briefs: Sequence[Mapping[str, Any]]) -> list[str]:
    """ARNs of the SUCCESSFUL service deployments, the latest to end first."""
    succeeded = [b for b in briefs if b.get("status") == "SUCCESSFUL" and b.get("serviceDeploymentArn")]
    ordered = sorted(succeeded, key=lambda b: str(plan.iso(b.get("finishedAt") or b.get("createdAt")) or ""), reverse=True)
    return [b["serviceDeploymentArn"] for b in ordered]


def served_revisions(deployment: Mapping[str, Any]) -> list[str]:
    """The service revisions a SUCCESSFUL deployment shows serving all production traffic, newest
    first: its target (after it), then its sources (before it)."""
    target = (deployment.get("targetServiceRevision") or {}).get("arn")
    sources = [item.get("arn") for item in deployment.get("sourceServiceRevisions") or []]
    return [arn for arn in [target, *sources] if arn]


# --- polling views -------------------------------------------------------------------------


def awaiting_hook(deployment: Mapping[str, Any]) -> Optional[dict]:
    return next((dict(h) for h in deployment.get("lifecycleHookDetails") or [] if h.get("status") == AWAITING_ACTION), None)


def _phase_name(status: str, stage: Optional[str], hook: Optional[Mapping[str, Any]]) -> str:
    if hook is not None:
        return f"{stage} (waiting for verification)" if stage == VERIFY_STAGE else f"{stage} (paused by a lifecycle hook)"
    if status in ROLLING_BACK_STATUSES or status in FINAL_STATUSES:
        return f"{status} at {stage}" if stage else status
    return stage or status


def note_stage(seen: Sequence[tuple[str, str]], stage: Optional[str], now: str) -> list:
    """Stages seen so far, (stage, first seen at), with ``stage`` added when it is new."""
    seen = list(seen)
    if stage and (not seen or seen[-1][0] != stage):
        seen.append((stage, now))
    return seen


def _stage_status(status: str) -> str:
    if status == SUCCESSFUL:
        return "Succeeded"
    if status in (PENDING, IN_PROGRESS):
        return "InProgress"
    return "Failed"


def native_phases(deployment: Mapping[str, Any], seen: Sequence[tuple[str, str]] = ()) -> list:
    """Phases with times: the lifecycle stages seen while polling (else the current stage
    from the deployment's start), then the rollback when there is one."""
    status = deployment.get("status") or PENDING
    final = status in FINAL_STATUSES
    stages = list(seen)
    if not stages and deployment.get("lifecycleStage"):
        stages = [(deployment["lifecycleStage"], plan.iso(deployment.get("startedAt") or deployment.get("createdAt")))]
    phases = []
    for index, (name, started) in enumerate(stages):
        last = index == len(stages) - 1
        phases.append(
            {
                "name": name,
                "status": _stage_status(status) if last else "Succeeded",
                "started_at": started,
                "ended_at": stages[index + 1][1] if not last else (plan.iso(deployment.get("finishedAt")) if final else None),
            }
        )
    rollback = deployment.get("rollback") or {}
    if rollback:
        phases.append(
            {
                "name": "ROLLBACK",
                "status": {ROLLBACK_SUCCESSFUL: "Succeeded", ROLLBACK_FAILED: "Failed", STOPPED: "Succeeded"}.get(status, "InProgress"),
                "started_at": plan.iso(rollback.get("startedAt")),
                "ended_at": plan.iso(deployment.get("finishedAt")) if final else None,
            }
        )
    return phases


def native_view(
    deployment: Mapping[str, Any],
    task_definitions: Mapping[str, str],
    split: Optional[Mapping[str, float]] = None,
    healthy: Optional[Mapping[str, int]] = None,
    seen: Sequence[tuple[str, str]] = (),
) -> dict:
    """One poll of a service deployment: DescribeServiceDeployments' deployment, the task
    definitions of its revisions ({revision ARN: task definition}), the production
    listener's split and the healthy targets of blue's and green's target groups."""
    status = deployment.get("status") or PENDING
    stage = deployment.get("lifecycleStage")
    target = deployment.get("targetServiceRevision") or {}
    sources = deployment.get("sourceServiceRevisions") or []
    hook = awaiting_hook(deployment) if status in ACTIVE_STATUSES else None
    if split is None:
        green = float(target.get("requestedProductionTrafficWeight") or 0.0)
        split = {"blue": round(100.0 - green, 1), "green": green}
    rollback = deployment.get("rollback") or {}
    alarms = (deployment.get("alarms") or {}).get("triggeredAlarmNames") or []
    return {
        "deployment_id": deployment.get("serviceDeploymentArn"),
        "status": status,
        "stage": stage,
        "phase": _phase_name(status, stage, hook),
        "phases": native_phases(deployment, seen),
        "weights": dict(split),
        "running": {"blue": sum(int(s.get("runningTaskCount") or 0) for s in sources), "green": int(target.get("runningTaskCount") or 0)},
        "healthy": dict(healthy or {}),
        "hook_id": (hook or {}).get("hookId"),
        "awaiting": hook is not None,
        "reason": deployment.get("statusReason") or rollback.get("reason"),
        "rollback_reason": rollback.get("reason") or deployment.get("statusReason"),
        "triggered_alarms": list(alarms),
        "task_definition": task_definitions.get(target.get("arn") or ""),
        "previous_task_definition": next((task_definitions[s["arn"]] for s in sources if s.get("arn") in task_definitions), None),
    }


def awaiting_verification(view: Mapping[str, Any]) -> bool:
    return bool(view.get("awaiting")) and view.get("stage") == VERIFY_STAGE


def native_done(view: Mapping[str, Any], continued: Sequence[str] = ()) -> bool:
    """The wait is over: a final status, or a PAUSE hook awaiting action that was not
    continued yet (``continued``: hook ids this run continued)."""
    if view["status"] in FINAL_STATUSES:
        return True
    return bool(view.get("awaiting")) and view.get("hook_id") not in continued


def native_outcome(view: Mapping[str, Any]) -> dict:
    """status, rolled_back and rollback_reason, as the other strategies report them."""
    status = view["status"]
    if status == SUCCESSFUL:
        return {"status": plan.SUCCEEDED, "rolled_back": False, "rollback_reason": None}
    if status in ACTIVE_STATUSES:
        return {"status": plan.AWAITING if awaiting_verification(view) else plan.IN_PROGRESS, "rolled_back": False, "rollback_reason": None}
    reason = view.get("reason") or status
    if view.get("triggered_alarms") and "alarm" not in reason.lower():
        reason = f"{reason} (alarms in ALARM: {', '.join(view['triggered_alarms'])})"
    if status == ROLLBACK_SUCCESSFUL:
        return {"status": plan.ROLLED_BACK, "rolled_back": True, "rollback_reason": reason, "reason": reason}
    if status == STOPPED:
        return {"status": plan.STOPPED, "rolled_back": False, "rollback_reason": None, "reason": f"{status}: {reason}" if reason != status else status}
    return {"status": plan.FAILED, "rolled_back": False, "rollback_reason": None, "reason": f"{status}: {reason}" if reason != status else status}
