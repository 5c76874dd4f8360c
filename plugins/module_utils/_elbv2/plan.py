# Copyright: cutover.ecs contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""ELBv2 plans: pure functions that normalise desired and current state and
return what must change. No I/O here; every function is unit-tested.

Normalised state keeps AWS's PascalCase field names (the result turns them
into snake_case), with sets sorted, names resolved to ARNs, AWS defaults filled
in where AWS fills them, and tags and attributes as plain dicts.

The listener's ``traffic_weights: ignore`` lives in :func:`effective_action`:
before comparing, a desired forward whose target groups are the live ones (or
the live ones' blue/green partners) takes the live target groups and weights,
so a deployment's traffic split is never drift while everything else is.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple, Optional

from ansible_collections.cutover.ecs.plugins.module_utils._compare import diff_fields
from ansible_collections.cutover.ecs.plugins.module_utils._errors import InvalidInput
from ansible_collections.cutover.ecs.plugins.module_utils._tags import as_text, plan_tags, predict_tags, tags_from_aws

# A target-group name or ARN to its ARN (``ensure`` looks names up).
Resolver = Callable[[str], str]

# --- shared: tags, attributes, immutable fields -----------------------------------


def attribute_text(value: Any) -> str:
    """AWS attribute values are strings; YAML gives us bools and ints too."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def desired_attributes(attributes: Optional[Mapping]) -> Optional[dict]:
    if attributes is None:
        return None
    return {str(key): attribute_text(value) for key, value in attributes.items()}


def attributes_from_aws(attributes: Optional[Iterable[Mapping]]) -> dict:
    return {item["Key"]: attribute_text(item.get("Value", "")) for item in attributes or []}


def attributes_to_aws(attributes: Mapping) -> list:
    return [{"Key": key, "Value": value} for key, value in sorted(attributes.items())]


def plan_attributes(desired: Optional[Mapping], current: Optional[Mapping]) -> dict:
    """The given attributes whose live value differs; unlisted keys are not managed."""
    current = current or {}
    return {key: value for key, value in (desired or {}).items() if current.get(key) != value}


def check_immutable(kind: str, name: str, desired: Mapping, current: Optional[Mapping], immutable: Mapping[str, str], remedy: str) -> None:
    """Fail, before any call, when an option asks to change what AWS cannot change in place.

    ``immutable`` maps the AWS field to the option that sets it.
    """
    if current is None:
        return
    problems = [
        f"{option}={desired[key]!r} (it is {current.get(key)!r})"
        for key, option in immutable.items()
        if desired.get(key) is not None and current.get(key) is not None and desired[key] != current[key]
    ]
    if problems:
        raise InvalidInput(f"{kind} {name} cannot change {', '.join(problems)} in place: AWS fixes these at creation. {remedy}")


def _changed_with_tags(changed: list, desired: Mapping, current: Mapping, purge_tags: bool) -> list:
    to_set, to_remove = plan_tags(desired.get("Tags"), current.get("Tags", {}), purge_tags)
    if to_set or to_remove:
        changed.append("Tags")
    return sorted(changed)


def _predict(base: Mapping, desired: Mapping, purge_tags: bool) -> dict:
    """``desired`` applied onto ``base``: given attributes merge in, tags follow ``purge_tags``."""
    after = {**base, **{key: value for key, value in desired.items() if key not in ("Attributes", "Tags")}}
    after["Attributes"] = {**base.get("Attributes", {}), **desired.get("Attributes", {})}
    after["Tags"] = predict_tags(desired.get("Tags"), base.get("Tags"), purge_tags)
    return after


def _fields_when_missing(desired: Mapping, identity: Iterable[str]) -> list:
    return sorted(key for key in desired if key not in set(identity))


# --- load balancers -------------------------------------------------------------------

LOAD_BALANCER_FIELDS = {
    "Subnets": ("strict", "set"),
    "SecurityGroups": ("strict", "set"),
    "IpAddressType": ("strict", "value"),
    # Only the attributes the user lists are managed.
    "Attributes": ("allow_more_present", "dict"),
}
LOAD_BALANCER_IMMUTABLE = {"Type": "type", "Scheme": "scheme"}
LOAD_BALANCER_REMEDY = "Delete the load balancer (state=absent) and create it again (its DNS name will change), or keep the current value."


def desired_load_balancer(options: Mapping[str, Any], security_group_ids: Optional[list]) -> dict:
    """The load balancer the options ask for; options not given are absent (not managed)."""
    desired: dict = {"LoadBalancerName": options["name"]}
    optional = {
        "Type": options.get("type"),
        "Scheme": options.get("scheme"),
        "Subnets": sorted(set(options["subnets"])) if options.get("subnets") is not None else None,
        "SecurityGroups": sorted(set(security_group_ids)) if security_group_ids is not None else None,
        "IpAddressType": options.get("ip_address_type"),
        "Attributes": desired_attributes(options.get("attributes")),
        "Tags": dict(options["tags"]) if options.get("tags") is not None else None,
    }
    desired.update({key: value for key, value in optional.items() if value is not None})
    return desired


def current_load_balancer(load_balancer: Optional[Mapping], attributes: Optional[list] = None, tags: Optional[list] = None) -> Optional[dict]:
    """DescribeLoadBalancers output (plus attributes and tags) reduced to one shape."""
    if not load_balancer:
        return None
    zones = load_balancer.get("AvailabilityZones", [])
    created = load_balancer.get("CreatedTime")
    return {
        "LoadBalancerName": load_balancer["LoadBalancerName"],
        "LoadBalancerArn": load_balancer.get("LoadBalancerArn"),
        "DNSName": load_balancer.get("DNSName"),
        "CanonicalHostedZoneId": load_balancer.get("CanonicalHostedZoneId"),
        "CreatedTime": created.isoformat() if hasattr(created, "isoformat") else created,
        "Type": load_balancer.get("Type"),
        "Scheme": load_balancer.get("Scheme"),
        "VpcId": load_balancer.get("VpcId"),
        "State": dict(load_balancer.get("State") or {}),
        "IpAddressType": load_balancer.get("IpAddressType"),
        "AvailabilityZones": [{"ZoneName": zone.get("ZoneName"), "SubnetId": zone.get("SubnetId")} for zone in zones],
        "Subnets": sorted(zone["SubnetId"] for zone in zones if zone.get("SubnetId")),
        "SecurityGroups": sorted(load_balancer.get("SecurityGroups", [])),
        "Attributes": attributes_from_aws(attributes),
        "Tags": tags_from_aws(tags),
    }


def plan_load_balancer(desired: Mapping[str, Any], current: Optional[Mapping[str, Any]], purge_tags: bool = True) -> list[str]:
    """Fields of the load balancer that must change (all given ones when it is missing).

    Raises InvalidInput when the type or scheme would have to change.
    """
    if current is None:
        return _fields_when_missing(desired, ("LoadBalancerName",))
    check_immutable("Load balancer", desired["LoadBalancerName"], desired, current, LOAD_BALANCER_IMMUTABLE, LOAD_BALANCER_REMEDY)
    managed = {key: value for key, value in desired.items() if key in LOAD_BALANCER_FIELDS}
    return _changed_with_tags(diff_fields(managed, current, LOAD_BALANCER_FIELDS), desired, current, purge_tags)


def predict_load_balancer(desired: Mapping[str, Any], current: Optional[Mapping[str, Any]], purge_tags: bool = True) -> dict:
    """The load balancer after the change: the check-mode result."""
    base = dict(current) if current else {"Type": "application", "Scheme": "internet-facing", "IpAddressType": "ipv4", "State": {"Code": "active"}}
    return _predict(base, desired, purge_tags)


def create_load_balancer_params(desired: Mapping[str, Any]) -> dict:
    params: dict = {"Name": desired["LoadBalancerName"]}
    for key in ("Type", "Scheme", "Subnets", "SecurityGroups", "IpAddressType"):
        if desired.get(key) is not None:
            params[key] = desired[key]
    if desired.get("Tags"):
        params["Tags"] = [{"Key": key, "Value": value} for key, value in desired["Tags"].items()]
    return params


# --- target groups --------------------------------------------------------------------

HEALTH_CHECK_OPTIONS = {
    "enabled": "HealthCheckEnabled",
    "protocol": "HealthCheckProtocol",
    "port": "HealthCheckPort",
    "path": "HealthCheckPath",
    "interval_seconds": "HealthCheckIntervalSeconds",
    "timeout_seconds": "HealthCheckTimeoutSeconds",
    "healthy_threshold_count": "HealthyThresholdCount",
    "unhealthy_threshold_count": "UnhealthyThresholdCount",
}
TARGET_GROUP_FIELDS = {
    **{key: ("strict", "value") for key in HEALTH_CHECK_OPTIONS.values()},
    "Matcher": ("strict", "dict"),
    "Attributes": ("allow_more_present", "dict"),
}
TARGET_GROUP_IMMUTABLE = {
    "TargetType": "target_type",
    "Protocol": "protocol",
    "Port": "port",
    "VpcId": "vpc_id",
    "ProtocolVersion": "protocol_version",
    "IpAddressType": "ip_address_type",
}
TARGET_GROUP_REMEDY = (
    "Create a target group with another name and move the listener and the service to it, or delete this one (state=absent) when nothing uses it."
)
DEREGISTRATION_DELAY = "deregistration_delay.timeout_seconds"
# The fields CreateTargetGroup takes besides the name and tags.
_TARGET_GROUP_CREATE_FIELDS = ("Protocol", "ProtocolVersion", "Port", "VpcId", "TargetType", "IpAddressType", *HEALTH_CHECK_OPTIONS.values(), "Matcher")


def _desired_matcher(health_check: Mapping) -> Optional[dict]:
    http_code, grpc_code = health_check.get("http_code"), health_check.get("grpc_code")
    if http_code is not None and grpc_code is not None:
        raise InvalidInput("health_check takes http_code or grpc_code, not both: grpc_code is for protocol_version=GRPC.")
    if http_code is not None:
        return {"HttpCode": str(http_code)}
    if grpc_code is not None:
        return {"GrpcCode": str(grpc_code)}
    return None


def _desired_target_group_attributes(options: Mapping[str, Any]) -> Optional[dict]:
    attributes = desired_attributes(options.get("attributes"))
    delay = options.get("deregistration_delay")
    if delay is None:
        return attributes
    attributes = attributes or {}
    if attributes.get(DEREGISTRATION_DELAY, str(delay)) != str(delay):
        raise InvalidInput(f"deregistration_delay={delay} and attributes[{DEREGISTRATION_DELAY}]={attributes[DEREGISTRATION_DELAY]} disagree; give only one.")
    attributes[DEREGISTRATION_DELAY] = str(delay)
    return attributes


def desired_target_group(options: Mapping[str, Any]) -> dict:
    """The target group the options ask for; options not given are absent (not managed)."""
    health_check = options.get("health_check") or {}
    desired: dict = {"TargetGroupName": options["name"]}
    optional = {
        "TargetType": options.get("target_type"),
        "Protocol": options.get("protocol"),
        "ProtocolVersion": options.get("protocol_version"),
        "Port": options.get("port"),
        "VpcId": options.get("vpc_id"),
        "IpAddressType": options.get("ip_address_type"),
        **{field_name: health_check.get(option) for option, field_name in HEALTH_CHECK_OPTIONS.items()},
        "Matcher": _desired_matcher(health_check),
        "Attributes": _desired_target_group_attributes(options),
        "Tags": dict(options["tags"]) if options.get("tags") is not None else None,
    }
    if optional["HealthCheckPort"] is not None:
        optional["HealthCheckPort"] = str(optional["HealthCheckPort"])
    desired.update({key: value for key, value in optional.items() if value is not None})
    return desired


def current_target_group(target_group: Optional[Mapping], attributes: Optional[list] = None, tags: Optional[list] = None) -> Optional[dict]:
    """DescribeTargetGroups output (plus attributes and tags) reduced to one shape."""
    if not target_group:
        return None
    current = {
        key: target_group.get(key)
        for key in (
            "TargetGroupName",
            "TargetGroupArn",
            "TargetType",
            "Protocol",
            "ProtocolVersion",
            "Port",
            "VpcId",
            "IpAddressType",
            *HEALTH_CHECK_OPTIONS.values(),
        )
    }
    if current["HealthCheckPort"] is not None:
        current["HealthCheckPort"] = str(current["HealthCheckPort"])
    current["Matcher"] = {key: str(value) for key, value in (target_group.get("Matcher") or {}).items() if value is not None}
    current["LoadBalancerArns"] = list(target_group.get("LoadBalancerArns", []))
    current["Attributes"] = attributes_from_aws(attributes)
    current["Tags"] = tags_from_aws(tags)
    return current


def check_target_group_can_be_created(desired: Mapping[str, Any]) -> None:
    if desired.get("TargetType", "instance") == "lambda":
        return
    missing = [option for key, option in (("Protocol", "protocol"), ("Port", "port"), ("VpcId", "vpc_id")) if desired.get(key) is None]
    if missing:
        raise InvalidInput(f"Target group {desired['TargetGroupName']} does not exist; creating it needs {', '.join(missing)}.")


def plan_target_group(desired: Mapping[str, Any], current: Optional[Mapping[str, Any]], purge_tags: bool = True) -> list[str]:
    """Fields of the target group that must change (all given ones when it is missing).

    Raises InvalidInput when an immutable field (protocol, port, VPC, target type, ...) would have to change.
    """
    if current is None:
        check_target_group_can_be_created(desired)
        return _fields_when_missing(desired, ("TargetGroupName",))
    check_immutable("Target group", desired["TargetGroupName"], desired, current, TARGET_GROUP_IMMUTABLE, TARGET_GROUP_REMEDY)
    managed = {key: value for key, value in desired.items() if key in TARGET_GROUP_FIELDS}
    return _changed_with_tags(diff_fields(managed, current, TARGET_GROUP_FIELDS), desired, current, purge_tags)


def predict_target_group(desired: Mapping[str, Any], current: Optional[Mapping[str, Any]], purge_tags: bool = True) -> dict:
    base = dict(current) if current else {"TargetType": "instance", "LoadBalancerArns": []}
    return _predict(base, desired, purge_tags)


def create_target_group_params(desired: Mapping[str, Any]) -> dict:
    params: dict = {"Name": desired["TargetGroupName"]}
    params.update({key: desired[key] for key in _TARGET_GROUP_CREATE_FIELDS if desired.get(key) is not None})
    if desired.get("Tags"):
        params["Tags"] = [{"Key": key, "Value": value} for key, value in desired["Tags"].items()]
    return params


def modify_target_group_params(desired: Mapping[str, Any], fields: Iterable[str]) -> dict:
    """ModifyTargetGroup's parameters for the health-check fields that differ ({} when none)."""
    changed = [key for key in fields if key in HEALTH_CHECK_OPTIONS.values() or key == "Matcher"]
    return {key: desired[key] for key in changed}


# --- listener actions ---------------------------------------------------------------------

ACTION_KINDS = ("forward", "fixed_response", "redirect")
# What AWS reports for redirect components that were not given.
REDIRECT_DEFAULTS = {"Protocol": "#{protocol}", "Port": "#{port}", "Host": "#{host}", "Path": "/#{path}", "Query": "#{query}"}
MAX_FORWARD_TARGET_GROUPS = 5
TRAFFIC_MODES = ("managed", "ignore")


def stickiness_config(config: Optional[Mapping]) -> dict:
    """Disabled stickiness has no meaningful duration, so it normalises to ``{Enabled: false}``."""
    if not config or not config.get("Enabled"):
        return {"Enabled": False}
    return {"Enabled": True, "DurationSeconds": config.get("DurationSeconds")}


def forward_action(target_groups: Iterable[tuple[str, Optional[int]]], stickiness: Optional[Mapping] = None) -> dict:
    """The one shape of a forward action: target groups sorted by ARN.

    A lone target group gets all the traffic whatever its weight, so its
    weight is dropped (AWS reports 1, or whatever was last sent).
    """
    entries = sorted(target_groups, key=lambda entry: entry[0])
    if len(entries) == 1:
        entries = [(entries[0][0], None)]
    groups = [{"TargetGroupArn": arn} if weight is None else {"TargetGroupArn": arn, "Weight": int(weight)} for arn, weight in entries]
    return {"Type": "forward", "ForwardConfig": {"TargetGroups": groups, "TargetGroupStickinessConfig": stickiness_config(stickiness)}}


def _without_empty(config: Optional[Mapping]) -> dict:
    return {key: value for key, value in (config or {}).items() if value not in (None, "")}


def _desired_forward(forward: Mapping[str, Any], resolve: Resolver) -> dict:
    single, weighted = forward.get("target_group"), forward.get("target_groups")
    if (single is None) == (weighted is None):
        raise InvalidInput("A forward action takes target_group (one target group) or target_groups (weighted), exactly one of them.")
    if single is not None:
        entries = [(resolve(single), None)]
    else:
        if not 1 <= len(weighted) <= MAX_FORWARD_TARGET_GROUPS:
            raise InvalidInput(f"A weighted forward action takes 1 to {MAX_FORWARD_TARGET_GROUPS} target_groups, not {len(weighted)}.")
        entries = [(resolve(item["target_group"]), item.get("weight", 1)) for item in weighted]
        arns = [arn for arn, _weight in entries]
        if len(set(arns)) != len(arns):
            raise InvalidInput("A weighted forward action lists the same target group twice; list each once.")
        if any(not 0 <= weight <= 999 for _arn, weight in entries):
            raise InvalidInput("Target group weights go from 0 to 999.")
    stickiness = forward.get("stickiness") or {}
    if stickiness.get("enabled") and not stickiness.get("duration_seconds"):
        raise InvalidInput("stickiness.enabled=true needs stickiness.duration_seconds (1 to 604800).")
    return forward_action(entries, {"Enabled": bool(stickiness.get("enabled")), "DurationSeconds": stickiness.get("duration_seconds")})


def desired_action(spec: Mapping[str, Any], resolve: Resolver) -> dict:
    """One action from the module's option: forward, fixed_response or redirect."""
    kinds = [kind for kind in ACTION_KINDS if spec.get(kind) is not None]
    if len(kinds) != 1:
        raise InvalidInput(f"An action takes exactly one of {', '.join(ACTION_KINDS)}; got {', '.join(kinds) or 'none'}.")
    kind = kinds[0]
    if kind == "forward":
        return _desired_forward(spec["forward"], resolve)
    if kind == "fixed_response":
        config = spec["fixed_response"]
        return {
            "Type": "fixed-response",
            "FixedResponseConfig": _without_empty(
                {"StatusCode": str(config["status_code"]), "ContentType": config.get("content_type"), "MessageBody": config.get("message_body")}
            ),
        }
    config = spec["redirect"]
    given = {key: config.get(key.lower()) for key in REDIRECT_DEFAULTS}
    if all(given[key] is None for key in ("Protocol", "Port", "Host", "Path")):
        raise InvalidInput("A redirect must change at least one of protocol, port, host or path; otherwise it redirects to itself.")
    if given["Port"] is not None:
        given["Port"] = str(given["Port"])
    return {"Type": "redirect", "RedirectConfig": {**REDIRECT_DEFAULTS, **_without_empty(given), "StatusCode": config["status_code"]}}


def current_action(action: Mapping[str, Any]) -> dict:
    """An action as AWS reports it, in the shape :func:`desired_action` builds."""
    kind = action.get("Type")
    if kind == "forward":
        config = action.get("ForwardConfig") or {}
        groups = config.get("TargetGroups") or ([{"TargetGroupArn": action["TargetGroupArn"]}] if action.get("TargetGroupArn") else [])
        return forward_action([(group["TargetGroupArn"], group.get("Weight")) for group in groups], config.get("TargetGroupStickinessConfig"))
    if kind == "fixed-response":
        return {"Type": kind, "FixedResponseConfig": _without_empty(action.get("FixedResponseConfig"))}
    if kind == "redirect":
        return {"Type": kind, "RedirectConfig": {**REDIRECT_DEFAULTS, **_without_empty(action.get("RedirectConfig"))}}
    # Actions this module does not write (authenticate-*, jwt-validation): kept, so they show as drift.
    return {key: value for key, value in action.items() if key != "Order"}


def current_actions(actions: Optional[Iterable[Mapping]]) -> list:
    return [current_action(action) for action in sorted(actions or [], key=lambda action: action.get("Order", 0))]


def action_to_aws(action: Mapping[str, Any]) -> dict:
    """What CreateListener/ModifyListener/CreateRule/ModifyRule get for one action."""
    if action["Type"] != "forward":
        return copy.deepcopy(dict(action))
    config = action["ForwardConfig"]
    groups = config["TargetGroups"]
    if len(groups) == 1 and not config["TargetGroupStickinessConfig"]["Enabled"]:
        # The plain form every client and CodeDeploy understands.
        return {"Type": "forward", "TargetGroupArn": groups[0]["TargetGroupArn"]}
    return {"Type": "forward", "ForwardConfig": copy.deepcopy(config)}


def actions_to_aws(actions: Iterable[Mapping]) -> list:
    return [action_to_aws(action) for action in actions]


# --- traffic owned by deployments ---------------------------------------------------------


def desired_pairs(pairs: Optional[Iterable[Iterable[str]]], resolve: Resolver) -> list[frozenset]:
    """``target_group_pairs`` as sets of ARNs; each pair is the blue and the green of one service."""
    result = []
    for pair in pairs or []:
        arns = frozenset(resolve(name) for name in pair)
        if len(list(pair)) != 2 or len(arns) != 2:
            raise InvalidInput(f"Each entry of target_group_pairs names two different target groups; got {list(pair)}.")
        result.append(arns)
    return result


def target_group_arns(action: Mapping[str, Any]) -> frozenset:
    return frozenset(group["TargetGroupArn"] for group in (action.get("ForwardConfig") or {}).get("TargetGroups", []))


def traffic_slots(arns: Iterable[str], pairs: Iterable[frozenset]) -> frozenset:
    """Each target group stands for its pair (blue or green is the same slot), others for themselves."""
    pairs = list(pairs)
    return frozenset(next((pair for pair in pairs if arn in pair), frozenset((arn,))) for arn in arns)


def same_traffic_targets(desired: Mapping[str, Any], current: Mapping[str, Any], pairs: Iterable[frozenset] = ()) -> bool:
    """True when two forwards send traffic to the same target groups, up to a blue/green swap."""
    wanted, live = target_group_arns(desired), target_group_arns(current)
    if wanted == live:
        return True
    pairs = list(pairs)
    return bool(pairs) and traffic_slots(wanted, pairs) == traffic_slots(live, pairs)


def effective_action(desired: Mapping[str, Any], current: Optional[Mapping[str, Any]], traffic_weights: str, pairs: Iterable[frozenset] = ()) -> dict:
    """The action to compare and send.

    Under ``traffic_weights=ignore`` a forward whose target groups match the
    live ones (as a set, or up to a swap inside ``pairs``) takes the live
    target groups and weights: a deployment owns them. Everything else in the
    action (stickiness, the action type) stays as desired, so that drift is still fixed.
    """
    if traffic_weights != "ignore" or current is None:
        return dict(desired)
    if desired.get("Type") != "forward" or current.get("Type") != "forward":
        return dict(desired)
    if not same_traffic_targets(desired, current, pairs):
        return dict(desired)
    live_groups = copy.deepcopy(current["ForwardConfig"]["TargetGroups"])
    return {**desired, "ForwardConfig": {**desired["ForwardConfig"], "TargetGroups": live_groups}}


def effective_actions(desired: list, current: Optional[list], traffic_weights: str, pairs: Iterable[frozenset] = ()) -> list:
    if current is None or len(desired) != len(current):
        return list(desired)
    pairs = list(pairs)
    return [effective_action(wanted, live, traffic_weights, pairs) for wanted, live in zip(desired, current)]  # noqa: B905 (lengths checked above; strict= needs Python 3.10)


# --- rule conditions ---------------------------------------------------------------------------

CONDITION_CONFIGS = {
    "host-header": "HostHeaderConfig",
    "path-pattern": "PathPatternConfig",
    "http-header": "HttpHeaderConfig",
    "http-request-method": "HttpRequestMethodConfig",
    "query-string": "QueryStringConfig",
    "source-ip": "SourceIpConfig",
}


def _query_pairs(values: Iterable[Mapping]) -> list:
    unique = {(value.get("Key"), value.get("Value")) for value in values}
    ordered = sorted(unique, key=lambda pair: (pair[0] or "", pair[1] or ""))
    return [{"Value": item} if key is None else {"Key": key, "Value": item} for key, item in ordered]


def condition(field_name: str, values: Iterable, header_name: Optional[str] = None, regex_values: Optional[Iterable[str]] = None) -> dict:
    """The one shape of a rule condition: AWS's ``<Field>Config`` form with values as a sorted set.

    AWS ORs the values of one condition, so their order never matters.
    """
    config: dict = {"Values": _query_pairs(values) if field_name == "query-string" else sorted(set(values))}
    if field_name == "http-header":
        config["HttpHeaderName"] = header_name
    if regex_values:
        config["RegexValues"] = sorted(set(regex_values))
    return {"Field": field_name, CONDITION_CONFIGS[field_name]: config}


def desired_condition(spec: Mapping[str, Any]) -> dict:
    field_name = spec["field"]
    if field_name not in CONDITION_CONFIGS:
        raise InvalidInput(f"Unknown rule condition field {field_name!r}; use one of {', '.join(CONDITION_CONFIGS)}.")
    if field_name == "query-string":
        pairs = spec.get("query_strings") or []
        if not pairs:
            raise InvalidInput("A query-string condition needs query_strings (a list of key/value).")
        return condition(field_name, [{"Key": pair.get("key"), "Value": pair["value"]} for pair in pairs])
    if not spec.get("values"):
        raise InvalidInput(f"A {field_name} condition needs values.")
    if field_name == "http-header" and not spec.get("http_header_name"):
        raise InvalidInput("An http-header condition needs http_header_name.")
    return condition(field_name, spec["values"], spec.get("http_header_name"))


def current_condition(aws: Mapping[str, Any]) -> dict:
    field_name = aws["Field"]
    if field_name not in CONDITION_CONFIGS:
        return dict(aws)
    config = aws.get(CONDITION_CONFIGS[field_name]) or {}
    # Older rules carry the values at the top level only.
    values = config.get("Values") or aws.get("Values") or []
    return condition(field_name, values, config.get("HttpHeaderName"), config.get("RegexValues") or aws.get("RegexValues"))


def sort_conditions(conditions: Iterable[Mapping]) -> list:
    """AWS ANDs a rule's conditions, so they compare as a set."""
    return sorted((dict(item) for item in conditions), key=lambda item: json.dumps(item, sort_keys=True))


# --- rules ------------------------------------------------------------------------------------


class RuleModification(NamedTuple):
    rule_arn: str
    rule: dict
    fields: list


class RuleTagChange(NamedTuple):
    """AddTags and RemoveTags for one live rule (its ARN), at ``priority``."""

    rule_arn: str
    priority: int
    tags_to_set: dict
    tags_to_remove: list


RULE_STATES = ("present", "absent")


def rule_state(spec: Mapping[str, Any]) -> str:
    """``present`` (the default) or ``absent``: an absent rule only names the priority to delete."""
    state = spec.get("state") or "present"
    if state not in RULE_STATES:
        raise InvalidInput(f"A rule's state is one of {', '.join(RULE_STATES)}, not {state!r}.")
    return state


def rule_priority(spec: Mapping[str, Any]) -> int:
    priority = int(spec["priority"])
    if not 1 <= priority <= 50000:
        raise InvalidInput(f"Rule priority {priority} is out of range; use 1 to 50000.")
    return priority


def desired_rule_tags(tags: Optional[Mapping]) -> Optional[dict]:
    """A rule's ``tags`` as AWS keeps them (keys and values text); ``None`` means its tags are not managed."""
    if tags is None:
        return None
    return as_text({str(key): value for key, value in tags.items()})


def desired_rule(spec: Mapping[str, Any], resolve: Resolver) -> dict:
    """One rule with ``state=present``; conditions and an action are required for it.

    ``Tags`` is there only when the rule's ``tags`` are given: a rule without it keeps whatever tags it has.
    """
    priority = rule_priority(spec)
    if not spec.get("conditions"):
        raise InvalidInput(f"The rule with priority {priority} needs at least one condition (or state=absent to delete the rule).")
    if not spec.get("action"):
        raise InvalidInput(f"The rule with priority {priority} needs an action (or state=absent to delete the rule).")
    rule = {
        "Priority": priority,
        "Conditions": sort_conditions(desired_condition(item) for item in spec["conditions"]),
        "Actions": [desired_action(spec["action"], resolve)],
    }
    tags = desired_rule_tags(spec.get("tags"))
    if tags is not None:
        rule["Tags"] = tags
    return rule


def check_rule_priorities(specs: Iterable[Mapping]) -> None:
    """Each priority is listed once, whatever its state: one priority cannot be both kept and deleted."""
    listed: dict = {}
    for spec in specs:
        listed.setdefault(rule_priority(spec), []).append(rule_state(spec))
    conflicts = sorted(priority for priority, states in listed.items() if len(set(states)) > 1)
    if conflicts:
        raise InvalidInput(f"Rule priority {', '.join(map(str, conflicts))} is listed both with state=present and state=absent; list it once.")
    duplicates = sorted(priority for priority, states in listed.items() if len(states) > 1)
    if duplicates:
        raise InvalidInput(f"Two rules share priority {', '.join(map(str, duplicates))}; priorities must be unique.")


def desired_rules(specs: Optional[Iterable[Mapping]], resolve: Resolver) -> Optional[list]:
    """The listener's ``state=present`` rules sorted by priority; ``None`` means rules are not managed."""
    if specs is None:
        return None
    specs = list(specs)
    check_rule_priorities(specs)
    rules = [desired_rule(spec, resolve) for spec in specs if rule_state(spec) == "present"]
    return sorted(rules, key=lambda rule: rule["Priority"])


def absent_rule_priorities(specs: Optional[Iterable[Mapping]]) -> list:
    """The priorities of the ``state=absent`` rules, sorted: their live rules are deleted whatever ``purge_rules`` says."""
    return sorted(rule_priority(spec) for spec in specs or [] if rule_state(spec) == "absent")


def current_rule(aws: Mapping[str, Any]) -> Optional[dict]:
    """A rule as AWS reports it; ``None`` for the default rule (the listener's default action)."""
    if aws.get("IsDefault") or aws.get("Priority") == "default":
        return None
    return {
        "RuleArn": aws.get("RuleArn"),
        "Priority": int(aws["Priority"]),
        "Conditions": sort_conditions(current_condition(item) for item in aws.get("Conditions", [])),
        "Actions": current_actions(aws.get("Actions")),
    }


def current_rules(rules: Optional[Iterable[Mapping]]) -> list:
    found = (current_rule(rule) for rule in rules or [])
    return sorted((rule for rule in found if rule is not None), key=lambda rule: rule["Priority"])


def _tagged_priorities(desired: Optional[Iterable[Mapping]]) -> dict:
    """Priority to desired tags, for the desired rules whose tags are managed."""
    return {rule["Priority"]: rule["Tags"] for rule in desired or [] if rule.get("Tags") is not None}


def rule_tag_arns(desired: Optional[Iterable[Mapping]], current: Optional[Iterable[Mapping]]) -> list:
    """The ARNs of the live rules whose tags must be read: those at the priority of a desired rule with ``Tags``.

    Other rules' tags are neither read nor changed.
    """
    tagged = _tagged_priorities(desired)
    return [rule["RuleArn"] for rule in current or [] if rule["Priority"] in tagged and rule.get("RuleArn")]


def with_rule_tags(listener: Optional[Mapping], tags_by_arn: Mapping[str, Optional[list]]) -> Optional[dict]:
    """The listener with ``Tags`` (a dict) on each rule whose tags were read (DescribeTags lists per ARN)."""
    if listener is None:
        return None
    rules = [
        {**rule, "Tags": tags_from_aws(tags_by_arn[rule["RuleArn"]])} if rule.get("RuleArn") in tags_by_arn else rule for rule in listener.get("Rules", [])
    ]
    return {**listener, "Rules": rules}


def effective_rules(desired: Optional[list], current: Optional[list], traffic_weights: str, pairs: Iterable[frozenset] = ()) -> Optional[list]:
    """Desired rules with :func:`effective_action` applied against the live rule of the same priority."""
    if desired is None:
        return None
    pairs = list(pairs)
    live = {rule["Priority"]: rule for rule in current or []}
    return [{**rule, "Actions": effective_actions(rule["Actions"], live.get(rule["Priority"], {}).get("Actions"), traffic_weights, pairs)} for rule in desired]


def _rule_differences(desired: Mapping, current: Mapping) -> list:
    return [key for key in ("Conditions", "Actions") if desired[key] != current[key]]


def plan_rule_tags(desired: Optional[list], current: Optional[list], purge_tags: bool = True) -> list:
    """A :class:`RuleTagChange` for each live rule whose managed tags differ, matched by priority.

    Rules without desired ``Tags`` are left alone; a new rule gets its tags from CreateRule instead.
    Values compare as text and ``aws:``/``cutover.ecs:`` keys are never removed (:func:`plan_tags`).
    """
    tagged = _tagged_priorities(desired)
    changes = []
    for rule in current or []:
        if rule["Priority"] not in tagged:
            continue
        to_set, to_remove = plan_tags(tagged[rule["Priority"]], rule.get("Tags", {}), purge_tags)
        if to_set or to_remove:
            changes.append(RuleTagChange(rule["RuleArn"], rule["Priority"], to_set, to_remove))
    return changes


def group_rules(desired: Optional[list], current: Optional[list], purge: bool = True, absent: Iterable[int] = ()) -> tuple[list, list, list]:
    """(rules to add, rules to modify, rules to delete), matched by priority.

    A rule that changed keeps its ARN (ModifyRule), which ECS blue/green and
    CodeDeploy refer to. ``desired=None`` leaves every rule alone. The live
    rules at the ``absent`` priorities are deleted even without ``purge``, and
    an absent priority does not count as listed, so ``purge`` deletes it too.
    """
    if desired is None:
        return [], [], []
    live = {rule["Priority"]: rule for rule in current or []}
    wanted = {rule["Priority"] for rule in desired}
    absent = set(absent)
    if wanted & absent:
        raise InvalidInput(f"Rule priority {', '.join(map(str, sorted(wanted & absent)))} cannot be both present and absent.")
    to_add = [rule for rule in desired if rule["Priority"] not in live]
    to_modify = []
    for rule in desired:
        existing = live.get(rule["Priority"])
        if existing is not None:
            fields = _rule_differences(rule, existing)
            if fields:
                to_modify.append(RuleModification(existing["RuleArn"], rule, fields))
    to_delete = [rule for priority, rule in sorted(live.items()) if priority in absent or (purge and priority not in wanted)]
    return to_add, to_modify, to_delete


# --- listeners ---------------------------------------------------------------------------------

LISTENER_FIELDS = {
    "Port": ("strict", "value"),
    "Protocol": ("strict", "value"),
    "SslPolicy": ("strict", "value"),
    "Certificates": ("strict", "set(dict)"),
    "DefaultActions": ("strict", "list"),
}
SECURE_PROTOCOLS = ("HTTPS", "TLS")


def certificate_list(default: Optional[str], additional: Iterable[str] = ()) -> list:
    """The default certificate first, then the SNI certificates sorted; the default is never listed twice."""
    if default is None:
        return []
    extra = sorted(set(additional) - {default})
    return [{"CertificateArn": default, "IsDefault": True}] + [{"CertificateArn": arn, "IsDefault": False} for arn in extra]


def default_certificate(certificates: Optional[list]) -> Optional[str]:
    return next((item["CertificateArn"] for item in certificates or [] if item.get("IsDefault")), None)


def desired_listener(options: Mapping[str, Any], load_balancer_arn: str, resolve: Resolver) -> dict:
    """The listener the options ask for; ``Rules`` and other options not given are absent (not managed).

    ``Rules`` holds only the rules to keep; ``AbsentRules`` the priorities of the rules to delete.
    """
    desired: dict = {"LoadBalancerArn": load_balancer_arn, "Port": options["port"]}
    certificates = options.get("certificates")
    optional = {
        "Protocol": options.get("protocol"),
        "SslPolicy": options.get("ssl_policy"),
        "Certificates": certificate_list(certificates[0], certificates[1:]) if certificates else None,
        "DefaultActions": [desired_action(options["default_action"], resolve)] if options.get("default_action") else None,
        "Rules": desired_rules(options.get("rules"), resolve),
        # The priorities of the rules to delete (rules[].state=absent); not a listener field.
        "AbsentRules": absent_rule_priorities(options.get("rules")) or None,
        "Tags": dict(options["tags"]) if options.get("tags") is not None else None,
    }
    desired.update({key: value for key, value in optional.items() if value is not None})
    return desired


def current_listener(
    listener: Optional[Mapping], certificates: Optional[list] = None, rules: Optional[list] = None, tags: Optional[list] = None
) -> Optional[dict]:
    """DescribeListeners output, with DescribeListenerCertificates, DescribeRules and tags, in one shape.

    DescribeListenerCertificates lists the default certificate once more with
    IsDefault=false; :func:`certificate_list` drops that duplicate.
    """
    if not listener:
        return None
    default = next((item["CertificateArn"] for item in listener.get("Certificates") or []), None)
    default = default_certificate(certificates) or default
    additional = [item["CertificateArn"] for item in certificates or [] if not item.get("IsDefault")]
    return {
        "ListenerArn": listener.get("ListenerArn"),
        "LoadBalancerArn": listener.get("LoadBalancerArn"),
        "Port": listener.get("Port"),
        "Protocol": listener.get("Protocol"),
        "SslPolicy": listener.get("SslPolicy"),
        "Certificates": certificate_list(default, additional),
        "DefaultActions": current_actions(listener.get("DefaultActions")),
        "Rules": current_rules(rules),
        "Tags": tags_from_aws(tags),
    }


def apply_traffic_policy(desired: Mapping[str, Any], current: Optional[Mapping[str, Any]], traffic_weights: str, pairs: Iterable[frozenset] = ()) -> dict:
    """The desired listener with live weights kept where a deployment owns them (see :func:`effective_action`)."""
    if traffic_weights not in TRAFFIC_MODES:
        raise InvalidInput(f"traffic_weights must be one of {', '.join(TRAFFIC_MODES)}, not {traffic_weights!r}.")
    pairs = list(pairs)
    result = dict(desired)
    if current is None:
        return result
    if desired.get("DefaultActions") is not None:
        result["DefaultActions"] = effective_actions(desired["DefaultActions"], current.get("DefaultActions"), traffic_weights, pairs)
    if desired.get("Rules") is not None:
        result["Rules"] = effective_rules(desired["Rules"], current.get("Rules"), traffic_weights, pairs)
    return result


@dataclass
class ListenerPlan:
    """What must change on one listener. ``fields`` are listener-level (ModifyListener and certificates)."""

    fields: list = field(default_factory=list)
    rules_to_add: list = field(default_factory=list)
    rules_to_modify: list = field(default_factory=list)
    rules_to_delete: list = field(default_factory=list)
    tags_to_set: dict = field(default_factory=dict)
    tags_to_remove: list = field(default_factory=list)
    # Tag changes of live rules (AddTags/RemoveTags on the rule ARN); a new rule's tags go with CreateRule.
    rule_tags: list = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.summary)

    @property
    def summary(self) -> list:
        """Names of what changes, for the result and the diff: ``RuleTags`` when only rule tags change."""
        names = list(self.fields)
        if self.rules_to_add or self.rules_to_modify or self.rules_to_delete:
            names.append("Rules")
        if self.rule_tags:
            names.append("RuleTags")
        if self.tags_to_set or self.tags_to_remove:
            names.append("Tags")
        return names


