# Copyright: cutover.ecs contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The cutover's decisions, as pure functions over fetched AWS data.

No I/O here: ``ensure`` reads, asks these functions what to do, acts and polls.
Everything is unit-tested table by table:

- input checks (:func:`validate_options`, :func:`container_target`);
- the strategy a service's deployment controller can run (:func:`resolve_strategy`);
- the traffic option as a CodeDeploy deployment config (:func:`traffic_config`);
- the AppSpec of an ECS deployment (:func:`build_appspec`);
- idempotency (:func:`decide_codedeploy`, :func:`decide_rolling`): already serving,
  attach to a deployment of the same task definition, conflict, or start;
- one view per poll (:func:`codedeploy_view`, :func:`rolling_view`), its progress line
  and the report every strategy returns in the same shape.
"""

from __future__ import annotations

import datetime
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Optional

from ansible_collections.cutover.ecs.plugins.module_utils._errors import InvalidInput

STRATEGIES = ("auto", "codedeploy", "rolling", "ecs")
# Which strategy each ECS deployment controller runs.
CONTROLLER_STRATEGY = {"CODE_DEPLOY": "codedeploy", "ECS": "rolling", "EXTERNAL": None}
TRAFFIC_TYPES = ("all_at_once", "canary", "linear", "config")
ACTIONS = ("deploy", "continue", "rollback")
ON_CONFLICT = ("fail", "wait", "stop")

# CodeDeploy: statuses of a deployment that has not ended (API DeploymentStatus).
ACTIVE_STATUSES = ("Created", "Queued", "InProgress", "Baking", "Ready")
FINAL_STATUSES = ("Succeeded", "Failed", "Stopped")
ECS_ALL_AT_ONCE = "CodeDeployDefault.ECSAllAtOnce"
# The predefined ECS configs ("Working with deployment configurations in CodeDeploy").
PREDEFINED = {
    ("canary", 10, 5): "CodeDeployDefault.ECSCanary10Percent5Minutes",
    ("canary", 10, 15): "CodeDeployDefault.ECSCanary10Percent15Minutes",
    ("linear", 10, 1): "CodeDeployDefault.ECSLinear10PercentEvery1Minutes",
    ("linear", 10, 3): "CodeDeployDefault.ECSLinear10PercentEvery3Minutes",
}
CUSTOM_CONFIG_PREFIX = "cutover-ecs"
MAX_INTERVAL_MINUTES = 2880

# Report statuses.
SUCCEEDED = "succeeded"
AWAITING = "awaiting_verification"
ROLLED_BACK = "rolled_back"
FAILED = "failed"
IN_PROGRESS = "in_progress"
# Stopped by someone (StopDeployment without rollback, an ECS service deployment STOPPED), not rolled back.
STOPPED = "stopped"
# The statuses that fail the task: failed and rolled back, failed and not rolled back, stopped by someone.
FAILURES = (ROLLED_BACK, FAILED, STOPPED)
PLANNED = "planned"

# Idempotency decisions.
NOOP = "noop"
ATTACH = "attach"
CONFLICT = "conflict"
START = "start"


# --- input --------------------------------------------------------------------------


def validate_options(options: Mapping[str, Any]) -> None:
    """What can be checked without reading AWS; raises :class:`InvalidInput`."""
    action = options.get("action") or "deploy"
    if action == "deploy" and not options.get("task_definition"):
        raise InvalidInput("task_definition is required when action=deploy", option="task_definition")
    validate_traffic(options.get("traffic"))
    for key in ("wait_timeout", "poll_interval"):
        value = options.get(key)
        if value is not None and value <= 0:
            raise InvalidInput(f"{key} must be greater than 0 (got {value})", option=key)
    port = options.get("container_port")
    if port is not None and not 1 <= port <= 65535:
        raise InvalidInput(f"container_port must be between 1 and 65535 (got {port})", option="container_port")


def validate_traffic(traffic: Optional[Mapping[str, Any]]) -> None:
    if not traffic:
        return
    kind = traffic.get("type") or "all_at_once"
    percent, interval, name = traffic.get("percent"), traffic.get("interval_minutes"), traffic.get("config_name")
    if kind == "config":
        if not name:
            raise InvalidInput("traffic.type=config needs traffic.config_name (a CodeDeploy deployment config)", option="traffic")
        return
    if name:
        raise InvalidInput(f"traffic.config_name applies only to traffic.type=config (got type {kind})", option="traffic")
    if kind == "all_at_once":
        if percent is not None or interval is not None:
            raise InvalidInput("traffic.percent and traffic.interval_minutes apply only to canary and linear", option="traffic")
        return
    if percent is None or interval is None:
        raise InvalidInput(f"traffic.type={kind} needs traffic.percent (1-99) and traffic.interval_minutes", option="traffic")
    if not 1 <= percent <= 99:
        raise InvalidInput(f"traffic.percent must be between 1 and 99 (got {percent}); for 100 percent use traffic.type=all_at_once", option="traffic")
    if not 1 <= interval <= MAX_INTERVAL_MINUTES:
        raise InvalidInput(f"traffic.interval_minutes must be between 1 and {MAX_INTERVAL_MINUTES} (got {interval})", option="traffic")


# deploymentConfiguration.strategy values that the ECS controller runs as service deployments.
NATIVE_DEPLOYMENT_STRATEGIES = ("BLUE_GREEN", "LINEAR", "CANARY")


def resolve_strategy(requested: Optional[str], service: Mapping[str, Any]) -> str:
    """The strategy to run: the one the service's deployment controller (and, for the ECS
    controller, its deploymentConfiguration.strategy) runs, checked against an explicit request."""
    controller = (service.get("deploymentController") or {}).get("type") or "ECS"
    native = CONTROLLER_STRATEGY.get(controller)
    deployment_strategy = (service.get("deploymentConfiguration") or {}).get("strategy") or "ROLLING"
    if native == "rolling" and deployment_strategy in NATIVE_DEPLOYMENT_STRATEGIES:
        native = "ecs"
    if requested in (None, "auto"):
        if native is None:
            raise InvalidInput(f"The service {service.get('serviceName')} uses the {controller} deployment controller, which cutover.ecs.deploy cannot drive")
        return native
    if requested == native:
        return requested
    name = service.get("serviceName")
    if controller == "ECS" and requested in ("rolling", "ecs"):
        wanted = "ROLLING" if requested == "rolling" else "BLUE_GREEN, LINEAR or CANARY"
        raise InvalidInput(
            f"strategy={requested} needs a service whose deployment_configuration.strategy is {wanted}, but {name} has {deployment_strategy}; "
            f"use strategy=auto or {native}, or change the service's deployment strategy first (cutover.ecs.service)",
            option="strategy",
        )
    needs = {"codedeploy": "CODE_DEPLOY", "rolling": "ECS", "ecs": "ECS"}.get(requested, requested)
    raise InvalidInput(
        f"strategy={requested} needs a service with the {needs} deployment controller, but {name} uses {controller}; "
        f"use strategy=auto or {native or 'another service'}",
        option="strategy",
    )


def container_target(service: Mapping[str, Any], task_definition: Mapping[str, Any], name: Optional[str] = None, port: Optional[int] = None) -> tuple[str, int]:
    """The container and port production traffic goes to: given, or the service's load
    balancer's; checked against the task definition."""
    balancer = next(iter(service.get("loadBalancers") or []), {})
    name = name or balancer.get("containerName")
    port = port or balancer.get("containerPort")
    if not name or not port:
        raise InvalidInput(
            f"The service {service.get('serviceName')} has no load balancer to take the container from: give container_name and container_port",
            option="container_name",
        )
    containers = task_definition.get("containerDefinitions") or []
    container = next((c for c in containers if c.get("name") == name), None)
    family = f"{task_definition.get('family')}:{task_definition.get('revision')}"
    if container is None:
        known = ", ".join(sorted(str(c.get("name")) for c in containers)) or "none"
        raise InvalidInput(f"container_name {name} is not a container of the task definition {family} (its containers: {known})", option="container_name")
    ports = sorted({int(m["containerPort"]) for m in container.get("portMappings") or [] if m.get("containerPort") is not None})
    if int(port) not in ports:
        raise InvalidInput(
            f"container_port {port} is not a port mapping of container {name} in {family} (its ports: {', '.join(map(str, ports)) or 'none'})",
            option="container_port",
        )
    return name, int(port)


