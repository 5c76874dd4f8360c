"""The green watch in the ECS-native driver (``native``) with recording fake clients: when it reads green's target
health and stopped tasks, when it stops the service deployment with rollback (StopServiceDeployment ROLLBACK), what
the failed task then says, and what it leaves alone (a rollback ECS began itself, watch_green false, deployment_info,
the PAUSE hooks it continues). The pure verdict is tested in test_green_watch.py; the lab's fault matrix runs the real
thing."""

from __future__ import annotations

import time
from typing import Any, Optional

import pytest
from test_drivers import TASK_DEFINITIONS, V1, V2, Recorder, describe_task_definition, error, options
from test_green_watch import CREATED, ELB_STOP, health, task, unhealthy
from test_native_driver import (
    OTHER,
    OURS,
    PAUSE_AT_VERIFY,
    REVISIONS,
    TEST_ON_GREEN,
    WALK_THROUGH_THE_HOOK,
    Deployments,
    answers,
    native_service,
    rules,
    state,
)

from ansible_collections.cutover.ecs.plugins.module_utils._deploy import green, native, plan
from ansible_collections.cutover.ecs.plugins.module_utils._deploy.ensure import describe_deployment, ensure_deployment
from ansible_collections.cutover.ecs.plugins.module_utils._deploy.target import Target
from ansible_collections.cutover.ecs.plugins.module_utils._errors import CutoverError

TG = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/{}/0123456789abcdef"
BLUE_TG, GREEN_TG = TG.format("web-blue"), TG.format("web-green")
ROLLED_BACK_ON_REQUEST = "Service deployment rolled back because of a stop request."
CIRCUIT_BREAKER = "ECS deployment circuit breaker: tasks failed to start."
UNHEALTHY_REASON = (
    "green cannot become healthy: target 10.0.1.5:8080 in target group web-green failed its health checks "
    "(Target.ResponseCodeMismatch: Health checks failed with these codes: [500])"
)
ELB_STOPPED_TASK = "9f8e7d6c5b4a"
ELB_STOP_REASON = f"green cannot become healthy: 1 of its tasks stopped: task {ELB_STOPPED_TASK}: {ELB_STOP}"
INITIAL = health("initial", "Elb.InitialHealthChecking", "Initial health checks in progress")
NOTE = "; stopping the service deployment with rollback"


def service(desired: int = 2, hooks: tuple = (PAUSE_AT_VERIFY,)) -> dict:
    """test_native_driver's BLUE_GREEN service with real target group ARNs (the watch reports green's name)."""
    found = native_service(hooks=hooks)
    balancer = found["loadBalancers"][0]
    balancer["targetGroupArn"] = BLUE_TG
    balancer["advancedConfiguration"]["alternateTargetGroupArn"] = GREEN_TG
    found["desiredCount"] = desired
    return found


def step(
    status: str,
    stage: Optional[str] = "SCALE_UP",
    running: int = 2,
    requested: Optional[int] = 2,
    hook: Optional[str] = None,
    green_health: Optional[list] = None,
    **extra: Any,
) -> dict:
    """One DescribeServiceDeployments answer for our deployment of V2 (created at CREATED) and, when given, green's
    target health from that poll on."""
    found = state(OURS, status, stage, hook=hook, **{"createdAt": CREATED, **extra})
    found["targetServiceRevision"] = {"arn": "arn:rev/2", "runningTaskCount": running}
    if requested is not None:
        found["targetServiceRevision"]["requestedTaskCount"] = requested
    if green_health is not None:
        found["_green"] = list(green_health)
    return found


def rolled_back(reason: str = ROLLED_BACK_ON_REQUEST) -> dict:
    return step("ROLLBACK_SUCCESSFUL", "CLEAN_UP", running=0, statusReason=reason, rollback={"reason": reason})


ROLLBACK = (step("ROLLBACK_IN_PROGRESS", "PRODUCTION_TRAFFIC_SHIFT", running=1), rolled_back())
ELB_STOPPED = task(ELB_STOPPED_TASK, ELB_STOP, started_by="ecs-svc/1", exit_code=None, stop_code="ServiceSchedulerInitiated", minutes=5)


