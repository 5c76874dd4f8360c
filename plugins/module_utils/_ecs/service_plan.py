# Copyright: cutover.ecs contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Service plans (part of the ECS plan, see ``plan.py``). Pure functions.

Desired and current services are normalised to one camelCase shape, named as
in CreateService. An option left out is not managed (its key is absent from the
desired shape), except inside ``deploymentConfiguration``: that is managed as a
whole, with AWS's defaults filled in for the parts left out, so turning off the
circuit breaker by removing it is noticed.

Who may change what depends on the deployment controller. For CODE_DEPLOY and
EXTERNAL services the task definition, load balancers, network configuration,
platform version and capacity providers change only through a deployment (a
CodeDeploy deployment or a new task set), so the plan reports them apart and
they are never sent to UpdateService.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Optional

from ansible_collections.cutover.ecs.plugins.module_utils._compare import diff_fields
from ansible_collections.cutover.ecs.plugins.module_utils._ecs.plan import plan_tags, tags_from_aws
from ansible_collections.cutover.ecs.plugins.module_utils._ecs.task_definition_plan import exposed_ports, freeze, prune
from ansible_collections.cutover.ecs.plugins.module_utils._errors import InvalidInput

# Compared with compare_generic; loadBalancers and deploymentConfiguration have their own rules.
SERVICE_FIELDS = {
    "taskDefinition": ("strict", "value"),
    "desiredCount": ("strict", "value"),
    "launchType": ("strict", "value"),
    "capacityProviderStrategy": ("strict", "set(dict)"),
    "platformVersion": ("strict", "value"),
    "schedulingStrategy": ("strict", "value"),
    "deploymentController": ("strict", "dict"),
    "networkConfiguration": ("strict", "dict"),
    "healthCheckGracePeriodSeconds": ("strict", "value"),
    "propagateTags": ("strict", "value"),
    "enableECSManagedTags": ("strict", "value"),
    "enableExecuteCommand": ("strict", "value"),
    "availabilityZoneRebalancing": ("strict", "value"),
    "placementConstraints": ("strict", "set(dict)"),
    "placementStrategy": ("strict", "list"),
}

# Fixed at creation: a change means a new service.
IMMUTABLE_FIELDS = ("deploymentController", "schedulingStrategy", "launchType")
# Changed by a deployment (CodeDeploy, or a task set) unless the controller is ECS.
DEPLOYMENT_FIELDS = ("taskDefinition", "loadBalancers", "networkConfiguration", "platformVersion", "capacityProviderStrategy")
# Deployment configuration parts that only the ECS controller knows.
ECS_ONLY_DEPLOYMENT_PARTS = ("deploymentCircuitBreaker", "alarms", "lifecycleHooks", "bakeTimeInMinutes", "linearConfiguration", "canaryConfiguration")
TRAFFIC_SHIFTING_STRATEGIES = ("BLUE_GREEN", "LINEAR", "CANARY")

# Option name -> CreateService field, for the plain ones.
PLAIN_OPTIONS = {
    "desired_count": "desiredCount",
    "launch_type": "launchType",
    "platform_version": "platformVersion",
    "scheduling_strategy": "schedulingStrategy",
    "health_check_grace_period_seconds": "healthCheckGracePeriodSeconds",
    "propagate_tags": "propagateTags",
    "enable_ecs_managed_tags": "enableECSManagedTags",
    "enable_execute_command": "enableExecuteCommand",
    "availability_zone_rebalancing": "availabilityZoneRebalancing",
}


# --- deployment configuration ------------------------------------------------


def _hook(hook: Mapping[str, Any]) -> dict:
    result = prune(copy.deepcopy(dict(hook)))
    result.setdefault("targetType", "AWS_LAMBDA")
    result["lifecycleStages"] = sorted(result.get("lifecycleStages") or [])
    return result


def _percent(config: Optional[Mapping[str, Any]], key: str) -> Optional[dict]:
    if not config:
        return None
    result = {name: value for name, value in config.items() if value is not None}
    if result.get(key) is not None:
        # AWS answers 10.0 for a requested 10; compare as floats.
        result[key] = float(result[key])
    return result


