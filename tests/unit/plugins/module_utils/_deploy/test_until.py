"""wait_until (pure): which values each strategy accepts (``until.problem``), when a deployment moving forward has got
as far as asked (``until.reached``), what a run that stopped waiting reports (``until.outcome``); and the ``stopped``
outcome (stopped by someone, without rollback) of CodeDeploy and ECS-native deployments."""

from __future__ import annotations

from typing import Any, Optional

import pytest

from ansible_collections.cutover.ecs.plugins.module_utils._deploy import green, native_plan, plan, until

# Written out again, not read from ``until``: a name or an order changed there must show here.
EVENTS = ["BeforeInstall", "Install", "AfterInstall", "AllowTestTraffic", "AfterAllowTestTraffic", "BeforeAllowTraffic", "AllowTraffic", "AfterAllowTraffic"]
STAGES = [
    "RECONCILE_SERVICE",
    "PRE_SCALE_UP",
    "SCALE_UP",
    "POST_SCALE_UP",
    "TEST_TRAFFIC_SHIFT",
    "POST_TEST_TRAFFIC_SHIFT",
    "PRODUCTION_TRAFFIC_SHIFT",
    "POST_PRODUCTION_TRAFFIC_SHIFT",
    "BAKE_TIME",
    "CLEAN_UP",
]
CODEDEPLOY_LIST = "BeforeInstall, Install, AfterInstall, AllowTestTraffic, AfterAllowTestTraffic, BeforeAllowTraffic, AllowTraffic, AfterAllowTraffic"
ECS_LIST = (
    "RECONCILE_SERVICE, PRE_SCALE_UP, SCALE_UP, POST_SCALE_UP, TEST_TRAFFIC_SHIFT, POST_TEST_TRAFFIC_SHIFT, PRODUCTION_TRAFFIC_SHIFT, "
    "POST_PRODUCTION_TRAFFIC_SHIFT, BAKE_TIME, CLEAN_UP"
)
VERIFY_REFUSED = "wait_until={} and verify=true: the verification gate decides where the module stops; use stable or deployed with verify"


def test_the_option_names_and_the_reported_status() -> None:
    assert (until.STABLE, until.DEPLOYED, until.DEPLOYED_STATUS) == ("stable", "deployed", "deployed")
    assert list(until.CODEDEPLOY_EVENTS) == EVENTS
    assert list(until.NATIVE_STAGES) == STAGES
    assert until.DEPLOYED_AT == {"codedeploy": "AllowTraffic", "ecs": "POST_PRODUCTION_TRAFFIC_SHIFT"}


# --- problem ---------------------------------------------------------------------------------


@pytest.mark.parametrize("strategy", ["codedeploy", "ecs", "rolling"])
@pytest.mark.parametrize("wait_until", [None, "stable", "deployed"])
@pytest.mark.parametrize("verify", [False, True])
def test_stable_deployed_and_none_go_with_every_strategy_and_verify(strategy: str, wait_until: Optional[str], verify: bool) -> None:
    assert until.problem(strategy, wait_until, verify) is None


@pytest.mark.parametrize("event", EVENTS)
def test_every_codedeploy_event_is_a_codedeploy_stage_and_no_ecs_one(event: str) -> None:
    assert until.problem("codedeploy", event, False) is None
    assert until.problem("ecs", event, False) == f"wait_until must be stable, deployed or a stage of the ecs strategy ({ECS_LIST}); got {event}"


@pytest.mark.parametrize("stage", STAGES)
def test_every_ecs_stage_is_an_ecs_stage_and_no_codedeploy_one(stage: str) -> None:
    assert until.problem("ecs", stage, False) is None
    assert until.problem("codedeploy", stage, False) == (
        f"wait_until must be stable, deployed or a stage of the codedeploy strategy ({CODEDEPLOY_LIST}); got {stage}"
    )


@pytest.mark.parametrize("stage", ["AllowTraffic", "SCALE_UP", "BAKE_TIME", "anything"])
@pytest.mark.parametrize("verify", [False, True])
def test_a_rolling_update_refuses_every_stage(stage: str, verify: bool) -> None:
    assert until.problem("rolling", stage, verify) == f"wait_until={stage}: the rolling strategy has no stages; use stable or deployed"