class NativeRun:
    """An ECS-native BLUE_GREEN deployment of V2 over V1 with recording fake clients. ``walk`` is what
    DescribeServiceDeployments answers poll by poll (the last repeats); StopServiceDeployment turns it into
    ``after_stop``. The deployment exists once UpdateService ran (or from the start with ``exists``).
    ``green_health`` is green's DescribeTargetHealth (a step may change it), ``stopped`` the service's stopped tasks."""

    def __init__(
        self,
        walk: list,
        green_health: Optional[list] = None,
        stopped: tuple = (),
        after_stop: tuple = ROLLBACK,
        exists: bool = False,
        desired: int = 2,
        **extra: Any,
    ) -> None:
        self.walk, self.after_stop, self.exists = list(walk), list(after_stop), exists
        self.green_health = list(green_health if green_health is not None else [health("healthy", ip="10.0.1.4")])
        self.stopped = list(stopped)
        self.seen: list = []
        self.service = service(desired)
        self.last: dict = {}
        self.answers = {
            "ecs": {
                "describe_services": {"services": [self.service]},
                "describe_task_definition": describe_task_definition,
                "list_service_deployments": self.list,
                "describe_service_deployments": self.describe,
                "describe_service_revisions": lambda params: {
                    "serviceRevisions": [{"serviceRevisionArn": arn, "taskDefinition": REVISIONS[arn]} for arn in params["serviceRevisionArns"]]
                },
                "update_service": self.update_service,
                "continue_service_deployment": lambda params: {"serviceDeploymentArn": params["serviceDeploymentArn"]},
                "stop_service_deployment": self.stop,
                "list_tasks": lambda params: {"taskArns": [item["taskArn"] for item in self.stopped]},
                "describe_tasks": lambda params: {"tasks": list(self.stopped)},
            },
            "elbv2": {
                "describe_rules": rules({BLUE_TG: 100, GREEN_TG: 0}, self.test_on_green, BLUE_TG, GREEN_TG),
                "describe_target_health": lambda params: {"TargetHealthDescriptions": self.health_of(params["TargetGroupArn"])},
            },
        }
        self.recorder = Recorder(self.answers)
        self.options = options(**extra)
        self.target = Target(
            context=self.recorder.context,
            options=self.options,
            service=self.service,
            strategy="ecs",
            task_definition=TASK_DEFINITIONS[V2],
            started=time.monotonic(),
        )

    def health_of(self, arn: str) -> list:
        return [health("healthy", ip="10.0.0.1"), health("healthy", ip="10.0.0.2")] if arn == BLUE_TG else list(self.green_health)

    def update_service(self, params: dict) -> dict:
        self.exists = True
        return {"service": {}}

    def list(self, params: dict) -> dict:
        if not self.exists:
            return {"serviceDeployments": []}
        brief = {"serviceDeploymentArn": OURS, "status": self.walk[0]["status"], "targetServiceRevisionArn": "arn:rev/2", "createdAt": CREATED}
        wanted = set(params.get("status") or [])
        return {"serviceDeployments": [brief] if not wanted or brief["status"] in wanted else []}

    def describe(self, params: dict) -> dict:
        if not self.exists or OURS not in params["serviceDeploymentArns"]:
            return {"serviceDeployments": []}
        found = dict(self.walk[0] if len(self.walk) == 1 else self.walk.pop(0))
        green_health = found.pop("_green", None)
        if green_health is not None:
            self.green_health[:] = green_health
        self.seen.append(found["status"])
        self.last = found
        return {"serviceDeployments": [found]}

    def test_on_green(self) -> bool:
        return self.last.get("status") in ("PENDING", "IN_PROGRESS") and self.last.get("lifecycleStage") in TEST_ON_GREEN

    def stop(self, params: dict) -> dict:
        self.walk = list(self.after_stop)
        return {"serviceDeploymentArn": params["serviceDeploymentArn"]}

    def stop_fails(self, code: str, moved_on: list) -> None:
        """StopServiceDeployment fails with ``code``, ECS having moved the deployment on to ``moved_on``."""

        def stop(params: dict) -> Exception:
            self.walk = list(moved_on)
            return error(code)

        self.answers["ecs"]["stop_service_deployment"] = stop

    def params(self, operation: str) -> list:
        return [params for called, params in self.recorder.calls if called == operation]

    @property
    def operations(self) -> list:
        return self.recorder.operations

    def run(self) -> dict:
        return native.run(self.target)

    def follow(self, verify: bool = False) -> tuple[dict, bool]:
        return native.follow(self.target, OURS, verify)


# --- an unhealthy green target ------------------------------------------------------------------------------


