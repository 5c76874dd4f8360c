"""The CodeDeploy engine's state machine, on a fake platform and a fake clock.

No containers and no HAProxy: these pin down what the engine decides and in which
order, following "Deployments on an Amazon ECS compute platform"
(https://docs.aws.amazon.com/codedeploy/latest/userguide/deployment-steps-ecs.html).
The same behaviours run for real in test_codedeploy_engine_api.py and test_e2e_codedeploy.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from lab.codedeploy import engine as eng
from lab.codedeploy import lifecycle as lc

BLUE_TG, GREEN_TG = "arn:tg/blue", "arn:tg/green"
PROD, TEST = "arn:listener/prod", "arn:listener/test"
ROLLBACK_ALL = {"enabled": True, "events": ["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM", "DEPLOYMENT_STOP_ON_REQUEST"]}


class FakeClock:
    def __init__(self, scale: float = 60.0) -> None:
        self.t = 0.0
        self.scale = scale

    def now(self) -> datetime:
        return datetime(2025, 1, 1, tzinfo=UTC) + timedelta(seconds=self.t)

    def monotonic(self) -> float:
        return self.t

    def scaled(self, seconds: float) -> float:
        return seconds / self.scale


@dataclass
class FakeTaskSet:
    arn: str
    id: str
    status: str
    target_group: str
    task_definition: str
    external_id: str = ""
    healthy: bool = False
    failed: int = 0

    def view(self) -> eng.TaskSetView:
        return eng.TaskSetView(self.arn, self.id, self.status, self.target_group, self.task_definition, "FARGATE")


@dataclass
class FakePlatform:
    controller: str = "CODE_DEPLOY"
    desired: int = 2
    task_sets: list[FakeTaskSet] = field(default_factory=list)
    listeners: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    alarms: dict[str, str] = field(default_factory=dict)
    registered: list[str] = field(default_factory=list)
    synced: dict[str, str] = field(default_factory=dict)
    deleted: list[str] = field(default_factory=list)
    counter: int = 0

    def service(self, region: str, cluster: str, service: str) -> eng.ServiceView | None:
        return eng.ServiceView("arn:service/web", cluster, service, self.controller, self.desired, tuple(ts.view() for ts in self.task_sets))

    def task_definition(self, region: str, ref: str) -> tuple[str, list[dict[str, Any]]] | None:
        return f"arn:td/{ref}", [{"name": "web", "portMappings": [{"containerPort": 8080}]}]

    def target_group_arn(self, region: str, name: str) -> str | None:
        return {"blue": BLUE_TG, "green": GREEN_TG}.get(name)

    def target_group_name(self, region: str, arn: str) -> str | None:
        return {BLUE_TG: "blue", GREEN_TG: "green"}.get(arn)

    def create_task_set(self, region: str, cluster: str, service: str, spec: eng.GreenSpec) -> eng.TaskSetView:
        self.counter += 1
        created = FakeTaskSet(f"arn:ts/{self.counter}", f"ecs-svc/{self.counter}", "ACTIVE", spec.target_group_arn, spec.task_definition, spec.external_id)
        self.task_sets.append(created)
        return created.view()

    def delete_task_set(self, region: str, cluster: str, service: str, task_set_arn: str) -> None:
        self.deleted.append(task_set_arn)
        self.task_sets = [ts for ts in self.task_sets if ts.arn != task_set_arn]

    def make_primary(self, region: str, cluster: str, service: str, task_set_arn: str) -> None:
        for ts in self.task_sets:
            ts.status = "PRIMARY" if ts.arn == task_set_arn else "ACTIVE"

    def task_set_counts(self, region: str, cluster: str, service: str, task_set_arn: str) -> eng.TaskSetCounts | None:
        ts = self.by_arn(task_set_arn)
        if ts is None:
            return None
        running = self.desired if ts.healthy else 0
        return eng.TaskSetCounts(self.desired, 0, running, ts.healthy, ts.status, ts.failed, "Essential container in task exited" if ts.failed else None)

    def targets_healthy(self, region: str, target_group_arn: str) -> bool:
        return True  # the fake's green targets pass their checks as soon as its task set is healthy

    def set_weights(self, region: str, listener_arn: str, blue_arn: str, green_arn: str, green_weight: int) -> bool:
        actions = lc.reweighted_actions(self.listeners[listener_arn], blue_arn, green_arn, green_weight)
        if actions is None:
            return False
        self.listeners[listener_arn] = actions
        return True

    def alarms_in_alarm(self, region: str, names: tuple[str, ...]) -> list[str]:
        return [n for n in names if self.alarms.get(n) == "ALARM"]

    def register_deployment(self, region: str, record: eng.Deployment) -> str:
        deployment_id = f"d-{len(self.registered) + 1:09d}"
        self.registered.append(deployment_id)
        return deployment_id

    def sync(self, record: eng.Deployment) -> None:
        self.synced[record.id] = record.status

    # test helpers
    def by_arn(self, arn: str) -> FakeTaskSet | None:
        return next((ts for ts in self.task_sets if ts.arn == arn), None)

    def green_weight(self, listener: str) -> int:
        groups = self.listeners[listener][0].get("ForwardConfig", {}).get("TargetGroups")
        if not groups:
            return 100 if self.listeners[listener][0].get("TargetGroupArn") == GREEN_TG else 0
        return next(g["Weight"] for g in groups if g["TargetGroupArn"] == GREEN_TG)


def new_world(**settings: Any) -> tuple[eng.CodeDeployEngine, FakePlatform, FakeClock]:
    platform = FakePlatform(
        task_sets=[FakeTaskSet("arn:ts/blue", "ecs-svc/blue", "PRIMARY", BLUE_TG, "arn:td/web:1", healthy=True)],
        listeners={PROD: [{"Type": "forward", "TargetGroupArn": BLUE_TG}], TEST: [{"Type": "forward", "TargetGroupArn": BLUE_TG}]},
    )
    clock = FakeClock()
    return eng.CodeDeployEngine(platform, clock), platform, clock


def group(**changes: Any) -> lc.GroupSettings:
    base = lc.GroupSettings("lab", "web", ("blue", "green"), (PROD,), (TEST,))
    return replace(base, **changes)


def create(engine: eng.CodeDeployEngine, routing: lc.TrafficRouting | None = None, auto_rollback: dict | None = None, **settings: Any) -> eng.Deployment:
    record = eng.Deployment(
        id="",
        region="us-east-1",
        application="app",
        group="dg",
        config_name="CodeDeployDefault.ECSAllAtOnce",
        routing=routing or lc.TrafficRouting(),
        settings=group(**settings),
        appspec=lc.AppSpec("web:2", "web", 8080),
        task_definition_arn="arn:td/web:2",
        revision={"revisionType": "AppSpecContent", "appSpecContent": {"content": "..."}},
        create_time=engine.clock.now(),
        auto_rollback=auto_rollback or {},
    )
    return engine.add(record)


def statuses(record: eng.Deployment) -> dict[str, str]:
    return {e.name: e.status for e in record.events}


def green_of(platform: FakePlatform, record: eng.Deployment) -> FakeTaskSet:
    assert record.green is not None
    found = platform.by_arn(record.green.arn)
    assert found is not None
    return found


def installed(engine: eng.CodeDeployEngine, platform: FakePlatform, record: eng.Deployment) -> None:
    """Runs the deployment until its green task set is healthy and Install is over."""
    engine.reconcile()
    green_of(platform, record).healthy = True
    engine.reconcile()


def step(engine: eng.CodeDeployEngine, clock: FakeClock, seconds: float) -> None:
    clock.t += seconds
    engine.reconcile()


# the happy paths -----------------------------------------------------------------------------------


def test_created_then_install_creates_green_in_the_other_target_group() -> None:
    engine, platform, _ = new_world()
    record = create(engine)
    assert (record.status, record.id) == ("Created", "d-000000001")
    engine.reconcile()
    assert record.status == "InProgress" and platform.synced[record.id] == "InProgress"
    assert statuses(record)["BeforeInstall"] == "Succeeded" and statuses(record)["Install"] == "InProgress"
    green = green_of(platform, record)
    assert (green.target_group, green.external_id, green.task_definition, green.status) == (GREEN_TG, record.id, "arn:td/web:2", "ACTIVE")
    engine.reconcile()
    assert statuses(record)["Install"] == "InProgress"  # not healthy yet: still installing
    assert platform.green_weight(PROD) == 0


def test_all_at_once_runs_every_event_then_removes_blue() -> None:
    engine, platform, clock = new_world()
    record = create(engine)
    installed(engine, platform, record)
    assert all(status == "Succeeded" for status in statuses(record).values())
    assert (platform.green_weight(PROD), platform.green_weight(TEST)) == (100, 100)
    assert green_of(platform, record).status == "PRIMARY" and platform.by_arn("arn:ts/blue").status == "ACTIVE"  # type: ignore[union-attr]
    assert record.status == "InProgress" and record.termination_wait_started
    step(engine, clock, eng.SETTLE_SECONDS)
    assert record.status == "Succeeded" and platform.synced[record.id] == "Succeeded"
    assert platform.deleted == ["arn:ts/blue"]
    assert record.complete_time is not None and record.error is None


def test_canary_holds_the_canary_percentage_for_the_interval() -> None:
    engine, platform, clock = new_world()
    record = create(engine, routing=lc.TrafficRouting("TimeBasedCanary", 10, 5))
    installed(engine, platform, record)
    assert platform.green_weight(PROD) == 10 and statuses(record)["AllowTraffic"] == "InProgress"
    step(engine, clock, 4.9)  # 5 minutes at LAB_TIME_SCALE 60 are 5 seconds
    assert platform.green_weight(PROD) == 10
    step(engine, clock, 0.2)
    assert platform.green_weight(PROD) == 100 and statuses(record)["AllowTraffic"] == "Succeeded"


def test_linear_shifts_a_step_every_interval() -> None:
    engine, platform, clock = new_world()
    record = create(engine, routing=lc.TrafficRouting("TimeBasedLinear", 25, 1))
    installed(engine, platform, record)
    seen = [platform.green_weight(PROD)]
    for _ in range(3):
        step(engine, clock, 1.0)
        seen.append(platform.green_weight(PROD))
    assert seen == [25, 50, 75, 100]
    assert record.phase == eng.PHASE_TERMINATION


def test_termination_wait_keeps_blue_until_it_passes() -> None:
    engine, platform, clock = new_world()
    record = create(engine, termination_wait_minutes=5)
    installed(engine, platform, record)
    step(engine, clock, 4.9)
    assert record.status == "InProgress" and platform.deleted == []
    step(engine, clock, 0.2)
    assert record.status == "Succeeded" and platform.deleted == ["arn:ts/blue"]


def test_continue_termination_wait_skips_it() -> None:
    engine, platform, clock = new_world()
    record = create(engine, termination_wait_minutes=60)
    installed(engine, platform, record)
    clock.t += eng.SETTLE_SECONDS
    engine.continue_(record, "TERMINATION_WAIT")
    assert record.status == "Succeeded" and platform.deleted == ["arn:ts/blue"]


def test_keep_alive_leaves_blue_running() -> None:
    engine, platform, clock = new_world()
    record = create(engine, termination_action="KEEP_ALIVE")
    installed(engine, platform, record)
    step(engine, clock, eng.SETTLE_SECONDS)
    assert record.status == "Succeeded" and platform.deleted == []


def test_the_next_deployment_uses_the_first_blue_target_group_as_green() -> None:
    """deployment-steps-ecs.html: the target group of the current original task set is the
    next deployment's replacement target group."""
    engine, platform, clock = new_world()
    first = create(engine)
    installed(engine, platform, first)
    step(engine, clock, eng.SETTLE_SECONDS)
    second = create(engine)
    engine.reconcile()
    assert (second.blue_tg_arn, second.green_tg_arn) == (GREEN_TG, BLUE_TG)
    assert green_of(platform, second).target_group == BLUE_TG