@pytest.mark.parametrize(
    "strategy, wait_until",
    [
        ("codedeploy", "Deployed"),
        ("codedeploy", "STABLE"),
        ("codedeploy", "allowtraffic"),
        ("codedeploy", ""),
        ("codedeploy", "Ready"),
        ("ecs", "scale_up"),
        ("ecs", "ROLLBACK_IN_PROGRESS"),
        ("ecs", "SUCCESSFUL"),
    ],
)
def test_anything_else_is_refused_with_the_names_of_the_strategy(strategy: str, wait_until: str) -> None:
    names = CODEDEPLOY_LIST if strategy == "codedeploy" else ECS_LIST
    assert (
        until.problem(strategy, wait_until, False) == f"wait_until must be stable, deployed or a stage of the {strategy} strategy ({names}); got {wait_until}"
    )


@pytest.mark.parametrize(
    "strategy, stage", [("codedeploy", "AllowTestTraffic"), ("codedeploy", "AllowTraffic"), ("ecs", "POST_TEST_TRAFFIC_SHIFT"), ("ecs", "SCALE_UP")]
)
def test_a_stage_does_not_go_with_verify(strategy: str, stage: str) -> None:
    assert until.problem(strategy, stage, True) == VERIFY_REFUSED.format(stage)
    assert until.problem(strategy, stage, False) is None
    assert until.problem(strategy, "deployed", True) is None


def test_a_stage_of_another_strategy_with_verify_names_the_stages_first() -> None:
    """Two things wrong: the one that says which names exist comes first."""
    assert until.problem("ecs", "AllowTraffic", True).startswith("wait_until must be stable, deployed or a stage of the ecs strategy (")


# --- reached: CodeDeploy ---------------------------------------------------------------------


def codedeploy(status: str, **events: str) -> dict:
    """A CodeDeploy view: status, and its lifecycle events {name: status} in order."""
    return {"status": status, "phases": [{"name": name, "status": event_status, "started_at": None, "ended_at": None} for name, event_status in events.items()]}


BEFORE_PRODUCTION = dict(BeforeInstall="Succeeded", Install="Succeeded", AfterInstall="Succeeded", AllowTestTraffic="Succeeded")
ALL_SUCCEEDED = {event: "Succeeded" for event in EVENTS}


@pytest.mark.parametrize("status", ["Created", "Queued", "InProgress", "Baking", "Ready"])
def test_codedeploy_deployed_once_allow_traffic_succeeded_while_it_moves_forward(status: str) -> None:
    assert until.reached("codedeploy", codedeploy(status, **dict(BEFORE_PRODUCTION, AllowTraffic="Succeeded")), "deployed") is True


@pytest.mark.parametrize("allow_traffic", ["Pending", "InProgress", "Failed", "Skipped", "Unknown", None])
def test_codedeploy_not_deployed_before_allow_traffic_succeeded(allow_traffic: Optional[str]) -> None:
    events = dict(BEFORE_PRODUCTION, AllowTraffic=allow_traffic) if allow_traffic else dict(BEFORE_PRODUCTION)
    assert until.reached("codedeploy", codedeploy("InProgress", **events), "deployed") is False


@pytest.mark.parametrize("status", ["Succeeded", "Failed", "Stopped", "Unknown", None])
def test_codedeploy_never_reached_once_final_or_stopped(status: Optional[str]) -> None:
    view = codedeploy(status, **ALL_SUCCEEDED)
    assert until.reached("codedeploy", view, "deployed") is False
    assert until.reached("codedeploy", view, "AllowTestTraffic") is False


@pytest.mark.parametrize("wait_until", [None, "stable"])
@pytest.mark.parametrize("status", ["InProgress", "Ready", "Succeeded"])
def test_never_reached_for_stable(wait_until: Optional[str], status: str) -> None:
    assert until.reached("codedeploy", codedeploy(status, **ALL_SUCCEEDED), wait_until) is False
    assert until.reached("ecs", {"status": "IN_PROGRESS", "stage": "CLEAN_UP"}, wait_until) is False


