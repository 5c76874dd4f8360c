"""Pure parts of the core: fault table, call summary, state file, loopback allocator, CLI fault specs."""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

import pytest

from lab import clock
from lab.__main__ import build_parser, fault_spec, format_status
from lab.calls import CallLog, CallRecord, from_ansible, read_calls, summarize
from lab.faults import FaultError, FaultTable, ShareFault, target_group_name
from lab.loopback import AUTO, AUTO_SECOND_OCTETS, Loopback, LoopbackExhausted, LoopbackPrefixInUse, claim_prefix, first_free, try_claim
from lab.state import State, process_start_time, same_process_alive

# faults ---------------------------------------------------------------------------


@pytest.mark.parametrize(("share", "calls", "fired"), [(0.2, 100, 20), (0.05, 200, 10), (0.5, 7, 3), (1.0, 9, 9), (0.0, 50, 0), (1 / 3, 30, 10)])
def test_share_faults_fire_exactly_their_share(share: float, calls: int, fired: int) -> None:
    fault = ShareFault("throttle", "ecs", "*", share, 400)
    assert sum(fault.should_fire() for _ in range(calls)) == fired


def test_throttle_code_follows_the_protocol() -> None:
    table = FaultTable()
    table.apply({"kind": "throttle", "service": "ecs", "operation": "DescribeServices", "share": 1})
    table.apply({"kind": "throttle", "service": "elasticloadbalancing", "share": 1})
    assert table.decide("ecs", "DescribeServices", "json").code == "ThrottlingException"
    assert table.decide("ecs", "ListServices", "json").kind is None
    assert table.decide("elasticloadbalancing", "DescribeRules", "query").code == "Throttling"


def test_ec2_throttles_as_ec2_does() -> None:
    """ec2-api-throttling.html: RequestLimitExceeded, which EC2 answers with HTTP 503; the other
    protocols' throttling errors are 400s. A status given with the fault wins."""
    table = FaultTable()
    table.apply({"kind": "throttle", "service": "ec2", "share": 1})
    table.apply({"kind": "throttle", "service": "ecs", "share": 1})
    ec2, ecs = table.decide("ec2", "DescribeSubnets", "ec2"), table.decide("ecs", "ListClusters", "json")
    assert (ec2.code, ec2.status, ec2.message) == ("RequestLimitExceeded", 503, "Request limit exceeded.")
    assert (ecs.code, ecs.status, ecs.message) == ("ThrottlingException", 400, "Rate exceeded")
    table.apply({"kind": "throttle", "service": "ec2", "share": 1, "status": 400})
    assert table.decide("ec2", "DescribeSubnets", "ec2").status == 400


def test_fail_defaults_to_500_internal_failure_and_takes_a_status() -> None:
    table = FaultTable()
    table.apply({"kind": "fail", "service": "ecs", "operation": "UpdateService", "share": 1})
    assert (table.decide("ecs", "UpdateService", "json").status, table.decide("ecs", "UpdateService", "json").code) == (500, "InternalFailure")
    table.apply({"kind": "fail", "service": "ecs", "operation": "UpdateService", "share": 1, "status": 503})
    assert table.decide("ecs", "UpdateService", "json").code == "ServiceUnavailable"
    assert len(table.describe()["share_faults"]) == 1  # the second spec replaced the first


def test_a_share_over_every_service_counts_all_their_calls_together() -> None:
    table = FaultTable()
    table.apply({"kind": "fail", "service": "*", "share": 0.25})
    decided = [table.decide(service, "Describe", "json").kind for service in ("ecs", "iam", "ec2", "elasticloadbalancing") * 2]
    # one counter over all services: every fourth call fails, whichever service it is
    assert decided == [None, None, None, "fail"] * 2


def test_latency_adds_up_and_clear_removes_everything() -> None:
    table = FaultTable()
    table.apply({"kind": "latency", "service": "ecs", "ms": 200})
    table.apply({"kind": "latency", "service": "ecs", "operation": "ListTasks", "ms": 50})
    assert table.decide("ecs", "ListTasks", "json").latency_ms == 250
    assert table.decide("ecr", "ListImages", "json").latency_ms == 0
    table.apply({"kind": "unhealthy", "target_group": "tg"})
    table.apply({"kind": "clear"})
    assert table.describe() == {"share_faults": [], "latencies": [], "unhealthy": [], "task_kills": []}