def test_an_unhealthy_green_target_stops_the_service_deployment_with_rollback() -> None:
    walk = [step("IN_PROGRESS", green_health=[INITIAL]), step("IN_PROGRESS", green_health=[health("healthy", ip="10.0.1.4"), unhealthy()])]
    run = NativeRun(walk, wait_timeout=110)
    run.target.started -= 100  # the module started 100 s ago
    with pytest.raises(CutoverError) as raised:
        run.run()
    assert run.params("stop_service_deployment") == [{"serviceDeploymentArn": OURS, "stopType": "ROLLBACK"}]
    assert run.recorder.mutating == ["update_service", "stop_service_deployment"]
    # the wait followed the rollback to its end
    assert run.seen == ["IN_PROGRESS", "IN_PROGRESS", "ROLLBACK_IN_PROGRESS", "ROLLBACK_SUCCESSFUL"]
    details = raised.value.details
    assert (details["status"], details["rolled_back"], details["deployment_status"], details["deployment_id"]) == (
        plan.ROLLED_BACK,
        True,
        "ROLLBACK_SUCCESSFUL",
        OURS,
    )
    assert details["rollback_reason"].startswith("green cannot become healthy:")
    assert "health checks" in details["rollback_reason"]
    assert details["rollback_reason"] == UNHEALTHY_REASON
    assert str(raised.value) == f"Service deployment {OURS} rolled back: {UNHEALTHY_REASON}"
    watch = details["green_watch"]
    assert {key: watch[key] for key in ("check", "target", "target_group", "health_reason", "reason")} == {
        "check": "target_health",
        "target": "10.0.1.5:8080",
        "target_group": "web-green",  # the name, not the ARN
        "health_reason": "Target.ResponseCodeMismatch: Health checks failed with these codes: [500]",
        "reason": UNHEALTHY_REASON,
    }
    assert 100 <= watch["seen_after_s"] <= watch["rollback_started_after_s"] < 105
    assert details["changed"] is True
    # green runs all the tasks it asked for: its stopped tasks are never read (nor, the watch having spoken, the last one's)
    assert "list_tasks" not in run.operations and "describe_tasks" not in run.operations
    assert {params["TargetGroupArn"] for params in run.params("describe_target_health")} == {BLUE_TG, GREEN_TG}
    note = next(line for line in details["progress"] if "green watch" in line)
    assert note.endswith(f"green watch: {UNHEALTHY_REASON}{NOTE}")
    assert note.lstrip().startswith("10")  # the elapsed time


def test_deploy_stops_the_service_deployment_it_started_when_green_is_unhealthy() -> None:
    run = NativeRun([step("PENDING", None, running=0), step("IN_PROGRESS", green_health=[unhealthy()])])
    with pytest.raises(CutoverError, match="rolled back: green cannot become healthy: target 10.0.1.5:8080 in target group web-green") as raised:
        ensure_deployment(run.recorder.context, run.options)
    assert run.recorder.mutating == ["update_service", "stop_service_deployment"]
    assert run.params("stop_service_deployment") == [{"serviceDeploymentArn": OURS, "stopType": "ROLLBACK"}]
    details = raised.value.details
    assert details["rollback_reason"] == details["green_watch"]["reason"] == UNHEALTHY_REASON
    assert (details["strategy"], details["previous_task_definition"], details["task_definition"]) == ("ecs", V1, V2)


def test_one_stop_even_when_the_deployment_still_shows_in_progress_after_it() -> None:
    after = (step("IN_PROGRESS", green_health=[unhealthy()]), step("IN_PROGRESS"), *ROLLBACK)
    run = NativeRun([step("IN_PROGRESS", green_health=[unhealthy()])], after_stop=after, exists=True)
    view, continued = run.follow()
    assert run.recorder.mutating == ["stop_service_deployment"]
    assert (view["status"], view["green_watch"]["check"], continued) == ("ROLLBACK_SUCCESSFUL", "target_health", False)


# --- green's stopped tasks ----------------------------------------------------------------------------------


