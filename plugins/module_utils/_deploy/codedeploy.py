# Copyright: cutover.ecs contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The CodeDeploy strategy: CreateDeployment with AppSpec content, followed through
GetDeployment and GetDeploymentTarget until it ends (or reaches Ready when the caller
verifies).

CreateDeployment has no per-deployment ``deploymentReadyOption``: the group decides
whether a deployment stops at Ready. With verify=false and a group that stops, this
driver continues the deployment itself (ContinueDeployment READY_WAIT).
"""

from __future__ import annotations

import time
from typing import Any, Optional

from ansible_collections.cutover.ecs.plugins.module_utils._codedeploy import api
from ansible_collections.cutover.ecs.plugins.module_utils._deploy import green, plan, preshift, until
from ansible_collections.cutover.ecs.plugins.module_utils._deploy.target import Target
from ansible_collections.cutover.ecs.plugins.module_utils._elbv2 import api as elbv2_api
from ansible_collections.cutover.ecs.plugins.module_utils._errors import CutoverError, InvalidInput

ROLLBACK_CREATOR = "codeDeployRollback"


# --- reads ---------------------------------------------------------------------------------


def _group(client: Any, application: str, name: str) -> Optional[dict]:
    return api.get_deployment_group(client, application, name)


def find_group(target: Target) -> tuple[str, dict]:
    """(application, group info) of the service: given, named like the service, or searched."""
    client = target.context.client("codedeploy")
    application, name = target.options.get("application"), target.options.get("deployment_group")
    cluster, service = target.cluster, target.service_name
    if application and name:
        group = _group(client, application, name)
        if group is None:
            raise InvalidInput(f"The CodeDeploy deployment group {application}/{name} does not exist", option="deployment_group")
        if not plan.group_matches_service(group, cluster, service):
            raise InvalidInput(
                f"The deployment group {application}/{name} deploys {group.get('ecsServices')}, not {cluster}/{service}", option="deployment_group"
            )
        return application, group
    applications = [application] if application else None
    # The cheap guess first: our infrastructure role names both after the service.
    guess = _group(client, application or service, name or service)
    if guess is not None and plan.group_matches_service(guess, cluster, service):
        return application or service, guess
    for app in applications or api.list_applications(client):
        for group_name in api.list_deployment_groups(client, app):
            if name and group_name != name:
                continue
            group = _group(client, app, group_name)
            if group is not None and plan.group_matches_service(group, cluster, service):
                return app, group
    raise InvalidInput(
        f"No CodeDeploy deployment group deploys the service {service} in cluster {cluster}: create one (cutover.ecs.codedeploy_deployment_group) "
        "or give application and deployment_group",
        option="deployment_group",
    )


def _target_id(target: Target) -> str:
    return f"{plan.name_of(target.cluster)}:{target.service_name}"


def fetch_view(target: Target, deployment_id: str) -> dict:
    client = target.context.client("codedeploy")
    info = api.get_deployment(client, deployment_id)
    if info is None:
        raise CutoverError(f"The CodeDeploy deployment {deployment_id} does not exist")
    deployment_target = None
    if info.get("status") not in ("Created", "Queued"):
        deployment_target = api.get_deployment_target(client, deployment_id, _target_id(target))
    view = plan.codedeploy_view(info, deployment_target)
    if deployment_target is not None and info.get("status") in plan.ACTIVE_STATUSES:
        names = plan.target_group_names(deployment_target)
        health = _health(target, names)
        view["healthy"] = {label: plan.healthy_count(items) for label, items in health.items()}
        view["target_groups"] = names
        if "green" in health:
            view["green_not_ready"] = preshift.green_not_ready(health["green"], names.get("green"))
        if target.option("watch_green", True):
            view["green_failure"] = _watch_green(target, info, deployment_target, health.get("green", []), names.get("green"))
    view["creator"] = info.get("creator")
    view["triggering_deployment_id"] = (info.get("rollbackInfo") or {}).get("rollbackTriggeringDeploymentId")
    view["previous_task_definition"] = plan.appspec_task_definition(info.get("previousRevision"))
    return view


def _health(target: Target, names: dict) -> dict:
    """DescribeTargetHealth of blue's and green's target groups: the progress lines count the healthy, the green
    watch reads green's."""
    if not names:
        return {}
    client = target.context.client("elbv2")
    arns = _target_group_arns(target, names.values())
    return {label: elbv2_api.describe_target_health(client, arns[name]) for label, name in names.items() if name in arns}


