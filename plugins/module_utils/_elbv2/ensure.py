# Copyright: cutover.ecs contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""ELBv2 runners: read current state, ask ``plan`` what differs, act through ``api``.

Each ``ensure_*`` takes a :class:`Context` and the module's options as plain
data and returns the module result. In check mode they return the predicted
resource and make no mutating call. Names (security groups, target groups,
the load balancer) are resolved before the first mutating call, so bad input
fails before anything changes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Optional

from ansible_collections.cutover.ecs.plugins.module_utils._elbv2 import api, plan
from ansible_collections.cutover.ecs.plugins.module_utils._errors import InvalidInput
from ansible_collections.cutover.ecs.plugins.module_utils._module import Change, Context, make_result
from ansible_collections.cutover.ecs.plugins.module_utils._poller import Poller

POLL_INTERVAL = 5


def _is_arn(value: str) -> bool:
    return value.startswith("arn:")


def _change(current: Optional[dict], after: Optional[dict], fields: list) -> Change:
    if current is None:
        return Change("create", before=None, after=after, fields=fields)
    if fields:
        return Change("update", before=current, after=after, fields=fields)
    return Change("none", before=current, after=current)


def _missing_in_check_mode(context: Context, kind: str, name: str) -> str:
    """Check mode may run before the play has created what an option names: predict with the name."""
    if not context.check_mode:
        raise InvalidInput(f"{kind} {name!r} does not exist. Create it first, or fix the name.")
    context.warn(f"{kind} {name!r} does not exist yet; check mode assumes an earlier task creates it.")
    return name


def _apply_tags(client: Any, arn: str, to_set: Mapping, to_remove: list) -> None:
    if to_set:
        api.add_tags(client, arn, dict(to_set))
    if to_remove:
        api.remove_tags(client, arn, to_remove)


def _apply_attributes_and_tags(
    client: Any, arn: str, modify_attributes: Callable[[Any, str, list], None], desired: Mapping, current: Mapping, fields: list, purge_tags: bool
) -> None:
    """The parts load balancers and target groups change the same way: the listed attributes that differ, and tags."""
    if "Attributes" in fields:
        modify_attributes(client, arn, plan.attributes_to_aws(plan.plan_attributes(desired["Attributes"], current["Attributes"])))
    if "Tags" in fields:
        _apply_tags(client, arn, *plan.plan_tags(desired.get("Tags"), current.get("Tags", {}), purge_tags))


def _delete_result(key: str, context: Context, current: Optional[dict], delete: Callable[[], None]) -> dict:
    if current is None:
        return make_result(key, Change("none"), None, context.diff_mode)
    change = Change("delete", before=current, after=None)
    if not context.check_mode:
        delete()
    return make_result(key, change, None, context.diff_mode)


# --- load balancers --------------------------------------------------------------------------


def _read_load_balancer(client: Any, name: str) -> Optional[dict]:
    found = api.describe_load_balancer(client, name=name)
    if found is None:
        return None
    arn = found["LoadBalancerArn"]
    return plan.current_load_balancer(found, api.describe_load_balancer_attributes(client, arn), api.describe_tags(client, arn))


def _security_group_vpc(ec2: Any, options: Mapping[str, Any], current: Optional[dict]) -> Optional[str]:
    if current is not None:
        return current.get("VpcId")
    subnets = api.describe_subnets(ec2, options.get("subnets") or [])
    return subnets[0].get("VpcId") if subnets else None


def _resolve_security_groups(context: Context, options: Mapping[str, Any], current: Optional[dict]) -> Optional[list]:
    """Security group names or IDs to IDs; names are looked up in the load balancer's VPC."""
    groups = options.get("security_groups")
    if groups is None:
        return None
    names = sorted({group for group in groups if not group.startswith("sg-")})
    if not names:
        return list(groups)
    ec2 = context.client("ec2")
    vpc_id = _security_group_vpc(ec2, options, current)
    found = {group["GroupName"]: group["GroupId"] for group in api.describe_security_groups_by_name(ec2, names, vpc_id)}
    where = f" in VPC {vpc_id}" if vpc_id else ""
    return [group if group.startswith("sg-") else found.get(group) or _missing_in_check_mode(context, f"Security group{where}", group) for group in groups]