def test_a_green_task_stopped_by_its_health_checks_stops_the_service_deployment() -> None:
    stopped = (task("blue-crash", task_definition=V1, minutes=7), ELB_STOPPED)
    run = NativeRun([step("IN_PROGRESS", running=1, requested=2)], green_health=[INITIAL], stopped=stopped)
    with pytest.raises(CutoverError) as raised:
        run.run()
    assert run.params("stop_service_deployment") == [{"serviceDeploymentArn": OURS, "stopType": "ROLLBACK"}]
    assert run.params("list_tasks") == [{"cluster": "shop", "serviceName": "web", "desiredStatus": "STOPPED"}]
    details = raised.value.details
    watch = details["green_watch"]
    assert (watch["check"], watch["task"], watch["stop_reason"], watch["stopped"], watch["target_group"]) == (
        "task_stops",
        ELB_STOPPED_TASK,
        ELB_STOP,
        1,
        "web-green",
    )
    assert details["rollback_reason"] == watch["reason"] == ELB_STOP_REASON
    assert details["rollback_reason"].startswith("green cannot become healthy:") and "health checks" in details["rollback_reason"]
    assert (details["status"], details["rolled_back"]) == (plan.ROLLED_BACK, True)


@pytest.mark.parametrize(
    "other",
    [
        {"minutes": -3},  # stopped before this deployment was created
        {"task_definition": V1},  # blue's
        {"reason": "Task stopped by user", "stop_code": "UserInitiated"},  # not a failure
    ],
)
def test_another_stopped_task_does_not_stop_the_service_deployment(other: dict) -> None:
    stopped = (task("elb", **{"reason": ELB_STOP, "exit_code": None, "started_by": "ecs-svc/1", **other}),)
    walk = [step("IN_PROGRESS", running=1, requested=2), step("IN_PROGRESS", running=1, requested=2), step("SUCCESSFUL", "CLEAN_UP")]
    run = NativeRun(walk, green_health=[INITIAL], stopped=stopped)
    result = run.run()
    assert (result["status"], result["changed"]) == (plan.SUCCEEDED, True)
    assert run.recorder.mutating == ["update_service"]
    assert "green_watch" not in result
    # read while green ran fewer tasks than it asked for
    assert run.operations.count("list_tasks") == 2


@pytest.mark.parametrize("since", ["createdAt", "startedAt"])
def test_green_stops_count_from_the_deployments_creation(since: str) -> None:
    deployment = step("IN_PROGRESS", running=1, requested=2)
    deployment[since] = deployment.pop("createdAt")
    early = task("early", ELB_STOP, exit_code=None, minutes=-1)
    run = NativeRun([deployment], green_health=[INITIAL], stopped=(early,), exists=True)
    assert "green_failure" not in native.fetch_view(run.target, OURS)
    run.stopped.append(task("late", ELB_STOP, exit_code=None, minutes=1))
    assert native.fetch_view(run.target, OURS)["green_failure"]["task"] == "late"


def test_crash_stops_stop_the_service_deployment_at_the_circuit_breakers_threshold() -> None:
    crashes = tuple(task(f"crash{n}", minutes=n) for n in (3, 2, 1))
    below = NativeRun([step("IN_PROGRESS", running=0, requested=2)], green_health=[INITIAL], stopped=crashes[:2], exists=True)
    assert "green_failure" not in native.fetch_view(below.target, OURS)
    run = NativeRun([step("IN_PROGRESS", running=0, requested=2)], green_health=[INITIAL], stopped=crashes, exists=True)
    view, _continued = run.follow()
    assert run.recorder.mutating == ["stop_service_deployment"]
    assert (view["green_watch"]["task"], view["green_watch"]["stopped"]) == ("crash3", 3)
    assert view["green_watch"]["reason"] == (
        "green cannot become healthy: 3 of its tasks stopped; task crash3: Essential container in task exited (app: exit code 1)"
    )


def test_without_a_requested_count_the_services_desired_count_is_asked_for() -> None:
    run = NativeRun([step("IN_PROGRESS", running=1, requested=None)], green_health=[INITIAL], stopped=(ELB_STOPPED,), exists=True, desired=2)
    assert native.fetch_view(run.target, OURS)["green_failure"]["task"] == ELB_STOPPED_TASK
    assert run.operations.count("list_tasks") == 1
    full = NativeRun([step("IN_PROGRESS", running=2, requested=None)], green_health=[INITIAL], stopped=(ELB_STOPPED,), exists=True, desired=2)
    assert "green_failure" not in native.fetch_view(full.target, OURS)
    assert "list_tasks" not in full.operations