def _target_group_arns(target: Target, names: Any) -> dict:
    """{name: ARN} of target groups, kept for the run (one DescribeTargetGroups for those not seen yet)."""
    arns = target.cache.setdefault("target_groups", {})
    missing = sorted(set(names) - set(arns))
    if missing:
        found = elbv2_api.describe_target_groups(target.context.client("elbv2"), missing)
        arns.update({group["TargetGroupName"]: group["TargetGroupArn"] for group in found})
    return arns


def _watch_green(target: Target, info: dict, deployment_target: dict, health: list, target_group: Optional[str]) -> Optional[dict]:
    """Why green cannot become healthy, or None. Green's stopped tasks are read only while it runs fewer tasks than it
    wants (two reads), so a healthy deployment costs no extra call."""
    task_set = plan.green_task_set(deployment_target)
    if not task_set:
        return None
    desired = int(task_set.get("desiredCount") or 0)
    stops: list = []
    if int(task_set.get("runningCount") or 0) < desired:
        tasks = target.stopped_tasks()
        since = plan._epoch(info.get("createTime"))
        stops = green.green_stops(tasks, task_set.get("identifer"), plan.appspec_task_definition(info.get("revision")), since)
    return green.verdict(green.watched_health(health, target.service), stops, desired, target_group)


def _stop_for_green(target: Target, view: dict) -> dict:
    """Green cannot become healthy: stop the deployment with rollback now, rather than wait out CodeDeploy's timeout.
    Returns the deployment's final view, with the watch's finding and times."""
    client = target.context.client("codedeploy")
    deployment_id, failure = view["deployment_id"], view["green_failure"]
    seen = target.elapsed()
    target.note(f"{seen:6.1f}s green watch: {green.reason(failure)}; stopping {deployment_id} with rollback")
    try:
        api.stop_deployment(client, deployment_id, True)
    except CutoverError as error:
        if error.code != "DeploymentAlreadyCompletedException":
            message = f"{error.message} (stopping it because {green.reason(failure)})"
            raise CutoverError(message, code=error.code, deployment_id=deployment_id) from error
        # It ended on its own meanwhile: report what it did.
        return fetch_view(target, deployment_id)
    began = green.checks_began(view.get("phases") or [])
    watch = green.finding(failure, seen, target.elapsed(), time.time() - began if began else None)
    final = target.poller().wait(lambda: fetch_view(target, deployment_id), lambda v: v["status"] in plan.FINAL_STATUSES, f"stopping {deployment_id}")
    return dict(final, green_watch=watch)


# --- pre-shift checks --------------------------------------------------------------------------


def _check_listeners(target: Target, group: dict, pair: Optional[preshift.Pair], shares: dict, when: str, **held: Any) -> None:
    """The group's production and test listeners route as the deployment expects (``preshift``), or the run refuses
    (``Target.listeners_checked``). Reads each listener and its rules."""
    if pair is None:
        return
    client = target.context.client("elbv2")
    routes, findings = [], []
    for role, arn in preshift.codedeploy_listeners(group):
        listener = elbv2_api.describe_listener(client, arn)
        if listener is None:
            routes.append(preshift.Route(role, arn, None, arn, preshift.WHOLE_LISTENER, (), exists=False))
            continue
        found = preshift.listener_routes(role, listener, elbv2_api.describe_rules(client, arn), pair)
        routes.extend(found)
        if not found:
            findings.append(preshift.listener_without_route(role, listener, pair))
    target.listeners_checked(preshift.drift(routes, pair, shares) + findings, when, routes=tuple(routes), **held)


