"""wait_until in the drivers, with the recording fake clients of test_drivers (CodeDeploy), test_preshift_codedeploy
(the group's listeners) and test_native_driver (ECS-native): the run returns ``deployed`` or ``in_progress`` once the
deployment got as far as asked, and polls no more; a deployment held at Ready or at a PAUSE hook that got there stays
held; one that did not is continued (after the pre-shift checks) and followed; a bad value is refused before any
mutating call; a deployment stopped by someone without rollback fails the task with ``stopped``."""

from __future__ import annotations

from typing import Any, Optional

import pytest
from test_drivers import (
    GROUP,
    V1,
    V2,
    Recorder,
    codedeploy_answers,
    codedeploy_service,
    deployment,
    describe_task_definition,
    ecs_target,
    options,
    rolling_service,
)
from test_native_driver import OURS, WALK_THROUGH_THE_HOOK, Deployments, answers, native_service, rules, state
from test_preshift_codedeploy import BLUE, GREEN, LB_GROUP, TEST_LISTENER, Listeners

from ansible_collections.cutover.ecs.plugins.module_utils._deploy.ensure import ensure_deployment
from ansible_collections.cutover.ecs.plugins.module_utils._errors import CutoverError, InvalidInput

# --- CodeDeploy ------------------------------------------------------------------------------

BEFORE_READY = {"BeforeInstall": "Succeeded", "Install": "Succeeded", "AfterInstall": "Succeeded", "AllowTestTraffic": "Succeeded"}
AT_READY = dict(BEFORE_READY, AfterAllowTestTraffic="Succeeded", BeforeAllowTraffic="Pending", AllowTraffic="Pending")
SHIFTING = dict(AT_READY, BeforeAllowTraffic="Succeeded", AllowTraffic="InProgress")
SHIFTED = dict(SHIFTING, AllowTraffic="Succeeded", AfterAllowTraffic="InProgress")
DONE = dict(SHIFTED, AfterAllowTraffic="Succeeded")


def step(status: str, events: dict, green: float = 0.0, **info: Any) -> dict:
    """One GetDeployment answer (status, and more deploymentInfo) and the GetDeploymentTarget answer that goes with it
    (the lifecycle events, green's traffic weight)."""
    return {"status": status, "events": events, "green": green, "info": info}


class Walk:
    """d-new (or the deployment asked for) as CodeDeploy answers it: one step per GetDeployment, the last repeating;
    ContinueDeployment goes on with ``after_continue``, StopDeployment with ``after_stop``. ``others``: other
    deployments ({id: deploymentInfo}), e.g. a rollback."""

    def __init__(self, steps: list, after_continue: Optional[list] = None, after_stop: Optional[list] = None, others: Optional[dict] = None) -> None:
        self.steps = list(steps)
        self.after_continue, self.after_stop = after_continue, after_stop
        self.others = others or {}
        self.current = self.steps[0]
        self.polls = 0
        self.on_get: Any = None

    def get(self, params: dict) -> dict:
        if params["deploymentId"] in self.others:
            return {"deploymentInfo": self.others[params["deploymentId"]]}
        self.polls += 1
        if self.on_get:
            self.on_get()
        self.current = self.steps[0] if len(self.steps) == 1 else self.steps.pop(0)
        return {"deploymentInfo": dict(deployment(params["deploymentId"], self.current["status"], V2), **self.current["info"])}

    def target(self, params: dict) -> dict:
        answer = ecs_target(self.current["green"])
        answer["deploymentTarget"]["ecsTarget"]["lifecycleEvents"] = [{"lifecycleEventName": n, "status": s} for n, s in self.current["events"].items()]
        return answer

    def continue_(self, params: dict) -> dict:
        assert self.after_continue is not None, "ContinueDeployment was not expected"
        self.steps = list(self.after_continue)
        return {}

    def stop(self, params: dict) -> dict:
        assert self.after_stop is not None, "StopDeployment was not expected"
        self.steps = list(self.after_stop)
        return {"status": "Succeeded"}


def codedeploy_recorder(walk: Walk, group: dict = GROUP, active: Optional[list] = None, service: Optional[dict] = None, health: Any = None) -> Recorder:
    answers = codedeploy_answers(service or codedeploy_service(("PRIMARY", V1)), active or [], group=group)
    if health is not None:
        answers["elbv2"]["describe_target_health"] = health
    answers["codedeploy"].update(get_deployment=walk.get, get_deployment_target=walk.target, continue_deployment=walk.continue_, stop_deployment=walk.stop)
    return Recorder(answers)