def check_listener_can_be_created(desired: Mapping[str, Any]) -> None:
    if desired.get("Protocol") is None or desired.get("DefaultActions") is None:
        raise InvalidInput(f"The listener on port {desired['Port']} does not exist; creating it needs protocol and default_action.")
    if desired["Protocol"] in SECURE_PROTOCOLS and not desired.get("Certificates"):
        raise InvalidInput(f"A {desired['Protocol']} listener needs certificates (the first one is the default).")


def plan_listener(desired: Mapping[str, Any], current: Optional[Mapping[str, Any]], purge_rules: bool = True, purge_tags: bool = True) -> ListenerPlan:
    """Compare a desired listener (after :func:`apply_traffic_policy`) with the live one."""
    managed = {key: value for key, value in desired.items() if key in LISTENER_FIELDS}
    if current is None:
        check_listener_can_be_created(desired)
        return ListenerPlan(fields=sorted(managed), rules_to_add=list(desired.get("Rules") or []), tags_to_set=dict(desired.get("Tags") or {}))
    to_add, to_modify, to_delete = group_rules(desired.get("Rules"), current.get("Rules"), purge_rules, desired.get("AbsentRules") or ())
    tags_to_set, tags_to_remove = plan_tags(desired.get("Tags"), current.get("Tags", {}), purge_tags)
    rule_tags = plan_rule_tags(desired.get("Rules"), current.get("Rules"), purge_tags)
    return ListenerPlan(diff_fields(managed, current, LISTENER_FIELDS), to_add, to_modify, to_delete, tags_to_set, tags_to_remove, rule_tags)


