"""Tasks as real containers: creation, launch, monitoring, draining and stop.

Locking: every read or write of a ``TaskRecord`` or of moto happens under
``lab.lock``; engine calls (podman/docker) never do, they run in a small
worker pool so the endpoint and the controller loop stay fast.
"""

from __future__ import annotations

import logging
import re
import socket
import subprocess
import time
import uuid
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from lab import clock
from lab.ecs import healthcheck, model
from lab.ecs.healthcheck import HealthCheckSpec
from lab.ecs.model import ContainerRecord, TargetRegistration, TaskRecord
from lab.ecs.runtime import INSTANCE_LABEL, TASK_ARN_LABEL, ContainerEngineError, ContainerRuntime, ContainerSpec, PortPublish, resolve_image

if TYPE_CHECKING:
    from lab.server import Lab

log = logging.getLogger("lab.ecs")

DEFAULT_STOP_TIMEOUT = 30
DEFAULT_DEREGISTRATION_DELAY = 300
# The ELB part clamps drain time itself; this bounds our own fallback wait.
FALLBACK_DRAIN_CAP = 10.0
HEALTH_DRAINING = "draining"
# A task without health checks counts as healthy once it is still RUNNING this long
# after it started: a container that exits at once must not let old tasks go.
CONFIRM_RUNNING_SECONDS = 1.0
STOPPED_TASK_RETENTION = 3600.0

EventSink = Callable[[TaskRecord, str, str], None]  # (task, kind, detail) -> None


def container_runtime_name(instance: str, task_id: str, container: str) -> str:
    safe = re.sub(r"[^a-zA-Z0-9_.-]", "-", container)
    return f"{instance}-ecs-{task_id[:12]}-{safe}"


def task_arn(region: str, account_id: str, cluster_name: str, task_id: str) -> str:
    return f"arn:aws:ecs:{region}:{account_id}:task/{cluster_name}/{task_id}"


def env_list_to_dict(items: Iterable[dict[str, str]] | None) -> dict[str, str]:
    return {str(i["name"]): str(i.get("value", "")) for i in items or [] if "name" in i}