def test_unhealthy_matches_arn_or_name_and_can_be_switched_off() -> None:
    arn = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/blue/0123456789abcdef"
    table = FaultTable()
    table.apply({"kind": "unhealthy", "target_group": "blue"})
    assert table.target_group_unhealthy(arn)
    assert not table.target_group_unhealthy(arn.replace("/blue/", "/green/"))
    table.apply({"kind": "unhealthy", "target_group": "blue", "off": True})
    assert not table.target_group_unhealthy(arn)
    table.apply({"kind": "unhealthy", "target_group": arn})
    assert table.unhealthy_target_groups() == [arn]


def test_task_kills_are_taken_once() -> None:
    table = FaultTable()
    table.apply({"kind": "kill-task", "cluster": "c", "task": "arn:task/1"})
    kills = table.take_task_kills()
    assert [(k.cluster, k.task) for k in kills] == [("c", "arn:task/1")]
    assert table.take_task_kills() == []


@pytest.mark.parametrize(
    "spec",
    [
        {"kind": "explode"},
        {"kind": "throttle", "service": "ecs", "share": 2},
        {"kind": "throttle", "share": 0.1},
        {"kind": "kill-task", "cluster": "c"},
        {"kind": "latency", "service": "ecs"},
    ],
)
def test_bad_fault_specs_are_refused(spec: dict) -> None:
    with pytest.raises(FaultError):
        FaultTable().apply(spec)


@pytest.mark.parametrize(
    ("text", "name"),
    [("arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/my-tg/50dc6c495c0c9188", "my-tg"), ("my-tg", "my-tg")],
)
def test_target_group_name(text: str, name: str) -> None:
    assert target_group_name(text) == name


@pytest.mark.parametrize(
    ("argv", "spec"),
    [
        (
            ["fault", "throttle", "--service", "ecs", "--operation", "DescribeServices", "--share", "0.2"],
            {"kind": "throttle", "service": "ecs", "operation": "DescribeServices", "share": 0.2},
        ),
        (
            ["fault", "fail", "--service", "ecs", "--share", "0.05", "--status", "503"],
            {"kind": "fail", "service": "ecs", "operation": "*", "share": 0.05, "status": 503, "code": None},
        ),
        (["fault", "latency", "--service", "ecr", "--ms", "200"], {"kind": "latency", "service": "ecr", "operation": "*", "ms": 200.0}),
        (["fault", "unhealthy", "--target-group", "tg", "--off"], {"kind": "unhealthy", "target_group": "tg", "off": True}),
        (["fault", "kill-task", "--cluster", "c", "--task", "t"], {"kind": "kill-task", "cluster": "c", "task": "t"}),
        (["fault", "clear"], {"kind": "clear"}),
    ],
)
def test_cli_fault_specs(argv: list[str], spec: dict) -> None:
    assert fault_spec(build_parser().parse_args(argv)) == spec


def test_every_cli_fault_spec_is_accepted_by_the_table() -> None:
    for argv in (["fault", "throttle", "--service", "ecs", "--share", "0.2"], ["fault", "unhealthy", "--target-group", "tg"], ["fault", "clear"]):
        FaultTable().apply(fault_spec(build_parser().parse_args(argv)))


# calls ------------------------------------------------------------------------------


def test_call_log_roundtrip_and_summary(tmp_path: Path) -> None:
    log = CallLog(tmp_path / "calls.jsonl")
    log.append(CallRecord(1.0, "ecs", "CreateService", True, 200, "us-east-1", 3.0))
    log.append(CallRecord(2.0, "ecs", "DescribeServices", False, 200, "us-east-1", 1.0))
    log.append(CallRecord(3.0, "ecs", "DescribeServices", False, 400, "us-east-1", 1.0, "throttle"))
    log.close()
    with (tmp_path / "calls.jsonl").open("a") as handle:
        handle.write('{"torn": ')  # a writer killed mid-line
    records = list(read_calls(tmp_path / "calls.jsonl"))
    assert [r["operation"] for r in records] == ["CreateService", "DescribeServices", "DescribeServices"]
    assert records[2]["fault"] == "throttle" and "fault" not in records[0]
    summary = summarize(records)
    assert summary["total"] == 3 and summary["mutating"] == 1
    assert summary["statuses"] == {"200": 2, "400": 1}
    assert summary["operations"]["ecs:DescribeServices"] == {"count": 2, "mutating": False, "statuses": {"200": 1, "400": 1}}