def _check_before_start(target: Target, group: dict) -> None:
    arns = _target_group_arns(target, [name for name in preshift.codedeploy_pair_names(group) if name])
    pair = preshift.codedeploy_pair(group, arns, preshift.serving_target_group(target.service))
    _check_listeners(target, group, pair, preshift.AT_REST, "before it starts")


def check(target: Target) -> None:
    """action=check: the listeners as a deployment starting now expects them; nothing while one runs (a deploy would
    attach to it)."""
    application, group = find_group(target)
    if not active_deployments(target, application, group["deploymentGroupName"]):
        _check_before_start(target, group)


def _check_at_ready(target: Target, view: dict, changed: bool) -> None:
    """The listeners as Ready leaves them: test on green, production on blue."""
    deployment_id, names = view["deployment_id"], view.get("target_groups") or {}
    group = target.cache.get("codedeploy_group")
    if group is not None and names.get("blue") and names.get("green"):
        arns = _target_group_arns(target, names.values())
        pair = preshift.Pair(arns.get(names["blue"], ""), arns.get(names["green"], ""))
        shares = {preshift.PRODUCTION: 0.0, preshift.TEST: 100.0}
        _check_listeners(target, group, pair, shares, f"before production traffic moves ({deployment_id} is Ready)", waiting=deployment_id, changed=changed)


def _before_shift(target: Target, view: dict, changed: bool) -> dict:
    """At Ready, before ContinueDeployment moves production: green healthy (waited for; the green watch goes on
    meanwhile), then the listeners (``_check_at_ready``), read last. Returns the last view."""
    deployment_id = view["deployment_id"]
    if view.get("green_not_ready"):
        target.note(f"{target.elapsed():6.1f}s before production traffic moves: {view['green_not_ready']}; waiting")
        view = target.poller().wait(
            lambda: fetch_view(target, deployment_id),
            lambda v: not v.get("green_not_ready") or v["status"] != "Ready" or _green_failed(v),
            f"green healthy before production traffic moves ({deployment_id})",
        )
    if view["status"] == "Ready" and not _green_failed(view):
        _check_at_ready(target, view, changed)
    return view


def _continue(target: Target, view: dict, changed: bool) -> dict:
    """Pre-shift checks, then ContinueDeployment (while still Ready); the view it ends with, or the green watch's."""
    view = _before_shift(target, view, changed)
    if _green_failed(view):
        return view
    if view["status"] == "Ready":
        api.continue_deployment(target.context.client("codedeploy"), view["deployment_id"])
    return view


def active_deployments(target: Target, application: str, group: str) -> list[tuple[str, Optional[str]]]:
    client = target.context.client("codedeploy")
    found = []
    for deployment_id in api.list_deployments(client, application, group, list(plan.ACTIVE_STATUSES)):
        info = api.get_deployment(client, deployment_id)
        if info is not None and info.get("status") in plan.ACTIVE_STATUSES:
            found.append((deployment_id, plan.appspec_task_definition(info.get("revision"))))
    return found


def _previous_task_definition(target: Target) -> Optional[str]:
    return plan.serving_task_definition(target.service) or target.service.get("taskDefinition")


# --- waits ---------------------------------------------------------------------------------


def wait_for(target: Target, deployment_id: str, verify: bool, changed: bool = True) -> dict:
    """The deployment's last view: final, or Ready when ``verify``. With verify=false a
    deployment stopped at Ready (the group's STOP_DEPLOYMENT) is continued here, after the pre-shift checks."""
    view = target.poller().wait(
        lambda: fetch_view(target, deployment_id), lambda v: _done(v, True) or _reached(target, v), f"CodeDeploy deployment {deployment_id}"
    )
    if view["status"] == "Ready" and not verify and not _green_failed(view) and not _reached(target, view):
        view = _continue(target, view, changed)
        if not _green_failed(view):
            view = target.poller().wait(
                lambda: fetch_view(target, deployment_id), lambda v: _done(v, False) or _reached(target, v), f"CodeDeploy deployment {deployment_id}"
            )
    if _green_failed(view):
        return _stop_for_green(target, view)
    return view