def normalise_deployment_configuration(config: Optional[Mapping[str, Any]], scheduling: str = "REPLICA") -> dict:
    """A deploymentConfiguration with AWS's defaults filled in and sets sorted.

    Parts whose AWS default is not documented (bake time, linear and canary
    settings, early success criteria, circuit-breaker thresholds) are kept only
    when given, and compared only when desired.
    """
    config = dict(config or {})
    daemon = scheduling == "DAEMON"
    breaker = {key: value for key, value in (config.get("deploymentCircuitBreaker") or {}).items() if value is not None}
    alarms = {key: value for key, value in (config.get("alarms") or {}).items() if value is not None}
    result = {
        "maximumPercent": _or(config.get("maximumPercent"), 100 if daemon else 200),
        "minimumHealthyPercent": _or(config.get("minimumHealthyPercent"), 0 if daemon else 100),
        "deploymentCircuitBreaker": {"enable": False, "rollback": False, **breaker},
        "alarms": {"enable": False, "rollback": False, **alarms, "alarmNames": sorted(alarms.get("alarmNames") or [])},
        "strategy": config.get("strategy") or "ROLLING",
        "lifecycleHooks": sorted((_hook(hook) for hook in config.get("lifecycleHooks") or []), key=freeze),
    }
    optional = {
        "bakeTimeInMinutes": config.get("bakeTimeInMinutes"),
        "linearConfiguration": _percent(config.get("linearConfiguration"), "stepPercent"),
        "canaryConfiguration": _percent(config.get("canaryConfiguration"), "canaryPercent"),
        "earlySuccessCriteria": config.get("earlySuccessCriteria"),
    }
    result.update({key: value for key, value in optional.items() if value is not None})
    return result


def _or(value: Any, default: Any) -> Any:
    return default if value is None else value


def covers(desired: Any, current: Any) -> bool:
    """True when ``current`` holds everything ``desired`` says; extra keys in
    ``current`` dicts are allowed, lists must match item for item."""
    if isinstance(desired, Mapping):
        return isinstance(current, Mapping) and all(covers(value, current.get(key)) for key, value in desired.items())
    if isinstance(desired, list):
        return isinstance(current, list) and len(desired) == len(current) and all(covers(item, current[index]) for index, item in enumerate(desired))
    if isinstance(desired, float) or isinstance(current, float):
        return current is not None and desired is not None and float(desired) == float(current)
    return desired == current


# --- load balancers -------------------------------------------------------------


def normalise_load_balancer(lb: Mapping[str, Any]) -> dict:
    return prune(copy.deepcopy(dict(lb)))


def _load_balancer_key(lb: Mapping[str, Any], pair: Optional[Sequence[str]]) -> str:
    """What a load balancer entry is compared by: its target groups as an
    unordered pair, so a blue/green swap is not a difference."""
    entry = copy.deepcopy(dict(lb))
    advanced = entry.get("advancedConfiguration") or {}
    groups = {entry.pop("targetGroupArn", None)}
    if advanced.get("alternateTargetGroupArn"):
        groups.add(advanced.pop("alternateTargetGroupArn"))
    elif pair and groups & set(pair):
        groups |= set(pair)
    if "advancedConfiguration" in entry:
        entry["advancedConfiguration"] = advanced
    entry["targetGroups"] = sorted(str(item) for item in groups if item)
    return freeze(prune(entry))


def load_balancers_match(desired: Sequence[Mapping], current: Sequence[Mapping], pair: Optional[Sequence[str]] = None) -> bool:
    """Whether the live load balancers are the desired ones.

    The live target group may be the desired one or its alternate: the one in
    ``advancedConfiguration`` (ECS blue/green) or the other of ``pair`` (the
    CodeDeploy deployment group's target groups). Deployments swap them.
    """
    return sorted(_load_balancer_key(lb, pair) for lb in desired) == sorted(_load_balancer_key(lb, pair) for lb in current)


