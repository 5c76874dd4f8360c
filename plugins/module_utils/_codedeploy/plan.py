# Copyright: cutover.ecs contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""CodeDeploy plans: pure functions that validate input, normalise desired and
current state to one shape, and return what must change. No I/O here; every
function is unit-tested.

The normalised shapes keep AWS's field names so diffs read like the API, but
flatten the nesting where comparison rules differ per part (the target group
pair is a set, the listeners are not part of it, and so on).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from typing import Any, Optional

from ansible_collections.cutover.ecs.plugins.module_utils._compare import diff_fields, merge
from ansible_collections.cutover.ecs.plugins.module_utils._errors import InvalidInput
from ansible_collections.cutover.ecs.plugins.module_utils._tags import plan_tags, predict_tags, tags_from_aws  # noqa: F401 (callers use plan.predict_tags)

PREDEFINED_PREFIX = "CodeDeployDefault."
DEFAULT_ECS_DEPLOYMENT_CONFIG = "CodeDeployDefault.ECSAllAtOnce"
# Per the API reference of BlueGreenDeploymentConfiguration: at most two days.
MAX_WAIT_MINUTES = 2880
MAX_ALARMS = 10
ECS_DEPLOYMENT_STYLE = {"deploymentType": "BLUE_GREEN", "deploymentOption": "WITH_TRAFFIC_CONTROL"}

# --- shared helpers -------------------------------------------------------------


def tags_to_aws(tags: Mapping[str, str]) -> list:
    return [{"Key": key, "Value": value} for key, value in tags.items()]


def tags_differ(desired: Optional[Mapping], current: Mapping, purge: bool) -> bool:
    to_set, to_remove = plan_tags(desired, current, purge)
    return bool(to_set or to_remove)


def iso_time(value: Any) -> Any:
    """Timestamps as ISO 8601 strings, so results are plain JSON."""
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    return value


def codedeploy_arn(caller_arn: str, region: str, resource: str) -> str:
    """The ARN of a CodeDeploy resource in the caller's partition and account.

    CodeDeploy's Get calls return no ARN, yet its tag calls need one.
    """
    parts = caller_arn.split(":")
    partition, account = parts[1], parts[4]
    return f"arn:{partition}:codedeploy:{region}:{account}:{resource}"


def application_arn(caller_arn: str, region: str, application: str) -> str:
    return codedeploy_arn(caller_arn, region, f"application:{application}")


def deployment_group_arn(caller_arn: str, region: str, application: str, group: str) -> str:
    return codedeploy_arn(caller_arn, region, f"deploymentgroup:{application}/{group}")


def role_arn_from_name(caller_arn: str, name: str) -> str:
    """The ARN a role of that name has (no path): a check-mode prediction only."""
    parts = caller_arn.split(":")
    return f"arn:{parts[1]}:iam::{parts[4]}:role/{name}"


def is_arn(value: str) -> bool:
    return value.startswith("arn:")


def name_from_arn(value: str) -> str:
    """A cluster, service or target group name, given its name or its ARN.

    ECS service ARNs come in two formats (``service/name`` and
    ``service/cluster/name``); target group ARNs end in ``targetgroup/name/id``.
    """
    if not is_arn(value):
        return value
    resource = value.split(":", 5)[5]
    segments = resource.split("/")
    if segments[0] == "targetgroup":
        return segments[1]
    return segments[-1]


# --- applications ----------------------------------------------------------------

APPLICATION_FIELDS = {"computePlatform": ("strict", "value"), "tags": ("strict", "dict")}
IMMUTABLE_APPLICATION_FIELDS = ("computePlatform",)


def desired_application(options: Mapping[str, Any]) -> dict:
    desired: dict = {"applicationName": options["name"], "computePlatform": options.get("compute_platform") or "ECS"}
    if options.get("tags") is not None:
        desired["tags"] = dict(options["tags"])
    return desired


