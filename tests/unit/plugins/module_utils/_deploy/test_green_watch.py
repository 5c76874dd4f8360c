"""The green watch: the pure verdict of whether green can still become healthy (``green``), and the CodeDeploy
driver's use of it with recording fake clients (when it reads green's stopped tasks, when it stops the deployment
with rollback, and what the failed task then says). The lab's fault matrix runs the real thing."""

from __future__ import annotations

import datetime
import time
from typing import Any, Optional

import pytest
from test_drivers import TASK_DEFINITIONS, V1, V2, Recorder, codedeploy_answers, codedeploy_service, deployment, error, options, revision

from ansible_collections.cutover.ecs.plugins.module_utils._deploy import codedeploy, green, plan
from ansible_collections.cutover.ecs.plugins.module_utils._deploy.ensure import ensure_deployment
from ansible_collections.cutover.ecs.plugins.module_utils._deploy.target import Target
from ansible_collections.cutover.ecs.plugins.module_utils._errors import CutoverError

CREATED = datetime.datetime(2024, 5, 1, 12, 0, tzinfo=datetime.UTC)
GREEN_SET, BLUE_SET = "ecs-svc/1111111111111111111", "ecs-svc/2222222222222222222"
TASK = "arn:aws:ecs:us-east-1:123456789012:task/shop/{}"
ELB_STOP = "Task failed ELB health checks in (target-group arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web-green/0123456789abcdef)"
CRASH_STOP = "Essential container in task exited"
MISMATCH = ("Target.ResponseCodeMismatch", "Health checks failed with these codes: [500]")


def at(minutes: float) -> datetime.datetime:
    return CREATED + datetime.timedelta(minutes=minutes)


def health(state: str, reason: Optional[str] = None, description: Optional[str] = None, ip: str = "10.0.1.5", port: Optional[int] = 8080) -> dict:
    """One DescribeTargetHealth entry."""
    target: dict = {"Id": ip}
    if port is not None:
        target["Port"] = port
    target_health: dict = {"State": state}
    if reason:
        target_health["Reason"] = reason
    if description:
        target_health["Description"] = description
    return {"Target": target, "TargetHealth": target_health}


def task(
    task_id: str,
    reason: str = CRASH_STOP,
    started_by: Optional[str] = GREEN_SET,
    minutes: float = 5,
    task_definition: str = V2,
    exit_code: Optional[int] = 1,
    stop_code: str = "EssentialContainerExited",
    stopping: bool = True,
) -> dict:
    """One DescribeTasks entry of a stopped task."""
    found: dict = {
        "taskArn": TASK.format(task_id),
        "taskDefinitionArn": task_definition,
        "lastStatus": "STOPPED",
        "stoppedReason": reason,
        "stopCode": stop_code,
        "stoppedAt": at(minutes) + datetime.timedelta(seconds=30),
        "createdAt": at(minutes) - datetime.timedelta(minutes=1),
        "containers": [{"name": "app", "exitCode": exit_code}] if exit_code is not None else [{"name": "app"}],
    }
    if stopping:
        found["stoppingAt"] = at(minutes)
    if started_by is not None:
        found["startedBy"] = started_by
    return found


def unhealthy(ip: str = "10.0.1.5", port: Optional[int] = 8080) -> dict:
    return health("unhealthy", *MISMATCH, ip=ip, port=port)


# --- failure_threshold, unhealthy_targets ---------------------------------------------------------------------


@pytest.mark.parametrize("desired, threshold", [(0, 3), (1, 3), (2, 3), (5, 3), (6, 3), (7, 4), (10, 5), (11, 6), (399, 200), (400, 200), (1000, 200)])
def test_failure_threshold_is_half_the_desired_count_between_3_and_200(desired: int, threshold: int) -> None:
    assert green.failure_threshold(desired) == threshold


def test_failure_threshold_of_a_negative_count_is_the_minimum() -> None:
    assert green.failure_threshold(-4) == 3


def test_only_unhealthy_targets_are_failures() -> None:
    bad = health("unhealthy", *MISMATCH, ip="10.0.1.9")
    descriptions = [
        health("initial", "Elb.InitialHealthChecking", "Initial health checks in progress"),
        health("unused", "Target.NotInUse", "Target group is not configured to receive traffic from the load balancer"),
        health("draining", "Target.DeregistrationInProgress", "Target deregistration is in progress"),
        health("healthy"),
        health("unavailable", "Elb.InternalError"),
        bad,
        {"TargetHealth": {}},
        {},
    ]
    assert green.unhealthy_targets(descriptions) == [bad]
    assert green.unhealthy_targets([]) == []
    assert green.unhealthy_targets(iter([bad, health("healthy"), bad])) == [bad, bad]


