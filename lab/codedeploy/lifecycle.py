"""The CodeDeploy ECS blue/green lifecycle as pure functions: no moto, no clock, no I/O.

What the engine (``engine.py``) decides from, each rule from AWS's documentation:

- lifecycle events and their order: "Deployments on an Amazon ECS compute platform"
  (https://docs.aws.amazon.com/codedeploy/latest/userguide/deployment-steps-ecs.html) and
  "AppSpec 'hooks' section" (reference-appspec-file-structure-hooks.html);
- the traffic-shift schedule of a deployment configuration (AllAtOnce, TimeBasedCanary,
  TimeBasedLinear): "Working with deployment configurations in CodeDeploy"
  (deployment-configurations.html) and the API's ``TrafficRoutingConfig``;
- the AppSpec file of an ECS deployment: "AppSpec 'resources' section"
  (reference-appspec-file-structure-resources.html#reference-appspec-file-structure-resources-ecs);
- stop, failure, alarm and rollback outcomes: "Stopped and failed deployments" and
  "Redeployments and deployment rollbacks" (deployment-steps-ecs.html), the API's
  ``AutoRollbackConfiguration``, ``ErrorInformation`` and ``RollbackInfo``;
- the listener's weighted forward action: ELBv2 ``ForwardActionConfig``.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

import yaml

# Deployment statuses (API DeploymentStatus; Queued and Baking are not used by ECS).
CREATED = "Created"
IN_PROGRESS = "InProgress"
READY = "Ready"
SUCCEEDED = "Succeeded"
FAILED = "Failed"
STOPPED = "Stopped"
ACTIVE_STATUSES = (CREATED, IN_PROGRESS, READY)
FINAL_STATUSES = (SUCCEEDED, FAILED, STOPPED)

# Lifecycle event statuses (API LifecycleEventStatus).
PENDING = "Pending"
SKIPPED = "Skipped"

# The ECS lifecycle events in the order they run.
BEFORE_INSTALL = "BeforeInstall"
INSTALL = "Install"
AFTER_INSTALL = "AfterInstall"
ALLOW_TEST_TRAFFIC = "AllowTestTraffic"
AFTER_ALLOW_TEST_TRAFFIC = "AfterAllowTestTraffic"
BEFORE_ALLOW_TRAFFIC = "BeforeAllowTraffic"
ALLOW_TRAFFIC = "AllowTraffic"
AFTER_ALLOW_TRAFFIC = "AfterAllowTraffic"
ECS_EVENTS = (
    BEFORE_INSTALL,
    INSTALL,
    AFTER_INSTALL,
    ALLOW_TEST_TRAFFIC,
    AFTER_ALLOW_TEST_TRAFFIC,
    BEFORE_ALLOW_TRAFFIC,
    ALLOW_TRAFFIC,
    AFTER_ALLOW_TRAFFIC,
)

# Traffic routing types (API TrafficRoutingType).
ALL_AT_ONCE = "AllAtOnce"
TIME_BASED_CANARY = "TimeBasedCanary"
TIME_BASED_LINEAR = "TimeBasedLinear"

# Rollback triggers and the AutoRollbackEvent each one needs.
TRIGGER_FAILURE = "failure"
TRIGGER_ALARM = "alarm"
TRIGGER_STOP = "stop"
TRIGGER_READY_TIMEOUT = "ready-timeout"
DEPLOYMENT_FAILURE = "DEPLOYMENT_FAILURE"
DEPLOYMENT_STOP_ON_ALARM = "DEPLOYMENT_STOP_ON_ALARM"
DEPLOYMENT_STOP_ON_REQUEST = "DEPLOYMENT_STOP_ON_REQUEST"

# ErrorInformation codes (API ErrorCode).
ALARM_ACTIVE = "ALARM_ACTIVE"
ECS_UPDATE_ERROR = "ECS_UPDATE_ERROR"
MANUAL_STOP = "MANUAL_STOP"
TIMEOUT = "TIMEOUT"
INVALID_ECS_SERVICE = "INVALID_ECS_SERVICE"
ELASTIC_LOAD_BALANCING_INVALID = "ELASTIC_LOAD_BALANCING_INVALID"

BLUE = "Blue"
GREEN = "Green"

# "The deployment timed out while waiting for the replacement task set to become healthy.
# This time out period is 60 minutes." (CodeDeploy's message for ECS deployments.)
INSTALL_TIMEOUT_MINUTES = 60.0
# DeploymentReadyOption.waitTimeInMinutes when a group gives STOP_DEPLOYMENT without one.
DEFAULT_READY_WAIT_MINUTES = 0


# traffic routing ---------------------------------------------------------------------


@dataclass(frozen=True)
class TrafficRouting:
    """How production traffic moves to green. ``percentage`` and ``interval_minutes``
    apply to canary (first step, then the rest) and linear (every step)."""

    type: str = ALL_AT_ONCE
    percentage: int = 100
    interval_minutes: int = 0


@dataclass(frozen=True)
class ShiftStep:
    """At ``at_minutes`` after AllowTraffic starts, green gets ``green_weight`` percent."""

    at_minutes: float
    green_weight: int


class ConfigError(ValueError):
    """A deployment configuration the ECS compute platform cannot use."""


def traffic_routing_from(config_info: dict[str, Any]) -> TrafficRouting:
    """The routing of a ``DeploymentConfigInfo`` (or its ``trafficRoutingConfig``)."""
    routing = config_info.get("trafficRoutingConfig", config_info) or {}
    kind = routing.get("type") or ALL_AT_ONCE
    if kind == ALL_AT_ONCE:
        return TrafficRouting()
    if kind == TIME_BASED_CANARY:
        spec = routing.get("timeBasedCanary") or {}
        return _checked(TrafficRouting(kind, int(spec.get("canaryPercentage", 0)), int(spec.get("canaryInterval", 0))))
    if kind == TIME_BASED_LINEAR:
        spec = routing.get("timeBasedLinear") or {}
        return _checked(TrafficRouting(kind, int(spec.get("linearPercentage", 0)), int(spec.get("linearInterval", 0))))
    raise ConfigError(f"unknown traffic routing type {kind!r}")


def _checked(routing: TrafficRouting) -> TrafficRouting:
    if not 1 <= routing.percentage <= 99:
        raise ConfigError(f"{routing.type} percentage must be between 1 and 99, got {routing.percentage}")
    if routing.interval_minutes < 1:
        raise ConfigError(f"{routing.type} interval must be at least 1 minute, got {routing.interval_minutes}")
    return routing


def shift_schedule(routing: TrafficRouting) -> tuple[ShiftStep, ...]:
    """Every weight change of AllowTraffic, first at minute 0, last at 100 percent.

    Canary: ``percentage`` at once, the rest ``interval`` minutes later. Linear:
    ``percentage`` at once and ``percentage`` more every ``interval`` minutes until
    all traffic is shifted (10 percent every minute reaches 100 at minute 9).
    """
    if routing.type == TIME_BASED_CANARY:
        return (ShiftStep(0, routing.percentage), ShiftStep(routing.interval_minutes, 100))
    if routing.type == TIME_BASED_LINEAR:
        count = math.ceil(100 / routing.percentage)
        return tuple(ShiftStep(i * routing.interval_minutes, min(100, (i + 1) * routing.percentage)) for i in range(count))
    return (ShiftStep(0, 100),)


def green_weight_at(schedule: tuple[ShiftStep, ...], elapsed_minutes: float) -> int:
    """The weight green has ``elapsed_minutes`` into AllowTraffic."""
    weight = 0
    for step in schedule:
        if elapsed_minutes + 1e-9 >= step.at_minutes:
            weight = step.green_weight
    return weight


# AppSpec ---------------------------------------------------------------------------------


class AppSpecError(ValueError):
    """The AppSpec content cannot be used for an ECS deployment (InvalidRevisionException)."""


@dataclass(frozen=True)
class AppSpec:
    """The ``TargetService`` of an ECS AppSpec."""

    task_definition: str
    container_name: str
    container_port: int
    platform_version: str | None = None
    network_configuration: dict[str, Any] | None = None
    capacity_provider_strategy: list[dict[str, Any]] | None = None


def revision_content(revision: dict[str, Any]) -> tuple[str, str | None]:
    """(content, sha256) of an ``AppSpecContent`` or ``String`` revision."""
    kind = revision.get("revisionType")
    if kind == "AppSpecContent":
        spec = revision.get("appSpecContent") or {}
        return spec.get("content") or "", spec.get("sha256")
    if kind == "String":
        spec = revision.get("string") or {}
        return spec.get("content") or "", spec.get("sha256")
    raise AppSpecError(f"revisionType {kind!r} is not AppSpecContent or String")


def check_sha256(content: str, sha256: str | None) -> None:
    if sha256 and hashlib.sha256(content.encode()).hexdigest() != sha256.lower():
        raise AppSpecError("The sha256 of the AppSpec content does not match the content.")


def parse_appspec(content: str) -> AppSpec:
    """The ECS ``TargetService`` of an AppSpec written in YAML or JSON.

    Lambda hooks are refused, not skipped: the lab runs no Lambda, and a deployment
    that silently passed its validation hooks would prove nothing.
    """
    try:
        document = yaml.safe_load(content) if content.strip() else None
    except yaml.YAMLError as exc:
        raise AppSpecError(f"The AppSpec content is neither valid YAML nor JSON: {exc}") from None
    if not isinstance(document, dict):
        raise AppSpecError("The AppSpec content must be a YAML or JSON object with a Resources section.")
    hooks = _hook_names(document.get("Hooks"))
    if hooks:
        raise AppSpecError(f"The lab cannot run the Lambda hooks of this AppSpec ({', '.join(hooks)}): remove the Hooks section to deploy on the lab.")
    return _target_service(document.get("Resources"))


def _hook_names(hooks: Any) -> list[str]:
    if not hooks:
        return []
    entries = hooks if isinstance(hooks, list) else [hooks]
    names = []
    for entry in entries:
        if isinstance(entry, dict):
            names.extend(f"{event}: {function}" for event, function in entry.items() if function)
        else:
            names.append(str(entry))
    return names


def _target_service(resources: Any) -> AppSpec:
    if not isinstance(resources, list) or not resources:
        raise AppSpecError("The AppSpec Resources section must list one TargetService.")
    first = resources[0]
    if not isinstance(first, dict) or len(first) != 1:
        raise AppSpecError("Each AppSpec resource must be one named TargetService.")
    service = next(iter(first.values()))
    if not isinstance(service, dict) or service.get("Type") != "AWS::ECS::Service":
        raise AppSpecError("The AppSpec TargetService must have Type AWS::ECS::Service.")
    properties = service.get("Properties")
    if not isinstance(properties, dict):
        raise AppSpecError("The AppSpec TargetService has no Properties.")
    return _appspec_from(properties)


def _appspec_from(properties: dict[str, Any]) -> AppSpec:
    task_definition = properties.get("TaskDefinition")
    if not task_definition or not isinstance(task_definition, str):
        raise AppSpecError("The AppSpec TargetService Properties need a TaskDefinition.")
    balancer = properties.get("LoadBalancerInfo")
    if not isinstance(balancer, dict) or not balancer.get("ContainerName") or balancer.get("ContainerPort") in (None, ""):
        raise AppSpecError("The AppSpec TargetService Properties need LoadBalancerInfo with ContainerName and ContainerPort.")
    try:
        port = int(balancer["ContainerPort"])
    except (TypeError, ValueError):
        raise AppSpecError(f"The AppSpec ContainerPort {balancer['ContainerPort']!r} is not a port number.") from None
    return AppSpec(
        task_definition=task_definition,
        container_name=str(balancer["ContainerName"]),
        container_port=port,
        platform_version=properties.get("PlatformVersion"),
        network_configuration=ecs_network_configuration(properties.get("NetworkConfiguration")),
        capacity_provider_strategy=ecs_capacity_providers(properties.get("CapacityProviderStrategy")),
    )


def ecs_network_configuration(appspec_value: Any) -> dict[str, Any] | None:
    """The AppSpec's ``NetworkConfiguration`` (PascalCase) in ECS API shape."""
    if not isinstance(appspec_value, dict):
        return None
    awsvpc = appspec_value.get("AwsvpcConfiguration") or appspec_value.get("awsvpcConfiguration")
    if not isinstance(awsvpc, dict):
        return None
    converted: dict[str, Any] = {"subnets": list(awsvpc.get("Subnets") or [])}
    if awsvpc.get("SecurityGroups"):
        converted["securityGroups"] = list(awsvpc["SecurityGroups"])
    if awsvpc.get("AssignPublicIp"):
        converted["assignPublicIp"] = awsvpc["AssignPublicIp"]
    return {"awsvpcConfiguration": converted}