@pytest.mark.parametrize(
    "green_health",
    [
        [health("healthy", ip="10.0.1.4"), health("healthy", ip="10.0.1.6")],
        [INITIAL, health("healthy", ip="10.0.1.6")],
        [health("unused", "Target.NotInUse"), health("draining", "Target.DeregistrationInProgress", ip="10.0.1.6")],
        [],
    ],
)
def test_a_green_running_all_its_tasks_is_not_stopped_and_its_stopped_tasks_not_read(green_health: list) -> None:
    # an ELB stop that would stop the deployment, were it read
    walk = [step("IN_PROGRESS", running=2, requested=2), step("IN_PROGRESS", running=3, requested=2), step("SUCCESSFUL", "CLEAN_UP")]
    run = NativeRun(walk, green_health=green_health, stopped=(ELB_STOPPED,))
    result = run.run()
    assert result["status"] == plan.SUCCEEDED
    assert run.recorder.mutating == ["update_service"]
    assert "list_tasks" not in run.operations and "describe_tasks" not in run.operations
    assert "green_watch" not in result
    # the target health was read at each IN_PROGRESS poll
    assert len(run.params("describe_target_health")) == 2 * 2


# --- what the watch leaves alone ----------------------------------------------------------------------------


def test_a_rollback_ecs_already_began_is_followed_and_keeps_its_reason() -> None:
    walk = [
        step("IN_PROGRESS", running=2, requested=2, green_health=[INITIAL]),
        step("ROLLBACK_IN_PROGRESS", "SCALE_UP", running=1, requested=2, green_health=[unhealthy()]),
        step("ROLLBACK_IN_PROGRESS", "SCALE_UP", running=1, requested=2),
        rolled_back(CIRCUIT_BREAKER),
    ]
    run = NativeRun(walk, stopped=(ELB_STOPPED,))
    with pytest.raises(CutoverError) as raised:
        run.run()
    assert run.recorder.mutating == ["update_service"]
    assert run.seen == ["IN_PROGRESS", "ROLLBACK_IN_PROGRESS", "ROLLBACK_IN_PROGRESS", "ROLLBACK_SUCCESSFUL"]
    details = raised.value.details
    assert (details["status"], details["rolled_back"]) == (plan.ROLLED_BACK, True)
    # the same sentence as the watch's, with what ECS said; the watch did not act (no green_watch, no progress line)
    assert details["rollback_reason"] == f"{ELB_STOP_REASON} ({CIRCUIT_BREAKER})"
    assert "green_watch" not in details
    assert not any("green watch" in line for line in details["progress"])
    # the stopped tasks were read once, for the failed task's reason, not by the watch
    assert run.operations.count("list_tasks") == 1


@pytest.mark.parametrize("status", ["STOP_REQUESTED", "ROLLBACK_REQUESTED", "ROLLBACK_IN_PROGRESS"])
def test_fetch_view_of_a_deployment_rolling_back_does_not_watch(status: str) -> None:
    run = NativeRun([step(status, running=1, requested=2)], green_health=[unhealthy()], stopped=(ELB_STOPPED,), exists=True)
    view = native.fetch_view(run.target, OURS)
    assert "green_failure" not in view
    assert view["healthy"] == {"blue": 2, "green": 0}
    assert "list_tasks" not in run.operations


@pytest.mark.parametrize("status", ["SUCCESSFUL", "STOPPED", "ROLLBACK_SUCCESSFUL", "ROLLBACK_FAILED"])
def test_fetch_view_of_an_ended_deployment_reads_no_target(status: str) -> None:
    run = NativeRun([step(status, "CLEAN_UP", running=1, requested=2)], green_health=[unhealthy()], stopped=(ELB_STOPPED,), exists=True)
    view = native.fetch_view(run.target, OURS)
    assert "green_failure" not in view
    assert not any(operation in run.operations for operation in ("describe_target_health", "list_tasks", "describe_rules"))


@pytest.mark.parametrize("status", ["PENDING", "IN_PROGRESS"])
@pytest.mark.parametrize("watch_green", [True, None])
def test_fetch_view_of_a_running_deployment_watches_green(status: str, watch_green: Optional[bool]) -> None:
    run = NativeRun([step(status, running=1, requested=2)], green_health=[unhealthy()], stopped=(ELB_STOPPED,), exists=True, watch_green=watch_green)
    view = native.fetch_view(run.target, OURS)
    assert view["green_failure"] == green.verdict([unhealthy()], [ELB_STOPPED], 2, "web-green")
    assert view["healthy"] == {"blue": 2, "green": 0}
    assert (view["task_definition"], view["previous_task_definition"]) == (V2, V1)
    assert run.recorder.mutating == []


