"""ELBv2 operations the lab answers from its HAProxy data plane (registered on import).

- ``CreateLoadBalancer``: moto creates it; the answer's DNSName is the load
  balancer's loopback address (``127.0.1.x``), where its listeners are bound.
  An IP resolves everywhere without touching /etc/hosts or a DNS server.
- ``DescribeTargetHealth``: answered from HAProxy's health checks instead of
  moto's "always healthy".

``setup`` starts haproxy and returns the ELB controller.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING
from xml.sax.saxutils import escape

from lab.elb.controller import ElbController, assign_address, start_data_plane
from lab.elb.health import NOT_REGISTERED, TargetHealth
from lab.server import intercept
from lab.wire import Request, Response, xml_response

if TYPE_CHECKING:
    from lab.server import Controller, Lab

NAMESPACE = "http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/"


def setup(lab: Lab) -> list[Controller]:
    plane = start_data_plane(lab)
    lab.haproxy = plane
    return [ElbController(lab, plane)]


# CreateLoadBalancer -----------------------------------------------------------------


@intercept("elasticloadbalancing", "CreateLoadBalancer")
def create_load_balancer(req: Request) -> Response | None:
    assert req.lab is not None
    response = req.call_moto()
    if response.status_code >= 400:
        return response
    name = req.params.get("Name", "")
    backend = req.lab.moto.elbv2(req.region)
    lb = next((lb for lb in backend.load_balancers.values() if lb.name == name), None)
    if lb is None:
        return response
    moto_dns_name = lb.dns_name
    address = assign_address(req.lab, lb)
    body = response.get_data(as_text=True).replace(f"<DNSName>{escape(moto_dns_name)}</DNSName>", f"<DNSName>{address}</DNSName>")
    response.set_data(body)
    return response


# DescribeTargetHealth ---------------------------------------------------------------

_TARGET_PARAM = re.compile(r"^Targets\.member\.(\d+)\.(Id|Port)$")


def requested_targets(params: dict[str, str], default_port: int) -> list[tuple[str, int]]:
    """``Targets.member.N.Id`` / ``.Port`` of a query-protocol request, in order."""
    found: dict[int, dict[str, str]] = {}
    for key, value in params.items():
        match = _TARGET_PARAM.match(key)
        if match:
            found.setdefault(int(match.group(1)), {})[match.group(2)] = value
    return [(entry["Id"], int(entry.get("Port") or default_port)) for _, entry in sorted(found.items()) if "Id" in entry]


def descriptions(
    health: dict[tuple[str, int], TargetHealth],
    requested: list[tuple[str, int]],
) -> list[tuple[tuple[str, int], TargetHealth]]:
    """What to report: every target HAProxy knows, or exactly the requested ones (unknown: not registered)."""
    if not requested:
        return list(health.items())
    return [(target, health.get(target, NOT_REGISTERED)) for target in requested]


def health_check_port(configured: str, target_port: int) -> str:
    return str(target_port) if configured == "traffic-port" else configured


def member_xml(target: tuple[str, int], state: TargetHealth, check_port: str) -> str:
    parts = [f"<State>{state.state}</State>"]
    if state.reason:
        parts.append(f"<Reason>{escape(state.reason)}</Reason>")
    if state.description:
        parts.append(f"<Description>{escape(state.description)}</Description>")
    return (
        "<member>"
        f"<Target><Id>{escape(target[0])}</Id><Port>{target[1]}</Port></Target>"
        f"<HealthCheckPort>{escape(check_port)}</HealthCheckPort>"
        f"<TargetHealth>{''.join(parts)}</TargetHealth>"
        "</member>"
    )


def describe_target_health_xml(items: list[tuple[tuple[str, int], TargetHealth]], configured_port: str, request_id: str) -> str:
    members = "".join(member_xml(target, state, health_check_port(configured_port, target[1])) for target, state in items)
    return (
        f'<DescribeTargetHealthResponse xmlns="{NAMESPACE}">'
        f"<DescribeTargetHealthResult><TargetHealthDescriptions>{members}</TargetHealthDescriptions></DescribeTargetHealthResult>"
        f"<ResponseMetadata><RequestId>{request_id}</RequestId></ResponseMetadata>"
        "</DescribeTargetHealthResponse>"
    )


@intercept("elasticloadbalancing", "DescribeTargetHealth")
def describe_target_health(req: Request) -> Response | None:
    lab = req.lab
    if lab is None or lab.haproxy is None:
        return None
    arn = req.params.get("TargetGroupArn", "")
    group = lab.moto.elbv2(req.region).target_groups.get(arn)
    if group is None:
        return None  # moto answers TargetGroupNotFound
    try:
        health = lab.haproxy.target_health(arn)
    except KeyError:
        return None
    requested = requested_targets(req.params, int(group.port or 0))
    items = descriptions(health, requested)
    return xml_response(describe_target_health_xml(items, str(group.health_check_port or "traffic-port"), req.request_id))
