"""Unit tests of the ELB data plane's pure parts: health mapping, server planning, runtime API
parsers, the moto snapshot and the DescribeTargetHealth answer. Table-driven, no HAProxy.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import boto3
import botocore.parsers
import botocore.session
import pytest
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID

from lab.elb import health as h
from lab.elb.haproxy import REMOVAL_GRACE_SECONDS, HAProxyDataPlane
from lab.elb.health import ServerFacts, TargetHealth, target_health
from lab.elb.intercept import describe_target_health_xml, descriptions, health_check_port, requested_targets
from lab.elb.model import DEFAULT_PRIORITY, snapshot
from lab.elb.plan import Step, WantedServer, plan_servers
from lab.elb.runtime import RuntimeApi, ServerStat, ServerState, map_payload_chunks, parse_servers_state, parse_stat

# A real "show servers state" and "show stat" (HAProxy 2.6): a drained server, a healthy one, a failing one.
SERVERS_STATE = """1
# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_iweight srv_time_since_last_change srv_check_status srv_check_result srv_check_health srv_check_state srv_agent_state bk_f_forced_id srv_f_forced_id srv_fqdn srv_port srvrecord srv_use_ssl srv_check_port srv_check_addr srv_agent_addr srv_agent_port
4 tg_blue_7c695483 1 t-127.42.2.1-41535 127.42.2.1 2 12 1 1 2 15 3 3 6 0 0 0 - 41535 - 0 0 - - 0
4 tg_blue_7c695483 2 t-127.42.2.2-37117 127.42.2.2 2 4 1 1 2 15 3 3 6 0 0 0 - 37117 - 0 0 - - 0
5 tg_green_39da4193 1 t-127.42.3.1-35459 127.42.3.1 0 5 1 1 1 17 2 0 6 0 0 0 - 35459 - 0 1 - - 0