def ecs_capacity_providers(appspec_value: Any) -> list[dict[str, Any]] | None:
    if not isinstance(appspec_value, list):
        return None
    keys = {"Base": "base", "CapacityProvider": "capacityProvider", "Weight": "weight"}
    return [{keys[k]: v for k, v in item.items() if k in keys} for item in appspec_value if isinstance(item, dict)]


def container_mismatch(appspec: AppSpec, container_definitions: list[dict[str, Any]]) -> str | None:
    """Why the AppSpec's container name and port do not fit the task definition, or None."""
    container = next((c for c in container_definitions if c.get("name") == appspec.container_name), None)
    if container is None:
        names = ", ".join(sorted(str(c.get("name")) for c in container_definitions)) or "none"
        return f"The container {appspec.container_name} in the AppSpec file is not in the task definition {appspec.task_definition} (its containers: {names})."
    ports = {int(m["containerPort"]) for m in container.get("portMappings") or [] if m.get("containerPort") is not None}
    if appspec.container_port not in ports:
        return f"The container {appspec.container_name} did not have a container port {appspec.container_port} defined."
    return None


# lifecycle events --------------------------------------------------------------------------


@dataclass(frozen=True)
class LifecycleEvent:
    name: str
    status: str = PENDING
    start_time: datetime | None = None
    end_time: datetime | None = None
    diagnostics: dict[str, str] | None = None