def test_watch_green_false_never_stops() -> None:
    walk = [step("IN_PROGRESS", running=1, requested=2)] * 3 + [step("SUCCESSFUL", "CLEAN_UP")]
    run = NativeRun(walk, green_health=[unhealthy()], stopped=(ELB_STOPPED,), watch_green=False)
    result = run.run()
    assert (result["status"], result["changed"]) == (plan.SUCCEEDED, True)
    assert run.recorder.mutating == ["update_service"]
    assert "list_tasks" not in run.operations
    assert "green_watch" not in result
    assert run.seen == ["IN_PROGRESS"] * 3 + ["SUCCESSFUL"]
    # the progress still counts the healthy targets
    assert result["progress"][0].endswith("healthy blue 2 / green 0")
    view = native.fetch_view(run.target, OURS)
    assert "green_failure" not in view


def test_wait_false_returns_without_stopping() -> None:
    run = NativeRun([step("IN_PROGRESS", green_health=[unhealthy()])], wait=False)
    result = run.run()
    assert (result["status"], result["changed"], result["deployment_id"]) == (plan.IN_PROGRESS, True, OURS)
    assert run.recorder.mutating == ["update_service"]
    assert "green_watch" not in result


def test_deployment_info_reads_no_stopped_task_and_stops_nothing() -> None:
    run = NativeRun([step("IN_PROGRESS", running=1, requested=2)], green_health=[unhealthy()], stopped=(ELB_STOPPED,), exists=True)
    result = describe_deployment(run.recorder.context, {"cluster": "shop", "service": "web", "strategy": "auto"})
    assert (result["exists"], result["status"], result["deployment_id"], result["changed"]) == (True, plan.IN_PROGRESS, OURS, False)
    assert run.recorder.mutating == []
    assert "list_tasks" not in run.operations and "describe_tasks" not in run.operations
    assert "green_watch" not in result and "green_failure" not in result
    # the health is still read for the counts
    assert GREEN_TG in {params["TargetGroupArn"] for params in run.params("describe_target_health")}


def test_fetch_view_untracked_does_not_watch() -> None:
    run = NativeRun([step("IN_PROGRESS", running=1, requested=2)], green_health=[unhealthy()], stopped=(ELB_STOPPED,), exists=True)
    view = native.fetch_view(run.target, OURS, track=False)
    assert "green_failure" not in view
    assert view["healthy"] == {"blue": 2, "green": 0}
    assert "list_tasks" not in run.operations
    assert run.recorder.mutating == []
    assert native.describe(run.target)["status"] == plan.IN_PROGRESS
    assert "list_tasks" not in run.operations


# --- a StopServiceDeployment that fails ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "moved_on",
    [
        [step("ROLLBACK_IN_PROGRESS", running=1), rolled_back(CIRCUIT_BREAKER)],
        [step("ROLLBACK_REQUESTED", running=1), step("ROLLBACK_IN_PROGRESS", running=1), rolled_back(CIRCUIT_BREAKER)],
        [step("STOP_REQUESTED", running=1), rolled_back(CIRCUIT_BREAKER)],
        [rolled_back(CIRCUIT_BREAKER)],
    ],
)
def test_a_stop_that_fails_because_ecs_rolls_back_already_follows_that_rollback(moved_on: list) -> None:
    run = NativeRun([step("IN_PROGRESS", green_health=[unhealthy()])], exists=True)
    run.stop_fails("InvalidParameterException", moved_on)
    view, _continued = run.follow()
    assert run.recorder.mutating == ["stop_service_deployment"]
    # re-read after the stop failed
    assert run.operations[run.operations.index("stop_service_deployment") + 1] == "describe_service_deployments"
    assert view["status"] == "ROLLBACK_SUCCESSFUL"
    assert run.seen[-1] == "ROLLBACK_SUCCESSFUL"
    with pytest.raises(CutoverError) as raised:
        native._finish(run.target, view, V1, changed=True)
    assert raised.value.code is None
    assert raised.value.details["rollback_reason"].startswith(CIRCUIT_BREAKER)


def test_the_run_follows_a_rollback_that_made_the_stop_fail() -> None:
    run = NativeRun([step("IN_PROGRESS", green_health=[unhealthy()])])
    run.stop_fails("InvalidParameterException", [step("ROLLBACK_IN_PROGRESS", running=1), rolled_back(CIRCUIT_BREAKER)])
    with pytest.raises(CutoverError) as raised:
        run.run()
    assert run.recorder.mutating == ["update_service", "stop_service_deployment"]
    assert raised.value.code is None
    assert str(raised.value).startswith(f"Service deployment {OURS} rolled back: {CIRCUIT_BREAKER}")
    assert raised.value.details["status"] == plan.ROLLED_BACK