# --- task definitions -------------------------------------------------------------------


def family_revision(reference: Optional[str]) -> Optional[str]:
    """``family:revision`` of an ARN or a ``family:revision``; a bare family stays as is."""
    if not reference:
        return reference
    if reference.startswith("arn:"):
        return reference.split("/", 1)[-1]
    return reference


def same_task_definition(one: Optional[str], other: Optional[str]) -> bool:
    """Two references to one revision (ARN and ``family:revision`` mixed)."""
    if not one or not other:
        return False
    return family_revision(one) == family_revision(other)


TASK_DEFINITION_DIFF_KEYS = (
    "containerDefinitions",
    "cpu",
    "memory",
    "networkMode",
    "taskRoleArn",
    "executionRoleArn",
    "requiresCompatibilities",
    "volumes",
    "runtimePlatform",
    "ephemeralStorage",
)


def task_definition_diff(current: Optional[Mapping[str, Any]], desired: Mapping[str, Any]) -> dict:
    """Before/after of the task definition fields that differ (check mode's plan)."""
    if desired.get("predicted"):
        # check mode: a revision an earlier task of the run would register; that task's diff shows its fields
        return {"before": {}, "after": {}, "after_header": f"{family_revision(desired.get('taskDefinitionArn'))} (to be registered by the run)"}
    current = current or {}
    before, after = {}, {}
    for key in TASK_DEFINITION_DIFF_KEYS:
        if current.get(key) != desired.get(key):
            before[key] = current.get(key)
            after[key] = desired.get(key)
    return {"before": before, "after": after}


# --- CodeDeploy: traffic and AppSpec ---------------------------------------------------


@dataclass(frozen=True)
class TrafficChoice:
    """The deployment config a deployment names; ``create`` is the CreateDeploymentConfig
    request when it is a config of ours that may not exist yet; ``routing`` the trafficRoutingConfig
    of a config already read (for the plan's traffic steps)."""

    name: Optional[str]
    create: Optional[dict] = None
    routing: Optional[dict] = None


def routing_config(kind: str, percent: int, interval: int) -> dict:
    if kind == "canary":
        return {"type": "TimeBasedCanary", "timeBasedCanary": {"canaryPercentage": percent, "canaryInterval": interval}}
    return {"type": "TimeBasedLinear", "timeBasedLinear": {"linearPercentage": percent, "linearInterval": interval}}