def test_codedeploy_deployed_returns_once_allow_traffic_succeeded() -> None:
    # the last step would say succeeded: a run that polled on would report that
    walk = Walk([step("InProgress", BEFORE_READY), step("InProgress", SHIFTING, 50.0), step("InProgress", SHIFTED, 100.0), step("Succeeded", DONE, 100.0)])
    recorder = codedeploy_recorder(walk)
    result = ensure_deployment(recorder.context, options(wait_until="deployed"))
    assert (result["status"], result["changed"], result["rolled_back"], result["rollback_reason"]) == ("deployed", True, False, None)
    assert (result["deployment_id"], result["previous_task_definition"], result["task_definition"]) == ("d-new", V1, V2)
    assert result["weights"] == {"blue": 0.0, "green": 100.0}
    assert walk.polls == 3 and recorder.operations.count("get_deployment") == 3
    assert recorder.mutating == ["create_deployment"]
    assert len(result["progress"]) == 3


def test_codedeploy_deployed_is_not_allow_traffic_in_progress() -> None:
    walk = Walk([step("InProgress", SHIFTING, 50.0), step("InProgress", SHIFTING, 90.0), step("InProgress", SHIFTED, 100.0)])
    recorder = codedeploy_recorder(walk)
    result = ensure_deployment(recorder.context, options(wait_until="deployed"))
    assert result["status"] == "deployed"
    assert walk.polls == 3


def test_codedeploy_a_deployment_that_ended_before_it_was_seen_deployed_succeeded() -> None:
    walk = Walk([step("InProgress", SHIFTING, 50.0), step("Succeeded", DONE, 100.0)])
    recorder = codedeploy_recorder(walk)
    result = ensure_deployment(recorder.context, options(wait_until="deployed"))
    assert (result["status"], result["changed"]) == ("succeeded", True)


@pytest.mark.parametrize("wait_until", ["stable", None])
def test_codedeploy_stable_waits_for_the_end(wait_until: Optional[str]) -> None:
    walk = Walk([step("InProgress", SHIFTED, 100.0), step("InProgress", DONE, 100.0), step("Succeeded", DONE, 100.0)])
    recorder = codedeploy_recorder(walk)
    result = ensure_deployment(recorder.context, options(wait_until=wait_until))
    assert result["status"] == "succeeded"
    assert walk.polls == 3


def test_codedeploy_a_stage_returns_in_progress_once_that_event_succeeded() -> None:
    events = dict(BEFORE_READY, AllowTestTraffic="InProgress")
    walk = Walk([step("InProgress", events), step("InProgress", BEFORE_READY), step("Succeeded", DONE, 100.0)])
    recorder = codedeploy_recorder(walk)
    result = ensure_deployment(recorder.context, options(wait_until="AllowTestTraffic"))
    assert (result["status"], result["changed"], result["rolled_back"]) == ("in_progress", True, False)
    assert walk.polls == 2
    assert recorder.mutating == ["create_deployment"]


@pytest.mark.parametrize("wait_until", ["AllowTestTraffic", "AfterAllowTestTraffic"])
def test_codedeploy_a_stage_reached_at_ready_leaves_it_held(wait_until: str) -> None:
    """The group stops at Ready and the run has got as far as asked: it returns without ContinueDeployment."""
    walk = Walk([step("InProgress", BEFORE_READY), step("Ready", AT_READY)])
    recorder = codedeploy_recorder(walk)
    result = ensure_deployment(recorder.context, options(wait_until=wait_until))
    assert (result["status"], result["changed"], result["deployment_id"]) == ("in_progress", True, "d-new")
    assert recorder.mutating == ["create_deployment"]
    assert result["weights"] == {"blue": 100.0, "green": 0.0}


def lb_recorder(walk: Walk) -> tuple[Recorder, Listeners]:
    """A group with both listeners: CreateDeployment moves the test listener to green, as CodeDeploy does before Ready."""
    listeners = Listeners()
    answers = codedeploy_answers(codedeploy_service(("PRIMARY", V1)), [], group=LB_GROUP)
    answers["elbv2"].update(describe_listeners=listeners.describe_listeners, describe_rules=listeners.describe_rules)

    def create(params: dict) -> dict:
        listeners.weights[TEST_LISTENER] = {BLUE: 0, GREEN: 100}
        return {"deploymentId": "d-new"}

    answers["codedeploy"].update(
        create_deployment=create, get_deployment=walk.get, get_deployment_target=walk.target, continue_deployment=walk.continue_, stop_deployment=walk.stop
    )
    return Recorder(answers), listeners