def predict_listener(desired: Mapping[str, Any], current: Optional[Mapping[str, Any]], listener_plan: ListenerPlan, purge_tags: bool = True) -> dict:
    """The listener after the change: the check-mode result."""
    after = {**(current or {"Certificates": [], "Rules": [], "Tags": {}}), **{key: value for key, value in desired.items() if key in LISTENER_FIELDS}}
    after["LoadBalancerArn"] = desired["LoadBalancerArn"]
    deleted = {rule["Priority"] for rule in listener_plan.rules_to_delete}
    kept = [rule for rule in (current or {}).get("Rules", []) if rule["Priority"] not in deleted]
    changed = {item.rule["Priority"]: {**item.rule, "RuleArn": item.rule_arn} for item in listener_plan.rules_to_modify}
    rules = [changed.get(rule["Priority"], rule) for rule in kept] + list(listener_plan.rules_to_add)
    after["Rules"] = sorted(_predict_rule_tags(rules, desired.get("Rules"), (current or {}).get("Rules"), purge_tags), key=lambda rule: rule["Priority"])
    after["Tags"] = predict_tags(desired.get("Tags"), (current or {}).get("Tags"), purge_tags)
    return after


def _predict_rule_tags(rules: list, desired: Optional[list], current: Optional[list], purge_tags: bool) -> list:
    """Each rule whose tags are managed with its tags after the run; other rules as they are."""
    tagged = _tagged_priorities(desired)
    live = {rule["Priority"]: rule.get("Tags") for rule in current or []}
    return [
        {**rule, "Tags": predict_tags(tagged[rule["Priority"]], live.get(rule["Priority"]), purge_tags)} if rule["Priority"] in tagged else rule
        for rule in rules
    ]