@pytest.mark.parametrize("event", EVENTS)
def test_codedeploy_a_stage_is_reached_once_that_event_succeeded(event: str) -> None:
    before = {name: "Succeeded" for name in EVENTS[: EVENTS.index(event)]}
    assert until.reached("codedeploy", codedeploy("InProgress", **before, **{event: "InProgress"}), event) is False
    assert until.reached("codedeploy", codedeploy("InProgress", **before, **{event: "Succeeded"}), event) is True


def test_codedeploy_a_stage_counts_that_event_only() -> None:
    """An event counts once it succeeded, whatever others did: a later one that succeeded does not stand for it."""
    view = codedeploy("InProgress", Install="Succeeded", AllowTestTraffic="Skipped", AfterAllowTestTraffic="Succeeded")
    assert until.reached("codedeploy", view, "Install") is True
    assert until.reached("codedeploy", view, "AfterAllowTestTraffic") is True
    assert until.reached("codedeploy", view, "AllowTestTraffic") is False
    assert until.reached("codedeploy", view, "AfterInstall") is False


def test_codedeploy_at_ready_the_test_traffic_event_is_reached_and_production_not() -> None:
    ready = codedeploy("Ready", **dict(BEFORE_PRODUCTION, AfterAllowTestTraffic="Succeeded"))
    assert until.reached("codedeploy", ready, "AllowTestTraffic") is True
    assert until.reached("codedeploy", ready, "AfterAllowTestTraffic") is True
    assert until.reached("codedeploy", ready, "BeforeAllowTraffic") is False
    assert until.reached("codedeploy", ready, "deployed") is False


@pytest.mark.parametrize("phases", [None, []])
def test_codedeploy_no_events_yet_is_not_reached(phases: Any) -> None:
    assert until.reached("codedeploy", {"status": "Created", "phases": phases}, "deployed") is False
    assert until.reached("codedeploy", {"status": "Queued"}, "BeforeInstall") is False


def test_a_rolling_update_or_an_unknown_strategy_is_never_reached() -> None:
    """A rolling update's deployed waits as stable does: nothing short of its end counts."""
    view = dict(codedeploy("InProgress", **ALL_SUCCEEDED), stage="CLEAN_UP")
    for strategy in ("rolling", "other"):
        assert until.reached(strategy, dict(view, status="IN_PROGRESS"), "deployed") is False
        assert until.reached(strategy, view, "deployed") is False


# --- reached: ECS-native ---------------------------------------------------------------------


@pytest.mark.parametrize("current", STAGES)
@pytest.mark.parametrize("wanted", STAGES)
def test_ecs_a_stage_is_reached_at_it_or_past_it(current: str, wanted: str) -> None:
    expected = STAGES.index(current) >= STAGES.index(wanted)
    for status in ("PENDING", "IN_PROGRESS"):
        assert until.reached("ecs", {"status": status, "stage": current}, wanted) is expected


@pytest.mark.parametrize(
    "current, expected",
    [
        ("TEST_TRAFFIC_SHIFT", False),
        ("POST_TEST_TRAFFIC_SHIFT", False),
        ("PRODUCTION_TRAFFIC_SHIFT", False),
        ("POST_PRODUCTION_TRAFFIC_SHIFT", True),
        ("BAKE_TIME", True),
        ("CLEAN_UP", True),
    ],
)
def test_ecs_deployed_after_production_traffic_shift(current: str, expected: bool) -> None:
    assert until.reached("ecs", {"status": "IN_PROGRESS", "stage": current}, "deployed") is expected


@pytest.mark.parametrize(
    "status", ["STOP_REQUESTED", "ROLLBACK_REQUESTED", "ROLLBACK_IN_PROGRESS", "SUCCESSFUL", "STOPPED", "ROLLBACK_SUCCESSFUL", "ROLLBACK_FAILED", None]
)
def test_ecs_never_reached_rolling_back_or_final(status: Optional[str]) -> None:
    for wanted in ("deployed", "SCALE_UP", "RECONCILE_SERVICE"):
        assert until.reached("ecs", {"status": status, "stage": "CLEAN_UP"}, wanted) is False


