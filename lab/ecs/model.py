"""The lab's own records of ECS tasks, deployments and service state.

moto keeps clusters, task definitions, services and task sets; it never runs a
task. Tasks therefore live here, with their real container ids and loopback
address, and are rendered in ECS's wire shape by ``render_task``.
"""

from __future__ import annotations

import random
import uuid
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

# Task lifecycle as ECS reports it
# (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-lifecycle-explanation.html).
PROVISIONING = "PROVISIONING"
PENDING = "PENDING"
RUNNING = "RUNNING"
DEACTIVATING = "DEACTIVATING"
STOPPING = "STOPPING"
DEPROVISIONING = "DEPROVISIONING"
STOPPED = "STOPPED"
STARTING_STATES = (PROVISIONING, PENDING)

# stopCode values (API_Task.html)
TASK_FAILED_TO_START = "TaskFailedToStart"
ESSENTIAL_CONTAINER_EXITED = "EssentialContainerExited"
USER_INITIATED = "UserInitiated"
SERVICE_SCHEDULER_INITIATED = "ServiceSchedulerInitiated"

ESSENTIAL_EXITED_REASON = "Essential container in task exited"
MAX_SERVICE_EVENTS = 100


def now() -> datetime:
    return datetime.now(UTC)


def new_deployment_id() -> str:
    """``ecs-svc/`` and 19 digits, as ECS names deployments and task sets."""
    return f"ecs-svc/{random.randint(10**18, 10**19 - 1)}"


@dataclass
class ContainerRecord:
    name: str
    image: str
    essential: bool
    container_arn: str
    port_mappings: list[dict[str, Any]]
    cpu: int = 0
    memory: int | None = None
    memory_reservation: int | None = None
    runtime_id: str | None = None
    runtime_name: str = ""
    last_status: str = PENDING
    exit_code: int | None = None
    reason: str | None = None
    health_status: str = "UNKNOWN"
    has_health_check: bool = False
    health_spec: Any = None  # lab.ecs.healthcheck.HealthCheckSpec
    health_failures: int = 0
    health_last_run: float = 0.0
    health_in_flight: bool = False


@dataclass
class TargetRegistration:
    """One task target in one target group (the task's IP and container port)."""

    target_group_arn: str
    container_name: str
    port: int
    registered: bool = False
    deregistered_at: float | None = None


@dataclass
class TaskRecord:
    arn: str
    id: str
    region: str
    account_id: str
    cluster_arn: str
    cluster_name: str
    task_definition_arn: str
    family: str
    network_mode: str
    launch_type: str
    group: str
    started_by: str
    containers: list[ContainerRecord]
    stop_timeout: int
    cpu: str | None = None
    memory: str | None = None
    platform_version: str | None = None
    capacity_provider_name: str | None = None
    overrides: dict[str, Any] = field(default_factory=dict)
    tags: list[dict[str, str]] = field(default_factory=list)
    ip: str | None = None
    subnet_id: str | None = None
    availability_zone: str | None = None
    eni_id: str = ""
    mac_address: str = ""
    attachment_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    last_status: str = PROVISIONING
    desired_status: str = RUNNING
    health_status: str = "UNKNOWN"
    created_at: datetime = field(default_factory=now)
    pull_started_at: datetime | None = None
    pull_stopped_at: datetime | None = None
    started_at: datetime | None = None
    connectivity_at: datetime | None = None
    stopping_at: datetime | None = None
    execution_stopped_at: datetime | None = None
    stopped_at: datetime | None = None
    stopped_reason: str | None = None
    stop_code: str | None = None
    version: int = 1
    # service bookkeeping
    service_name: str | None = None
    deployment_id: str | None = None
    task_set_id: str | None = None
    registrations: list[TargetRegistration] = field(default_factory=list)
    became_healthy: bool = False
    confirmed_running: bool = False  # still RUNNING at a container poll a moment after it started
    started_monotonic: float | None = None
    stop_requested: bool = False  # the scheduler or a user asked for the stop
    stop_in_flight: bool = False  # a worker is stopping the containers
    launching: bool = True  # a worker is pulling, creating or starting the containers
    failure_counted: bool = False
    draining_since: float | None = None
    pending_stop: tuple[str, str] | None = None  # (reason, stop code) to apply once drained

    @property
    def active(self) -> bool:
        return self.last_status != STOPPED

    @property
    def running(self) -> bool:
        return self.last_status == RUNNING and self.desired_status == RUNNING

    def bump(self) -> None:
        self.version += 1


@dataclass
class DeploymentRecord:
    id: str
    task_definition: str
    status: str  # PRIMARY | ACTIVE | INACTIVE
    rollout_state: str  # IN_PROGRESS | COMPLETED | FAILED
    rollout_state_reason: str
    desired_count: int
    created_at: datetime = field(default_factory=now)
    updated_at: datetime = field(default_factory=now)
    failed_tasks: int = 0
    failure_streak: int = 0
    launch_type: str | None = None
    platform_version: str | None = None
    network_configuration: dict[str, Any] | None = None
    capacity_provider_strategy: list[dict[str, Any]] | None = None
    # the id of the deployment the circuit breaker rolled back to when this one failed
    rolled_back_to: str | None = None

    def touch(self) -> None:
        self.updated_at = now()