def current_application(application: Optional[Mapping[str, Any]], tags: Optional[list] = None) -> Optional[dict]:
    """GetApplication output plus its tags, reduced to what we manage and report."""
    if not application:
        return None
    return {
        "applicationName": application["applicationName"],
        "applicationId": application.get("applicationId"),
        "computePlatform": application.get("computePlatform", "Server"),
        "createTime": iso_time(application.get("createTime")),
        "tags": tags_from_aws(tags),
    }


def plan_application(desired: Mapping[str, Any], current: Optional[Mapping[str, Any]], purge_tags: bool = True) -> list[str]:
    """Fields of the application that must change (every managed one when it is missing)."""
    if current is None:
        return sorted(key for key in desired if key != "applicationName")
    changed = diff_fields({"computePlatform": desired["computePlatform"]}, current, APPLICATION_FIELDS)
    if tags_differ(desired.get("tags"), current.get("tags", {}), purge_tags):
        changed.append("tags")
    return sorted(changed)


def immutable_application_error(name: str, desired: Mapping, current: Mapping) -> InvalidInput:
    return InvalidInput(
        f"CodeDeploy application {name} exists with compute platform {current['computePlatform']}, and CodeDeploy cannot change "
        f"an application's compute platform. Keep compute_platform={current['computePlatform']}, use another name, or delete the "
        f"application (state=absent, which also deletes its deployment groups) and create it again.",
        option="compute_platform",
    )


# --- deployment configs --------------------------------------------------------------

TRAFFIC_ROUTING_TYPES = ("AllAtOnce", "TimeBasedCanary", "TimeBasedLinear")
DEPLOYMENT_CONFIG_FIELDS = {"computePlatform": ("strict", "value"), "trafficRoutingConfig": ("strict", "dict")}


def is_predefined(name: str) -> bool:
    return name.startswith(PREDEFINED_PREFIX)


def validate_deployment_config_options(options: Mapping[str, Any]) -> None:
    """Reject what AWS would reject, before any call, with what to change."""
    name = options["name"]
    if is_predefined(name):
        raise InvalidInput(
            f"{name} is a deployment config that AWS predefines; it cannot be created, changed or deleted. "
            f"Refer to it by name (deployment_config_name of cutover.ecs.codedeploy_deployment_group), or manage a config "
            f"whose name does not start with {PREDEFINED_PREFIX}",
            option="name",
        )
    routing = options.get("traffic_routing")
    if options.get("state", "present") != "present" or routing is None:
        return
    kind = routing.get("type") or "AllAtOnce"
    percentage, interval = routing.get("percentage"), routing.get("interval")
    if kind == "AllAtOnce":
        if percentage is not None or interval is not None:
            raise InvalidInput(
                "traffic_routing.percentage and traffic_routing.interval apply only to TimeBasedCanary and TimeBasedLinear; "
                "remove them or change traffic_routing.type",
                option="traffic_routing",
            )
        return
    if percentage is None or interval is None:
        raise InvalidInput(f"traffic_routing.type={kind} needs traffic_routing.percentage and traffic_routing.interval (minutes)", option="traffic_routing")
    if not 1 <= percentage <= 99:
        raise InvalidInput(
            f"traffic_routing.percentage must be between 1 and 99 (got {percentage}); for 100 percent use traffic_routing.type=AllAtOnce",
            option="traffic_routing",
        )
    if not 1 <= interval <= MAX_WAIT_MINUTES:
        raise InvalidInput(f"traffic_routing.interval must be between 1 and {MAX_WAIT_MINUTES} minutes (got {interval})", option="traffic_routing")


def traffic_routing_config(routing: Optional[Mapping[str, Any]]) -> Optional[dict]:
    """The module's ``traffic_routing`` option as CodeDeploy's ``trafficRoutingConfig``."""
    if routing is None:
        return None
    kind = routing.get("type") or "AllAtOnce"
    if kind == "TimeBasedCanary":
        return {"type": kind, "timeBasedCanary": {"canaryPercentage": routing["percentage"], "canaryInterval": routing["interval"]}}
    if kind == "TimeBasedLinear":
        return {"type": kind, "timeBasedLinear": {"linearPercentage": routing["percentage"], "linearInterval": routing["interval"]}}
    return {"type": "AllAtOnce"}