# --- green_stops ------------------------------------------------------------------------------------------


def ids(tasks: list) -> list:
    return [item["taskArn"].rsplit("/", 1)[-1] for item in tasks]


def test_green_stops_are_failures_only() -> None:
    tasks = [
        task("crash"),
        task("elb", ELB_STOP, stop_code="ServiceSchedulerInitiated", exit_code=None, minutes=4),
        task("user", "Task stopped by user", stop_code="UserInitiated", minutes=3),
        task("scaled", "Scaling activity initiated by (deployment ecs-svc/1111111111111111111)", stop_code="ServiceSchedulerInitiated", minutes=2),
        task("no-reason", "", minutes=1),
    ]
    assert ids(green.green_stops(tasks, GREEN_SET, V2)) == ["crash", "elb"]


def test_green_stops_by_the_task_set_when_it_is_known() -> None:
    tasks = [
        task("green"),
        task("blue", started_by=BLUE_SET, minutes=4),
        task("manual", started_by=None, minutes=3),
        # the task set decides, not the task definition (blue and green may run one revision)
        task("green-v1", task_definition=V1, minutes=2),
    ]
    assert ids(green.green_stops(tasks, GREEN_SET, V2)) == ["green", "green-v1"]


@pytest.mark.parametrize("deployed", [V2, "web:2", V2.replace("us-east-1", "eu-west-1")])
def test_green_stops_by_the_task_definition_without_a_task_set(deployed: str) -> None:
    tasks = [task("v2", started_by=BLUE_SET), task("v1", task_definition=V1, minutes=4), task("v2-bare", task_definition="web:2", minutes=3)]
    # as plan.same_task_definition: an ARN and family:revision of one revision match, whatever the rest of the ARN
    assert plan.same_task_definition(V2, deployed)
    assert ids(green.green_stops(tasks, None, deployed)) == ["v2", "v2-bare"]
    assert ids(green.green_stops(tasks, "", deployed)) == ["v2", "v2-bare"]


def test_green_stops_without_a_task_set_nor_task_definition_are_none() -> None:
    assert green.green_stops([task("a"), task("b", task_definition=V1)], None, None) == []


def test_green_stops_since_the_deployment_began() -> None:
    tasks = [
        task("before", minutes=-1),
        task("at", minutes=0),
        task("after", minutes=1),
        # no stoppingAt: stoppedAt decides
        task("stopped-after", minutes=-0.25, stopping=False),
    ]
    since = CREATED.timestamp()
    assert ids(green.green_stops(tasks, GREEN_SET, V2, since)) == ["after", "stopped-after", "at"]
    assert ids(green.green_stops(tasks, GREEN_SET, V2)) == ["after", "stopped-after", "at", "before"]
    # epoch seconds as well as datetimes
    numeric = [dict(item, stoppingAt=item["stoppingAt"].timestamp()) for item in tasks if "stoppingAt" in item]
    assert ids(green.green_stops(numeric, GREEN_SET, V2, since)) == ["after", "at"]


def test_green_stops_are_newest_first() -> None:
    tasks = [task("second", minutes=2), task("fourth", minutes=4), task("first", minutes=1), task("third", minutes=3)]
    assert ids(green.green_stops(tasks, GREEN_SET, V2, CREATED.timestamp())) == ["fourth", "third", "second", "first"]
    assert green.green_stops([], GREEN_SET, V2) == []


# --- verdict ----------------------------------------------------------------------------------------


def test_an_unhealthy_target_is_the_verdict() -> None:
    found = green.verdict([health("healthy", ip="10.0.1.4"), unhealthy(ip="10.0.1.5"), unhealthy(ip="10.0.1.6")], [], 2, "web-green")
    assert found == {
        "check": green.TARGET_HEALTH,
        "target": "10.0.1.5:8080",
        "target_group": "web-green",
        "health_reason": "Target.ResponseCodeMismatch: Health checks failed with these codes: [500]",
    }


def test_an_unhealthy_target_wins_over_task_stops() -> None:
    stops = [task("elb", ELB_STOP)]
    assert green.verdict([unhealthy()], stops, 2, "web-green")["check"] == green.TARGET_HEALTH