def merged_overrides(container_def: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    """The container definition with RunTask containerOverrides applied."""
    merged = dict(container_def)
    for override in overrides.get("containerOverrides") or []:
        if override.get("name") != container_def.get("name"):
            continue
        if override.get("command") is not None:
            merged["command"] = override["command"]
        if override.get("environment"):
            env = env_list_to_dict(container_def.get("environment"))
            env.update(env_list_to_dict(override["environment"]))
            merged["environment"] = [{"name": k, "value": v} for k, v in env.items()]
    return merged


def container_specs(task: TaskRecord, task_definition: Any, instance: str, registry: str) -> list[ContainerSpec]:
    """One ContainerSpec per container definition. The first container owns the
    task's network namespace and publishes every port on the task's address."""
    definitions = [merged_overrides(d, task.overrides) for d in task_definition.container_definitions]
    ports: list[PortPublish] = []
    for definition in definitions:
        for mapping in definition.get("portMappings") or []:
            container_port = int(mapping["containerPort"])
            host_port = int(mapping.get("hostPort") or container_port)
            ports.append(PortPublish(task.ip or "127.0.0.1", host_port, container_port, mapping.get("protocol", "tcp")))
    owner_name = container_runtime_name(instance, task.id, definitions[0]["name"])
    specs = []
    for index, definition in enumerate(definitions):
        env = env_list_to_dict(definition.get("environment"))
        env.setdefault("ECS_CONTAINER_METADATA_URI_V4", "")
        specs.append(
            ContainerSpec(
                name=container_runtime_name(instance, task.id, definition["name"]),
                image=resolve_image(definition["image"], registry),
                env=env,
                command=list(definition["command"]) if definition.get("command") else None,
                entry_point=list(definition["entryPoint"]) if definition.get("entryPoint") else None,
                ports=tuple(ports) if index == 0 else (),
                labels={TASK_ARN_LABEL: task.arn, "cutover.lab.ecs.container": definition["name"], INSTANCE_LABEL: instance},
                network_of=None if index == 0 else owner_name,
                working_dir=definition.get("workingDirectory"),
                user=definition.get("user"),
                stop_timeout=int(definition.get("stopTimeout") or task.stop_timeout),
            )
        )
    return specs


class TaskEngine:
    """Owns every task of one lab: the records and their containers."""

    def __init__(self, lab: Lab, runtime: ContainerRuntime, workers: int = 6) -> None:
        self.lab = lab
        self.runtime = runtime
        self.tasks: dict[str, TaskRecord] = {}
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="lab-ecs-task")
        self.on_event: EventSink = lambda task, kind, detail: None

    # ------------------------------------------------------------------ create
    def create_task(
        self,
        *,
        region: str,
        cluster: Any,
        task_definition: Any,
        launch_type: str,
        group: str,
        started_by: str,
        network_configuration: dict[str, Any] | None,
        overrides: dict[str, Any] | None = None,
        tags: list[dict[str, str]] | None = None,
        platform_version: str | None = None,
        capacity_provider_name: str | None = None,
        service_name: str | None = None,
        deployment_id: str | None = None,
        task_set_id: str | None = None,
        load_balancers: list[dict[str, Any]] | None = None,
    ) -> TaskRecord:
        """Records a PROVISIONING task with its own loopback address and queues its launch.
        Caller holds ``lab.lock``."""
        task_id = uuid.uuid4().hex
        account_id = self.lab.moto.account_id
        arn = task_arn(region, account_id, cluster.name, task_id)
        containers = [
            ContainerRecord(
                name=d["name"],
                image=d["image"],
                essential=d.get("essential", True) is not False,
                container_arn=f"arn:aws:ecs:{region}:{account_id}:container/{cluster.name}/{task_id}/{uuid.uuid4()}",
                port_mappings=list(d.get("portMappings") or []),
                cpu=int(d.get("cpu") or 0),
                memory=d.get("memory"),
                memory_reservation=d.get("memoryReservation"),
                has_health_check=HealthCheckSpec.from_definition(d) is not None,
                health_spec=HealthCheckSpec.from_definition(d),
            )
            for d in task_definition.container_definitions
        ]
        stop_timeouts = [int(d["stopTimeout"]) for d in task_definition.container_definitions if d.get("stopTimeout")]
        task = TaskRecord(
            arn=arn,
            id=task_id,
            region=region,
            account_id=account_id,
            cluster_arn=cluster.arn,
            cluster_name=cluster.name,
            task_definition_arn=task_definition.arn,
            family=task_definition.family,
            network_mode=task_definition.network_mode or "bridge",
            launch_type=launch_type,
            group=group,
            started_by=started_by,
            containers=containers,
            stop_timeout=max(stop_timeouts) if stop_timeouts else DEFAULT_STOP_TIMEOUT,
            cpu=task_definition.cpu,
            memory=task_definition.memory,
            platform_version=platform_version,
            capacity_provider_name=capacity_provider_name,
            overrides=overrides or {},
            tags=list(tags or []),
            service_name=service_name,
            deployment_id=deployment_id,
            task_set_id=task_set_id,
        )
        task.ip = self.lab.loopback.allocate("task", arn)
        task.eni_id = f"eni-{uuid.uuid4().hex[:17]}"
        task.mac_address = ":".join(f"{b:02x}" for b in uuid.uuid4().bytes[:6])
        self._place_in_subnet(task, region, network_configuration)
        task.registrations = registrations_for(load_balancers or [])
        if task.network_mode != "awsvpc":
            for registration in task.registrations:
                registration.port = published_port(task_definition, registration.container_name, registration.port)
        self.tasks[arn] = task
        self.pool.submit(self._guarded, self._launch, arn)
        return task

    def _place_in_subnet(self, task: TaskRecord, region: str, network_configuration: dict[str, Any] | None) -> None:
        subnets = ((network_configuration or {}).get("awsvpcConfiguration") or {}).get("subnets") or []
        if not subnets:
            task.availability_zone = f"{region}a"
            return
        task.subnet_id = subnets[0]
        try:
            subnet = self.lab.moto.ec2(region).get_subnet(subnets[0])
            task.availability_zone = subnet.availability_zone
        except Exception:  # noqa: BLE001 - an unknown subnet still runs, as the lab is lenient here
            task.availability_zone = f"{region}a"

    # ------------------------------------------------------------------ lookup
    def find(self, cluster_name: str, task_ref: str) -> TaskRecord | None:
        task_id = model.task_id_of(task_ref)
        for task in self.tasks.values():
            if task.id == task_id and (task.cluster_name == cluster_name or task_ref == task.arn):
                return task
        return None

    def of_service(self, region: str, cluster_name: str, service_name: str) -> list[TaskRecord]:
        return [t for t in self.tasks.values() if t.region == region and t.cluster_name == cluster_name and t.service_name == service_name]

    # ------------------------------------------------------------------ launch
    def _guarded(self, func: Callable[[str], None], arn: str) -> None:
        try:
            func(arn)
        except Exception:  # noqa: BLE001 - a worker must never die silently
            log.exception("task worker %s failed for %s", func.__name__, arn)

    def _launch(self, arn: str) -> None:
        """Pull, create, start; a stop requested meanwhile waits until this returns
        (``launching``) so no container is created after the task was stopped."""
        try:
            self._launch_steps(arn)
        except Exception as exc:  # noqa: BLE001 - the task must not hang in PENDING
            log.exception("launch of %s failed", arn)
            self._fail_start(arn, f"CannotStartContainerError: {type(exc).__name__}: {exc}")
        finally:
            with self.lab.lock:
                self.tasks[arn].launching = False

    def _launch_steps(self, arn: str) -> None:
        lab = self.lab
        with lab.lock:
            task = self.tasks[arn]
            if task.desired_status == model.STOPPED:
                self._finish_stop_locked(task)
                return
            task_definition = lab.moto.ecs(task.region).describe_task_definition(task.task_definition_arn)
            specs = container_specs(task, task_definition, lab.config.instance, lab.config.registry_host)
            task.last_status = model.PENDING
            task.pull_started_at = model.now()
            task.bump()
        try:
            for image in dict.fromkeys(spec.image for spec in specs):
                self.runtime.ensure_image(image)
        except (ContainerEngineError, OSError) as exc:
            self._fail_start(arn, f"CannotPullContainerError: {_engine_reason(exc)}")
            return
        with lab.lock:
            task.pull_stopped_at = model.now()
            if task.desired_status == model.STOPPED:
                self._finish_stop_locked(task)
                return
        try:
            for spec, container in zip(specs, task.containers, strict=True):
                lab.state.add_container(spec.name, self.runtime.engine, task=arn)
                container.runtime_name = spec.name
                container_id = self.runtime.create(spec)
                lab.state.add_container(spec.name, self.runtime.engine, task=arn, id=container_id)
                with lab.lock:
                    container.runtime_id = container_id
            for container in task.containers:
                self.runtime.start(container.runtime_id or "")
        except (ContainerEngineError, OSError) as exc:
            self._fail_start(arn, f"CannotStartContainerError: {_engine_reason(exc)}")
            return
        statuses = self.runtime.inspect(c.runtime_id for c in task.containers if c.runtime_id)
        with lab.lock:
            self._apply_statuses_locked(task, statuses)
            if (
                task.desired_status == model.RUNNING
                and task.last_status == model.PENDING
                and all(c.last_status == model.RUNNING for c in task.containers if c.essential)
            ):
                self._mark_running_locked(task)

    def _mark_running_locked(self, task: TaskRecord) -> None:
        task.last_status = model.RUNNING
        task.started_at = task.connectivity_at = model.now()
        task.started_monotonic = time.monotonic()
        task.bump()
        self.on_event(task, "running", "")

    def _fail_start(self, arn: str, reason: str) -> None:
        with self.lab.lock:
            task = self.tasks[arn]
            for container in task.containers:
                container.reason = reason[:255]
            self.request_stop(task, reason[:255], model.TASK_FAILED_TO_START)

    # ------------------------------------------------------------------ monitor
    def poll_containers(self) -> None:
        """Reads every started container's state; an exited essential container stops its task."""
        with self.lab.lock:
            watched = {
                c.runtime_id: t.arn
                for t in self.tasks.values()
                if t.last_status in (model.PENDING, model.RUNNING, model.DEACTIVATING)
                for c in t.containers
                if c.runtime_id
            }
        if not watched:
            return
        statuses = self.runtime.poll(watched)
        with self.lab.lock:
            for arn in set(watched.values()):
                task = self.tasks[arn]
                if task.stop_in_flight or task.last_status not in (model.PENDING, model.RUNNING, model.DEACTIVATING):
                    continue
                self._apply_statuses_locked(task, statuses)
                gone = [c for c in task.containers if c.runtime_id and c.runtime_id not in statuses]
                for container in gone:
                    container.last_status = model.STOPPED
                    container.reason = container.reason or "container removed outside the lab"
                exited = [c for c in task.containers if c.essential and c.last_status == model.STOPPED]
                if exited and task.desired_status == model.RUNNING:
                    self.request_stop(task, model.ESSENTIAL_EXITED_REASON, model.ESSENTIAL_CONTAINER_EXITED)
                elif (
                    task.last_status == model.PENDING
                    and task.desired_status == model.RUNNING
                    and all(c.last_status == model.RUNNING for c in task.containers if c.essential)
                ):
                    self._mark_running_locked(task)
                elif task.last_status == model.RUNNING and time.monotonic() - (task.started_monotonic or 0.0) >= CONFIRM_RUNNING_SECONDS:
                    task.confirmed_running = True
            self._schedule_health_checks()

    def _schedule_health_checks(self) -> None:
        """Queues every container health check that is due. Caller holds ``lab.lock``."""
        now = time.monotonic()
        for task in self.tasks.values():
            if task.last_status != model.RUNNING or task.desired_status != model.RUNNING:
                continue
            for index, container in enumerate(task.containers):
                spec = container.health_spec
                if spec is None or not container.runtime_id or container.health_in_flight or container.last_status != model.RUNNING:
                    continue
                if now - container.health_last_run < spec.interval:
                    continue
                container.health_in_flight = True
                self.pool.submit(self._guarded_check, task.arn, index)

    def _guarded_check(self, arn: str, index: int) -> None:
        try:
            self._run_health_check(arn, index)
        finally:
            with self.lab.lock:
                self.tasks[arn].containers[index].health_in_flight = False

    def _run_health_check(self, arn: str, index: int) -> None:
        with self.lab.lock:
            task = self.tasks[arn]
            container = task.containers[index]
            spec, container_id = container.health_spec, container.runtime_id or ""
        try:
            proc = subprocess.run(
                healthcheck.exec_args(self.runtime.engine, container_id, spec.command), capture_output=True, timeout=spec.timeout, stdin=subprocess.DEVNULL
            )
            passed = proc.returncode == 0
        except (OSError, subprocess.TimeoutExpired):
            passed = False
        with self.lab.lock:
            now = time.monotonic()
            in_start_period = now - (task.started_monotonic or now) < spec.start_period
            container.health_status, container.health_failures = healthcheck.next_status(
                container.health_status, container.health_failures, passed, in_start_period, spec.retries
            )
            container.health_last_run = now
            task.health_status = healthcheck.task_health([(c.essential, c.has_health_check, c.health_status) for c in task.containers])
            task.bump()

    def _apply_statuses_locked(self, task: TaskRecord, statuses: dict[str, Any]) -> None:
        for container in task.containers:
            status = statuses.get(container.runtime_id or "")
            if status is None:
                continue
            if status.running:
                container.last_status = model.RUNNING
            elif status.state in ("exited", "stopped", "dead"):
                container.last_status = model.STOPPED
                container.exit_code = status.exit_code
                if status.error:
                    container.reason = status.error[:255]

    # ------------------------------------------------------------------ stop
    def request_stop(self, task: TaskRecord, reason: str, stop_code: str) -> None:
        """Desired STOPPED now; containers stop once the task's targets drained.
        Caller holds ``lab.lock``. A second request keeps the first reason."""
        if task.desired_status == model.STOPPED:
            return
        task.desired_status = model.STOPPED
        task.stopped_reason = reason
        task.stop_code = stop_code
        task.stopping_at = model.now()
        task.stop_requested = True
        if task.last_status == model.RUNNING:
            task.last_status = model.DEACTIVATING
        task.bump()
        self.on_event(task, "stop-requested", reason)

    def _start_stop_worker(self, task: TaskRecord) -> None:
        if task.stop_in_flight:
            return
        task.stop_in_flight = True
        if task.last_status in (model.RUNNING, model.DEACTIVATING):
            task.last_status = model.STOPPING
        task.bump()
        self.on_event(task, "stopping", task.stopped_reason or "")
        self.pool.submit(self._guarded, self._stop, task.arn)

    def _stop(self, arn: str) -> None:
        with self.lab.lock:
            task = self.tasks[arn]
            ids = [c.runtime_id for c in reversed(task.containers) if c.runtime_id]
            timeout = int(round(clock.scaled(task.stop_timeout)))
        for container_id in ids:
            self.runtime.stop(container_id, timeout)
        statuses = self.runtime.inspect(ids)
        with self.lab.lock:
            self._apply_statuses_locked(task, statuses)
            task.last_status = model.DEPROVISIONING
            task.execution_stopped_at = model.now()
            task.bump()
        for container in task.containers:
            if container.runtime_id:
                self.runtime.remove(container.runtime_id)
            if container.runtime_name:
                self.lab.state.remove_container(container.runtime_name)
        with self.lab.lock:
            self._finish_stop_locked(task)

    def _finish_stop_locked(self, task: TaskRecord) -> None:
        for container in task.containers:
            container.last_status = model.STOPPED
        task.last_status = model.STOPPED
        task.stopped_at = model.now()
        task.execution_stopped_at = task.execution_stopped_at or task.stopped_at
        task.stop_in_flight = False
        task.bump()
        self.lab.loopback.release(task.arn)
        self.on_event(task, "stopped", task.stopped_reason or "")

    def kill(self, task: TaskRecord) -> None:
        """The kill-task fault: SIGKILL every container, as a crash would."""
        ids = [c.runtime_id for c in task.containers if c.runtime_id]
        for container_id in ids:
            self.pool.submit(self.runtime.kill, container_id)

    # ------------------------------------------------------------------ targets
    def sync_targets(self, health: Callable[[str], dict[tuple[str, int], Any] | None]) -> None:
        """Registers RUNNING tasks' targets, drains unwanted ones, and starts the
        stop of tasks whose targets have all drained. Caller holds ``lab.lock``."""
        for task in list(self.tasks.values()):
            if task.last_status == model.STOPPED or task.launching:
                continue
            stopping = task.desired_status == model.STOPPED
            for registration in task.registrations:
                if not stopping and task.last_status == model.RUNNING and not registration.registered and registration.deregistered_at is None:
                    self._register(task, registration)
                elif stopping and registration.registered:
                    self._deregister(task, registration)
            if stopping and not task.stop_in_flight and self._drained(task, health):
                self._start_stop_worker(task)

    def _register(self, task: TaskRecord, registration: TargetRegistration) -> None:
        try:
            self.lab.moto.elbv2(task.region).register_targets(registration.target_group_arn, [{"Id": task.ip, "Port": registration.port}])
        except Exception as exc:  # noqa: BLE001 - a deleted target group must not stop the task engine
            log.warning("register %s in %s failed: %s", task.ip, registration.target_group_arn, exc)
            registration.deregistered_at = time.monotonic()
            return
        registration.registered = True
        self.on_event(task, "registered", registration.target_group_arn)

    def _deregister(self, task: TaskRecord, registration: TargetRegistration) -> None:
        try:
            self.lab.moto.elbv2(task.region).deregister_targets(registration.target_group_arn, [{"Id": task.ip, "Port": registration.port}])
        except Exception as exc:  # noqa: BLE001 - already gone is fine
            log.debug("deregister %s from %s: %s", task.ip, registration.target_group_arn, exc)
        registration.registered = False
        registration.deregistered_at = time.monotonic()
        self.on_event(task, "deregistered", registration.target_group_arn)

    def unregister_target(self, task: TaskRecord, target_group_arn: str) -> None:
        """Takes a RUNNING task out of one target group without stopping it."""
        for registration in task.registrations:
            if registration.target_group_arn == target_group_arn and registration.registered:
                self._deregister(task, registration)
        task.registrations = [r for r in task.registrations if r.target_group_arn != target_group_arn or r.registered]

    def _drained(self, task: TaskRecord, health: Callable[[str], dict[tuple[str, int], Any] | None]) -> bool:
        for registration in task.registrations:
            if registration.registered:
                return False
            if registration.deregistered_at is None:
                continue
            if registration.deregistered_at >= getattr(health, "taken_at", float("inf")):
                return False  # health read before the deregistration says nothing about the drain
            states = health(registration.target_group_arn)
            if states is None:
                delay = deregistration_delay(self.lab, task.region, registration.target_group_arn)
                if time.monotonic() - registration.deregistered_at < clock.scaled(delay, cap=FALLBACK_DRAIN_CAP):
                    return False
                continue
            current = states.get((task.ip or "", registration.port))
            if current is not None and getattr(current, "state", "") == HEALTH_DRAINING:
                return False
        return True

    def forget_old_stopped(self, keep_seconds: float = STOPPED_TASK_RETENTION) -> None:
        """Stopped tasks stay visible for about an hour on AWS, then vanish. Caller holds ``lab.lock``."""
        cutoff = model.now().timestamp() - keep_seconds
        for arn in [a for a, t in self.tasks.items() if t.stopped_at is not None and t.stopped_at.timestamp() < cutoff]:
            del self.tasks[arn]

    # ------------------------------------------------------------------ shutdown
    def shutdown(self) -> None:
        """Stops every container still running (lab serve is exiting)."""
        with self.lab.lock:
            ids = [(c.runtime_id, c.runtime_name) for t in self.tasks.values() if t.last_status != model.STOPPED for c in t.containers if c.runtime_id]
            for task in self.tasks.values():
                task.desired_status = model.STOPPED
        self.pool.shutdown(wait=False, cancel_futures=True)

        def stop_one(container_id: str, name: str | None) -> None:
            self.runtime.stop(container_id, 2)
            self.runtime.remove(container_id)
            if name:
                self.lab.state.remove_container(name)

        with ThreadPoolExecutor(max_workers=8, thread_name_prefix="lab-ecs-shutdown") as stopper:
            for container_id, name in ids:
                stopper.submit(stop_one, container_id, name)


