"""The matrix's pure helpers, without a lab: reading the json callback, phases, orphans."""

from __future__ import annotations

import pytest
from faultkit import deploy_result, failed_outside, in_flight_bound, orphan_task_sets, parse_output, what_the_tool_did
from world import in_phase

from lab.loadgen import Sample

DEPLOY = "cutover.ecs.deploy : Cut over | Production traffic to the new task definition"


def play(*tasks: tuple[str, dict]) -> dict:
    return {"plays": [{"tasks": [{"task": {"name": name}, "hosts": {"localhost": result}} for name, result in tasks]}]}


@pytest.mark.parametrize(
    "output, expected",
    [
        (play(("Provision", {"changed": True}), (DEPLOY, {"status": "succeeded"})), {"status": "succeeded"}),
        (play(("Provision", {"failed": True})), None),
        ({}, None),
        # an attach after a kill runs the same task twice in one play: the last one counts
        (play((DEPLOY, {"status": "in_progress"}), (DEPLOY, {"status": "rolled_back"})), {"status": "rolled_back"}),
    ],
)
def test_deploy_result(output: dict, expected: dict | None) -> None:
    assert deploy_result(output) == expected


def test_parse_output_skips_warnings_before_the_document() -> None:
    assert parse_output('[WARNING]: something\n{\n"plays": []}') == {"plays": []}
    assert parse_output('[WARNING]: {{ templated }} in a warning\n{\n"plays": []\n}') == {"plays": []}
    assert "unparsed" in parse_output("{not json")
    assert parse_output("") == {}


def test_what_the_tool_did_keeps_the_fields_faults_json_records() -> None:
    result = {"failed": True, "status": "rolled_back", "rolled_back": True, "rollback_reason": "3 stopped", "deployment_id": "d-1", "msg": "x" * 500}
    seen = what_the_tool_did(result)
    assert seen["status"] == "rolled_back" and seen["rolled_back"] is True and seen["deployment_id"] == "d-1"
    assert len(seen["msg"]) == 400
    assert what_the_tool_did(None) == {"status": None}


@pytest.mark.parametrize(
    "task_sets, orphans",
    [
        ([{"id": "a", "status": "PRIMARY"}], []),
        ([{"id": "a", "status": "PRIMARY"}, {"id": "b", "status": "ACTIVE"}], [{"id": "b", "status": "ACTIVE"}]),
        ([{"id": "b", "status": "ACTIVE"}], [{"id": "b", "status": "ACTIVE"}]),
        ([], []),
    ],
)
def test_orphan_task_sets(task_sets: list[dict], orphans: list[dict]) -> None:
    assert orphan_task_sets(task_sets) == orphans


@pytest.mark.parametrize(
    "phase, status, events, expected",
    [
        ("green-started", "InProgress", {"BeforeInstall": "Succeeded", "Install": "InProgress"}, True),
        ("green-started", "InProgress", {"Install": "Succeeded"}, False),
        ("test-traffic", "Ready", {"AllowTestTraffic": "Succeeded", "AllowTraffic": "Pending"}, True),
        ("test-traffic", "InProgress", {"AllowTestTraffic": "Succeeded", "AllowTraffic": "InProgress"}, False),
        ("shift", "InProgress", {"AllowTraffic": "InProgress"}, True),
        ("termination-wait", "InProgress", {"AfterAllowTraffic": "Succeeded"}, True),
        ("termination-wait", "Succeeded", {"AfterAllowTraffic": "Succeeded"}, False),
        ("shift", "Stopped", {"AllowTraffic": "InProgress"}, False),
    ],
)
def test_in_phase(phase: str, status: str, events: dict, expected: bool) -> None:
    assert in_phase(phase, status, events) is expected


def test_in_phase_refuses_an_unknown_phase() -> None:
    with pytest.raises(ValueError):
        in_phase("bake", "InProgress", {})


KILL_FROM, STOPPED_BY = 10.0, 11.0
SAMPLES = [
    Sample(started=9.0, status=200, version="1", latency=0.01),  # answered before the kill
    Sample(started=9.995, status=0, version=None, latency=0.02, error="reset"),  # open at the kill
    Sample(started=10.5, status=503, version=None, latency=0.01),  # sent while the task died
    Sample(started=12.0, status=503, version=None, latency=0.01),  # after it was STOPPED: ours
]


def test_in_flight_bound_counts_requests_open_while_the_task_died() -> None:
    assert in_flight_bound(SAMPLES, KILL_FROM, STOPPED_BY) == 2


def test_failed_outside_names_failures_that_were_not_in_flight() -> None:
    assert failed_outside(SAMPLES, KILL_FROM, STOPPED_BY) == ["status=503 error=None"]
    assert failed_outside(SAMPLES[:3], KILL_FROM, STOPPED_BY) == []
