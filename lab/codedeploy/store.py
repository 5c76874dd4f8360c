"""CodeDeploy's control plane where moto 5.2.5 falls short: deployment configs and
the deployment-group and application calls it lacks or answers incompletely.

Applications and deployment groups stay in moto's codedeploy backend (its
``Application`` and ``DeploymentGroup`` objects are updated in place, so moto's
own calls keep seeing them). Deployment configs, which moto does not model,
live in :class:`ConfigStore` here, one per account and region like moto's
backends, with AWS's predefined ``CodeDeployDefault.*`` configs built in.

Operations answered here (API reference: https://docs.aws.amazon.com/codedeploy/latest/APIReference/):
CreateDeploymentConfig, GetDeploymentConfig, ListDeploymentConfigs,
DeleteDeploymentConfig, CreateDeploymentGroup (validated, then moto),
GetDeploymentGroup, BatchGetDeploymentGroups, UpdateDeploymentGroup,
DeleteDeploymentGroup, DeleteApplication.

Where the API reference leaves a behaviour open, the lab's choice is written
next to it. The deployment engine reads configs through :func:`deployment_config`.
"""

from __future__ import annotations

import functools
import re
import uuid
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from lab.codedeploy import lifecycle as lc
from lab.server import intercept
from lab.wire import Request, Response, aws_error, json_response

SERVICE = "codedeploy"
PREDEFINED_PREFIX = "CodeDeployDefault."
COMPUTE_PLATFORMS = ("Server", "Lambda", "ECS")
TRAFFIC_ROUTING_TYPES = ("TimeBasedCanary", "TimeBasedLinear", "AllAtOnce")
NAME_PATTERN = re.compile(r"[A-Za-z0-9+=,.@_-]{1,100}")
BATCH_LIMIT = 100
PAGE_SIZE = 100
MAX_WAIT_MINUTES = 2880
ECS_STYLE = {"deploymentType": "BLUE_GREEN", "deploymentOption": "WITH_TRAFFIC_CONTROL"}
# The lab's choice for ECS groups created without deploymentConfigName: moto
# would store the Server config OneAtATime, which no ECS deployment can use.
DEFAULT_ECS_CONFIG = "CodeDeployDefault.ECSAllAtOnce"


class CodeDeployError(Exception):
    """An AWS error answer: ``code`` is the exception name botocore raises."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _answers(func: Callable[[Request], Any]) -> Callable[[Request], Response]:
    """A handler returns the JSON body; a :class:`CodeDeployError` becomes AWS's error answer."""

    @functools.wraps(func)
    def handler(req: Request) -> Response:
        try:
            return json_response(func(req))
        except CodeDeployError as exc:
            return aws_error(req, exc.code, exc.message)

    return handler


def _utc(value: datetime | None) -> datetime | None:
    # moto stores naive UTC; the wire encoder would read naive times as local time.
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


# --- deployment configs ---------------------------------------------------------------


def _routing(kind: str, percentage: int = 0, interval: int = 0) -> dict[str, Any]:
    if kind == "TimeBasedCanary":
        return {"type": kind, "timeBasedCanary": {"canaryPercentage": percentage, "canaryInterval": interval}}
    if kind == "TimeBasedLinear":
        return {"type": kind, "timeBasedLinear": {"linearPercentage": percentage, "linearInterval": interval}}
    return {"type": "AllAtOnce"}


_NO_MINIMUM = {"type": "FLEET_PERCENT", "value": 0}