def test_a_stale_task_set_is_removed_before_green_is_created() -> None:
    engine, platform, _ = new_world()
    platform.task_sets.append(FakeTaskSet("arn:ts/stale", "ecs-svc/stale", "ACTIVE", GREEN_TG, "arn:td/web:9"))
    create(engine)
    engine.reconcile()
    assert platform.deleted == ["arn:ts/stale"]


# the Ready wait -----------------------------------------------------------------------------------


def test_stop_deployment_option_waits_in_ready_with_test_traffic_on_green() -> None:
    engine, platform, clock = new_world()
    record = create(engine, ready_action="STOP_DEPLOYMENT", ready_wait_minutes=30)
    installed(engine, platform, record)
    assert record.status == "Ready" and platform.synced[record.id] == "Ready"
    assert (platform.green_weight(TEST), platform.green_weight(PROD)) == (100, 0)
    assert statuses(record)["AfterAllowTestTraffic"] == "Succeeded" and statuses(record)["BeforeAllowTraffic"] == "Pending"
    step(engine, clock, 29.0)
    assert record.status == "Ready"
    engine.continue_(record, "READY_WAIT")
    assert record.status == "InProgress" and platform.green_weight(PROD) == 100


def test_ready_wait_running_out_stops_the_deployment() -> None:
    """DeploymentReadyOption.waitTimeInMinutes: the deployment's status changes to Stopped
    when rerouting is not started manually."""
    engine, platform, clock = new_world()
    record = create(engine, ready_action="STOP_DEPLOYMENT", ready_wait_minutes=2)
    installed(engine, platform, record)
    step(engine, clock, 2.0)
    assert record.status == "Stopped" and record.error and record.error["code"] == "TIMEOUT"
    assert platform.green_weight(PROD) == 0 and record.rollback_info is None


