"""The ECS service scheduler for the ``ECS`` deployment controller (rolling update).

Follows https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-type-ecs.html
and https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-circuit-breaker.html.
moto keeps the service record; this module keeps its deployments, events and
tasks in line and writes the observable fields back onto moto's object so
DescribeServices (answered by moto) shows them.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from lab import clock
from lab.ecs import model, planner
from lab.ecs.model import DeploymentRecord, ServiceState, TaskRecord

if TYPE_CHECKING:
    from lab.ecs.engine import TaskEngine
    from lab.server import Lab

HealthLookup = Callable[[str], "dict[tuple[str, int], Any] | None"]

DEFAULT_CIRCUIT_BREAKER = {"enable": False, "rollback": False}
FAILURE_REASON = "ECS deployment circuit breaker: tasks failed to start."
CONTAINER_CHECKS_FAILED = "Task failed container health checks"


# ---------------------------------------------------------------- configuration
def normalized_deployment_configuration(given: dict[str, Any] | None, controller: str, previous: dict[str, Any] | None = None) -> dict[str, Any]:
    """AWS's defaults (max 200 %, min 100 %, breaker off) under what was given."""
    config: dict[str, Any] = {"maximumPercent": planner.DEFAULT_MAX_PERCENT, "minimumHealthyPercent": planner.DEFAULT_MIN_PERCENT}
    if controller == "ECS":
        config["deploymentCircuitBreaker"] = dict(DEFAULT_CIRCUIT_BREAKER)
    config.update(previous or {})
    for key, value in (given or {}).items():
        if value is not None:
            config[key] = value
    return config


def deployment_configuration(service: Any) -> dict[str, Any]:
    controller = (service.deployment_controller or {}).get("type", "ECS")
    return normalized_deployment_configuration(getattr(service, "deployment_configuration", None), controller)


def controller_type(service: Any) -> str:
    return (service.deployment_controller or {}).get("type", "ECS")


def grace_seconds(service: Any) -> float:
    return clock.scaled(float(getattr(service, "health_check_grace_period_seconds", None) or 0))


def is_failure(task: TaskRecord) -> bool:
    """A task that failed to start, crashed, or failed its load balancer health checks."""
    if task.stop_code in (model.TASK_FAILED_TO_START, model.ESSENTIAL_CONTAINER_EXITED):
        return True
    return (task.stopped_reason or "").startswith(("Task failed ELB health checks", CONTAINER_CHECKS_FAILED))


def service_label(service_name: str, task_set_id: str | None = None) -> str:
    """How ECS names the subject of an event: ``(service web)`` or ``(service web, taskSet ecs-svc/1)``."""
    return f"(service {service_name}, taskSet {task_set_id})" if task_set_id else f"(service {service_name})"


def task_list(tasks: list[TaskRecord]) -> str:
    return " ".join(f"(task {t.id})" for t in tasks)


# ---------------------------------------------------------------- health
@dataclass(frozen=True)
class Verdict:
    """A task's health as the scheduler sees it."""

    healthy: bool
    failing: bool = False  # failed a load balancer health check after the grace period
    target_group_arn: str = ""
    port: int = 0
    reason: str = ""


def judge(task: TaskRecord, health: HealthLookup, grace: float) -> Verdict:
    """Healthy once RUNNING, every target group it is in reports ``healthy`` and
    its container health checks (if any) pass; failing (to be replaced) when a
    check fails after the grace period."""
    if task.last_status != model.RUNNING or task.desired_status != model.RUNNING:
        return Verdict(False)
    in_grace = task.started_monotonic is not None and time.monotonic() - task.started_monotonic < grace
    checked = any(c.essential and c.has_health_check for c in task.containers)
    if checked and task.health_status == "UNHEALTHY" and not in_grace:
        return Verdict(False, True, reason=CONTAINER_CHECKS_FAILED)
    containers_ok = not checked or task.health_status == "HEALTHY"
    if not task.registrations:
        return Verdict(task.confirmed_running and containers_ok)
    all_healthy = containers_ok
    for registration in task.registrations:
        if not registration.registered:
            all_healthy = False
            continue
        states = health(registration.target_group_arn)
        if states is None:
            from lab.ecs.engine import tcp_probe

            all_healthy = all_healthy and tcp_probe(task.ip or "", registration.port)
            continue
        current = states.get((task.ip or "", registration.port))
        state = getattr(current, "state", None)
        if state == "unused":
            # The target group serves no listener yet (a CodeDeploy green group before its
            # test traffic): ELB runs no health checks there, so ECS goes by the task running.
            all_healthy = all_healthy and task.confirmed_running
            continue
        if state == "unhealthy" and not in_grace:
            reason = getattr(current, "description", "") or getattr(current, "reason", "") or "Health checks failed"
            return Verdict(False, True, registration.target_group_arn, registration.port, reason)
        if state != "healthy":
            all_healthy = False
    return Verdict(all_healthy)


