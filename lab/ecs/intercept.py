"""ECS operations the lab answers itself, or fixes after moto answered.

Tasks are the lab's own (``lab.ecs.engine``): RunTask, StartTask, StopTask,
DescribeTasks and ListTasks never reach moto (so moto's ListTasks ignoring
``serviceName`` and its never-running tasks do not matter). Services and task
sets stay in moto; CreateService/UpdateService/DeleteService and the task set
calls pass through and the lab adds what moto drops or lacks
(deploymentConfiguration, healthCheckGracePeriodSeconds, deployments, events,
real counts).
"""

from __future__ import annotations

import dataclasses
import json
from typing import TYPE_CHECKING, Any

from moto.core.exceptions import ServiceException

from lab.ecs import model
from lab.ecs.controller import EcsController, for_lab
from lab.ecs.runtime import ContainerRuntime
from lab.ecs.services import controller_type, normalized_deployment_configuration
from lab.ecs.tasksets import ECS_CONTROLLER_MESSAGE, MAX_TASK_SETS, computed_desired_count
from lab.moto_patches import with_default_security_group
from lab.server import intercept
from lab.wire import Request, Response, aws_error, json_response

if TYPE_CHECKING:
    from lab.server import Controller, Lab

LIST_TASKS_MAX = 100
CODE_DEPLOY_TD_MESSAGE = (
    "Unable to update task definition on services with a CODE_DEPLOY deployment controller. Use AWS CodeDeploy to trigger a new deployment."
)
# Service fields moto's CreateService ignores; kept on its object so DescribeServices returns them.
KEPT_SERVICE_FIELDS = {
    "healthCheckGracePeriodSeconds": "health_check_grace_period_seconds",
    "enableECSManagedTags": "enable_ecs_managed_tags",
    "enableExecuteCommand": "enable_execute_command",
    "placementConstraints": "placement_constraints",
    "placementStrategy": "placement_strategy",
    "capacityProviderStrategy": "capacity_provider_strategy",
}


def setup(lab: Lab) -> list[Controller]:
    auth_file = getattr(lab.registry, "auth_file", None)
    runtime = ContainerRuntime.detect(lab.config.runtime, registry=lab.config.registry_host, authfile=str(auth_file) if auth_file else None)
    lab.runtime = runtime
    controller = EcsController(lab, runtime)
    # for the CodeDeploy engine (lab/codedeploy/NEEDS.md): task set counts and target group moves
    lab.ecs_task_set_status = controller.task_set_status  # type: ignore[attr-defined]
    lab.ecs_set_task_set_load_balancers = controller.set_task_set_load_balancers  # type: ignore[attr-defined]
    return [controller]


# ------------------------------------------------------------------ helpers
def _controller(req: Request) -> EcsController:
    controller = for_lab(req.lab)  # type: ignore[arg-type]
    controller.saw_region(req.region)
    return controller


def _moto_error(req: Request, exc: ServiceException) -> Response:
    return aws_error(req, getattr(exc, "code", "ClientException"), getattr(exc, "message", str(exc)))


def _invalid(req: Request, message: str) -> Response:
    return aws_error(req, "InvalidParameterException", message)


def _patched(response: Response, key: str, fields: dict[str, Any]) -> Response:
    """moto's JSON answer with ``fields`` laid over ``body[key]``."""
    body = json.loads(response.get_data() or b"{}")
    body.setdefault(key, {}).update(fields)
    return json_response(body, response.status_code)


def _rewritten(req: Request, params: dict[str, Any]) -> Request:
    """The same call with other JSON parameters (to hand moto only what it copes with)."""
    body = json.dumps(params).encode()
    return dataclasses.replace(req, body=body, environ=dict(req.environ, CONTENT_LENGTH=str(len(body))), params=params)


def _with_default_security_groups(req: Request, params: dict[str, Any]) -> dict[str, Any]:
    """securityGroups is optional on AWS (the VPC's default group) but moto's
    CreateService/UpdateService/CreateTaskSet need the key."""
    network = params.get("networkConfiguration")
    if not network or "securityGroups" in (network.get("awsvpcConfiguration") or {}):
        return params
    try:
        network = with_default_security_group(network, req.account_id, req.region)
    except Exception:  # noqa: BLE001 - an unknown subnet: let moto name the error
        network = {**network, "awsvpcConfiguration": {**network.get("awsvpcConfiguration", {}), "securityGroups": []}}
    return {**params, "networkConfiguration": network}