# --- desired and current --------------------------------------------------------


def _network_configuration(network: Optional[Mapping[str, Any]]) -> Optional[dict]:
    vpc = (network or {}).get("awsvpcConfiguration")
    if not vpc:
        return None
    return {
        "awsvpcConfiguration": {
            "subnets": sorted(vpc.get("subnets") or []),
            "securityGroups": sorted(vpc.get("securityGroups") or []),
            "assignPublicIp": vpc.get("assignPublicIp") or "DISABLED",
        }
    }


def _strategy_items(items: Optional[Sequence[Mapping[str, Any]]]) -> list:
    return [{"capacityProvider": item["capacityProvider"], "weight": item.get("weight") or 0, "base": item.get("base") or 0} for item in items or []]


def deployment_configuration_from_options(config: Optional[Mapping[str, Any]]) -> Optional[dict]:
    """The ``deployment_configuration`` option in the API's names (None when not given)."""
    if config is None:
        return None
    breaker = config.get("deployment_circuit_breaker") or {}
    alarms = config.get("alarms") or {}
    linear = config.get("linear_configuration") or {}
    canary = config.get("canary_configuration") or {}
    hooks = [
        {
            "targetType": hook.get("target_type"),
            "hookTargetArn": hook.get("hook_target_arn"),
            "roleArn": hook.get("role_arn"),
            "lifecycleStages": hook.get("lifecycle_stages"),
            "hookDetails": hook.get("hook_details"),
            "timeoutConfiguration": {
                "timeoutInMinutes": (hook.get("timeout_configuration") or {}).get("timeout_in_minutes"),
                "action": (hook.get("timeout_configuration") or {}).get("action"),
            },
        }
        for hook in config.get("lifecycle_hooks") or []
    ]
    return prune(
        {
            "maximumPercent": config.get("maximum_percent"),
            "minimumHealthyPercent": config.get("minimum_healthy_percent"),
            "deploymentCircuitBreaker": {"enable": breaker.get("enable"), "rollback": breaker.get("rollback")},
            "alarms": {"alarmNames": alarms.get("alarm_names"), "enable": alarms.get("enable"), "rollback": alarms.get("rollback")},
            "strategy": config.get("strategy"),
            "bakeTimeInMinutes": config.get("bake_time_in_minutes"),
            "linearConfiguration": {"stepPercent": linear.get("step_percent"), "stepBakeTimeInMinutes": linear.get("step_bake_time_in_minutes")},
            "canaryConfiguration": {"canaryPercent": canary.get("canary_percent"), "canaryBakeTimeInMinutes": canary.get("canary_bake_time_in_minutes")},
            "lifecycleHooks": hooks,
        }
    )


def _load_balancers_from_options(items: Sequence[Mapping[str, Any]]) -> list:
    result = []
    for item in items:
        advanced = item.get("advanced_configuration") or {}
        result.append(
            normalise_load_balancer(
                {
                    "targetGroupArn": item.get("target_group_arn"),
                    "loadBalancerName": item.get("load_balancer_name"),
                    "containerName": item.get("container_name"),
                    "containerPort": item.get("container_port"),
                    "advancedConfiguration": {
                        "alternateTargetGroupArn": advanced.get("alternate_target_group_arn"),
                        "productionListenerRule": advanced.get("production_listener_rule"),
                        "testListenerRule": advanced.get("test_listener_rule"),
                        "roleArn": advanced.get("role_arn"),
                    },
                }
            )
        )
    return result