def plan_certificates(desired: Optional[list], current: Optional[list]) -> tuple[Optional[str], list, list]:
    """(new default certificate or None, SNI certificates to add, SNI certificates to remove)."""
    if desired is None:
        return None, [], []
    wanted_default, live_default = default_certificate(desired), default_certificate(current)
    wanted = {item["CertificateArn"] for item in desired if not item["IsDefault"]}
    live = {item["CertificateArn"] for item in current or [] if not item["IsDefault"]}
    new_default = wanted_default if wanted_default != live_default else None
    return new_default, sorted(wanted - live), sorted(live - wanted)


def modify_listener_params(desired: Mapping[str, Any], current: Mapping[str, Any], fields: Iterable[str]) -> dict:
    """ModifyListener's parameters for the listener-level fields that differ ({} when none).

    Only the default certificate goes through ModifyListener; SNI certificates
    are added and removed on their own (:func:`plan_certificates`). A listener
    that becomes HTTPS or TLS must get its policy and default certificate in
    the same call, so those ride along with a protocol change.
    """
    fields = set(fields)
    params: dict = {}
    for key in ("Port", "Protocol", "SslPolicy"):
        if key in fields or (key == "SslPolicy" and "Protocol" in fields and desired.get(key)):
            params[key] = desired[key]
    new_default = default_certificate(desired.get("Certificates"))
    if new_default and (new_default != default_certificate(current.get("Certificates")) or "Protocol" in fields):
        params["Certificates"] = [{"CertificateArn": new_default}]
    if "DefaultActions" in fields:
        params["DefaultActions"] = actions_to_aws(desired["DefaultActions"])
    return params


def create_listener_params(desired: Mapping[str, Any]) -> dict:
    params: dict = {
        "LoadBalancerArn": desired["LoadBalancerArn"],
        "Port": desired["Port"],
        "Protocol": desired["Protocol"],
        "DefaultActions": actions_to_aws(desired["DefaultActions"]),
    }
    if desired.get("SslPolicy"):
        params["SslPolicy"] = desired["SslPolicy"]
    if desired.get("Certificates"):
        params["Certificates"] = [{"CertificateArn": default_certificate(desired["Certificates"])}]
    if desired.get("Tags"):
        params["Tags"] = [{"Key": key, "Value": value} for key, value in desired["Tags"].items()]
    return params


def rule_params(rule: Mapping[str, Any]) -> dict:
    """CreateRule's parameters for one rule (the caller adds ListenerArn); the rule's tags, when given, go with it."""
    params = {"Priority": rule["Priority"], "Conditions": copy.deepcopy(rule["Conditions"]), "Actions": actions_to_aws(rule["Actions"])}
    if rule.get("Tags"):
        params["Tags"] = [{"Key": key, "Value": value} for key, value in sorted(rule["Tags"].items())]
    return params