def test_ready_timeout_rolls_back_with_deployment_failure() -> None:
    engine, platform, clock = new_world()
    record = create(engine, auto_rollback=ROLLBACK_ALL, ready_action="STOP_DEPLOYMENT", ready_wait_minutes=1)
    installed(engine, platform, record)
    step(engine, clock, 1.0)
    assert record.status == "Stopped" and record.rollback_info
    rollback = engine.get(record.rollback_info["rollbackDeploymentId"])
    assert rollback is not None
    step(engine, clock, 0.1)
    assert platform.green_weight(TEST) == 0
    step(engine, clock, eng.SETTLE_SECONDS)
    assert rollback.status == "Succeeded" and platform.by_arn(record.green.arn) is None  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("wait_type", "code"),
    [
        ("READY_WAIT", "DeploymentIsNotInReadyStateException"),
        ("TERMINATION_WAIT", "DeploymentIsNotInReadyStateException"),
        ("LATER", "InvalidDeploymentWaitTypeException"),
    ],
)
def test_continue_is_refused_when_the_deployment_does_not_wait(wait_type: str, code: str) -> None:
    engine, _, _ = new_world()
    record = create(engine)
    engine.reconcile()
    with pytest.raises(eng.ContinueError) as caught:
        engine.continue_(record, wait_type)
    assert caught.value.code == code


