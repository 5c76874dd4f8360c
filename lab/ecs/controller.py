"""The ECS controller: one reconcile pass moves containers, tasks, services and task sets."""

from __future__ import annotations

import logging
import time
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from lab.ecs.engine import HealthSnapshot, TaskEngine
from lab.ecs.runtime import ContainerRuntime
from lab.ecs.services import ServiceScheduler, controller_type, is_failure
from lab.ecs.tasksets import TaskSetScheduler, set_task_set_load_balancers
from lab.server import Controller

if TYPE_CHECKING:
    from lab.server import Lab

log = logging.getLogger("lab.ecs")

_BY_LAB: weakref.WeakKeyDictionary[Any, EcsController] = weakref.WeakKeyDictionary()


def for_lab(lab: Lab) -> EcsController:
    """The ECS controller of a running lab (set up by ``lab.ecs.intercept.setup``)."""
    return _BY_LAB[lab]


class EcsController(Controller):
    name = "ecs-services"
    services = ("ecs",)

    def __init__(self, lab: Lab, runtime: ContainerRuntime) -> None:
        self.lab = lab
        self.engine = TaskEngine(lab, runtime)
        self.scheduler = ServiceScheduler(lab, self.engine)
        self.task_sets = TaskSetScheduler(lab, self.engine, self.scheduler)
        self.engine.on_event = self.scheduler.on_task_event
        self.regions: set[str] = set()
        # Another engine (ECS-native blue/green) may own a service while it deploys it;
        # the rolling scheduler then leaves that service alone. (region, cluster, service) -> bool.
        self.owners: list[Callable[[str, str, str], bool]] = []
        _BY_LAB[lab] = self

    def saw_region(self, region: str) -> None:
        self.regions.add(region)

    # -------------------------------------------------------------- reconcile
    def reconcile(self, lab: Lab) -> None:
        self._apply_task_kills()
        self.engine.poll_containers()
        health = self._target_health_snapshot()
        with lab.lock:
            regions = self._regions()
            for region in regions:
                backend = lab.moto.ecs(region)
                for service in list(backend.services.values()):
                    if any(owns(region, service.cluster_name, service.name) for owns in self.owners):
                        continue
                    if controller_type(service) == "ECS":
                        self.scheduler.reconcile_service(region, service, health)
                    else:
                        self.task_sets.reconcile_service(region, service, health)
            self.engine.sync_targets(health)
            self.engine.forget_old_stopped()
            self.scheduler.flush_events()
            for region in regions:
                for service in list(lab.moto.ecs(region).services.values()):
                    self.scheduler.publish(service)

    def _regions(self) -> list[str]:
        """Regions whose ECS backend moto has built (it builds them lazily, on first use)."""
        from moto.backends import get_backend

        built = set(get_backend("ecs")[self.lab.moto.account_id].keys())  # type: ignore[index]
        return sorted(self.regions | built)

    def _apply_task_kills(self) -> None:
        for kill in self.lab.faults.take_task_kills():
            with self.lab.lock:
                task = self.engine.find(kill.cluster.split("/")[-1], kill.task)
            if task is None:
                log.warning("kill-task: no task %s in cluster %s", kill.task, kill.cluster)
                continue
            self.engine.kill(task)

    def _target_health_snapshot(self) -> HealthSnapshot:
        """Reads HAProxy's view of every target group our tasks are in, outside
        ``lab.lock`` (it may talk to HAProxy); None per group when no data plane runs."""
        taken_at = time.monotonic()
        with self.lab.lock:
            groups = {r.target_group_arn for t in self.engine.tasks.values() if t.active for r in t.registrations}
        data_plane = getattr(self.lab, "haproxy", None)
        states: dict[str, Any] = {}
        for group in groups:
            if data_plane is None:
                states[group] = None
                continue
            try:
                states[group] = data_plane.target_health(group)
            except Exception:  # noqa: BLE001 - a deleted group or a reload in progress: try next tick
                log.debug("target_health(%s) failed", group, exc_info=True)
                states[group] = {}
        return HealthSnapshot(states, taken_at)

    def shutdown(self, lab: Lab) -> None:
        self.engine.shutdown()

    # -------------------------------------------------------------- for other engines
    def task_set_status(self, region: str, cluster: str, service: str, task_set_arn: str) -> dict[str, Any]:
        """Counts and failures of one task set (for the CodeDeploy engine)."""
        with self.lab.lock:
            backend = self.lab.moto.ecs(region)
            task_set = backend.describe_task_sets(cluster, service, [task_set_arn])[0]
            cluster_name = backend._get_cluster(cluster).name
            mine = [t for t in self.engine.of_service(region, cluster_name, service.split("/")[-1]) if t.task_set_id == task_set.id]
            failed = [t for t in mine if t.last_status == "STOPPED" and is_failure(t)]
            failed.sort(key=lambda t: t.stopped_at or t.created_at)
            return {
                "computedDesiredCount": getattr(task_set, "computed_desired_count", 0),
                "pendingCount": getattr(task_set, "pending_count", 0),
                "runningCount": getattr(task_set, "running_count", 0),
                "stabilityStatus": task_set.stabilityStatus,
                "stoppedCount": sum(t.last_status == "STOPPED" for t in mine),
                "failedTasks": len(failed),
                "lastStoppedReason": failed[-1].stopped_reason if failed else None,
            }

    def set_task_set_load_balancers(self, region: str, cluster: str, service: str, task_set: str, load_balancers: list[dict[str, Any]]) -> Any:
        """See ``lab.ecs.tasksets.set_task_set_load_balancers``."""
        self.saw_region(region)
        return set_task_set_load_balancers(self.lab, self.engine, region, cluster, service, task_set, load_balancers)
