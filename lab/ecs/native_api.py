"""ECS operations of the ECS-native BLUE_GREEN, LINEAR and CANARY strategies.

CreateService and UpdateService are checked here (strategy, advancedConfiguration,
lifecycle hooks) and then answered by the ECS package's interceptors, which this module
wraps: it is imported after them (see the last line of ``lab.ecs.intercept``). An
UpdateService that starts a new deployment of a service with a native strategy becomes a
service deployment of ``lab.ecs.native``. moto lacks the service-deployment operations:
ListServiceDeployments, DescribeServiceDeployments, DescribeServiceRevisions,
StopServiceDeployment and ContinueServiceDeployment are answered here; the first three cover
rolling updates too (``lab.ecs.rolling_history``).

Pages: ECS API Reference for each operation; "Amazon ECS blue/green deployments"
(deployment-type-blue-green.html); "Lifecycle hooks for Amazon ECS service deployments".
"""

from __future__ import annotations

from typing import Any

from moto.core.exceptions import ServiceException

from lab.ecs import native_lifecycle as nl
from lab.ecs.native import DeploymentError, NativeEngine
from lab.ecs.rolling_history import RollingHistory
from lab.ecs.services import controller_type, normalized_deployment_configuration
from lab.server import intercept, interceptor_for
from lab.wire import Request, Response, aws_error, json_response

MAX_RESULTS = 100

# the ECS package's answers, which the native ones wrap
_ecs_create_service = interceptor_for("ecs", "CreateService")
_ecs_update_service = interceptor_for("ecs", "UpdateService")


def engine_of(req: Request) -> NativeEngine:
    return NativeEngine.install(req.lab)  # type: ignore[arg-type]


def _delegate(handler: Any, req: Request) -> Response:
    response = handler(req) if handler is not None else None
    return response if response is not None else req.call_moto()


def _moto_error(req: Request, exc: ServiceException) -> Response:
    return aws_error(req, getattr(exc, "code", "ClientException"), getattr(exc, "message", str(exc)))


def _service(req: Request, cluster: str | None, service: str) -> Any:
    return req.lab.moto.ecs(req.region)._get_service(cluster or "default", service.split("/")[-1])  # type: ignore[union-attr]


# ------------------------------------------------------------------ CreateService / UpdateService
@intercept("ecs", "CreateService")
def create_service(req: Request) -> Response:
    params = req.params
    controller = (params.get("deploymentController") or {}).get("type") or "ECS"
    error = nl.config_error(params.get("deploymentConfiguration"), params.get("loadBalancers"), controller)
    if error:
        return aws_error(req, "InvalidParameterException", error)
    response = _delegate(_ecs_create_service, req)
    if response.status_code < 300 and nl.is_native(params.get("deploymentConfiguration")):
        engine = engine_of(req)
        engine.record_revision(req.region, _service(req, params.get("cluster"), params["serviceName"]))
    return response


@intercept("ecs", "UpdateService")
def update_service(req: Request) -> Response:
    params = req.params
    try:
        service = _service(req, params.get("cluster"), params.get("service") or "")
    except ServiceException as exc:
        return _moto_error(req, exc)
    kept = dict(getattr(service, "deployment_configuration", None) or {})
    # A new strategy takes its own settings: the old strategy's canary or linear settings go.
    previous = nl.settings_for_strategy(kept, (params.get("deploymentConfiguration") or {}).get("strategy"))
    config = normalized_deployment_configuration(params.get("deploymentConfiguration"), controller_type(service), previous)
    error = nl.config_error(config, params.get("loadBalancers") or service.load_balancers, controller_type(service))
    if error:
        return aws_error(req, "InvalidParameterException", error)
    native = getattr(req.lab, "ecs_native", None)
    if not nl.is_native(config) and native is None:
        return _update_from(service, previous, kept, req)
    engine = engine_of(req)
    running = engine.active_for(req.region, service.cluster_name, service.name)
    if running is not None and (params.get("taskDefinition") or params.get("forceNewDeployment") or params.get("loadBalancers")):
        return aws_error(
            req, "InvalidParameterException", f"The service has a service deployment in progress ({running.arn}). Stop it or wait for it to finish."
        )
    state = engine.ecs.scheduler.state_of(req.region, service)
    blue = state.primary
    source_revision = engine.revision_of(req.region, service)
    response = _update_from(service, previous, kept, req)
    if response.status_code >= 300:
        return response
    green = state.primary
    if nl.is_native(config) and green is not None and green is not blue:
        engine.start(req.region, service, source_revision, blue, green)
    return response


def _update_from(service: Any, previous: dict[str, Any], kept: dict[str, Any], req: Request) -> Response:
    """The ECS package's UpdateService, merging onto ``previous``; ``kept`` is restored when it fails."""
    service.deployment_configuration = previous
    response = _delegate(_ecs_update_service, req)
    if response.status_code >= 300:
        service.deployment_configuration = kept
    return response