def custom_config_name(kind: str, percent: int, interval: int) -> str:
    return f"{CUSTOM_CONFIG_PREFIX}.{kind.capitalize()}{percent}PercentEvery{interval}Minutes"


def traffic_config(traffic: Optional[Mapping[str, Any]]) -> TrafficChoice:
    """The ``traffic`` option as a deployment config name. None: the group's own config."""
    if not traffic:
        return TrafficChoice(None)
    kind = traffic.get("type") or "all_at_once"
    if kind == "config":
        return TrafficChoice(traffic["config_name"])
    if kind == "all_at_once":
        return TrafficChoice(ECS_ALL_AT_ONCE)
    percent, interval = int(traffic["percent"]), int(traffic["interval_minutes"])
    predefined = PREDEFINED.get((kind, percent, interval))
    if predefined:
        return TrafficChoice(predefined)
    name = custom_config_name(kind, percent, interval)
    create = {"deploymentConfigName": name, "computePlatform": "ECS", "trafficRoutingConfig": routing_config(kind, percent, interval)}
    return TrafficChoice(name, create)


def config_mismatch(choice: TrafficChoice, existing: Optional[Mapping[str, Any]]) -> Optional[str]:
    """Why an existing config of our name cannot be used (someone made it differently)."""
    if choice.create is None or existing is None:
        return None
    wanted = choice.create["trafficRoutingConfig"]
    found = existing.get("trafficRoutingConfig") or {}
    part = "timeBasedCanary" if wanted["type"] == "TimeBasedCanary" else "timeBasedLinear"
    if found.get("type") != wanted["type"] or dict(found.get(part) or {}) != wanted[part]:
        return f"The deployment config {choice.name} exists with another traffic routing ({found}); delete it or use traffic.type=config"
    return None


# --- the traffic steps a plan shows ----------------------------------------------------------


def _percent(value: Any) -> Any:
    number = float(value)
    return int(number) if number.is_integer() else number


def _ramp(first: Any, step: Any, interval: int) -> list[dict]:
    """Production traffic on green after each step: ``first`` at once, then ``step`` more every
    ``interval`` minutes up to 100."""
    steps, percent, minute = [], float(first), 0
    while percent < 100:
        steps.append({"green_percent": _percent(percent), "after_minutes": minute})
        percent, minute = percent + float(step), minute + interval
    steps.append({"green_percent": 100, "after_minutes": minute})
    return steps


def _steps_line(steps: Sequence[Mapping[str, Any]]) -> str:
    if len(steps) == 1:
        return "all production traffic to green at once"
    shown = [f"{s['green_percent']}% at minute {s['after_minutes']}" for s in steps]
    if len(shown) > 4:
        shown = shown[:2] + ["..."] + shown[-1:]
    return "production traffic to green: " + ", ".join(shown)


def codedeploy_routing(name: Optional[str], create: Optional[Mapping[str, Any]] = None) -> Optional[dict]:
    """The trafficRoutingConfig of a deployment config known without a read (ours or a
    predefined ECS one); None for a config only GetDeploymentConfig can describe."""
    if create is not None:
        return dict(create["trafficRoutingConfig"])
    if name == ECS_ALL_AT_ONCE:
        return {"type": "AllAtOnce"}
    for (kind, percent, interval), predefined in PREDEFINED.items():
        if predefined == name:
            return routing_config(kind, percent, interval)
    return None


def traffic_steps(strategy: str, settings: Optional[Mapping[str, Any]]) -> dict:
    """How a deployment would move production traffic: ``steps`` (green's share of production
    traffic and the minute it gets it) and a ``line`` to print.

    ``settings`` is, for codedeploy, the deployment config's trafficRoutingConfig; for ecs
    and rolling, the deploymentConfiguration the deployment runs with.
    """
    settings = settings or {}
    if strategy == "rolling":
        low, high = settings.get("minimumHealthyPercent", 100), settings.get("maximumPercent", 200)
        return {
            "steps": [],
            "line": f"rolling update: tasks replaced with at least {low}% of the desired count healthy and at most {high}% running",
        }
    if strategy == "codedeploy":
        kind = settings.get("type") or "AllAtOnce"
        canary, linear = settings.get("timeBasedCanary") or {}, settings.get("timeBasedLinear") or {}
        if kind == "TimeBasedCanary":
            steps = [{"green_percent": _percent(canary["canaryPercentage"]), "after_minutes": 0}]
            steps.append({"green_percent": 100, "after_minutes": int(canary["canaryInterval"])})
        elif kind == "TimeBasedLinear":
            steps = _ramp(linear["linearPercentage"], linear["linearPercentage"], int(linear["linearInterval"]))
        else:
            steps = [{"green_percent": 100, "after_minutes": 0}]
    else:
        kind = settings.get("strategy") or "ROLLING"
        canary, linear = settings.get("canaryConfiguration") or {}, settings.get("linearConfiguration") or {}
        if kind == "CANARY":
            steps = [{"green_percent": _percent(canary["canaryPercent"]), "after_minutes": 0}]
            steps.append({"green_percent": 100, "after_minutes": int(canary.get("canaryBakeTimeInMinutes") or 0)})
        elif kind == "LINEAR":
            steps = _ramp(linear["stepPercent"], linear["stepPercent"], int(linear.get("stepBakeTimeInMinutes") or 0))
        else:
            steps = [{"green_percent": 100, "after_minutes": 0}]
    return {"steps": steps, "line": _steps_line(steps)}