"""

STAT_HEADER = (
    "# pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,dreq,dresp,ereq,econ,eresp,wretr,wredis,status,weight,act,bck,chkfail,chkdown,lastchg,"
    "downtime,qlimit,pid,iid,sid,throttle,lbtot,tracked,type,rate,rate_lim,rate_max,check_status,check_code,check_duration,hrsp_1xx,hrsp_2xx,hrsp_3xx,"
    "hrsp_4xx,hrsp_5xx,hrsp_other,hanafail,req_rate,req_rate_max,req_tot,cli_abrt,srv_abrt,comp_in,comp_out,comp_byp,comp_rsp,lastsess,last_chk,last_agt,"
    "qtime,ctime,rtime,ttime,agent_status,agent_code,agent_duration,check_desc,agent_desc,check_rise,check_fall,check_health,agent_rise,agent_fall,"
    "agent_health,addr,cookie,mode,algo"
)
STAT = "\n".join(
    [
        STAT_HEADER,
        "tg_blue_7c695483,t-127.42.2.1-41535,0,0,3,3,,0,0,0,,0,,0,0,0,0,DRAIN,1,1,0,0,1,1,0,,1,4,1,,0,,2,0,,0,L7OK,200,0,0,0,0,0,0,0,,,,0,0,0,,,,,-1,,,0,0,0,0,,,,Layer7 check passed,,2,2,3,,,,127.42.2.1:41535,,http,",
        "tg_green_39da4193,t-127.42.3.1-35459,0,0,0,0,,0,0,0,,0,,0,0,0,0,DOWN,1,1,0,2,2,1,1,,1,5,1,,0,,2,0,,0,L7STS,503,0,0,0,0,0,0,0,,,,0,0,0,,,,,-1,Service Unavailable,,0,0,0,0,,,,Layer7 wrong status,,2,2,0,,,,127.42.3.1:35459,,http,",
        "tg_green_39da4193,BACKEND,0,0,0,0,,0,0,0,,0,,0,0,0,0,UP,1,1,0,,0,1,0,,1,5,0,,0,,1,0,,0,,,,0,0,0,0,0,0,,,,0,0,0,,,,,-1,,,0,0,0,0,,,,,,,,,,,,,,http,roundrobin",
    ]
)


# runtime API parsers --------------------------------------------------------------------------


def test_parse_servers_state() -> None:
    drained, ready, disabled = parse_servers_state(SERVERS_STATE)
    assert (drained.backend, drained.name, drained.address, drained.port) == ("tg_blue_7c695483", "t-127.42.2.1-41535", "127.42.2.1", 41535)
    assert drained.draining and not drained.in_maintenance
    assert not ready.draining and not ready.in_maintenance  # admin 4 (CMAINT) only records "disabled" in the config
    assert disabled.in_maintenance and disabled.check_port == 1 and disabled.effective_check_port == 1
    assert ready.effective_check_port == 37117


def test_parse_stat_keeps_server_rows_only() -> None:
    rows = parse_stat(STAT)
    assert [(r.backend, r.name) for r in rows] == [("tg_blue_7c695483", "t-127.42.2.1-41535"), ("tg_green_39da4193", "t-127.42.3.1-35459")]
    drained, failing = rows
    assert drained.is_up and drained.check_status == "L7OK" and drained.check_down == 1
    assert not failing.is_up and (failing.check_status, failing.check_code, failing.check_down) == ("L7STS", "503", 2)
    assert (drained.sessions, failing.sessions, failing.queued) == (3, 0, 0)


class CannedRuntimeApi(RuntimeApi):
    """The runtime API with canned answers: the commands it was sent, ``show stat`` from STAT."""

    def __init__(self) -> None:
        super().__init__(Path("/nonexistent.sock"))
        self.sent: list[str] = []

    def command(self, line: str) -> str:
        self.sent.append(line)
        return STAT if line.startswith("show stat") else "Server deleted.\n"


def test_a_server_with_open_sessions_is_not_deleted() -> None:
    api = CannedRuntimeApi()
    # HAProxy 2.6.12 deleted such a server and corrupted its heap; the lab waits for scur 0
    assert not api.delete_server("tg_blue_7c695483", "t-127.42.2.1-41535")
    assert not any(line.startswith("del server") for line in api.sent)
    assert api.delete_server("tg_green_39da4193", "t-127.42.3.1-35459")
    assert api.sent[-1] == "del server tg_green_39da4193/t-127.42.3.1-35459"


def test_map_payload_chunks_stay_under_the_limit_and_keep_every_line() -> None:
    lines = [f"r1/{i} tg_blue_0123456789" for i in range(1000)]
    chunks = map_payload_chunks(lines, limit=2000)
    assert all(len(chunk) < 2000 for chunk in chunks)
    assert "\n".join(chunks).splitlines() == lines


# health mapping -------------------------------------------------------------------------------


def stat(status: str, check: str = "L7OK", code: str = "200", down: int = 1) -> ServerStat:
    return ServerStat("tg", "s", status, check, code, down, 0, 0, 3, 2)


NEW = ServerFacts(activated_at=100.0)
IN_SERVICE = ServerFacts(activated_at=100.0, awaiting_first_check=False)


@pytest.mark.parametrize(
    ("case", "kwargs", "expected"),
    [
        ("group not used by a listener", dict(used=False, stat=stat("UP"), facts=IN_SERVICE), h.NOT_IN_USE),
        ("checks disabled", dict(checks_enabled=False, stat=stat("no check"), facts=IN_SERVICE), h.HEALTH_CHECK_DISABLED),
        ("not yet in HAProxy", dict(stat=None, facts=None), h.REGISTRATION_IN_PROGRESS),
        ("in HAProxy, not activated", dict(stat=stat("MAINT", ""), facts=None), h.REGISTRATION_IN_PROGRESS),
        ("new: first check pending", dict(stat=stat("DRAIN", "INI"), facts=NEW), h.INITIAL_HEALTH_CHECKING),
        ("new: one check failed, not yet the threshold", dict(stat=stat("DRAIN", "L7STS", "500"), facts=NEW), h.INITIAL_HEALTH_CHECKING),
        ("new: passed, about to be put in service", dict(stat=stat("DRAIN"), facts=NEW), h.INITIAL_HEALTH_CHECKING),
        ("new: put in service after one passing check", dict(stat=stat("UP"), facts=IN_SERVICE), h.HEALTHY_TARGET),
        (
            "new: UnhealthyThresholdCount failures",
            dict(stat=stat("DOWN", "L7STS", "500"), facts=NEW),
            TargetHealth("unhealthy", "Target.ResponseCodeMismatch", "Health checks failed with these codes: [500]"),
        ),
        ("in service", dict(stat=stat("UP"), facts=IN_SERVICE), h.HEALTHY_TARGET),
        ("in service, one check failed", dict(stat=stat("UP 1/2", "L4CON"), facts=IN_SERVICE), h.HEALTHY_TARGET),
        (
            "went down: wrong code",
            dict(stat=stat("DOWN", "L7STS", "503"), facts=IN_SERVICE),
            TargetHealth("unhealthy", "Target.ResponseCodeMismatch", "Health checks failed with these codes: [503]"),
        ),
        ("went down: timeout", dict(stat=stat("DOWN", "L7TOUT"), facts=IN_SERVICE), TargetHealth("unhealthy", "Target.Timeout", "Request timed out")),
        ("went down: connect timeout", dict(stat=stat("DOWN", "L4TOUT"), facts=IN_SERVICE), TargetHealth("unhealthy", "Target.Timeout", "Request timed out")),
        (
            "went down: refused",
            dict(stat=stat("DOWN", "L4CON"), facts=IN_SERVICE),
            TargetHealth("unhealthy", "Target.FailedHealthChecks", "Health checks failed"),
        ),
        (
            "NLB: a timeout is a failed check",
            dict(http=False, stat=stat("DOWN", "L4TOUT"), facts=IN_SERVICE),
            TargetHealth("unhealthy", "Target.FailedHealthChecks", "Health checks failed"),
        ),
        (
            "recovering needs HealthyThresholdCount",
            dict(stat=stat("DOWN 1/3"), facts=IN_SERVICE),
            TargetHealth("unhealthy", "Target.FailedHealthChecks", "Health checks failed"),
        ),
    ],
)
def test_target_health(case: str, kwargs: dict[str, Any], expected: TargetHealth) -> None:
    arguments: dict[str, Any] = dict(used=True, checks_enabled=True, http=True)
    arguments.update(kwargs)
    assert target_health(**arguments) == expected, case


@pytest.mark.parametrize(
    ("row", "decided"),
    [
        (stat("DRAIN", "INI"), False),
        (stat("DRAIN", "L7STS", "500"), False),
        (stat("DRAIN", "L7OK"), True),
        (stat("DRAIN", "L4OK"), True),
        (stat("DOWN", "L4CON"), True),  # HAProxy gave up: in service, so rise passing checks bring it back
        (None, False),
    ],
)
def test_first_check_decided(row: ServerStat | None, decided: bool) -> None:
    assert h.first_check_decided(row) is decided


# planning servers -----------------------------------------------------------------------------


def want(name: str, check_port: int = 8080) -> WantedServer:
    return WantedServer("tg", name, f"127.0.2.{name[-1]}:8080", check_port, ("check",))


def have(name: str, admin: int = 0, check_port: int = 0) -> ServerState:
    return ServerState("tg", name, f"127.0.2.{name[-1]}", 8080, 2, admin, check_port)


@pytest.mark.parametrize(
    ("case", "wanted", "actual", "drains", "now", "expected"),
    [
        ("nothing to do", [want("s1")], [have("s1")], {}, 0.0, []),
        ("new target", [want("s1")], [], {}, 0.0, [Step("add", "tg", "s1", "127.0.2.1:8080", ("check",)), Step("activate", "tg", "s1")]),
        ("disabled by a reload's config", [want("s1")], [have("s1", admin=5)], {}, 0.0, [Step("activate", "tg", "s1")]),
        ("deregistered: drain until the delay ends", [], [have("s1")], {}, 10.0, [Step("drain", "tg", "s1", deadline=40.0)]),
        ("still draining", [], [have("s1", admin=8)], {("tg", "s1"): 40.0}, 39.0, []),
        ("drained: remove", [], [have("s1", admin=8)], {("tg", "s1"): 40.0}, 40.0, [Step("remove", "tg", "s1")]),
        ("registered again while draining", [want("s1")], [have("s1", admin=8)], {("tg", "s1"): 40.0}, 20.0, [Step("undrain", "tg", "s1")]),
        ("never activated and gone: remove at once", [], [have("s1", admin=5)], {}, 0.0, [Step("remove", "tg", "s1")]),
        ("fault: checks go to the closed port", [want("s1", check_port=1)], [have("s1")], {}, 0.0, [Step("check-port", "tg", "s1", port=1)]),
        ("fault cleared", [want("s1")], [have("s1", check_port=1)], {}, 0.0, [Step("check-port", "tg", "s1", port=8080)]),
        ("drained in an earlier process: back in service", [want("s1")], [have("s1", admin=8)], {}, 0.0, [Step("undrain", "tg", "s1")]),
        ("other backends are left to the reload", [], [ServerState("gone", "s1", "127.0.2.1", 8080, 2, 0, 0)], {}, 0.0, []),
    ],
)
def test_plan_servers(
    case: str, wanted: list[WantedServer], actual: list[ServerState], drains: dict[tuple[str, str], float], now: float, expected: list[Step]
) -> None:
    assert plan_servers(wanted, actual, drains, {"tg": 30.0}, now) == expected, case


# the moto snapshot ----------------------------------------------------------------------------


def test_snapshot_reads_moto_state_into_plain_data() -> None:
    with mock_aws():
        ec2 = boto3.client("ec2", region_name="us-east-1")
        vpc = ec2.describe_vpcs()["Vpcs"][0]["VpcId"]
        subnets = [s["SubnetId"] for s in ec2.describe_subnets()["Subnets"]][:2]
        elb = boto3.client("elbv2", region_name="us-east-1")
        lb = elb.create_load_balancer(Name="web", Subnets=subnets)["LoadBalancers"][0]
        blue = elb.create_target_group(
            Name="blue",
            Protocol="HTTP",
            Port=8080,
            VpcId=vpc,
            TargetType="ip",
            HealthCheckPath="/health",
            Matcher={"HttpCode": "200-299"},
            HealthyThresholdCount=3,
        )["TargetGroups"][0]["TargetGroupArn"]
        green = elb.create_target_group(Name="green", Protocol="HTTP", Port=8080, VpcId=vpc, TargetType="ip")["TargetGroups"][0]["TargetGroupArn"]
        listener = elb.create_listener(
            LoadBalancerArn=lb["LoadBalancerArn"],
            Protocol="HTTP",
            Port=80,
            DefaultActions=[
                {"Type": "forward", "ForwardConfig": {"TargetGroups": [{"TargetGroupArn": blue, "Weight": 90}, {"TargetGroupArn": green, "Weight": 10}]}}
            ],
        )["Listeners"][0]["ListenerArn"]
        elb.create_rule(
            ListenerArn=listener,
            Priority=20,
            Conditions=[
                {"Field": "path-pattern", "Values": ["/api/*"]},
                {"Field": "http-header", "HttpHeaderConfig": {"HttpHeaderName": "X-Env", "Values": ["b*"]}},
            ],
            Actions=[{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "418", "ContentType": "text/plain", "MessageBody": "teapot"}}],
        )
        elb.create_rule(
            ListenerArn=listener,
            Priority=5,
            Conditions=[{"Field": "host-header", "HostHeaderConfig": {"Values": ["a.example.com"]}}],
            Actions=[{"Type": "forward", "TargetGroupArn": green}],
        )
        elb.register_targets(TargetGroupArn=blue, Targets=[{"Id": "127.0.2.1", "Port": 9001}, {"Id": "127.0.2.2"}])
        elb.modify_target_group_attributes(TargetGroupArn=blue, Attributes=[{"Key": "deregistration_delay.timeout_seconds", "Value": "20"}])
        from moto.elbv2.models import elbv2_backends

        world = snapshot([elbv2_backends[DEFAULT_ACCOUNT_ID]["us-east-1"]], lambda lb: "127.0.1.9", lambda arn: arn == green)

    (balancer,) = world.load_balancers
    assert (balancer.name, balancer.type, balancer.address) == ("web", "application", "127.0.1.9")
    (li,) = balancer.listeners
    assert (li.port, li.protocol) == (80, "HTTP")
    assert [r.priority for r in li.rules] == [5, 20, DEFAULT_PRIORITY]
    host_rule, fixed_rule, default = li.rules
    assert host_rule.conditions[0].values == ("a.example.com",) and host_rule.action.groups[0].arn == green
    assert [c.field for c in fixed_rule.conditions] == ["path-pattern", "http-header"] and fixed_rule.conditions[1].header == "X-Env"
    assert (fixed_rule.action.kind, fixed_rule.action.status, fixed_rule.action.body) == ("fixed-response", 418, "teapot")
    assert [(g.arn, g.weight) for g in default.action.groups] == [(blue, 90), (green, 10)]
    tg_blue, tg_green = world.target_groups
    assert [(t.ip, t.port) for t in tg_blue.targets] == [("127.0.2.1", 9001), ("127.0.2.2", 8080)]
    assert (tg_blue.health.path, tg_blue.health.matcher, tg_blue.health.healthy_threshold, tg_blue.deregistration_delay) == ("/health", "200-299", 3, 20.0)
    assert tg_green.unhealthy_fault and not tg_blue.unhealthy_fault
    assert world.used_target_group_arns() == {blue, green}


# DescribeTargetHealth -----------------------------------------------------------------------------


def test_requested_targets_reads_the_query_form_in_order() -> None:
    params = {"Action": "DescribeTargetHealth", "Targets.member.2.Id": "127.0.2.2", "Targets.member.1.Id": "127.0.2.1", "Targets.member.1.Port": "9000"}
    assert requested_targets(params, 80) == [("127.0.2.1", 9000), ("127.0.2.2", 80)]


def test_descriptions_report_unregistered_requested_targets() -> None:
    health = {("127.0.2.1", 80): h.HEALTHY_TARGET}
    assert descriptions(health, []) == [(("127.0.2.1", 80), h.HEALTHY_TARGET)]
    assert descriptions(health, [("127.0.2.9", 80)]) == [(("127.0.2.9", 80), h.NOT_REGISTERED)]


@pytest.mark.parametrize(("configured", "port", "expected"), [("traffic-port", 8080, "8080"), ("9000", 8080, "9000")])
def test_health_check_port(configured: str, port: int, expected: str) -> None:
    assert health_check_port(configured, port) == expected


def test_describe_target_health_xml_parses_with_botocore() -> None:
    items = [(("127.0.2.1", 8080), h.HEALTHY_TARGET), (("127.0.2.2", 8080), TargetHealth("unhealthy", "Target.Timeout", "Request timed out <&>"))]
    body = describe_target_health_xml(items, "traffic-port", "req-1")
    operation = botocore.session.get_session().get_service_model("elbv2").operation_model("DescribeTargetHealth")
    parsed = botocore.parsers.create_parser("query").parse({"body": body.encode(), "headers": {}, "status_code": 200}, operation.output_shape)
    assert parsed["TargetHealthDescriptions"] == [
        {"Target": {"Id": "127.0.2.1", "Port": 8080}, "HealthCheckPort": "8080", "TargetHealth": {"State": "healthy"}},
        {
            "Target": {"Id": "127.0.2.2", "Port": 8080},
            "HealthCheckPort": "8080",
            "TargetHealth": {"State": "unhealthy", "Reason": "Target.Timeout", "Description": "Request timed out <&>"},
        },
    ]


# the controller --------------------------------------------------------------------------------


class FakeMoto:
    account_id = DEFAULT_ACCOUNT_ID

    def elbv2(self, region: str) -> Any:
        from moto.elbv2.models import elbv2_backends

        return elbv2_backends[DEFAULT_ACCOUNT_ID][region]


class FakePlane:
    """Records what the controller asks of the data plane."""

    def __init__(self) -> None:
        self.applied: list[Any] = []
        self.running = True
        self.lookup: Any = None

    def apply(self, world: Any) -> None:
        self.applied.append(world)

    def needs_attention(self) -> bool:
        return False


def fake_lab(tmp_path: Any) -> Any:
    import threading
    from types import SimpleNamespace

    from lab.faults import FaultTable
    from lab.loopback import Loopback
    from lab.state import State

    state = State(tmp_path / "state.json")
    return SimpleNamespace(moto=FakeMoto(), loopback=Loopback(state, "127.77"), faults=FaultTable(), lock=threading.RLock())


def test_controller_gives_load_balancers_addresses_and_applies_only_changes(tmp_path: Any) -> None:
    from lab.elb.controller import ElbController

    with mock_aws():
        ec2 = boto3.client("ec2", region_name="eu-west-1")
        subnets = [s["SubnetId"] for s in ec2.describe_subnets()["Subnets"]][:2]
        vpc = ec2.describe_vpcs()["Vpcs"][0]["VpcId"]
        elb = boto3.client("elbv2", region_name="eu-west-1")
        lab = fake_lab(tmp_path)
        plane = FakePlane()
        controller = ElbController(lab, plane)  # type: ignore[arg-type]

        first = elb.create_load_balancer(Name="one", Subnets=subnets)["LoadBalancers"][0]["LoadBalancerArn"]
        second = elb.create_load_balancer(Name="two", Subnets=subnets)["LoadBalancers"][0]["LoadBalancerArn"]
        controller.reconcile(lab)  # type: ignore[arg-type]
        described = {lb["LoadBalancerName"]: lb for lb in elb.describe_load_balancers()["LoadBalancers"]}
        assert {name: lb["DNSName"] for name, lb in described.items()} == {"one": "127.77.1.1", "two": "127.77.1.2"}
        assert {lb.address for lb in plane.applied[-1].load_balancers} == {"127.77.1.1", "127.77.1.2"}

        controller.reconcile(lab)  # type: ignore[arg-type]
        assert len(plane.applied) == 1, "nothing changed: nothing to apply"

        tg = elb.create_target_group(Name="tg", Protocol="HTTP", Port=80, VpcId=vpc, TargetType="ip")["TargetGroups"][0]["TargetGroupArn"]
        controller.reconcile(lab)  # type: ignore[arg-type]
        assert len(plane.applied) == 2
        lab.faults.apply({"kind": "unhealthy", "target_group": "tg"})
        controller.reconcile(lab)  # type: ignore[arg-type]
        assert plane.applied[-1].target_group(tg).unhealthy_fault

        elb.delete_load_balancer(LoadBalancerArn=first)
        controller.reconcile(lab)  # type: ignore[arg-type]
        assert lab.loopback.allocations() == {second: "127.77.1.2"}
        assert plane.lookup(tg).name == "tg" and plane.lookup(tg.replace("/tg/", "/gone/")) is None


class RecordingRuntimeApi:
    """Every runtime API call the data plane makes; each succeeds."""

    def __init__(self) -> None:
        self.sent: list[tuple[Any, ...]] = []

    def __getattr__(self, name: str) -> Any:
        return lambda *args: self.sent.append((name, *args)) or True


def test_a_removed_server_is_deleted_a_grace_period_after_its_sessions_were_shut_down(tmp_path: Path) -> None:
    now = [100.0]
    plane = HAProxyDataPlane(tmp_path, clock=lambda: now[0])
    api = plane.api = RecordingRuntimeApi()
    remove = Step("remove", "tg", "s1")
    plane._run(remove)
    assert api.sent == [("set_state", "tg", "s1", "maint"), ("shutdown_sessions", "tg", "s1"), ("disable_health", "tg", "s1")]
    assert plane.pending_removals == {("tg", "s1"): 100.0}
    now[0] += REMOVAL_GRACE_SECONDS / 2
    plane._run(remove)  # streams may still point at the server: HAProxy 2.6.12 crashed when it was freed now
    assert [call[0] for call in api.sent].count("delete_server") == 0
    now[0] += REMOVAL_GRACE_SECONDS
    plane._run(remove)
    assert api.sent[-1] == ("delete_server", "tg", "s1")
    assert plane.pending_removals == {}