def replace_failing(engine: TaskEngine, state: ServiceState, label: str, task: TaskRecord, verdict: Verdict) -> None:
    """Stops a task that failed its health checks, with AWS's event and reason."""
    if verdict.target_group_arn:
        state.event(
            f"{label} (task {task.id}) (port {verdict.port}) is unhealthy in (target-group {verdict.target_group_arn}) due to (reason {verdict.reason})."
        )
        engine.request_stop(task, f"Task failed ELB health checks in (target-group {verdict.target_group_arn})", model.SERVICE_SCHEDULER_INITIATED)
    else:
        state.event(f"{label} (task {task.id}) failed container health checks.")
        engine.request_stop(task, CONTAINER_CHECKS_FAILED, model.SERVICE_SCHEDULER_INITIATED)


# ---------------------------------------------------------------- events
class EventBuffer:
    """Collects what happened to tasks during a tick and writes AWS-worded,
    batched service events ("has started 2 tasks: (task a) (task b).")."""

    def __init__(self) -> None:
        self.items: dict[tuple[Any, ...], list[TaskRecord]] = defaultdict(list)

    def add(self, key: tuple[Any, ...], task: TaskRecord) -> None:
        if task not in self.items[key]:
            self.items[key].append(task)

    def flush(self, state_of: Callable[[TaskRecord], ServiceState | None]) -> None:
        items, self.items = self.items, defaultdict(list)
        for key, tasks in items.items():
            state = state_of(tasks[0])
            if state is None:
                continue
            kind, label = key[0], key[1]
            if kind == "started":
                state.event(f"{label} has started {len(tasks)} tasks: {task_list(tasks)}.")
            elif kind == "registered":
                state.event(f"{label} registered {len(tasks)} targets in (target-group {key[2]})")
            elif kind == "draining":
                state.event(f"{label} has begun draining connections on {len(tasks)} tasks.")
            elif kind == "deregistered":
                state.event(f"{label} deregistered {len(tasks)} targets in (target-group {key[2]})")
            elif kind == "stopping":
                state.event(f"{label} has stopped {len(tasks)} running tasks: {task_list(tasks)}.")