def _network_configuration(service: Mapping[str, Any]) -> Optional[dict]:
    awsvpc = (service.get("networkConfiguration") or {}).get("awsvpcConfiguration")
    if not awsvpc:
        return None
    converted: dict = {"Subnets": list(awsvpc.get("subnets") or [])}
    if awsvpc.get("securityGroups"):
        converted["SecurityGroups"] = list(awsvpc["securityGroups"])
    if awsvpc.get("assignPublicIp"):
        converted["AssignPublicIp"] = awsvpc["assignPublicIp"]
    return {"AwsvpcConfiguration": converted}


def build_appspec(task_definition_arn: str, container_name: str, container_port: int, service: Optional[Mapping[str, Any]] = None) -> dict:
    """The AppSpec of an ECS deployment ("AppSpec 'resources' section for Amazon ECS").

    The service's network configuration and platform version are carried over so the
    green task set runs where blue runs.
    """
    properties: dict = {
        "TaskDefinition": task_definition_arn,
        "LoadBalancerInfo": {"ContainerName": container_name, "ContainerPort": container_port},
    }
    service = service or {}
    if service.get("platformVersion") and service.get("platformVersion") != "LATEST":
        properties["PlatformVersion"] = service["platformVersion"]
    network = _network_configuration(service)
    if network:
        properties["NetworkConfiguration"] = network
    return {"version": 0.0, "Resources": [{"TargetService": {"Type": "AWS::ECS::Service", "Properties": properties}}]}


def appspec_content(appspec: Mapping[str, Any]) -> str:
    return json.dumps(appspec, sort_keys=True)


def create_deployment_request(
    application: str, group: str, appspec: Mapping[str, Any], config_name: Optional[str], alarms: Sequence[str] = (), description: Optional[str] = None
) -> dict:
    request: dict = {
        "applicationName": application,
        "deploymentGroupName": group,
        "revision": {"revisionType": "AppSpecContent", "appSpecContent": {"content": appspec_content(appspec)}},
    }
    if config_name:
        request["deploymentConfigName"] = config_name
    if description:
        request["description"] = description
    if alarms:
        # Per deployment: these alarms replace the group's, and an alarm rolls back.
        request["overrideAlarmConfiguration"] = {"enabled": True, "ignorePollAlarmFailure": False, "alarms": [{"name": name} for name in alarms]}
        request["autoRollbackConfiguration"] = {"enabled": True, "events": ["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM", "DEPLOYMENT_STOP_ON_REQUEST"]}
    return request


def appspec_task_definition(revision: Optional[Mapping[str, Any]]) -> Optional[str]:
    """The TaskDefinition an AppSpecContent (JSON or YAML) revision deploys."""
    if not revision:
        return None
    content = ((revision.get("appSpecContent") or revision.get("string") or {}).get("content")) or ""
    document: Any = None
    try:
        document = json.loads(content)
    except ValueError:
        try:
            import yaml

            document = yaml.safe_load(content)
        except Exception:  # noqa: BLE001 - an AppSpec we cannot read deploys nothing we know of
            return None
    try:
        resource = document["Resources"][0]
        return next(iter(resource.values()))["Properties"]["TaskDefinition"]
    except (KeyError, IndexError, TypeError, StopIteration):
        return None


def group_matches_service(group: Mapping[str, Any], cluster: str, service: str) -> bool:
    """Whether a deployment group (GetDeploymentGroup's info) deploys this service."""
    items = group.get("ecsServices") or []
    return any(item.get("serviceName") == service and name_of(item.get("clusterName")) == name_of(cluster) for item in items)


def name_of(value: Optional[str]) -> Optional[str]:
    if value and value.startswith("arn:"):
        return value.rsplit("/", 1)[-1]
    return value


def ready_option(group: Mapping[str, Any]) -> str:
    ready = (group.get("blueGreenDeploymentConfiguration") or {}).get("deploymentReadyOption") or {}
    return ready.get("actionOnTimeout") or "CONTINUE_DEPLOYMENT"


def verify_problem(group: Mapping[str, Any], verify: bool) -> Optional[str]:
    """CreateDeployment has no per-deployment ready option: the group must stop at Ready."""
    if not verify or ready_option(group) == "STOP_DEPLOYMENT":
        return None
    return (
        f"verify=true needs the deployment group {group.get('deploymentGroupName')} to wait for verification: set its "
        "deployment_ready_option to action_on_timeout=STOP_DEPLOYMENT with a wait_time_in_minutes (cutover.ecs.codedeploy_deployment_group). "
        "CodeDeploy has no per-deployment override; with verify=false this module continues such a deployment itself."
    )


# --- idempotency --------------------------------------------------------------------------


@dataclass(frozen=True)
class Decision:
    action: str  # NOOP, ATTACH, CONFLICT or START
    deployment_id: Optional[str] = None
    other_task_definition: Optional[str] = None
    reason: str = ""


