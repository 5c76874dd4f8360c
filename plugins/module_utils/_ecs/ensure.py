# Copyright: cutover.ecs contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""ECS runners: read current state, ask ``plan`` what differs, act through ``api``.

Each ``ensure_*`` takes a :class:`Context` and the module's options as plain
data and returns the module result. In check mode they return the predicted
resource and make no mutating call.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Optional

from ansible_collections.cutover.ecs.plugins.module_utils._compare import merge
from ansible_collections.cutover.ecs.plugins.module_utils._ecs import api, plan
from ansible_collections.cutover.ecs.plugins.module_utils._ecs import service_plan as sp
from ansible_collections.cutover.ecs.plugins.module_utils._ecs import task_definition_plan as tdp
from ansible_collections.cutover.ecs.plugins.module_utils._elbv2 import api as elbv2_api
from ansible_collections.cutover.ecs.plugins.module_utils._errors import InvalidInput
from ansible_collections.cutover.ecs.plugins.module_utils._module import Change, Context, make_result, to_snake
from ansible_collections.cutover.ecs.plugins.module_utils._poller import Poller
from ansible_collections.cutover.ecs.plugins.module_utils._tags import predict_tags, tags_from_aws


def ensure_cluster(context: Context, options: Mapping[str, Any]) -> dict:
    client = context.client("ecs")
    name = options["name"]
    current = plan.current_cluster(api.describe_cluster(client, name))

    if options["state"] == "absent":
        if current is None:
            return make_result("cluster", Change("none"), None, context.diff_mode)
        change = Change("delete", before=current, after=None)
        if not context.check_mode:
            api.delete_cluster(client, name)
        return make_result("cluster", change, None, context.diff_mode)

    desired = plan.desired_cluster(options, current)
    fields = plan.plan_cluster(desired, current, options["purge_tags"])
    after = merge(current, desired)
    after["tags"] = predict_tags(desired.get("tags"), (current or {}).get("tags", {}), options["purge_tags"])
    after.setdefault("status", "ACTIVE")
    if current is None:
        change = Change("create", before=None, after=after, fields=fields)
    elif fields:
        change = Change("update", before=current, after=after, fields=fields)
    else:
        change = Change("none", before=current, after=current)

    if context.check_mode or not change.changed:
        return make_result("cluster", change, after, context.diff_mode)

    if change.action == "create":
        _create_cluster(client, desired)
    else:
        _update_cluster(client, name, desired, current, fields, options["purge_tags"])

    if options["wait"]:
        cluster = Poller(options["wait_timeout"], interval=2).wait(
            lambda: api.describe_cluster(client, name),
            lambda state: bool(state) and state.get("status") == "ACTIVE",
            f"ECS cluster {name} to become ACTIVE",
        )
    else:
        cluster = api.describe_cluster(client, name)
    return make_result("cluster", change, plan.current_cluster(cluster), context.diff_mode)


def _create_cluster(client: Any, desired: Mapping[str, Any]) -> None:
    params: dict = {"clusterName": desired["clusterName"]}
    for key in ("settings", "capacityProviders", "defaultCapacityProviderStrategy"):
        if desired.get(key) is not None:
            params[key] = desired[key]
    if desired.get("tags"):
        params["tags"] = [{"key": key, "value": value} for key, value in desired["tags"].items()]
    api.create_cluster(client, **params)


def _update_cluster(client: Any, name: str, desired: Mapping, current: Mapping, fields: list, purge_tags: bool) -> None:
    if "settings" in fields:
        api.update_cluster(client, cluster=name, settings=desired["settings"])
    if "capacityProviders" in fields or "defaultCapacityProviderStrategy" in fields:
        api.put_cluster_capacity_providers(
            client,
            cluster=name,
            capacityProviders=desired.get("capacityProviders", current.get("capacityProviders", [])),
            defaultCapacityProviderStrategy=desired.get("defaultCapacityProviderStrategy", current.get("defaultCapacityProviderStrategy", [])),
        )
    if "tags" in fields:
        to_set, to_remove = plan.plan_tags(desired.get("tags"), current.get("tags", {}), purge_tags)
        if to_set:
            api.tag_resource(client, current["clusterArn"], to_set)
        if to_remove:
            api.untag_resource(client, current["clusterArn"], to_remove)


