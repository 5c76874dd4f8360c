# Copyright: cutover.ecs contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""CodeDeploy runners: validate, read current state, ask ``plan`` what differs,
act through ``api``.

Each ``ensure_*`` takes a :class:`Context` and the module's options as plain
data and returns the module result. Bad input fails before the first call; in
check mode they return the predicted resource and make no mutating call.
CodeDeploy applications, groups and configs are usable as soon as the create
call returns, so nothing here waits.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Optional

from ansible_collections.cutover.ecs.plugins.module_utils._codedeploy import api, plan
from ansible_collections.cutover.ecs.plugins.module_utils._elbv2 import api as elbv2_api
from ansible_collections.cutover.ecs.plugins.module_utils._errors import CutoverError, InvalidInput
from ansible_collections.cutover.ecs.plugins.module_utils._module import Change, Context, make_result


def _region(client: Any) -> str:
    return client.meta.region_name


def _change(current: Optional[dict], after: dict, fields: list) -> Change:
    if current is None:
        return Change("create", before=None, after=after, fields=fields)
    if fields:
        return Change("update", before=current, after=after, fields=fields)
    return Change("none", before=current, after=current)


def _apply_tags(client: Any, arn: str, desired: Optional[Mapping], current: Mapping, purge: bool) -> None:
    to_set, to_remove = plan.plan_tags(desired, current, purge)
    if to_set:
        api.tag_resource(client, arn, to_set)
    if to_remove:
        api.untag_resource(client, arn, to_remove)


# --- applications ------------------------------------------------------------------


def _read_application(context: Context, client: Any, name: str) -> tuple[Optional[dict], Optional[str]]:
    """(normalised application, its ARN); tags are read only when it exists."""
    application = api.get_application(client, name)
    if application is None:
        return None, None
    arn = plan.application_arn(api.caller_arn(context.client("sts")), _region(client), name)
    return plan.current_application(application, api.list_tags(client, arn)), arn


def ensure_application(context: Context, options: Mapping[str, Any]) -> dict:
    client = context.client("codedeploy")
    name = options["name"]
    current, arn = _read_application(context, client, name)

    if options["state"] == "absent":
        if current is None:
            return make_result("application", Change("none"), None, context.diff_mode)
        if not context.check_mode:
            api.delete_application(client, name)
        return make_result("application", Change("delete", before=current, after=None), None, context.diff_mode)

    desired = plan.desired_application(options)
    fields = plan.plan_application(desired, current, options["purge_tags"])
    if current is not None and set(fields) & set(plan.IMMUTABLE_APPLICATION_FIELDS):
        raise plan.immutable_application_error(name, desired, current)
    after = {**(current or {}), **desired}
    after["tags"] = plan.predict_tags(desired.get("tags"), (current or {}).get("tags", {}), options["purge_tags"])
    change = _change(current, after, fields)
    if context.check_mode or not change.changed:
        return make_result("application", change, after, context.diff_mode)

    if change.action == "create":
        params: dict = {"applicationName": name, "computePlatform": desired["computePlatform"]}
        if desired.get("tags"):
            params["tags"] = plan.tags_to_aws(desired["tags"])
        api.create_application(client, **params)
    else:
        _apply_tags(client, arn, desired.get("tags"), current.get("tags", {}), options["purge_tags"])
    final, _arn = _read_application(context, client, name)
    return make_result("application", change, final, context.diff_mode)


# --- deployment configs ------------------------------------------------------------------


def ensure_deployment_config(context: Context, options: Mapping[str, Any]) -> dict:
    plan.validate_deployment_config_options(options)
    client = context.client("codedeploy")
    name = options["name"]
    current = plan.current_deployment_config(api.get_deployment_config(client, name))

    if options["state"] == "absent":
        if current is None:
            return make_result("deployment_config", Change("none"), None, context.diff_mode)
        if not context.check_mode:
            api.delete_deployment_config(client, name)
        return make_result("deployment_config", Change("delete", before=current, after=None), None, context.diff_mode)

    desired = plan.desired_deployment_config(options)
    fields = plan.plan_deployment_config(desired, current)
    if current is not None and fields and not options["replace"]:
        raise plan.immutable_config_error(name, fields, current, desired)
    request = plan.create_deployment_config_request(desired)
    # A new or replaced config gets a new id and creation time from AWS.
    after = current if current is not None and not fields else dict(request)
    change = _change(current, after, fields)
    if context.check_mode or not change.changed:
        return make_result("deployment_config", change, after, context.diff_mode)

    if current is not None:
        api.delete_deployment_config(client, name)
    api.create_deployment_config(client, **request)
    final = plan.current_deployment_config(api.get_deployment_config(client, name))
    return make_result("deployment_config", change, final, context.diff_mode)