def _service(req: Request, cluster: str | None, service: str) -> Any:
    return req.lab.moto.ecs(req.region)._get_service(cluster or "default", service.split("/")[-1])  # type: ignore[union-attr]


# ------------------------------------------------------------------ tasks
def _cluster_and_task_definition(backend: Any, params: dict) -> tuple[Any, Any]:
    """The cluster and task definition a RunTask or StartTask names; moto raises when either is unknown."""
    return backend._get_cluster(params.get("cluster") or "default"), backend.describe_task_definition(params.get("taskDefinition") or "")


@intercept("ecs", "RunTask")
def run_task(req: Request) -> Response:
    controller = _controller(req)
    params = req.params
    backend = req.lab.moto.ecs(req.region)  # type: ignore[union-attr]
    try:
        cluster, task_definition = _cluster_and_task_definition(backend, params)
    except ServiceException as exc:
        return _moto_error(req, exc)
    count = int(params.get("count") or 1)
    if not 1 <= count <= 10:
        return _invalid(req, "count must be between 1 and 10.")
    if task_definition.network_mode == "awsvpc" and not params.get("networkConfiguration"):
        return _invalid(req, "Network Configuration must be provided when networkMode 'awsvpc' is specified.")
    if params.get("launchType") and params.get("capacityProviderStrategy"):
        return _invalid(req, "Specify either Launch Type or Capacity Provider Strategy, but not both.")
    strategy = params.get("capacityProviderStrategy") or []
    launch_type = params.get("launchType") or ("FARGATE" if "FARGATE" in task_definition.compatibilities and not strategy else "EC2")
    tasks = [
        controller.engine.create_task(
            region=req.region,
            cluster=cluster,
            task_definition=task_definition,
            launch_type=launch_type,
            group=params.get("group") or f"family:{task_definition.family}",
            started_by=params.get("startedBy") or "",
            network_configuration=params.get("networkConfiguration"),
            overrides=params.get("overrides"),
            tags=params.get("tags"),
            platform_version=params.get("platformVersion") or ("1.4.0" if launch_type == "FARGATE" else None),
            capacity_provider_name=strategy[0]["capacityProvider"] if strategy else None,
        )
        for _ in range(count)
    ]
    return json_response({"tasks": [model.render_task(t) for t in tasks], "failures": []})


@intercept("ecs", "StartTask")
def start_task(req: Request) -> Response:
    controller = _controller(req)
    params = req.params
    backend = req.lab.moto.ecs(req.region)  # type: ignore[union-attr]
    try:
        cluster, task_definition = _cluster_and_task_definition(backend, params)
    except ServiceException as exc:
        return _moto_error(req, exc)
    instances = params.get("containerInstances") or []
    if not instances:
        return _invalid(req, "Container Instances cannot be empty.")
    known = backend.container_instances.get(cluster.name, {})
    failures = [{"arn": ref, "reason": "MISSING"} for ref in instances if ref.split("/")[-1] not in known]
    tasks = [
        controller.engine.create_task(
            region=req.region,
            cluster=cluster,
            task_definition=task_definition,
            launch_type="EC2",
            group=params.get("group") or f"family:{task_definition.family}",
            started_by=params.get("startedBy") or "",
            network_configuration=params.get("networkConfiguration"),
            overrides=params.get("overrides"),
            tags=params.get("tags"),
        )
        for ref in instances
        if ref.split("/")[-1] in known
    ]
    return json_response({"tasks": [model.render_task(t) for t in tasks], "failures": failures})


@intercept("ecs", "StopTask")
def stop_task(req: Request) -> Response:
    controller = _controller(req)
    backend = req.lab.moto.ecs(req.region)  # type: ignore[union-attr]
    try:
        cluster = backend._get_cluster(req.params.get("cluster") or "default")
    except ServiceException as exc:
        return _moto_error(req, exc)
    task = controller.engine.find(cluster.name, req.params.get("task") or "")
    if task is None:
        return _invalid(req, "The referenced task was not found.")
    controller.engine.request_stop(task, req.params.get("reason") or "Task stopped by user", model.USER_INITIATED)
    return json_response({"task": model.render_task(task)})