def serving_task_definition(service: Mapping[str, Any]) -> Optional[str]:
    """The task definition taking all production traffic, or None while two run.

    CODE_DEPLOY: the only task set, PRIMARY. ECS: the only deployment, PRIMARY and
    COMPLETED.
    """
    controller = (service.get("deploymentController") or {}).get("type") or "ECS"
    if controller == "CODE_DEPLOY":
        task_sets = [ts for ts in service.get("taskSets") or [] if ts.get("status") != "INACTIVE"]
        if len(task_sets) == 1 and task_sets[0].get("status") == "PRIMARY":
            return task_sets[0].get("taskDefinition")
        return None
    deployments = service.get("deployments") or []
    if len(deployments) == 1 and deployments[0].get("status") == "PRIMARY" and deployments[0].get("rolloutState", "COMPLETED") == "COMPLETED":
        return deployments[0].get("taskDefinition")
    return None


def decide_codedeploy(service: Mapping[str, Any], active: Sequence[tuple[str, Optional[str]]], desired: str) -> Decision:
    """``active``: (deployment id, its task definition) of the group's unfinished deployments."""
    for deployment_id, task_definition in active:
        if same_task_definition(task_definition, desired):
            return Decision(ATTACH, deployment_id, task_definition, f"deployment {deployment_id} to this task definition is in progress")
    if active:
        deployment_id, task_definition = active[0]
        return Decision(CONFLICT, deployment_id, task_definition, f"deployment {deployment_id} to {family_revision(task_definition)} is in progress")
    if same_task_definition(serving_task_definition(service), desired):
        return Decision(NOOP, reason="the service already serves this task definition with all production traffic")
    return Decision(START)


def decide_rolling(service: Mapping[str, Any], desired: str) -> Decision:
    deployments = service.get("deployments") or []
    primary = next((d for d in deployments if d.get("status") == "PRIMARY"), None)
    if primary is None:
        return Decision(START)
    in_progress = primary.get("rolloutState") == "IN_PROGRESS" or len(deployments) > 1
    same = same_task_definition(primary.get("taskDefinition"), desired)
    if same and primary.get("rolloutState") == "COMPLETED" and len(deployments) == 1:
        return Decision(NOOP, reason="the service already serves this task definition with all its tasks")
    if same and in_progress and primary.get("rolloutState") != "FAILED":
        return Decision(
            ATTACH, primary.get("id"), primary.get("taskDefinition"), f"rolling deployment {primary.get('id')} to this task definition is in progress"
        )
    if in_progress and primary.get("rolloutState") == "IN_PROGRESS":
        return Decision(
            CONFLICT,
            primary.get("id"),
            primary.get("taskDefinition"),
            f"rolling deployment {primary.get('id')} to {family_revision(primary.get('taskDefinition'))} is in progress",
        )
    return Decision(START)


def conflict_message(decision: Decision, desired: str) -> str:
    return (
        f"Another deployment is in progress: {decision.reason}, not to {family_revision(desired)}. "
        "Wait for it to end, or set on_conflict=wait (wait, then deploy) or on_conflict=stop (stop it, with rollback, then deploy)."
    )


# --- polling views ----------------------------------------------------------------------------


def iso(value: Any) -> Any:
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    return value


def codedeploy_phases(target: Optional[Mapping[str, Any]]) -> list[dict]:
    events = ((target or {}).get("ecsTarget") or target or {}).get("lifecycleEvents") or []
    return [
        {"name": e.get("lifecycleEventName"), "status": e.get("status"), "started_at": iso(e.get("startTime")), "ended_at": iso(e.get("endTime"))}
        for e in events
    ]


def _current_phase(phases: Sequence[Mapping[str, Any]], status: str) -> str:
    if status == "Ready":
        return "Ready (waiting for verification)"
    running = [p["name"] for p in phases if p["status"] == "InProgress"]
    if running:
        return running[-1]
    done = [p["name"] for p in phases if p["status"] == "Succeeded"]
    if status in ACTIVE_STATUSES and done:
        return f"after {done[-1]}"
    return status


def codedeploy_view(info: Mapping[str, Any], target: Optional[Mapping[str, Any]]) -> dict:
    """One poll of a CodeDeploy deployment: GetDeployment's info and GetDeploymentTarget's
    target (None before it starts)."""
    ecs_target = (target or {}).get("ecsTarget") or {}
    weights = {"blue": 100.0, "green": 0.0}
    counts = {"blue": 0, "green": 0}
    for task_set in ecs_target.get("taskSetsInfo") or []:
        label = "green" if task_set.get("taskSetLabel") == "Green" else "blue"
        weights[label] = float(task_set.get("trafficWeight") or 0.0)
        counts[label] = int(task_set.get("runningCount") or 0)
    phases = codedeploy_phases(ecs_target)
    status = info.get("status", "Created")
    return {
        "deployment_id": info.get("deploymentId"),
        "status": status,
        "phase": _current_phase(phases, status),
        "phases": phases,
        "weights": weights,
        "running": counts,
        "rollback_deployment_id": (info.get("rollbackInfo") or {}).get("rollbackDeploymentId"),
        "rollback_message": (info.get("rollbackInfo") or {}).get("rollbackMessage"),
        "error": info.get("errorInformation"),
        "task_definition": appspec_task_definition(info.get("revision")),
    }


