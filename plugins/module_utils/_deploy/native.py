# Copyright: cutover.ecs contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ECS-native strategy (``ecs``): BLUE_GREEN, LINEAR and CANARY service deployments.

UpdateService with the task definition (and, when ``traffic`` or ``rollback_on_alarms``
is given, the deploymentConfiguration) starts a service deployment; DescribeServiceDeployments
follows it until it ends. A PAUSE lifecycle hook at POST_TEST_TRAFFIC_SHIFT is the
verification gate: with verify=true the module returns there, and continues it later
(ContinueServiceDeployment) or rolls back (StopServiceDeployment ROLLBACK). PAUSE hooks
it does not wait for are continued as it meets them: left alone they would time out,
by default into a rollback.
"""

from __future__ import annotations

import datetime
from typing import Any, Optional

from ansible_collections.cutover.ecs.plugins.module_utils._deploy import green, native_plan, plan, preshift, until
from ansible_collections.cutover.ecs.plugins.module_utils._deploy.target import Target
from ansible_collections.cutover.ecs.plugins.module_utils._ecs import api as ecs_api
from ansible_collections.cutover.ecs.plugins.module_utils._elbv2 import api as elbv2_api
from ansible_collections.cutover.ecs.plugins.module_utils._errors import CutoverError

STRATEGY = "ecs"


# --- reads ---------------------------------------------------------------------------------


def _ecs(target: Target) -> Any:
    return target.context.client("ecs")


def revision_task_definitions(target: Target, revision_arns: list) -> dict:
    """{service revision ARN: task definition}, revisions being immutable: cached per run."""
    known = target.cache.setdefault("revisions", {})
    missing = sorted({arn for arn in revision_arns if arn and arn not in known})
    for start in range(0, len(missing), 20):  # DescribeServiceRevisions takes 20 ARNs at most
        for revision in ecs_api.describe_service_revisions(_ecs(target), missing[start : start + 20]):
            known[revision["serviceRevisionArn"]] = revision.get("taskDefinition")
    return known


def active_deployments(target: Target) -> list:
    briefs = ecs_api.list_service_deployments(_ecs(target), target.cluster, target.service_name, list(native_plan.ACTIVE_STATUSES))
    briefs = [b for b in briefs if b.get("status") in native_plan.ACTIVE_STATUSES]
    revisions = revision_task_definitions(target, [b.get("targetServiceRevisionArn") for b in briefs])
    return [native_plan.ActiveDeployment(b["serviceDeploymentArn"], b["status"], revisions.get(b.get("targetServiceRevisionArn"))) for b in briefs]


def _routing(target: Target) -> Optional[native_plan.Routing]:
    # Read from the service as the run found it: the target groups swap roles only once a
    # deployment succeeded, so blue stays blue while we poll.
    return native_plan.routing_of(target.service)


def production_split(target: Target) -> Optional[dict]:
    """The production listener rule's (or NLB listener's) split between blue and green."""
    routing = _routing(target)
    if routing is None or not routing.production_rule:
        return None
    client = target.context.client("elbv2")
    if ":listener-rule/" in routing.production_rule:
        rule = elbv2_api.describe_rule(client, routing.production_rule)
        actions = (rule or {}).get("Actions") or []
    else:
        listener = elbv2_api.describe_listener(client, routing.production_rule)
        actions = (listener or {}).get("DefaultActions") or []
    return native_plan.traffic_split(native_plan.forward_weights(actions), routing)


def _health(target: Target) -> dict:
    """DescribeTargetHealth of blue's and green's target groups: the progress lines count the healthy, the green
    watch reads green's."""
    routing = _routing(target)
    if routing is None:
        return {}
    client = target.context.client("elbv2")
    return {
        "blue": elbv2_api.describe_target_health(client, routing.blue_target_group),
        "green": elbv2_api.describe_target_health(client, routing.green_target_group),
    }


def _watch_green(target: Target, deployment: dict, health: list, task_definition: Optional[str], group: Optional[str]) -> Optional[dict]:
    """Why green cannot become healthy, or None (the same watch as CodeDeploy's). Green's stopped tasks (those of the
    deployed task definition, stopped since the deployment began) are read only while it runs fewer tasks than asked."""
    revision = deployment.get("targetServiceRevision") or {}
    desired = int(revision.get("requestedTaskCount") or target.service.get("desiredCount") or 0)
    stops: list = []
    if int(revision.get("runningTaskCount") or 0) < desired:
        tasks = target.stopped_tasks()
        since = plan._epoch(deployment.get("createdAt") or deployment.get("startedAt"))
        stops = green.green_stops(tasks, None, task_definition, since)
    return green.verdict(green.watched_health(health, target.service), stops, desired, group)