@pytest.mark.parametrize(
    "entry, target, reason",
    [
        (health("unhealthy", "Target.Timeout", ip="10.0.1.7", port=80), "10.0.1.7:80", "Target.Timeout"),
        (health("unhealthy", None, "Request timed out", ip="10.0.1.7"), "10.0.1.7:8080", "Request timed out"),
        (health("unhealthy", ip="i-0123456789abcdef0", port=None), "i-0123456789abcdef0", "unhealthy"),
    ],
)
def test_the_unhealthy_target_verdict_without_all_fields(entry: dict, target: str, reason: str) -> None:
    found = green.verdict([entry], [], 2)
    assert (found["target"], found["health_reason"], found["target_group"]) == (target, reason, None)


@pytest.mark.parametrize("state", ["initial", "healthy", "unused", "draining", "unavailable"])
def test_no_failure_no_verdict(state: str) -> None:
    assert green.verdict([health(state, "Elb.InitialHealthChecking")], [], 2, "web-green") is None
    assert green.verdict([], [], 2) is None


@pytest.mark.parametrize("stop_reason", [ELB_STOP, "Task failed container health checks"])
def test_one_health_check_stop_is_the_verdict_at_once(stop_reason: str) -> None:
    stops = [task("newer-crash", minutes=6), task("health", stop_reason, exit_code=None, stop_code="ServiceSchedulerInitiated")]
    found = green.verdict([health("initial")], stops, 10, "web-green")
    assert found == {"check": green.TASK_STOPS, "task": "health", "stop_reason": stop_reason, "stopped": 2, "target_group": "web-green"}


def test_a_stop_that_only_mentions_health_checks_is_a_crash() -> None:
    stops = [task("a", f"Essential container in task exited after: {ELB_STOP}")]
    assert green.verdict([], stops, 2) is None


@pytest.mark.parametrize("desired, below", [(0, 2), (1, 2), (2, 2), (6, 2), (7, 3), (10, 4)])
def test_crash_stops_are_the_verdict_at_the_threshold(desired: int, below: int) -> None:
    stops = [task(f"t{n}", minutes=10 - n) for n in range(below + 1)]
    assert green.verdict([health("initial")], stops[:below], desired) is None
    found = green.verdict([health("initial")], stops, desired, "web-green")
    assert found == {
        "check": green.TASK_STOPS,
        "task": "t0",
        "stop_reason": "Essential container in task exited (app: exit code 1)",
        "stopped": below + 1,
        "target_group": "web-green",
    }
    assert green.verdict([], stops + [task("more")], desired)["stopped"] == below + 2


def test_the_stop_reason_lists_the_failed_containers_exit_codes() -> None:
    stopped = dict(
        task("t", exit_code=None),
        containers=[{"name": "app", "exitCode": 137}, {"name": "sidecar", "exitCode": 0}, {"name": "log"}, {"name": "init", "exitCode": 2}],
    )
    found = green.verdict([], [stopped, task("u"), task("v")], 2)
    assert found["stop_reason"] == "Essential container in task exited (app: exit code 137; init: exit code 2)"
    assert green.verdict([], [task("t", ELB_STOP, exit_code=None)], 2)["stop_reason"] == ELB_STOP
    assert green.verdict([], [task("t", ELB_STOP, exit_code=0)], 2)["stop_reason"] == ELB_STOP


# --- reason, with_green_failure ----------------------------------------------------------------------------


def test_the_reason_of_an_unhealthy_target() -> None:
    failure = green.verdict([unhealthy()], [], 2, "web-green")
    said = green.reason(failure)
    assert said == (
        "green cannot become healthy: target 10.0.1.5:8080 in target group web-green failed its health checks "
        "(Target.ResponseCodeMismatch: Health checks failed with these codes: [500])"
    )
    # the fault matrix asserts this in the rollback reason
    assert "health check" in said
    assert green.reason(dict(failure, target_group=None)) == (
        "green cannot become healthy: target 10.0.1.5:8080 failed its health checks (Target.ResponseCodeMismatch: Health checks failed with these codes: [500])"
    )


def test_the_reason_of_one_stopped_task() -> None:
    failure = green.verdict([], [task("0a1b2c3d4e5f", ELB_STOP, exit_code=None)], 2, "web-green")
    assert green.reason(failure) == f"green cannot become healthy: 1 of its tasks stopped: task 0a1b2c3d4e5f: {ELB_STOP}"
    assert "health checks" in green.reason(failure)


