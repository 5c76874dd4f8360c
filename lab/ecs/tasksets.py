"""Task sets of EXTERNAL and CODE_DEPLOY services: scale becomes running tasks.

https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-type-external.html
A task set runs ``ceil(scale% x service desiredCount)`` tasks, registered in
the task set's own target groups; it is STEADY_STATE when that many run and
are healthy, STABILIZING otherwise. Traffic between task sets is the load
balancer's (listener weights); ``set_task_set_load_balancers`` lets the
CodeDeploy engine move a task set's targets between target groups.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lab.ecs import model, planner
from lab.ecs.engine import registrations_for
from lab.ecs.model import TaskRecord
from lab.ecs.services import Verdict, grace_seconds, judge, replace_failing, service_label

if TYPE_CHECKING:
    from lab.ecs.engine import TaskEngine
    from lab.ecs.services import HealthLookup, ServiceScheduler
    from lab.server import Lab

MAX_TASK_SETS = 5
ECS_CONTROLLER_MESSAGE = "Amazon ECS only supports task set management on services configured to use external deployment controllers."


def scale_percent(task_set: Any) -> float:
    scale = task_set.scale or {}
    if scale.get("unit", "PERCENT") != "PERCENT":
        return 0.0
    return float(scale.get("value", 100.0))


def computed_desired_count(service: Any, task_set: Any) -> int:
    return planner.task_set_computed_count(service.desired_count, scale_percent(task_set))


def stability(computed: int, healthy: int, starting: int, stopping: int) -> str:
    """STEADY_STATE when exactly the computed count runs healthy and nothing moves."""
    return "STEADY_STATE" if healthy == computed and starting == 0 and stopping == 0 else "STABILIZING"


class TaskSetScheduler:
    def __init__(self, lab: Lab, engine: TaskEngine, services: ServiceScheduler) -> None:
        self.lab = lab
        self.engine = engine
        self.services = services

    def reconcile_service(self, region: str, service: Any, health: HealthLookup) -> None:
        """Caller holds ``lab.lock``."""
        state = self.services.state_of(region, service)
        tasks = [t for t in self.engine.of_service(region, service.cluster_name, service.name) if t.active]
        live_ids = {ts.id for ts in service.task_sets} if service.status == "ACTIVE" else set()
        for task in tasks:
            if task.task_set_id not in live_ids:
                self.engine.request_stop(task, f"Scaling activity initiated by (deployment {task.task_set_id})", model.SERVICE_SCHEDULER_INITIATED)
        grace = grace_seconds(service)
        for task_set in list(service.task_sets):
            mine = [t for t in tasks if t.task_set_id == task_set.id]
            self._reconcile_task_set(region, service, task_set, mine, health, grace, state)
        if service.status == "DRAINING" and not any(t.active for t in tasks):
            service.status = "INACTIVE"

    def _reconcile_task_set(self, region: str, service: Any, task_set: Any, tasks: list[TaskRecord], health: HealthLookup, grace: float, state: Any) -> None:
        label = service_label(service.name, task_set.id)
        computed = computed_desired_count(service, task_set)
        verdicts = {t.arn: judge(t, health, grace) for t in tasks}
        for task in tasks:
            verdict = verdicts[task.arn]
            if verdict.failing:
                replace_failing(self.engine, state, label, task, verdict)
                verdicts[task.arn] = Verdict(False)
        wanted = [t for t in tasks if t.desired_status == model.RUNNING]
        healthy = [t for t in wanted if verdicts[t.arn].healthy]
        starting = [t for t in wanted if not verdicts[t.arn].healthy]
        excess = len(wanted) - computed
        if excess > 0:
            victims = sorted(starting, key=lambda t: t.created_at, reverse=True) + sorted(healthy, key=lambda t: t.created_at, reverse=True)
            for task in victims[:excess]:
                self.engine.request_stop(task, f"Scaling activity initiated by (deployment {task_set.id})", model.SERVICE_SCHEDULER_INITIATED)
        elif excess < 0 and service.status == "ACTIVE":
            self._start(region, service, task_set, -excess, label)
        self._publish(task_set, computed, tasks, verdicts, state, label)

    def _start(self, region: str, service: Any, task_set: Any, count: int, label: str) -> None:
        backend = self.lab.moto.ecs(region)
        cluster = backend._get_cluster(service.cluster_name)
        task_definition = backend.describe_task_definition(task_set.task_definition)
        for _ in range(count):
            task = self.engine.create_task(
                region=region,
                cluster=cluster,
                task_definition=task_definition,
                launch_type=task_set.launch_type or "FARGATE",
                group=f"service:{service.name}",
                started_by=task_set.id,
                network_configuration=task_set.network_configuration or service.network_configuration,
                tags=list(task_set.tags or []),
                platform_version=task_set.platform_version,
                service_name=service.name,
                task_set_id=task_set.id,
                load_balancers=list(task_set.load_balancers or []),
            )
            self.services.events.add(("started", label), task)

    def _publish(self, task_set: Any, computed: int, tasks: list[TaskRecord], verdicts: dict[str, Verdict], state: Any, label: str) -> None:
        running = sum(t.last_status == model.RUNNING for t in tasks)
        pending = sum(t.last_status in model.STARTING_STATES for t in tasks)
        wanted = [t for t in tasks if t.desired_status == model.RUNNING]
        healthy = sum(verdicts[t.arn].healthy for t in wanted)
        status = stability(computed, healthy, len(wanted) - healthy, sum(t.desired_status == model.STOPPED for t in tasks))
        task_set.computed_desired_count = computed
        task_set.running_count = running
        task_set.pending_count = pending
        if status != task_set.stabilityStatus:
            task_set.stabilityStatus = status
            task_set.stabilityStatusAt = model.now()
            task_set.updatedAt = model.now()
            if status == "STEADY_STATE":
                state.event(f"{label} has reached a steady state.")


def set_task_set_load_balancers(
    lab: Lab, engine: TaskEngine, region: str, cluster: str, service: str, task_set_ref: str, load_balancers: list[dict[str, Any]]
) -> Any:
    """Moves a task set's tasks into exactly these target groups (for the CodeDeploy engine).

    New target groups get every RUNNING task registered on the next tick; target
    groups left out see their targets deregistered (draining, tasks keep running).
    """
    with lab.lock:
        backend = lab.moto.ecs(region)
        task_set = backend.describe_task_sets(cluster, service, [task_set_ref])[0]
        task_set.load_balancers = list(load_balancers)
        wanted = {lb["targetGroupArn"] for lb in load_balancers}
        cluster_name = backend._get_cluster(cluster).name
        for task in engine.of_service(region, cluster_name, service.split("/")[-1]):
            if task.task_set_id != task_set.id or not task.active:
                continue
            for target_group in {r.target_group_arn for r in task.registrations} - wanted:
                engine.unregister_target(task, target_group)
            present = {r.target_group_arn for r in task.registrations}
            task.registrations += [r for r in registrations_for(load_balancers) if r.target_group_arn not in present]
        return task_set