@pytest.mark.parametrize("wait_until, status", [("deployed", "deployed"), ("AllowTraffic", "in_progress"), ("BeforeAllowTraffic", "in_progress")])
def test_codedeploy_not_reached_at_ready_continues_after_the_checks_then_returns(wait_until: str, status: str) -> None:
    after = [step("InProgress", SHIFTING, 50.0), step("InProgress", SHIFTED, 100.0), step("Succeeded", DONE, 100.0)]
    walk = Walk([step("InProgress", BEFORE_READY), step("Ready", AT_READY)], after_continue=after)
    recorder, _listeners = lb_recorder(walk)
    result = ensure_deployment(recorder.context, options(wait_until=wait_until))
    assert (result["status"], result["changed"], result["rolled_back"]) == (status, True, False)
    assert recorder.mutating == ["create_deployment", "continue_deployment"]
    # the listeners were read at Ready, before ContinueDeployment
    operations = recorder.operations
    continued = operations.index("continue_deployment")
    assert "describe_rules" in operations[operations.index("create_deployment") + 1 : continued]
    assert walk.polls == 2 + (1 if wait_until == "BeforeAllowTraffic" else 2)


def test_codedeploy_deployed_at_ready_with_listener_drift_is_refused_and_not_continued() -> None:
    """Continuing for wait_until goes through the same pre-shift checks: the test listener moved back by hand at Ready."""
    walk = Walk([step("Ready", AT_READY)], after_continue=[step("Succeeded", DONE, 100.0)])
    recorder, listeners = lb_recorder(walk)
    walk.on_get = lambda: listeners.weights.update({TEST_LISTENER: {BLUE: 100, GREEN: 0}})
    with pytest.raises(CutoverError, match="before production traffic moves") as raised:
        ensure_deployment(recorder.context, options(wait_until="deployed"))
    assert raised.value.details["listener_drift"]
    assert recorder.mutating == ["create_deployment"]


def test_codedeploy_deployed_with_verify_stops_at_ready() -> None:
    walk = Walk([step("Ready", AT_READY)])
    recorder = codedeploy_recorder(walk)
    result = ensure_deployment(recorder.context, options(wait_until="deployed", verify=True))
    assert result["status"] == "awaiting_verification"
    assert recorder.mutating == ["create_deployment"]


def test_codedeploy_action_continue_with_deployed_returns_deployed() -> None:
    walk = Walk([step("Ready", AT_READY)], after_continue=[step("InProgress", SHIFTING, 50.0), step("InProgress", SHIFTED, 100.0), step("Succeeded", DONE)])
    service = codedeploy_service(("PRIMARY", V1), ("ACTIVE", V2))
    recorder = codedeploy_recorder(walk, active=[deployment("d-1", "Ready", V2)], service=service)
    result = ensure_deployment(recorder.context, options(action="continue", deployment_id="d-1", task_definition=None, wait_until="deployed"))
    assert (result["status"], result["changed"], result["deployment_id"]) == ("deployed", True, "d-1")
    assert recorder.mutating == ["continue_deployment"]


def test_codedeploy_the_green_watch_comes_before_deployed() -> None:
    """AllowTraffic succeeded but a green target is unhealthy: the watch stops it with rollback, the run does not say
    deployed."""
    walk = Walk(
        [step("InProgress", SHIFTED, 100.0)],
        after_stop=[step("Stopped", SHIFTED, 100.0, rollbackInfo={"rollbackDeploymentId": "d-rb"}, errorInformation={"message": "stopped"})],
        others={"d-rb": deployment("d-rb", "Succeeded", V1)},
    )
    unhealthy = {"Target": {"Id": "10.0.0.7", "Port": 8080}, "TargetHealth": {"State": "unhealthy", "Reason": "Target.ResponseCodeMismatch"}}
    healthy = {"TargetHealth": {"State": "healthy"}}
    recorder = codedeploy_recorder(walk, health=lambda params: {"TargetHealthDescriptions": [unhealthy if params["TargetGroupArn"] == GREEN else healthy]})
    with pytest.raises(CutoverError) as raised:
        ensure_deployment(recorder.context, options(wait_until="deployed"))
    details = raised.value.details
    assert (details["status"], details["rolled_back"]) == ("rolled_back", True)
    assert details["rollback_reason"].startswith("green cannot become healthy: target 10.0.0.7:8080")
    assert recorder.mutating == ["create_deployment", "stop_deployment"]