def test_the_reason_of_stopped_tasks() -> None:
    stops = [task("c3", minutes=3, exit_code=3), task("c2", minutes=2), task("c1", minutes=1)]
    failure = green.verdict([], stops, 2)
    assert green.reason(failure) == "green cannot become healthy: 3 of its tasks stopped; task c3: Essential container in task exited (app: exit code 3)"
    # a finding without a count is one task's
    assert green.reason({"check": green.TASK_STOPS, "task": "x", "stop_reason": "r"}) == "green cannot become healthy: 1 of its tasks stopped: task x: r"


def test_with_green_failure_of_a_rolled_back_deployment() -> None:
    failure = green.verdict([unhealthy()], [], 2, "web-green")
    outcome = {"status": plan.ROLLED_BACK, "rolled_back": True, "rollback_reason": "Deployment was stopped", "reason": "Deployment was stopped"}
    updated = green.with_green_failure(outcome, failure)
    assert updated == {"status": plan.ROLLED_BACK, "rolled_back": True, "rollback_reason": green.reason(failure), "reason": green.reason(failure)}
    assert outcome["reason"] == "Deployment was stopped"


def test_with_green_failure_of_a_deployment_not_rolled_back() -> None:
    failure = green.verdict([], [task("t", ELB_STOP)], 2)
    outcome = {"status": plan.FAILED, "rolled_back": False, "rollback_reason": None, "reason": "Deployment was stopped"}
    assert green.with_green_failure(outcome, failure) == dict(outcome, reason=green.reason(failure))


@pytest.mark.parametrize("failure", [None, {}])
def test_with_no_green_failure_the_outcome_stays(failure: Optional[dict]) -> None:
    outcome = {"status": plan.SUCCEEDED, "rolled_back": False, "rollback_reason": None}
    updated = green.with_green_failure(outcome, failure)
    assert updated == outcome
    assert updated is not outcome


# --- plan.green_task_set -----------------------------------------------------------------------------------


def deployment_target(running: int = 2, desired: int = 2, identifer: Optional[str] = GREEN_SET, with_green: bool = True) -> dict:
    """A GetDeploymentTarget answer: blue's and green's task sets."""
    sets = [{"taskSetLabel": "Blue", "identifer": BLUE_SET, "desiredCount": 2, "runningCount": 2, "trafficWeight": 100.0, "targetGroup": {"name": "web-blue"}}]
    if with_green:
        sets.append({"taskSetLabel": "Green", "desiredCount": desired, "runningCount": running, "trafficWeight": 0.0, "targetGroup": {"name": "web-green"}})
        if identifer:
            sets[-1]["identifer"] = identifer
    return {"deploymentTarget": {"ecsTarget": {"lifecycleEvents": [{"lifecycleEventName": "Install", "status": "Succeeded"}], "taskSetsInfo": sets}}}


def test_green_task_set() -> None:
    answer = deployment_target(running=1)["deploymentTarget"]
    found = plan.green_task_set(answer)
    assert (found["identifer"], found["desiredCount"], found["runningCount"], found["targetGroup"]) == (GREEN_SET, 2, 1, {"name": "web-green"})
    found["runningCount"] = 9
    assert answer["ecsTarget"]["taskSetsInfo"][1]["runningCount"] == 1
    assert plan.green_task_set(deployment_target(with_green=False)["deploymentTarget"]) is None
    assert plan.green_task_set({"ecsTarget": {"taskSetsInfo": [{"identifer": "ecs-svc/3", "runningCount": 1}]}}) is None
    assert plan.green_task_set({"ecsTarget": {}}) is None
    assert plan.green_task_set({}) is None
    assert plan.green_task_set(None) is None


# --- the CodeDeploy driver ---------------------------------------------------------------------------------

DEPLOYMENT = "d-new"
STOPPED_BY_USER = {"code": "DEPLOYMENT_STOPPED", "message": "Deployment was stopped by user request"}


