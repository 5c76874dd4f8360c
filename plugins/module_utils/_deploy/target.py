# Copyright: cutover.ecs contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What every strategy driver gets: the service as read, the options, the resolved
task definition, and the poller settings."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Optional

from ansible_collections.cutover.ecs.plugins.module_utils._deploy import green, plan, preshift
from ansible_collections.cutover.ecs.plugins.module_utils._ecs import api as ecs_api
from ansible_collections.cutover.ecs.plugins.module_utils._elbv2 import api as elbv2_api
from ansible_collections.cutover.ecs.plugins.module_utils._errors import CutoverError
from ansible_collections.cutover.ecs.plugins.module_utils._module import Context
from ansible_collections.cutover.ecs.plugins.module_utils._poller import Poller


@dataclass
class Target:
    context: Context
    options: Mapping[str, Any]
    service: dict
    strategy: str
    task_definition: Optional[dict]
    started: float
    progress: plan.Progress = field(default_factory=plan.Progress)
    # Lookups worth keeping between polls (target group ARNs by name).
    cache: dict = field(default_factory=dict)

    @property
    def cluster(self) -> str:
        return self.options["cluster"]

    @property
    def service_name(self) -> str:
        return self.service["serviceName"]

    @property
    def task_definition_arn(self) -> Optional[str]:
        return (self.task_definition or {}).get("taskDefinitionArn")

    def option(self, key: str, default: Any = None) -> Any:
        value = self.options.get(key)
        return default if value is None else value

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def diff_from(self, previous: Optional[str]) -> dict:
        """The task definition diff a check-mode plan shows: the one served now against the one to deploy."""
        current = ecs_api.describe_task_definition(self.context.client("ecs"), previous) if previous else None
        return plan.task_definition_diff((current or {}).get("taskDefinition"), self.task_definition or {})

    def with_task_reason(self, outcome: Mapping[str, Any], task_definition: Optional[str]) -> dict:
        """A failed outcome with why the tasks of ``task_definition`` stopped (the circuit breaker says only "tasks
        failed to start"): the green watch's sentence when its verdict holds on them, so a rolling update (or a
        rollback ECS began itself) reads as the watched strategies do; else the last stopped task's reason. Read on
        failure only."""
        tasks = self.stopped_tasks()
        failure = green.verdict([], green.green_stops(tasks, None, task_definition), int(self.service.get("desiredCount") or 0))
        if failure and self.option("watch_green", True):
            engine = outcome.get("reason")
            reason = f"{green.reason(failure)} ({engine})" if engine else green.reason(failure)
        else:
            reason = plan.with_task_reason(outcome.get("reason"), plan.stopped_task_reason(tasks, task_definition))
        updated = dict(outcome, reason=reason)
        if outcome.get("rolled_back"):
            updated["rollback_reason"] = reason
        return updated

    def listeners_checked(self, findings: list, when: str, waiting: Optional[str] = None, changed: bool = False, routes: tuple = ()) -> None:
        """The pre-shift check's verdict on the listener rules: refuse (on_listener_drift=fail), or go on and say so
        (a warning, a progress line, and ``listener_drift`` in the result). ``waiting``: the deployment held at a
        shift, else none was started yet; ``changed``: this run started it. With findings, the message also names
        production traffic the ``routes`` send now where nothing can serve it (the target groups' health is read)."""
        if not findings:
            return
        failing = self.failing_now(routes)
        if self.option("on_listener_drift", preshift.FAIL) != preshift.PROCEED:
            message = preshift.drift_message(findings, self.service_name, when, waiting, failing)
            raise CutoverError(message, listener_drift=findings, changed=changed)
        warning = preshift.proceed_warning(findings, when, failing)
        self.context.warn(warning)
        self.note(f"{self.elapsed():6.1f}s {warning}")
        self.cache.setdefault("listener_drift", []).extend(dict(finding, when=when) for finding in findings)

    def failing_now(self, routes: tuple) -> list:
        """``preshift.failing_now`` of ``routes``: the health of each target group production forwards to, read once."""
        client = self.context.client("elbv2")
        arns = dict.fromkeys(arn for _route, arn, _share in preshift.production_shares(routes))
        return preshift.failing_now(routes, {arn: elbv2_api.describe_target_health(client, arn) for arn in arns})

    def stopped_tasks(self) -> list:
        """Every stopped task of the service ECS lists, for the green watch: the list read whole at each call (a
        service in a crash loop stops more than one page's worth), each task described once per run (a stopped
        task does not change)."""
        client = self.context.client("ecs")
        arns = ecs_api.stopped_task_arns(client, self.cluster, self.service_name)
        known = self.cache.setdefault("stopped_tasks", {})
        missing = [arn for arn in arns if arn not in known]
        if missing:
            known.update({task["taskArn"]: task for task in ecs_api.describe_tasks(client, self.cluster, missing) if task.get("taskArn")})
        return [known[arn] for arn in arns if arn in known]

    def poller(self) -> Poller:
        """One poller per wait, bounded by what is left of wait_timeout."""
        left = max(1.0, float(self.option("wait_timeout", 600)) - self.elapsed())
        return Poller(timeout=left, interval=float(self.option("poll_interval", 5)), on_poll=lambda view, _waited: self.report_progress(view))

    def note(self, line: str) -> None:
        """A line of its own in the progress (an action the driver took), kept and printed like the polls'."""
        self.progress.lines.append(line)
        path = self.options.get("progress_file")
        if path:
            append_line(path, line)

    def report_progress(self, view: Mapping[str, Any]) -> None:
        """One line per poll: kept for the result, and appended to progress_file (which the
        action plugin prints live) when there is one."""
        self.progress(view, self.elapsed())
        path = self.options.get("progress_file")
        if path:
            append_line(path, self.progress.lines[-1])


def append_line(path: str, line: str) -> None:
    """Progress is a nicety: a file that cannot be written never fails a deployment."""
    try:
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(line + "\n")
    except OSError:
        pass