# state and loopback ---------------------------------------------------------------------


def test_state_records_and_survives_reload(tmp_path: Path) -> None:
    state = State.load(tmp_path / "state.json")
    assert state.is_empty()
    state.add_process("serve", os.getpid())
    state.add_container("lab-task-1", "podman", id="abc")
    state.add_file("/etc/containers/registries.conf.d/x.conf")
    state.set("endpoint", "http://127.0.0.1:4566")
    again = State.load(tmp_path / "state.json")
    assert again.processes()["serve"]["start_time"] == process_start_time(os.getpid())
    assert again.containers() == {"lab-task-1": {"runtime": "podman", "id": "abc"}}
    assert again.files() == ["/etc/containers/registries.conf.d/x.conf"]
    assert again.get("endpoint") == "http://127.0.0.1:4566"
    again.remove_process("serve")
    again.remove_container("lab-task-1")
    again.remove_file("/etc/containers/registries.conf.d/x.conf")
    assert State.load(tmp_path / "state.json").is_empty()
    assert not list(tmp_path.glob("*.tmp"))


def test_a_torn_state_file_reads_as_empty(tmp_path: Path) -> None:
    (tmp_path / "state.json").write_text('{"processes": {')
    assert State.load(tmp_path / "state.json").is_empty()


def test_same_process_alive_rejects_a_recycled_pid() -> None:
    start = process_start_time(os.getpid())
    assert same_process_alive(os.getpid(), start)
    assert not same_process_alive(os.getpid(), (start or 0) + 1)
    assert not same_process_alive(2**22 + 7, None)


def test_loopback_allocation_is_idempotent_persisted_and_pooled(tmp_path: Path) -> None:
    state = State.load(tmp_path / "state.json")
    loopback = Loopback(state, "127.0")
    assert loopback.allocate("lb", "arn:lb/a") == "127.0.1.1"
    assert loopback.allocate("lb", "arn:lb/a") == "127.0.1.1"
    assert loopback.allocate("lb", "arn:lb/b") == "127.0.1.2"
    assert loopback.allocate("task", "arn:task/1") == "127.0.2.1"
    assert loopback.release("arn:lb/a") == "127.0.1.1"
    assert loopback.allocate("lb", "arn:lb/c") == "127.0.1.1"
    reloaded = Loopback(State.load(tmp_path / "state.json"), "127.0")
    assert reloaded.address_of("arn:task/1") == "127.0.2.1"
    assert reloaded.owner_of("127.0.1.2") == "arn:lb/b"


def test_a_loopback_prefix_is_held_by_one_lab_until_it_lets_go(tmp_path: Path) -> None:
    first = claim_prefix("127.42", tmp_path)
    assert try_claim("127.42", tmp_path) is None  # a second open file description cannot take it
    with pytest.raises(LoopbackPrefixInUse, match=r"127\.42 is in use by another lab.*LAB_LOOPBACK_PREFIX"):
        claim_prefix("127.42", tmp_path)
    first.release()
    again = claim_prefix("127.42", tmp_path)
    assert again.prefix == "127.42"
    again.release()


# The claims below live in tmp_path, not in the machine's claims directory: the addresses of
# the machine's real labs (other test workers) must not decide them.
def everything_bindable(host: str, port: int) -> bool:
    return True


def test_auto_claims_a_free_test_prefix_and_passes_over_held_ones(tmp_path: Path) -> None:
    held = [claim_prefix(f"127.{second}", tmp_path) for second in AUTO_SECOND_OCTETS if second != 137]
    try:
        claim = claim_prefix(AUTO, tmp_path, everything_bindable)
        assert claim.prefix == "127.137"
        with pytest.raises(LoopbackExhausted, match="no free loopback prefix"):
            claim_prefix(AUTO, tmp_path, everything_bindable)
        claim.release()
    finally:
        for other in held:
            other.release()