class Run:
    """A CodeDeploy deployment of V2 over V1 with recording fake clients. ``statuses`` are GetDeployment's answers
    poll by poll (the last repeats) until StopDeployment succeeds; then it is Stopped and its rollback (``rollback``)
    Succeeded. ``green_health`` is green's DescribeTargetHealth, ``stopped`` the service's stopped tasks."""

    def __init__(
        self,
        green_health: list,
        statuses: tuple = ("InProgress",),
        running: int = 2,
        desired: int = 2,
        identifer: Optional[str] = GREEN_SET,
        stopped: tuple = (),
        stop: Any = None,
        rollback: bool = True,
        with_green: bool = True,
        **extra: Any,
    ) -> None:
        self.statuses, self.polls, self.stopped = list(statuses), 0, False
        self.rollback = rollback
        answers = codedeploy_answers(codedeploy_service(("PRIMARY", V1)), [])
        self.green_health = list(green_health)
        groups = {"arn:tg/blue": [health("healthy", ip="10.0.0.1"), health("healthy", ip="10.0.0.2")], "arn:tg/green": self.green_health}
        answers["elbv2"]["describe_target_health"] = lambda params: {"TargetHealthDescriptions": groups[params["TargetGroupArn"]]}
        answers["ecs"].update(
            list_tasks={"taskArns": [item["taskArn"] for item in stopped]},
            describe_tasks={"tasks": list(stopped)},
        )
        answers["codedeploy"].update(
            get_deployment=self.get_deployment,
            get_deployment_target=deployment_target(running, desired, identifer, with_green),
            stop_deployment=stop if stop is not None else self.stop,
        )
        self.answers = answers
        self.recorder = Recorder(answers)
        self.options = options(**extra)
        self.target = Target(
            context=self.recorder.context,
            options=self.options,
            service=codedeploy_service(("PRIMARY", V1)),
            strategy="codedeploy",
            task_definition=TASK_DEFINITIONS[V2],
            started=time.monotonic(),
        )

    def info(self, status: str) -> dict:
        found = dict(deployment(DEPLOYMENT, status, V2), createTime=CREATED, creator="user", previousRevision=revision(V1))
        if status == "Stopped":
            found["errorInformation"] = STOPPED_BY_USER
            if self.rollback:
                found["rollbackInfo"] = {"rollbackDeploymentId": "d-rb", "rollbackMessage": "Deployment was stopped by user request"}
        return found

    def get_deployment(self, params: dict) -> dict:
        if params["deploymentId"] == "d-rb":
            return {"deploymentInfo": dict(deployment("d-rb", "Succeeded", V1), creator="codeDeployRollback")}
        if self.stopped:
            return {"deploymentInfo": self.info("Stopped")}
        self.polls += 1
        return {"deploymentInfo": self.info(self.statuses[min(self.polls, len(self.statuses)) - 1])}

    def stop(self, params: dict) -> dict:
        self.stopped = True
        return {"status": "Pending", "statusMessage": "Stopping"}

    @property
    def calls(self) -> list:
        return self.recorder.calls

    def params(self, operation: str) -> list:
        return [params for called, params in self.calls if called == operation]

    def wait(self, verify: bool = False) -> dict:
        return codedeploy.wait_for(self.target, DEPLOYMENT, verify)


def test_an_unhealthy_green_target_stops_the_deployment_with_rollback() -> None:
    run = Run([health("healthy", ip="10.0.1.4"), unhealthy(ip="10.0.1.5")], wait_timeout=300)
    run.target.started -= 100  # the module started 100 s ago
    view = run.wait()
    assert run.params("stop_deployment") == [{"deploymentId": DEPLOYMENT, "autoRollbackEnabled": True}]
    assert view["status"] == "Stopped"
    watch = view["green_watch"]
    reason = (
        "green cannot become healthy: target 10.0.1.5:8080 in target group web-green failed its health checks "
        "(Target.ResponseCodeMismatch: Health checks failed with these codes: [500])"
    )
    assert {key: watch[key] for key in ("check", "target", "target_group", "health_reason", "reason")} == {
        "check": "target_health",
        "target": "10.0.1.5:8080",
        "target_group": "web-green",
        "health_reason": "Target.ResponseCodeMismatch: Health checks failed with these codes: [500]",
        "reason": reason,
    }
    assert 100 <= watch["seen_after_s"] <= watch["rollback_started_after_s"] < 105
    # green runs all its tasks: its stopped tasks are not read
    assert "list_tasks" not in run.recorder.operations
    assert run.recorder.mutating == ["stop_deployment"]
    note = next(line for line in run.target.progress.lines if "green watch" in line)
    assert note.endswith(f"green watch: {reason}; stopping {DEPLOYMENT} with rollback")

    with pytest.raises(CutoverError) as raised:
        codedeploy._finish(run.target, view, V1, changed=True)
    details = raised.value.details
    assert (details["status"], details["rolled_back"], details["rollback_reason"]) == (plan.ROLLED_BACK, True, reason)
    assert details["green_watch"] == watch
    assert details["rollback_deployment_id"] == "d-rb"
    assert str(raised.value) == f"CodeDeploy deployment {DEPLOYMENT} rolled back: {reason}"
    assert "health check" in details["rollback_reason"]