# --- deployment groups -------------------------------------------------------------------


def _role_arn(context: Context, role: Optional[str]) -> Optional[str]:
    """The service role's ARN; a name is looked up in IAM (roles may have a path)."""
    if role is None or plan.is_arn(role):
        return role
    try:
        return api.get_role_arn(context.client("iam"), role)
    except CutoverError as exc:
        if exc.code != "NoSuchEntity":
            raise
        if context.check_mode:
            # The role may be created by an earlier task of the same check-mode run.
            context.warn(f"IAM role {role} does not exist (yet); predicting its ARN without a path")
            return plan.role_arn_from_name(api.caller_arn(context.client("sts")), role)
        raise InvalidInput(f"service_role {role}: no IAM role has that name; create it first or give the role's ARN", option="service_role") from exc


def _group_arn(context: Context, client: Any, application: str, name: str) -> str:
    return plan.deployment_group_arn(api.caller_arn(context.client("sts")), _region(client), application, name)


def _read_group(context: Context, client: Any, application: str, name: str) -> tuple[Optional[dict], Optional[str]]:
    info = api.get_deployment_group(client, application, name)
    if info is None:
        return None, None
    arn = _group_arn(context, client, application, name)
    return plan.current_deployment_group(info, api.list_tags(client, arn)), arn


def _check_load_balancer_references(context: Context, desired: Mapping[str, Any], current: Optional[Mapping[str, Any]]) -> None:
    """CodeDeploy stores a group whose target groups or listeners do not exist and fails
    only at the first deployment; say so before the group is written."""
    references = plan.new_load_balancer_references(desired, current)
    elbv2 = context.client("elbv2")
    missing = [f"target group {name}" for name in references["target_groups"] if elbv2_api.describe_target_group(elbv2, name=name) is None]
    missing += [f"listener {arn}" for arn in references["listeners"] if elbv2_api.describe_listener(elbv2, arn) is None]
    if missing:
        raise InvalidInput(
            f"The deployment group names what does not exist: {'; '.join(missing)}. Create them first or fix target_groups and the listener ARNs."
        )


def ensure_deployment_group(context: Context, options: Mapping[str, Any]) -> dict:
    plan.validate_deployment_group_options(options)
    client = context.client("codedeploy")
    application, name = options["application"], options["name"]
    current, arn = _read_group(context, client, application, name)

    if options["state"] == "absent":
        if current is None:
            return make_result("deployment_group", Change("none"), None, context.diff_mode)
        if not context.check_mode:
            api.delete_deployment_group(client, application, name)
        return make_result("deployment_group", Change("delete", before=current, after=None), None, context.diff_mode)

    desired = plan.desired_deployment_group(options, _role_arn(context, options.get("service_role")))
    purge = options["purge_tags"]
    fields = plan.plan_deployment_group(desired, current, purge)
    after = plan.predict_deployment_group(desired, current, purge)
    change = _change(current, after, fields)
    if context.check_mode or not change.changed:
        return make_result("deployment_group", change, plan.deployment_group_info(after), context.diff_mode)

    _check_load_balancer_references(context, desired, current)
    if change.action == "create":
        api.create_deployment_group(client, **plan.create_deployment_group_request(desired))
    else:
        if set(fields) - {"tags"}:
            api.update_deployment_group(client, **plan.update_deployment_group_request(after, fields))
        if "tags" in fields:
            _apply_tags(client, arn, desired.get("tags"), current.get("tags", {}), purge)
    final, _arn = _read_group(context, client, application, name)
    return make_result("deployment_group", change, plan.deployment_group_info(final), context.diff_mode)