# ------------------------------------------------------------------ service deployments
@intercept("ecs", "ListServiceDeployments")
def list_service_deployments(req: Request) -> Response:
    params = req.params
    try:
        service = _service(req, params.get("cluster"), params.get("service") or "")
    except ServiceException as exc:
        return _moto_error(req, exc)
    engine = engine_of(req)
    statuses = set(params.get("status") or [])
    created = params.get("createdAt") or {}
    rolling = _rolling_history(req, engine, service)
    briefs = [engine.brief(d) for d in engine.of_service(service.arn)] + [rolling.render(source, d, brief=True) for source, d in rolling.updates()]
    found = [
        brief
        for brief in sorted(briefs, key=lambda b: b["createdAt"], reverse=True)
        if (not statuses or brief["status"] in statuses) and _in_range(brief["createdAt"], created.get("after"), created.get("before"))
    ]
    start = int(params.get("nextToken") or 0)
    size = int(params.get("maxResults") or MAX_RESULTS)
    body: dict[str, Any] = {"serviceDeployments": found[start : start + size]}
    if start + size < len(found):
        body["nextToken"] = str(start + size)
    return json_response(body)


def _rolling_history(req: Request, engine: NativeEngine, service: Any) -> RollingHistory:
    """The service's rolling updates (lab.ecs.rolling_history), besides the native engine's records."""
    state = engine.ecs.scheduler.state_of(req.region, service)
    native_greens = {d.green_deployment_id for d in engine.of_service(service.arn)}
    return RollingHistory(req.lab, req.region, service, state, native_greens, engine.revisions)


def _rolling_records(req: Request, engine: NativeEngine) -> dict[str, tuple[RollingHistory, Any, Any]]:
    """{service deployment ARN: (history, source, deployment)} of the rolling updates of the
    services the requested ARNs name."""
    found: dict[str, tuple[RollingHistory, Any, Any]] = {}
    for arn in req.params.get("serviceDeploymentArns") or []:
        parts = arn.split(":", 5)[-1].split("/", 3)  # the deployment id (ecs-svc/...) holds a slash
        if len(parts) != 4 or parts[0] != "service-deployment" or arn in found:
            continue
        try:
            service = _service(req, parts[1], parts[2])
        except ServiceException:
            continue
        rolling = _rolling_history(req, engine, service)
        found.update({rolling.arn(d): (rolling, source, d) for source, d in rolling.updates()})
    return found


def _in_range(value: float, after: Any, before: Any) -> bool:
    return (after is None or value >= float(after)) and (before is None or value <= float(before))


@intercept("ecs", "DescribeServiceDeployments")
def describe_service_deployments(req: Request) -> Response:
    arns = req.params.get("serviceDeploymentArns") or []
    if not arns:
        return aws_error(req, "InvalidParameterException", "serviceDeploymentArns cannot be empty.")
    engine = engine_of(req)
    rolling = _rolling_records(req, engine)
    found = [engine.render(engine.deployments[arn]) for arn in arns if arn in engine.deployments]
    found += [rolling[arn][0].render(rolling[arn][1], rolling[arn][2], brief=False) for arn in arns if arn in rolling]
    failures = [{"arn": arn, "reason": "MISSING"} for arn in arns if arn not in engine.deployments and arn not in rolling]
    return json_response({"serviceDeployments": found, "failures": failures})


@intercept("ecs", "DescribeServiceRevisions")
def describe_service_revisions(req: Request) -> Response:
    arns = req.params.get("serviceRevisionArns") or []
    if not arns:
        return aws_error(req, "InvalidParameterException", "serviceRevisionArns cannot be empty.")
    engine = engine_of(req)
    found = [engine.revisions[arn] for arn in arns if arn in engine.revisions]
    failures = [{"arn": arn, "reason": "MISSING"} for arn in arns if arn not in engine.revisions]
    return json_response({"serviceRevisions": found, "failures": failures})


def _deployment(req: Request) -> Any:
    arn = req.params.get("serviceDeploymentArn") or ""
    record = engine_of(req).deployments.get(arn)
    if record is None:
        raise DeploymentError("ServiceDeploymentNotFoundException", f"The service deployment {arn} does not exist.")
    return record


@intercept("ecs", "StopServiceDeployment")
def stop_service_deployment(req: Request) -> Response:
    stop_type = req.params.get("stopType") or nl.ROLLBACK
    if stop_type not in (nl.ABORT, nl.ROLLBACK):
        return aws_error(req, "InvalidParameterException", f"Invalid stopType {stop_type!r}: valid values are ABORT, ROLLBACK.")
    try:
        record = _deployment(req)
        engine_of(req).stop(record, stop_type)
    except DeploymentError as exc:
        return aws_error(req, exc.code, exc.message)
    return json_response({"serviceDeploymentArn": record.arn})


@intercept("ecs", "ContinueServiceDeployment")
def continue_service_deployment(req: Request) -> Response:
    action = req.params.get("action") or nl.CONTINUE
    if action not in (nl.CONTINUE, nl.ROLLBACK):
        return aws_error(req, "InvalidParameterException", f"Invalid action {action!r}: valid values are CONTINUE, ROLLBACK.")
    try:
        record = _deployment(req)
        engine_of(req).continue_(record, req.params.get("hookId") or "", action)
    except DeploymentError as exc:
        return aws_error(req, exc.code, exc.message)
    return json_response({"serviceDeploymentArn": record.arn})