def test_a_stopped_deployment_without_rollback_fails_with_the_watch_reason() -> None:
    run = Run([unhealthy()], rollback=False)
    view = run.wait()
    with pytest.raises(CutoverError) as raised:
        codedeploy._finish(run.target, view, V1, changed=True)
    details = raised.value.details
    assert (details["status"], details["rolled_back"], details["rollback_reason"]) == (plan.FAILED, False, None)
    assert str(raised.value) == f"CodeDeploy deployment {DEPLOYMENT} failed: {view['green_watch']['reason']}"
    assert details["green_watch"]["check"] == "target_health"


def test_deploy_stops_a_deployment_it_started_when_green_is_unhealthy() -> None:
    run = Run([unhealthy()], statuses=("Created", "InProgress"))
    with pytest.raises(CutoverError) as raised:
        ensure_deployment(run.recorder.context, run.options)
    details = raised.value.details
    assert run.recorder.mutating == ["create_deployment", "stop_deployment"]
    assert (details["status"], details["deployment_id"], details["rolled_back"]) == (plan.ROLLED_BACK, DEPLOYMENT, True)
    assert details["rollback_reason"] == details["green_watch"]["reason"]
    assert details["rollback_reason"].startswith("green cannot become healthy: target 10.0.1.5:8080 in target group web-green")
    # no deployment target is read while the deployment is Created
    ours = [params for params in run.params("get_deployment") if params["deploymentId"] == DEPLOYMENT]
    targets = [params for params in run.params("get_deployment_target") if params["deploymentId"] == DEPLOYMENT]
    assert targets[0] == {"deploymentId": DEPLOYMENT, "targetId": "shop:web"}
    assert len(targets) == len(ours) - 1
    assert details["changed"] is True


@pytest.mark.parametrize(
    "green_health",
    [
        [health("healthy"), health("healthy", ip="10.0.1.6")],
        [health("initial", "Elb.InitialHealthChecking", "Initial health checks in progress"), health("healthy", ip="10.0.1.6")],
        [health("unused", "Target.NotInUse"), health("draining", "Target.DeregistrationInProgress", ip="10.0.1.6")],
        [],
    ],
)
def test_a_green_that_can_become_healthy_is_not_stopped(green_health: list) -> None:
    run = Run(green_health, statuses=("InProgress", "InProgress", "InProgress", "Succeeded"))
    view = run.wait()
    assert view["status"] == "Succeeded"
    assert "green_watch" not in view
    assert run.recorder.mutating == []
    assert "list_tasks" not in run.recorder.operations
    assert "describe_tasks" not in run.recorder.operations
    # the target health was read at each InProgress poll
    assert len(run.params("describe_target_health")) == 2 * 3
    result = codedeploy._finish(run.target, view, V1, changed=True)
    assert result["status"] == plan.SUCCEEDED
    assert "green_watch" not in result


def test_a_green_task_stopped_by_its_health_checks_stops_the_deployment() -> None:
    stopped = (
        task("blue-crash", started_by=BLUE_SET, minutes=7),
        task("9f8e7d6c5b4a", ELB_STOP, exit_code=None, stop_code="ServiceSchedulerInitiated", minutes=5),
    )
    run = Run([health("initial", "Elb.InitialHealthChecking")], running=1, desired=2, stopped=stopped)
    view = run.wait()
    assert run.params("stop_deployment") == [{"deploymentId": DEPLOYMENT, "autoRollbackEnabled": True}]
    assert run.params("list_tasks")[0] == {"cluster": "shop", "serviceName": "web", "desiredStatus": "STOPPED"}
    watch = view["green_watch"]
    assert (watch["check"], watch["task"], watch["stop_reason"], watch["stopped"], watch["target_group"]) == (
        "task_stops",
        "9f8e7d6c5b4a",
        ELB_STOP,
        1,
        "web-green",
    )
    assert watch["reason"] == f"green cannot become healthy: 1 of its tasks stopped: task 9f8e7d6c5b4a: {ELB_STOP}"
    with pytest.raises(CutoverError) as raised:
        codedeploy._finish(run.target, view, V1, changed=True)
    assert raised.value.details["rollback_reason"] == watch["reason"]
    assert "health check" in raised.value.details["rollback_reason"]