def desired_service(options: Mapping[str, Any], task_definition_arn: Optional[str]) -> dict:
    """The service the options ask for; keys of options left out are absent."""
    desired: dict = {"serviceName": options["name"]}
    if task_definition_arn:
        desired["taskDefinition"] = task_definition_arn
    for option, key in PLAIN_OPTIONS.items():
        if options.get(option) is not None:
            desired[key] = options[option]
    if options.get("capacity_provider_strategy") is not None:
        desired["capacityProviderStrategy"] = _strategy_items(
            [
                {"capacityProvider": item["capacity_provider"], "weight": item.get("weight"), "base": item.get("base")}
                for item in options["capacity_provider_strategy"]
            ]
        )
    if options.get("deployment_controller"):
        desired["deploymentController"] = {"type": options["deployment_controller"]}
    config = deployment_configuration_from_options(options.get("deployment_configuration"))
    if config is not None:
        desired["deploymentConfiguration"] = normalise_deployment_configuration(config, options.get("scheduling_strategy") or "REPLICA")
    if options.get("load_balancers") is not None:
        desired["loadBalancers"] = _load_balancers_from_options(options["load_balancers"])
    network = options.get("network_configuration")
    if network is not None:
        public = network.get("assign_public_ip")
        desired["networkConfiguration"] = _network_configuration(
            {
                "awsvpcConfiguration": {
                    "subnets": network.get("subnets"),
                    "securityGroups": network.get("security_groups"),
                    "assignPublicIp": None if public is None else ("ENABLED" if public else "DISABLED"),
                }
            }
        )
    for option, key in (("placement_constraints", "placementConstraints"), ("placement_strategy", "placementStrategy")):
        if options.get(option) is not None:
            desired[key] = [prune(dict(item)) for item in options[option]]
    if options.get("tags") is not None:
        desired["tags"] = dict(options["tags"])
    return desired


def current_service(service: Optional[Mapping[str, Any]]) -> Optional[dict]:
    """DescribeServices output in the shape of :func:`desired_service`, every field present."""
    if not service:
        return None
    scheduling = service.get("schedulingStrategy") or "REPLICA"
    return {
        "serviceName": service["serviceName"],
        "serviceArn": service.get("serviceArn"),
        "status": service.get("status"),
        "taskDefinition": service.get("taskDefinition"),
        "desiredCount": service.get("desiredCount"),
        "launchType": service.get("launchType"),
        "capacityProviderStrategy": _strategy_items(service.get("capacityProviderStrategy")),
        "platformVersion": service.get("platformVersion"),
        "schedulingStrategy": scheduling,
        "deploymentController": {"type": (service.get("deploymentController") or {}).get("type") or "ECS"},
        "deploymentConfiguration": normalise_deployment_configuration(service.get("deploymentConfiguration"), scheduling),
        "loadBalancers": [normalise_load_balancer(lb) for lb in service.get("loadBalancers") or []],
        "networkConfiguration": _network_configuration(service.get("networkConfiguration")),
        "healthCheckGracePeriodSeconds": service.get("healthCheckGracePeriodSeconds"),
        "propagateTags": service.get("propagateTags") or "NONE",
        "enableECSManagedTags": bool(service.get("enableECSManagedTags")),
        "enableExecuteCommand": bool(service.get("enableExecuteCommand")),
        "availabilityZoneRebalancing": service.get("availabilityZoneRebalancing"),
        "placementConstraints": [prune(dict(item)) for item in service.get("placementConstraints") or []],
        "placementStrategy": [prune(dict(item)) for item in service.get("placementStrategy") or []],
        "tags": tags_from_aws(service.get("tags")),
    }


def controller_of(desired: Mapping[str, Any], current: Optional[Mapping[str, Any]]) -> str:
    """The controller in charge: the live one, else the requested one, else ECS."""
    if current is not None:
        return current["deploymentController"]["type"]
    return (desired.get("deploymentController") or {}).get("type") or "ECS"


# --- bad input ------------------------------------------------------------------


def running_task_definition(service: Mapping[str, Any]) -> Optional[str]:
    """The task definition the service runs, or is being deployed to: the PRIMARY task set's
    (CODE_DEPLOY), the PRIMARY deployment's (ECS), else the service's own field."""
    task_sets = [item for item in service.get("taskSets") or [] if item.get("status") == "PRIMARY"]
    deployments = [item for item in service.get("deployments") or [] if item.get("status") == "PRIMARY"]
    for found in (task_sets, deployments):
        if found and found[0].get("taskDefinition"):
            return found[0]["taskDefinition"]
    return service.get("taskDefinition")