@dataclass
class ServiceState:
    """What the lab remembers of one service beyond moto's record."""

    key: tuple[str, str, str]  # (region, cluster name, service name)
    deployments: list[DeploymentRecord] = field(default_factory=list)
    history: list[DeploymentRecord] = field(default_factory=list)  # every deployment ever made, oldest first
    events: deque = field(default_factory=lambda: deque(maxlen=MAX_SERVICE_EVENTS))
    steady: bool = False
    deleted: bool = False

    def event(self, message: str) -> None:
        self.events.appendleft({"id": str(uuid.uuid4()), "createdAt": now(), "message": message})

    @property
    def primary(self) -> DeploymentRecord | None:
        return next((d for d in self.deployments if d.status == "PRIMARY"), None)

    def find(self, deployment_id: str) -> DeploymentRecord | None:
        return next((d for d in self.history if d.id == deployment_id), None)


def task_id_of(arn_or_id: str) -> str:
    return arn_or_id.rsplit("/", 1)[-1]


def render_attachment(task: TaskRecord) -> dict[str, Any]:
    status = {PROVISIONING: "PRECREATED", STOPPED: "DELETED"}.get(task.last_status, "ATTACHED")
    details = [
        {"name": "subnetId", "value": task.subnet_id or ""},
        {"name": "networkInterfaceId", "value": task.eni_id},
        {"name": "macAddress", "value": task.mac_address},
        {"name": "privateDnsName", "value": f"ip-{(task.ip or '').replace('.', '-')}.ec2.internal"},
        {"name": "privateIPv4Address", "value": task.ip or ""},
    ]
    return {"id": task.attachment_id, "type": "ElasticNetworkInterface", "status": status, "details": details}


def render_container(task: TaskRecord, container: ContainerRecord) -> dict[str, Any]:
    body: dict[str, Any] = {
        "containerArn": container.container_arn,
        "taskArn": task.arn,
        "name": container.name,
        "image": container.image,
        "lastStatus": container.last_status,
        "healthStatus": container.health_status,
        "cpu": str(container.cpu),
    }
    if container.runtime_id:
        body["runtimeId"] = container.runtime_id
    if container.exit_code is not None:
        body["exitCode"] = container.exit_code
    if container.reason:
        body["reason"] = container.reason
    if container.memory is not None:
        body["memory"] = str(container.memory)
    if container.memory_reservation is not None:
        body["memoryReservation"] = str(container.memory_reservation)
    if task.network_mode == "awsvpc":
        body["networkInterfaces"] = [{"attachmentId": task.attachment_id, "privateIpv4Address": task.ip}] if task.ip else []
    else:
        body["networkBindings"] = [
            {
                "bindIP": task.ip,
                "containerPort": m["containerPort"],
                "hostPort": m.get("hostPort") or m["containerPort"],
                "protocol": m.get("protocol", "tcp"),
            }
            for m in container.port_mappings
            if task.last_status == RUNNING
        ]
    return body


def render_task(task: TaskRecord, include_tags: bool = False) -> dict[str, Any]:
    """The ``Task`` structure of DescribeTasks/RunTask/StopTask."""
    body: dict[str, Any] = {
        "taskArn": task.arn,
        "clusterArn": task.cluster_arn,
        "taskDefinitionArn": task.task_definition_arn,
        "lastStatus": task.last_status,
        "desiredStatus": task.desired_status,
        "healthStatus": task.health_status,
        "launchType": task.launch_type,
        "group": task.group,
        "startedBy": task.started_by,
        "createdAt": task.created_at,
        "version": task.version,
        "containers": [render_container(task, c) for c in task.containers],
        "overrides": task.overrides or {"containerOverrides": [], "inferenceAcceleratorOverrides": []},
        "attachments": [render_attachment(task)] if task.network_mode == "awsvpc" else [],
        "attributes": [{"name": "ecs.cpu-architecture", "value": "x86_64"}],
        "connectivity": "CONNECTED" if task.connectivity_at and task.last_status != STOPPED else "DISCONNECTED",
        "enableExecuteCommand": False,
    }
    optional = {
        "cpu": task.cpu,
        "memory": task.memory,
        "availabilityZone": task.availability_zone,
        "platformVersion": task.platform_version,
        "capacityProviderName": task.capacity_provider_name,
        "pullStartedAt": task.pull_started_at,
        "pullStoppedAt": task.pull_stopped_at,
        "startedAt": task.started_at,
        "connectivityAt": task.connectivity_at,
        "stoppingAt": task.stopping_at,
        "executionStoppedAt": task.execution_stopped_at,
        "stoppedAt": task.stopped_at,
        "stoppedReason": task.stopped_reason,
        "stopCode": task.stop_code,
    }
    body.update({k: v for k, v in optional.items() if v is not None})
    if task.launch_type == "FARGATE":
        body["platformFamily"] = "Linux"
    if include_tags:
        body["tags"] = list(task.tags)
    return body


def render_deployment(deployment: DeploymentRecord, counts: dict[str, int]) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": deployment.id,
        "status": deployment.status,
        "taskDefinition": deployment.task_definition,
        "desiredCount": deployment.desired_count,
        "pendingCount": counts.get("pending", 0),
        "runningCount": counts.get("running", 0),
        "failedTasks": deployment.failed_tasks,
        "createdAt": deployment.created_at,
        "updatedAt": deployment.updated_at,
        "rolloutState": deployment.rollout_state,
        "rolloutStateReason": deployment.rollout_state_reason,
    }
    if deployment.launch_type:
        body["launchType"] = deployment.launch_type
        body["platformFamily"] = "Linux" if deployment.launch_type == "FARGATE" else "EC2"
    if deployment.platform_version:
        body["platformVersion"] = deployment.platform_version
    if deployment.network_configuration:
        body["networkConfiguration"] = deployment.network_configuration
    if deployment.capacity_provider_strategy:
        body["capacityProviderStrategy"] = deployment.capacity_provider_strategy
    return body
