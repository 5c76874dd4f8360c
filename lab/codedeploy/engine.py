"""The CodeDeploy ECS blue/green engine: carries deployments out on the lab's ECS and HAProxy.

moto stores a deployment and leaves it ``Created``. This controller walks each ECS
deployment through its lifecycle ("Deployments on an Amazon ECS compute platform",
https://docs.aws.amazon.com/codedeploy/latest/userguide/deployment-steps-ecs.html):

    Created -> InProgress: BeforeInstall, Install (green task set, healthy in the other
    target group), AfterInstall, AllowTestTraffic (test listener -> green),
    AfterAllowTestTraffic -> [Ready until ContinueDeployment(READY_WAIT)] ->
    BeforeAllowTraffic, AllowTraffic (production weights per the deployment config),
    AfterAllowTraffic -> termination wait -> blue task set deleted -> Succeeded.

A stop, a failure or a CloudWatch alarm ends it early (``lifecycle.early_outcome``); a
rollback is a new deployment (creator ``codeDeployRollback``) that reroutes production
and test traffic to blue and removes green, as "Redeployments and deployment rollbacks"
describes.

Decisions are pure (``lifecycle``); the effects go through a ``Platform`` (moto's ECS,
ELBv2 and CloudWatch backends in the lab, a fake in unit tests) and a ``Clock``.
"""

from __future__ import annotations

import logging
import random
import string
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol

from lab.codedeploy import lifecycle as lc
from lab.server import Controller

if TYPE_CHECKING:
    from lab.server import Lab

log = logging.getLogger("lab.codedeploy")

ROLLBACK_CREATOR = "codeDeployRollback"
ECS_DEFAULT_CONFIG = "CodeDeployDefault.ECSAllAtOnce"
# moto gives every group CodeDeployDefault.OneAtATime when none was named; AWS gives an ECS
# group CodeDeployDefault.ECSAllAtOnce.
SERVER_DEFAULT_CONFIG = "CodeDeployDefault.OneAtATime"
# Real seconds between moving traffic off a task set and deleting it: the ELB controller
# applies listener weights to HAProxy asynchronously, and a task set must not start
# draining while HAProxy may still send it new requests.
SETTLE_SECONDS = 2.0
# Stopped tasks of the green task set that fail the deployment (the ECS deployment circuit
# breaker's threshold for the same desired count, at least 3).
MIN_FAILED_TASKS = 3

PHASE_START = "start"
PHASE_INSTALL = "install"
PHASE_TEST_TRAFFIC = "test-traffic"
PHASE_READY = "ready-wait"
PHASE_SHIFT = "allow-traffic"
PHASE_TERMINATION = "termination-wait"
PHASE_ROLLBACK = "rollback"
PHASE_DONE = "done"


def new_deployment_id() -> str:
    """``d-`` and nine upper-case letters and digits, as CodeDeploy names deployments."""
    return "d-" + "".join(random.choices(string.ascii_uppercase + string.digits, k=9))


def utcnow() -> datetime:
    return datetime.now(UTC)


# what the engine needs from the world -------------------------------------------------------