def new_events() -> tuple[LifecycleEvent, ...]:
    return tuple(LifecycleEvent(name) for name in ECS_EVENTS)


def start_event(events: tuple[LifecycleEvent, ...], name: str, now: datetime) -> tuple[LifecycleEvent, ...]:
    return tuple(replace(e, status=IN_PROGRESS, start_time=now) if e.name == name and e.status == PENDING else e for e in events)


def finish_event(
    events: tuple[LifecycleEvent, ...], name: str, status: str, now: datetime, diagnostics: dict[str, str] | None = None
) -> tuple[LifecycleEvent, ...]:
    """End one event (starting it first if it never started, as a hook with nothing to run)."""
    return tuple(_finished(e, status, now, diagnostics) if e.name == name else e for e in events)


def _finished(event: LifecycleEvent, status: str, now: datetime, diagnostics: dict[str, str] | None) -> LifecycleEvent:
    return replace(event, status=status, start_time=event.start_time or now, end_time=now, diagnostics=diagnostics or event.diagnostics)


def end_events(events: tuple[LifecycleEvent, ...], now: datetime, message: str, error_code: str) -> tuple[LifecycleEvent, ...]:
    """A deployment ends early: the running event fails, the rest are skipped."""
    diagnostics = {"errorCode": "UnknownError", "scriptName": "", "message": message, "logTail": ""}
    ended = []
    for event in events:
        if event.status == IN_PROGRESS:
            ended.append(_finished(event, FAILED, now, diagnostics))
        elif event.status == PENDING:
            ended.append(replace(event, status=SKIPPED))
        else:
            ended.append(event)
    return tuple(ended)


