# Copyright: cutover.ecs contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The green watch (pure): while a deployment runs, whether green can still become healthy, from its targets'
health in its target group and its tasks' stops; and the one sentence that says why not, the same for every
strategy.

Green cannot become healthy when one of its targets is ``unhealthy`` (the load balancer says so only after the
target group's unhealthy threshold of failed checks in a row), when one of its tasks was stopped for failing its
health checks, or when as many of its tasks stopped as ECS's circuit breaker allows before it gives up.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Optional

from ansible_collections.cutover.ecs.plugins.module_utils._deploy.plan import FAILED, STOPPED, _epoch, _stopped_by_failure, same_task_definition

TARGET_HEALTH = "target_health"
TASK_STOPS = "task_stops"
# ECS's stop reasons for a task whose load balancer or container health checks failed
HEALTH_CHECK_STOPS = ("Task failed ELB health checks", "Task failed container health checks")


def failure_threshold(desired: int) -> int:
    """Failed tasks before ECS's circuit breaker gives up: half the desired count, at least 3, at most 200."""
    return min(200, max(3, math.ceil(max(0, int(desired)) / 2)))


def unhealthy_targets(descriptions: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """DescribeTargetHealth entries in state ``unhealthy`` (``initial``, ``unused`` and ``draining`` are not failures)."""
    return [item for item in descriptions if (item.get("TargetHealth") or {}).get("State") == "unhealthy"]


def green_stops(tasks: Iterable[Mapping[str, Any]], task_set_id: Optional[str], task_definition: Optional[str], since: float = 0.0) -> list[Mapping[str, Any]]:
    """Green's tasks that stopped by failure since the deployment began: those its task set started when it is known,
    else those of the deployed task definition; newest first."""
    found = []
    for task in tasks:
        if not _stopped_by_failure(task):
            continue
        if task_set_id:
            if task.get("startedBy") != task_set_id:
                continue
        elif not same_task_definition(task.get("taskDefinitionArn"), task_definition):
            continue
        if _epoch(task.get("stoppingAt") or task.get("stoppedAt") or task.get("createdAt")) < since:
            continue
        found.append(task)
    return sorted(found, key=lambda task: _epoch(task.get("stoppingAt") or task.get("stoppedAt")), reverse=True)


def _task_id(task: Mapping[str, Any]) -> str:
    return str(task.get("taskArn", "")).rsplit("/", 1)[-1]


def _stop_reason(task: Mapping[str, Any]) -> str:
    details = []
    for container in task.get("containers") or []:
        if container.get("exitCode") not in (None, 0):
            details.append(f"{container.get('name')}: exit code {container['exitCode']}")
    return str(task.get("stoppedReason") or "") + (f" ({'; '.join(details)})" if details else "")


def verdict(health: Sequence[Mapping[str, Any]], stops: Sequence[Mapping[str, Any]], desired: int, target_group: Optional[str] = None) -> Optional[dict]:
    """Why green cannot become healthy, or None while it still can. ``stops`` as :func:`green_stops` gives them."""
    bad = unhealthy_targets(health)
    if bad:
        item = bad[0]
        target, state = item.get("Target") or {}, item.get("TargetHealth") or {}
        reason = ": ".join(part for part in (state.get("Reason"), state.get("Description")) if part)
        return {
            "check": TARGET_HEALTH,
            "target": f"{target.get('Id')}:{target.get('Port')}" if target.get("Port") else str(target.get("Id")),
            "target_group": target_group,
            "health_reason": reason or "unhealthy",
        }
    by_health = [task for task in stops if str(task.get("stoppedReason") or "").startswith(HEALTH_CHECK_STOPS)]
    if by_health or len(stops) >= failure_threshold(desired):
        task = (by_health or stops)[0]
        return {"check": TASK_STOPS, "task": _task_id(task), "stop_reason": _stop_reason(task), "stopped": len(stops), "target_group": target_group}
    return None


def watched_health(health: Sequence[Mapping[str, Any]], service: Mapping[str, Any]) -> Sequence[Mapping[str, Any]]:
    """The target health the watch may judge: none for a service with a health check grace period, as ECS ignores failed
    checks during it (a slow starter is unhealthy for a while); its stopped tasks still count."""
    return [] if int(service.get("healthCheckGracePeriodSeconds") or 0) > 0 else health


def reason(failure: Mapping[str, Any]) -> str:
    """The sentence a report gives, whichever strategy ran."""
    if failure["check"] == TARGET_HEALTH:
        where = f" in target group {failure['target_group']}" if failure.get("target_group") else ""
        return f"green cannot become healthy: target {failure['target']}{where} failed its health checks ({failure['health_reason']})"
    count = failure.get("stopped", 1)
    # The task named is one stopped for its health checks when there is one, else the newest stopped
    stopped = "1 of its tasks stopped:" if count == 1 else f"{count} of its tasks stopped;"
    return f"green cannot become healthy: {stopped} task {failure['task']}: {failure['stop_reason']}"


def finding(failure: Mapping[str, Any], seen_after: float, rollback_started_after: float, since_checks_began: Optional[float] = None) -> dict:
    """What the result's ``green_watch`` reports: the failure, the sentence, and when (seconds from the module's start;
    ``since_checks_began``: from when the load balancer began to check green to the rollback's start, when known)."""
    found = dict(failure, seen_after_s=round(seen_after, 1), rollback_started_after_s=round(rollback_started_after, 1), reason=reason(failure))
    if since_checks_began is not None:
        found["rollback_after_checks_began_s"] = round(max(0.0, since_checks_began), 1)
    return found


def checks_began(phases: Sequence[Mapping[str, Any]]) -> Optional[float]:
    """When the load balancer began to check a CodeDeploy green (epoch seconds): its target group is on no listener, so
    unchecked, until AllowTestTraffic ends (or, without a test listener, AllowTraffic begins). No failed check comes
    earlier: the time from then to the rollback bounds the time from green's first failed check to it. None before."""
    by_name = {phase.get("name"): phase for phase in phases}
    test = by_name.get("AllowTestTraffic") or {}
    if test.get("status") == "Succeeded" and test.get("ended_at"):
        return _epoch(test["ended_at"]) or None
    production = by_name.get("AllowTraffic") or {}
    if production.get("started_at"):
        return _epoch(production["started_at"]) or None
    return None


def with_green_failure(outcome: Mapping[str, Any], failure: Optional[Mapping[str, Any]]) -> dict:
    """A finished deployment's outcome with the watch's reason in place of the engine's (which says only that it was
    stopped); whether it was rolled back stays. The watch stopped it because it failed: ``stopped`` (by someone) reads
    ``failed``."""
    if not failure:
        return dict(outcome)
    said = reason(failure)
    updated = dict(outcome, reason=said)
    if updated.get("status") == STOPPED:
        updated["status"] = FAILED
    if outcome.get("rolled_back"):
        updated["rollback_reason"] = said
    return updated