def _load_balancer_state(found: Optional[dict]) -> dict:
    return (found or {}).get("State") or {}


def _load_balancer_failure(found: Optional[dict]) -> Optional[str]:
    state = _load_balancer_state(found)
    return (state.get("Reason") or "its state is failed") if state.get("Code") == "failed" else None


def _wait_for_load_balancer(client: Any, name: str, timeout: int) -> dict:
    return Poller(timeout, interval=POLL_INTERVAL).wait(
        lambda: api.describe_load_balancer(client, name=name),
        lambda found: _load_balancer_state(found).get("Code") == "active",
        f"load balancer {name} to become active",
        failed=_load_balancer_failure,
    )


def _delete_load_balancer(client: Any, current: dict, wait: bool, timeout: int) -> None:
    api.delete_load_balancer(client, current["LoadBalancerArn"])
    if wait:
        Poller(timeout, interval=POLL_INTERVAL).wait(
            lambda: api.describe_load_balancer(client, arn=current["LoadBalancerArn"]),
            lambda found: found is None,
            f"load balancer {current['LoadBalancerName']} to be deleted",
        )


def _update_load_balancer(client: Any, desired: Mapping, current: Mapping, fields: list, purge_tags: bool) -> None:
    arn = current["LoadBalancerArn"]
    if "Subnets" in fields:
        api.set_subnets(client, arn, desired["Subnets"])
    if "SecurityGroups" in fields:
        api.set_security_groups(client, arn, desired["SecurityGroups"])
    if "IpAddressType" in fields:
        api.set_ip_address_type(client, arn, desired["IpAddressType"])
    _apply_attributes_and_tags(client, arn, api.modify_load_balancer_attributes, desired, current, fields, purge_tags)


def ensure_load_balancer(context: Context, options: Mapping[str, Any]) -> dict:
    client = context.client("elbv2")
    name = options["name"]
    current = _read_load_balancer(client, name)

    if options["state"] == "absent":
        return _delete_result("load_balancer", context, current, lambda: _delete_load_balancer(client, current, options["wait"], options["wait_timeout"]))

    if current is None and not options.get("subnets"):
        raise InvalidInput(f"Load balancer {name} does not exist; creating it needs subnets.")
    desired = plan.desired_load_balancer(options, _resolve_security_groups(context, options, current))
    fields = plan.plan_load_balancer(desired, current, options["purge_tags"])
    after = plan.predict_load_balancer(desired, current, options["purge_tags"])
    change = _change(current, after, fields)
    if context.check_mode or not change.changed:
        return make_result("load_balancer", change, after, context.diff_mode)

    if current is None:
        created = api.create_load_balancer(client, **plan.create_load_balancer_params(desired))
        if desired.get("Attributes"):
            api.modify_load_balancer_attributes(client, created["LoadBalancerArn"], plan.attributes_to_aws(desired["Attributes"]))
    else:
        _update_load_balancer(client, desired, current, fields, options["purge_tags"])
    if options["wait"]:
        _wait_for_load_balancer(client, name, options["wait_timeout"])
    return make_result("load_balancer", change, _read_load_balancer(client, name), context.diff_mode)


# --- target groups ------------------------------------------------------------------------------


def _read_target_group(client: Any, name: str) -> Optional[dict]:
    found = api.describe_target_group(client, name=name)
    if found is None:
        return None
    arn = found["TargetGroupArn"]
    return plan.current_target_group(found, api.describe_target_group_attributes(client, arn), api.describe_tags(client, arn))


def _update_target_group(client: Any, desired: Mapping, current: Mapping, fields: list, purge_tags: bool) -> None:
    arn = current["TargetGroupArn"]
    health_check = plan.modify_target_group_params(desired, fields)
    if health_check:
        api.modify_target_group(client, TargetGroupArn=arn, **health_check)
    _apply_attributes_and_tags(client, arn, api.modify_target_group_attributes, desired, current, fields, purge_tags)