# ---------------------------------------------------------------- the scheduler
class ServiceScheduler:
    """Rolling deployments for ECS-controller services; shared service state for all."""

    def __init__(self, lab: Lab, engine: TaskEngine) -> None:
        self.lab = lab
        self.engine = engine
        self.states: dict[tuple[str, str, str], ServiceState] = {}
        self.events = EventBuffer()

    # -------------------------------------------------------- state
    def state_of(self, region: str, service: Any) -> ServiceState:
        key = (region, service.cluster_name, service.name)
        state = self.states.get(key)
        if state is None:
            state = ServiceState(key)
            self.states[key] = state
            if controller_type(service) == "ECS":
                seed = (service.deployments or [{}])[0]
                deployment = _primary_deployment(service, seed.get("id"))
                state.deployments.append(deployment)
                state.history.append(deployment)
        return state

    def reset(self, region: str, service: Any) -> ServiceState:
        """A service (re)created under this name starts with fresh deployments and events."""
        self.states.pop((region, service.cluster_name, service.name), None)
        return self.state_of(region, service)

    def state_for_task(self, task: TaskRecord) -> ServiceState | None:
        if not task.service_name:
            return None
        return self.states.get((task.region, task.cluster_name, task.service_name))

    def new_deployment(self, region: str, service: Any) -> DeploymentRecord:
        """UpdateService changed what runs: a new PRIMARY, the old one ACTIVE."""
        state = self.state_of(region, service)
        for deployment in state.deployments:
            if deployment.status == "PRIMARY":
                deployment.status = "ACTIVE"
                deployment.touch()
        deployment = _primary_deployment(service)
        state.deployments.insert(0, deployment)
        state.history.append(deployment)
        state.steady = False
        return deployment

    # -------------------------------------------------------- reconcile
    def reconcile_service(self, region: str, service: Any, health: HealthLookup) -> None:
        """One scheduling step for one ECS-controller service. Caller holds ``lab.lock``."""
        state = self.state_of(region, service)
        tasks = [t for t in self.engine.of_service(region, service.cluster_name, service.name) if t.active]
        primary = state.primary
        if service.status != "ACTIVE" or primary is None:
            self._drain_all(service, state, tasks)
            return
        primary.desired_count = service.desired_count
        config = deployment_configuration(service)
        grace = grace_seconds(service)
        label = service_label(service.name)

        verdicts = {t.arn: judge(t, health, grace) for t in tasks}
        self._count_failures(state, tasks, config)
        self._replace_failing(service, state, tasks, verdicts, primary)
        self._note_healthy(state, tasks, verdicts, config)
        self._trip_circuit_breaker(service, state, config)
        primary = state.primary or primary

        running = [t for t in tasks if t.desired_status == model.RUNNING]
        new = [t for t in running if t.deployment_id == primary.id]
        old = [t for t in running if t.deployment_id != primary.id]
        fleet = planner.Fleet(
            desired=service.desired_count,
            min_percent=int(config.get("minimumHealthyPercent", planner.DEFAULT_MIN_PERCENT)),
            max_percent=int(config.get("maximumPercent", planner.DEFAULT_MAX_PERCENT)),
            new_healthy=sum(verdicts[t.arn].healthy for t in new),
            new_starting=sum(not verdicts[t.arn].healthy for t in new),
            old_healthy=sum(verdicts[t.arn].healthy for t in old),
            old_starting=sum(not verdicts[t.arn].healthy for t in old),
            stopping=sum(t.desired_status == model.STOPPED for t in tasks),
        )
        step = planner.plan_rolling_step(fleet)
        if primary.rollout_state == "FAILED":
            step = planner.RollingStep(stop_old_starting=0, stop_new_starting=step.stop_new_starting, stop_new_healthy=step.stop_new_healthy)
        self._apply_step(region, service, state, primary, step, new, old, verdicts, label)
        self._settle(service, state, primary, fleet, step, label)

    def _count_failures(self, state: ServiceState, tasks: list[TaskRecord], config: dict[str, Any]) -> None:
        """Tasks that stopped on their own (or failed health) count against their deployment."""
        for task in tasks:
            if task.failure_counted or task.desired_status != model.STOPPED:
                continue
            if not is_failure(task):
                continue
            task.failure_counted = True
            deployment = state.find(task.deployment_id or "")
            if deployment is None:
                continue
            deployment.failed_tasks += 1
            if deployment.rollout_state == "IN_PROGRESS":
                deployment.failure_streak += 1
            deployment.touch()

    def _replace_failing(self, service: Any, state: ServiceState, tasks: list[TaskRecord], verdicts: dict[str, Verdict], primary: DeploymentRecord) -> None:
        for task in tasks:
            verdict = verdicts[task.arn]
            if not verdict.failing:
                continue
            replace_failing(self.engine, state, service_label(service.name), task, verdict)
            verdicts[task.arn] = Verdict(False)
        self._count_failures(state, tasks, {})

    def _note_healthy(self, state: ServiceState, tasks: list[TaskRecord], verdicts: dict[str, Verdict], config: dict[str, Any]) -> None:
        reset = (config.get("deploymentCircuitBreaker") or {}).get("resetOnHealthyTask", True) is not False
        for task in tasks:
            if verdicts[task.arn].healthy and not task.became_healthy:
                task.became_healthy = True
                deployment = state.find(task.deployment_id or "")
                if deployment is not None and reset:
                    deployment.failure_streak = 0

    def _trip_circuit_breaker(self, service: Any, state: ServiceState, config: dict[str, Any]) -> None:
        breaker = config.get("deploymentCircuitBreaker") or {}
        primary = state.primary
        if not breaker.get("enable") or primary is None or primary.rollout_state != "IN_PROGRESS":
            return
        if primary.failure_streak < planner.circuit_breaker_threshold(service.desired_count):
            return
        primary.rollout_state = "FAILED"
        primary.rollout_state_reason = FAILURE_REASON
        primary.touch()
        label = service_label(service.name)
        state.event(f"{label} (deployment {primary.id}) deployment failed: tasks failed to start.")
        if not breaker.get("rollback"):
            return
        target = next((d for d in reversed(state.history) if d.rollout_state == "COMPLETED" and d is not primary), None)
        if target is None:
            return  # no COMPLETED deployment: the deployment stalls, as on AWS
        primary.status = "ACTIVE"
        primary.rolled_back_to = target.id
        target.status = "PRIMARY"
        target.rollout_state = "IN_PROGRESS"
        target.rollout_state_reason = f"ECS deployment circuit breaker: rolling back to deploymentId {target.id}."
        target.failure_streak = 0
        target.desired_count = service.desired_count
        target.touch()
        if target not in state.deployments:
            state.deployments.insert(0, target)
        else:
            state.deployments.remove(target)
            state.deployments.insert(0, target)
        service.task_definition = target.task_definition
        state.steady = False
        state.event(f"{label} rolling back to deployment {target.id}.")

    def _apply_step(
        self,
        region: str,
        service: Any,
        state: ServiceState,
        primary: DeploymentRecord,
        step: planner.RollingStep,
        new: list[TaskRecord],
        old: list[TaskRecord],
        verdicts: dict[str, Verdict],
        label: str,
    ) -> None:
        reason = f"Scaling activity initiated by (deployment {primary.id})"
        to_stop = [t for t in old if not verdicts[t.arn].healthy][: step.stop_old_starting]
        to_stop += sorted((t for t in old if verdicts[t.arn].healthy), key=lambda t: t.created_at)[: step.stop_old_healthy]
        to_stop += sorted((t for t in new if not verdicts[t.arn].healthy), key=lambda t: t.created_at, reverse=True)[: step.stop_new_starting]
        to_stop += sorted((t for t in new if verdicts[t.arn].healthy), key=lambda t: t.created_at, reverse=True)[: step.stop_new_healthy]
        for task in to_stop:
            self.engine.request_stop(task, reason, model.SERVICE_SCHEDULER_INITIATED)
        if step.start_new:
            self._start(region, service, primary, step.start_new, label)

    def _start(self, region: str, service: Any, deployment: DeploymentRecord, count: int, label: str) -> None:
        backend = self.lab.moto.ecs(region)
        cluster = backend._get_cluster(service.cluster_name)
        task_definition = backend.describe_task_definition(deployment.task_definition)
        for _ in range(count):
            task = self.engine.create_task(
                region=region,
                cluster=cluster,
                task_definition=task_definition,
                launch_type=service.launch_type or "FARGATE",
                group=f"service:{service.name}",
                started_by=deployment.id,
                network_configuration=deployment.network_configuration or service.network_configuration,
                tags=list(service.tags or []) if getattr(service, "propagate_tags", "NONE") == "SERVICE" else None,
                platform_version=deployment.platform_version,
                service_name=service.name,
                deployment_id=deployment.id,
                load_balancers=list(service.load_balancers or []),
            )
            self.events.add(("started", label), task)

    def _settle(self, service: Any, state: ServiceState, primary: DeploymentRecord, fleet: planner.Fleet, step: planner.RollingStep, label: str) -> None:
        """Completes the rollout, retires drained deployments, reports steady state."""
        for deployment in list(state.deployments):
            if deployment is primary:
                continue
            remaining = [t for t in self.engine.of_service(*state.key) if t.active and t.deployment_id == deployment.id]
            deployment.desired_count = sum(t.desired_status == model.RUNNING for t in remaining)
            if not remaining:
                state.deployments.remove(deployment)
                deployment.status = "INACTIVE"
        steady = step.idle and planner.deployment_is_steady(fleet) and len(state.deployments) == 1
        if steady and primary.rollout_state == "IN_PROGRESS":
            primary.rollout_state = "COMPLETED"
            primary.rollout_state_reason = f"ECS deployment {primary.id} completed."
            primary.touch()
            state.event(f"{label} (deployment {primary.id}) deployment completed.")
        if steady and not state.steady:
            state.event(f"{label} has reached a steady state.")
        state.steady = steady

    def _drain_all(self, service: Any, state: ServiceState, tasks: list[TaskRecord]) -> None:
        """A deleted service (DeleteService --force) stops every task it has."""
        state.deleted = True
        primary_id = next((d.id for d in state.history if d.status == "PRIMARY"), None) or "ecs-svc"
        for task in tasks:
            self.engine.request_stop(task, f"Scaling activity initiated by (deployment {primary_id})", model.SERVICE_SCHEDULER_INITIATED)
        if service.status == "DRAINING" and not any(t.active for t in tasks):
            service.status = "INACTIVE"

    # -------------------------------------------------------- publish
    def publish(self, service: Any) -> dict[str, Any]:
        """Writes counts, deployments and events onto moto's record; returns them
        (camelCase) for patching a CreateService/UpdateService answer."""
        region = service.region_name
        tasks = [t for t in self.engine.of_service(region, service.cluster_name, service.name) if t.active]
        running = sum(t.last_status == model.RUNNING for t in tasks)
        pending = sum(t.last_status in model.STARTING_STATES for t in tasks)
        fields: dict[str, Any] = {"runningCount": running, "pendingCount": pending}
        state = self.states.get((region, service.cluster_name, service.name))
        if state is not None:
            if controller_type(service) == "ECS":
                fields["deployments"] = [self._render_deployment(d, tasks) for d in sorted(state.deployments, key=lambda d: d.status != "PRIMARY")]
                service.deployments = fields["deployments"]
            fields["events"] = list(state.events)
            service.events = fields["events"]
        service.running_count = running
        service.pending_count = pending
        config = deployment_configuration(service)
        service.deployment_configuration = config
        fields["deploymentConfiguration"] = config
        fields["taskDefinition"] = service.task_definition
        fields["status"] = service.status
        return fields

    @staticmethod
    def _render_deployment(deployment: DeploymentRecord, tasks: list[TaskRecord]) -> dict[str, Any]:
        mine = [t for t in tasks if t.deployment_id == deployment.id]
        counts = {
            "running": sum(t.last_status == model.RUNNING for t in mine),
            "pending": sum(t.last_status in model.STARTING_STATES for t in mine),
        }
        return model.render_deployment(deployment, counts)

    # -------------------------------------------------------- engine events
    def on_task_event(self, task: TaskRecord, kind: str, detail: str) -> None:
        """Called by the engine (under ``lab.lock``) as tasks move."""
        if not task.service_name:
            return
        label = service_label(task.service_name, task.task_set_id)
        if kind == "registered":
            self.events.add(("registered", label, detail), task)
        elif kind == "deregistered":
            self.events.add(("draining", label), task)
            self.events.add(("deregistered", label, detail), task)
        elif kind == "stopping" and task.stop_code == model.SERVICE_SCHEDULER_INITIATED:
            # tasks that crashed are not "stopped" by the scheduler: AWS reports only its own stops
            self.events.add(("stopping", label), task)

    def flush_events(self) -> None:
        self.events.flush(self.state_for_task)


def _primary_deployment(service: Any, deployment_id: str | None = None) -> DeploymentRecord:
    """A new PRIMARY deployment of what the service now asks for, IN_PROGRESS."""
    deployment_id = deployment_id or model.new_deployment_id()
    return DeploymentRecord(
        id=deployment_id,
        task_definition=service.task_definition or "",
        status="PRIMARY",
        rollout_state="IN_PROGRESS",
        rollout_state_reason=f"ECS deployment {deployment_id} in progress.",
        desired_count=service.desired_count,
        launch_type=service.launch_type,
        platform_version=service.platform_version,
        network_configuration=service.network_configuration or None,
        capacity_provider_strategy=getattr(service, "capacity_provider_strategy", None),
    )