@pytest.mark.parametrize("wait_until", ["stable", "deployed", "AllowTraffic"])
def test_codedeploy_stopped_without_rollback_while_waiting_fails_with_stopped(wait_until: str) -> None:
    stopped = step("Stopped", SHIFTING, 30.0, errorInformation={"code": "MANUAL_STOP", "message": "Deployment was stopped by user"})
    walk = Walk([step("InProgress", BEFORE_READY), step("InProgress", SHIFTING, 30.0), stopped])
    recorder = codedeploy_recorder(walk)
    with pytest.raises(CutoverError) as raised:
        ensure_deployment(recorder.context, options(wait_until=wait_until))
    assert raised.value.message == "CodeDeploy deployment d-new stopped: stopped without rollback: Deployment was stopped by user"
    details = raised.value.details
    assert (details["status"], details["rolled_back"], details["rollback_reason"], details["changed"]) == ("stopped", False, None, True)
    # traffic stays where the deployment left it
    assert details["weights"] == {"blue": 70.0, "green": 30.0}
    assert recorder.mutating == ["create_deployment"]


def test_codedeploy_stopped_with_a_rollback_that_failed_fails_with_failed() -> None:
    stopped = step("Stopped", SHIFTING, 30.0, rollbackInfo={"rollbackDeploymentId": "d-rb"}, errorInformation={"message": "stopped"})
    walk = Walk([step("InProgress", SHIFTING, 30.0), stopped], others={"d-rb": deployment("d-rb", "Failed", V1)})
    recorder = codedeploy_recorder(walk)
    with pytest.raises(CutoverError) as raised:
        ensure_deployment(recorder.context, options(wait_until="deployed"))
    assert (raised.value.details["status"], raised.value.details["rolled_back"]) == ("failed", False)


# --- refused before any change -----------------------------------------------------------------


@pytest.mark.parametrize("check_mode", [False, True])
@pytest.mark.parametrize(
    "extra, message",
    [
        ({"wait_until": "POST_TEST_TRAFFIC_SHIFT"}, r"stage of the codedeploy strategy \(BeforeInstall, .*\); got POST_TEST_TRAFFIC_SHIFT"),
        ({"wait_until": "Deployed"}, "got Deployed"),
        ({"wait_until": "AllowTestTraffic", "verify": True}, "wait_until=AllowTestTraffic and verify=true"),
    ],
)
def test_codedeploy_a_bad_wait_until_is_refused_before_any_change(extra: dict, message: str, check_mode: bool) -> None:
    walk = Walk([step("Succeeded", DONE, 100.0)])
    answers = codedeploy_answers(codedeploy_service(("PRIMARY", V1)), [])
    answers["codedeploy"].update(get_deployment=walk.get, get_deployment_target=walk.target)
    recorder = Recorder(answers, check_mode=check_mode)
    with pytest.raises(InvalidInput, match=message) as raised:
        ensure_deployment(recorder.context, options(**extra))
    assert raised.value.details["option"] == "wait_until"
    assert recorder.mutating == []


@pytest.mark.parametrize(
    "extra, message",
    [
        ({"wait_until": "AllowTraffic"}, r"stage of the ecs strategy \(RECONCILE_SERVICE, .*\); got AllowTraffic"),
        ({"wait_until": "POST_TEST_TRAFFIC_SHIFT", "verify": True}, "wait_until=POST_TEST_TRAFFIC_SHIFT and verify=true"),
    ],
)
def test_ecs_a_bad_wait_until_is_refused_before_any_change(extra: dict, message: str) -> None:
    recorder = Recorder(answers(native_service(), Deployments({}, start=WALK_THROUGH_THE_HOOK)))
    with pytest.raises(InvalidInput, match=message) as raised:
        ensure_deployment(recorder.context, options(**extra))
    assert raised.value.details["option"] == "wait_until"
    assert recorder.mutating == []


