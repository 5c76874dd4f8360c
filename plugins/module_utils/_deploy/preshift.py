# Copyright: cutover.ecs contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pre-shift checks: before a deployment starts, and before each traffic shift the module drives
(ContinueDeployment, ContinueServiceDeployment), the listener rules the deployment moves must route
as the deployment expects, and green's targets must be healthy in the group the traffic goes to.

A rule someone changed by hand (weights, another target group, a fixed response in place of the
forward) is reported field by field; the drivers refuse to go on unless told to proceed
(``on_listener_drift``). Pure functions over DescribeListeners, DescribeRules and
DescribeTargetHealth answers; the drivers read and act.

What a deployment expects of a rule is green's share of the rule's traffic (blue gets the rest):
before it starts, 0 on production and any share on test (AWS's own tutorials point the test
listener at the second target group at rest, and a deployment sets it anyway); for CodeDeploy at
Ready, 0 on production and 100 on test; for ECS-native, what the service deployment requested
(``requestedTestTrafficWeight``, ``requestedProductionTrafficWeight``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Optional

from ansible_collections.cutover.ecs.plugins.module_utils._deploy import native_plan, plan

PRODUCTION = "production"
TEST = "test"
FAIL = "fail"
PROCEED = "proceed"

# The priority of a finding about a whole listener (deleted, or no rule of it forwards to blue or green).
WHOLE_LISTENER = "*"

# Before a deployment starts: production all on blue; the test listener on either.
AT_REST = {PRODUCTION: 0.0, TEST: None}

# A share off by less than this (in percent of the rule's traffic) is rounding, not a change.
TOLERANCE = 0.5

# ECS lifecycle stages at which a PAUSE hook can hold a service deployment, and green's shares
# (test, production) there when the deployment does not say (None: traffic is moving, any weight).
NATIVE_STAGE_SHARES = {
    "RECONCILE_SERVICE": (0.0, 0.0),
    "PRE_SCALE_UP": (0.0, 0.0),
    "SCALE_UP": (0.0, 0.0),
    "POST_SCALE_UP": (0.0, 0.0),
    "TEST_TRAFFIC_SHIFT": (None, 0.0),
    "POST_TEST_TRAFFIC_SHIFT": (100.0, 0.0),
    "PRODUCTION_TRAFFIC_SHIFT": (100.0, None),
    "POST_PRODUCTION_TRAFFIC_SHIFT": (100.0, 100.0),
}


@dataclass(frozen=True)
class Pair:
    """The target groups a deployment moves traffic between (ARNs): blue serves now, green gets the release."""

    blue: str
    green: str


@dataclass(frozen=True)
class Route:
    """One rule the deployment moves, or a listener's default action (``priority`` "default")."""

    role: str
    listener: str
    port: Optional[int]
    rule: str
    priority: str
    actions: tuple
    exists: bool = True


def name_of(arn: Optional[str]) -> str:
    """A target group's, listener's or rule's short name: ``targetgroup/<name>/..`` -> name; a listener
    or rule -> ``<load balancer>``."""
    text = str(arn or "")
    if ":targetgroup/" in text:
        return plan.target_group_name(text)
    for marker in (":listener/app/", ":listener/net/", ":listener-rule/app/", ":listener-rule/net/"):
        if marker in text:
            return text.split(marker, 1)[1].split("/", 1)[0]
    return text


def listener_of_rule(rule_arn: str) -> str:
    """``...:listener-rule/app/<lb>/<id>/<listener id>/<rule id>`` -> the listener's ARN."""
    if ":listener-rule/" not in rule_arn:
        return rule_arn
    head, tail = rule_arn.split(":listener-rule/", 1)
    return f"{head}:listener/{tail.rsplit('/', 1)[0]}"


def forwarded(action: Mapping[str, Any]) -> dict:
    """{target group ARN: weight} of one action; {} when it does not forward."""
    return native_plan.forward_weights([action])


def _moves(actions: Iterable[Mapping[str, Any]], pair: Pair) -> bool:
    return any(set(forwarded(action)) & {pair.blue, pair.green} for action in actions)


def listener_routes(role: str, listener: Mapping[str, Any], rules: Sequence[Mapping[str, Any]], pair: Pair) -> list:
    """The rules of a listener (DescribeRules answers, its default rule among them, or the listener's
    DefaultActions) that forward to blue or green: those CodeDeploy moves."""
    arn, port = listener.get("ListenerArn", ""), listener.get("Port")
    routes = []
    seen_default = False
    for rule in rules:
        default = bool(rule.get("IsDefault")) or rule.get("Priority") == "default"
        seen_default = seen_default or default
        actions = tuple(rule.get("Actions") or ())
        if _moves(actions, pair):
            routes.append(Route(role, arn, port, rule.get("RuleArn", arn), "default" if default else str(rule.get("Priority")), actions))
    if not seen_default and _moves(listener.get("DefaultActions") or (), pair):
        routes.append(Route(role, arn, port, arn, "default", tuple(listener.get("DefaultActions") or ())))
    return routes


def named_route(role: str, arn: str, found: Optional[Mapping[str, Any]], listener: Optional[Mapping[str, Any]] = None) -> Route:
    """The rule (or NLB listener) an ECS-native service names as its production or test listener rule, as read
    (None: deleted)."""
    listener_arn = listener_of_rule(arn)
    port = (listener or {}).get("Port")
    if found is None:
        return Route(role, listener_arn, port, arn, "?", (), exists=False)
    if ":listener-rule/" in arn:
        default = bool(found.get("IsDefault"))
        return Route(role, listener_arn, port, arn, "default" if default else str(found.get("Priority")), tuple(found.get("Actions") or ()))
    return Route(role, arn, found.get("Port", port), arn, "default", tuple(found.get("DefaultActions") or ()))


def _where(route: Route) -> str:
    at = f"{name_of(route.listener)}:{route.port}" if route.port else route.listener
    if route.priority == WHOLE_LISTENER:
        return f"{route.role} listener {at}"
    rule = "default action" if route.priority == "default" else f"rule {route.priority}"
    return f"{route.role} listener {at}, {rule}"


def _finding(route: Route, field: str, expected: Any, found: Any) -> dict:
    return {
        "role": route.role,
        "listener": route.listener,
        "port": route.port,
        "rule": route.rule,
        "priority": route.priority,
        "field": field,
        "expected": expected,
        "found": found,
        "where": _where(route),
    }


def _describe_action(action: Mapping[str, Any]) -> str:
    kind = action.get("Type") or "?"
    if kind == "forward":
        groups = forwarded(action)
        return "forward to " + ", ".join(f"{name_of(arn)} (weight {weight})" for arn, weight in groups.items())
    if kind == "fixed-response":
        return f"fixed-response {(action.get('FixedResponseConfig') or {}).get('StatusCode', '')}".strip()
    if kind == "redirect":
        config = action.get("RedirectConfig") or {}
        return f"redirect {config.get('StatusCode', '')} to {config.get('Host', '#{host}')}{config.get('Path', '')}".strip()
    return kind


def route_drift(route: Route, pair: Pair, green_share: Optional[float]) -> list:
    """How ``route`` differs from what the deployment expects: it exists, forwards to the pair, to no other target
    group, and gives green ``green_share`` percent (None: any share). One finding per field."""
    if not route.exists:
        return [_finding(route, "Listener" if route.rule == route.listener else "Rule", "exists", "deleted")]
    moving = [(index, action) for index, action in enumerate(route.actions) if set(forwarded(action)) & {pair.blue, pair.green}]
    if not moving:
        found = "; ".join(_describe_action(action) for action in route.actions) or "no action"
        expected = f"forward to {name_of(pair.blue)} and {name_of(pair.green)}"
        return [_finding(route, "Actions", expected, found)]
    findings = []
    for index, action in moving:
        groups = forwarded(action)
        prefix = f"Actions[{index}].ForwardConfig.TargetGroups"
        for arn, weight in groups.items():
            if arn not in (pair.blue, pair.green):
                findings.append(_finding(route, f"{prefix}[{name_of(arn)}]", "absent (not blue or green)", f"weight {weight}"))
        if green_share is None:
            continue
        blue_weight, green_weight = groups.get(pair.blue, 0), groups.get(pair.green, 0)
        total = blue_weight + green_weight
        if total == 0:
            findings.append(_finding(route, f"{prefix}.Weight", f"{name_of(pair.green)} {green_share:g} %", "weight 0 on both"))
            continue
        share = 100.0 * green_weight / total
        if abs(share - green_share) <= TOLERANCE:
            continue
        for arn, weight, expected in ((pair.blue, blue_weight, 100.0 - green_share), (pair.green, green_weight, green_share)):
            findings.append(_finding(route, f"{prefix}[{name_of(arn)}].Weight", f"{expected:g} %", f"{weight} ({100.0 * weight / total:g} %)"))
    return findings


def listener_without_route(role: str, listener: Mapping[str, Any], pair: Pair) -> dict:
    """A production or test listener of a CodeDeploy group on which nothing forwards to blue or green."""
    route = Route(role, listener.get("ListenerArn", ""), listener.get("Port"), listener.get("ListenerArn", ""), WHOLE_LISTENER, ())
    expected = f"a rule forwarding to {name_of(pair.blue)} or {name_of(pair.green)}"
    return _finding(route, "Rules", expected, "none forwards to either")


def drift(routes: Iterable[Route], pair: Pair, shares: Mapping[str, Optional[float]]) -> list:
    """Every finding of every route; ``shares``: green's expected share per role."""
    found: list = []
    for route in routes:
        found.extend(route_drift(route, pair, shares.get(route.role)))
    return found


def native_shares(stage: Optional[str], requested_test: Any = None, requested_production: Any = None) -> dict:
    """Green's expected shares during an ECS-native deployment: what it requested, else what its stage implies."""
    by_stage = NATIVE_STAGE_SHARES.get(stage or "", (None, None))
    test = float(requested_test) if requested_test is not None else by_stage[0]
    production = float(requested_production) if requested_production is not None else by_stage[1]
    return {TEST: test, PRODUCTION: production}


def production_shares(routes: Iterable[Route]) -> list:
    """(route, target group ARN, percent of the route's traffic) for each target group a production route forwards
    to with a weight: where production's requests go now, whatever the deployment expects."""
    shares = []
    for route in routes:
        if route.role != PRODUCTION or not route.exists:
            continue
        for action in route.actions:
            groups = forwarded(action)
            total = sum(groups.values())
            shares.extend((route, arn, 100.0 * weight / total) for arn, weight in groups.items() if weight and total)
    return shares


def failing_now(routes: Iterable[Route], health: Mapping[str, Sequence[Mapping[str, Any]]]) -> list:
    """Production traffic the rules send now to a target group that cannot serve it, one sentence each: a group
    without a registered target (the load balancer answers 503), or with no healthy one (it sends the requests to the
    unhealthy targets anyway, fail-open). ``health``: DescribeTargetHealth's descriptions per group ARN read."""
    sentences = []
    for route, arn, share in production_shares(routes):
        if arn not in health:
            continue
        states = [(d.get("TargetHealth") or {}).get("State") for d in health[arn]]
        serving = [state for state in states if state != "draining"]
        if not serving:
            cannot = "which has no registered target: those requests fail now (HTTP 503)"
        elif "healthy" not in serving:
            verb = "is" if len(serving) == 1 else "are"
            cannot = f"which has no healthy target ({len(serving)} {verb} not): the load balancer sends those requests to them anyway"
        else:
            continue
        sentences.append(f"{_where(route)} sends {share:g} % of its requests to {name_of(arn)}, {cannot}")
    return sentences


def lines(findings: Iterable[Mapping[str, Any]]) -> list:
    return [f"{f['where']}: {f['field']}: expected {f['expected']}, found {f['found']}" for f in findings]


def _listed(findings: Iterable[Mapping[str, Any]], failing: Sequence[str]) -> str:
    """The findings, then the production traffic that cannot be served now (``failing_now``)."""
    return "; ".join(lines(findings)) + (f". Now: {'; '.join(failing)}" if failing else "")


def drift_message(findings: Sequence[Mapping[str, Any]], service: str, when: str, waiting: Optional[str] = None, failing: Sequence[str] = ()) -> str:
    """The refusal: each field that differs, production traffic that cannot be served now (``failing_now``), and the
    ways on. ``waiting``: the deployment held where it is (a shift refused), else none was started."""
    listed = _listed(findings, failing)
    if waiting:
        then = (
            f"The deployment {waiting} waits where it is: put the rules back and continue it (action=continue), roll it back "
            "(action=rollback), or continue with on_listener_drift=proceed (role: deploy_on_listener_drift)."
        )
    else:
        then = (
            "Nothing was changed: put them back, or set on_listener_drift=proceed "
            "(role: deploy_on_listener_drift) to deploy anyway; the deployment then sets the weights it needs and drops the rest."
        )
    return (
        f"The listener rules of {service} are not as the deployment expects {when} (changed by hand, by another tool, or by a "
        f"deployment stopped without rollback): {listed}. {then}"
    )


def proceed_warning(findings: Sequence[Mapping[str, Any]], when: str, failing: Sequence[str] = ()) -> str:
    listed = _listed(findings, failing)
    return f"Proceeding {when} although the listener rules differ from what the deployment expects (on_listener_drift=proceed): {listed}"


def green_not_ready(health: Sequence[Mapping[str, Any]], target_group: Optional[str]) -> Optional[str]:
    """Why traffic must not move to green yet: no target in its group, or targets not ``healthy`` (draining ones
    leave and do not count); None when every target is healthy."""
    states = [
        ((d.get("Target") or {}).get("Id"), (d.get("Target") or {}).get("Port"), (d.get("TargetHealth") or {}).get("State"))
        for d in health
        if (d.get("TargetHealth") or {}).get("State") != "draining"
    ]
    group = target_group or "green's target group"
    if not states:
        return f"no target is registered in {group}"
    waiting = [f"{ident}:{port} {state}" if port else f"{ident} {state}" for ident, port, state in states if state != "healthy"]
    if waiting:
        return f"{len(waiting)} of {len(states)} targets in {group} are not healthy ({', '.join(waiting)})"
    return None


# ECS-native stages after which a continue moves traffic onto green: it must be healthy first.
NATIVE_HEALTH_STAGES = ("POST_TEST_TRAFFIC_SHIFT", "PRODUCTION_TRAFFIC_SHIFT")


def serving_target_group(service: Mapping[str, Any]) -> Optional[str]:
    """The target group production is served from before a deployment: the PRIMARY task set's (CodeDeploy), else
    the service's first load balancer's."""
    for task_set in service.get("taskSets") or []:
        if task_set.get("status") == "PRIMARY":
            for balancer in task_set.get("loadBalancers") or []:
                if balancer.get("targetGroupArn"):
                    return balancer["targetGroupArn"]
    for balancer in service.get("loadBalancers") or []:
        if balancer.get("targetGroupArn"):
            return balancer["targetGroupArn"]
    return None


def _pair_info(group: Mapping[str, Any]) -> Mapping[str, Any]:
    """A CodeDeploy deployment group's first target group pair (GetDeploymentGroup's loadBalancerInfo)."""
    return ((group.get("loadBalancerInfo") or {}).get("targetGroupPairInfoList") or [{}])[0]


def codedeploy_pair_names(group: Mapping[str, Any]) -> list:
    """The names of a CodeDeploy deployment group's pair of target groups."""
    return [g.get("name") for g in _pair_info(group).get("targetGroups") or []]


def codedeploy_pair(group: Mapping[str, Any], arns: Mapping[str, str], serving: Optional[str]) -> Optional[Pair]:
    """The pair of a CodeDeploy deployment group (``arns``: target group name -> ARN), blue being the one that serves;
    None when the group has no pair whose groups exist (CodeDeploy refuses such a deployment itself)."""
    names = codedeploy_pair_names(group)
    if len(names) != 2 or not all(name in arns for name in names):
        return None
    first, second = arns[names[0]], arns[names[1]]
    return Pair(second, first) if serving == second else Pair(first, second)


def codedeploy_listeners(group: Mapping[str, Any]) -> list:
    """[(role, listener ARN)] of a CodeDeploy deployment group's first target group pair."""
    info = _pair_info(group)
    return [
        (role, arn) for role, key in ((PRODUCTION, "prodTrafficRoute"), (TEST, "testTrafficRoute")) for arn in (info.get(key) or {}).get("listenerArns") or []
    ]