def test_auto_passes_over_a_prefix_whose_addresses_are_taken(tmp_path: Path) -> None:
    """Something listens on 127.N.1.1:80 without a claim (a lab of an older version): not that N."""
    busy = {f"127.{second}" for second in AUTO_SECOND_OCTETS if second != 201}
    claim = claim_prefix(AUTO, tmp_path, lambda host, port: host.rsplit(".", 2)[0] not in busy)
    assert claim.prefix == "127.201"
    claim.release()


def test_two_auto_claims_never_share_a_prefix(tmp_path: Path) -> None:
    claims = [claim_prefix(AUTO, tmp_path, everything_bindable) for _ in range(20)]
    assert len({claim.prefix for claim in claims}) == 20
    for claim in claims:
        claim.release()


def test_loopback_pools() -> None:
    assert first_free("127.9", "task", {f"127.9.2.{i}" for i in range(1, 255)}) == "127.9.3.1"
    with pytest.raises(LoopbackExhausted):
        first_free("127.9", "lb", {f"127.9.1.{i}" for i in range(1, 255)})


def test_clock_scaled() -> None:
    before = clock.time_scale()
    try:
        clock.set_time_scale(10)
        assert clock.scaled(300) == 30
        assert clock.scaled(300, cap=5) == 5
        assert clock.scaled(1, floor=0.5) == 0.5
    finally:
        clock.set_time_scale(before)


def test_format_status_down() -> None:
    report = {"up": False, "processes": {}, "containers": {}, "registry": None, "loopback": {}, "controllers": [], "controller_errors": {}}
    assert format_status(report) == "lab is not up"
    assert json.dumps(report)  # --json prints the same report
    assert isinstance(build_parser().parse_args(["status", "--json"]), argparse.Namespace)


def _lab_dir_with_files(lab_dir: Path, marker: bool) -> None:
    lab_dir.mkdir(parents=True, exist_ok=True)
    for name in ("state.json", "lab.log", "calls.jsonl", "other.txt"):
        (lab_dir / name).write_text("x")
    (lab_dir / "registry").mkdir()
    (lab_dir / "registry" / "htpasswd").write_text("x")
    if marker:
        (lab_dir / ".cutover-lab").write_text("x")


def test_down_empties_its_own_lab_dir_but_keeps_logs(tmp_path: Path) -> None:
    from lab.__main__ import clear_lab_dir
    from lab.config import LabConfig

    config = LabConfig.from_env({"LAB_DIR": str(tmp_path / "lab")}, root=tmp_path / "repo")
    _lab_dir_with_files(config.dir, marker=True)
    clear_lab_dir(config)
    assert sorted(p.name for p in config.dir.iterdir()) == ["calls.jsonl", "lab.log"]


@pytest.mark.parametrize("marker", [True, False])
def test_down_in_a_shared_dir_removes_only_known_entries(tmp_path: Path, marker: bool) -> None:
    """A LAB_DIR pointed at the repo (or any unmarked directory) must not lose unrelated files."""
    from lab.__main__ import clear_lab_dir
    from lab.config import LabConfig

    config = LabConfig.from_env({"LAB_DIR": str(tmp_path)}, root=tmp_path if marker else tmp_path / "repo")
    _lab_dir_with_files(config.dir, marker=marker)
    clear_lab_dir(config)
    assert sorted(p.name for p in config.dir.iterdir()) == ["calls.jsonl", "lab.log", "other.txt"]


def test_calls_of_ansible_modules_are_told_apart_by_user_agent() -> None:
    from ansible_collections.amazon.aws.plugins.module_utils.botocore import _get_user_agent_string

    # what amazon.aws's clients (every Ansible AWS module's, ours included) send, then botocore's suffix
    assert from_ansible(f"{_get_user_agent_string()} Botocore/1.44.8")
    assert not from_ansible("Boto3/1.40.0 md/Botocore#1.44.8 ua/2.1 os/linux")
    assert not from_ansible(None)