@pytest.mark.parametrize("stage", ["SCALE_UP", "AllowTraffic"])
def test_rolling_a_stage_is_refused_before_any_change(stage: str) -> None:
    recorder = Recorder({"ecs": {"describe_services": {"services": [rolling_service(("ecs-1", "PRIMARY", V1, "COMPLETED"))]}}})
    with pytest.raises(InvalidInput, match=f"wait_until={stage}: the rolling strategy has no stages") as raised:
        ensure_deployment(recorder.context, options(wait_until=stage))
    assert raised.value.details["option"] == "wait_until"
    assert recorder.mutating == []


# --- ECS-native --------------------------------------------------------------------------------

ON_GREEN = ("POST_PRODUCTION_TRAFFIC_SHIFT", "BAKE_TIME", "CLEAN_UP")


def native_recorder(walk: list, service: Optional[dict] = None, health: Any = None) -> tuple[Recorder, Deployments]:
    """The hook walk's service and deployments; the production rule is on green once the deployment described last
    is past PRODUCTION_TRAFFIC_SHIFT. ``health``: DescribeTargetHealth of (deployments, params)."""
    deployments = Deployments({}, start=walk)
    fake = answers(service or native_service(), deployments)
    if health is not None:
        fake["elbv2"]["describe_target_health"] = lambda params: health(deployments, params)
    blue, on_green = rules({BLUE: 100, GREEN: 0}, deployments.test_on_green), rules({BLUE: 0, GREEN: 100}, deployments.test_on_green)
    fake["elbv2"]["describe_rules"] = lambda params: (on_green if deployments.last.get("lifecycleStage") in ON_GREEN else blue)(params)
    return Recorder(fake), deployments


HOOK_TO_THE_END = [
    state(OURS, "PENDING", stage=None),
    state(OURS, "IN_PROGRESS", "SCALE_UP"),
    state(OURS, "IN_PROGRESS", "POST_TEST_TRAFFIC_SHIFT", hook="h1"),
    state(OURS, "IN_PROGRESS", "PRODUCTION_TRAFFIC_SHIFT"),
    state(OURS, "IN_PROGRESS", "POST_PRODUCTION_TRAFFIC_SHIFT"),
    state(OURS, "IN_PROGRESS", "BAKE_TIME"),
    state(OURS, "IN_PROGRESS", "CLEAN_UP"),
    state(OURS, "SUCCESSFUL", "CLEAN_UP"),
]


def test_ecs_a_stage_at_the_hook_returns_in_progress_and_leaves_it_held() -> None:
    recorder, deployments = native_recorder(HOOK_TO_THE_END)
    result = ensure_deployment(recorder.context, options(wait_until="POST_TEST_TRAFFIC_SHIFT"))
    assert (result["status"], result["changed"], result["deployment_id"], result["rolled_back"]) == ("in_progress", True, OURS, False)
    assert result["deployment_status"] == "IN_PROGRESS"
    assert recorder.mutating == ["update_service"]
    assert [p["name"] for p in result["phases"]] == ["SCALE_UP", "POST_TEST_TRAFFIC_SHIFT"]
    # polled no further than the hook
    assert deployments.peek(OURS)["lifecycleStage"] == "PRODUCTION_TRAFFIC_SHIFT"


def test_ecs_a_stage_before_the_hook_returns_there() -> None:
    recorder, deployments = native_recorder(HOOK_TO_THE_END)
    result = ensure_deployment(recorder.context, options(wait_until="SCALE_UP"))
    assert result["status"] == "in_progress"
    assert recorder.mutating == ["update_service"]
    assert deployments.peek(OURS)["lifecycleStage"] == "POST_TEST_TRAFFIC_SHIFT"


def test_ecs_an_earlier_stage_missed_between_polls_counts_once_past_it() -> None:
    recorder, deployments = native_recorder(HOOK_TO_THE_END)
    result = ensure_deployment(recorder.context, options(wait_until="TEST_TRAFFIC_SHIFT"))
    assert result["status"] == "in_progress"
    assert [p["name"] for p in result["phases"]] == ["SCALE_UP", "POST_TEST_TRAFFIC_SHIFT"]
    assert recorder.mutating == ["update_service"]
    assert deployments.peek(OURS)["lifecycleStage"] == "PRODUCTION_TRAFFIC_SHIFT"