def _now() -> str:
    return datetime.datetime.now(datetime.UTC).isoformat()


def fetch_view(target: Target, arn: str, track: bool = True, watch: bool = True) -> dict:
    deployment = ecs_api.describe_service_deployment(_ecs(target), arn)
    if deployment is None:
        raise CutoverError(f"The service deployment {arn} does not exist", deployment_id=arn)
    revisions = [(deployment.get("targetServiceRevision") or {}).get("arn")] + [s.get("arn") for s in deployment.get("sourceServiceRevisions") or []]
    task_definitions = revision_task_definitions(target, revisions)
    split, health, failure = None, {}, None
    status = deployment.get("status")
    routing = _routing(target)
    group = plan.target_group_name(routing.green_target_group) if routing else None
    if status in native_plan.ACTIVE_STATUSES:
        split, health = production_split(target), _health(target)
        if track and watch and target.option("watch_green", True) and status not in native_plan.ROLLING_BACK_STATUSES:
            failure = _watch_green(target, deployment, health.get("green", []), task_definitions.get(revisions[0] or ""), group)
    seen: list = []
    if track:
        stages = target.cache.setdefault("stages", {})
        seen = stages[arn] = native_plan.note_stage(stages.get(arn, []), deployment.get("lifecycleStage"), _now())
    healthy = {label: plan.healthy_count(items) for label, items in health.items()}
    view = native_plan.native_view(deployment, task_definitions, split, healthy, seen)
    if failure:
        view["green_failure"] = failure
    if "green" in health:
        view["green_not_ready"] = preshift.green_not_ready(health["green"], group)
    revision = deployment.get("targetServiceRevision") or {}
    view["requested_weights"] = (revision.get("requestedTestTrafficWeight"), revision.get("requestedProductionTrafficWeight"))
    return view


def _previous(target: Target) -> Optional[str]:
    return plan.serving_task_definition(target.service) or target.service.get("taskDefinition")


def _reread_service(target: Target) -> dict:
    return ecs_api.describe_service(_ecs(target), target.cluster, target.service_name) or target.service


# --- pre-shift checks --------------------------------------------------------------------------


def _check_listeners(target: Target, shares: dict, when: str, **held: Any) -> None:
    """The service's production and test listener rules route as the deployment expects (``preshift``), or the run
    refuses (``Target.listeners_checked``). Reads each rule and its listener."""
    routing = _routing(target)
    if routing is None:
        return
    client = target.context.client("elbv2")
    routes = []
    for role, arn in ((preshift.PRODUCTION, routing.production_rule), (preshift.TEST, routing.test_rule)):
        if not arn:
            continue
        listener = elbv2_api.describe_listener(client, preshift.listener_of_rule(arn))
        found = elbv2_api.describe_rule(client, arn) if ":listener-rule/" in arn else listener
        routes.append(preshift.named_route(role, arn, found, listener))
    pair = preshift.Pair(routing.blue_target_group, routing.green_target_group)
    target.listeners_checked(preshift.drift(routes, pair, shares), when, routes=tuple(routes), **held)


def check(target: Target) -> None:
    """action=check: the rules as a deployment starting now expects them; nothing while one runs (a deploy would
    attach to it)."""
    if not active_deployments(target):
        _check_listeners(target, preshift.AT_REST, "before it starts")


def _check_at_hook(target: Target, arn: str, view: dict, changed: bool) -> None:
    """The rules as the deployment left them at its hook: the weights it requested (else those its stage implies)."""
    stage = view.get("stage")
    shares = preshift.native_shares(stage, *(view.get("requested_weights") or (None, None)))
    _check_listeners(target, shares, f"before continuing at {stage}", waiting=arn, changed=changed)


def _before_shift(target: Target, arn: str, view: dict, changed: bool) -> dict:
    """Before a PAUSE hook is continued: when traffic moves onto green next, green healthy (waited for; the green
    watch goes on meanwhile); then the rules (``_check_at_hook``), read last. Returns the last view."""
    stage = view.get("stage")
    if stage in preshift.NATIVE_HEALTH_STAGES and view.get("green_not_ready"):
        target.note(f"{target.elapsed():6.1f}s before continuing at {stage}: {view['green_not_ready']}; waiting")
        view = target.poller().wait(
            lambda: fetch_view(target, arn),
            lambda v: not v.get("green_not_ready") or not v.get("awaiting") or v["status"] in native_plan.FINAL_STATUSES or _green_failed(v),
            f"green healthy before continuing at {stage}",
        )
    if view.get("awaiting") and not _green_failed(view):
        _check_at_hook(target, arn, view, changed)
    return view