def normalise_traffic_routing(config: Optional[Mapping[str, Any]]) -> Optional[dict]:
    """Keep only the part of a ``trafficRoutingConfig`` its type uses."""
    if not config:
        return None
    kind = config.get("type", "AllAtOnce")
    part = {"TimeBasedCanary": "timeBasedCanary", "TimeBasedLinear": "timeBasedLinear"}.get(kind)
    normalised: dict = {"type": kind}
    if part:
        normalised[part] = dict(config.get(part) or {})
    return normalised


def desired_deployment_config(options: Mapping[str, Any]) -> dict:
    """``trafficRoutingConfig`` is None when the option is not given: not managed."""
    return {
        "deploymentConfigName": options["name"],
        "computePlatform": "ECS",
        "trafficRoutingConfig": traffic_routing_config(options.get("traffic_routing")),
    }


def current_deployment_config(info: Optional[Mapping[str, Any]]) -> Optional[dict]:
    if not info:
        return None
    return {
        "deploymentConfigName": info["deploymentConfigName"],
        "deploymentConfigId": info.get("deploymentConfigId"),
        "computePlatform": info.get("computePlatform", "Server"),
        "trafficRoutingConfig": normalise_traffic_routing(info.get("trafficRoutingConfig")),
        "createTime": iso_time(info.get("createTime")),
    }


def plan_deployment_config(desired: Mapping[str, Any], current: Optional[Mapping[str, Any]]) -> list[str]:
    """Fields that differ (every given one when the config is missing)."""
    if current is None:
        return sorted(key for key, value in desired.items() if key != "deploymentConfigName" and value is not None)
    return diff_fields({key: value for key, value in desired.items() if key != "deploymentConfigName"}, current, DEPLOYMENT_CONFIG_FIELDS)


def create_deployment_config_request(desired: Mapping[str, Any]) -> dict:
    # AllAtOnce when not given: a new config needs some routing, and it is AWS's own ECS default.
    return {
        "deploymentConfigName": desired["deploymentConfigName"],
        "computePlatform": desired["computePlatform"],
        "trafficRoutingConfig": desired.get("trafficRoutingConfig") or {"type": "AllAtOnce"},
    }


def immutable_config_error(name: str, fields: list, current: Mapping, desired: Mapping) -> InvalidInput:
    return InvalidInput(
        f"CodeDeploy deployment config {name} exists with different {', '.join(fields)} "
        f"({ {key: current.get(key) for key in fields} } instead of { {key: desired.get(key) for key in fields} }), and CodeDeploy "
        f"cannot change a deployment config. Give the new settings a new name (and point the deployment groups at it), "
        f"or set replace=true to delete and re-create it (this fails while a deployment group uses it).",
        option="traffic_routing",
    )


# --- deployment groups -------------------------------------------------------------------

AUTO_ROLLBACK_EVENTS = ("DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM", "DEPLOYMENT_STOP_ON_REQUEST")