@pytest.mark.parametrize("current", [None, "", "SOME_NEW_STAGE", "scale_up"])
def test_ecs_an_unknown_current_stage_is_not_reached(current: Optional[str]) -> None:
    for wanted in ("deployed", "RECONCILE_SERVICE", "CLEAN_UP"):
        assert until.reached("ecs", {"status": "IN_PROGRESS", "stage": current}, wanted) is False


def test_ecs_a_stage_it_does_not_know_is_not_reached() -> None:
    """``problem`` refuses it before; ``reached`` does not guess."""
    assert until.reached("ecs", {"status": "IN_PROGRESS", "stage": "CLEAN_UP"}, "AllowTraffic") is False


# --- outcome ---------------------------------------------------------------------------------


def test_outcome_of_deployed_and_of_a_stage() -> None:
    waiting = {"status": "in_progress", "rolled_back": False, "rollback_reason": None}
    assert until.outcome(waiting, "deployed") == {"status": "deployed", "rolled_back": False, "rollback_reason": None}
    assert until.outcome(waiting, "AllowTestTraffic") == {"status": "in_progress", "rolled_back": False, "rollback_reason": None}
    assert until.outcome(waiting, "POST_TEST_TRAFFIC_SHIFT")["status"] == "in_progress"
    assert waiting == {"status": "in_progress", "rolled_back": False, "rollback_reason": None}


def test_outcome_keeps_what_else_the_outcome_says_and_clears_a_rollback() -> None:
    """At Ready the engine's own outcome says awaiting_verification: the run that stopped waiting says where it is."""
    engine = {"status": "awaiting_verification", "rolled_back": True, "rollback_reason": "x", "reason": "kept"}
    assert until.outcome(engine, "AllowTestTraffic") == {"status": "in_progress", "rolled_back": False, "rollback_reason": None, "reason": "kept"}
    assert until.outcome(engine, "deployed") == {"status": "deployed", "rolled_back": False, "rollback_reason": None, "reason": "kept"}
    assert engine["status"] == "awaiting_verification"


def test_a_deployed_report_shows_the_traffic_as_it_is() -> None:
    """``deployed`` is not ``succeeded``: the weights are the view's, not the all-on-green of a finished deployment."""
    view = {"deployment_id": "d-1", "weights": {"blue": 0.0, "green": 100.0}}
    result = plan.report("codedeploy", view, until.outcome({"status": "in_progress"}, "deployed"), "td:1", "td:2", 1.0)
    assert (result["status"], result["rolled_back"], result["weights"]) == ("deployed", False, {"blue": 0.0, "green": 100.0})


# --- stopped: by someone, without rollback -----------------------------------------------------


def test_stopped_is_a_failure() -> None:
    assert plan.STOPPED == "stopped"
    assert set(plan.FAILURES) == {"rolled_back", "failed", "stopped"}
    for status in (plan.SUCCEEDED, plan.AWAITING, plan.IN_PROGRESS, until.DEPLOYED_STATUS, plan.PLANNED):
        assert status not in plan.FAILURES


@pytest.mark.parametrize(
    "error, rollback_view, expected",
    [
        ({"code": "MANUAL_STOP"}, None, {"status": "stopped", "rolled_back": False, "rollback_reason": None, "reason": "stopped without rollback"}),
        (
            {"code": "MANUAL_STOP", "message": "Deployment was stopped by user"},
            None,
            {"status": "stopped", "rolled_back": False, "rollback_reason": None, "reason": "stopped without rollback: Deployment was stopped by user"},
        ),
        # an alarm or the ready wait's timeout stopped it, and nothing rolled it back: a failure, not a stop by someone
        (
            {"code": "ALARM_ACTIVE", "message": "One or more alarms have been activated"},
            None,
            {"status": "failed", "rolled_back": False, "rollback_reason": None, "reason": "One or more alarms have been activated"},
        ),
        (None, None, {"status": "failed", "rolled_back": False, "rollback_reason": None, "reason": "Stopped"}),
        (
            {"message": "stopped by the green watch"},
            {"status": "Succeeded"},
            {"status": "rolled_back", "rolled_back": True, "rollback_reason": "stopped by the green watch", "reason": "stopped by the green watch"},
        ),
        (
            {"message": "stopped"},
            {"status": "Failed"},
            {"status": "failed", "rolled_back": False, "rollback_reason": None, "reason": "stopped"},
        ),
        (None, {"status": "Stopped"}, {"status": "failed", "rolled_back": False, "rollback_reason": None, "reason": "Stopped"}),
    ],
)
def test_codedeploy_outcome_of_a_stopped_deployment(error: Optional[dict], rollback_view: Optional[dict], expected: dict) -> None:
    assert plan.codedeploy_outcome({"status": "Stopped", "error": error}, rollback_view) == expected