@intercept("ecs", "DescribeTasks")
def describe_tasks(req: Request) -> Response:
    controller = _controller(req)
    backend = req.lab.moto.ecs(req.region)  # type: ignore[union-attr]
    try:
        cluster = backend._get_cluster(req.params.get("cluster") or "default")
    except ServiceException as exc:
        return _moto_error(req, exc)
    refs = req.params.get("tasks") or []
    if not refs:
        return _invalid(req, "Tasks cannot be empty.")
    if len(refs) > 100:
        return _invalid(req, "Tasks cannot have more than 100 elements.")
    include_tags = "TAGS" in (req.params.get("include") or [])
    found, failures = [], []
    for ref in refs:
        task = controller.engine.find(cluster.name, ref)
        if task is None:
            arn = ref if ref.startswith("arn:") else f"arn:aws:ecs:{req.region}:{req.account_id}:task/{cluster.name}/{ref}"
            failures.append({"arn": arn, "reason": "MISSING"})
        else:
            found.append(model.render_task(task, include_tags))
    return json_response({"tasks": found, "failures": failures})


def list_tasks_matches(task: model.TaskRecord, cluster_name: str, params: dict[str, Any]) -> bool:
    """The ListTasks filters; desiredStatus defaults to RUNNING as on AWS."""
    if task.cluster_name != cluster_name:
        return False
    if task.desired_status != (params.get("desiredStatus") or model.RUNNING):
        return False
    service = (params.get("serviceName") or "").split("/")[-1]
    if service and task.service_name != service:
        return False
    if params.get("family") and task.family != params["family"]:
        return False
    if params.get("startedBy") and task.started_by != params["startedBy"]:
        return False
    if params.get("launchType") and task.launch_type != params["launchType"]:
        return False
    return not params.get("containerInstance")


@intercept("ecs", "ListTasks")
def list_tasks(req: Request) -> Response:
    controller = _controller(req)
    backend = req.lab.moto.ecs(req.region)  # type: ignore[union-attr]
    try:
        cluster = backend._get_cluster(req.params.get("cluster") or "default")
    except ServiceException as exc:
        return _moto_error(req, exc)
    arns = [t.arn for t in controller.engine.tasks.values() if t.region == req.region and list_tasks_matches(t, cluster.name, req.params)]
    start = int(req.params.get("nextToken") or 0)
    size = int(req.params.get("maxResults") or LIST_TASKS_MAX)
    body: dict[str, Any] = {"taskArns": arns[start : start + size]}
    if start + size < len(arns):
        body["nextToken"] = str(start + size)
    return json_response(body)


# ------------------------------------------------------------------ services
@intercept("ecs", "CreateService")
def create_service(req: Request) -> Response:
    controller = _controller(req)
    params = req.params
    response = _rewritten(req, _with_default_security_groups(req, params)).call_moto()
    if response.status_code >= 300:
        return response
    service = _service(req, params.get("cluster"), params["serviceName"])
    _keep_service_fields(service, params)
    if params.get("capacityProviderStrategy") and not params.get("launchType"):
        # moto calls it EC2; ECS gives a service placed by capacity providers no launch type.
        service.launch_type = None
    service.deployment_configuration = normalized_deployment_configuration(params.get("deploymentConfiguration"), controller_type(service))
    if service.load_balancers and getattr(service, "health_check_grace_period_seconds", None) is None:
        service.health_check_grace_period_seconds = 0
    controller.scheduler.reset(req.region, service)
    if controller_type(service) == "CODE_DEPLOY" and service.task_definition:
        _create_initial_task_set(req, service)
    return _patched(response, "service", _extra_fields(service) | controller.scheduler.publish(service))


def _create_initial_task_set(req: Request, service: Any) -> None:
    """CreateService with the CODE_DEPLOY controller starts one PRIMARY task set
    (the service's task definition, load balancers and network, scale 100 %)."""
    backend = req.lab.moto.ecs(req.region)  # type: ignore[union-attr]
    task_set = backend.create_task_set(
        service.arn,
        service.cluster_name,
        service.task_definition,
        network_configuration=service.network_configuration or None,
        load_balancers=list(service.load_balancers or []),
        service_registries=list(service.service_registries or []),
        launch_type=service.launch_type,
        platform_version=service.platform_version,
        scale=None,
    )
    task_set.scale = {"value": 100.0, "unit": "PERCENT"}
    task_set.status = "PRIMARY"
    task_set.stabilityStatus = "STABILIZING"
    task_set.computed_desired_count = computed_desired_count(service, task_set)
    task_set.running_count = task_set.pending_count = 0


