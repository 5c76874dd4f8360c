"""What the data plane needs from moto's ELBv2 state, as plain frozen data.

``snapshot(backends, ...)`` reads moto's objects (under ``lab.lock``) into these
classes; everything after that (rendering, planning, health mapping) is pure
and works on them alone, so it can be tested without moto or HAProxy.

moto keeps numbers as whatever the request carried (``"5"`` or ``5``) and rules
in insertion order; the snapshot normalises both.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

# ELBv2 listener and target group protocols that HAProxy serves in HTTP mode.
HTTP_PROTOCOLS = frozenset({"HTTP", "HTTPS"})
DEFAULT_PRIORITY = 50_001  # after every real rule (AWS priorities are 1..50000)
DEFAULT_DEREGISTRATION_DELAY = 300.0


@dataclass(frozen=True)
class HealthCheck:
    enabled: bool = True
    protocol: str = "HTTP"  # HTTP | HTTPS | TCP
    port: str = "traffic-port"  # or a port number as text
    path: str = "/"
    interval: float = 30.0
    timeout: float = 5.0
    healthy_threshold: int = 5
    unhealthy_threshold: int = 2
    matcher: str = "200"  # HttpCode: "200", "200-299", "200,302"

    @property
    def is_http(self) -> bool:
        return self.protocol in HTTP_PROTOCOLS


@dataclass(frozen=True)
class Target:
    ip: str
    port: int


@dataclass(frozen=True)
class TargetGroup:
    arn: str
    name: str
    protocol: str
    port: int
    health: HealthCheck = field(default_factory=HealthCheck)
    deregistration_delay: float = DEFAULT_DEREGISTRATION_DELAY
    targets: tuple[Target, ...] = ()
    unhealthy_fault: bool = False  # the lab's fault table makes this group fail its checks

    @property
    def is_http(self) -> bool:
        return self.protocol in HTTP_PROTOCOLS

    @property
    def region(self) -> str:
        return region_of(self.arn)


@dataclass(frozen=True)
class Condition:
    """One rule condition; ``values`` are ORed, conditions of a rule are ANDed (as on AWS)."""

    field: str  # path-pattern | host-header | http-header | http-request-method | query-string | source-ip
    values: tuple[str, ...]
    header: str = ""  # http-header: the header name
    pairs: tuple[tuple[str, str], ...] = ()  # query-string: (key or "", value)


@dataclass(frozen=True)
class WeightedGroup:
    arn: str
    weight: int = 1


@dataclass(frozen=True)
class Action:
    kind: str  # forward | fixed-response | redirect | unsupported
    groups: tuple[WeightedGroup, ...] = ()
    status: int = 503
    content_type: str = ""
    body: str = ""
    redirect: tuple[tuple[str, str], ...] = ()  # RedirectConfig items, sorted

    @property
    def redirect_config(self) -> dict[str, str]:
        return dict(self.redirect)


@dataclass(frozen=True)
class Rule:
    arn: str
    priority: int
    conditions: tuple[Condition, ...]
    action: Action

    @property
    def is_default(self) -> bool:
        return self.priority == DEFAULT_PRIORITY


@dataclass(frozen=True)
class Listener:
    arn: str
    port: int
    protocol: str
    rules: tuple[Rule, ...]  # by priority, the default rule last
    # Source CIDRs the load balancer's security groups admit on this port; None: everyone.
    admits: tuple[str, ...] | None = None

    @property
    def is_http(self) -> bool:
        return self.protocol in HTTP_PROTOCOLS


@dataclass(frozen=True)
class LoadBalancer:
    arn: str
    name: str
    type: str  # application | network
    address: str
    listeners: tuple[Listener, ...]


@dataclass(frozen=True)
class ElbWorld:
    load_balancers: tuple[LoadBalancer, ...] = ()
    target_groups: tuple[TargetGroup, ...] = ()

    def target_group(self, arn: str) -> TargetGroup | None:
        return next((group for group in self.target_groups if group.arn == arn), None)

    def used_target_group_arns(self) -> frozenset[str]:
        """Groups some listener rule forwards to (weight 0 included: AWS still health-checks those)."""
        return frozenset(group.arn for lb in self.load_balancers for listener in lb.listeners for rule in listener.rules for group in rule.action.groups)


# naming ----------------------------------------------------------------------------


def short_hash(text: str, length: int = 8) -> str:
    return hashlib.sha1(text.encode()).hexdigest()[:length]


def region_of(arn: str) -> str:
    """``us-east-1`` from ``arn:aws:elasticloadbalancing:us-east-1:123456789012:...``."""
    parts = arn.split(":")
    return parts[3] if len(parts) > 3 else ""


# reading moto ----------------------------------------------------------------------


def _int(value: Any, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _float(value: Any, default: float) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return default


def health_check_of(group: Any) -> HealthCheck:
    protocol = (group.health_check_protocol or group.protocol or "HTTP").upper()
    matcher = (getattr(group, "matcher", None) or {}).get("HttpCode") or "200"
    return HealthCheck(
        enabled=bool(group.health_check_enabled),
        protocol=protocol,
        port=str(group.health_check_port or "traffic-port"),
        path=group.health_check_path or "/",
        interval=_float(group.health_check_interval_seconds, 30.0),
        timeout=_float(group.health_check_timeout_seconds, 5.0),
        healthy_threshold=_int(group.healthy_threshold_count, 5),
        unhealthy_threshold=_int(group.unhealthy_threshold_count, 2),
        matcher=str(matcher),
    )


def target_group_of(group: Any, unhealthy_fault: bool = False) -> TargetGroup:
    port = _int(group.port, 80)
    targets = tuple(Target(str(t["Id"]), _int(t.get("Port"), port)) for t in group.targets.values())
    return TargetGroup(
        arn=group.arn,
        name=group.name,
        protocol=(group.protocol or "HTTP").upper(),
        port=port,
        health=health_check_of(group),
        deregistration_delay=_float(group.attributes.get("deregistration_delay.timeout_seconds"), DEFAULT_DEREGISTRATION_DELAY),
        targets=targets,
        unhealthy_fault=unhealthy_fault,
    )


def _values(condition: dict[str, Any], config_key: str) -> tuple[str, ...]:
    config = condition.get(config_key) or {}
    return tuple(str(v) for v in (config.get("Values") or condition.get("Values") or []))


def condition_of(condition: dict[str, Any]) -> Condition:
    kind = str(condition.get("Field", ""))
    if kind == "path-pattern":
        return Condition(kind, _values(condition, "PathPatternConfig"))
    if kind == "host-header":
        return Condition(kind, _values(condition, "HostHeaderConfig"))
    if kind == "http-header":
        config = condition.get("HttpHeaderConfig") or {}
        return Condition(kind, tuple(str(v) for v in config.get("Values") or []), header=str(config.get("HttpHeaderName", "")))
    if kind == "http-request-method":
        return Condition(kind, _values(condition, "HttpRequestMethodConfig"))
    if kind == "source-ip":
        return Condition(kind, _values(condition, "SourceIpConfig"))
    if kind == "query-string":
        pairs = tuple((str(p.get("Key") or ""), str(p.get("Value") or "")) for p in (condition.get("QueryStringConfig") or {}).get("Values") or [])
        return Condition(kind, (), pairs=pairs)
    return Condition(kind, ())


def action_of(actions: list[Any]) -> Action:
    """The terminal action of a rule (AWS runs authenticate-* first, then exactly one of these)."""
    for raw in sorted(actions, key=lambda a: _int(a.data.get("Order"), 0)):
        data = raw.data
        kind = data.get("Type")
        if kind == "forward":
            groups = (data.get("ForwardConfig") or {}).get("TargetGroups") or []
            if groups:
                return Action("forward", tuple(WeightedGroup(g["TargetGroupArn"], _int(g.get("Weight"), 1)) for g in groups))
            return Action("forward", (WeightedGroup(data["TargetGroupArn"], 1),))
        if kind == "fixed-response":
            config = data.get("FixedResponseConfig") or {}
            return Action(
                "fixed-response", status=_int(config.get("StatusCode"), 503), content_type=config.get("ContentType") or "", body=config.get("MessageBody") or ""
            )
        if kind == "redirect":
            config = data.get("RedirectConfig") or {}
            return Action("redirect", redirect=tuple(sorted((str(k), str(v)) for k, v in config.items())))
    return Action("unsupported")


def rule_of(rule: Any) -> Rule:
    priority = DEFAULT_PRIORITY if rule.is_default or rule.priority == "default" else _int(rule.priority, DEFAULT_PRIORITY - 1)
    return Rule(rule.arn, priority, tuple(condition_of(c) for c in rule.conditions or []), action_of(list(rule.actions)))


def listener_of(listener: Any, groups: Sequence[Any] = ()) -> Listener:
    rules = sorted((rule_of(r) for r in listener.rules.values()), key=lambda r: r.priority)
    port = _int(listener.port, 80)
    return Listener(listener.arn, port, (listener.protocol or "HTTP").upper(), tuple(rules), admitted_sources(groups, port))


def admitted_sources(groups: Sequence[Any], port: int) -> tuple[str, ...] | None:
    """The source CIDRs that the inbound rules of ``groups`` (moto security groups) admit on TCP ``port``;
    None when they admit everyone (a 0.0.0.0/0 or ::/0 rule).

    *lab*: a load balancer with no group, or with only its VPC's default group, admits everyone. On AWS the
    default group admits only its own members, which the lab's loopback clients cannot be; tests and tools
    that make a load balancer without groups would otherwise reach nothing. A rule naming a source security
    group admits no loopback client (none is a member of a group).
    """
    chosen = [group for group in groups if not getattr(group, "is_default", False)]
    if not chosen:
        return None
    cidrs: set[str] = set()
    for group in chosen:
        for rule in group.ingress_rules:
            protocol = str(rule.ip_protocol)
            if protocol not in ("-1", "tcp", "6"):
                continue
            if protocol != "-1" and not (_int(rule.from_port, -1) <= port <= _int(rule.to_port, -1)):
                continue
            cidr = rule.ip_range.get("CidrIp") or rule.ip_range.get("CidrIpv6")
            if cidr in ("0.0.0.0/0", "::/0"):
                return None
            if cidr:
                cidrs.add(cidr)
    return tuple(sorted(cidrs))


def snapshot(
    backends: Iterable[Any],
    address_for: Callable[[Any], str],
    faulted: Callable[[str], bool] = lambda arn: False,
) -> ElbWorld:
    """The world of some moto ELBv2 backends. ``address_for(lb)`` gives each load balancer its loopback address."""
    load_balancers: list[LoadBalancer] = []
    target_groups: list[TargetGroup] = []
    for backend in backends:
        for lb in backend.load_balancers.values():
            groups = [backend.ec2_backend.get_security_group_from_id(group_id) for group_id in lb.security_groups or ()]
            groups = [group for group in groups if group is not None]
            listeners = tuple(sorted((listener_of(li, groups) for li in lb.listeners.values()), key=lambda li: li.port))
            load_balancers.append(LoadBalancer(lb.arn, lb.name, lb.type or "application", address_for(lb), listeners))
        target_groups.extend(target_group_of(group, faulted(group.arn)) for group in backend.target_groups.values())
    return ElbWorld(tuple(load_balancers), tuple(target_groups))