# stops, alarms and failures -------------------------------------------------------------------------


def test_stop_with_rollback_in_the_termination_wait_restores_blue() -> None:
    engine, platform, clock = new_world()
    record = create(engine, termination_wait_minutes=10)
    installed(engine, platform, record)
    green_arn = record.green.arn  # type: ignore[union-attr]
    status, message = engine.stop(record, roll_back=True)
    assert status == "Succeeded" and "rollback deployment" in message
    assert (record.status, record.error["code"]) == ("Stopped", "MANUAL_STOP")  # type: ignore[index]
    rollback = engine.get(record.rollback_info["rollbackDeploymentId"])  # type: ignore[index]
    assert rollback is not None and rollback.creator == "codeDeployRollback" and rollback.status == "InProgress"
    assert rollback.rollback_info == {"rollbackTriggeringDeploymentId": record.id, "rollbackMessage": f"Rolling back deployment {record.id}."}
    engine.reconcile()
    assert (platform.green_weight(PROD), platform.green_weight(TEST)) == (0, 0)
    assert platform.by_arn("arn:ts/blue").status == "PRIMARY"  # type: ignore[union-attr]
    assert platform.by_arn(green_arn) is not None  # green drains only after HAProxy followed
    step(engine, clock, eng.SETTLE_SECONDS)
    assert rollback.status == "Succeeded" and platform.deleted == [green_arn]
    assert rollback.rollback_info["rollbackMessage"] == f"Deployment {record.id} was rolled back to the original task set."  # type: ignore[index]
    assert record.rollback_info["rollbackMessage"] == f"Rollback deployment {rollback.id} succeeded."  # type: ignore[index]
    assert engine.active_in_group("us-east-1", "app", "dg") is None