def _done(view: dict, verify: bool) -> bool:
    """The wait is over: CodeDeploy's own end (or Ready), or the green watch's finding."""
    return plan.codedeploy_done(view, verify) or _green_failed(view)


def _green_failed(view: dict) -> bool:
    return bool(view.get("green_failure")) and view["status"] in plan.ACTIVE_STATUSES


def _reached(target: Target, view: dict) -> bool:
    """The deployment got as far as wait_until (``until``); the green watch's finding comes first."""
    return not _green_failed(view) and until.reached("codedeploy", view, target.option("wait_until", until.STABLE))


def wait_for_rollback(target: Target, view: dict) -> Optional[dict]:
    rollback_id = view.get("rollback_deployment_id")
    if not rollback_id:
        return None
    return target.poller().wait(lambda: fetch_view(target, rollback_id), lambda v: v["status"] in plan.FINAL_STATUSES, f"rollback deployment {rollback_id}")


def _finish(target: Target, view: dict, previous: Optional[str], changed: bool, fail_on_failure: bool = True) -> dict:
    rollback_view = wait_for_rollback(target, view) if view["status"] in ("Stopped", "Failed") else None
    watch = view.get("green_watch")
    outcome = green.with_green_failure(plan.codedeploy_outcome(view, rollback_view), watch)
    if _reached(target, view):
        outcome = until.outcome(outcome, target.option("wait_until"))
    result = plan.report(
        "codedeploy",
        view,
        outcome,
        previous,
        view.get("task_definition") or target.task_definition_arn,
        target.elapsed(),
        target.progress.lines,
        changed=changed,
        rollback_deployment_id=view.get("rollback_deployment_id"),
        **({"green_watch": watch} if watch else {}),
    )
    if fail_on_failure and outcome["status"] in plan.FAILURES:
        message = f"CodeDeploy deployment {view['deployment_id']} {outcome['status'].replace('_', ' ')}: {outcome.get('reason')}"
        raise CutoverError(message, **{key: value for key, value in result.items() if key != "changed"}, changed=True)
    return result


# --- deploy ------------------------------------------------------------------------------------


def _traffic(target: Target) -> plan.TrafficChoice:
    """The deployment config to name, checked; ``create`` is kept only when it is missing."""
    choice = plan.traffic_config(target.options.get("traffic"))
    client = target.context.client("codedeploy")
    if choice.create is not None:
        existing = api.get_deployment_config(client, choice.name)
        problem = plan.config_mismatch(choice, existing)
        if problem:
            raise InvalidInput(problem, option="traffic")
        return choice if existing is None else plan.TrafficChoice(choice.name, routing=existing.get("trafficRoutingConfig"))
    if choice.name and not choice.name.startswith("CodeDeployDefault."):
        existing = api.get_deployment_config(client, choice.name)
        if existing is None:
            raise InvalidInput(f"The CodeDeploy deployment config {choice.name} does not exist", option="traffic")
        return plan.TrafficChoice(choice.name, routing=existing.get("trafficRoutingConfig"))
    return choice


def _handle_conflict(target: Target, decision: plan.Decision, desired: str) -> None:
    on_conflict = target.option("on_conflict", "fail")
    if on_conflict == "fail" or target.context.check_mode:
        if on_conflict == "fail":
            raise CutoverError(plan.conflict_message(decision, desired), deployment_id=decision.deployment_id)
        return
    client = target.context.client("codedeploy")
    if on_conflict == "stop":
        api.stop_deployment(client, decision.deployment_id, True)
    view = target.poller().wait(
        lambda: fetch_view(target, decision.deployment_id), lambda v: v["status"] in plan.FINAL_STATUSES, f"the other deployment {decision.deployment_id}"
    )
    wait_for_rollback(target, view)


