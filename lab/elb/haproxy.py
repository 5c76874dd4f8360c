"""The HAProxy data plane: ``apply(world)`` makes HAProxy serve an ``ElbWorld``; ``target_health``.

How a change reaches HAProxy, cheapest first:
- targets registered or deregistered: runtime API (``add server``, ``drain``,
  ``maint``, ``del server``), no reload;
- weights, or which target groups a rule forwards to: an atomic map commit;
- anything else (listeners, rules, conditions, health-check settings): a seamless
  reload (new worker, same sockets, server states carried over in the
  server-state file).

This module knows nothing of moto or the Lab: ``lab.elb.controller`` feeds it.
It is ``lab.haproxy`` in a running lab.
"""

from __future__ import annotations

import dataclasses
import logging
import socket
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path

from lab.elb import health as health_map
from lab.elb.health import ServerFacts, TargetHealth
from lab.elb.model import ElbWorld, LoadBalancer, Target, TargetGroup
from lab.elb.plan import ServerKey, Step, WantedServer, plan_servers
from lab.elb.process import HAProxyError, HAProxyProcess, ensure_certificate, write_atomic
from lab.elb.render import (
    Paths,
    RenderedConfig,
    ServerLine,
    Timing,
    backend_name,
    check_port,
    fail_open_args,
    fail_open_name,
    is_fail_open,
    render,
    server_args,
    server_name,
)
from lab.elb.runtime import RuntimeApiError, ServerStat, ServerState

log = logging.getLogger("lab.elb")

FAILED_RELOAD_RETRY_SECONDS = 30.0
# A removed server is put in maintenance, its sessions shut down and its checks disabled, and deleted
# only a cycle later, at least this long after, and only with no session or queue left
# (RuntimeApi.delete_server). HAProxy 2.6.12 (Debian 12's) deleted servers right after logging
# "N sessions active" and a worker then aborted ("unaligned tcache chunk") or segfaulted; the master
# exits with a failed worker, so every listener refused connections until the lab restarted HAProxy.
# Fault-matrix entry 10 alone: 4 crashes in 9 runs as it was; 1 in 4 with the session check alone;
# none in 4 with the check, this grace and one thread (nbthread in render.py).
REMOVAL_GRACE_SECONDS = 1.0

TargetGroupLookup = Callable[[str], "TargetGroup | None"]


def wanted_servers(world: ElbWorld, timing: Timing) -> list[WantedServer]:
    """A server for every registered target of every target group in use, and its fail-open twin when the
    group is health-checked (render.fail_open_name)."""
    used = world.used_target_group_arns()
    wanted = []
    for group in world.target_groups:
        if group.arn not in used:
            continue
        backend = backend_name(group.arn, group.name)
        for target in group.targets:
            wanted.append(
                WantedServer(
                    backend,
                    server_name(target),
                    f"{target.ip}:{target.port}",
                    check_port(group, target),
                    tuple(server_args(group, target, timing, explicit=True)),
                    group.health.enabled,
                )
            )
            if group.health.enabled:
                twin = fail_open_name(target)
                wanted.append(WantedServer(backend, twin, f"{target.ip}:{target.port}", target.port, tuple(fail_open_args(group)), False))
    return wanted