def load_balancer_problems(load_balancers: Sequence[Mapping[str, Any]], task_definition: Optional[Mapping[str, Any]]) -> list[str]:
    """Load balancers naming a container or port the task definition lacks
    (nothing to check against a task definition known only by name)."""
    if not task_definition or "containerDefinitions" not in task_definition:
        return []
    containers = {item.get("name"): item for item in task_definition.get("containerDefinitions") or []}
    family = task_definition.get("family", "the task definition")
    problems = []
    for lb in load_balancers:
        name, port = lb.get("containerName"), lb.get("containerPort")
        if name not in containers:
            problems.append(f"load_balancers container_name {name!r} is not a container of {family}; use one of: {', '.join(sorted(map(str, containers)))}.")
        elif port is not None and int(port) not in exposed_ports(containers[name]):
            exposed = ", ".join(str(item) for item in sorted(exposed_ports(containers[name]))) or "none"
            problems.append(f"load_balancers container_port {port} is not exposed by container {name!r} of {family} (its portMappings: {exposed}).")
    return problems


def controller_problems(desired: Mapping[str, Any], controller: str, target_group_pair: Optional[Sequence[str]] = None) -> list[str]:
    """Requested settings that the deployment controller cannot apply."""
    problems = []
    config = desired.get("deploymentConfiguration") or {}
    strategy = config.get("strategy", "ROLLING")
    lbs = desired.get("loadBalancers") or []
    if controller != "ECS":
        for part in ECS_ONLY_DEPLOYMENT_PARTS:
            value = config.get(part)
            if part in ("deploymentCircuitBreaker", "alarms"):
                value = value and (value.get("enable") or value.get("alarmNames"))
            if value:
                problems.append(f"deployment_configuration.{part} needs deployment_controller ECS; this service's controller is {controller}.")
        if strategy != "ROLLING":
            problems.append(
                f"deployment_configuration.strategy {strategy} needs deployment_controller ECS; "
                f"a {controller} service shifts traffic through its own deployments."
            )
        if any(lb.get("advancedConfiguration") for lb in lbs):
            problems.append(f"load_balancers advanced_configuration is for ECS blue/green; with {controller} declare the pair with target_group_pair.")
    else:
        if target_group_pair:
            problems.append("target_group_pair is for CODE_DEPLOY and EXTERNAL services; an ECS service declares its pair in advanced_configuration.")
        if strategy in TRAFFIC_SHIFTING_STRATEGIES and lbs and not all((lb.get("advancedConfiguration") or {}).get("alternateTargetGroupArn") for lb in lbs):
            problems.append(f"strategy {strategy} needs load_balancers[].advanced_configuration.alternate_target_group_arn (and the listener rules).")
    if config.get("linearConfiguration") and strategy != "LINEAR":
        problems.append(f"deployment_configuration.linear_configuration needs strategy LINEAR, not {strategy}.")
    if config.get("canaryConfiguration") and strategy != "CANARY":
        problems.append(f"deployment_configuration.canary_configuration needs strategy CANARY, not {strategy}.")
    if controller == "CODE_DEPLOY" and len(lbs) > 1:
        problems.append("A CODE_DEPLOY service takes exactly one load balancer entry; remove the others.")
    if target_group_pair:
        if len(set(target_group_pair)) != 2:
            problems.append("target_group_pair must name two different target group ARNs.")
        elif lbs and not all(lb.get("targetGroupArn") in target_group_pair for lb in lbs):
            problems.append("target_group_pair must contain the target_group_arn of load_balancers.")
    return problems


def creation_problems(desired: Mapping[str, Any], controller: str, task_definition: Optional[Mapping[str, Any]]) -> list[str]:
    """What a new service needs besides what an update needs."""
    problems = []
    if not desired.get("taskDefinition") and controller != "EXTERNAL":
        problems.append("task_definition is required to create the service.")
    if desired.get("desiredCount") is None and desired.get("schedulingStrategy", "REPLICA") == "REPLICA":
        problems.append("desired_count is required to create a REPLICA service.")
    if controller == "CODE_DEPLOY" and not desired.get("loadBalancers"):
        problems.append("A CODE_DEPLOY service needs load_balancers (the production target group).")
    if task_definition and task_definition.get("networkMode") == "awsvpc" and not desired.get("networkConfiguration"):
        problems.append("The task definition uses network mode awsvpc: give network_configuration (subnets and security_groups).")
    return problems


