"""Conformance of the HAProxy data plane, against a real haproxy and real HTTP targets on loopback.

Each test runs its own haproxy (master-worker, stopped by pid in teardown) and
its own targets (``lab.elb.testkit.TargetServer``, threads in this process),
and drives the data plane with ``ElbWorld`` values as the lab's controller does
from moto's state. Waits are bounded polls for a state, never timed asserts.
"""

from __future__ import annotations

import http.client
import itertools
import shutil
import socket
import ssl
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from lab.elb.haproxy import HAProxyDataPlane
from lab.elb.model import DEFAULT_PRIORITY, Action, Condition, ElbWorld, HealthCheck, Listener, LoadBalancer, Rule, Target, TargetGroup, WeightedGroup
from lab.elb.render import TIMEOUT_FLOOR
from lab.elb.testkit import TargetServer, free_port
from lab.loadgen import LoadGenerator

pytestmark = pytest.mark.skipif(shutil.which("haproxy") is None, reason="haproxy is not installed")

# Loopback addresses of these tests: outside the lab's pools (127.0.1-9.x) and the test lab's (127.100-249.x).
_addresses = (f"127.42.{third}.{fourth}" for third in itertools.count(10) for fourth in range(1, 255))
FAST = HealthCheck(path="/health", interval=0.2, timeout=0.15, healthy_threshold=2, unhealthy_threshold=2)


def next_address() -> str:
    return next(_addresses)


def arn(kind: str, name: str) -> str:
    return f"arn:aws:elasticloadbalancing:us-east-1:123456789012:{kind}/{name}/0123456789abcdef"


def group(name: str, targets: list[TargetServer], health: HealthCheck = FAST, delay: float = 0.0, fault: bool = False, protocol: str = "HTTP") -> TargetGroup:
    return TargetGroup(arn("targetgroup", name), name, protocol, 80, health, delay, tuple(Target(t.address, t.port) for t in targets), fault)


def forward(*weighted: tuple[TargetGroup, int]) -> Action:
    return Action("forward", tuple(WeightedGroup(g.arn, w) for g, w in weighted))


class Balancer:
    """One load balancer with one listener, rebuilt into an ElbWorld on every change."""

    def __init__(self, plane: HAProxyDataPlane, protocol: str = "HTTP", lb_type: str = "application") -> None:
        self.plane = plane
        self.address = next_address()
        self.port = free_port(self.address)
        self.protocol = protocol
        self.lb_type = lb_type

    def world(self, default: Action, groups: list[TargetGroup], rules: tuple[Rule, ...] = ()) -> ElbWorld:
        listener_arn = arn("listener", f"app/web/{self.port}")
        rules = (*rules, Rule(f"{listener_arn}/default", DEFAULT_PRIORITY, (), default))
        listener = Listener(listener_arn, self.port, self.protocol, rules)
        return ElbWorld((LoadBalancer(arn("loadbalancer", f"app/web/{self.port}"), "web", self.lb_type, self.address, (listener,)),), tuple(groups))

    def apply(self, default: Action, groups: list[TargetGroup], rules: tuple[Rule, ...] = ()) -> ElbWorld:
        world = self.world(default, groups, rules)
        self.plane.apply(world)
        return world

    def get(self, path: str = "/", headers: dict[str, str] | None = None) -> tuple[int, str, dict[str, str]]:
        connection = http.client.HTTPConnection(self.address, self.port, timeout=10)
        try:
            connection.request("GET", path, headers=headers or {})
            response = connection.getresponse()
            return response.status, response.read().decode().strip(), {k.lower(): v for k, v in response.getheaders()}
        finally:
            connection.close()

    def bodies(self, count: int, path: str = "/") -> Counter[str]:
        return Counter(self.get(path)[1] for _ in range(count))