def _plan_result(
    target: Target, decision: plan.Decision, application: str, group: dict, appspec: dict, choice: plan.TrafficChoice, current_td: Optional[dict]
) -> dict:
    previous = _previous_task_definition(target)
    config = choice.name or group.get("deploymentConfigName") or plan.ECS_ALL_AT_ONCE
    routing = choice.routing or plan.codedeploy_routing(config, choice.create)
    if routing is None:
        # the group's own config, one CodeDeploy does not predefine: one GetDeploymentConfig
        routing = (api.get_deployment_config(target.context.client("codedeploy"), config) or {}).get("trafficRoutingConfig")
    return plan.plan_report(
        "codedeploy",
        decision,
        previous,
        target.task_definition_arn,
        target.elapsed(),
        plan.task_definition_diff(current_td, target.task_definition or {}),
        application=application,
        deployment_group=group.get("deploymentGroupName"),
        deployment_config=config,
        traffic=plan.traffic_steps("codedeploy", routing),
        creates_deployment_config=choice.create is not None,
        appspec=appspec,
    )


def run(target: Target) -> dict:
    action = target.option("action", "deploy")
    application, group = find_group(target)
    target.cache["codedeploy_group"] = group
    if action != "deploy":
        return _act_on_awaiting(target, application, group, action)
    verify = bool(target.option("verify", False))
    problem = plan.verify_problem(group, verify)
    if problem:
        raise InvalidInput(problem, option="verify")
    container, port = plan.container_target(target.service, target.task_definition, target.options.get("container_name"), target.options.get("container_port"))
    choice = _traffic(target)
    desired = target.task_definition_arn
    appspec = plan.build_appspec(desired, container, port, target.service)
    group_name = group["deploymentGroupName"]
    decision = plan.decide_codedeploy(target.service, active_deployments(target, application, group_name), desired)
    previous = _previous_task_definition(target)

    if decision.action == plan.CONFLICT:
        _handle_conflict(target, decision, desired)
        if not target.context.check_mode:
            target.service = _reread_service(target)
            previous = _previous_task_definition(target)
            decision = plan.decide_codedeploy(target.service, active_deployments(target, application, group_name), desired)
            if decision.action == plan.CONFLICT:
                raise CutoverError(plan.conflict_message(decision, desired), deployment_id=decision.deployment_id)
    if decision.action == plan.START:
        _check_before_start(target, group)

    if target.context.check_mode:
        current_td = _describe_td(target, previous)
        return _diff(target, _plan_result(target, decision, application, group, appspec, choice, current_td), current_td)

    if decision.action == plan.NOOP:
        view = {"deployment_id": None, "phases": [], "weights": {"blue": 0.0, "green": 100.0}}
        return plan.report("codedeploy", view, {"status": plan.SUCCEEDED}, previous, desired, target.elapsed(), changed=False)

    if decision.action == plan.ATTACH:
        deployment_id = decision.deployment_id
    else:
        client = target.context.client("codedeploy")
        if choice.create is not None:
            api.create_deployment_config(client, **choice.create)
        request = plan.create_deployment_request(
            application,
            group_name,
            appspec,
            choice.name,
            target.option("rollback_on_alarms", []),
            description=plan.deployment_description(desired, previous),
        )
        deployment_id = api.create_deployment(client, **request)

    if not target.option("wait", True):
        view = fetch_view(target, deployment_id)
        return plan.report("codedeploy", view, plan.codedeploy_outcome(view), previous, desired, target.elapsed(), target.progress.lines, changed=True)
    view = wait_for(target, deployment_id, verify, changed=decision.action == plan.START)
    # Attaching waits for a deployment an earlier run started: that run changed the service.
    return _finish(target, view, previous, changed=decision.action == plan.START)


def _reread_service(target: Target) -> dict:
    from ansible_collections.cutover.ecs.plugins.module_utils._ecs import api as ecs_api

    return ecs_api.describe_service(target.context.client("ecs"), target.cluster, target.service_name) or target.service


def _describe_td(target: Target, reference: Optional[str]) -> Optional[dict]:
    if not reference:
        return None
    from ansible_collections.cutover.ecs.plugins.module_utils._ecs import api as ecs_api

    found = ecs_api.describe_task_definition(target.context.client("ecs"), reference)
    return found["taskDefinition"] if found else None