def can_bind(address: str, port: int) -> bool:
    """True if nothing else listens on ``address:port`` (HAProxy would fail to start the listener)."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # TIME_WAIT leftovers do not block a listener
        try:
            sock.bind((address, port))
        except OSError:
            return False
    return True


def without_listeners(world: ElbWorld, unwanted: set[tuple[str, int]]) -> ElbWorld:
    """The world minus some listeners (those HAProxy could not bind)."""
    if not unwanted:
        return world

    def trimmed(lb: LoadBalancer) -> LoadBalancer:
        return dataclasses.replace(lb, listeners=tuple(li for li in lb.listeners if (lb.address, li.port) not in unwanted))

    return dataclasses.replace(world, load_balancers=tuple(trimmed(lb) for lb in world.load_balancers))


def bound_addresses(world: ElbWorld) -> set[tuple[str, int]]:
    return {(lb.address, li.port) for lb in world.load_balancers for li in lb.listeners}


def config_servers(world: ElbWorld, actual: list[ServerState]) -> dict[str, list[ServerLine]]:
    """Servers for a (re)rendered config: those HAProxy has (they keep their state) plus new ones, disabled
    (fail-open twins excepted)."""
    have = {(s.backend, s.name) for s in actual}
    used = world.used_target_group_arns()
    servers: dict[str, list[ServerLine]] = {}
    for group in world.target_groups:
        if group.arn not in used:
            continue
        backend = backend_name(group.arn, group.name)
        lines = {server_name(t): ServerLine(t, disabled=(backend, server_name(t)) not in have) for t in group.targets}
        if group.health.enabled:
            # Twins are unchecked backups: in service from the first moment, so a group that a rule starts
            # forwarding to (a reload) fails open at once instead of answering 503 until the controller's
            # next step activates its servers.
            for t in group.targets:
                lines[fail_open_name(t)] = ServerLine(t, fail_open=True)
        for state in actual:
            # Draining servers stay in the config until their delay is over.
            if state.backend == backend and state.name not in lines:
                lines[state.name] = ServerLine(Target(state.address, state.port), fail_open=is_fail_open(state.name))
        servers[group.arn] = list(lines.values())
    return servers


class HAProxyDataPlane:
    def __init__(
        self,
        directory: Path,
        timing: Timing | None = None,
        binary: str = "haproxy",
        on_start: Callable[[int], None] | None = None,
        on_stop: Callable[[], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
        socket_dir: Path | None = None,
    ) -> None:
        self.paths = Paths(directory, socket_dir)
        self.timing = timing or Timing()
        self.process = HAProxyProcess(self.paths, binary, on_start, on_stop)
        self.api = self.process.api
        self.clock = clock
        self.world = ElbWorld()
        self.loaded_structure: str | None = None
        self.maps: dict[Path, str] = {}
        self.drains: dict[ServerKey, float] = {}
        self.facts: dict[ServerKey, ServerFacts] = {}
        # A server on its way out of HAProxy, and when its removal started (see REMOVAL_GRACE_SECONDS).
        self.pending_removals: dict[ServerKey, float] = {}
        # Where target_health finds a group's registered targets; the lab points it at moto.
        self.lookup: TargetGroupLookup = lambda arn: self.world.target_group(arn)
        self.reloads = 0
        self.unbindable: set[tuple[str, int]] = set()
        self.tls = False
        self._failed_structure: tuple[str, float] | None = None
        self._lock = threading.RLock()
        self._apply_lock = threading.Lock()

    # lifecycle -------------------------------------------------------------------------

    def start(self) -> None:
        with self._apply_lock:
            self._prepare_directory()
            self._start(self._render(ElbWorld(), []))

    def _prepare_directory(self) -> None:
        self.paths.directory.mkdir(parents=True, exist_ok=True)
        self.tls = ensure_certificate(self.paths.certificate)

    def _start(self, rendered: RenderedConfig) -> None:
        self._write_maps(rendered)
        self.process.start(rendered.text)
        self.loaded_structure = rendered.structure_hash
        self.maps = dict(rendered.maps)

    def stop(self) -> None:
        self.process.stop()
        self.loaded_structure = None

    @property
    def running(self) -> bool:
        return self.process.running()

    # apply -------------------------------------------------------------------------------

    def apply(self, world: ElbWorld) -> None:
        """Make HAProxy serve ``world``. Idempotent; call it again to advance drains.

        Listeners whose address and port something else holds are left out (and
        logged) so the rest of the world is still served.
        """
        with self._apply_lock:
            if not self.running:
                self._prepare_directory()
            world = self._bindable(world)
            actual = self.api.servers_state() if self.running else []
            rendered = self._render(world, actual)
            if not self.running:
                self._start(rendered)
                self.reloads += 1
            elif rendered.structure_hash != self.loaded_structure:
                self._reload(rendered)
            else:
                self._commit_changed_maps(rendered)
            with self._lock:
                self.world = world
            self._sync_servers(world)

    def _bindable(self, world: ElbWorld) -> ElbWorld:
        with self._lock:
            held = bound_addresses(self.world) if self.running else set()
        unbindable = {pair for pair in bound_addresses(world) - held if not can_bind(*pair)}
        for address, port in sorted(unbindable - self.unbindable):
            log.warning("listener %s:%d left out: something else listens there", address, port)
        self.unbindable = unbindable
        return without_listeners(world, unbindable)

    def _reload(self, rendered: RenderedConfig) -> None:
        failed = self._failed_structure
        if failed is not None and failed[0] == rendered.structure_hash and self.clock() - failed[1] < FAILED_RELOAD_RETRY_SECONDS:
            raise HAProxyError("the new HAProxy config failed to load; retrying later (see haproxy.log)")
        self._write_maps(rendered)
        try:
            self.process.reload(rendered.text)
        except HAProxyError:
            self._failed_structure = (rendered.structure_hash, self.clock())
            raise
        self._failed_structure = None
        self.loaded_structure = rendered.structure_hash
        self.maps = dict(rendered.maps)
        self.reloads += 1

    def needs_attention(self) -> bool:
        """True while something is pending: drains, new servers awaiting their first check, refused deletions."""
        with self._lock:
            return bool(self.drains or self.pending_removals or self.activating())

    def activating(self) -> set[ServerKey]:
        with self._lock:
            return {key for key, facts in self.facts.items() if facts.awaiting_first_check}

    def _render(self, world: ElbWorld, actual: list[ServerState]) -> RenderedConfig:
        return render(world, self.paths, config_servers(world, actual), self.timing, self.tls)

    def _write_maps(self, rendered: RenderedConfig) -> None:
        self.paths.maps.mkdir(parents=True, exist_ok=True)
        for path, content in rendered.maps.items():
            write_atomic(path, content)

    def _commit_changed_maps(self, rendered: RenderedConfig) -> None:
        for path, content in rendered.maps.items():
            if self.maps.get(path) == content:
                continue
            write_atomic(path, content)  # what a later reload loads
            self.api.replace_map(path, content)
            self.maps[path] = content

    # servers -----------------------------------------------------------------------------

    def _sync_servers(self, world: ElbWorld) -> None:
        used = world.used_target_group_arns()
        groups = {backend_name(g.arn, g.name): g for g in world.target_groups if g.arn in used}
        drain_seconds = {name: self.timing.drain(group) for name, group in groups.items()}
        actual = self.api.servers_state()
        with self._lock:
            drains = dict(self.drains)
        steps = plan_servers(wanted_servers(world, self.timing), actual, drains, drain_seconds, self.clock(), self.activating())
        for step in steps:
            try:
                self._run(step)
            except RuntimeApiError as exc:
                log.warning("haproxy %s %s/%s: %s", step.kind, step.backend, step.name, exc)
        self._put_checked_servers_in_service(set(groups))
        present = {(s.backend, s.name) for s in self.api.servers_state()}
        with self._lock:
            self.drains = {key: deadline for key, deadline in self.drains.items() if key in present}
            self.facts = {key: fact for key, fact in self.facts.items() if key in present}
            self.pending_removals = {key: at for key, at in self.pending_removals.items() if key in present}

    def _run(self, step: Step) -> None:
        api, backend, name = self.api, step.backend, step.name
        key = (backend, name)
        if step.kind == "add":
            api.add_server(backend, name, step.address, step.args)
        elif step.kind == "activate":
            self._activate(backend, name, step.checks)
        elif step.kind == "undrain":
            api.set_state(backend, name, "ready")
            with self._lock:
                self.drains.pop(key, None)
        elif step.kind == "drain":
            api.set_state(backend, name, "drain")
            with self._lock:
                self.drains[key] = step.deadline
                self.facts.pop(key, None)
        elif step.kind == "remove":
            with self._lock:
                started = self.pending_removals.get(key)
            if started is None:
                api.set_state(backend, name, "maint")
                api.shutdown_sessions(backend, name)
                api.disable_health(backend, name)
                with self._lock:
                    self.pending_removals[key] = self.clock()
                return
            if self.clock() - started >= REMOVAL_GRACE_SECONDS and api.delete_server(backend, name):
                with self._lock:
                    self.pending_removals.pop(key, None)
                    self.drains.pop(key, None)
                    self.facts.pop(key, None)
        elif step.kind == "check-port":
            api.set_check_port(backend, name, step.port)

    def _activate(self, backend: str, name: str, checks: bool) -> None:
        """A newly registered target: checked, but without traffic until its first check passes.

        It waits in drain (checked, no traffic) with full check health, so that only
        ``fall`` failed checks mark it DOWN; ``_put_checked_servers_in_service``
        sets it ready after its first passing check.
        """
        if not checks:
            self.api.set_state(backend, name, "ready")
            return
        self.api.set_state(backend, name, "drain")
        self.api.set_health(backend, name, "up")
        self.api.enable_health(backend, name)
        with self._lock:
            self.facts[(backend, name)] = ServerFacts(self.clock())

    def _put_checked_servers_in_service(self, backends: set[str]) -> None:
        waiting = self.activating()
        for backend in sorted({key[0] for key in waiting} & backends):
            for stat in self.api.stat(backend):
                key = (backend, stat.name)
                if key in waiting and health_map.first_check_decided(stat):
                    self.api.set_state(backend, stat.name, "ready")
                    with self._lock:
                        self.facts[key] = ServerFacts(self.facts[key].activated_at, awaiting_first_check=False)

    # health ------------------------------------------------------------------------------

    def target_health(self, target_group_arn: str) -> dict[tuple[str, int], TargetHealth]:
        """AWS's view of every target of a group: registered ones and those still draining.

        Registered targets come from ``lookup`` (moto, in a running lab), so a target
        registered a moment ago shows as ``initial`` before the controller added it.
        Raises KeyError for an unknown target group.
        """
        group = self.lookup(target_group_arn)
        if group is None:
            raise KeyError(target_group_arn)
        with self._lock:
            world = self.world
            drains = dict(self.drains)
        used = target_group_arn in world.used_target_group_arns()
        applied = world.target_group(target_group_arn) or group
        backend = backend_name(group.arn, group.name)
        stats: dict[str, ServerStat] = {}
        servers: list[ServerState] = []
        if used and self.running:
            try:
                stats = {s.name: s for s in self.api.stat(backend)}
                servers = self.api.servers_state(backend)
            except (OSError, RuntimeApiError):
                log.debug("reading haproxy state of %s failed", backend, exc_info=True)
        result: dict[tuple[str, int], TargetHealth] = {}
        registered = {server_name(t): t for t in group.targets}
        with self._lock:
            for name, target in registered.items():
                key = (backend, name)
                if key in drains:
                    result[(target.ip, target.port)] = health_map.DEREGISTRATION_IN_PROGRESS
                    continue
                activated = self.facts.get(key)
                if activated is None and stats.get(name) is not None and stats[name].status != "MAINT":
                    activated = ServerFacts(0.0, awaiting_first_check=False)  # in service since before this process knew it
                result[(target.ip, target.port)] = health_map.target_health(
                    used=used, checks_enabled=applied.health.enabled, http=applied.health.is_http, stat=stats.get(name), facts=activated
                )
        for server in servers:
            # Deregistered in moto but still in HAProxy: draining, or about to be (fail-open twins are not targets).
            if server.name not in registered and not server.in_maintenance and not is_fail_open(server.name):
                result[(server.address, server.port)] = health_map.DEREGISTRATION_IN_PROGRESS
        return result

    def describe(self) -> Mapping[str, object]:
        with self._lock:
            return {
                "pid": self.process.pid,
                "config": str(self.paths.config),
                "reloads": self.reloads,
                "draining": len(self.drains),
                "load_balancers": {lb.name: lb.address for lb in self.world.load_balancers},
            }