@pytest.mark.parametrize(
    "other",
    [
        {"started_by": BLUE_SET},
        {"started_by": None},
        # green's task set, but stopped before this deployment began
        {"minutes": -3},
    ],
)
def test_another_task_stopped_by_health_checks_does_not_stop_the_deployment(other: dict) -> None:
    stopped = (task("elb", ELB_STOP, exit_code=None, **other),)
    run = Run([health("initial")], statuses=("InProgress", "InProgress", "Succeeded"), running=1, desired=2, stopped=stopped)
    view = run.wait()
    assert view["status"] == "Succeeded"
    assert "green_watch" not in view
    assert run.recorder.mutating == []
    # read, while green ran fewer tasks than it wanted
    assert run.recorder.operations.count("list_tasks") == 2


def test_green_stops_by_the_deployed_task_definition_when_the_task_set_has_no_id() -> None:
    stopped = (task("other-revision", ELB_STOP, started_by=None, task_definition=V1, minutes=6), task("ours", ELB_STOP, started_by=None, minutes=5))
    run = Run([health("initial")], running=0, desired=2, identifer=None, stopped=stopped)
    view = run.wait()
    assert view["green_watch"]["task"] == "ours"
    assert run.recorder.mutating == ["stop_deployment"]


def test_green_crash_stops_stop_the_deployment_at_the_threshold() -> None:
    crashes = tuple(task(f"crash{n}", minutes=n) for n in (3, 2, 1))
    below = Run([health("initial")], statuses=("InProgress", "Succeeded"), running=0, desired=2, stopped=crashes[:2])
    assert below.wait()["status"] == "Succeeded"
    assert below.recorder.mutating == []
    run = Run([health("initial")], running=0, desired=2, stopped=crashes)
    watch = run.wait()["green_watch"]
    assert run.recorder.mutating == ["stop_deployment"]
    assert (watch["task"], watch["stopped"]) == ("crash3", 3)
    assert watch["reason"] == "green cannot become healthy: 3 of its tasks stopped; task crash3: Essential container in task exited (app: exit code 1)"


def test_watch_green_false_never_stops() -> None:
    stopped = (task("elb", ELB_STOP),)
    run = Run([unhealthy()], statuses=("InProgress", "InProgress", "InProgress", "Succeeded"), running=1, desired=2, stopped=stopped, watch_green=False)
    view = run.wait()
    assert view["status"] == "Succeeded"
    assert run.recorder.mutating == []
    assert "list_tasks" not in run.recorder.operations
    assert "green_watch" not in view and "green_failure" not in view
    # the progress still counts the healthy targets
    assert run.target.progress.lines[0].endswith("healthy blue 2 / green 0")


def test_a_deployment_that_ended_before_the_stop_is_reported_as_it_ended() -> None:
    def stop(params: dict) -> Any:
        run.statuses = ["Succeeded"]
        return error("DeploymentAlreadyCompletedException")

    run = Run([unhealthy()], stop=stop)
    view = run.wait()
    assert run.recorder.mutating == ["stop_deployment"]
    assert view["status"] == "Succeeded"
    assert "green_watch" not in view
    # re-read after the stop failed
    assert run.recorder.operations[-1] != "stop_deployment"
    assert run.recorder.operations[run.recorder.operations.index("stop_deployment") + 1] == "get_deployment"
    assert codedeploy._finish(run.target, view, V1, changed=True)["status"] == plan.SUCCEEDED


def test_a_stop_that_fails_while_the_deployment_runs_is_not_swallowed() -> None:
    run = Run([unhealthy()], stop=error("AccessDeniedException"), wait_timeout=1)
    with pytest.raises(CutoverError) as raised:
        run.wait()
    assert raised.value.code == "AccessDeniedException" and "green cannot become healthy" in raised.value.message


def test_green_fails_after_the_ready_wait_is_continued() -> None:
    run = Run([health("healthy")], statuses=("Ready", "InProgress"))

    def continue_deployment(params: dict) -> dict:
        # green turns unhealthy once traffic reaches it
        run.green_health[:] = [unhealthy()]
        return {}

    run.answers["codedeploy"]["continue_deployment"] = continue_deployment
    view = run.wait(verify=False)
    assert run.recorder.mutating == ["continue_deployment", "stop_deployment"]
    assert (view["status"], view["green_watch"]["check"]) == ("Stopped", "target_health")


def test_a_ready_deployment_the_caller_verifies_is_returned_at_ready() -> None:
    run = Run([health("healthy")], statuses=("InProgress", "Ready"))
    assert run.wait(verify=True)["status"] == "Ready"
    assert run.recorder.mutating == []


# --- fetch_view and _done ---------------------------------------------------------------------------------


