"""The ELB controller: moto's ELBv2 state -> the HAProxy data plane, every tick.

Per tick, under ``lab.lock``: give each load balancer its loopback address (and
report it as DNSName), read the world; then, without the lock, let the data
plane apply it. Nothing is sent to HAProxy when the world did not change and
no drain is running, so a quiet lab costs one snapshot per tick.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any

from lab import clock
from lab.elb.haproxy import HAProxyDataPlane
from lab.elb.model import ElbWorld, TargetGroup, region_of, snapshot, target_group_of
from lab.elb.render import Timing
from lab.server import Controller

if TYPE_CHECKING:
    from lab.server import Lab

log = logging.getLogger("lab.elb")

PROCESS_NAME = "haproxy"
FULL_SYNC_SECONDS = 5.0  # also re-check HAProxy this often when nothing changed (self-healing)
LB_OWNER_MARKER = ":loadbalancer/"


def lab_timing() -> Timing:
    return Timing(scale=clock.scaled)


def elbv2_regions(lab: Lab) -> list[str]:
    """Regions whose ELBv2 backend moto has built (it builds them on first use)."""
    from moto.backends import get_backend

    return sorted(get_backend("elbv2")[lab.moto.account_id].keys())  # type: ignore[index]


def assign_address(lab: Lab, lb: Any) -> str:
    """The load balancer's loopback address; DNSName reports it (an IP resolves without any DNS set-up)."""
    address = lab.loopback.allocate("lb", lb.arn)
    if lb.dns_name != address:
        lb.dns_name = address
    return address


def read_world(lab: Lab) -> ElbWorld:
    """Caller holds ``lab.lock``."""
    backends = [lab.moto.elbv2(region) for region in elbv2_regions(lab)]
    world = snapshot(backends, lambda lb: assign_address(lab, lb), lab.faults.target_group_unhealthy)
    release_deleted(lab, {lb.arn for lb in world.load_balancers})
    return world


def release_deleted(lab: Lab, arns: set[str]) -> None:
    for owner in lab.loopback.allocations():
        if LB_OWNER_MARKER in owner and owner not in arns:
            lab.loopback.release(owner)


def lookup_in_moto(lab: Lab, arn: str) -> TargetGroup | None:
    """A target group as moto has it now (its targets may be newer than the last tick)."""
    with lab.lock:
        region = region_of(arn)
        if region not in elbv2_regions(lab):
            return None
        group = lab.moto.elbv2(region).target_groups.get(arn)
        return target_group_of(group, lab.faults.target_group_unhealthy(arn)) if group is not None else None


def activate_load_balancers(lab: Lab, world: ElbWorld) -> None:
    """``provisioning`` -> ``active`` once HAProxy listens for them."""
    arns = {lb.arn for lb in world.load_balancers}
    with lab.lock:
        for region in elbv2_regions(lab):
            for lb in lab.moto.elbv2(region).load_balancers.values():
                if lb.arn in arns and lb.state == "provisioning":
                    lb.state = "active"


class ElbController(Controller):
    name = "elb"
    services = ("elasticloadbalancing",)

    def __init__(self, lab: Lab, plane: HAProxyDataPlane) -> None:
        self.plane = plane
        self.applied: ElbWorld | None = None
        self.last_full_sync = 0.0
        plane.lookup = lambda arn: lookup_in_moto(lab, arn)

    def reconcile(self, lab: Lab) -> None:
        with lab.lock:
            world = read_world(lab)
        now = time.monotonic()
        quiet = world == self.applied and not self.plane.needs_attention() and self.plane.running
        if quiet and now - self.last_full_sync < FULL_SYNC_SECONDS:
            return
        self.plane.apply(world)
        self.last_full_sync = now
        if world != self.applied:
            activate_load_balancers(lab, world)
        self.applied = world

    def shutdown(self, lab: Lab) -> None:
        self.plane.stop()


def start_data_plane(lab: Lab) -> HAProxyDataPlane:
    plane = HAProxyDataPlane(
        lab.config.haproxy_dir,
        timing=lab_timing(),
        on_start=lambda pid: lab.state.add_process(PROCESS_NAME, pid, command="haproxy"),
        on_stop=lambda: lab.state.remove_process(PROCESS_NAME),
        socket_dir=lab.config.socket_dir,
    )
    plane.start()
    return plane