@intercept("ecs", "UpdateService")
def update_service(req: Request) -> Response:
    controller = _controller(req)
    params = req.params
    try:
        service = _service(req, params.get("cluster"), params.get("service") or "")
    except ServiceException as exc:
        return _moto_error(req, exc)
    if controller_type(service) == "CODE_DEPLOY" and params.get("taskDefinition"):
        return _invalid(req, CODE_DEPLOY_TD_MESSAGE)
    before = _deployment_inputs(service)
    previous_config = dict(getattr(service, "deployment_configuration", None) or {})
    response = _rewritten(req, _with_default_security_groups(req, params)).call_moto()
    if response.status_code >= 300:
        return response
    backend = req.lab.moto.ecs(req.region)  # type: ignore[union-attr]
    service.task_definition = backend.describe_task_definition(service.task_definition).arn if service.task_definition else None
    service.deployment_configuration = normalized_deployment_configuration(params.get("deploymentConfiguration"), controller_type(service), previous_config)
    controller.scheduler.state_of(req.region, service)
    if controller_type(service) == "ECS" and (params.get("forceNewDeployment") or _deployment_inputs(service) != before):
        controller.scheduler.new_deployment(req.region, service)
    return _patched(response, "service", _extra_fields(service) | controller.scheduler.publish(service))


@intercept("ecs", "DeleteService")
def delete_service(req: Request) -> Response:
    controller = _controller(req)
    response = req.call_moto()
    if response.status_code >= 300:
        return response
    service = _service(req, req.params.get("cluster"), req.params.get("service") or "")
    if any(t.active for t in controller.engine.of_service(req.region, service.cluster_name, service.name)):
        service.status = "DRAINING"
    return _patched(response, "service", {"status": service.status})


def _deployment_inputs(service: Any) -> tuple[Any, ...]:
    """What, changed by UpdateService, starts a new deployment."""
    return (
        service.task_definition,
        json.dumps(service.network_configuration or {}, sort_keys=True),
        service.platform_version,
        json.dumps(service.load_balancers or [], sort_keys=True),
        json.dumps(getattr(service, "capacity_provider_strategy", None) or [], sort_keys=True),
    )


def _keep_service_fields(service: Any, params: dict[str, Any]) -> None:
    for key, attribute in KEPT_SERVICE_FIELDS.items():
        if key in params:
            setattr(service, attribute, params[key])


def _extra_fields(service: Any) -> dict[str, Any]:
    fields = {key: getattr(service, attribute, None) for key, attribute in KEPT_SERVICE_FIELDS.items()}
    return {k: v for k, v in fields.items() if v is not None}


# ------------------------------------------------------------------ task sets
@intercept("ecs", "CreateTaskSet")
def create_task_set(req: Request) -> Response:
    _controller(req)
    params = req.params
    try:
        service = _service(req, params.get("cluster"), params.get("service") or "")
    except ServiceException as exc:
        return _moto_error(req, exc)
    if controller_type(service) == "ECS":
        return _invalid(req, ECS_CONTROLLER_MESSAGE)
    if len(service.task_sets) >= MAX_TASK_SETS:
        return _invalid(req, f"{len(service.task_sets)} deployments exist on the service. Unable to create new TaskSet since this exceeds the maximum limit.")
    # moto would start tasks itself for a scale (and fail without EC2 instances): the lab scales.
    stripped = _with_default_security_groups(req, {k: v for k, v in params.items() if k != "scale"})
    response = _rewritten(req, stripped).call_moto()
    if response.status_code >= 300:
        return response
    created = json.loads(response.get_data())["taskSet"]
    task_set = next(ts for ts in service.task_sets if ts.task_set_arn == created["taskSetArn"])
    task_set.scale = params.get("scale") or {"value": 100.0, "unit": "PERCENT"}
    task_set.stabilityStatus = "STABILIZING"
    task_set.computed_desired_count = computed_desired_count(service, task_set)
    task_set.running_count = task_set.pending_count = 0
    fields = {
        "scale": task_set.scale,
        "stabilityStatus": "STABILIZING",
        "computedDesiredCount": task_set.computed_desired_count,
        "runningCount": 0,
        "pendingCount": 0,
    }
    return _patched(response, "taskSet", fields)


# ECS-native BLUE_GREEN/LINEAR/CANARY (lab/ecs/native_api.py): imported last, so its CreateService and
# UpdateService interceptors wrap the ones above ("the last @intercept wins"). Added by the native helper.
from lab.ecs import native_api as native_api  # noqa: E402