# https://docs.aws.amazon.com/codedeploy/latest/userguide/deployment-configurations.html
# name: (computePlatform, minimumHealthyHosts, trafficRoutingConfig)
PREDEFINED: dict[str, tuple[str, dict[str, Any], dict[str, Any] | None]] = {
    "CodeDeployDefault.ECSAllAtOnce": ("ECS", _NO_MINIMUM, _routing("AllAtOnce")),
    "CodeDeployDefault.ECSLinear10PercentEvery1Minutes": ("ECS", _NO_MINIMUM, _routing("TimeBasedLinear", 10, 1)),
    "CodeDeployDefault.ECSLinear10PercentEvery3Minutes": ("ECS", _NO_MINIMUM, _routing("TimeBasedLinear", 10, 3)),
    "CodeDeployDefault.ECSCanary10Percent5Minutes": ("ECS", _NO_MINIMUM, _routing("TimeBasedCanary", 10, 5)),
    "CodeDeployDefault.ECSCanary10Percent15Minutes": ("ECS", _NO_MINIMUM, _routing("TimeBasedCanary", 10, 15)),
    "CodeDeployDefault.LambdaAllAtOnce": ("Lambda", _NO_MINIMUM, _routing("AllAtOnce")),
    "CodeDeployDefault.LambdaCanary10Percent5Minutes": ("Lambda", _NO_MINIMUM, _routing("TimeBasedCanary", 10, 5)),
    "CodeDeployDefault.LambdaCanary10Percent10Minutes": ("Lambda", _NO_MINIMUM, _routing("TimeBasedCanary", 10, 10)),
    "CodeDeployDefault.LambdaCanary10Percent15Minutes": ("Lambda", _NO_MINIMUM, _routing("TimeBasedCanary", 10, 15)),
    "CodeDeployDefault.LambdaCanary10Percent30Minutes": ("Lambda", _NO_MINIMUM, _routing("TimeBasedCanary", 10, 30)),
    "CodeDeployDefault.LambdaLinear10PercentEvery1Minute": ("Lambda", _NO_MINIMUM, _routing("TimeBasedLinear", 10, 1)),
    "CodeDeployDefault.LambdaLinear10PercentEvery2Minutes": ("Lambda", _NO_MINIMUM, _routing("TimeBasedLinear", 10, 2)),
    "CodeDeployDefault.LambdaLinear10PercentEvery3Minutes": ("Lambda", _NO_MINIMUM, _routing("TimeBasedLinear", 10, 3)),
    "CodeDeployDefault.LambdaLinear10PercentEvery10Minutes": ("Lambda", _NO_MINIMUM, _routing("TimeBasedLinear", 10, 10)),
    # The minimum-healthy-hosts values are the lab's reading of the guide's descriptions.
    "CodeDeployDefault.AllAtOnce": ("Server", {"type": "FLEET_PERCENT", "value": 0}, None),
    "CodeDeployDefault.HalfAtATime": ("Server", {"type": "FLEET_PERCENT", "value": 50}, None),
    "CodeDeployDefault.OneAtATime": ("Server", {"type": "FLEET_PERCENT", "value": 99}, None),
}


class ConfigStore:
    """The deployment configs of one account and region: the predefined ones and the custom ones."""

    def __init__(self) -> None:
        self.created = datetime.now(UTC)
        self.custom: dict[str, dict[str, Any]] = {}

    def get(self, name: str) -> dict[str, Any] | None:
        if name in self.custom:
            return self.custom[name]
        if name in PREDEFINED:
            platform, minimum, routing = PREDEFINED[name]
            info: dict[str, Any] = {
                # Stable per name, as AWS's predefined configs have fixed ids.
                "deploymentConfigId": str(uuid.uuid5(uuid.NAMESPACE_URL, f"codedeploy:{name}")),
                "deploymentConfigName": name,
                "minimumHealthyHosts": dict(minimum),
                "createTime": self.created,
                "computePlatform": platform,
            }
            if routing is not None:
                info["trafficRoutingConfig"] = routing
            return info
        return None

    def names(self) -> list[str]:
        return list(PREDEFINED) + sorted(self.custom)


_STORES: dict[tuple[str, str], ConfigStore] = {}


def config_store(account_id: str, region: str) -> ConfigStore:
    return _STORES.setdefault((account_id, region), ConfigStore())


def deployment_config(region: str, name: str, account_id: str | None = None) -> dict[str, Any] | None:
    """A deployment config as GetDeploymentConfig returns it, or None (for the engine; hold ``lab.lock``)."""
    from moto.core import DEFAULT_ACCOUNT_ID

    return config_store(account_id or DEFAULT_ACCOUNT_ID, region).get(name)


def _store(req: Request) -> ConfigStore:
    return config_store(req.account_id, req.region)


def check_config_name(name: Any) -> str:
    if not name:
        raise CodeDeployError("DeploymentConfigNameRequiredException", "The deployment configuration name was not specified.")
    if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name):
        raise CodeDeployError("InvalidDeploymentConfigNameException", f"The deployment configuration name {name!r} is not valid.")
    return name


def _routing_error(message: str) -> CodeDeployError:
    return CodeDeployError("InvalidTrafficRoutingConfigurationException", message)