def target_group_arns(load_balancers: Optional[Sequence[Mapping[str, Any]]]) -> set[str]:
    """Every target group a service's load balancers name: production and alternate."""
    arns = set()
    for lb in load_balancers or []:
        arns.add(lb.get("targetGroupArn"))
        arns.add((lb.get("advancedConfiguration") or {}).get("alternateTargetGroupArn"))
    arns.discard(None)
    return arns


def new_target_groups(desired: Mapping[str, Any], current: Optional[Mapping[str, Any]]) -> list[str]:
    """Target groups the desired service names and the current one does not: the ones to
    check before a call would send them (a blue/green swap names no new group)."""
    return sorted(target_group_arns(desired.get("loadBalancers")) - target_group_arns((current or {}).get("loadBalancers")))


def raise_problems(problems: Sequence[str]) -> None:
    if problems:
        raise InvalidInput("Invalid service options: " + " ".join(problems), problems=list(problems))


# --- the plan -------------------------------------------------------------------


@dataclass
class ServicePlan:
    """What differs, sorted by what may be done about it.

    ``update``: sent to UpdateService. ``deployment``: needs a deployment
    (CODE_DEPLOY, EXTERNAL); reported, never sent. ``immutable``: needs a new
    service. ``tags``: (to set, to remove).
    """

    update: list = field(default_factory=list)
    deployment: list = field(default_factory=list)
    immutable: list = field(default_factory=list)
    tags: tuple = field(default_factory=lambda: ({}, []))

    @property
    def changed(self) -> bool:
        return bool(self.update or self.tags[0] or self.tags[1])


def differing_fields(desired: Mapping[str, Any], current: Mapping[str, Any], pair: Optional[Sequence[str]] = None) -> list[str]:
    """Managed fields of the service whose live value differs."""
    plain = {key: value for key, value in desired.items() if key in SERVICE_FIELDS}
    if "capacityProviderStrategy" in plain:
        # A service moved to capacity providers keeps no launch type worth comparing.
        plain.pop("launchType", None)
    changed = diff_fields(plain, current, SERVICE_FIELDS)
    if "deploymentConfiguration" in desired and not covers(desired["deploymentConfiguration"], current["deploymentConfiguration"]):
        changed.append("deploymentConfiguration")
    if "loadBalancers" in desired and not load_balancers_match(desired["loadBalancers"], current["loadBalancers"], pair):
        changed.append("loadBalancers")
    return sorted(changed)


def plan_service(desired: Mapping[str, Any], current: Mapping[str, Any], purge_tags: bool = True, pair: Optional[Sequence[str]] = None) -> ServicePlan:
    """Sort the differences between ``desired`` and the live ``current`` service."""
    controller = current["deploymentController"]["type"]
    plan = ServicePlan(tags=plan_tags(desired.get("tags"), current.get("tags", {}), purge_tags))
    for name in differing_fields(desired, current, pair):
        if name in IMMUTABLE_FIELDS:
            plan.immutable.append(name)
        elif controller != "ECS" and name in DEPLOYMENT_FIELDS:
            plan.deployment.append(name)
        else:
            plan.update.append(name)
    return plan


def immutable_message(fields: Sequence[str], desired: Mapping[str, Any], current: Mapping[str, Any]) -> str:
    changes = "; ".join(f"{name} is {current.get(name)!r}, asked {desired.get(name)!r}" for name in fields)
    return (
        f"Cannot change {', '.join(fields)} of the existing service {current['serviceName']} ({changes}): "
        "delete and recreate the service, or keep the current value."
    )


# --- requests -------------------------------------------------------------------