# The target group pair is a set: after each blue/green deployment CodeDeploy
# keeps the pair as configured and itself "determines which target group is used
# for each task set" (CodeDeploy user guide, deployment-groups-create-load-balancer-for-ecs).
# Which of the two serves production changes with every deployment, so the order
# carries no meaning and comparing it would undo nothing but cost an update.
DEPLOYMENT_GROUP_FIELDS = {
    "serviceRoleArn": ("strict", "value"),
    "deploymentConfigName": ("strict", "value"),
    "deploymentStyle": ("strict", "dict"),
    "deploymentReadyOption": ("strict", "dict"),
    "terminateBlueInstancesOnDeploymentSuccess": ("strict", "dict"),
    "ecsServices": ("strict", "set(dict)"),
    "targetGroups": ("strict", "set"),
    "prodListenerArns": ("strict", "set"),
    "testListenerArns": ("strict", "set"),
    "alarmConfiguration": ("strict", "dict"),
    "autoRollbackConfiguration": ("strict", "dict"),
}
_IDENTITY = ("applicationName", "deploymentGroupName", "tags")
_LOAD_BALANCER_FIELDS = ("targetGroups", "prodListenerArns", "testListenerArns")
_BLUE_GREEN_FIELDS = ("deploymentReadyOption", "terminateBlueInstancesOnDeploymentSuccess")


def _count_error(option: str, wanted: str, values: list) -> InvalidInput:
    return InvalidInput(f"{option} must hold {wanted} (got {len(values)}: {values})", option=option)


def _validate_load_balancing(options: Mapping[str, Any]) -> None:
    target_groups = [name_from_arn(item) for item in options.get("target_groups") or []]
    if options.get("target_groups") is not None and (len(target_groups) != 2 or len(set(target_groups)) != 2):
        raise _count_error("target_groups", "exactly two different target groups, one for blue and one for green", target_groups)
    prod = options.get("prod_listener_arns")
    if prod is not None and len(prod) != 1:
        raise _count_error("prod_listener_arns", "exactly one listener ARN (CodeDeploy takes one production route)", prod)
    test = options.get("test_listener_arns")
    if test is not None and len(test) > 1:
        raise _count_error("test_listener_arns", "at most one listener ARN (CodeDeploy takes one test route)", test)
    if prod and test and set(prod) & set(test):
        raise InvalidInput("the test listener must differ from the production listener; give another test_listener_arns", option="test_listener_arns")


def _validate_blue_green(options: Mapping[str, Any]) -> None:
    ready = options.get("deployment_ready_option") or {}
    action, wait = ready.get("action_on_timeout") or "CONTINUE_DEPLOYMENT", ready.get("wait_time_in_minutes")
    if action == "CONTINUE_DEPLOYMENT" and wait:
        raise InvalidInput(
            "deployment_ready_option.wait_time_in_minutes applies only to action_on_timeout=STOP_DEPLOYMENT; remove it or set STOP_DEPLOYMENT",
            option="deployment_ready_option",
        )
    if action == "STOP_DEPLOYMENT" and not (wait is not None and 1 <= wait <= MAX_WAIT_MINUTES):
        raise InvalidInput(
            f"deployment_ready_option.action_on_timeout=STOP_DEPLOYMENT needs wait_time_in_minutes between 1 and {MAX_WAIT_MINUTES}: "
            f"how long CodeDeploy waits for ContinueDeployment before it stops the deployment (got {wait})",
            option="deployment_ready_option",
        )
    termination = options.get("termination_wait_time_in_minutes")
    if termination is not None and not 0 <= termination <= MAX_WAIT_MINUTES:
        raise InvalidInput(
            f"termination_wait_time_in_minutes must be between 0 and {MAX_WAIT_MINUTES} (got {termination})", option="termination_wait_time_in_minutes"
        )


def _validate_alarms_and_rollback(options: Mapping[str, Any]) -> None:
    alarms = options.get("alarm_configuration")
    if alarms is not None:
        names = alarms.get("alarms") or []
        if alarms.get("enabled", True) and not names:
            raise InvalidInput("alarm_configuration.enabled=true needs at least one name in alarm_configuration.alarms", option="alarm_configuration")
        if len(set(names)) > MAX_ALARMS:
            raise InvalidInput(f"alarm_configuration.alarms takes at most {MAX_ALARMS} alarms (got {len(set(names))})", option="alarm_configuration")
    rollback = options.get("auto_rollback_configuration")
    if rollback is not None and rollback.get("enabled", True) and not rollback.get("events"):
        raise InvalidInput(
            f"auto_rollback_configuration.enabled=true needs at least one of {', '.join(AUTO_ROLLBACK_EVENTS)} in auto_rollback_configuration.events",
            option="auto_rollback_configuration",
        )