def target_group_names(target: Optional[Mapping[str, Any]]) -> dict:
    """{"blue": name, "green": name} of a GetDeploymentTarget answer's task sets."""
    names = {}
    for task_set in ((target or {}).get("ecsTarget") or {}).get("taskSetsInfo") or []:
        name = (task_set.get("targetGroup") or {}).get("name")
        if name:
            names["green" if task_set.get("taskSetLabel") == "Green" else "blue"] = name
    return names


def target_group_name(arn: str) -> str:
    """``arn:...:targetgroup/<name>/<id>`` -> ``<name>`` (a name stays as it is)."""
    parts = str(arn).split(":targetgroup/", 1)
    return parts[1].split("/", 1)[0] if len(parts) == 2 else str(arn)


def green_task_set(target: Optional[Mapping[str, Any]]) -> Optional[dict]:
    """The Green task set of a GetDeploymentTarget answer (its id is ``identifer``, sic), or None before it exists."""
    for task_set in ((target or {}).get("ecsTarget") or {}).get("taskSetsInfo") or []:
        if task_set.get("taskSetLabel") == "Green":
            return dict(task_set)
    return None


def healthy_count(descriptions: Iterable[Mapping[str, Any]]) -> int:
    """Targets DescribeTargetHealth reports ``healthy``."""
    return sum(1 for d in descriptions if (d.get("TargetHealth") or {}).get("State") == "healthy")


def progress_line(view: Mapping[str, Any], elapsed: float) -> str:
    """What a user reads at every poll: phase, traffic split, blue/green healthy targets
    (when known, else running tasks)."""
    weights = view.get("weights") or {}
    counts, kind = (view["healthy"], "healthy") if view.get("healthy") else (view.get("running") or {}, "running")
    return (
        f"{elapsed:6.1f}s {view.get('phase')}: traffic blue {weights.get('blue', 0):g}% / green {weights.get('green', 0):g}%, "
        f"{kind} blue {counts.get('blue', 0)} / green {counts.get('green', 0)}"
    )


def codedeploy_done(view: Mapping[str, Any], verify: bool) -> bool:
    """The wait is over: final status, or Ready when the caller verifies."""
    return view["status"] in FINAL_STATUSES or (verify and view["status"] == "Ready")


def codedeploy_outcome(view: Mapping[str, Any], rollback_view: Optional[Mapping[str, Any]] = None) -> dict:
    """status, rolled_back and rollback_reason of a finished (or Ready) deployment."""
    status = view["status"]
    if status == "Succeeded":
        return {"status": SUCCEEDED, "rolled_back": False, "rollback_reason": None}
    if status == "Ready":
        return {"status": AWAITING, "rolled_back": False, "rollback_reason": None}
    if status in ACTIVE_STATUSES:
        return {"status": IN_PROGRESS, "rolled_back": False, "rollback_reason": None}
    reason = (view.get("error") or {}).get("message") or status
    rolled_back = rollback_view is not None and rollback_view.get("status") == "Succeeded"
    if rolled_back:
        return {"status": ROLLED_BACK, "rolled_back": True, "rollback_reason": reason, "reason": reason}
    if status == "Stopped" and rollback_view is None and (view.get("error") or {}).get("code") == "MANUAL_STOP":
        # StopDeployment without rollback (an alarm or a timeout is a failure): traffic stays where it was left
        return {
            "status": STOPPED,
            "rolled_back": False,
            "rollback_reason": None,
            "reason": f"stopped without rollback: {reason}" if reason != status else "stopped without rollback",
        }
    return {"status": FAILED, "rolled_back": False, "rollback_reason": None, "reason": reason}


def _rolling_state(ours: Optional[Mapping[str, Any]], primary: Optional[Mapping[str, Any]], desired: Optional[str]) -> tuple[str, bool]:
    """(rolloutState of our deployment, whether another deployment took over from it).

    ECS drops a deployment from the list once it is replaced: ours missing means it
    COMPLETED when the PRIMARY runs our task definition, and was rolled back otherwise.
    """
    if ours is not None:
        state = ours.get("rolloutState") or "IN_PROGRESS"
        return state, bool(state == "FAILED" and primary is not None and primary is not ours)
    if primary is None:
        return "IN_PROGRESS", False
    if desired is None or same_task_definition(primary.get("taskDefinition"), desired):
        return "COMPLETED", False
    return "FAILED", True


def failure_event(events: Sequence[Mapping[str, Any]], deployment_id: Optional[str]) -> Optional[str]:
    """The newest service event saying the deployment failed (ECS drops the deployment itself
    from the list once the circuit breaker's rollback completes, and keeps the events)."""
    if not deployment_id:
        return None
    for event in events:  # newest first, as DescribeServices returns them
        message = event.get("message") or ""
        if deployment_id in message and "failed" in message:
            return message
    return None


def stopped_task_reason(tasks: Sequence[Mapping[str, Any]], task_definition: Optional[str]) -> Optional[str]:
    """Why the newest stopped task of ``task_definition`` stopped: its stoppedReason, and the exit
    code or reason of its containers, e.g. ``Essential container in task exited (web: exit code 3)``.
    The circuit breaker only says "tasks failed to start"; this says why."""
    stopped = [t for t in tasks if _stopped_by_failure(t) and same_task_definition(t.get("taskDefinitionArn"), task_definition)]
    if not stopped:
        return None
    newest = max(stopped, key=lambda t: _epoch(t.get("stoppedAt")))
    details = []
    for container in newest.get("containers") or []:
        if container.get("exitCode") not in (None, 0):
            details.append(f"{container.get('name')}: exit code {container['exitCode']}")
        elif container.get("reason"):
            details.append(f"{container.get('name')}: {container['reason']}")
    return newest["stoppedReason"] + (f" ({'; '.join(details)})" if details else "")