# --- shared ---------------------------------------------------------------------


def _check_request(client: Any, operation: str, params: dict, what: str) -> None:
    problem = api.request_problems(client, operation, params)
    if problem:
        raise InvalidInput(f"Invalid {what}: {problem}")


def _apply_tags(client: Any, arn: str, to_set: Mapping, to_remove: list) -> None:
    if to_set:
        api.tag_resource(client, arn, dict(to_set))
    if to_remove:
        api.untag_resource(client, arn, to_remove)


# --- task definitions -----------------------------------------------------------


def _account(context: Context) -> tuple[str, str]:
    """(account id, partition) of the caller, to turn role names into ARNs."""
    identity = api.caller_identity(context.client("sts"))
    return identity["Account"], identity["Arn"].split(":")[1]


def _task_definition_view(definition: Mapping[str, Any], tags: Mapping[str, str]) -> dict:
    return {**definition, "tags": dict(tags)}


def ensure_task_definition(context: Context, options: Mapping[str, Any]) -> dict:
    tdp.validate_options(options)
    client = context.client("ecs")
    family = options["family"]
    active = [arn for arn in api.list_active_task_definitions(client, family) if tdp.family_of(arn) == family]
    if options["state"] == "absent":
        return _remove_task_definitions(context, client, options, active)

    latest_arn = tdp.latest_revision(active, family)
    latest = api.describe_task_definition(client, latest_arn) if latest_arn else None
    service = _running_service(client, options.get("running_in"))
    running = _running_revision(client, service, family)
    definition = _desired_definition(context, client, options, running or latest)
    problems = tdp.served_port_problems(definition, _load_balancers_served(options, service))
    if problems:
        raise InvalidInput("Invalid task definition: " + " ".join(problems), problems=problems)
    desired = tdp.normalise_definition(definition)
    # The service's revision first: a declared change is measured against what runs,
    # and a revision an earlier run registered (but never rolled out) is reused.
    candidates = [(found, tdp.normalise_definition(found["taskDefinition"])) for found in (running, latest) if found]
    compared, current, paths = tdp.closest_revision(desired, candidates)
    compared_arn = compared["taskDefinition"]["taskDefinitionArn"] if compared else None
    current_tags = plan.tags_from_aws(compared["tags"]) if compared else {}
    tags, to_set, to_remove = tdp.plan_revision_tags(bool(paths), options.get("tags"), current_tags, options["purge_tags"])
    new_arn, new_revision = tdp.predicted_arn(latest_arn, family) if paths else (compared_arn, None)
    kept = active + [new_arn] if paths and new_arn else list(active)
    stale = tdp.revisions_to_deregister(kept, options.get("keep_revisions"))

    before, after = tdp.difference(paths, desired, current)
    if not paths and (to_set or to_remove):
        before["tags"], after["tags"] = current_tags, tags
    if stale:
        before["active_revisions"] = sorted(kept, key=tdp.revision_number)
        after["active_revisions"] = [arn for arn in before["active_revisions"] if arn not in stale]
    changed = bool(paths or to_set or to_remove or stale)
    change = Change("create" if paths else ("update" if changed else "none"), before=before, after=after, fields=paths)
    running_arn = running["taskDefinition"]["taskDefinitionArn"] if running else None

    def result(revision: Mapping[str, Any], deregistered: list) -> dict:
        view = _task_definition_view(revision, tags)
        extra = dict(revision_created=bool(paths), deregistered=deregistered, running_task_definition=running_arn, differing_fields=paths)
        return make_result("task_definition", change, view, context.diff_mode, **extra)

    if context.check_mode or not changed:
        predicted = dict(definition, taskDefinitionArn=new_arn, revision=new_revision, status="ACTIVE") if paths else compared["taskDefinition"]
        return result(predicted, stale)

    if paths:
        registered = _register(client, definition, tags)
        stale = tdp.revisions_to_deregister(active + [registered["taskDefinitionArn"]], options.get("keep_revisions"))
    else:
        registered = compared["taskDefinition"]
        _apply_tags(client, registered["taskDefinitionArn"], to_set, to_remove)
    for arn in stale:
        api.deregister_task_definition(client, arn)
    return result(registered, stale)