def validate_deployment_group_options(options: Mapping[str, Any]) -> None:
    """Reject what AWS would reject (or silently misread), before any call."""
    if options.get("state", "present") != "present":
        return
    _validate_load_balancing(options)
    _validate_blue_green(options)
    _validate_alarms_and_rollback(options)
    config = options.get("deployment_config_name") or DEFAULT_ECS_DEPLOYMENT_CONFIG
    if is_predefined(config) and not config.startswith(PREDEFINED_PREFIX + "ECS"):
        raise InvalidInput(
            f"{config} is not a deployment config for the ECS compute platform; use one of the CodeDeployDefault.ECS* configs "
            f"(for example {DEFAULT_ECS_DEPLOYMENT_CONFIG}) or a custom ECS config",
            option="deployment_config_name",
        )


def _sorted_unique(values: Optional[Iterable[str]]) -> list:
    return sorted(set(values or []))


def _ready_option(action: Optional[str], wait: Optional[int]) -> dict:
    # CodeDeploy ignores the wait time unless the action is STOP_DEPLOYMENT.
    action = action or "CONTINUE_DEPLOYMENT"
    return {"actionOnTimeout": action, "waitTimeInMinutes": (wait or 0) if action == "STOP_DEPLOYMENT" else 0}


def _alarm_configuration(enabled: bool, ignore_poll_failure: bool, names: Iterable[str]) -> dict:
    return {"enabled": bool(enabled), "ignorePollAlarmFailure": bool(ignore_poll_failure), "alarms": _sorted_unique(names)}


def _auto_rollback(enabled: bool, events: Optional[Iterable[str]]) -> dict:
    return {"enabled": bool(enabled), "events": _sorted_unique(events)}


def desired_deployment_group(options: Mapping[str, Any], service_role_arn: Optional[str]) -> dict:
    """The group the options ask for; ``None`` marks a field that is left as it is."""
    ready = options.get("deployment_ready_option") or {}
    alarms = options.get("alarm_configuration")
    rollback = options.get("auto_rollback_configuration")
    test = options.get("test_listener_arns")
    termination = options.get("termination_wait_time_in_minutes")
    return {
        "applicationName": options["application"],
        "deploymentGroupName": options["name"],
        "serviceRoleArn": service_role_arn,
        "deploymentConfigName": options.get("deployment_config_name") or DEFAULT_ECS_DEPLOYMENT_CONFIG,
        "deploymentStyle": dict(ECS_DEPLOYMENT_STYLE),
        "deploymentReadyOption": _ready_option(ready.get("action_on_timeout"), ready.get("wait_time_in_minutes")),
        "terminateBlueInstancesOnDeploymentSuccess": None if termination is None else {"action": "TERMINATE", "terminationWaitTimeInMinutes": termination},
        "ecsServices": [{"clusterName": name_from_arn(options["cluster"]), "serviceName": name_from_arn(options["service"])}],
        # The user's order is kept for a create; comparison treats the pair as a set.
        "targetGroups": [name_from_arn(item) for item in options["target_groups"]],
        "prodListenerArns": list(options["prod_listener_arns"]),
        "testListenerArns": None if test is None else list(test),
        "alarmConfiguration": None
        if alarms is None
        else _alarm_configuration(alarms.get("enabled", True), alarms.get("ignore_poll_alarm_failure", False), alarms.get("alarms")),
        "autoRollbackConfiguration": None if rollback is None else _auto_rollback(rollback.get("enabled", True), rollback.get("events")),
        "tags": None if options.get("tags") is None else dict(options["tags"]),
    }


