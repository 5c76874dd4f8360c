"""CodeDeploy deployment operations for the ECS compute platform, answered by the lab.

moto stores deployments without ever running them and lacks StopDeployment,
ContinueDeployment and the deployment-target operations. For applications on the ECS
compute platform the lab answers them from the engine's record (``engine.Deployment``);
deployments of other compute platforms keep moto's answers.

Operations (CodeDeploy API Reference): CreateDeployment, GetDeployment,
BatchGetDeployments, ListDeployments, StopDeployment, ContinueDeployment,
GetDeploymentTarget, ListDeploymentTargets, BatchGetDeploymentTargets.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from lab.codedeploy import lifecycle as lc
from lab.codedeploy.engine import (
    ECS_DEFAULT_CONFIG,
    SERVER_DEFAULT_CONFIG,
    CodeDeployEngine,
    ContinueError,
    Deployment,
    TaskSetView,
    deployment_config_info,
    moto_time,
)
from lab.codedeploy.store import CodeDeployError, application_of, group_of
from lab.server import intercept
from lab.wire import Request, Response, aws_error, json_response

if TYPE_CHECKING:
    from lab.server import Lab

MAX_BATCH_TARGETS = 25
MAX_BATCH_DEPLOYMENTS = 100
STATUSES = ("Created", "Queued", "InProgress", "Baking", "Succeeded", "Failed", "Stopped", "Ready")


def engine_of(lab: Lab) -> CodeDeployEngine:
    """The lab's engine; installed (and registered as a controller) on first use when no
    ``setup`` did it."""
    engine = getattr(lab, "codedeploy_engine", None)
    if engine is None:
        engine = CodeDeployEngine.install(lab)
        lab.add_controller(engine)
    return engine


def answered(handler: Any) -> Any:
    """Turns a CodeDeployError raised by a handler into the AWS error response."""

    def wrapper(req: Request) -> Response | None:
        try:
            return handler(req)
        except CodeDeployError as exc:
            return aws_error(req, exc.code, exc.message)

    wrapper.__name__ = handler.__name__
    wrapper.__doc__ = handler.__doc__
    return wrapper


# CreateDeployment ------------------------------------------------------------------------------


@intercept("codedeploy", "CreateDeployment")
@answered
def create_deployment(req: Request) -> Response | None:
    assert req.lab is not None
    params = req.params
    backend = req.lab.moto.codedeploy(req.region)
    application = application_of(backend, params.get("applicationName"))
    if application.compute_platform != "ECS":
        return None  # EC2/on-premises and Lambda deployments stay moto's
    group = group_of(backend, application.application_name, params.get("deploymentGroupName"))
    if not params.get("revision"):
        raise CodeDeployError("RevisionRequiredException", "RevisionLocation must be specified")
    engine = engine_of(req.lab)
    active = engine.active_in_group(req.region, application.application_name, group.deployment_group_name)
    if active is not None:
        raise CodeDeployError(
            "DeploymentLimitExceededException", f"The Deployment Group '{group.deployment_group_name}' already has an active Deployment '{active.id}'"
        )
    record = new_record(req, engine, group, params)
    engine.add(record)
    return json_response({"deploymentId": record.id})


def new_record(req: Request, engine: CodeDeployEngine, group: Any, params: dict[str, Any]) -> Deployment:
    """Validates everything AWS checks before accepting an ECS deployment."""
    assert req.lab is not None
    config_name, routing = routing_of(req.region, params.get("deploymentConfigName") or str(group.deployment_config_name or ""))
    settings = settings_of(group)
    appspec = appspec_of(req.lab, params["revision"])
    task_definition = engine.platform.task_definition(req.region, appspec.task_definition)
    if task_definition is None:
        raise CodeDeployError("InvalidRevisionException", f"The task definition {appspec.task_definition} in the AppSpec file does not exist.")
    mismatch = lc.container_mismatch(appspec, task_definition[1])
    if mismatch:
        raise CodeDeployError("InvalidRevisionException", mismatch)
    check_service(engine, req.region, settings)
    return Deployment(
        id="",
        region=req.region,
        application=group.application.application_name,
        group=group.deployment_group_name,
        config_name=config_name,
        routing=routing,
        settings=settings,
        appspec=appspec,
        task_definition_arn=task_definition[0],
        revision=params["revision"],
        create_time=datetime.now(UTC),
        description=params.get("description"),
        auto_rollback=params.get("autoRollbackConfiguration") or dict(group.auto_rollback_configuration or {}),
        override_alarms=params.get("overrideAlarmConfiguration"),
    )


def routing_of(region: str, name: str) -> tuple[str, lc.TrafficRouting]:
    if not name or name == SERVER_DEFAULT_CONFIG:
        name = ECS_DEFAULT_CONFIG
    info = deployment_config_info(region, name)
    if info is None:
        raise CodeDeployError("DeploymentConfigDoesNotExistException", f"The deployment configuration {name} does not exist with the user or AWS account.")
    if info.get("computePlatform", "ECS") != "ECS":
        raise CodeDeployError(
            "InvalidDeploymentConfigNameException",
            f"The deployment configuration {name} is for the {info.get('computePlatform')} compute platform, not ECS.",
        )
    try:
        return name, lc.traffic_routing_from(info)
    except lc.ConfigError as exc:
        raise CodeDeployError("InvalidDeploymentConfigNameException", str(exc)) from None


def settings_of(group: Any) -> lc.GroupSettings:
    alarms = group.alarm_configuration
    if alarms is not None and not isinstance(alarms, dict):
        alarms = {"enabled": alarms.enabled, "alarms": alarms.alarms, "ignorePollAlarmFailure": alarms.ignore_poll_alarm_failure}
    try:
        return lc.group_settings(
            group.ecs_services,
            group.load_balancer_info,
            group.blue_green_deployment_configuration,
            group.auto_rollback_configuration,
            alarms,
        )
    except lc.GroupError as exc:
        raise CodeDeployError(exc.code, str(exc)) from None


def appspec_of(lab: Lab, revision: dict[str, Any]) -> lc.AppSpec:
    try:
        if revision.get("revisionType") == "S3":
            content, sha256 = s3_content(lab, revision.get("s3Location") or {}), None
        else:
            content, sha256 = lc.revision_content(revision)
        lc.check_sha256(content, sha256)
        return lc.parse_appspec(content)
    except lc.AppSpecError as exc:
        raise CodeDeployError("InvalidRevisionException", str(exc)) from None


def s3_content(lab: Lab, location: dict[str, Any]) -> str:
    """An AppSpec stored in the lab's (moto's) S3, bundleType YAML or JSON."""
    if location.get("bundleType", "YAML") not in ("YAML", "JSON"):
        raise lc.AppSpecError("An ECS AppSpec in Amazon S3 must have bundleType YAML or JSON.")
    try:
        found = lab.moto.backend("s3", "aws").get_object(location.get("bucket"), location.get("key"), location.get("version"))
    except Exception:  # noqa: BLE001 - moto raises MissingBucket / MissingKey
        found = None
    if found is None:
        raise lc.AppSpecError(f"The AppSpec s3://{location.get('bucket')}/{location.get('key')} does not exist.")
    return found.value.decode("utf-8")


def check_service(engine: CodeDeployEngine, region: str, settings: lc.GroupSettings) -> None:
    view = engine.platform.service(region, settings.cluster, settings.service)
    if view is None:
        raise CodeDeployError("InvalidECSServiceException", f"The ECS service {settings.service} in cluster {settings.cluster} does not exist.")
    if view.controller != "CODE_DEPLOY":
        raise CodeDeployError("InvalidECSServiceException", "Deployment group's ECS service must be configured for a CODE_DEPLOY deployment controller.")


# reading deployments -------------------------------------------------------------------------------


@intercept("codedeploy", "GetDeployment")
@answered
def get_deployment(req: Request) -> Response | None:
    assert req.lab is not None
    record = engine_of(req.lab).get(deployment_id_of(req))
    if record is None:
        return None  # moto's deployments, or moto's DeploymentDoesNotExistException
    return json_response({"deploymentInfo": render_deployment(req.lab, engine_of(req.lab), record)})


@intercept("codedeploy", "BatchGetDeployments")
@answered
def batch_get_deployments(req: Request) -> Response | None:
    assert req.lab is not None
    ids = req.params.get("deploymentIds") or []
    if len(ids) > MAX_BATCH_DEPLOYMENTS:
        raise CodeDeployError("BatchLimitExceededException", f"The maximum number of deployment IDs ({MAX_BATCH_DEPLOYMENTS}) was exceeded.")
    engine = engine_of(req.lab)
    backend = req.lab.moto.codedeploy(req.region)
    infos = []
    for deployment_id in ids:
        record = engine.get(deployment_id)
        if record is not None:
            infos.append(render_deployment(req.lab, engine, record))
        elif deployment_id in backend.deployments:
            from moto.codedeploy.responses import _deployment_info

            infos.append(_deployment_info(backend.deployments[deployment_id]))
    return json_response({"deploymentsInfo": infos})


@intercept("codedeploy", "ListDeployments")
@answered
def list_deployments(req: Request) -> Response:
    assert req.lab is not None
    params = req.params
    backend = req.lab.moto.codedeploy(req.region)
    application, group = params.get("applicationName"), params.get("deploymentGroupName")
    if application and not group:
        raise CodeDeployError("DeploymentGroupNameRequiredException", "If applicationName is specified, then deploymentGroupName must be specified.")
    if group and not application:
        raise CodeDeployError("ApplicationNameRequiredException", "If deploymentGroupName is specified, applicationName must be specified.")
    if application:
        group_of(backend, application_of(backend, application).application_name, group)
    statuses = params.get("includeOnlyStatuses") or []
    unknown = [s for s in statuses if s not in STATUSES]
    if unknown:
        raise CodeDeployError("InvalidDeploymentStatusException", f"The deployment status {unknown[0]} is not valid.")
    engine = engine_of(req.lab)
    found = []
    for info in backend.deployments.values():
        record = engine.get(info.deployment_id)
        status = record.status if record else info.status
        created = record.create_time if record else info.create_time
        if application and (info.application_name, info.deployment_group_name) != (application, group):
            continue
        if statuses and status not in statuses:
            continue
        if not in_time_range(created, params.get("createTimeRange") or {}):
            continue
        found.append((created, info.deployment_id))
    found.sort(key=lambda item: epoch(item[0]), reverse=True)
    return json_response({"deployments": [deployment_id for _, deployment_id in found]})


def epoch(value: datetime) -> float:
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).timestamp()


def in_time_range(created: datetime, time_range: dict[str, Any]) -> bool:
    start, end = time_range.get("start"), time_range.get("end")
    if start is not None and end is not None and float(start) > float(end):
        raise CodeDeployError("InvalidTimeRangeException", "The start time must be earlier than the end time.")
    moment = epoch(created)
    return (start is None or moment >= float(start)) and (end is None or moment <= float(end))


def render_deployment(lab: Lab, engine: CodeDeployEngine, d: Deployment) -> dict[str, Any]:
    """``DeploymentInfo`` of an ECS deployment."""
    group = lab.moto.codedeploy(d.region).deployment_groups.get(d.application, {}).get(d.group)
    body: dict[str, Any] = {
        "applicationName": d.application,
        "deploymentGroupName": d.group,
        "deploymentConfigName": d.config_name,
        "deploymentId": d.id,
        "revision": d.revision,
        "status": d.status,
        "createTime": d.create_time,
        "deploymentOverview": lc.deployment_overview(d.status),
        "creator": d.creator,
        "ignoreApplicationStopFailures": False,
        "updateOutdatedInstancesOnly": False,
        "deploymentStyle": (group.deployment_style if group else None) or {"deploymentType": "BLUE_GREEN", "deploymentOption": "WITH_TRAFFIC_CONTROL"},
        "instanceTerminationWaitTimeStarted": d.termination_wait_started,
        "computePlatform": "ECS",
        "deploymentStatusMessages": [],
    }
    if group is not None:
        body["blueGreenDeploymentConfiguration"] = lc.blue_green_answer(group.blue_green_deployment_configuration)
        body["loadBalancerInfo"] = group.load_balancer_info
    optional = {
        "description": d.description,
        "startTime": d.start_time,
        "completeTime": d.complete_time,
        "errorInformation": d.error,
        "rollbackInfo": d.rollback_info,
        "autoRollbackConfiguration": d.auto_rollback or None,
        "overrideAlarmConfiguration": d.override_alarms,
        "previousRevision": previous_revision(engine, d),
    }
    body.update({k: v for k, v in optional.items() if v})
    return body


def previous_revision(engine: CodeDeployEngine, d: Deployment) -> dict[str, Any] | None:
    earlier = [
        other
        for other in engine.deployments.values()
        if other.status == lc.SUCCEEDED
        and (other.region, other.application, other.group) == (d.region, d.application, d.group)
        and other.create_time < d.create_time
    ]
    latest = max(earlier, key=lambda other: other.create_time, default=None)
    return latest.revision if latest else None


# StopDeployment and ContinueDeployment ----------------------------------------------------------------


def deployment_id_of(req: Request) -> str:
    deployment_id = req.params.get("deploymentId")
    if not deployment_id:
        raise CodeDeployError("DeploymentIdRequiredException", "At least one deployment ID must be specified.")
    return deployment_id


def not_found(deployment_id: str) -> CodeDeployError:
    return CodeDeployError("DeploymentDoesNotExistException", f"The deployment {deployment_id} does not exist with the user or AWS account.")


def completed(deployment_id: str) -> CodeDeployError:
    return CodeDeployError("DeploymentAlreadyCompletedException", f"The deployment {deployment_id} has already completed.")


@intercept("codedeploy", "StopDeployment")
@answered
def stop_deployment(req: Request) -> Response:
    assert req.lab is not None
    deployment_id = deployment_id_of(req)
    record = engine_of(req.lab).get(deployment_id)
    if record is None:
        return stop_moto_deployment(req, deployment_id)
    if not record.active:
        raise completed(deployment_id)
    rollback = req.params.get("autoRollbackEnabled")
    status, message = engine_of(req.lab).stop(record, None if rollback is None else bool(rollback))
    return json_response({"status": status, "statusMessage": message})


def stop_moto_deployment(req: Request, deployment_id: str) -> Response:
    """moto has no StopDeployment: a deployment of another compute platform just stops."""
    assert req.lab is not None
    info = req.lab.moto.codedeploy(req.region).deployments.get(deployment_id)
    if info is None:
        raise not_found(deployment_id)
    if info.status in lc.FINAL_STATUSES:
        raise completed(deployment_id)
    info.status = lc.STOPPED
    info.complete_time = moto_time(datetime.now(UTC))
    return json_response({"status": "Succeeded", "statusMessage": f"Deployment {deployment_id} stopped."})


@intercept("codedeploy", "ContinueDeployment")
@answered
def continue_deployment(req: Request) -> Response:
    assert req.lab is not None
    deployment_id = deployment_id_of(req)
    record = engine_of(req.lab).get(deployment_id)
    if record is None:
        if deployment_id in req.lab.moto.codedeploy(req.region).deployments:
            raise CodeDeployError("UnsupportedActionForDeploymentTypeException", "The lab continues ECS blue/green deployments only.")
        raise not_found(deployment_id)
    if not record.active:
        raise completed(deployment_id)
    try:
        engine_of(req.lab).continue_(record, req.params.get("deploymentWaitType") or "READY_WAIT")
    except ContinueError as exc:
        raise CodeDeployError(exc.code, exc.message) from None
    return json_response({})


# deployment targets -----------------------------------------------------------------------------------


def started_record(req: Request) -> Deployment:
    assert req.lab is not None
    deployment_id = deployment_id_of(req)
    record = engine_of(req.lab).get(deployment_id)
    if record is None:
        if deployment_id in req.lab.moto.codedeploy(req.region).deployments:
            raise CodeDeployError("DeploymentNotStartedException", f"The deployment {deployment_id} has not started.")
        raise not_found(deployment_id)
    if record.status == lc.CREATED:
        raise CodeDeployError("DeploymentNotStartedException", f"The deployment {deployment_id} has not started.")
    return record


def checked_target(record: Deployment, target_id: str | None) -> str:
    if not target_id:
        raise CodeDeployError("DeploymentTargetIdRequiredException", "A deployment target ID was not provided.")
    if target_id != record.target_id:
        raise CodeDeployError("DeploymentTargetDoesNotExistException", f"The target {target_id} does not belong to the deployment {record.id}.")
    return target_id


@intercept("codedeploy", "GetDeploymentTarget")
@answered
def get_deployment_target(req: Request) -> Response:
    assert req.lab is not None
    record = started_record(req)
    checked_target(record, req.params.get("targetId"))
    return json_response({"deploymentTarget": render_target(engine_of(req.lab), record)})


@intercept("codedeploy", "BatchGetDeploymentTargets")
@answered
def batch_get_deployment_targets(req: Request) -> Response:
    assert req.lab is not None
    record = started_record(req)
    target_ids = req.params.get("targetIds") or []
    if not target_ids:
        raise CodeDeployError("DeploymentTargetIdRequiredException", "A deployment target ID was not provided.")
    if len(target_ids) > MAX_BATCH_TARGETS:
        raise CodeDeployError("DeploymentTargetListSizeExceededException", f"The maximum number of targets ({MAX_BATCH_TARGETS}) was exceeded.")
    for target_id in target_ids:
        checked_target(record, target_id)
    return json_response({"deploymentTargets": [render_target(engine_of(req.lab), record) for _ in target_ids]})


@intercept("codedeploy", "ListDeploymentTargets")
@answered
def list_deployment_targets(req: Request) -> Response:
    record = started_record(req)
    filters = req.params.get("targetFilters") or {}
    unknown = [name for name in filters if name not in ("TargetStatus", "ServerInstanceLabel")]
    if unknown:
        raise CodeDeployError("InvalidTargetFilterNameException", f"The target filter name {unknown[0]} is invalid.")
    wanted = filters.get("TargetStatus") or []
    status = lc.target_status(record.status)
    labels = filters.get("ServerInstanceLabel") or []
    matches = (not wanted or status in wanted) and not labels
    return json_response({"targetIds": [record.target_id] if matches else []})


def render_target(engine: CodeDeployEngine, d: Deployment) -> dict[str, Any]:
    """``DeploymentTarget`` of type ECSTarget with both task sets and their traffic weights."""
    task_sets = []
    if d.blue is not None:
        task_sets.append(task_set_info(engine, d, d.blue, lc.BLUE, d.blue_tg_name, 100 - d.green_weight))
    if d.green is not None:
        task_sets.append(task_set_info(engine, d, d.green, lc.GREEN, d.green_tg_name, d.green_weight))
    target: dict[str, Any] = {
        "deploymentId": d.id,
        "targetId": d.target_id,
        "targetArn": d.service_arn or "",
        "lastUpdatedAt": d.updated_at or d.create_time,
        "lifecycleEvents": lc.render_events(d.events),
        "status": lc.target_status(d.status),
        "taskSetsInfo": task_sets,
    }
    return {"deploymentTargetType": "ECSTarget", "ecsTarget": target}


def task_set_info(engine: CodeDeployEngine, d: Deployment, task_set: TaskSetView, label: str, target_group: str | None, weight: int) -> dict[str, Any]:
    # a deleted task set (blue after the termination wait, green after a rollback) drains to 0
    live = engine.platform.task_set_counts(d.region, d.settings.cluster, d.settings.service, task_set.arn)
    return {
        "identifer": task_set.id,  # sic: the API's field name
        "desiredCount": live.desired if live else 0,
        "pendingCount": live.pending if live else 0,
        "runningCount": live.running if live else 0,
        "status": live.status if live else "DRAINING",
        "trafficWeight": float(weight),
        "targetGroup": {"name": target_group or ""},
        "taskSetLabel": label,
    }