def _running_service(client: Any, running_in: Optional[Mapping[str, Any]]) -> Optional[dict]:
    """The service ``running_in`` names; None without the option, or when the service does
    not exist yet (check mode of a whole play on an empty account)."""
    if not running_in:
        return None
    return api.describe_service(client, running_in["cluster"], running_in["service"])


def _running_revision(client: Any, service: Optional[Mapping[str, Any]], family: str) -> Optional[dict]:
    """The revision of ``family`` the service runs; None without a service or when it runs another family."""
    arn = sp.running_task_definition(service) if service else None
    if not arn or tdp.family_of(arn) != family:
        return None
    return api.describe_task_definition(client, arn)


def _load_balancers_served(options: Mapping[str, Any], service: Optional[Mapping[str, Any]]) -> list[tuple[str, Any, Any]]:
    """(source, container name, container port) of what load balancers send traffic to: the
    option's, and the running service's."""
    served = [(f"load_balancers[{index}]", item["container_name"], item["container_port"]) for index, item in enumerate(options.get("load_balancers") or [])]
    if service:
        source = f"The load balancer of service {service.get('serviceName')}"
        served += [(source, item["containerName"], item.get("containerPort")) for item in service.get("loadBalancers") or [] if item.get("containerName")]
    return served


def _desired_definition(context: Context, client: Any, options: Mapping[str, Any], latest: Optional[dict]) -> dict:
    """The definition to register, checked by us and by botocore's model before anything changes."""
    account, partition = _account(context) if tdp.roles_needing_account(options) else (None, "aws")
    definition = tdp.desired_definition(options, latest and latest["taskDefinition"], account, partition)
    definition = tdp.with_log_region(definition, client.meta.region_name)
    tdp.validate_definition(definition)
    _check_request(client, "RegisterTaskDefinition", definition, "task definition")
    return definition


def _register(client: Any, definition: Mapping[str, Any], tags: Mapping[str, str]) -> dict:
    params = dict(definition)
    if tags:
        params["tags"] = [{"key": key, "value": value} for key, value in tags.items()]
    return api.register_task_definition(client, **params)["taskDefinition"]


def _remove_task_definitions(context: Context, client: Any, options: Mapping[str, Any], active: list) -> dict:
    revision = options.get("revision")
    targets = sorted((arn for arn in active if revision is None or tdp.revision_number(arn) == revision), key=tdp.revision_number)
    change = Change(
        "delete" if targets else "none", before={"active_revisions": targets} if targets else None, after={"active_revisions": []} if targets else None
    )
    if targets and not context.check_mode:
        for arn in targets:
            api.deregister_task_definition(client, arn)
    return make_result("task_definition", change, None, context.diff_mode, revision_created=False, deregistered=targets)


# --- services -------------------------------------------------------------------


def _service_view(service: Optional[Mapping[str, Any]], events: int = 0) -> Optional[dict]:
    """The service as returned: tags as a dict, at most ``events`` recent events."""
    if not service:
        return None
    view = {key: value for key, value in service.items() if key != "events"}
    view["tags"] = plan.tags_from_aws(service.get("tags"))
    if events:
        view["events"] = list(service.get("events") or [])[:events]
    return view