def current_deployment_group(info: Optional[Mapping[str, Any]], tags: Optional[list] = None) -> Optional[dict]:
    """GetDeploymentGroup output normalised like :func:`desired_deployment_group`.

    Structures AWS leaves out when they were never set read as their
    disabled form, so that asking for "disabled" is no change.
    """
    if not info:
        return None
    blue_green = info.get("blueGreenDeploymentConfiguration") or {}
    ready = blue_green.get("deploymentReadyOption") or {}
    termination = blue_green.get("terminateBlueInstancesOnDeploymentSuccess") or None
    pairs = (info.get("loadBalancerInfo") or {}).get("targetGroupPairInfoList") or [{}]
    pair = pairs[0]
    alarms = info.get("alarmConfiguration") or {}
    rollback = info.get("autoRollbackConfiguration") or {}
    return {
        "applicationName": info.get("applicationName"),
        "deploymentGroupName": info.get("deploymentGroupName"),
        "deploymentGroupId": info.get("deploymentGroupId"),
        "computePlatform": info.get("computePlatform"),
        "serviceRoleArn": info.get("serviceRoleArn"),
        "deploymentConfigName": info.get("deploymentConfigName"),
        "deploymentStyle": dict(info.get("deploymentStyle") or {}),
        "deploymentReadyOption": _ready_option(ready.get("actionOnTimeout"), ready.get("waitTimeInMinutes")),
        "terminateBlueInstancesOnDeploymentSuccess": None
        if termination is None
        else {"action": termination.get("action", "TERMINATE"), "terminationWaitTimeInMinutes": termination.get("terminationWaitTimeInMinutes", 0)},
        "ecsServices": [{"clusterName": item.get("clusterName"), "serviceName": item.get("serviceName")} for item in info.get("ecsServices") or []],
        "targetGroups": [item["name"] for item in pair.get("targetGroups") or []],
        "prodListenerArns": list((pair.get("prodTrafficRoute") or {}).get("listenerArns") or []),
        "testListenerArns": list((pair.get("testTrafficRoute") or {}).get("listenerArns") or []),
        "alarmConfiguration": _alarm_configuration(
            alarms.get("enabled", False), alarms.get("ignorePollAlarmFailure", False), [item["name"] for item in alarms.get("alarms") or []]
        ),
        "autoRollbackConfiguration": _auto_rollback(rollback.get("enabled", False), rollback.get("events")),
        "tags": tags_from_aws(tags),
    }


def plan_deployment_group(desired: Mapping[str, Any], current: Optional[Mapping[str, Any]], purge_tags: bool = True) -> list[str]:
    """Fields of the group that must change (every given one when it is missing)."""
    if current is None:
        return sorted(key for key, value in desired.items() if key not in _IDENTITY and value is not None)
    managed = {key: value for key, value in desired.items() if key not in _IDENTITY}
    changed = diff_fields(managed, current, DEPLOYMENT_GROUP_FIELDS)
    if tags_differ(desired.get("tags"), current.get("tags", {}), purge_tags):
        changed.append("tags")
    return sorted(changed)


def predict_deployment_group(desired: Mapping[str, Any], current: Optional[Mapping[str, Any]], purge_tags: bool = True) -> dict:
    """The normalised group after the run; unmanaged fields keep their current value."""
    after = merge(current, {key: value for key, value in desired.items() if key != "tags"})
    if current is not None and not set(after["targetGroups"]) ^ set(current["targetGroups"]):
        after["targetGroups"] = list(current["targetGroups"])
    for key, empty in (
        ("testListenerArns", []),
        ("alarmConfiguration", _alarm_configuration(False, False, [])),
        ("autoRollbackConfiguration", _auto_rollback(False, [])),
    ):
        after.setdefault(key, empty)
    after["tags"] = predict_tags(desired.get("tags"), (current or {}).get("tags", {}), purge_tags)
    return after