def _check_step(kind: str, part: Mapping[str, Any] | None, percentage_key: str, interval_key: str) -> dict[str, Any]:
    if not isinstance(part, Mapping):
        raise _routing_error(f"A {kind} traffic routing configuration needs its {percentage_key} and {interval_key}.")
    percentage, interval = part.get(percentage_key), part.get(interval_key)
    if not isinstance(percentage, int) or not 1 <= percentage <= 99:
        raise _routing_error(f"{percentage_key} must be between 1 and 99, got {percentage}.")
    if not isinstance(interval, int) or not 1 <= interval <= MAX_WAIT_MINUTES:
        raise _routing_error(f"{interval_key} must be between 1 and {MAX_WAIT_MINUTES} minutes, got {interval}.")
    return {percentage_key: percentage, interval_key: interval}


def check_traffic_routing(platform: str, config: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The normalised trafficRoutingConfig, or the error AWS gives for it.

    Lab choice: an ECS or Lambda config created without one shifts all at once.
    """
    if config is None:
        return None if platform == "Server" else _routing("AllAtOnce")
    kind = config.get("type")
    if kind not in TRAFFIC_ROUTING_TYPES:
        raise _routing_error(f"The traffic routing type must be one of {', '.join(TRAFFIC_ROUTING_TYPES)}, got {kind}.")
    if platform == "Server" and kind != "AllAtOnce":
        raise _routing_error("Time-based traffic routing is only supported for the Lambda and ECS compute platforms.")
    if kind == "TimeBasedCanary":
        return {"type": kind, "timeBasedCanary": _check_step(kind, config.get("timeBasedCanary"), "canaryPercentage", "canaryInterval")}
    if kind == "TimeBasedLinear":
        return {"type": kind, "timeBasedLinear": _check_step(kind, config.get("timeBasedLinear"), "linearPercentage", "linearInterval")}
    return {"type": "AllAtOnce"}


def check_minimum_healthy_hosts(platform: str, value: Mapping[str, Any] | None) -> dict[str, Any]:
    if value is None:
        if platform == "Server":
            raise CodeDeployError("InvalidMinimumHealthyHostValueException", "A Server deployment configuration needs minimumHealthyHosts.")
        return dict(_NO_MINIMUM)
    kind, number = value.get("type"), value.get("value")
    if kind not in ("HOST_COUNT", "FLEET_PERCENT") or not isinstance(number, int) or number < 0 or (kind == "FLEET_PERCENT" and number > 100):
        raise CodeDeployError("InvalidMinimumHealthyHostValueException", f"The minimum healthy hosts value {dict(value)} is not valid.")
    return {"type": kind, "value": number}


@intercept(SERVICE, "CreateDeploymentConfig")
@_answers
def create_deployment_config(req: Request) -> dict[str, Any]:
    params = req.params
    name = check_config_name(params.get("deploymentConfigName"))
    store = _store(req)
    if store.get(name) is not None:
        raise CodeDeployError("DeploymentConfigAlreadyExistsException", f"A deployment configuration named {name} already exists.")
    platform = params.get("computePlatform") or "Server"
    if platform not in COMPUTE_PLATFORMS:
        raise CodeDeployError("InvalidComputePlatformException", f"The computePlatform should be Lambda, Server, or ECS, got {platform}.")
    if params.get("zonalConfig") and platform != "Server":
        raise CodeDeployError("InvalidZonalDeploymentConfigurationException", "A zonal configuration applies to the Server compute platform only.")
    info: dict[str, Any] = {
        "deploymentConfigId": str(uuid.uuid4()),
        "deploymentConfigName": name,
        "minimumHealthyHosts": check_minimum_healthy_hosts(platform, params.get("minimumHealthyHosts")),
        "createTime": datetime.now(UTC),
        "computePlatform": platform,
    }
    routing = check_traffic_routing(platform, params.get("trafficRoutingConfig"))
    if routing is not None:
        info["trafficRoutingConfig"] = routing
    if params.get("zonalConfig"):
        info["zonalConfig"] = dict(params["zonalConfig"])
    store.custom[name] = info
    return {"deploymentConfigId": info["deploymentConfigId"]}


@intercept(SERVICE, "GetDeploymentConfig")
@_answers
def get_deployment_config(req: Request) -> dict[str, Any]:
    name = check_config_name(req.params.get("deploymentConfigName"))
    info = _store(req).get(name)
    if info is None:
        raise CodeDeployError("DeploymentConfigDoesNotExistException", f"The deployment configuration {name} does not exist with the user or AWS account.")
    return {"deploymentConfigInfo": info}


@intercept(SERVICE, "ListDeploymentConfigs")
@_answers
def list_deployment_configs(req: Request) -> dict[str, Any]:
    names = _store(req).names()
    token = req.params.get("nextToken")
    start = 0
    if token:
        if not str(token).isdigit() or int(token) >= len(names):
            raise CodeDeployError("InvalidNextTokenException", "The next token was specified in an invalid format.")
        start = int(token)
    page: dict[str, Any] = {"deploymentConfigsList": names[start : start + PAGE_SIZE]}
    if start + PAGE_SIZE < len(names):
        page["nextToken"] = str(start + PAGE_SIZE)
    return page


def groups_using_config(backend: Any, name: str) -> list[str]:
    return [
        f"{application}/{group_name}"
        for application, groups in backend.deployment_groups.items()
        for group_name, group in groups.items()
        if str(group.deployment_config_name) == name
    ]


@intercept(SERVICE, "DeleteDeploymentConfig")
@_answers
def delete_deployment_config(req: Request) -> dict[str, Any]:
    name = check_config_name(req.params.get("deploymentConfigName"))
    if name in PREDEFINED or name.startswith(PREDEFINED_PREFIX):
        raise CodeDeployError("InvalidOperationException", f"{name} is a predefined deployment configuration and cannot be deleted.")
    users = groups_using_config(req.lab.moto.codedeploy(req.region), name)
    if users:
        raise CodeDeployError("DeploymentConfigInUseException", f"The deployment configuration {name} is in use by deployment groups {', '.join(users)}.")
    # The API reference lists no does-not-exist error for this call: deleting a missing config succeeds.
    _store(req).custom.pop(name, None)
    return {}


# --- applications and deployment groups ------------------------------------------------------


def _backend(req: Request) -> Any:
    return req.lab.moto.codedeploy(req.region)


def application_of(backend: Any, name: Any) -> Any:
    if not name:
        raise CodeDeployError("ApplicationNameRequiredException", "The minimum number of required application names was not specified.")
    if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name):
        raise CodeDeployError("InvalidApplicationNameException", f"The application name {name!r} is not valid.")
    application = backend.applications.get(name)
    if application is None:
        raise CodeDeployError("ApplicationDoesNotExistException", f"The application {name} does not exist with the user or AWS account.")
    return application


def check_group_name(name: Any) -> str:
    if not name:
        raise CodeDeployError("DeploymentGroupNameRequiredException", "The deployment group name was not specified.")
    if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name):
        raise CodeDeployError("InvalidDeploymentGroupNameException", f"The deployment group name {name!r} is not valid.")
    return name


def group_of(backend: Any, application: str, name: Any) -> Any:
    name = check_group_name(name)
    group = backend.deployment_groups.get(application, {}).get(name)
    if group is None:
        raise CodeDeployError("DeploymentGroupDoesNotExistException", f"The deployment group {name} does not exist with the user or AWS account.")
    return group


def _last_deployments(backend: Any, application: str, group: str) -> dict[str, Any]:
    """lastAttemptedDeployment and lastSuccessfulDeployment from moto's deployments."""
    mine = sorted(
        (d for d in backend.deployments.values() if d.application_name == application and d.deployment_group_name == group),
        key=lambda d: d.create_time,
    )

    def summary(deployment: Any) -> dict[str, Any]:
        info = {"deploymentId": deployment.deployment_id, "status": deployment.status, "createTime": _utc(deployment.create_time)}
        if deployment.complete_time is not None:
            info["endTime"] = _utc(deployment.complete_time)
        return info

    result: dict[str, Any] = {}
    if mine:
        result["lastAttemptedDeployment"] = summary(mine[-1])
    succeeded = [d for d in mine if d.status == "Succeeded"]
    if succeeded:
        result["lastSuccessfulDeployment"] = summary(succeeded[-1])
    return result


def group_info(backend: Any, group: Any) -> dict[str, Any]:
    """A DeploymentGroupInfo with every field the group was created or updated with.

    moto's own answer drops alarmConfiguration and answers empty placeholders for
    the rest; structures never set are answered in their disabled form.
    """
    application = group.application.application_name
    platform = group.application.compute_platform or "Server"
    info: dict[str, Any] = {
        "applicationName": application,
        "deploymentGroupId": group.deployment_group_id,
        "deploymentGroupName": group.deployment_group_name,
        "deploymentConfigName": str(group.deployment_config_name),
        "ec2TagFilters": list(group.ec2_tag_filters or []),
        "onPremisesInstanceTagFilters": list(group.on_premises_instance_tag_filters or []),
        "autoScalingGroups": [item if isinstance(item, Mapping) else {"name": item} for item in group.auto_scaling_groups or []],
        "serviceRoleArn": group.service_role_arn,
        "triggerConfigurations": list(group.trigger_configurations or []),
        "alarmConfiguration": group.alarm_configuration or {"enabled": False, "ignorePollAlarmFailure": False, "alarms": []},
        "autoRollbackConfiguration": group.auto_rollback_configuration or {"enabled": False, "events": []},
        "deploymentStyle": group.deployment_style or {"deploymentType": "IN_PLACE", "deploymentOption": "WITHOUT_TRAFFIC_CONTROL"},
        "computePlatform": platform,
        "ecsServices": list(group.ecs_services or []),
        "terminationHookEnabled": bool(group.termination_hook_enabled),
    }
    optional = {
        "outdatedInstancesStrategy": group.outdated_instances_strategy,
        "blueGreenDeploymentConfiguration": lc.blue_green_answer(group.blue_green_deployment_configuration),
        "loadBalancerInfo": group.load_balancer_info,
        "ec2TagSet": group.ec2_tag_set,
        "onPremisesTagSet": group.on_premises_tag_set,
        "ec2DeploymentOptions": getattr(group, "ec2_deployment_options", None),
    }
    info.update({key: value for key, value in optional.items() if value})
    info.update(_last_deployments(backend, application, group.deployment_group_name))
    return info


@intercept(SERVICE, "GetDeploymentGroup")
@_answers
def get_deployment_group(req: Request) -> dict[str, Any]:
    backend = _backend(req)
    application = application_of(backend, req.params.get("applicationName"))
    group = group_of(backend, application.application_name, req.params.get("deploymentGroupName"))
    return {"deploymentGroupInfo": group_info(backend, group)}


@intercept(SERVICE, "BatchGetDeploymentGroups")
@_answers
def batch_get_deployment_groups(req: Request) -> dict[str, Any]:
    backend = _backend(req)
    application = application_of(backend, req.params.get("applicationName"))
    names = req.params.get("deploymentGroupNames")
    if not names:
        raise CodeDeployError("DeploymentGroupNameRequiredException", "The deployment group names were not specified.")
    if len(names) > BATCH_LIMIT:
        raise CodeDeployError("BatchLimitExceededException", f"The maximum number of names or IDs allowed for this request ({BATCH_LIMIT}) was exceeded.")
    groups = backend.deployment_groups.get(application.application_name, {})
    found, missing = [], []
    for name in names:
        check_group_name(name)
        (found if name in groups else missing).append(name)
    result: dict[str, Any] = {"deploymentGroupsInfo": [group_info(backend, groups[name]) for name in found]}
    if missing:
        # Missing groups are reported, not raised: the found ones are still answered.
        result["errorMessage"] = f"Deployment groups {', '.join(missing)} do not exist for application {application.application_name}."
    return result


# validation shared by Create and UpdateDeploymentGroup ------------------------------------------


def _check_config_for(req: Request, name: str, platform: str) -> None:
    info = _store(req).get(check_config_name(name))
    if info is None:
        raise CodeDeployError("DeploymentConfigDoesNotExistException", f"The deployment configuration {name} does not exist with the user or AWS account.")
    if info["computePlatform"] != platform:
        raise CodeDeployError(
            "InvalidDeploymentConfigNameException",
            f"The deployment configuration {name} is for the {info['computePlatform']} compute platform, not {platform}.",
        )


def _listener_exists(elbv2: Any, arn: str) -> bool:
    return any(arn in balancer.listeners for balancer in elbv2.load_balancers.values())


def _check_target_group_pair(req: Request, load_balancer_info: Mapping[str, Any] | None) -> None:
    pairs = (load_balancer_info or {}).get("targetGroupPairInfoList") or []
    if len(pairs) != 1:
        raise CodeDeployError("InvalidTargetGroupPairException", "An ECS deployment group needs exactly one target group pair in loadBalancerInfo.")
    pair = pairs[0]
    names = [item.get("name") for item in pair.get("targetGroups") or []]
    if len(names) != 2 or len(set(names)) != 2:
        raise CodeDeployError("InvalidTargetGroupPairException", f"A target group pair needs two different target groups, got {names}.")
    elbv2 = req.lab.moto.elbv2(req.region)
    known = {group.name for group in elbv2.target_groups.values()}
    for name in names:
        if name not in known:
            raise CodeDeployError("InvalidTargetGroupPairException", f"The target group {name} does not exist.")
    prod = (pair.get("prodTrafficRoute") or {}).get("listenerArns") or []
    test = (pair.get("testTrafficRoute") or {}).get("listenerArns") or []
    if len(prod) != 1 or len(test) > 1:
        raise CodeDeployError("InvalidTargetGroupPairException", "The production route takes exactly one listener, the test route at most one.")
    for arn in prod + test:
        if not _listener_exists(elbv2, arn):
            raise CodeDeployError("InvalidTargetGroupPairException", f"The listener {arn} does not exist.")


def _check_ecs_service(req: Request, backend: Any, services: list | None, application: str, group_name: str) -> None:
    if not services or len(services) != 1:
        raise CodeDeployError("InvalidECSServiceException", "An ECS deployment group needs exactly one ECS service (clusterName and serviceName).")
    cluster, service = services[0].get("clusterName"), services[0].get("serviceName")
    found = req.lab.moto.ecs(req.region).services.get(f"{cluster}:{service}")
    if found is None or found.status != "ACTIVE":
        raise CodeDeployError("InvalidECSServiceException", f"The ECS service {service} of cluster {cluster} does not exist.")
    # "An Amazon ECS service can be associated with only one deployment group."
    for other_application, groups in backend.deployment_groups.items():
        for other_name, other in groups.items():
            if (other_application, other_name) == (application, group_name):
                continue
            if any(item.get("clusterName") == cluster and item.get("serviceName") == service for item in other.ecs_services or []):
                raise CodeDeployError(
                    "ECSServiceMappingLimitExceededException",
                    f"The ECS service {cluster}:{service} is already associated with deployment group {other_application}/{other_name}.",
                )


def check_ecs_group(req: Request, backend: Any, application: str, group_name: str, fields: Mapping[str, Any]) -> None:
    """The checks AWS makes of an ECS group, on its fields after the call."""
    if fields.get("deploymentStyle") != ECS_STYLE:
        raise CodeDeployError("InvalidDeploymentStyleException", "An ECS deployment group must use BLUE_GREEN with WITH_TRAFFIC_CONTROL.")
    _check_ecs_service(req, backend, fields.get("ecsServices"), application, group_name)
    _check_target_group_pair(req, fields.get("loadBalancerInfo"))


# the API field of a deployment group -> the attribute of moto's DeploymentGroup
GROUP_ATTRIBUTES = {
    "deploymentConfigName": "deployment_config_name",
    "ec2TagFilters": "ec2_tag_filters",
    "onPremisesInstanceTagFilters": "on_premises_instance_tag_filters",
    "autoScalingGroups": "auto_scaling_groups",
    "serviceRoleArn": "service_role_arn",
    "triggerConfigurations": "trigger_configurations",
    "alarmConfiguration": "alarm_configuration",
    "autoRollbackConfiguration": "auto_rollback_configuration",
    "outdatedInstancesStrategy": "outdated_instances_strategy",
    "deploymentStyle": "deployment_style",
    "blueGreenDeploymentConfiguration": "blue_green_deployment_configuration",
    "loadBalancerInfo": "load_balancer_info",
    "ec2TagSet": "ec2_tag_set",
    "ecsServices": "ecs_services",
    "onPremisesTagSet": "on_premises_tag_set",
    "ec2DeploymentOptions": "ec2_deployment_options",
    "terminationHookEnabled": "termination_hook_enabled",
}


def _group_fields(group: Any) -> dict[str, Any]:
    return {field: getattr(group, attribute, None) for field, attribute in GROUP_ATTRIBUTES.items()}


@intercept(SERVICE, "CreateDeploymentGroup")
def create_deployment_group(req: Request) -> Response | None:
    """Validate as AWS does, then let moto create the group (and keep what moto drops)."""
    backend = _backend(req)
    params = req.params
    try:
        application = application_of(backend, params.get("applicationName"))
        name = check_group_name(params.get("deploymentGroupName"))
        if name in backend.deployment_groups.get(application.application_name, {}):
            raise CodeDeployError("DeploymentGroupAlreadyExistsException", f"Deployment group {name} already exists.")
        if not params.get("serviceRoleArn"):
            raise CodeDeployError("RoleRequiredException", "The role ID was not specified.")
        platform = application.compute_platform or "Server"
        config = params.get("deploymentConfigName") or (DEFAULT_ECS_CONFIG if platform == "ECS" else "CodeDeployDefault.OneAtATime")
        _check_config_for(req, config, platform)
        if platform == "ECS":
            check_ecs_group(req, backend, application.application_name, name, params)
    except CodeDeployError as exc:
        return aws_error(req, exc.code, exc.message)
    response = req.call_moto()
    if response.status_code < 400:
        group = backend.deployment_groups[application.application_name][name]
        group.deployment_config_name = config
        if params.get("ec2DeploymentOptions"):
            group.ec2_deployment_options = params["ec2DeploymentOptions"]
    return response


@intercept(SERVICE, "UpdateDeploymentGroup")
@_answers
def update_deployment_group(req: Request) -> dict[str, Any]:
    """Given fields replace the group's; fields not given stay as they are."""
    backend = _backend(req)
    params = req.params
    application = application_of(backend, params.get("applicationName"))
    app_name = application.application_name
    group = group_of(backend, app_name, params.get("currentDeploymentGroupName"))
    new_name = params.get("newDeploymentGroupName") or group.deployment_group_name
    check_group_name(new_name)
    if new_name != group.deployment_group_name and new_name in backend.deployment_groups.get(app_name, {}):
        raise CodeDeployError("DeploymentGroupAlreadyExistsException", f"Deployment group {new_name} already exists.")
    fields = {**_group_fields(group), **{key: value for key, value in params.items() if key in GROUP_ATTRIBUTES}}
    platform = application.compute_platform or "Server"
    if "deploymentConfigName" in params:
        _check_config_for(req, params["deploymentConfigName"], platform)
    if platform == "ECS":
        check_ecs_group(req, backend, app_name, group.deployment_group_name, fields)
    for key, value in params.items():
        if key in GROUP_ATTRIBUTES:
            setattr(group, GROUP_ATTRIBUTES[key], value)
    if new_name != group.deployment_group_name:
        _rename_group(backend, app_name, group, new_name)
    return {"hooksNotCleanedUp": []}


def _rename_group(backend: Any, application: str, group: Any, new_name: str) -> None:
    old_arn = backend._deployment_group_arn(application, group.deployment_group_name)
    tags = backend.tagger.list_tags_for_resource(old_arn)["Tags"]
    backend.tagger.delete_all_tags_for_resource(old_arn)
    groups = backend.deployment_groups[application]
    del groups[group.deployment_group_name]
    group.deployment_group_name = new_name
    groups[new_name] = group
    if tags:
        backend.tagger.tag_resource(backend._deployment_group_arn(application, new_name), tags)


@intercept(SERVICE, "DeleteDeploymentGroup")
@_answers
def delete_deployment_group(req: Request) -> dict[str, Any]:
    backend = _backend(req)
    app_name = req.params.get("applicationName")
    if not app_name:
        raise CodeDeployError("ApplicationNameRequiredException", "The minimum number of required application names was not specified.")
    name = check_group_name(req.params.get("deploymentGroupName"))
    # The API reference lists no does-not-exist error here: deleting a missing group succeeds.
    groups = backend.deployment_groups.get(app_name, {})
    if name in groups:
        del groups[name]
        backend.tagger.delete_all_tags_for_resource(backend._deployment_group_arn(app_name, name))
    return {"hooksNotCleanedUp": []}


def _delete_groups(backend: Any, application: str, names: Iterable[str]) -> None:
    for name in list(names):
        backend.tagger.delete_all_tags_for_resource(backend._deployment_group_arn(application, name))
    backend.deployment_groups.pop(application, None)


@intercept(SERVICE, "DeleteApplication")
@_answers
def delete_application(req: Request) -> dict[str, Any]:
    """Deletes the application with its deployment groups (their deployment history stays readable)."""
    backend = _backend(req)
    name = req.params.get("applicationName")
    if not name:
        raise CodeDeployError("ApplicationNameRequiredException", "The minimum number of required application names was not specified.")
    # The API reference lists no does-not-exist error here: deleting a missing application succeeds.
    if name in backend.applications:
        _delete_groups(backend, name, backend.deployment_groups.get(name, {}))
        del backend.applications[name]
        backend.tagger.delete_all_tags_for_resource(backend._application_arn(name))
    return {}