@pytest.mark.parametrize("status", ["IN_PROGRESS", "PENDING"])
def test_a_stop_that_fails_while_the_deployment_runs_is_not_swallowed(status: str) -> None:
    run = NativeRun([step("IN_PROGRESS", green_health=[unhealthy()])])
    run.stop_fails("AccessDeniedException", [step(status, green_health=[unhealthy()])])
    with pytest.raises(CutoverError) as raised:
        run.run()
    assert raised.value.code == "AccessDeniedException"
    assert "green cannot become healthy" in raised.value.message
    assert raised.value.message == (
        f"Failed to stop the service deployment: AccessDeniedException: AccessDeniedException (stopping it because {UNHEALTHY_REASON})"
    )
    assert raised.value.details["deployment_id"] == OURS
    assert isinstance(raised.value.__cause__, CutoverError)
    assert run.recorder.mutating == ["update_service", "stop_service_deployment"]


# --- PAUSE hooks --------------------------------------------------------------------------------------------


def through_the_hook(green_health: list) -> list:
    return [
        step("PENDING", None, running=0),
        step("IN_PROGRESS", "SCALE_UP", running=1, green_health=[INITIAL]),
        step("IN_PROGRESS", "POST_TEST_TRAFFIC_SHIFT", hook="h1", green_health=green_health),
        step("IN_PROGRESS", "PRODUCTION_TRAFFIC_SHIFT"),
        step("SUCCESSFUL", "CLEAN_UP"),
    ]


def test_a_pause_hook_is_continued_when_green_is_healthy() -> None:
    run = NativeRun(through_the_hook([health("healthy", ip="10.0.1.4"), health("healthy", ip="10.0.1.6")]))
    result = run.run()
    assert (result["changed"], result["status"], result["deployment_id"]) == (True, plan.SUCCEEDED, OURS)
    assert run.recorder.mutating == ["update_service", "continue_service_deployment"]
    assert run.params("continue_service_deployment") == [{"serviceDeploymentArn": OURS, "hookId": "h1", "action": "CONTINUE"}]
    assert [p["name"] for p in result["phases"]] == ["SCALE_UP", "POST_TEST_TRAFFIC_SHIFT", "PRODUCTION_TRAFFIC_SHIFT", "CLEAN_UP"]
    assert any(
        "POST_TEST_TRAFFIC_SHIFT (waiting for verification): traffic blue 100% / green 0%, healthy blue 2 / green 2" in line for line in result["progress"]
    )
    assert "green_watch" not in result


def test_verify_returns_at_the_hook_when_green_is_healthy() -> None:
    run = NativeRun(through_the_hook([health("healthy", ip="10.0.1.4")]), verify=True)
    result = run.run()
    assert (result["changed"], result["status"]) == (True, plan.AWAITING)
    assert run.recorder.mutating == ["update_service"]


def test_green_fails_after_the_hook_is_continued() -> None:
    run = NativeRun(through_the_hook([health("healthy", ip="10.0.1.4")]))

    def continue_deployment(params: dict) -> dict:
        # green turns unhealthy once production traffic reaches it
        run.green_health[:] = [unhealthy()]
        return {"serviceDeploymentArn": params["serviceDeploymentArn"]}

    run.answers["ecs"]["continue_service_deployment"] = continue_deployment
    with pytest.raises(CutoverError) as raised:
        run.run()
    assert run.recorder.mutating == ["update_service", "continue_service_deployment", "stop_service_deployment"]
    assert raised.value.details["green_watch"]["check"] == "target_health"
    assert raised.value.details["rollback_reason"] == UNHEALTHY_REASON


def test_green_failing_at_the_verification_hook_stops_rather_than_awaiting() -> None:
    # as CodeDeploy's driver at Ready: the watch's finding comes before the verification gate
    run = NativeRun(through_the_hook([unhealthy()]), verify=True)
    with pytest.raises(CutoverError) as raised:
        run.run()
    assert run.recorder.mutating == ["update_service", "stop_service_deployment"]
    assert (raised.value.details["status"], raised.value.details["rollback_reason"]) == (plan.ROLLED_BACK, UNHEALTHY_REASON)