def _resolve_task_definition(client: Any, reference: Optional[str], context: Optional[Context] = None) -> Optional[dict]:
    """The task definition a family, family:revision or ARN names (the latest ACTIVE for a family).

    In check mode a missing one may be one that an earlier task would have
    registered: warn, and compare with the reference as given.
    """
    if not reference:
        return None
    found = api.describe_task_definition(client, reference)
    if found is None or found["taskDefinition"].get("status") == "INACTIVE":
        if context is not None and context.check_mode:
            context.warn(f"Task definition {reference!r} does not exist yet; check mode compares with the name as given.")
            return {"taskDefinitionArn": reference}
        raise InvalidInput(
            f"Task definition {reference!r} was not found or is INACTIVE: register it first (cutover.ecs.task_definition), "
            "or give an existing family, family:revision or ARN."
        )
    return found["taskDefinition"]


def _missing_target_groups(context: Context, desired: dict, current: Optional[dict]) -> list[str]:
    """ECS accepts a service whose target group does not exist and then never starts it
    healthy; say so before CreateService or UpdateService."""
    elbv2 = context.client("elbv2")
    missing = [arn for arn in sp.new_target_groups(desired, current) if elbv2_api.describe_target_group(elbv2, arn=arn) is None]
    if missing and context.check_mode:
        # A whole play can be checked before its target groups exist.
        context.warn(f"Target group(s) {', '.join(missing)} do not exist yet; check mode predicts the service as if they did.")
        return []
    return [f"Target group {arn} was not found: create it first (cutover.ecs.target_group) or fix load_balancers." for arn in missing]


def _service_problems(context: Context, client: Any, options: Mapping, desired: dict, current: Optional[dict], task_definition: Optional[dict]) -> None:
    controller = sp.controller_of(desired, current)
    problems = sp.controller_problems(desired, controller, options.get("target_group_pair"))
    problems += _missing_target_groups(context, desired, current)
    if desired.get("loadBalancers"):
        if task_definition is None and current and current.get("taskDefinition"):
            # The load balancers must fit the task definition the service keeps.
            task_definition = _resolve_task_definition(client, current["taskDefinition"])
        problems += sp.load_balancer_problems(desired["loadBalancers"], task_definition)
    if current is None:
        problems += sp.creation_problems(desired, controller, task_definition)
    sp.raise_problems(problems)


def ensure_service(context: Context, options: Mapping[str, Any]) -> dict:
    client = context.client("ecs")
    cluster, name = options["cluster"], options["name"]
    live = api.describe_service(client, cluster, name)
    if options["state"] == "absent":
        return _remove_service(context, client, options, live)

    task_definition = _resolve_task_definition(client, options.get("task_definition"), context)
    desired = sp.desired_service(options, task_definition and task_definition["taskDefinitionArn"])
    current = sp.current_service(live)
    _service_problems(context, client, options, desired, current, task_definition)
    if current is None:
        return _create_service(context, client, options, desired)
    return _update_service(context, client, options, desired, current, live)


def _create_service(context: Context, client: Any, options: Mapping[str, Any], desired: dict) -> dict:
    cluster = options["cluster"]
    if api.describe_cluster(client, cluster) is None:
        if not context.check_mode:
            raise InvalidInput(f"Cluster {cluster!r} was not found: create it first (cutover.ecs.cluster) or fix cluster.")
        context.warn(f"Cluster {cluster!r} does not exist yet; check mode predicts the service as if it did.")
    params = sp.create_request(desired, cluster)
    _check_request(client, "CreateService", params, "service")
    after = sp.predicted_service(None, desired, [], desired.get("tags") or {})
    change = Change("create", before=None, after=after, fields=sorted(desired))
    extra = dict(deployment_required=False, deployment_required_fields=[])
    if context.check_mode:
        return make_result("service", change, after, context.diff_mode, **extra)
    api.create_service(client, **params)
    service = _settle(client, options, desired.get("taskDefinition"), sp.controller_of(desired, None))
    return make_result("service", change, service, context.diff_mode, **extra)