def _continue(target: Target, arn: str, view: dict, changed: bool) -> tuple[dict, bool]:
    """Pre-shift checks, then ContinueServiceDeployment of the hook (while it still waits); (last view, continued)."""
    view = _before_shift(target, arn, view, changed)
    if _green_failed(view) or not view.get("awaiting") or not view.get("hook_id"):
        return view, False
    ecs_api.continue_service_deployment(_ecs(target), **native_plan.continue_request(arn, view["hook_id"]))
    return view, True


# --- waits ---------------------------------------------------------------------------------


def follow(target: Target, arn: str, verify: bool, started: bool = False) -> tuple[dict, bool]:
    """The deployment's last view: final, or paused for verification when ``verify``. Other
    PAUSE hooks are continued on the way, after the pre-shift checks; returns whether this run continued one."""
    continued: list = []
    while True:
        view = target.poller().wait(
            lambda: fetch_view(target, arn),
            lambda v: native_plan.native_done(v, continued) or _green_failed(v) or _reached(target, v),
            f"service deployment {arn}",
        )
        if _reached(target, view) and not _hook_after_deployed(target, view, continued):
            return view, bool(continued)
        if not _green_failed(view) and view["status"] not in native_plan.FINAL_STATUSES and not (verify and native_plan.awaiting_verification(view)):
            if not view.get("awaiting") or view.get("hook_id") in continued:
                continue
            hook = view["hook_id"]
            view, done = _continue(target, arn, view, started or bool(continued))
            if done:
                continued.append(hook)
                continue
        if _green_failed(view):
            return _stop_for_green(target, arn, view), bool(continued)
        if view["status"] in native_plan.FINAL_STATUSES or (verify and native_plan.awaiting_verification(view)):
            return view, bool(continued)


def _hook_after_deployed(target: Target, view: dict, continued: list) -> bool:
    """A PAUSE hook waits once production is all on green (POST_PRODUCTION_TRAFFIC_SHIFT) and wait_until=deployed:
    continued before the module returns, as left alone it would time out, by default into a rollback."""
    return target.option("wait_until") == until.DEPLOYED and bool(view.get("awaiting")) and view.get("hook_id") not in continued


def _reached(target: Target, view: dict) -> bool:
    """The deployment got as far as wait_until (``until``); the green watch's finding comes first."""
    return not _green_failed(view) and until.reached(STRATEGY, view, target.option("wait_until", until.STABLE))


def _green_failed(view: dict) -> bool:
    return bool(view.get("green_failure")) and view["status"] in native_plan.ACTIVE_STATUSES and view["status"] not in native_plan.ROLLING_BACK_STATUSES


def _stop_for_green(target: Target, arn: str, view: dict) -> dict:
    """Green cannot become healthy: StopServiceDeployment with rollback now. Returns the final view, with the watch's
    finding and times."""
    failure = view["green_failure"]
    seen = target.elapsed()
    target.note(f"{seen:6.1f}s green watch: {green.reason(failure)}; stopping the service deployment with rollback")
    try:
        ecs_api.stop_service_deployment(_ecs(target), **native_plan.stop_request(arn))
    except CutoverError as error:
        # ECS may have begun its own rollback (the circuit breaker) or ended it meanwhile: follow that.
        again = fetch_view(target, arn, track=False)
        if again["status"] in native_plan.ACTIVE_STATUSES and again["status"] not in native_plan.ROLLING_BACK_STATUSES:
            message = f"{error.message} (stopping it because {green.reason(failure)})"
            raise CutoverError(message, code=error.code, deployment_id=arn) from error
        return _wait_final(target, arn, f"the rollback of {arn}")
    watch = green.finding(failure, seen, target.elapsed())
    return dict(_wait_final(target, arn, f"the rollback of {arn}"), green_watch=watch)


def _wait_final(target: Target, arn: str, description: str) -> dict:
    """Until it ends: a rollback, or another run's deployment (nothing for the green watch to act on)."""
    return target.poller().wait(lambda: fetch_view(target, arn, watch=False), lambda v: v["status"] in native_plan.FINAL_STATUSES, description)