def test_waiting_for_another_deployment_never_stops_it() -> None:
    deployments = Deployments({OTHER: [state(OTHER, "IN_PROGRESS", target="arn:rev/3")] * 2 + [state(OTHER, "SUCCESSFUL", target="arn:rev/3")]})
    deployments.start = WALK_THROUGH_THE_HOOK
    fake = answers(native_service(), deployments)
    # the other deployment's green is unhealthy until it ended and ours began
    fake["elbv2"]["describe_target_health"] = lambda params: {
        "TargetHealthDescriptions": [
            unhealthy() if params["TargetGroupArn"].endswith("green") and "update_service" not in recorder.operations else health("healthy")
        ]
    }
    recorder = Recorder(fake)
    result = ensure_deployment(recorder.context, options(on_conflict="wait"))
    assert result["status"] == plan.SUCCEEDED
    assert recorder.mutating == ["update_service", "continue_service_deployment"]
    assert "green_watch" not in result


def test_action_continue_stops_when_green_fails_after_it() -> None:
    walk = [step("IN_PROGRESS", "POST_TEST_TRAFFIC_SHIFT", hook="h1"), step("IN_PROGRESS", "PRODUCTION_TRAFFIC_SHIFT", green_health=[unhealthy()])]
    run = NativeRun(walk, exists=True, action="continue", deployment_id=OURS, task_definition=None)
    with pytest.raises(CutoverError) as raised:
        ensure_deployment(run.recorder.context, run.options)
    assert run.recorder.mutating == ["continue_service_deployment", "stop_service_deployment"]
    assert raised.value.details["rollback_reason"] == UNHEALTHY_REASON


# --- _green_failed, _finish -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "status, failure, failed",
    [
        ("IN_PROGRESS", {"check": "target_health"}, True),
        ("PENDING", {"check": "task_stops"}, True),
        ("IN_PROGRESS", None, False),
        ("IN_PROGRESS", {}, False),
        ("ROLLBACK_IN_PROGRESS", {"check": "target_health"}, False),
        ("ROLLBACK_REQUESTED", {"check": "target_health"}, False),
        ("STOP_REQUESTED", {"check": "target_health"}, False),
        ("SUCCESSFUL", {"check": "target_health"}, False),
        ("ROLLBACK_SUCCESSFUL", {"check": "target_health"}, False),
    ],
)
def test_green_failed(status: str, failure: Optional[dict], failed: bool) -> None:
    assert native._green_failed({"status": status, "green_failure": failure}) is failed


def test_finish_with_the_watch_does_not_read_the_last_stopped_task() -> None:
    run = NativeRun([rolled_back()], stopped=(ELB_STOPPED,), exists=True)
    failure = green.verdict([unhealthy()], [], 2, "web-green")
    view = dict(native.fetch_view(run.target, OURS), green_watch=dict(failure, reason=green.reason(failure)))
    with pytest.raises(CutoverError) as raised:
        native._finish(run.target, view, V1, changed=True)
    assert raised.value.details["rollback_reason"] == UNHEALTHY_REASON
    assert "list_tasks" not in run.operations
    # when the watch did not stop it, the stopped tasks are read: the same sentence, with what ECS said
    del view["green_watch"]
    with pytest.raises(CutoverError) as raised:
        native._finish(run.target, view, V1, changed=True)
    assert raised.value.details["rollback_reason"] == f"{ELB_STOP_REASON} ({ROLLED_BACK_ON_REQUEST})"
    assert "green_watch" not in raised.value.details
    assert run.operations.count("list_tasks") == 1


def test_a_rollback_that_fails_after_the_stop_fails_with_the_watch_reason() -> None:
    after = (step("ROLLBACK_IN_PROGRESS", running=1), step("ROLLBACK_FAILED", "CLEAN_UP", running=1, statusReason="Rollback failed: tasks failed to start."))
    run = NativeRun([step("IN_PROGRESS", green_health=[unhealthy()])], after_stop=after)
    with pytest.raises(CutoverError) as raised:
        run.run()
    details = raised.value.details
    assert (details["status"], details["rolled_back"], details["rollback_reason"], details["deployment_status"]) == (
        plan.FAILED,
        False,
        None,
        "ROLLBACK_FAILED",
    )
    assert str(raised.value) == f"Service deployment {OURS} failed: {UNHEALTHY_REASON}"
    assert details["green_watch"]["reason"] == UNHEALTHY_REASON
    assert "list_tasks" not in run.operations