def _diff(target: Target, result: dict, current_td: Optional[dict]) -> dict:
    if target.context.diff_mode:
        result["diff"] = result["plan"]["task_definition_diff"]
    return result


# --- continue / rollback of an awaiting deployment ------------------------------------------------


def _awaiting(target: Target, application: str, group: str) -> Optional[str]:
    given = target.options.get("deployment_id")
    if given:
        return given
    active = active_deployments(target, application, group)
    return active[0][0] if active else None


def _act_on_awaiting(target: Target, application: str, group: dict, action: str) -> dict:
    group_name = group["deploymentGroupName"]
    deployment_id = _awaiting(target, application, group_name)
    previous = _previous_task_definition(target)
    if deployment_id is None:
        # Nothing in progress: a re-run after the continue or rollback already happened.
        result = describe(target, application, group)
        result["changed"] = False
        return result
    view = fetch_view(target, deployment_id)
    if view["status"] not in plan.ACTIVE_STATUSES:
        return _finish(target, view, previous, changed=False, fail_on_failure=False)
    if target.context.check_mode:
        if action == "continue" and view["status"] == "Ready":
            _check_at_ready(target, view, changed=False)
        outcome = {"status": plan.SUCCEEDED if action == "continue" else plan.ROLLED_BACK}
        return plan.report("codedeploy", view, outcome, previous, view.get("task_definition"), target.elapsed(), changed=True, plan={"action": action})
    client = target.context.client("codedeploy")
    if action == "rollback":
        api.stop_deployment(client, deployment_id, True)
        view = target.poller().wait(lambda: fetch_view(target, deployment_id), lambda v: v["status"] in plan.FINAL_STATUSES, f"stopping {deployment_id}")
        if not target.option("wait", True):
            return plan.report("codedeploy", view, plan.codedeploy_outcome(view), previous, view.get("task_definition"), target.elapsed(), changed=True)
        return _finish(target, view, previous, changed=True, fail_on_failure=False)
    if view["status"] == "Ready":
        view = _continue(target, view, changed=False)
        if _green_failed(view):
            return _finish(target, _stop_for_green(target, view), previous, changed=True)
    if not target.option("wait", True):
        return plan.report("codedeploy", view, plan.codedeploy_outcome(view), previous, view.get("task_definition"), target.elapsed(), changed=True)
    view = wait_for(target, deployment_id, verify=False)
    return _finish(target, view, previous, changed=True)


# --- deployment_info -------------------------------------------------------------------------------


def describe(target: Target, application: Optional[str] = None, group: Optional[dict] = None) -> dict:
    """The group's active deployment, else its newest; a rollback deployment is reported
    as the deployment it rolled back."""
    if group is None:
        application, group = find_group(target)
    client = target.context.client("codedeploy")
    group_name = group["deploymentGroupName"]
    ids = [d for d, _td in active_deployments(target, application, group_name)] or api.list_deployments(client, application, group_name)
    previous = _previous_task_definition(target)
    if not ids:
        return plan.report("codedeploy", None, {"status": "none"}, previous, previous, target.elapsed(), exists=False)
    view = fetch_view(target, ids[0])
    rollback_view = None
    if view.get("creator") == ROLLBACK_CREATOR and view.get("triggering_deployment_id"):
        rollback_view, view = view, fetch_view(target, view["triggering_deployment_id"])
    elif view["status"] in ("Stopped", "Failed") and view.get("rollback_deployment_id"):
        rollback_view = fetch_view(target, view["rollback_deployment_id"])
    outcome = plan.codedeploy_outcome(view, rollback_view)
    return plan.report(
        "codedeploy",
        view,
        outcome,
        view.get("previous_task_definition"),
        view.get("task_definition"),
        target.elapsed(),
        exists=True,
        deployment_status=view["status"],
        rollback_deployment_id=view.get("rollback_deployment_id"),
        application=application,
        deployment_group=group_name,
    )