def ensure_target_group(context: Context, options: Mapping[str, Any]) -> dict:
    client = context.client("elbv2")
    name = options["name"]
    current = _read_target_group(client, name)

    if options["state"] == "absent":
        return _delete_result("target_group", context, current, lambda: api.delete_target_group(client, current["TargetGroupArn"]))

    desired = plan.desired_target_group(options)
    fields = plan.plan_target_group(desired, current, options["purge_tags"])
    after = plan.predict_target_group(desired, current, options["purge_tags"])
    change = _change(current, after, fields)
    if context.check_mode or not change.changed:
        return make_result("target_group", change, after, context.diff_mode)

    if current is None:
        created = api.create_target_group(client, **plan.create_target_group_params(desired))
        if desired.get("Attributes"):
            api.modify_target_group_attributes(client, created["TargetGroupArn"], plan.attributes_to_aws(desired["Attributes"]))
    else:
        _update_target_group(client, desired, current, fields, options["purge_tags"])
    return make_result("target_group", change, _read_target_group(client, name), context.diff_mode)


# --- listeners ----------------------------------------------------------------------------------


def _find_load_balancer(client: Any, name_or_arn: str) -> Optional[dict]:
    if _is_arn(name_or_arn):
        return api.describe_load_balancer(client, arn=name_or_arn)
    return api.describe_load_balancer(client, name=name_or_arn)


def _find_listener(client: Any, load_balancer: Optional[dict], options: Mapping[str, Any]) -> Optional[dict]:
    """The listener named by ``listener_arn``, else the load balancer's listener on ``port``."""
    if options.get("listener_arn"):
        found = api.describe_listener(client, options["listener_arn"])
        if found is None and options["state"] == "present":
            raise InvalidInput(f"Listener {options['listener_arn']} does not exist; drop listener_arn to create a listener on port {options['port']}.")
        if found is not None and load_balancer is not None and found["LoadBalancerArn"] != load_balancer["LoadBalancerArn"]:
            raise InvalidInput(f"Listener {options['listener_arn']} belongs to another load balancer than {options['load_balancer']}.")
        return found
    if load_balancer is None:
        return None
    return next((item for item in api.describe_listeners(client, load_balancer["LoadBalancerArn"]) if item.get("Port") == options["port"]), None)


def _read_listener(client: Any, listener: Optional[dict]) -> Optional[dict]:
    if listener is None:
        return None
    arn = listener["ListenerArn"]
    certificates = api.describe_listener_certificates(client, arn) if listener.get("Protocol") in plan.SECURE_PROTOCOLS else []
    return plan.current_listener(listener, certificates, api.describe_rules(client, arn), api.describe_tags(client, arn))


def _with_managed_rule_tags(client: Any, listener: Optional[dict], desired: Mapping) -> Optional[dict]:
    """The listener with the tags of the rules whose ``tags`` are given; no other rule's tags are read."""
    if listener is None:
        return None
    arns = plan.rule_tag_arns(desired.get("Rules"), listener.get("Rules"))
    if not arns:
        return listener
    return plan.with_rule_tags(listener, api.describe_tags_by_arn(client, arns))


def _target_group_resolver(client: Any, context: Context) -> Callable[[str], str]:
    """Target-group names to ARNs, one lookup per name."""
    cache: dict = {}

    def resolve(name_or_arn: str) -> str:
        if _is_arn(name_or_arn):
            return name_or_arn
        if name_or_arn not in cache:
            found = api.describe_target_group(client, name=name_or_arn)
            cache[name_or_arn] = found["TargetGroupArn"] if found else _missing_in_check_mode(context, "Target group", name_or_arn)
        return cache[name_or_arn]

    return resolve