def event_status(events: tuple[LifecycleEvent, ...], name: str) -> str:
    return next(e.status for e in events if e.name == name)


def render_events(events: tuple[LifecycleEvent, ...]) -> list[dict[str, Any]]:
    """``LifecycleEvent`` list in the API's shape."""
    rendered = []
    for event in events:
        body: dict[str, Any] = {"lifecycleEventName": event.name, "status": event.status}
        if event.start_time:
            body["startTime"] = event.start_time
        if event.end_time:
            body["endTime"] = event.end_time
        if event.diagnostics:
            body["diagnostics"] = dict(event.diagnostics)
        rendered.append(body)
    return rendered


# statuses ---------------------------------------------------------------------------------


def target_status(deployment_status: str) -> str:
    """The ECS target's status (API TargetStatus) for a deployment status."""
    return {
        CREATED: PENDING,
        IN_PROGRESS: IN_PROGRESS,
        READY: READY,
        SUCCEEDED: SUCCEEDED,
        FAILED: FAILED,
        STOPPED: FAILED,
    }.get(deployment_status, "Unknown")


def deployment_overview(deployment_status: str) -> dict[str, int]:
    """``DeploymentOverview``: an ECS deployment has exactly one target."""
    counts = {PENDING: 0, IN_PROGRESS: 0, SUCCEEDED: 0, FAILED: 0, SKIPPED: 0, READY: 0}
    counts[target_status(deployment_status)] += 1
    return counts


@dataclass(frozen=True)
class Outcome:
    """How a deployment ends when something stops it early."""

    status: str
    error_code: str
    roll_back: bool