@pytest.mark.parametrize(
    "walk, stage",
    [
        (HOOK_TO_THE_END, "POST_PRODUCTION_TRAFFIC_SHIFT"),
        ([s for s in HOOK_TO_THE_END if s["lifecycleStage"] != "POST_PRODUCTION_TRAFFIC_SHIFT"], "BAKE_TIME"),
    ],
)
def test_ecs_deployed_continues_the_hook_then_returns_once_production_is_on_green(walk: list, stage: str) -> None:
    recorder, deployments = native_recorder(walk)
    result = ensure_deployment(recorder.context, options(wait_until="deployed"))
    assert (result["status"], result["changed"], result["rolled_back"], result["rollback_reason"]) == ("deployed", True, False, None)
    assert result["phases"][-1]["name"] == stage and result["phases"][-1]["status"] == "InProgress"
    assert result["weights"] == {"blue": 0.0, "green": 100.0}
    assert recorder.mutating == ["update_service", "continue_service_deployment"]
    assert next(params for operation, params in recorder.calls if operation == "continue_service_deployment")["hookId"] == "h1"
    # the hook's pre-shift check read the rules before the continue
    operations = recorder.operations
    assert "describe_rules" in operations[operations.index("update_service") + 1 : operations.index("continue_service_deployment")]
    assert deployments.peek(OURS)["lifecycleStage"] == ("BAKE_TIME" if stage == "POST_PRODUCTION_TRAFFIC_SHIFT" else "CLEAN_UP")


def test_ecs_production_traffic_shift_is_not_deployed_yet() -> None:
    walk = [s for s in HOOK_TO_THE_END if s["lifecycleStage"] not in ("POST_PRODUCTION_TRAFFIC_SHIFT", "BAKE_TIME", "CLEAN_UP") or s["status"] == "SUCCESSFUL"]
    recorder, _deployments = native_recorder(walk)
    result = ensure_deployment(recorder.context, options(wait_until="deployed"))
    assert result["status"] == "succeeded"


@pytest.mark.parametrize("wait_until", ["stable", None])
def test_ecs_stable_follows_to_the_end(wait_until: Optional[str]) -> None:
    recorder, deployments = native_recorder(HOOK_TO_THE_END)
    result = ensure_deployment(recorder.context, options(wait_until=wait_until))
    assert (result["status"], result["weights"]) == ("succeeded", {"blue": 0.0, "green": 100.0})
    assert recorder.mutating == ["update_service", "continue_service_deployment"]
    assert deployments.peek(OURS)["status"] == "SUCCESSFUL"


def test_ecs_deployed_with_verify_stops_at_the_gate() -> None:
    recorder, _deployments = native_recorder(HOOK_TO_THE_END)
    result = ensure_deployment(recorder.context, options(wait_until="deployed", verify=True))
    assert result["status"] == "awaiting_verification"
    assert recorder.mutating == ["update_service"]


def test_ecs_action_continue_with_deployed_returns_deployed() -> None:
    walk = [s for s in HOOK_TO_THE_END if s["lifecycleStage"] not in (None, "SCALE_UP")]
    recorder, deployments = native_recorder([])
    deployments.walks[OURS] = list(walk)
    result = ensure_deployment(recorder.context, options(action="continue", deployment_id=OURS, task_definition=None, wait_until="deployed"))
    assert (result["status"], result["changed"]) == ("deployed", True)
    assert recorder.mutating == ["continue_service_deployment"]


def test_ecs_the_green_watch_comes_before_deployed() -> None:
    """Production is on green but a green target is unhealthy: the watch stops it with rollback, the run does not say
    deployed."""
    unhealthy = {"Target": {"Id": "10.0.0.7", "Port": 8080}, "TargetHealth": {"State": "unhealthy", "Reason": "Target.ResponseCodeMismatch"}}

    def health(deployments: Deployments, params: dict) -> dict:
        sick = params["TargetGroupArn"] == GREEN and deployments.last.get("lifecycleStage") in ON_GREEN
        return {"TargetHealthDescriptions": [unhealthy if sick else {"TargetHealth": {"State": "healthy"}}]}

    recorder, _deployments = native_recorder(HOOK_TO_THE_END, health=health)
    with pytest.raises(CutoverError) as raised:
        ensure_deployment(recorder.context, options(wait_until="deployed"))
    details = raised.value.details
    assert (details["status"], details["rolled_back"]) == ("rolled_back", True)
    assert details["rollback_reason"].startswith("green cannot become healthy: target 10.0.0.7:8080")
    assert recorder.mutating == ["update_service", "continue_service_deployment", "stop_service_deployment"]