def _report(target: Target, view: dict, outcome: dict, previous: Optional[str], changed: bool, **extra: Any) -> dict:
    return plan.report(
        STRATEGY,
        view,
        outcome,
        view.get("previous_task_definition") or previous,
        view.get("task_definition") or target.task_definition_arn,
        target.elapsed(),
        target.progress.lines,
        changed=changed,
        deployment_status=view.get("status"),
        **extra,
    )


def _finish(target: Target, view: dict, previous: Optional[str], changed: bool, fail_on_failure: bool = True) -> dict:
    outcome = native_plan.native_outcome(view)
    if _reached(target, view):
        outcome = until.outcome(outcome, target.option("wait_until"))
    watch = view.get("green_watch")
    if watch:
        outcome = green.with_green_failure(outcome, watch)
    elif outcome["status"] in plan.FAILURES and not view.get("triggered_alarms"):
        outcome = target.with_task_reason(outcome, view.get("task_definition") or target.task_definition_arn)
    result = _report(target, view, outcome, previous, changed, **({"green_watch": watch} if watch else {}))
    if fail_on_failure and outcome["status"] in plan.FAILURES:
        message = f"Service deployment {view['deployment_id']} {outcome['status'].replace('_', ' ')}: {outcome.get('reason')}"
        raise CutoverError(message, **{key: value for key, value in result.items() if key != "changed"}, changed=True)
    return result


# --- deploy --------------------------------------------------------------------------------


def _check_input(target: Target) -> None:
    native_plan.check_input(target.options, target.service)
    options = target.options
    if options.get("container_name") or options.get("container_port") or target.service.get("loadBalancers"):
        plan.container_target(target.service, target.task_definition, options.get("container_name"), options.get("container_port"))


def _decide(target: Target, desired: str) -> plan.Decision:
    active = active_deployments(target)
    serving = plan.same_task_definition(plan.serving_task_definition(target.service), desired)
    # The listener is read only when it can turn a "start" into a "noop".
    production = production_split(target) if serving and not active else None
    return native_plan.decide_native(target.service, active, desired, production)


def _handle_conflict(target: Target, decision: plan.Decision, desired: str) -> plan.Decision:
    on_conflict = target.option("on_conflict", "fail")
    if on_conflict == "fail":
        raise CutoverError(plan.conflict_message(decision, desired), deployment_id=decision.deployment_id)
    if target.context.check_mode:
        return decision
    if on_conflict == "stop":
        view = fetch_view(target, decision.deployment_id, track=False)
        if view["status"] not in native_plan.ROLLING_BACK_STATUSES and view["status"] in native_plan.ACTIVE_STATUSES:
            ecs_api.stop_service_deployment(_ecs(target), **native_plan.stop_request(decision.deployment_id))
    _wait_final(target, decision.deployment_id, f"the other service deployment {decision.deployment_id}")
    target.service = _reread_service(target)
    decision = _decide(target, desired)
    if decision.action == plan.CONFLICT:
        raise CutoverError(plan.conflict_message(decision, desired), deployment_id=decision.deployment_id)
    return decision


def _plan_result(target: Target, decision: plan.Decision, previous: Optional[str], configuration: Optional[dict]) -> dict:
    diff = target.diff_from(previous)
    sent = configuration or target.service.get("deploymentConfiguration") or {}
    result = plan.plan_report(
        STRATEGY,
        decision,
        previous,
        target.task_definition_arn,
        target.elapsed(),
        diff,
        deployment_strategy=sent.get("strategy") or native_plan.ROLLING,
        traffic=plan.traffic_steps(STRATEGY, sent),
        deployment_configuration=configuration,
        update_service=native_plan.update_service_request(target.cluster, target.service_name, target.task_definition_arn, configuration)
        if decision.action == plan.START
        else None,
    )
    if target.context.diff_mode:
        result["diff"] = diff
    return result


def _started(target: Target, desired: str) -> str:
    arn = native_plan.ours(active_deployments(target), desired)
    if arn is None:
        raise CutoverError(
            f"UpdateService of {target.service_name} started no service deployment to {plan.family_revision(desired)}: "
            f"check that its deployment strategy is BLUE_GREEN, LINEAR or CANARY (it is {native_plan.service_strategy(target.service)})"
        )
    return arn