def rollback_events(auto_rollback: dict[str, Any] | None) -> frozenset[str]:
    """The AutoRollbackEvents in force (none unless ``enabled``)."""
    if not auto_rollback or not auto_rollback.get("enabled"):
        return frozenset()
    return frozenset(auto_rollback.get("events") or ())


def early_outcome(trigger: str, auto_rollback: dict[str, Any] | None, stop_rollback: bool | None = None) -> Outcome:
    """Status, error code and whether to roll back, for each way a deployment stops early.

    - failure (tasks never healthy, tasks crash, a resource is missing): ``Failed``,
      rolled back with DEPLOYMENT_FAILURE;
    - a CloudWatch alarm of the group in ALARM: ``Stopped`` / ALARM_ACTIVE, rolled back with
      DEPLOYMENT_STOP_ON_ALARM;
    - StopDeployment: ``Stopped`` / MANUAL_STOP, rolled back when ``autoRollbackEnabled`` is
      true (or, when the caller left it out, with DEPLOYMENT_STOP_ON_REQUEST);
    - the Ready wait runs out (``waitTimeInMinutes``): ``Stopped`` / TIMEOUT, as
      DeploymentReadyOption documents; the lab rolls it back with DEPLOYMENT_FAILURE.
    """
    events = rollback_events(auto_rollback)
    if trigger == TRIGGER_ALARM:
        return Outcome(STOPPED, ALARM_ACTIVE, DEPLOYMENT_STOP_ON_ALARM in events)
    if trigger == TRIGGER_STOP:
        wanted = stop_rollback if stop_rollback is not None else DEPLOYMENT_STOP_ON_REQUEST in events
        return Outcome(STOPPED, MANUAL_STOP, wanted)
    if trigger == TRIGGER_READY_TIMEOUT:
        return Outcome(STOPPED, TIMEOUT, DEPLOYMENT_FAILURE in events)
    return Outcome(FAILED, ECS_UPDATE_ERROR, DEPLOYMENT_FAILURE in events)


def alarms_to_watch(alarm_configuration: dict[str, Any] | None) -> tuple[str, ...]:
    """Names of the alarms CodeDeploy polls (none unless the configuration is enabled)."""
    if not alarm_configuration or not alarm_configuration.get("enabled"):
        return ()
    return tuple(a["name"] for a in alarm_configuration.get("alarms") or [] if a.get("name"))


def alarm_message(names: list[str]) -> str:
    return (
        "One or more alarms have been activated according to the Amazon CloudWatch metrics you selected, "
        f"and the affected deployments have been stopped. Activated alarms: <{', '.join(names)}>"
    )


# blue, green and the listeners -------------------------------------------------------------


class TargetGroupPairError(ValueError):
    """The PRIMARY task set's target group is not one of the group's pair."""


def green_target_group(pair: tuple[str, str], blue: str) -> str:
    """The other target group of the pair: green is always the one blue does not use."""
    if blue == pair[0]:
        return pair[1]
    if blue == pair[1]:
        return pair[0]
    raise TargetGroupPairError(f"The original task set's target group {blue} is not in the deployment group's target group pair {list(pair)}.")


def forward_action(blue_arn: str, green_arn: str, green_weight: int, stickiness: dict[str, Any] | None = None) -> dict[str, Any]:
    """A forward action splitting traffic ``100 - green_weight`` / ``green_weight``."""
    return {
        "Type": "forward",
        "ForwardConfig": {
            "TargetGroups": [
                {"TargetGroupArn": blue_arn, "Weight": 100 - green_weight},
                {"TargetGroupArn": green_arn, "Weight": green_weight},
            ],
            "TargetGroupStickinessConfig": stickiness or {"Enabled": False},
        },
    }


def forwarded_target_groups(action: dict[str, Any]) -> set[str]:
    if action.get("Type") != "forward":
        return set()
    groups = {g["TargetGroupArn"] for g in (action.get("ForwardConfig") or {}).get("TargetGroups") or [] if g.get("TargetGroupArn")}
    if action.get("TargetGroupArn"):
        groups.add(action["TargetGroupArn"])
    return groups