class HealthSnapshot:
    """Target health per target group as read at ``taken_at`` (monotonic);
    ``None`` for a group means no ELB data plane runs."""

    def __init__(self, states: dict[str, Any], taken_at: float) -> None:
        self.states = states
        self.taken_at = taken_at

    def __call__(self, target_group_arn: str) -> dict[tuple[str, int], Any] | None:
        if target_group_arn not in self.states:
            return {}
        return self.states[target_group_arn]


def published_port(task_definition: Any, container_name: str, container_port: int) -> int:
    """bridge/host tasks are reached on the hostPort of the mapping (on the task's own address)."""
    for definition in task_definition.container_definitions:
        if container_name and definition.get("name") != container_name:
            continue
        for mapping in definition.get("portMappings") or []:
            if int(mapping.get("containerPort", -1)) == container_port:
                return int(mapping.get("hostPort") or container_port)
    return container_port


def registrations_for(load_balancers: list[dict[str, Any]]) -> list[TargetRegistration]:
    return [
        TargetRegistration(lb["targetGroupArn"], lb.get("containerName", ""), int(lb["containerPort"]))
        for lb in load_balancers
        if lb.get("targetGroupArn") and lb.get("containerPort")
    ]


def deregistration_delay(lab: Lab, region: str, target_group_arn: str) -> float:
    try:
        group = lab.moto.elbv2(region).target_groups[target_group_arn]
        return float(group.attributes.get("deregistration_delay.timeout_seconds", DEFAULT_DEREGISTRATION_DELAY))
    except Exception:  # noqa: BLE001 - deleted target group: nothing to wait for
        return 0.0


def tcp_probe(ip: str, port: int, timeout: float = 0.3) -> bool:
    """Fallback health when no ELB data plane runs: the port accepts connections."""
    try:
        with socket.create_connection((ip, port), timeout=timeout):
            return True
    except OSError:
        return False


def _engine_reason(exc: Exception) -> str:
    text = getattr(exc, "stderr", "") or str(exc)
    return " ".join(text.split())[:200]
