"""Which runtime API steps bring HAProxy's servers in line with the registered targets. Pure.

A registered target is a server; a deregistered one drains (HAProxy ``drain``:
no new requests, in-flight ones finish) for the target group's deregistration
delay and is then put in maintenance and deleted.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Set
from dataclasses import dataclass

from lab.elb.runtime import ServerState

ServerKey = tuple[str, str]  # (backend, server name)


@dataclass(frozen=True)
class WantedServer:
    backend: str
    name: str
    address: str  # ip:port
    check_port: int
    add_args: tuple[str, ...]  # for "add server" (explicit health settings)
    checks: bool = True

    @property
    def key(self) -> ServerKey:
        return (self.backend, self.name)


@dataclass(frozen=True)
class Step:
    """One thing to do. ``kind``: add | activate | undrain | drain | remove | check-port."""

    kind: str
    backend: str
    name: str
    address: str = ""
    args: tuple[str, ...] = ()
    port: int = 0
    checks: bool = True
    deadline: float = 0.0


def plan_servers(
    wanted: Iterable[WantedServer],
    actual: Iterable[ServerState],
    drains: Mapping[ServerKey, float],
    drain_seconds: Mapping[str, float],
    now: float,
    activating: Set[ServerKey] = frozenset(),
) -> list[Step]:
    """Steps for every backend in ``drain_seconds`` (the backends the config has).

    ``drains``: servers already draining -> when their delay ends. ``activating``:
    new servers held in drain until their first check passes (not to undrain).
    Servers of other backends are left alone (a reload is about to drop them).
    """
    wanted_by_key = {w.key: w for w in wanted}
    actual_by_key = {(s.backend, s.name): s for s in actual if s.backend in drain_seconds}
    steps: list[Step] = []
    for key, want in sorted(wanted_by_key.items()):
        have = actual_by_key.get(key)
        if have is None:
            steps.append(Step("add", want.backend, want.name, want.address, want.add_args, checks=want.checks))
            steps.append(Step("activate", want.backend, want.name, checks=want.checks))
            continue
        if key in drains or (have.draining and key not in activating):
            steps.append(Step("undrain", want.backend, want.name))
        elif have.in_maintenance:
            steps.append(Step("activate", want.backend, want.name, checks=want.checks))
        if want.checks and have.effective_check_port != want.check_port:
            steps.append(Step("check-port", want.backend, want.name, port=want.check_port))
    for key, have in sorted(actual_by_key.items()):
        if key in wanted_by_key:
            continue
        deadline = drains.get(key)
        if deadline is None and not have.in_maintenance:
            steps.append(Step("drain", have.backend, have.name, deadline=now + drain_seconds.get(have.backend, 0.0)))
        elif deadline is None or now >= deadline:
            steps.append(Step("remove", have.backend, have.name))
    return steps