def reweighted_actions(actions: list[dict[str, Any]], blue_arn: str, green_arn: str, green_weight: int) -> list[dict[str, Any]] | None:
    """The listener's actions with every forward to the pair split per ``green_weight``;
    None when no action forwards to the pair (nothing to change)."""
    changed = False
    result = []
    for action in actions:
        if forwarded_target_groups(action) & {blue_arn, green_arn}:
            stickiness = (action.get("ForwardConfig") or {}).get("TargetGroupStickinessConfig")
            new = forward_action(blue_arn, green_arn, green_weight, stickiness)
            if "Order" in action:
                new["Order"] = action["Order"]
            result.append(new)
            changed = True
        else:
            result.append(action)
    return result if changed else None


# deployment groups --------------------------------------------------------------------------


@dataclass(frozen=True)
class GroupSettings:
    """What an ECS deployment takes from its deployment group."""

    cluster: str
    service: str
    target_groups: tuple[str, str]
    prod_listeners: tuple[str, ...]
    test_listeners: tuple[str, ...]
    ready_action: str = "CONTINUE_DEPLOYMENT"
    ready_wait_minutes: int = 0
    termination_action: str = "TERMINATE"
    termination_wait_minutes: int = 0
    auto_rollback: dict[str, Any] = field(default_factory=dict)
    alarms: tuple[str, ...] = ()


class GroupError(ValueError):
    """The deployment group lacks what an ECS deployment needs (code, message)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def blue_green_answer(blue_green: dict[str, Any] | None) -> dict[str, Any] | None:
    """A group's BlueGreenDeploymentConfiguration as GetDeploymentGroup answers it: the ready option and
    the blue termination with every field, unset ones at the values the engine runs with
    (CONTINUE_DEPLOYMENT, 0 minutes; TERMINATE, 0 minutes). The AWS CLI's ``aws ecs deploy`` reads
    ``waitTimeInMinutes`` and ``terminationWaitTimeInMinutes`` without a fallback."""
    if blue_green is None:
        return None
    ready = {"actionOnTimeout": "CONTINUE_DEPLOYMENT", "waitTimeInMinutes": DEFAULT_READY_WAIT_MINUTES}
    termination = {"action": "TERMINATE", "terminationWaitTimeInMinutes": 0}
    return {
        **blue_green,
        "deploymentReadyOption": {**ready, **(blue_green.get("deploymentReadyOption") or {})},
        "terminateBlueInstancesOnDeploymentSuccess": {**termination, **(blue_green.get("terminateBlueInstancesOnDeploymentSuccess") or {})},
    }


def group_settings(
    ecs_services: list[dict[str, Any]],
    load_balancer_info: dict[str, Any],
    blue_green: dict[str, Any],
    auto_rollback: dict[str, Any] | None,
    alarm_configuration: dict[str, Any] | None,
) -> GroupSettings:
    """Read an ECS deployment group (CreateDeploymentGroup's shapes) or raise GroupError."""
    if not ecs_services:
        raise GroupError("InvalidECSServiceException", "The deployment group has no ECS service (ecsServices).")
    pairs = (load_balancer_info or {}).get("targetGroupPairInfoList") or []
    if not pairs:
        raise GroupError("InvalidLoadBalancerInfoException", "The deployment group has no targetGroupPairInfoList.")
    pair = pairs[0]
    names = [g.get("name") for g in pair.get("targetGroups") or [] if g.get("name")]
    if len(names) != 2:
        raise GroupError("InvalidTargetGroupPairException", "The target group pair must name exactly two target groups.")
    prod = tuple((pair.get("prodTrafficRoute") or {}).get("listenerArns") or ())
    if not prod:
        raise GroupError("InvalidTargetGroupPairException", "The target group pair has no production listener (prodTrafficRoute).")
    ready = (blue_green or {}).get("deploymentReadyOption") or {}
    termination = (blue_green or {}).get("terminateBlueInstancesOnDeploymentSuccess") or {}
    return GroupSettings(
        cluster=ecs_services[0]["clusterName"],
        service=ecs_services[0]["serviceName"],
        target_groups=(names[0], names[1]),
        prod_listeners=prod,
        test_listeners=tuple((pair.get("testTrafficRoute") or {}).get("listenerArns") or ()),
        ready_action=ready.get("actionOnTimeout") or "CONTINUE_DEPLOYMENT",
        ready_wait_minutes=int(ready.get("waitTimeInMinutes") or DEFAULT_READY_WAIT_MINUTES),
        termination_action=termination.get("action") or "TERMINATE",
        termination_wait_minutes=int(termination.get("terminationWaitTimeInMinutes") or 0),
        auto_rollback=dict(auto_rollback or {}),
        alarms=alarms_to_watch(alarm_configuration),
    )