def _apply_rules(client: Any, listener_arn: str, listener_plan: plan.ListenerPlan) -> None:
    # Modify and add before deleting: a rule moving to a new priority keeps serving until its copy exists.
    for item in listener_plan.rules_to_modify:
        params: dict = {"RuleArn": item.rule_arn}
        if "Conditions" in item.fields:
            params["Conditions"] = item.rule["Conditions"]
        if "Actions" in item.fields:
            params["Actions"] = plan.actions_to_aws(item.rule["Actions"])
        api.modify_rule(client, **params)
    for rule in listener_plan.rules_to_add:
        api.create_rule(client, ListenerArn=listener_arn, **plan.rule_params(rule))
    for change in listener_plan.rule_tags:
        _apply_tags(client, change.rule_arn, change.tags_to_set, change.tags_to_remove)
    for rule in listener_plan.rules_to_delete:
        api.delete_rule(client, rule["RuleArn"])


def _apply_sni_certificates(client: Any, listener_arn: str, desired: Mapping, current: Optional[Mapping]) -> None:
    _default, to_add, to_remove = plan.plan_certificates(desired.get("Certificates"), (current or {}).get("Certificates"))
    if to_add:
        api.add_listener_certificates(client, listener_arn, to_add)
    if to_remove:
        api.remove_listener_certificates(client, listener_arn, to_remove)


def _create_listener(client: Any, desired: Mapping, listener_plan: plan.ListenerPlan) -> str:
    created = api.create_listener(client, **plan.create_listener_params(desired))
    arn = created["ListenerArn"]
    additional = [item["CertificateArn"] for item in desired.get("Certificates") or [] if not item["IsDefault"]]
    if additional:
        api.add_listener_certificates(client, arn, additional)
    _apply_rules(client, arn, listener_plan)
    return arn


def _update_listener(client: Any, desired: Mapping, current: Mapping, listener_plan: plan.ListenerPlan) -> None:
    arn = current["ListenerArn"]
    modify = plan.modify_listener_params(desired, current, listener_plan.fields)
    if modify:
        api.modify_listener(client, ListenerArn=arn, **modify)
    if "Certificates" in listener_plan.fields:
        _apply_sni_certificates(client, arn, desired, current)
    _apply_rules(client, arn, listener_plan)
    _apply_tags(client, arn, listener_plan.tags_to_set, listener_plan.tags_to_remove)


def ensure_listener(context: Context, options: Mapping[str, Any]) -> dict:
    client = context.client("elbv2")
    load_balancer = _find_load_balancer(client, options["load_balancer"])
    current = _read_listener(client, _find_listener(client, load_balancer, options))

    if options["state"] == "absent":
        return _delete_result("listener", context, current, lambda: api.delete_listener(client, current["ListenerArn"]))

    if load_balancer is None:
        load_balancer_arn = _missing_in_check_mode(context, "Load balancer", options["load_balancer"])
    else:
        load_balancer_arn = load_balancer["LoadBalancerArn"]
    resolve = _target_group_resolver(client, context)
    desired = plan.desired_listener(options, load_balancer_arn, resolve)
    current = _with_managed_rule_tags(client, current, desired)
    pairs = plan.desired_pairs(options.get("target_group_pairs"), resolve)
    desired = plan.apply_traffic_policy(desired, current, options["traffic_weights"], pairs)
    listener_plan = plan.plan_listener(desired, current, options["purge_rules"], options["purge_tags"])
    after = plan.predict_listener(desired, current, listener_plan, options["purge_tags"])
    change = _change(current, after, listener_plan.summary)
    if current is None:
        change.fields = listener_plan.summary
    if context.check_mode or not listener_plan.changed:
        return make_result("listener", change, after, context.diff_mode)

    if current is None:
        arn = _create_listener(client, desired, listener_plan)
    else:
        arn = current["ListenerArn"]
        _update_listener(client, desired, current, listener_plan)
    final = _with_managed_rule_tags(client, _read_listener(client, api.describe_listener(client, arn)), desired)
    return make_result("listener", change, final, context.diff_mode)