@pytest.mark.parametrize("wait_until", ["SCALE_UP", "deployed"])
def test_ecs_rolling_back_is_never_reached(wait_until: str) -> None:
    reason = "ECS deployment circuit breaker: tasks failed to start."
    walk = [
        state(OURS, "PENDING", stage=None),
        state(OURS, "ROLLBACK_IN_PROGRESS", "CLEAN_UP", rollback={"reason": reason}),
        state(OURS, "ROLLBACK_SUCCESSFUL", "CLEAN_UP", statusReason=reason, rollback={"reason": reason}),
    ]
    recorder, _deployments = native_recorder(walk)
    with pytest.raises(CutoverError) as raised:
        ensure_deployment(recorder.context, options(wait_until=wait_until))
    assert (raised.value.details["status"], raised.value.details["rolled_back"]) == ("rolled_back", True)


@pytest.mark.parametrize("wait_until", ["stable", "deployed", "PRODUCTION_TRAFFIC_SHIFT"])
def test_ecs_stopped_while_waiting_fails_with_stopped(wait_until: str) -> None:
    walk = [state(OURS, "PENDING", stage=None), state(OURS, "IN_PROGRESS", "SCALE_UP"), state(OURS, "STOPPED", "SCALE_UP", statusReason="stopped by the user")]
    recorder, _deployments = native_recorder(walk)
    with pytest.raises(CutoverError) as raised:
        ensure_deployment(recorder.context, options(wait_until=wait_until))
    assert raised.value.message == f"Service deployment {OURS} stopped: STOPPED: stopped by the user"
    details = raised.value.details
    assert (details["status"], details["rolled_back"], details["rollback_reason"], details["changed"]) == ("stopped", False, None, True)
    assert details["deployment_status"] == "STOPPED"
    assert recorder.mutating == ["update_service"]


def test_rolling_deployed_waits_as_stable_does() -> None:
    polls = [
        rolling_service(("ecs-1", "PRIMARY", V1, "COMPLETED")),
        rolling_service(("ecs-2", "PRIMARY", V2, "IN_PROGRESS"), ("ecs-1", "ACTIVE", V1, "COMPLETED")),
        rolling_service(("ecs-2", "PRIMARY", V2, "COMPLETED")),
    ]
    fake = {
        "ecs": {
            "describe_services": lambda params: {"services": [polls.pop(0) if len(polls) > 1 else polls[0]]},
            "describe_task_definition": describe_task_definition,
            "update_service": {"service": rolling_service(("ecs-2", "PRIMARY", V2, "IN_PROGRESS"), ("ecs-1", "ACTIVE", V1, "COMPLETED"))},
        }
    }
    recorder = Recorder(fake)
    result = ensure_deployment(recorder.context, options(wait_until="deployed"))
    assert (result["status"], result["deployment_id"]) == ("succeeded", "ecs-2")
    assert recorder.mutating == ["update_service"]


def test_ecs_deployed_does_not_leave_a_later_pause_hook_to_time_out() -> None:
    hooks = ({"targetType": "PAUSE", "lifecycleStages": ["POST_TEST_TRAFFIC_SHIFT", "POST_PRODUCTION_TRAFFIC_SHIFT"]},)
    walk = [
        state(OURS, "IN_PROGRESS", "SCALE_UP"),
        state(OURS, "IN_PROGRESS", "POST_TEST_TRAFFIC_SHIFT", hook="h1"),
        state(OURS, "IN_PROGRESS", "PRODUCTION_TRAFFIC_SHIFT"),
        state(OURS, "IN_PROGRESS", "POST_PRODUCTION_TRAFFIC_SHIFT", hook="h2"),
        state(OURS, "IN_PROGRESS", "BAKE_TIME"),
        state(OURS, "SUCCESSFUL", "CLEAN_UP"),
    ]
    recorder, _deployments = native_recorder(walk, service=native_service(hooks=hooks))
    result = ensure_deployment(recorder.context, options(wait_until="deployed"))
    assert result["status"] == "deployed"
    continued = [params["hookId"] for operation, params in recorder.calls if operation == "continue_service_deployment"]
    assert continued == ["h1", "h2"]