def deployment_configuration_request(config: Mapping[str, Any], controller: str) -> dict:
    """What to send: all of it for ECS; only the percentages for the others,
    which reject the ECS-only parts."""
    if controller == "ECS":
        return copy.deepcopy(dict(config))
    return {key: config[key] for key in ("maximumPercent", "minimumHealthyPercent") if key in config}


def _request_value(key: str, desired: Mapping[str, Any], controller: str) -> Any:
    value = copy.deepcopy(desired[key])
    if key == "deploymentConfiguration":
        return deployment_configuration_request(value, controller)
    if key == "loadBalancers" and controller != "ECS":
        return [{name: item for name, item in lb.items() if name != "advancedConfiguration"} for lb in value]
    return value


def create_request(desired: Mapping[str, Any], cluster: str) -> dict:
    """CreateService parameters."""
    controller = controller_of(desired, None)
    params: dict = {"cluster": cluster}
    for key in desired:
        if key != "tags":
            params[key] = _request_value(key, desired, controller)
    if desired.get("tags"):
        params["tags"] = [{"key": key, "value": value} for key, value in desired["tags"].items()]
    return params


def update_request(desired: Mapping[str, Any], fields: Sequence[str], cluster: str, controller: str) -> dict:
    """UpdateService parameters for ``fields``; never a deployment field of a non-ECS service."""
    params: dict = {"cluster": cluster, "service": desired["serviceName"]}
    for key in fields:
        if controller != "ECS" and key in DEPLOYMENT_FIELDS:
            raise ValueError(f"{key} of a {controller} service changes only through a deployment")
        params[key] = _request_value(key, desired, controller)
    return params


def predicted_service(current: Optional[Mapping[str, Any]], desired: Mapping[str, Any], fields: Sequence[str], tags: dict) -> dict:
    """The service as it will be: ``current`` with ``fields`` taken from ``desired``
    (all of ``desired`` for a new service)."""
    if current is None:
        result = {key: copy.deepcopy(value) for key, value in desired.items() if key != "tags"}
    else:
        result = dict(current)
        result.update({key: copy.deepcopy(desired[key]) for key in fields})
    result.setdefault("deploymentController", {"type": "ECS"})
    result.setdefault("status", "ACTIVE")
    result["tags"] = dict(tags)
    return result


# --- waiting ----------------------------------------------------------------------


def deployment_failure(service: Optional[Mapping[str, Any]], task_definition: Optional[str] = None) -> Optional[str]:
    """Why the rollout to ``task_definition`` failed, if it did (ECS controller)."""
    for deployment in (service or {}).get("deployments") or []:
        if deployment.get("rolloutState") != "FAILED":
            continue
        if task_definition is None or deployment.get("taskDefinition") == task_definition:
            return deployment.get("rolloutStateReason") or f"deployment {deployment.get('id')} FAILED"
    return None


def service_settled(service: Optional[Mapping[str, Any]], task_definition: Optional[str] = None) -> bool:
    """Whether the service's deployment has finished.

    ECS controller: one deployment left, PRIMARY, its rolloutState COMPLETED
    (running counts alone say nothing about a rollout), on ``task_definition``
    when given. CODE_DEPLOY and EXTERNAL: every task set in STEADY_STATE and
    the running count at the desired count.
    """
    if not service:
        return False
    counts_match = service.get("runningCount") == service.get("desiredCount") and not service.get("pendingCount")
    controller = (service.get("deploymentController") or {}).get("type") or "ECS"
    if controller != "ECS":
        task_sets = service.get("taskSets") or []
        return counts_match and all(task_set.get("stabilityStatus") == "STEADY_STATE" for task_set in task_sets)
    deployments = service.get("deployments") or []
    if len(deployments) != 1 or deployments[0].get("status") != "PRIMARY":
        return False
    primary = deployments[0]
    if task_definition is not None and primary.get("taskDefinition") != task_definition:
        return False
    return primary.get("rolloutState") == "COMPLETED" and counts_match


def service_gone(service: Optional[Mapping[str, Any]]) -> bool:
    return not service or service.get("status") == "INACTIVE"