class PlatformError(Exception):
    """An ECS or ELB call failed; ``code`` is the ErrorInformation code the deployment gets."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class TaskSetView:
    arn: str
    id: str
    status: str
    target_group_arn: str | None
    task_definition: str
    launch_type: str | None = None
    platform_version: str | None = None
    network_configuration: dict[str, Any] | None = None


@dataclass(frozen=True)
class ServiceView:
    arn: str
    cluster: str
    name: str
    controller: str
    desired_count: int
    task_sets: tuple[TaskSetView, ...]
    launch_type: str | None = None
    platform_version: str | None = None
    network_configuration: dict[str, Any] | None = None

    @property
    def primary(self) -> TaskSetView | None:
        return next((ts for ts in self.task_sets if ts.status == "PRIMARY"), None)


@dataclass(frozen=True)
class TaskSetCounts:
    desired: int
    pending: int
    running: int
    steady: bool
    status: str = "ACTIVE"
    failed: int = 0
    last_failure: str | None = None


@dataclass(frozen=True)
class GreenSpec:
    """The replacement task set CreateTaskSet gets."""

    task_definition: str
    external_id: str
    target_group_arn: str
    container_name: str
    container_port: int
    launch_type: str | None
    platform_version: str | None
    network_configuration: dict[str, Any] | None
    capacity_provider_strategy: list[dict[str, Any]] | None = None


class Platform(Protocol):
    def service(self, region: str, cluster: str, service: str) -> ServiceView | None: ...
    def task_definition(self, region: str, ref: str) -> tuple[str, list[dict[str, Any]]] | None: ...
    def target_group_arn(self, region: str, name: str) -> str | None: ...
    def target_group_name(self, region: str, arn: str) -> str | None: ...
    def create_task_set(self, region: str, cluster: str, service: str, spec: GreenSpec) -> TaskSetView: ...
    def delete_task_set(self, region: str, cluster: str, service: str, task_set_arn: str) -> None: ...
    def make_primary(self, region: str, cluster: str, service: str, task_set_arn: str) -> None: ...
    def task_set_counts(self, region: str, cluster: str, service: str, task_set_arn: str) -> TaskSetCounts | None: ...
    def set_weights(self, region: str, listener_arn: str, blue_arn: str, green_arn: str, green_weight: int) -> bool: ...
    def targets_healthy(self, region: str, target_group_arn: str) -> bool: ...
    def alarms_in_alarm(self, region: str, names: tuple[str, ...]) -> list[str]: ...
    def register_deployment(self, region: str, record: Deployment) -> str: ...
    def sync(self, record: Deployment) -> None: ...


class Clock(Protocol):
    def now(self) -> datetime: ...
    def monotonic(self) -> float: ...
    def scaled(self, seconds: float) -> float: ...


class LabClock:
    def now(self) -> datetime:
        return utcnow()

    def monotonic(self) -> float:
        return time.monotonic()

    def scaled(self, seconds: float) -> float:
        from lab import clock

        return clock.scaled(seconds)


# the record of one deployment ---------------------------------------------------------------


@dataclass
class Deployment:
    id: str
    region: str
    application: str
    group: str
    config_name: str
    routing: lc.TrafficRouting
    settings: lc.GroupSettings
    appspec: lc.AppSpec | None
    task_definition_arn: str
    revision: dict[str, Any]
    create_time: datetime
    description: str | None = None
    creator: str = "user"
    auto_rollback: dict[str, Any] = field(default_factory=dict)
    override_alarms: dict[str, Any] | None = None
    status: str = lc.CREATED
    phase: str = PHASE_START
    events: tuple[lc.LifecycleEvent, ...] = field(default_factory=lc.new_events)
    start_time: datetime | None = None
    complete_time: datetime | None = None
    updated_at: datetime | None = None
    error: dict[str, str] | None = None
    rollback_info: dict[str, str] | None = None
    service_arn: str | None = None
    blue: TaskSetView | None = None
    green: TaskSetView | None = None
    blue_tg_arn: str | None = None
    green_tg_arn: str | None = None
    blue_tg_name: str | None = None
    green_tg_name: str | None = None
    green_weight: int = 0
    test_on_green: bool = False
    primary_switched: bool = False
    phase_since: float = 0.0
    shift_since: float | None = None
    traffic_moved_at: float | None = None
    continue_ready: bool = False
    continue_termination: bool = False
    termination_wait_started: bool = False
    rollback_of: str | None = None

    @property
    def active(self) -> bool:
        return self.status in lc.ACTIVE_STATUSES

    @property
    def alarms(self) -> tuple[str, ...]:
        if self.override_alarms is not None:
            return lc.alarms_to_watch(self.override_alarms)
        return self.settings.alarms

    @property
    def target_id(self) -> str:
        return f"{self.settings.cluster}:{self.settings.service}"


class ContinueError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


# the engine ----------------------------------------------------------------------------------


class CodeDeployEngine(Controller):
    """Moves every active ECS deployment as far as it can go, each tick and on wake."""

    name = "codedeploy-deployments"
    services = ("codedeploy", "monitoring")

    def __init__(self, platform: Platform, clock: Clock | None = None, lock: AbstractContextManager[Any] | None = None) -> None:
        self.platform = platform
        self.clock = clock or LabClock()
        self.lock = lock if lock is not None else threading.RLock()
        self.deployments: dict[str, Deployment] = {}

    @classmethod
    def install(cls, lab: Lab) -> CodeDeployEngine:
        """The engine of a running lab, reachable as ``lab.codedeploy_engine``."""
        engine = cls(LabPlatform(lab), LabClock(), lab.lock)
        lab.codedeploy_engine = engine  # type: ignore[attr-defined]
        return engine

    # ------------------------------------------------------------------ the API's side
    def add(self, record: Deployment) -> Deployment:
        record.id = self.platform.register_deployment(record.region, record)
        record.updated_at = record.create_time
        self.deployments[record.id] = record
        return record

    def get(self, deployment_id: str) -> Deployment | None:
        return self.deployments.get(deployment_id)

    def active_in_group(self, region: str, application: str, group: str) -> Deployment | None:
        return next((d for d in self.deployments.values() if d.active and (d.region, d.application, d.group) == (region, application, group)), None)

    def last_succeeded(self, region: str, application: str, group: str) -> Deployment | None:
        done = [d for d in self.deployments.values() if d.status == lc.SUCCEEDED and (d.region, d.application, d.group) == (region, application, group)]
        return max(done, key=lambda d: d.complete_time or d.create_time, default=None)

    def stop(self, record: Deployment, roll_back: bool | None) -> tuple[str, str]:
        """StopDeployment: ends the deployment now (caller holds the lock); (status, message)."""
        if record.phase == PHASE_ROLLBACK:
            return "Pending", f"Deployment {record.id} is a rollback; it finishes rerouting traffic to the original task set."
        self._end_early(record, lc.TRIGGER_STOP, f"The deployment {record.id} was stopped by the user.", stop_rollback=roll_back)
        if record.rollback_info and record.rollback_info.get("rollbackDeploymentId"):
            rollback_id = record.rollback_info["rollbackDeploymentId"]
            return "Succeeded", f"Deployment {record.id} stopped; rollback deployment {rollback_id} reroutes traffic to the original task set."
        return "Succeeded", f"Deployment {record.id} stopped."

    def continue_(self, record: Deployment, wait_type: str) -> None:
        """ContinueDeployment (caller holds the lock)."""
        if wait_type == "READY_WAIT":
            if record.phase != PHASE_READY:
                raise ContinueError(
                    "DeploymentIsNotInReadyStateException", f"The deployment {record.id} is not in the Ready state: it has status {record.status}."
                )
            record.continue_ready = True
        elif wait_type == "TERMINATION_WAIT":
            if record.phase != PHASE_TERMINATION:
                raise ContinueError(
                    "DeploymentIsNotInReadyStateException",
                    f"The deployment {record.id} is not waiting to terminate the original task set: it has status {record.status}.",
                )
            record.continue_termination = True
        else:
            raise ContinueError("InvalidDeploymentWaitTypeException", f"The wait type {wait_type!r} is invalid: use READY_WAIT or TERMINATION_WAIT.")
        self._advance_or_fail(record)

    # ------------------------------------------------------------------ the controller's side
    def reconcile(self, lab: Lab | None = None) -> None:
        for record in self._working():
            with self.lock:
                self._advance_or_fail(record)

    def _advance_or_fail(self, record: Deployment) -> None:
        """A failing ECS or ELB call fails the deployment, as on AWS, and never the caller."""
        try:
            self._advance(record)
        except PlatformError as exc:
            self._fail(record, exc.code, exc.message)
        except Exception as exc:  # noqa: BLE001 - one broken deployment must not stop the others
            log.exception("deployment %s failed in the lab", record.id)
            self._fail(record, "INTERNAL_ERROR", f"lab error: {type(exc).__name__}: {exc}")

    def _working(self) -> Iterator[Deployment]:
        with self.lock:
            records = [d for d in self.deployments.values() if d.phase != PHASE_DONE]
        yield from sorted(records, key=lambda d: d.create_time)

    def _advance(self, record: Deployment) -> None:
        """Runs phase after phase until one has to wait."""
        for _ in range(16):
            if record.phase == PHASE_DONE:
                return
            if record.phase != PHASE_ROLLBACK and self._alarm_stopped(record):
                return
            before = record.phase
            self._handler(record.phase)(record)
            if record.phase == before:
                return

    def _handler(self, phase: str) -> Callable[[Deployment], None]:
        return {
            PHASE_START: self._start,
            PHASE_INSTALL: self._install,
            PHASE_TEST_TRAFFIC: self._test_traffic,
            PHASE_READY: self._ready_wait,
            PHASE_SHIFT: self._shift,
            PHASE_TERMINATION: self._termination_wait,
            PHASE_ROLLBACK: self._roll_back,
        }[phase]

    # ------------------------------------------------------------------ phases
    def _start(self, d: Deployment) -> None:
        view = self._service(d)
        blue = view.primary
        if blue is None or not blue.target_group_arn:
            raise PlatformError(lc.ECS_UPDATE_ERROR, f"The ECS service {d.settings.service} has no PRIMARY task set with a target group to replace.")
        blue_name = self.platform.target_group_name(d.region, blue.target_group_arn)
        try:
            green_name = lc.green_target_group(d.settings.target_groups, blue_name or blue.target_group_arn)
        except lc.TargetGroupPairError as exc:
            raise PlatformError(lc.ELASTIC_LOAD_BALANCING_INVALID, str(exc)) from None
        green_arn = self.platform.target_group_arn(d.region, green_name)
        if green_arn is None:
            raise PlatformError(lc.ELASTIC_LOAD_BALANCING_INVALID, f"The target group {green_name} does not exist.")
        d.service_arn, d.blue = view.arn, blue
        d.blue_tg_arn, d.blue_tg_name, d.green_tg_arn, d.green_tg_name = blue.target_group_arn, blue_name, green_arn, green_name
        now = self.clock.now()
        self._set_status(d, lc.IN_PROGRESS)
        d.start_time = now
        d.events = lc.finish_event(d.events, lc.BEFORE_INSTALL, lc.SUCCEEDED, now)
        d.events = lc.start_event(d.events, lc.INSTALL, now)
        self._enter(d, PHASE_INSTALL)

    def _install(self, d: Deployment) -> None:
        if d.green is None:
            self._create_green(d)
            return
        counts = self.platform.task_set_counts(d.region, d.settings.cluster, d.settings.service, d.green.arn)
        if counts is None:
            raise PlatformError(lc.ECS_UPDATE_ERROR, f"The replacement task set {d.green.id} was deleted during the deployment.")
        if counts.failed >= max(MIN_FAILED_TASKS, counts.desired):
            raise PlatformError(
                lc.ECS_UPDATE_ERROR,
                f"The replacement task set {d.green.id} could not run its tasks: {counts.failed} stopped. Last reason: {counts.last_failure}",
            )
        if counts.steady and counts.running >= counts.desired:
            now = self.clock.now()
            d.events = lc.finish_event(d.events, lc.INSTALL, lc.SUCCEEDED, now)
            d.events = lc.finish_event(d.events, lc.AFTER_INSTALL, lc.SUCCEEDED, now)
            self._enter(d, PHASE_TEST_TRAFFIC)
        elif self._waited(d, lc.INSTALL_TIMEOUT_MINUTES):
            raise PlatformError(
                lc.TIMEOUT,
                "The deployment timed out while waiting for the replacement task set to become healthy. This time out period is 60 minutes.",
            )

    def _create_green(self, d: Deployment) -> None:
        view = self._service(d)
        for stale in view.task_sets:
            # a task set left by a deployment stopped without rollback would hold the green target group
            if stale.status != "PRIMARY":
                self.platform.delete_task_set(d.region, d.settings.cluster, d.settings.service, stale.arn)
        assert d.appspec is not None and d.blue is not None and d.green_tg_arn is not None
        spec = GreenSpec(
            task_definition=d.task_definition_arn,
            external_id=d.id,
            target_group_arn=d.green_tg_arn,
            container_name=d.appspec.container_name,
            container_port=d.appspec.container_port,
            launch_type=d.blue.launch_type or view.launch_type,
            platform_version=d.appspec.platform_version or d.blue.platform_version or view.platform_version,
            network_configuration=d.appspec.network_configuration or d.blue.network_configuration or view.network_configuration,
            capacity_provider_strategy=d.appspec.capacity_provider_strategy,
        )
        d.green = self.platform.create_task_set(d.region, d.settings.cluster, d.settings.service, spec)
        d.phase_since = self.clock.monotonic()

    def _test_traffic(self, d: Deployment) -> None:
        now = self.clock.now()
        d.events = lc.start_event(d.events, lc.ALLOW_TEST_TRAFFIC, now)
        for listener in d.settings.test_listeners:
            self._route(d, listener, 100, required=True)
        d.test_on_green = bool(d.settings.test_listeners)
        d.events = lc.finish_event(d.events, lc.ALLOW_TEST_TRAFFIC, lc.SUCCEEDED, now)
        d.events = lc.finish_event(d.events, lc.AFTER_ALLOW_TEST_TRAFFIC, lc.SUCCEEDED, now)
        if d.settings.ready_action == "STOP_DEPLOYMENT":
            self._set_status(d, lc.READY)
            self._enter(d, PHASE_READY)
        else:
            self._begin_shift(d)

    def _ready_wait(self, d: Deployment) -> None:
        if d.continue_ready:
            self._set_status(d, lc.IN_PROGRESS)
            self._begin_shift(d)
        elif self._waited(d, d.settings.ready_wait_minutes):
            message = f"The deployment {d.id} timed out after {d.settings.ready_wait_minutes} minutes waiting for ContinueDeployment (deploymentReadyOption STOP_DEPLOYMENT)."
            self._end_early(d, lc.TRIGGER_READY_TIMEOUT, message)

    def _begin_shift(self, d: Deployment) -> None:
        now = self.clock.now()
        d.events = lc.finish_event(d.events, lc.BEFORE_ALLOW_TRAFFIC, lc.SUCCEEDED, now)
        d.events = lc.start_event(d.events, lc.ALLOW_TRAFFIC, now)
        # Green joins each production listener at weight 0 first: its target group is then in
        # use, ELB health-checks its targets, and no request goes to green before they pass
        # (HAProxy, unlike ALB, does not fail open to targets that are still `initial`).
        for listener in d.settings.prod_listeners:
            self._route(d, listener, 0, required=True)
        d.shift_since = None
        self._enter(d, PHASE_SHIFT)

    def _shift(self, d: Deployment) -> None:
        if d.shift_since is None:
            assert d.green_tg_arn is not None
            if not self.platform.targets_healthy(d.region, d.green_tg_arn):
                if self._waited(d, lc.INSTALL_TIMEOUT_MINUTES):
                    raise PlatformError(
                        lc.TIMEOUT, "The deployment timed out while waiting for the replacement targets to pass the load balancer's health checks."
                    )
                return
            d.shift_since = self.clock.monotonic()
        minutes = (self.clock.monotonic() - d.shift_since) / self.clock.scaled(60.0)
        weight = lc.green_weight_at(lc.shift_schedule(d.routing), minutes)
        if weight != d.green_weight:
            for listener in d.settings.prod_listeners:
                self._route(d, listener, weight, required=True)
            d.green_weight = weight
            d.traffic_moved_at = self.clock.monotonic()
            self._touch(d)
        if weight < 100:
            return
        assert d.green is not None
        self.platform.make_primary(d.region, d.settings.cluster, d.settings.service, d.green.arn)
        d.primary_switched = True
        now = self.clock.now()
        d.events = lc.finish_event(d.events, lc.ALLOW_TRAFFIC, lc.SUCCEEDED, now)
        d.events = lc.finish_event(d.events, lc.AFTER_ALLOW_TRAFFIC, lc.SUCCEEDED, now)
        d.termination_wait_started = True
        self._enter(d, PHASE_TERMINATION)

    def _termination_wait(self, d: Deployment) -> None:
        if not (d.continue_termination or self._waited(d, d.settings.termination_wait_minutes)):
            return
        if not self._settled(d):
            return
        if d.settings.termination_action == "TERMINATE" and d.blue is not None:
            self.platform.delete_task_set(d.region, d.settings.cluster, d.settings.service, d.blue.arn)
        self._finish(d, lc.SUCCEEDED)

    # ------------------------------------------------------------------ ending early
    def _alarm_stopped(self, d: Deployment) -> bool:
        if not d.alarms:
            return False
        firing = self.platform.alarms_in_alarm(d.region, d.alarms)
        if not firing:
            return False
        self._end_early(d, lc.TRIGGER_ALARM, lc.alarm_message(firing))
        return True

    def _fail(self, d: Deployment, code: str, message: str) -> None:
        if d.phase == PHASE_ROLLBACK:
            # a rollback that cannot finish fails on its own; there is nothing left to undo
            self._finish(d, lc.FAILED, {"code": code, "message": message})
            return
        self._end_early(d, lc.TRIGGER_FAILURE, message, error_code=code)

    def _end_early(self, d: Deployment, trigger: str, message: str, stop_rollback: bool | None = None, error_code: str | None = None) -> None:
        if d.phase in (PHASE_DONE, PHASE_ROLLBACK):
            return
        outcome = lc.early_outcome(trigger, d.auto_rollback, stop_rollback)
        d.events = lc.end_events(d.events, self.clock.now(), message, error_code or outcome.error_code)
        error = {"code": error_code or outcome.error_code, "message": message}
        if outcome.roll_back and self._has_changes(d):
            rollback = self._start_rollback(d)
            d.rollback_info = {"rollbackDeploymentId": rollback.id, "rollbackMessage": f"Rollback deployment {rollback.id} is in progress."}
        elif outcome.roll_back:
            d.rollback_info = {"rollbackMessage": "Nothing to roll back: the replacement task set was never created."}
        self._finish(d, outcome.status, error)

    @staticmethod
    def _has_changes(d: Deployment) -> bool:
        return d.green is not None or d.green_weight > 0 or d.test_on_green

    def _start_rollback(self, d: Deployment) -> Deployment:
        """The rollback deployment: a new deployment that reroutes traffic to blue and removes green."""
        previous = self.last_succeeded(d.region, d.application, d.group)
        now = self.clock.now()
        rollback = Deployment(
            id="",
            region=d.region,
            application=d.application,
            group=d.group,
            config_name=d.config_name,
            routing=lc.TrafficRouting(),
            settings=d.settings,
            appspec=previous.appspec if previous else d.appspec,
            task_definition_arn=d.blue.task_definition if d.blue else d.task_definition_arn,
            revision=previous.revision if previous else d.revision,
            create_time=now,
            description=f"Rollback of deployment {d.id}",
            creator=ROLLBACK_CREATOR,
            auto_rollback=d.auto_rollback,
            status=lc.IN_PROGRESS,
            phase=PHASE_ROLLBACK,
            start_time=now,
            service_arn=d.service_arn,
            blue=d.blue,
            green=d.green,
            blue_tg_arn=d.blue_tg_arn,
            green_tg_arn=d.green_tg_arn,
            blue_tg_name=d.blue_tg_name,
            green_tg_name=d.green_tg_name,
            green_weight=d.green_weight,
            test_on_green=d.test_on_green,
            primary_switched=d.primary_switched,
            rollback_of=d.id,
            rollback_info={"rollbackTriggeringDeploymentId": d.id, "rollbackMessage": f"Rolling back deployment {d.id}."},
        )
        rollback.events = tuple(
            lc.LifecycleEvent(name, lc.IN_PROGRESS if name == lc.ALLOW_TRAFFIC else lc.SKIPPED, now if name == lc.ALLOW_TRAFFIC else None)
            for name in lc.ECS_EVENTS
        )
        self.add(rollback)
        self.platform.sync(rollback)
        return rollback

    def _roll_back(self, r: Deployment) -> None:
        """Production and test traffic to blue first; green goes once HAProxy has followed."""
        original = self.deployments.get(r.rollback_of or "")
        if r.traffic_moved_at is None:
            self._reroute_to_blue(r)
            if original is not None:
                original.green_weight, original.test_on_green = 0, False
            r.traffic_moved_at = self.clock.monotonic()
            return
        if not self._settled(r):
            return
        if r.green is not None and self.platform.task_set_counts(r.region, r.settings.cluster, r.settings.service, r.green.arn) is not None:
            self.platform.delete_task_set(r.region, r.settings.cluster, r.settings.service, r.green.arn)
        now = self.clock.now()
        r.events = lc.finish_event(r.events, lc.ALLOW_TRAFFIC, lc.SUCCEEDED, now)
        if r.settings.test_listeners:
            r.events = lc.finish_event(r.events, lc.ALLOW_TEST_TRAFFIC, lc.SUCCEEDED, now)
        r.rollback_info = dict(r.rollback_info or {}, rollbackMessage=f"Deployment {r.rollback_of} was rolled back to the original task set.")
        self._finish(r, lc.SUCCEEDED)
        if original is not None and original.rollback_info:
            original.rollback_info = dict(original.rollback_info, rollbackMessage=f"Rollback deployment {r.id} succeeded.")

    def _reroute_to_blue(self, r: Deployment) -> None:
        if r.blue_tg_arn and r.green_tg_arn:
            for listener in r.settings.prod_listeners + r.settings.test_listeners:
                self._route(r, listener, 0, required=False)
        if r.primary_switched and r.blue is not None:
            self.platform.make_primary(r.region, r.settings.cluster, r.settings.service, r.blue.arn)
        r.green_weight, r.test_on_green = 0, False

    # ------------------------------------------------------------------ helpers
    def _service(self, d: Deployment) -> ServiceView:
        view = self.platform.service(d.region, d.settings.cluster, d.settings.service)
        if view is None:
            raise PlatformError(
                lc.INVALID_ECS_SERVICE, f"The ECS service {d.settings.service} in cluster {d.settings.cluster} does not exist or is not ACTIVE."
            )
        if view.controller != "CODE_DEPLOY":
            raise PlatformError(lc.INVALID_ECS_SERVICE, f"The ECS service {d.settings.service} does not use the CODE_DEPLOY deployment controller.")
        return view

    def _route(self, d: Deployment, listener: str, green_weight: int, required: bool) -> None:
        assert d.blue_tg_arn and d.green_tg_arn
        changed = self.platform.set_weights(d.region, listener, d.blue_tg_arn, d.green_tg_arn, green_weight)
        if required and not changed:
            raise PlatformError(
                lc.ELASTIC_LOAD_BALANCING_INVALID, f"The listener {listener} forwards to neither target group of the pair {list(d.settings.target_groups)}."
            )

    def _enter(self, d: Deployment, phase: str) -> None:
        d.phase = phase
        d.phase_since = self.clock.monotonic()
        self._touch(d)

    def _waited(self, d: Deployment, minutes: float) -> bool:
        return self.clock.monotonic() - d.phase_since >= self.clock.scaled(minutes * 60.0)

    def _settled(self, d: Deployment) -> bool:
        return d.traffic_moved_at is None or self.clock.monotonic() - d.traffic_moved_at >= SETTLE_SECONDS

    def _set_status(self, d: Deployment, status: str) -> None:
        d.status = status
        self._touch(d)
        self.platform.sync(d)

    def _finish(self, d: Deployment, status: str, error: dict[str, str] | None = None) -> None:
        d.error = error
        d.complete_time = self.clock.now()
        d.phase = PHASE_DONE
        self._set_status(d, status)

    def _touch(self, d: Deployment) -> None:
        d.updated_at = self.clock.now()


# the lab's platform: moto's backends, the ECS controller, HAProxy ---------------------------------


class LabPlatform:
    """What the engine does to the lab: moto state, plus a wake for the controller that follows it."""

    def __init__(self, lab: Lab) -> None:
        self.lab = lab

    # ECS ----------------------------------------------------------------------------------
    def _ecs_service(self, region: str, cluster: str, service: str) -> Any:
        backend = self.lab.moto.ecs(region)
        try:
            cluster_obj = backend._get_cluster(cluster)
        except Exception:  # noqa: BLE001 - moto raises ClusterNotFoundException
            return None
        return backend.services.get(f"{cluster_obj.name}:{service.split('/')[-1]}")

    def service(self, region: str, cluster: str, service: str) -> ServiceView | None:
        found = self._ecs_service(region, cluster, service)
        if found is None or found.status != "ACTIVE":
            return None
        return ServiceView(
            arn=found.arn,
            cluster=found.cluster_name,
            name=found.name,
            controller=(found.deployment_controller or {}).get("type", "ECS"),
            desired_count=found.desired_count,
            task_sets=tuple(task_set_view(ts) for ts in found.task_sets),
            launch_type=found.launch_type,
            platform_version=found.platform_version,
            network_configuration=getattr(found, "network_configuration", None),
        )

    def task_definition(self, region: str, ref: str) -> tuple[str, list[dict[str, Any]]] | None:
        try:
            found = self.lab.moto.ecs(region).describe_task_definition(ref)
        except Exception:  # noqa: BLE001 - moto raises for an unknown family or revision
            return None
        return found.arn, list(found.container_definitions or [])

    def create_task_set(self, region: str, cluster: str, service: str, spec: GreenSpec) -> TaskSetView:
        backend = self.lab.moto.ecs(region)
        load_balancers = [{"targetGroupArn": spec.target_group_arn, "containerName": spec.container_name, "containerPort": spec.container_port}]
        try:
            # scale=None: moto would "run" fake tasks for a scale; the ECS controller runs real ones
            created = backend.create_task_set(
                service,
                cluster,
                spec.task_definition,
                external_id=spec.external_id,
                network_configuration=spec.network_configuration,
                load_balancers=load_balancers,
                launch_type=spec.launch_type or "FARGATE",
                capacity_provider_strategy=spec.capacity_provider_strategy,
                platform_version=spec.platform_version,
                scale=None,
            )
        except Exception as exc:  # noqa: BLE001 - moto's ECS errors become the deployment's
            raise PlatformError(lc.ECS_UPDATE_ERROR, f"CreateTaskSet failed: {getattr(exc, 'message', exc)}") from None
        created.scale = {"value": 100.0, "unit": "PERCENT"}
        created.stabilityStatus = "STABILIZING"
        created.computed_desired_count = self._computed_count(region, cluster, service, created)
        created.running_count = created.pending_count = 0
        self.lab.wake("ecs")
        return task_set_view(created)

    def _computed_count(self, region: str, cluster: str, service: str, task_set: Any) -> int:
        from lab.ecs.tasksets import computed_desired_count

        return computed_desired_count(self._ecs_service(region, cluster, service), task_set)

    def delete_task_set(self, region: str, cluster: str, service: str, task_set_arn: str) -> None:
        try:
            self.lab.moto.ecs(region).delete_task_set(cluster, service, task_set_arn)
        except Exception as exc:  # noqa: BLE001 - TaskSetNotFoundException: already gone is fine
            log.debug("delete_task_set(%s): %s", task_set_arn, exc)
        self.lab.wake("ecs")

    def make_primary(self, region: str, cluster: str, service: str, task_set_arn: str) -> None:
        # moto also copies the task set's task definition and load balancers to the service,
        # which is what DescribeServices shows after a CodeDeploy swap
        self.lab.moto.ecs(region).update_service_primary_task_set(cluster, service, task_set_arn)
        self.lab.wake("ecs")

    def task_set_counts(self, region: str, cluster: str, service: str, task_set_arn: str) -> TaskSetCounts | None:
        found = self._ecs_service(region, cluster, service)
        task_set = next((ts for ts in (found.task_sets if found else []) if ts.task_set_arn == task_set_arn), None)
        if task_set is None:
            return None
        failed, reason = self._failed_tasks(region, found, task_set.id)
        return TaskSetCounts(
            desired=int(getattr(task_set, "computed_desired_count", 0) or 0),
            pending=int(getattr(task_set, "pending_count", 0) or 0),
            running=int(getattr(task_set, "running_count", 0) or 0),
            steady=task_set.stabilityStatus == "STEADY_STATE",
            status=task_set.status,
            failed=failed,
            last_failure=reason,
        )

    def _failed_tasks(self, region: str, service: Any, task_set_id: str) -> tuple[int, str | None]:
        """Tasks of the task set that stopped on their own or failed their health checks."""
        try:
            from lab.ecs.controller import for_lab

            tasks = for_lab(self.lab).engine.of_service(region, service.cluster_name, service.name)
        except (ImportError, KeyError):
            return 0, None
        failed = [
            t
            for t in tasks
            if t.task_set_id == task_set_id
            and t.last_status == "STOPPED"
            and (t.stop_code in ("TaskFailedToStart", "EssentialContainerExited") or "health checks" in (t.stopped_reason or ""))
        ]
        latest = max(failed, key=lambda t: t.stopped_at or t.created_at, default=None)
        return len(failed), latest.stopped_reason if latest else None

    # ELB ----------------------------------------------------------------------------------
    def target_group_arn(self, region: str, name: str) -> str | None:
        return next((arn for arn, tg in self.lab.moto.elbv2(region).target_groups.items() if tg.name == name), None)

    def target_group_name(self, region: str, arn: str) -> str | None:
        found = self.lab.moto.elbv2(region).target_groups.get(arn)
        return found.name if found else None

    def targets_healthy(self, region: str, target_group_arn: str) -> bool:
        """Every target in the group is ``healthy`` as the lab's HAProxy sees it (and there is one)."""
        health = self.lab.haproxy.target_health(target_group_arn)
        states = [item.state for item in health.values() if item.state != "draining"]
        return bool(states) and all(state == "healthy" for state in states)

    def set_weights(self, region: str, listener_arn: str, blue_arn: str, green_arn: str, green_weight: int) -> bool:
        backend = self.lab.moto.elbv2(region)
        listeners = backend.describe_listeners(None, [listener_arn])
        if not listeners:
            raise PlatformError(lc.ELASTIC_LOAD_BALANCING_INVALID, f"The listener {listener_arn} does not exist.")
        listener = listeners[0]
        changed = False
        actions = lc.reweighted_actions([dict(a.data) for a in listener.default_actions], blue_arn, green_arn, green_weight)
        if actions is not None:
            backend.modify_listener(listener_arn, certificates=[], actions=actions)
            changed = True
        for rule in list(listener._non_default_rules.values()):
            rule_actions = lc.reweighted_actions([dict(a.data) for a in rule.actions], blue_arn, green_arn, green_weight)
            if rule_actions is not None:
                backend.modify_rule(rule.arn, [], rule_actions)
                changed = True
        if changed:
            for arn in (blue_arn, green_arn):
                group = backend.target_groups.get(arn)
                if group is not None and listener.load_balancer_arn not in group.load_balancer_arns:
                    group.load_balancer_arns.append(listener.load_balancer_arn)
            self.lab.wake("elasticloadbalancing")
        return changed

    # CloudWatch ---------------------------------------------------------------------------
    def alarms_in_alarm(self, region: str, names: tuple[str, ...]) -> list[str]:
        alarms = self.lab.moto.cloudwatch(region).alarms
        return [name for name in names if name in alarms and alarms[name].state_value == "ALARM"]

    # CodeDeploy (moto's record of the deployment) -----------------------------------------
    def register_deployment(self, region: str, record: Deployment) -> str:
        """Stores the deployment in moto under a CodeDeploy-style id (moto makes a UUID)."""
        backend = self.lab.moto.codedeploy(region)
        moto_id = backend.create_deployment(
            application_name=record.application,
            deployment_group_name=record.group,
            revision=record.revision,
            deployment_config_name=record.config_name,
            description=record.description,
            auto_rollback_configuration=record.auto_rollback or None,
            override_alarm_configuration=record.override_alarms,
        )
        info = backend.deployments.pop(moto_id)
        deployment_id = new_deployment_id()
        info.deployment_id = deployment_id
        info.creator = record.creator
        info.create_time = moto_time(record.create_time)
        backend.deployments[deployment_id] = info
        old_arn, new_arn = backend._arn(f"deployment:{moto_id}"), backend._arn(f"deployment:{deployment_id}")
        tags = backend.tagger.list_tags_for_resource(old_arn).get("Tags") or []
        if tags:
            backend.tagger.tag_resource(new_arn, tags)
            backend.tagger.delete_all_tags_for_resource(old_arn)
        return deployment_id

    def sync(self, record: Deployment) -> None:
        info = self.lab.moto.codedeploy(record.region).deployments.get(record.id)
        if info is not None:
            info.status = record.status
            info.start_time = moto_time(record.start_time)
            info.complete_time = moto_time(record.complete_time)
            info.instance_termination_wait_time_started = record.termination_wait_started


def moto_time(value: datetime | None) -> datetime | None:
    """moto keeps naive UTC times (and compares them with each other)."""
    return value.astimezone(UTC).replace(tzinfo=None) if value is not None and value.tzinfo else value


def task_set_view(task_set: Any) -> TaskSetView:
    balancers = task_set.load_balancers or []
    return TaskSetView(
        arn=task_set.task_set_arn,
        id=task_set.id,
        status=task_set.status,
        target_group_arn=balancers[0].get("targetGroupArn") if balancers else None,
        task_definition=task_set.task_definition,
        launch_type=task_set.launch_type,
        platform_version=task_set.platform_version,
        network_configuration=task_set.network_configuration,
    )


def deployment_config_info(region: str, name: str) -> dict[str, Any] | None:
    """A deployment configuration by name (predefined or custom), from the CRUD store."""
    from lab.codedeploy import store

    return store.deployment_config(region, name)