# Tasks ECS or a user stopped on purpose: the rollback scales the failed revision in with
# "Scaling activity initiated by (deployment ...)", which says nothing about why it failed.
_ON_PURPOSE_STOP_CODES = ("UserInitiated",)
_ON_PURPOSE_REASONS = ("Scaling activity initiated by",)


def _stopped_by_failure(task: Mapping[str, Any]) -> bool:
    reason = task.get("stoppedReason") or ""
    return bool(reason) and task.get("stopCode") not in _ON_PURPOSE_STOP_CODES and not reason.startswith(_ON_PURPOSE_REASONS)


def with_task_reason(reason: Optional[str], task_reason: Optional[str]) -> Optional[str]:
    """A deployment's failure reason followed by its last stopped task's, when that adds something."""
    if not task_reason or (reason and task_reason in reason):
        return reason
    return f"{reason.rstrip('.')}. Last stopped task: {task_reason}" if reason else f"Last stopped task: {task_reason}"


def _epoch(value: Any) -> float:
    if value is None:
        return 0.0
    if hasattr(value, "timestamp"):
        return value.timestamp()
    try:
        return float(value)
    except (TypeError, ValueError):
        pass
    try:
        return datetime.datetime.fromisoformat(str(value)).timestamp()
    except ValueError:
        return 0.0


def _rolling_phase(d: Mapping[str, Any], name: str) -> dict:
    return {
        "name": name,
        "status": d.get("rolloutState"),
        "started_at": iso(d.get("createdAt")),
        "ended_at": iso(d.get("updatedAt")) if d.get("rolloutState") in ("COMPLETED", "FAILED") else None,
    }


def rolling_view(
    service: Mapping[str, Any], deployment_id: Optional[str], previous_task_definition: Optional[str] = None, desired: Optional[str] = None
) -> dict:
    """One poll of a rolling deployment: DescribeServices' service, our deployment's id and
    the task definition it deploys."""
    deployments = service.get("deployments") or []
    ours = next((d for d in deployments if d.get("id") == deployment_id), None)
    primary = next((d for d in deployments if d.get("status") == "PRIMARY"), None)
    if ours is None and primary is not None and desired is not None and same_task_definition(primary.get("taskDefinition"), desired):
        ours = primary
    others = [d for d in deployments if d is not ours]
    state, rolled_back = _rolling_state(ours, primary, desired)
    green = int((ours or {}).get("runningCount") or 0)
    blue = sum(int(d.get("runningCount") or 0) for d in others)
    total = green + blue
    phases = ([_rolling_phase(ours, "rollout")] if ours else []) + ([_rolling_phase(primary, "rollback")] if rolled_back and primary else [])
    reason = (ours or {}).get("rolloutStateReason") if state == "FAILED" else None
    if state == "FAILED" and not reason:
        reason = failure_event(service.get("events") or [], deployment_id) or (
            f"deployment {deployment_id} was replaced: the service runs {family_revision((primary or {}).get('taskDefinition'))} again"
        )
    return {
        "deployment_id": deployment_id,
        "status": state,
        "phase": f"rollout {state}" + (" (rolled back)" if rolled_back else ""),
        "phases": phases,
        "weights": {"blue": round(100.0 * blue / total, 1) if total else 0.0, "green": round(100.0 * green / total, 1) if total else 0.0},
        "running": {"blue": blue, "green": green},
        "rolled_back": rolled_back,
        "rollback_reason": reason if rolled_back else None,
        "reason": reason,
        "task_definition": (ours or {}).get("taskDefinition") or desired,
        "primary_state": (primary or {}).get("rolloutState"),
        "previous_task_definition": previous_task_definition,
    }


def rolling_done(view: Mapping[str, Any]) -> bool:
    """COMPLETED; or FAILED and, when the circuit breaker rolls back, the rollback COMPLETED."""
    if view["status"] == "COMPLETED":
        return True
    if view["status"] != "FAILED":
        return False
    return not view["rolled_back"] or view.get("primary_state") in ("COMPLETED", "FAILED")


def rolling_outcome(view: Mapping[str, Any]) -> dict:
    if view["status"] == "COMPLETED":
        return {"status": SUCCEEDED, "rolled_back": False, "rollback_reason": None}
    if view["status"] == "FAILED":
        reason = view.get("reason") or "the rollout FAILED"
        if view["rolled_back"]:
            return {"status": ROLLED_BACK, "rolled_back": True, "rollback_reason": reason, "reason": reason}
        return {"status": FAILED, "rolled_back": False, "rollback_reason": None, "reason": reason}
    return {"status": IN_PROGRESS, "rolled_back": False, "rollback_reason": None}


def final_weights(outcome: Mapping[str, Any], view: Mapping[str, Any]) -> dict:
    """Traffic at the end: all on green after success, all on blue after a rollback."""
    if outcome["status"] == SUCCEEDED:
        return {"blue": 0.0, "green": 100.0}
    if outcome["status"] == ROLLED_BACK:
        return {"blue": 100.0, "green": 0.0}
    return dict(view.get("weights") or {"blue": 100.0, "green": 0.0})