def test_stop_without_rollback_leaves_things_as_they_are() -> None:
    """deployment-steps-ecs.html: without rollback, components remain in their current state."""
    engine, platform, _ = new_world()
    record = create(engine, routing=lc.TrafficRouting("TimeBasedCanary", 10, 5))
    installed(engine, platform, record)
    engine.stop(record, roll_back=False)
    engine.reconcile()
    assert record.status == "Stopped" and record.rollback_info is None
    assert platform.green_weight(PROD) == 10 and platform.deleted == []
    assert statuses(record)["AllowTraffic"] == "Failed" and statuses(record)["AfterAllowTraffic"] == "Skipped"


def test_an_alarm_in_the_termination_wait_stops_and_rolls_back() -> None:
    engine, platform, clock = new_world()
    record = create(engine, auto_rollback=ROLLBACK_ALL, termination_wait_minutes=10, alarms=("5xx",))
    installed(engine, platform, record)
    step(engine, clock, 1.0)
    assert record.status == "InProgress"
    platform.alarms["5xx"] = "ALARM"
    engine.reconcile()
    assert (record.status, record.error["code"]) == ("Stopped", "ALARM_ACTIVE")  # type: ignore[index]
    assert "Activated alarms: <5xx>" in record.error["message"]  # type: ignore[index]
    engine.reconcile()
    assert platform.green_weight(PROD) == 0 and platform.by_arn("arn:ts/blue").status == "PRIMARY"  # type: ignore[union-attr]


def test_an_alarm_without_stop_on_alarm_stops_without_rollback() -> None:
    engine, platform, _ = new_world()
    platform.alarms["5xx"] = "ALARM"
    record = create(engine, auto_rollback={"enabled": True, "events": ["DEPLOYMENT_FAILURE"]}, alarms=("5xx",))
    engine.reconcile()
    assert record.status == "Stopped" and record.rollback_info is None and record.green is None


def test_crashing_green_tasks_fail_and_roll_back() -> None:
    engine, platform, clock = new_world()
    record = create(engine, auto_rollback=ROLLBACK_ALL)
    engine.reconcile()
    green_of(platform, record).failed = 3
    engine.reconcile()
    assert (record.status, record.error["code"]) == ("Failed", "ECS_UPDATE_ERROR")  # type: ignore[index]
    assert "Essential container in task exited" in record.error["message"]  # type: ignore[index]
    assert statuses(record)["Install"] == "Failed" and statuses(record)["AfterInstall"] == "Skipped"
    step(engine, clock, eng.SETTLE_SECONDS)
    step(engine, clock, eng.SETTLE_SECONDS)
    rollback = engine.get(record.rollback_info["rollbackDeploymentId"])  # type: ignore[index]
    assert rollback is not None and rollback.status == "Succeeded"
    assert platform.by_arn(record.green.arn) is None and platform.green_weight(PROD) == 0  # type: ignore[union-attr]


def test_green_never_healthy_times_out_after_sixty_scaled_minutes() -> None:
    engine, _, clock = new_world()
    record = create(engine)
    engine.reconcile()
    step(engine, clock, 59.0)
    assert record.status == "InProgress"
    step(engine, clock, 1.0)
    assert (record.status, record.error["code"]) == ("Failed", "TIMEOUT")  # type: ignore[index]
    assert "60 minutes" in record.error["message"]  # type: ignore[index]


def test_a_service_without_a_primary_task_set_fails() -> None:
    engine, platform, _ = new_world()
    platform.task_sets.clear()
    record = create(engine, auto_rollback=ROLLBACK_ALL)
    engine.reconcile()
    assert record.status == "Failed" and "PRIMARY task set" in record.error["message"]  # type: ignore[index]
    assert record.rollback_info == {"rollbackMessage": "Nothing to roll back: the replacement task set was never created."}


def test_a_prod_listener_off_the_pair_fails_the_deployment() -> None:
    engine, platform, _ = new_world()
    platform.listeners[PROD] = [{"Type": "forward", "TargetGroupArn": "arn:tg/elsewhere"}]
    record = create(engine)
    installed(engine, platform, record)
    assert (record.status, record.error["code"]) == ("Failed", "ELASTIC_LOAD_BALANCING_INVALID")  # type: ignore[index]


def test_only_one_active_deployment_per_group_is_reported() -> None:
    engine, _, _ = new_world()
    first = create(engine)
    assert engine.active_in_group("us-east-1", "app", "dg") is first
    assert engine.active_in_group("us-east-1", "app", "other") is None