def _load_balancer_info(group: Mapping[str, Any]) -> dict:
    pair: dict = {
        "targetGroups": [{"name": name} for name in group["targetGroups"]],
        "prodTrafficRoute": {"listenerArns": list(group["prodListenerArns"])},
    }
    if group.get("testListenerArns"):
        pair["testTrafficRoute"] = {"listenerArns": list(group["testListenerArns"])}
    return {"targetGroupPairInfoList": [pair]}


def _blue_green(group: Mapping[str, Any]) -> dict:
    config: dict = {"deploymentReadyOption": dict(group["deploymentReadyOption"])}
    if group.get("terminateBlueInstancesOnDeploymentSuccess") is not None:
        config["terminateBlueInstancesOnDeploymentSuccess"] = dict(group["terminateBlueInstancesOnDeploymentSuccess"])
    return config


def _alarms_to_aws(alarms: Mapping[str, Any]) -> dict:
    return {"enabled": alarms["enabled"], "ignorePollAlarmFailure": alarms["ignorePollAlarmFailure"], "alarms": [{"name": name} for name in alarms["alarms"]]}


def _group_parameters(group: Mapping[str, Any], fields: Iterable[str]) -> dict:
    """The request parameters that carry ``fields`` of a normalised group."""
    fields = set(fields)
    params: dict = {}
    for key in ("serviceRoleArn", "deploymentConfigName", "deploymentStyle", "ecsServices", "autoRollbackConfiguration"):
        if key in fields and group.get(key) is not None:
            params[key] = group[key]
    if fields & set(_BLUE_GREEN_FIELDS):
        params["blueGreenDeploymentConfiguration"] = _blue_green(group)
    if fields & set(_LOAD_BALANCER_FIELDS):
        params["loadBalancerInfo"] = _load_balancer_info(group)
    if "alarmConfiguration" in fields and group.get("alarmConfiguration") is not None:
        params["alarmConfiguration"] = _alarms_to_aws(group["alarmConfiguration"])
    return params


def create_deployment_group_request(desired: Mapping[str, Any]) -> dict:
    params = {"applicationName": desired["applicationName"], "deploymentGroupName": desired["deploymentGroupName"]}
    params.update(_group_parameters(desired, DEPLOYMENT_GROUP_FIELDS))
    if desired.get("tags"):
        params["tags"] = tags_to_aws(desired["tags"])
    return params


def update_deployment_group_request(after: Mapping[str, Any], fields: Iterable[str]) -> dict:
    """UpdateDeploymentGroup parameters for ``fields``; ``after`` comes from :func:`predict_deployment_group`.

    Only the changed structures are sent: UpdateDeploymentGroup leaves the
    others as they are.
    """
    params = {"applicationName": after["applicationName"], "currentDeploymentGroupName": after["deploymentGroupName"]}
    params.update(_group_parameters(after, [field for field in fields if field != "tags"]))
    return params


def deployment_group_info(group: Mapping[str, Any]) -> dict:
    """A normalised group in GetDeploymentGroup's shape (the check-mode prediction)."""
    info = {
        "applicationName": group["applicationName"],
        "deploymentGroupName": group["deploymentGroupName"],
        "deploymentGroupId": group.get("deploymentGroupId"),
        "computePlatform": group.get("computePlatform") or "ECS",
        "tags": dict(group.get("tags") or {}),
    }
    info.update(_group_parameters(group, DEPLOYMENT_GROUP_FIELDS))
    return info


def _listeners(group: Mapping[str, Any]) -> set:
    return set(group.get("prodListenerArns") or []) | set(group.get("testListenerArns") or [])


def new_load_balancer_references(desired: Mapping[str, Any], current: Optional[Mapping[str, Any]]) -> dict:
    """Target group names and listener ARNs the desired group names and the current one does
    not: the ones to check before CreateDeploymentGroup or UpdateDeploymentGroup sends them."""
    current = current or {}
    return {
        "target_groups": sorted(set(desired.get("targetGroups") or []) - set(current.get("targetGroups") or [])),
        "listeners": sorted(_listeners(desired) - _listeners(current)),
    }