def _update_service(context: Context, client: Any, options: Mapping, desired: dict, current: dict, live: dict) -> dict:
    decided = sp.plan_service(desired, current, options["purge_tags"], options.get("target_group_pair"))
    if decided.immutable:
        raise InvalidInput(sp.immutable_message(decided.immutable, desired, current))
    controller = current["deploymentController"]["type"]
    tags = predict_tags(desired.get("tags"), current["tags"], options["purge_tags"])
    shown = decided.update + decided.deployment
    before = {key: current.get(key) for key in shown}
    after = {key: desired.get(key) for key in shown}
    if decided.tags[0] or decided.tags[1]:
        before["tags"], after["tags"] = current["tags"], tags
    # Tags are applied apart from UpdateService, and named in the plan all the same
    fields = decided.update + (["tags"] if decided.tags[0] or decided.tags[1] else [])
    change = Change("update" if decided.changed else "none", before=before, after=after, fields=fields)
    extra = dict(deployment_required=bool(decided.deployment), deployment_required_fields=decided.deployment)
    if decided.deployment:
        context.warn(
            f"{', '.join(decided.deployment)} of {controller} service {current['serviceName']} differ from the options; "
            "they change only through a deployment (cutover.ecs.deploy), so they were left alone."
        )

    predicted = sp.predicted_service(_service_view(live), desired, decided.update, tags)
    if context.check_mode or not decided.changed:
        return make_result("service", change, predicted, context.diff_mode, **extra)

    if decided.update:
        params = sp.update_request(desired, decided.update, options["cluster"], controller)
        _check_request(client, "UpdateService", params, "service")
        api.update_service(client, **params)
    _apply_tags(client, current["serviceArn"], *decided.tags)
    rolling = controller == "ECS" and "taskDefinition" in decided.update
    service = _settle(client, options, desired["taskDefinition"] if rolling else None, controller) if decided.update else _read_service(client, options)
    return make_result("service", change, service, context.diff_mode, **extra)


def _read_service(client: Any, options: Mapping[str, Any]) -> Optional[dict]:
    return _service_view(api.describe_service(client, options["cluster"], options["name"]), events=5)


def _settle(client: Any, options: Mapping[str, Any], task_definition: Optional[str], controller: str) -> Optional[dict]:
    """Wait (when asked) until the service's deployment has finished; FAILED is an error."""
    if not options["wait"]:
        return _read_service(client, options)
    return Poller(options["wait_timeout"], interval=5).wait(
        lambda: _read_service(client, options),
        lambda service: sp.service_settled(service, task_definition),
        f"ECS service {options['name']} to finish its deployment",
        failed=(lambda service: sp.deployment_failure(service, task_definition)) if controller == "ECS" else None,
    )


def _remove_service(context: Context, client: Any, options: Mapping[str, Any], live: Optional[dict]) -> dict:
    extra = dict(deployment_required=False, deployment_required_fields=[])
    if live is None:
        return make_result("service", Change("none"), None, context.diff_mode, **extra)
    change = Change("delete", before=_service_view(live), after=None)
    if context.check_mode:
        return make_result("service", change, None, context.diff_mode, **extra)
    cluster, name = options["cluster"], options["name"]
    if not options["force_delete"] and live.get("desiredCount") and live.get("schedulingStrategy") != "DAEMON":
        # DeleteService refuses a service that still asks for tasks unless forced.
        api.update_service(client, cluster=cluster, service=name, desiredCount=0)
    api.delete_service(client, cluster, name, force=options["force_delete"])
    if options["wait"]:
        Poller(options["wait_timeout"], interval=5).wait(
            lambda: api.describe_service(client, cluster, name),
            sp.service_gone,
            f"ECS service {name} to drain and become INACTIVE",
        )
    return make_result("service", change, None, context.diff_mode, **extra)


def describe_service_info(context: Context, options: Mapping[str, Any]) -> dict:
    """The service_info module: reads only."""
    service = api.describe_service(context.client("ecs"), options["cluster"], options["name"])
    info = to_snake(service)
    if service is not None:
        # a dict, as every module returns tags; to_snake would also rename the keys
        info["tags"] = tags_from_aws(service.get("tags"))
    return dict(changed=False, exists=service is not None, service=info)