def run(target: Target) -> dict:
    action = target.option("action", "deploy")
    if action != "deploy":
        return _act_on_awaiting(target, action)
    _check_input(target)
    desired = target.task_definition_arn
    verify = bool(target.option("verify", False))
    configuration = native_plan.desired_deployment_configuration(
        target.service.get("deploymentConfiguration"), target.options.get("traffic"), target.option("rollback_on_alarms", [])
    )
    decision = _decide(target, desired)
    if decision.action == plan.CONFLICT:
        decision = _handle_conflict(target, decision, desired)
    if decision.action == plan.START:
        _check_listeners(target, preshift.AT_REST, "before it starts")
    previous = _previous(target)

    if target.context.check_mode:
        return _plan_result(target, decision, previous, configuration)

    if decision.action == plan.NOOP:
        view = {"deployment_id": None, "phases": [], "weights": {"blue": 0.0, "green": 100.0}}
        return plan.report(STRATEGY, view, {"status": plan.SUCCEEDED}, previous, desired, target.elapsed(), changed=False)

    if decision.action == plan.ATTACH:
        arn = decision.deployment_id
    else:
        request = native_plan.update_service_request(target.cluster, target.service_name, desired, configuration)
        ecs_api.update_service(_ecs(target), **request)
        arn = _started(target, desired)

    if not target.option("wait", True):
        view = fetch_view(target, arn)
        return _report(target, view, native_plan.native_outcome(view), previous, changed=decision.action == plan.START)
    view, continued = follow(target, arn, verify, started=decision.action == plan.START)
    # Attaching waits for a deployment an earlier run started: that run changed the service.
    return _finish(target, view, previous, changed=decision.action == plan.START or continued)


# --- continue / rollback of an awaiting deployment -----------------------------------------


def _awaiting(target: Target) -> Optional[str]:
    given = target.options.get("deployment_id")
    if given:
        return given
    active = active_deployments(target)
    return active[0].arn if active else None


def _act_on_awaiting(target: Target, action: str) -> dict:
    arn = _awaiting(target)
    previous = _previous(target)
    if arn is None:
        # Nothing in progress: a re-run after the continue or rollback already happened.
        result = describe(target)
        result["changed"] = False
        return result
    view = fetch_view(target, arn)
    if view["status"] in native_plan.FINAL_STATUSES:
        return _finish(target, view, previous, changed=False, fail_on_failure=False)
    if target.context.check_mode:
        if action == "continue" and view.get("awaiting"):
            _check_at_hook(target, arn, view, changed=False)
        outcome = {"status": plan.SUCCEEDED if action == "continue" else plan.ROLLED_BACK}
        return _report(target, view, outcome, previous, changed=True, plan={"action": action})
    client = _ecs(target)
    if action == "rollback":
        if view["status"] not in native_plan.ROLLING_BACK_STATUSES:
            ecs_api.stop_service_deployment(client, **native_plan.stop_request(arn))
        if not target.option("wait", True):
            view = fetch_view(target, arn)
            return _report(target, view, native_plan.native_outcome(view), previous, changed=True)
        view = _wait_final(target, arn, f"the rollback of {arn}")
        return _finish(target, view, previous, changed=True, fail_on_failure=False)
    continued = False
    if view.get("awaiting") and view.get("hook_id"):
        view, continued = _continue(target, arn, view, changed=False)
        if _green_failed(view):
            return _finish(target, _stop_for_green(target, arn, view), previous, changed=True)
    if not target.option("wait", True):
        view = fetch_view(target, arn)
        return _report(target, view, native_plan.native_outcome(view), previous, changed=continued)
    view, more = follow(target, arn, verify=False)
    return _finish(target, view, previous, changed=continued or more)


# --- deployment_info -----------------------------------------------------------------------


def describe(target: Target) -> dict:
    """The service's unfinished service deployment, else its newest one."""
    briefs = ecs_api.list_service_deployments(_ecs(target), target.cluster, target.service_name)
    brief = native_plan.newest(briefs)
    previous = _previous(target)
    if brief is None:
        return plan.report(STRATEGY, None, {"status": "none"}, previous, previous, target.elapsed(), exists=False)
    view = fetch_view(target, brief["serviceDeploymentArn"], track=False)
    outcome = native_plan.native_outcome(view)
    return plan.report(
        STRATEGY,
        view,
        outcome,
        view.get("previous_task_definition"),
        view.get("task_definition"),
        target.elapsed(),
        exists=True,
        deployment_status=view["status"],
        phase=view["phase"],
        hook_id=view.get("hook_id"),
    )