def report(
    strategy: str,
    view: Optional[Mapping[str, Any]],
    outcome: Mapping[str, Any],
    previous_task_definition: Optional[str],
    task_definition: Optional[str],
    elapsed: float,
    progress: Iterable[str] = (),
    **extra: Any,
) -> dict:
    """The one result shape of deploy and deployment_info."""
    view = view or {}
    result = {
        "status": outcome["status"],
        "strategy": strategy,
        "deployment_id": view.get("deployment_id"),
        "previous_task_definition": previous_task_definition,
        "task_definition": task_definition,
        "phases": list(view.get("phases") or []),
        "weights": final_weights(outcome, view),
        "rolled_back": bool(outcome.get("rolled_back")),
        "rollback_reason": outcome.get("rollback_reason"),
        "elapsed": round(elapsed, 1),
        "progress": list(progress),
    }
    result.update(extra)
    return result


def plan_report(strategy: str, decision: Decision, previous: Optional[str], desired: Optional[str], elapsed: float, diff: dict, **details: Any) -> dict:
    """The check-mode result of every strategy: what it would do and the task definition diff."""
    return report(
        strategy,
        {"deployment_id": decision.deployment_id},
        {"status": PLANNED if decision.action != NOOP else SUCCEEDED},
        previous,
        desired,
        elapsed,
        changed=decision.action != NOOP,
        plan={"action": decision.action, "reason": decision.reason, **details, "task_definition_diff": diff},
    )


@dataclass
class Progress:
    """Collects one line per poll (``module.log`` is not shown live by ansible)."""

    lines: list = field(default_factory=list)

    def __call__(self, view: Mapping[str, Any], elapsed: float) -> None:
        self.lines.append(progress_line(view, elapsed))


# --- rollback: what to go back to -----------------------------------------------------------

# The service tag the rollback role writes with the deployment its redeploy started: while that
# deployment is the latest, a re-run has nothing to do.
ROLLBACK_MARKER_TAG = "cutover.ecs:rollback-deployment"
BLUE_GREEN_STRATEGIES = ("codedeploy", "ecs")


_FROM = re.compile(r"\(from (\S+)\)")


def deployment_description(desired: Optional[str], previous: Optional[str]) -> str:
    """A CodeDeploy deployment's description: what it deploys and what served before it. CodeDeploy
    keeps no previousRevision for a group's first deployment, so the history reads this instead."""
    described = f"cutover.ecs.deploy of {family_revision(desired)}"
    return f"{described} (from {previous})" if previous else described


def described_source(description: Optional[str]) -> Optional[str]:
    """The task definition a :func:`deployment_description` says served before; None for others."""
    found = _FROM.search(description or "") if (description or "").startswith("cutover.ecs.deploy of ") else None
    return found.group(1) if found else None


def rollback_target(serving: Optional[str], served: Iterable[Optional[str]]) -> Optional[str]:
    """The task definition to go back to: the newest of ``served`` (the task definitions that took
    all production traffic when a deployment ended, newest first) that is not ``serving``.

    ``served`` is consumed lazily, so a caller may read the history page by page. Never "the
    revision number below": a revision registered but never served, or one served long ago,
    is not skipped to or fallen back on by arithmetic.
    """
    return next((found for found in served if found and not same_task_definition(found, serving)), None)


def plan_rollback(
    latest: Mapping[str, Any],
    requested: Optional[str],
    marker: Optional[str],
    serving: Optional[str],
    served: Iterable[Optional[str]],
) -> dict:
    """What a rollback does: {action: stop | redeploy | none, task_definition, reason}.

    ``latest`` is the deployment_info result of the service's latest deployment, ``requested`` a
    task definition the user named, ``marker`` the rollback marker tag's value, ``serving`` the
    task definition taking all production traffic now (None while two run) and ``served`` the
    history (see :func:`rollback_target`), read only when a redeploy needs it.
    """
    status, deployment_id = latest.get("status"), latest.get("deployment_id") or ""
    active = status in (IN_PROGRESS, AWAITING)
    if requested:
        return {"action": "redeploy", "task_definition": requested, "reason": f"redeploy {family_revision(requested)}, as requested"}
    if active and latest.get("strategy") in BLUE_GREEN_STRATEGIES:
        return {
            "action": "stop",
            "task_definition": latest.get("previous_task_definition"),
            "reason": f"deployment {deployment_id} has not ended: stopping it with rollback puts blue back",
        }
    if not active and status == ROLLED_BACK:
        why = f": {latest['rollback_reason']}" if latest.get("rollback_reason") else ""
        return {"action": "none", "task_definition": None, "reason": f"the latest deployment {deployment_id} was rolled back already{why}"}
    if not active and deployment_id and deployment_id == marker:
        return {"action": "none", "task_definition": None, "reason": f"the latest deployment {deployment_id} is the rollback an earlier run made"}
    target = rollback_target(serving, served)
    if target is None:
        # A redeploy with nothing to redeploy: the caller fails and asks for a task definition.
        reason = "no other task definition served all production traffic in the deployment history: name the one to go back to"
        return {"action": "redeploy", "task_definition": None, "reason": reason}
    return {
        "action": "redeploy",
        "task_definition": target,
        "reason": f"redeploy {family_revision(target)}, the task definition that last served all production traffic before",
    }