def test_codedeploy_outcome_of_a_failed_deployment_is_never_stopped() -> None:
    failed = {"status": "Failed", "error": {"message": "tasks failed"}}
    assert plan.codedeploy_outcome(failed) == {"status": "failed", "rolled_back": False, "rollback_reason": None, "reason": "tasks failed"}
    assert plan.codedeploy_outcome(failed, {"status": "Succeeded"})["status"] == "rolled_back"


def native(status: str, reason: Optional[str] = None, alarms: tuple = ()) -> dict:
    return {"status": status, "stage": "SCALE_UP", "reason": reason, "triggered_alarms": list(alarms), "awaiting": False}


@pytest.mark.parametrize(
    "view, expected",
    [
        (native("STOPPED"), {"status": "stopped", "rolled_back": False, "rollback_reason": None, "reason": "STOPPED"}),
        (
            native("STOPPED", "stopped by the user"),
            {"status": "stopped", "rolled_back": False, "rollback_reason": None, "reason": "STOPPED: stopped by the user"},
        ),
        (
            native("STOPPED", "stopped by the user", alarms=("p99",)),
            {"status": "stopped", "rolled_back": False, "rollback_reason": None, "reason": "STOPPED: stopped by the user (alarms in ALARM: p99)"},
        ),
        (native("ROLLBACK_FAILED", "x"), {"status": "failed", "rolled_back": False, "rollback_reason": None, "reason": "ROLLBACK_FAILED: x"}),
        (native("ROLLBACK_SUCCESSFUL", "x"), {"status": "rolled_back", "rolled_back": True, "rollback_reason": "x", "reason": "x"}),
    ],
)
def test_native_outcome_stopped(view: dict, expected: dict) -> None:
    assert native_plan.native_outcome(view) == expected


WATCHED = {"check": green.TARGET_HEALTH, "target": "10.0.0.7:8080", "target_group": "web-green", "health_reason": "Target.ResponseCodeMismatch"}
WATCH_SAYS = "green cannot become healthy: target 10.0.0.7:8080 in target group web-green failed its health checks (Target.ResponseCodeMismatch)"


def test_the_green_watch_stopped_it_so_stopped_reads_failed() -> None:
    stopped = {"status": "stopped", "rolled_back": False, "rollback_reason": None, "reason": "stopped without rollback"}
    assert green.with_green_failure(stopped, WATCHED) == {"status": "failed", "rolled_back": False, "rollback_reason": None, "reason": WATCH_SAYS}
    assert stopped["status"] == "stopped"


@pytest.mark.parametrize(
    "outcome, expected",
    [
        (
            {"status": "rolled_back", "rolled_back": True, "rollback_reason": "engine", "reason": "engine"},
            {"status": "rolled_back", "rolled_back": True, "rollback_reason": WATCH_SAYS, "reason": WATCH_SAYS},
        ),
        (
            {"status": "failed", "rolled_back": False, "rollback_reason": None, "reason": "engine"},
            {"status": "failed", "rolled_back": False, "rollback_reason": None, "reason": WATCH_SAYS},
        ),
    ],
)
def test_the_green_watch_keeps_rolled_back_and_failed(outcome: dict, expected: dict) -> None:
    assert green.with_green_failure(outcome, WATCHED) == expected


def test_without_the_green_watch_stopped_stays_stopped() -> None:
    stopped = {"status": "stopped", "rolled_back": False, "rollback_reason": None, "reason": "STOPPED"}
    for failure in (None, {}):
        assert green.with_green_failure(stopped, failure) == stopped