@pytest.mark.parametrize("status", ["Created", "Queued"])
def test_fetch_view_before_the_deployment_starts_reads_no_target(status: str) -> None:
    run = Run([unhealthy()], statuses=(status,))
    view = codedeploy.fetch_view(run.target, DEPLOYMENT)
    assert run.recorder.operations == ["get_deployment"]
    assert "green_failure" not in view and "healthy" not in view


@pytest.mark.parametrize("status", ["Succeeded", "Failed", "Stopped"])
def test_fetch_view_of_an_ended_deployment_does_not_watch(status: str) -> None:
    run = Run([unhealthy()], statuses=(status,))
    view = codedeploy.fetch_view(run.target, DEPLOYMENT)
    assert run.recorder.operations == ["get_deployment", "get_deployment_target"]
    assert "green_failure" not in view


@pytest.mark.parametrize("status", ["InProgress", "Baking", "Ready"])
def test_fetch_view_of_a_running_deployment_watches_green(status: str) -> None:
    run = Run([unhealthy()], statuses=(status,))
    view = codedeploy.fetch_view(run.target, DEPLOYMENT)
    assert view["healthy"] == {"blue": 2, "green": 0}
    assert view["green_failure"] == green.verdict([unhealthy()], [], 2, "web-green")
    assert view["previous_task_definition"] == V1


def test_fetch_view_before_green_exists_finds_nothing() -> None:
    run = Run([unhealthy()], with_green=False)
    view = codedeploy.fetch_view(run.target, DEPLOYMENT)
    assert view["green_failure"] is None
    assert "list_tasks" not in run.recorder.operations


@pytest.mark.parametrize(
    "status, failure, verify, done",
    [
        ("InProgress", None, False, False),
        ("InProgress", {"check": "target_health"}, False, True),
        ("Baking", {"check": "task_stops"}, True, True),
        ("Ready", None, False, False),
        ("Ready", None, True, True),
        ("Ready", {"check": "target_health"}, False, True),
        ("Succeeded", None, False, True),
        ("Stopped", {"check": "target_health"}, False, True),
    ],
)
def test_done(status: str, failure: Optional[dict], verify: bool, done: bool) -> None:
    assert codedeploy._done({"status": status, "green_failure": failure}, verify) is done


def test_a_grace_period_leaves_target_health_out_but_not_the_stops() -> None:
    bad = [unhealthy()]
    assert green.watched_health(bad, {"healthCheckGracePeriodSeconds": 0}) == bad
    assert green.watched_health(bad, {}) == bad
    assert green.watched_health(bad, {"healthCheckGracePeriodSeconds": 60}) == []
    assert green.verdict(green.watched_health(bad, {"healthCheckGracePeriodSeconds": 60}), [], 2) is None


def test_checks_began_when_green_joined_a_listener() -> None:
    """CodeDeploy's green group is on no listener (so unchecked) until AllowTestTraffic ends, or AllowTraffic begins."""
    test_done = [
        {"name": "Install", "status": "Succeeded", "started_at": "2026-12-07T10:00:00+00:00", "ended_at": "2026-12-07T10:00:20+00:00"},
        {"name": "AllowTestTraffic", "status": "Succeeded", "started_at": "2026-12-07T10:00:20+00:00", "ended_at": "2026-12-07T10:00:21+00:00"},
    ]
    assert green.checks_began(test_done) == datetime.datetime(2026, 12, 7, 10, 0, 21, tzinfo=datetime.UTC).timestamp()
    in_progress = [dict(test_done[1], status="InProgress", ended_at=None)]
    assert green.checks_began(in_progress) is None
    no_test_listener = [{"name": "AllowTraffic", "status": "InProgress", "started_at": "2026-12-07T10:00:30+00:00", "ended_at": None}]
    assert green.checks_began(no_test_listener) == datetime.datetime(2026, 12, 7, 10, 0, 30, tzinfo=datetime.UTC).timestamp()
    assert green.checks_began([]) is None


def test_finding_carries_the_time_since_checks_began_when_known() -> None:
    failure = green.verdict([unhealthy()], [], 2, "web-green")
    found = green.finding(failure, 4.04, 4.46, 2.34)
    assert (found["seen_after_s"], found["rollback_started_after_s"], found["rollback_after_checks_began_s"]) == (4.0, 4.5, 2.3)
    assert "rollback_after_checks_began_s" not in green.finding(failure, 4.0, 4.5)
    # clocks a little apart never give a negative time
    assert green.finding(failure, 4.0, 4.5, -0.2)["rollback_after_checks_began_s"] == 0.0