def wait_for(predicate: Callable[[], bool], timeout: float = 15.0, plane: HAProxyDataPlane | None = None, world: ElbWorld | None = None) -> bool:
    """Poll until ``predicate()``; re-apply ``world`` each round as the controller's tick does."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if plane is not None and world is not None:
            plane.apply(world)
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


def states(plane: HAProxyDataPlane, tg: TargetGroup) -> dict[tuple[str, int], str]:
    return {target: health.state for target, health in plane.target_health(tg.arn).items()}


@pytest.fixture
def plane() -> Iterator[HAProxyDataPlane]:
    directory = Path(tempfile.mkdtemp(prefix="elb-", dir="/tmp"))
    data_plane = HAProxyDataPlane(directory)
    try:
        yield data_plane
    finally:
        data_plane.stop()
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def targets() -> Iterator[Callable[[str], TargetServer]]:
    started: list[TargetServer] = []

    def start(name: str) -> TargetServer:
        server = TargetServer(name, next_address()).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


def all_healthy(plane: HAProxyDataPlane, *groups: TargetGroup) -> Callable[[], bool]:
    return lambda: all(set(states(plane, g).values()) == {"healthy"} for g in groups)


# forwarding ----------------------------------------------------------------------------------


def test_weighted_forward_shares_follow_the_weights_and_change_without_reload(plane: HAProxyDataPlane, targets: Callable[[str], TargetServer]) -> None:
    """Weighted target groups of a forward action.

    https://docs.aws.amazon.com/elasticloadbalancing/latest/application/rule-action-types.html
    (forward actions: "each target group weight is a value from 0 to 999 ... requests are routed
    to the target groups in proportion to their weights"; weight 0 gets no requests).
    """
    lb = Balancer(plane)
    blue, green = group("blue", [targets("blue")]), group("green", [targets("green")])
    world = lb.apply(forward((blue, 70), (green, 30)), [blue, green])
    assert wait_for(all_healthy(plane, blue, green), plane=plane, world=world)

    shares = lb.bodies(1000)
    assert abs(shares["blue"] / 1000 - 0.70) < 0.05, shares
    assert abs(shares["green"] / 1000 - 0.30) < 0.05, shares

    reloads = plane.reloads
    lb.apply(forward((blue, 0), (green, 100)), [blue, green])
    assert lb.bodies(200) == Counter({"green": 200})
    lb.apply(forward((blue, 1), (green, 1), (group("gone", []), 0)), [blue, green])
    shares = lb.bodies(400)
    assert abs(shares["blue"] / 400 - 0.5) < 0.1, shares
    assert plane.reloads == reloads, "weight changes are map commits, not reloads"


def test_rules_match_by_priority_and_and_their_conditions(plane: HAProxyDataPlane, targets: Callable[[str], TargetServer]) -> None:
    """Listener rules: priority order, default rule last, conditions ANDed, condition values ORed.

    https://docs.aws.amazon.com/elasticloadbalancing/latest/application/listener-rules.html
    https://docs.aws.amazon.com/elasticloadbalancing/latest/application/rule-condition-types.html
    (path patterns are case sensitive, host and header values are not; * and ? wildcards).
    """
    lb = Balancer(plane)
    api, admin, web = targets("api"), targets("admin"), targets("web")
    tg_api, tg_admin, tg_web = group("api", [api]), group("admin", [admin]), group("web", [web])
    rules = (
        Rule(
            "arn:rule/teapot",
            1,
            (Condition("path-pattern", ("/api/tea*",)),),
            Action("fixed-response", status=418, content_type="text/plain", body="I'm a teapot"),
        ),
        Rule(
            "arn:rule/api",
            10,
            (Condition("path-pattern", ("/api/*", "/v?/api")), Condition("http-header", ("beta*",), header="X-Channel")),
            forward((tg_api, 1)),
        ),
        Rule("arn:rule/admin", 20, (Condition("host-header", ("admin.*.example.com",)),), forward((tg_admin, 1))),
        Rule("arn:rule/old", 30, (Condition("path-pattern", ("/old",)),), Action("redirect", redirect=(("Path", "/new"), ("StatusCode", "HTTP_301")))),
        Rule("arn:rule/query", 40, (Condition("query-string", (), pairs=(("version", "b?ta"),)),), forward((tg_api, 1))),
    )
    world = lb.apply(forward((tg_web, 1)), [tg_api, tg_admin, tg_web], rules)
    assert wait_for(all_healthy(plane, tg_api, tg_admin, tg_web), plane=plane, world=world)

    assert lb.get("/api/teapot")[:2] == (418, "I'm a teapot")
    assert lb.get("/api/x", {"X-Channel": "BETA-1"})[1] == "api"
    assert lb.get("/v2/api", {"X-Channel": "beta"})[1] == "api"
    assert lb.get("/api/x")[1] == "web", "the header condition is missing: the rule must not match"
    assert lb.get("/API/x", {"X-Channel": "beta"})[1] == "web", "path patterns are case sensitive"
    assert lb.get("/", {"Host": "ADMIN.eu.example.com:8080"})[1] == "admin"
    assert lb.get("/", {"Host": "admin.example.com"})[1] == "web"
    status, _, headers = lb.get("/old?keep=1", {"Host": "shop.example.com"})
    assert (status, headers["location"]) == (301, f"http://shop.example.com:{lb.port}/new?keep=1")
    assert lb.get("/?version=BETA")[1] == "api"
    assert lb.get("/?version=betta")[1] == "web"
    assert api.last_headers.get("x-forwarded-for") == "127.0.0.1" and api.last_headers.get("x-forwarded-proto") == "http"


def test_https_listener_terminates_tls(plane: HAProxyDataPlane, targets: Callable[[str], TargetServer]) -> None:
    """An HTTPS listener terminates TLS (with the lab's self-signed certificate) and forwards plain HTTP.

    https://docs.aws.amazon.com/elasticloadbalancing/latest/application/create-https-listener.html
    """
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed: HTTPS listeners serve plain HTTP")
    lb = Balancer(plane, protocol="HTTPS")
    server = targets("secure")
    tg = group("app", [server])
    world = lb.apply(forward((tg, 1)), [tg])
    assert wait_for(all_healthy(plane, tg), plane=plane, world=world)
    connection = http.client.HTTPSConnection(lb.address, lb.port, timeout=10, context=ssl._create_unverified_context())
    try:
        connection.request("GET", "/")
        response = connection.getresponse()
        assert (response.status, response.read().decode().strip()) == (200, "secure")
        assert connection.sock is not None and connection.sock.version() in ("TLSv1.2", "TLSv1.3")
    finally:
        connection.close()
    assert server.last_headers["x-forwarded-proto"] == "https"


def test_tcp_listener_forwards_connections(plane: HAProxyDataPlane, targets: Callable[[str], TargetServer]) -> None:
    """Network Load Balancer TCP listener forwarding to a TCP target group with TCP health checks.

    https://docs.aws.amazon.com/elasticloadbalancing/latest/network/load-balancer-listeners.html
    https://docs.aws.amazon.com/elasticloadbalancing/latest/network/target-group-health-checks.html
    """
    lb = Balancer(plane, protocol="TCP", lb_type="network")
    tcp_group = group("tcp", [targets("tcp-1"), targets("tcp-2")], HealthCheck(protocol="TCP", interval=0.2, timeout=0.15, healthy_threshold=2), protocol="TCP")
    world = lb.apply(forward((tcp_group, 1)), [tcp_group])
    assert wait_for(all_healthy(plane, tcp_group), plane=plane, world=world)
    assert lb.bodies(20) == Counter({"tcp-1": 10, "tcp-2": 10})


# health checks -------------------------------------------------------------------------------


def test_new_target_is_healthy_after_one_passing_check_and_gets_no_traffic_before(plane: HAProxyDataPlane, targets: Callable[[str], TargetServer]) -> None:
    """A registered target is ``initial`` (no requests) until its first passing health check, whatever HealthyThresholdCount says.

    https://docs.aws.amazon.com/AmazonECS/latest/developerguide/load-balancer-healthcheck.html
    ("For newly registered targets, only one successful health check is required ... regardless of the
    healthy threshold count setting") and
    https://docs.aws.amazon.com/elasticloadbalancing/latest/application/target-group-health-checks.html
    (state ``initial``, reasons Elb.RegistrationInProgress and Elb.InitialHealthChecking).
    """
    lb = Balancer(plane)
    old, new = targets("old"), targets("new")
    health = HealthCheck(path="/health", interval=0.3, timeout=0.2, healthy_threshold=6, unhealthy_threshold=2)
    world = lb.apply(forward((group("app", [old], health), 1)), [group("app", [old], health)])
    assert wait_for(all_healthy(plane, group("app", [old], health)), plane=plane, world=world)

    tg = group("app", [old, new], health)
    seen: list[tuple[str, int]] = []

    def watch() -> bool:
        state = plane.target_health(tg.arn)[(new.address, new.port)]
        seen.append((state.state, new.health_checks))
        if state.state == "initial":
            assert state.reason in ("Elb.RegistrationInProgress", "Elb.InitialHealthChecking")
            assert lb.get("/")[1] == "old", "a target in initial state must not receive requests"
        return state.state == "healthy"

    plane.lookup = lambda arn: tg  # registered (in moto, for the lab) but not applied yet
    assert watch() is False and seen[-1][0] == "initial", "registered a moment ago: not healthy yet"
    world = lb.apply(forward((tg, 1)), [tg])
    assert wait_for(watch, plane=plane, world=world), seen
    assert 1 <= new.health_checks < 6, f"healthy after {new.health_checks} checks, not HealthyThresholdCount: {seen}"
    assert new.requests == 0
    assert wait_for(lambda: lb.bodies(20) == Counter({"old": 10, "new": 10}), plane=plane, world=world)


@pytest.mark.parametrize(
    ("matcher", "health_status", "state", "reason"),
    [
        ("200", 200, "healthy", None),
        ("200-299", 204, "healthy", None),
        ("200,302", 302, "healthy", None),
        ("200-299", 302, "unhealthy", "Target.ResponseCodeMismatch"),
        ("200", 503, "unhealthy", "Target.ResponseCodeMismatch"),
    ],
)
def test_matcher_decides_health(
    plane: HAProxyDataPlane, targets: Callable[[str], TargetServer], matcher: str, health_status: int, state: str, reason: str | None
) -> None:
    """The Matcher (HttpCode: one code, a range, a list) decides a successful health check.

    https://docs.aws.amazon.com/elasticloadbalancing/latest/application/target-group-health-checks.html
    (Matcher; reason code Target.ResponseCodeMismatch "Health checks failed with these codes: [code]").
    """
    lb = Balancer(plane)
    target = targets("app")
    target.health_status = health_status
    health = HealthCheck(path="/health", interval=0.2, timeout=0.15, healthy_threshold=2, unhealthy_threshold=2, matcher=matcher)
    tg = group("app", [target], health)
    world = lb.apply(forward((tg, 1)), [tg])
    assert wait_for(lambda: plane.target_health(tg.arn)[(target.address, target.port)].state == state, plane=plane, world=world)
    result = plane.target_health(tg.arn)[(target.address, target.port)]
    assert result.reason == reason
    if reason == "Target.ResponseCodeMismatch":
        assert result.description == f"Health checks failed with these codes: [{health_status}]"
        assert target.health_checks >= 2, "unhealthy only after UnhealthyThresholdCount failed checks"


def test_healthy_target_goes_unhealthy_after_the_unhealthy_threshold_and_back(plane: HAProxyDataPlane, targets: Callable[[str], TargetServer]) -> None:
    """Failing checks take a target out of service after UnhealthyThresholdCount; HealthyThresholdCount passing ones bring it back.

    https://docs.aws.amazon.com/elasticloadbalancing/latest/application/target-group-health-checks.html
    (reason codes Target.Timeout "Request timed out" and Target.ResponseCodeMismatch).
    """
    lb = Balancer(plane)
    flaky, steady = targets("flaky"), targets("steady")
    tg = group("app", [flaky, steady])
    world = lb.apply(forward((tg, 1)), [tg])
    assert wait_for(all_healthy(plane, tg), plane=plane, world=world)

    flaky.health_delay = TIMEOUT_FLOOR + 1.0  # longer than the check timeout (0.15 s, raised to the lab's floor)
    assert wait_for(lambda: plane.target_health(tg.arn)[(flaky.address, flaky.port)].state == "unhealthy", plane=plane, world=world)
    assert plane.target_health(tg.arn)[(flaky.address, flaky.port)].reason == "Target.Timeout"
    assert lb.bodies(10) == Counter({"steady": 10}), "an unhealthy target gets no requests"

    flaky.health_delay = 0.0
    flaky.health_status = 500
    assert wait_for(lambda: plane.target_health(tg.arn)[(flaky.address, flaky.port)].reason == "Target.ResponseCodeMismatch", plane=plane, world=world)

    checks_before_recovery = flaky.health_checks
    flaky.health_status = 200
    assert wait_for(all_healthy(plane, tg), plane=plane, world=world)
    assert flaky.health_checks - checks_before_recovery >= FAST.healthy_threshold, "back to healthy only after HealthyThresholdCount checks"
    assert lb.bodies(10) == Counter({"flaky": 5, "steady": 5})


def test_unhealthy_fault_fails_every_target_of_the_group_until_cleared(plane: HAProxyDataPlane, targets: Callable[[str], TargetServer]) -> None:
    """The lab's ``unhealthy`` fault: HAProxy's checks go to a closed port, so targets fail as on AWS.

    https://docs.aws.amazon.com/elasticloadbalancing/latest/application/target-group-health-checks.html
    (reason code Target.FailedHealthChecks "Health checks failed").
    """
    lb = Balancer(plane)
    servers = [targets("a"), targets("b")]
    tg = group("app", servers)
    world = lb.apply(forward((tg, 1)), [tg])
    assert wait_for(all_healthy(plane, tg), plane=plane, world=world)

    faulted = group("app", servers, fault=True)
    world = lb.apply(forward((faulted, 1)), [faulted])
    assert wait_for(lambda: set(states(plane, tg).values()) == {"unhealthy"}, plane=plane, world=world)
    assert {h.reason for h in plane.target_health(tg.arn).values()} == {"Target.FailedHealthChecks"}
    # every target unhealthy: the group fails open (test_fail_open_when_no_registered_target_is_healthy)
    assert lb.bodies(10) == Counter({"a": 5, "b": 5})

    world = lb.apply(forward((tg, 1)), [tg])
    assert wait_for(all_healthy(plane, tg), plane=plane, world=world)
    assert lb.get("/")[0] == 200


def test_target_group_without_a_listener_is_unused(plane: HAProxyDataPlane, targets: Callable[[str], TargetServer]) -> None:
    """A target group no rule forwards to is not health-checked: its targets are ``unused`` / Target.NotInUse.

    https://docs.aws.amazon.com/elasticloadbalancing/latest/application/target-group-health-checks.html
    """
    lb = Balancer(plane)
    used, spare = group("used", [targets("a")]), group("spare", [targets("b")])
    world = lb.apply(forward((used, 1)), [used, spare])
    assert wait_for(all_healthy(plane, used), plane=plane, world=world)
    (spare_health,) = plane.target_health(spare.arn).values()
    assert (spare_health.state, spare_health.reason) == ("unused", "Target.NotInUse")
    assert spare.targets[0] and "spare" not in plane.process.paths.config.read_text()


# draining ----------------------------------------------------------------------------------------


def test_deregistered_target_drains_for_the_delay_then_goes(plane: HAProxyDataPlane, targets: Callable[[str], TargetServer]) -> None:
    """Deregistration delay: a deregistered target is ``draining`` and gets no new requests, then is removed.

    https://docs.aws.amazon.com/elasticloadbalancing/latest/application/edit-target-group-attributes.html#deregistration-delay
    (target state ``draining``, reason Target.DeregistrationInProgress).
    """
    lb = Balancer(plane)
    leaving, staying = targets("leaving"), targets("staying")
    world = lb.apply(forward((group("app", [leaving, staying], delay=1.5), 1)), [group("app", [leaving, staying], delay=1.5)])
    tg = group("app", [staying], delay=1.5)
    assert wait_for(all_healthy(plane, group("app", [leaving, staying])), plane=plane, world=world)

    world = lb.apply(forward((tg, 1)), [tg])
    drained = plane.target_health(tg.arn)[(leaving.address, leaving.port)]
    assert (drained.state, drained.reason) == ("draining", "Target.DeregistrationInProgress")
    before = leaving.requests
    assert lb.bodies(20) == Counter({"staying": 20})
    assert leaving.requests == before
    assert wait_for(lambda: (leaving.address, leaving.port) not in plane.target_health(tg.arn), plane=plane, world=world)
    # the lab deletes the server from HAProxy REMOVAL_GRACE_SECONDS after putting it in maintenance (lab/elb/haproxy.py)
    assert wait_for(lambda: "leaving" not in {s.name for s in plane.api.servers_state()} and not plane.needs_attention(), plane=plane, world=world)
    assert lb.bodies(10) == Counter({"staying": 10})


# no dropped requests -------------------------------------------------------------------------------


def test_no_request_fails_while_targets_weights_and_rules_change_under_load(plane: HAProxyDataPlane, targets: Callable[[str], TargetServer]) -> None:
    """Zero failed requests at about 100 requests a second through target registration, deregistration
    (with draining), weight shifts and a reload for a new rule, as a blue/green cutover does.

    Every target answers in 50 ms, so requests are in flight at each change.

    https://docs.aws.amazon.com/elasticloadbalancing/latest/application/edit-target-group-attributes.html#deregistration-delay
    https://docs.aws.amazon.com/elasticloadbalancing/latest/application/rule-action-types.html
    """
    lb = Balancer(plane)
    blue_servers = [targets("blue"), targets("blue")]
    green_servers = [targets("green"), targets("green")]
    for server in blue_servers + green_servers:
        server.delay = 0.05  # requests are in flight whenever something changes
    blue = group("blue", blue_servers, delay=0.5)
    green = group("green", green_servers[:1], delay=0.5)
    world = lb.apply(forward((blue, 100), (green, 0)), [blue, green])
    assert wait_for(all_healthy(plane, blue, green), plane=plane, world=world)

    def settle(world: ElbWorld, *groups: TargetGroup) -> None:
        assert wait_for(lambda: all_healthy(plane, *groups)() and not plane.needs_attention(), plane=plane, world=world)
        time.sleep(0.5)  # let the load run against each state

    load = LoadGenerator(f"http://{lb.address}:{lb.port}/", rate=100, workers=10, keepalive=True).start()
    try:
        green = group("green", green_servers, delay=0.5)  # register a target
        settle(lb.apply(forward((blue, 100), (green, 0)), [blue, green]), blue, green)
        blue = group("blue", blue_servers[:1], delay=0.5)  # deregister a target that has half the traffic: drains, then goes
        settle(lb.apply(forward((blue, 100), (green, 0)), [blue, green]), blue, green)
        for weight in (10, 50, 90):  # shift traffic (map commits)
            settle(lb.apply(forward((blue, 100 - weight), (green, weight)), [blue, green]), blue, green)
        rule = Rule("arn:rule/health", 5, (Condition("path-pattern", ("/ping",)),), Action("fixed-response", status=200, body="pong"))
        reloads = plane.reloads
        settle(lb.apply(forward((blue, 50), (green, 50)), [blue, green], (rule,)), blue, green)  # structure change: seamless reload
        assert plane.reloads == reloads + 1
        settle(lb.apply(forward((blue, 0), (green, 100)), [blue, green], (rule,)), blue, green)
    finally:
        result = load.stop()
    assert result.total >= 400, result.as_dict()
    assert result.failed == 0, result.failures()
    assert result.versions()["green"] > 0 and result.versions()["blue"] > 0


def test_reload_keeps_health_and_drain_states(plane: HAProxyDataPlane, targets: Callable[[str], TargetServer]) -> None:
    """A structural change (new rule) reloads HAProxy seamlessly: healthy targets stay healthy, draining ones keep draining.

    https://docs.aws.amazon.com/elasticloadbalancing/latest/application/target-group-health-checks.html
    """
    lb = Balancer(plane)
    a, b = targets("a"), targets("b")
    tg = group("app", [a, b], delay=30.0)
    world = lb.apply(forward((tg, 1)), [tg])
    assert wait_for(all_healthy(plane, tg), plane=plane, world=world)
    only_a = group("app", [a], delay=30.0)
    lb.apply(forward((only_a, 1)), [only_a])
    assert states(plane, only_a)[(b.address, b.port)] == "draining"

    reloads = plane.reloads
    rule = Rule("arn:rule/x", 1, (Condition("path-pattern", ("/x",)),), Action("fixed-response", status=204))
    lb.apply(forward((only_a, 1)), [only_a], (rule,))
    assert plane.reloads == reloads + 1
    assert states(plane, only_a) == {(a.address, a.port): "healthy", (b.address, b.port): "draining"}
    assert lb.get("/x")[0] == 204
    assert lb.bodies(10) == Counter({"a": 10})


def test_repeated_reloads_refuse_no_connection(plane: HAProxyDataPlane, targets: Callable[[str], TargetServer]) -> None:
    """Ten structural changes in a row, each a seamless reload, under about 100 requests a second on new
    connections and on keep-alive ones: not one refused or failed request.

    https://docs.aws.amazon.com/elasticloadbalancing/latest/application/listener-rules.html
    (rules can be added to a listener at any time)
    """
    lb = Balancer(plane)
    tg = group("app", [targets("app"), targets("app")])
    world = lb.apply(forward((tg, 1)), [tg])
    assert wait_for(all_healthy(plane, tg), plane=plane, world=world)
    reloads = plane.reloads
    loads = [LoadGenerator(f"http://{lb.address}:{lb.port}/", rate=50, workers=5, keepalive=keepalive).start() for keepalive in (True, False)]
    try:
        for i in range(10):
            rule = Rule(f"arn:rule/{i}", i + 1, (Condition("path-pattern", (f"/r{i}",)),), Action("fixed-response", status=204))
            lb.apply(forward((tg, 1)), [tg], (rule,))
            time.sleep(0.2)
    finally:
        results = [load.stop() for load in loads]
    assert plane.reloads == reloads + 10
    assert sum(r.total for r in results) >= 200
    assert [r.failed for r in results] == [0, 0], [r.failures() for r in results]


def test_listener_on_a_taken_port_is_left_out_and_the_rest_still_served(plane: HAProxyDataPlane, targets: Callable[[str], TargetServer]) -> None:
    """A listener HAProxy cannot bind (something else holds the port) must not take the other listeners down.

    https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-listeners.html
    """
    lb = Balancer(plane)
    tg = group("app", [targets("app")])
    world = lb.apply(forward((tg, 1)), [tg])
    assert wait_for(all_healthy(plane, tg), plane=plane, world=world)
    with socket.socket() as squatter:
        squatter.bind((lb.address, 0))
        squatter.listen()
        taken_port = squatter.getsockname()[1]
        taken = Listener(arn("listener", "app/web/taken"), taken_port, "HTTP", (Rule("arn:taken/default", DEFAULT_PRIORITY, (), forward((tg, 1))),))
        (balancer,) = world.load_balancers
        crowded = ElbWorld((LoadBalancer(balancer.arn, balancer.name, balancer.type, balancer.address, (*balancer.listeners, taken)),), world.target_groups)
        plane.apply(crowded)
        assert plane.unbindable == {(lb.address, taken_port)}
        assert lb.get("/")[:2] == (200, "app")


FAIL_OPEN_DOC = "https://docs.aws.amazon.com/elasticloadbalancing/latest/application/target-group-health-checks.html"


def test_fail_open_when_no_registered_target_is_healthy(plane: HAProxyDataPlane, targets: Callable[[str], TargetServer]) -> None:
    """ "If a target group contains only unhealthy registered targets, the load balancer routes requests to
    all those targets, regardless of their health status" (FAIL_OPEN_DOC, "Health checks for Application
    Load Balancer target groups"). One healthy target again, and it alone gets the requests.
    """
    lb = Balancer(plane)
    a, b = targets("a"), targets("b")
    a.health_status = b.health_status = 500
    tg = group("app", [a, b])
    world = lb.apply(forward((tg, 1)), [tg])
    assert wait_for(lambda: set(states(plane, tg).values()) == {"unhealthy"}, plane=plane, world=world), states(plane, tg)
    assert lb.bodies(20) == Counter({"a": 10, "b": 10}), "failing open: every registered target, evenly"
    assert set(states(plane, tg).values()) == {"unhealthy"}, "routing to them does not make them healthy"

    b.health_status = 200
    assert wait_for(lambda: states(plane, tg)[(b.address, b.port)] == "healthy", plane=plane, world=world)
    assert lb.bodies(20) == Counter({"b": 20}), "one healthy target: no more failing open"


def test_fail_open_covers_targets_still_in_their_initial_checks(plane: HAProxyDataPlane, targets: Callable[[str], TargetServer]) -> None:
    """A group whose only target has not passed a check yet (``initial``, Elb.InitialHealthChecking) has no
    healthy target either: requests reach the target while DescribeTargetHealth still says ``initial``
    (FAIL_OPEN_DOC). A CodeDeploy deployment paused at Ready with green still ``initial`` serves the
    test listener this way."""
    lb = Balancer(plane)
    green = targets("green")
    green.health_status = 500  # failing checks, with a threshold that keeps it initial for a while
    slow = HealthCheck(path="/health", interval=0.5, timeout=0.3, healthy_threshold=2, unhealthy_threshold=10)
    tg = group("green", [green], slow)
    world = lb.apply(forward((tg, 1)), [tg])
    assert wait_for(lambda: green.health_checks >= 1, plane=plane, world=world)
    assert states(plane, tg) == {(green.address, green.port): "initial"}
    assert lb.get("/")[:2] == (200, "green")
    assert states(plane, tg) == {(green.address, green.port): "initial"}, "still initial, still served"


def test_a_draining_target_gets_no_requests_even_when_failing_open(plane: HAProxyDataPlane, targets: Callable[[str], TargetServer]) -> None:
    """Failing open routes to the *registered* targets: a deregistered one drains and gets no new request
    (FAIL_OPEN_DOC; "Deregistration delay": "the load balancer stops sending requests to targets that are
    deregistering"). With the unhealthy one left, the group fails open to it alone."""
    lb = Balancer(plane)
    staying, leaving = targets("staying"), targets("leaving")
    staying.health_status = leaving.health_status = 500
    tg = group("app", [staying, leaving], delay=30.0)
    world = lb.apply(forward((tg, 1)), [tg])
    assert wait_for(lambda: set(states(plane, tg).values()) == {"unhealthy"}, plane=plane, world=world)
    assert lb.bodies(10) == Counter({"staying": 5, "leaving": 5})

    fewer = group("app", [staying], delay=30.0)
    world = lb.apply(forward((fewer, 1)), [fewer])
    assert wait_for(lambda: states(plane, fewer).get((leaving.address, leaving.port)) == "draining", plane=plane, world=world)
    assert lb.bodies(10) == Counter({"staying": 10})
