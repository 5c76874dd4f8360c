"""ECS-native BLUE_GREEN, LINEAR and CANARY deployments, carried out on the lab's tasks and HAProxy.

A service deployment (``ServiceDeployment``) walks ``native_lifecycle.PLAN``: green tasks
of the new service revision start in the alternate target group, the test listener rule
moves to green, production traffic shifts per the strategy, bake time, then blue is
scaled down and the target groups swap roles. Rollback (StopServiceDeployment, a PAUSE
hook's ROLLBACK or timeout, an alarm, the circuit breaker) returns both rules to blue and
scales green down.

While a service deployment runs, the rolling scheduler of ``lab.ecs.services`` leaves the
service alone (see ``NativeEngine.install``); its deployment records (blue: the old
PRIMARY, green: the new one UpdateService made) are what the rolling scheduler keeps
afterwards, so a service switched back to ROLLING carries on from them.
"""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from lab import clock
from lab.codedeploy import lifecycle as codedeploy_lifecycle
from lab.ecs import model
from lab.ecs import native_lifecycle as nl
from lab.ecs.planner import circuit_breaker_threshold
from lab.ecs.services import grace_seconds, is_failure, judge, replace_failing, service_label
from lab.server import Controller

if TYPE_CHECKING:
    from lab.ecs.controller import EcsController
    from lab.ecs.engine import HealthSnapshot
    from lab.server import Lab

log = logging.getLogger("lab.ecs.native")

# HAProxy picks weight changes up on the ELB controller's next pass: tasks leave a target group
# only after the traffic moved away from it for this long (real seconds).
ROUTE_SETTLE_SECONDS = 3.0


def utcnow() -> datetime:
    return datetime.now(UTC)


def epoch(value: datetime | None) -> float | None:
    return value.timestamp() if value is not None else None


@dataclass
class ServiceDeployment:
    arn: str
    region: str
    cluster_name: str
    cluster_arn: str
    service_name: str
    service_arn: str
    source_revision: str
    target_revision: str
    config: dict[str, Any]
    routings: tuple[nl.Routing, ...]
    green_load_balancers: list[dict[str, Any]]
    blue_deployment_id: str | None
    green_deployment_id: str
    blue_task_definition: str
    desired: int
    status: str = nl.PENDING
    status_reason: str = ""
    step: int = 0
    created_at: datetime = field(default_factory=utcnow)
    started_at: datetime | None = None
    finished_at: datetime | None = None
    stopped_at: datetime | None = None
    updated_at: datetime = field(default_factory=utcnow)
    step_entered: float = field(default_factory=time.monotonic)
    hooks: list[dict[str, Any]] = field(default_factory=list)  # details of the running hook step
    hook_step: int | None = None
    hook_history: list[dict[str, Any]] = field(default_factory=list)
    shift_started: float | None = None
    production_weight: int = 0
    test_weight: int = 0
    routed_at: float = 0.0
    cleanup_started: bool = False
    rollback: dict[str, Any] | None = None
    final_status: str | None = None  # after the rollback: ROLLBACK_SUCCESSFUL or STOPPED (ABORT)
    rollback_routed: bool = False
    failures: int = 0
    breaker_triggered: bool = False
    triggered_alarms: list[str] = field(default_factory=list)

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.region, self.cluster_name, self.service_name)

    @property
    def active(self) -> bool:
        return self.status in nl.ACTIVE_STATUSES

    @property
    def rolling_back(self) -> bool:
        return self.rollback is not None

    @property
    def stage(self) -> str:
        return nl.step_at(self.step).stage


class DeploymentError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class NativeEngine(Controller):
    """Moves every active service deployment as far as it can go, each tick and on wake."""

    name = "ecs-native-deployments"
    services = ("ecs", "monitoring")

    def __init__(self, lab: Lab, ecs: EcsController) -> None:
        self.lab = lab
        self.ecs = ecs
        self.deployments: dict[str, ServiceDeployment] = {}
        self.revisions: dict[str, dict[str, Any]] = {}
        self.current_revision: dict[tuple[str, str, str], str] = {}

    @classmethod
    def install(cls, lab: Lab) -> NativeEngine:
        """The engine of a running lab (``lab.ecs_native``), registered as a controller on first use.

        The rolling scheduler must not plan a service while a native deployment owns its
        tasks: the engine registers itself as an owner with the ECS controller."""
        engine = getattr(lab, "ecs_native", None)
        if engine is not None:
            return engine
        from lab.ecs.controller import for_lab

        ecs = for_lab(lab)
        engine = cls(lab, ecs)
        ecs.owners.append(engine.owns)
        lab.ecs_native = engine  # type: ignore[attr-defined]
        lab.add_controller(engine)
        return engine

    # ------------------------------------------------------------------ queries
    def owns(self, region: str, cluster_name: str, service_name: str) -> bool:
        return any(d.active and d.key == (region, cluster_name, service_name) for d in self.deployments.values())

    def active_for(self, region: str, cluster_name: str, service_name: str) -> ServiceDeployment | None:
        return next((d for d in self.deployments.values() if d.active and d.key == (region, cluster_name, service_name)), None)

    def of_service(self, service_arn: str) -> list[ServiceDeployment]:
        return sorted((d for d in self.deployments.values() if d.service_arn == service_arn), key=lambda d: d.created_at, reverse=True)

    # ------------------------------------------------------------------ revisions
    def record_revision(self, region: str, service: Any) -> str:
        """A service revision: what the service runs now (task definition, load balancers, network)."""
        revision_id = uuid.uuid4().hex[:20]
        arn = f"arn:aws:ecs:{region}:{self.lab.moto.account_id}:service-revision/{service.cluster_name}/{service.name}/{revision_id}"
        load_balancers = [dict(lb) for lb in service.load_balancers or []]
        self.revisions[arn] = {
            "serviceRevisionArn": arn,
            "serviceArn": service.arn,
            "clusterArn": _cluster_arn(self.lab, region, service.cluster_name),
            "taskDefinition": service.task_definition,
            "launchType": service.launch_type,
            "platformVersion": service.platform_version,
            "loadBalancers": load_balancers,
            "networkConfiguration": service.network_configuration or None,
            "createdAt": utcnow().timestamp(),
            "resolvedConfiguration": resolved_configuration(load_balancers),
        }
        self.revisions[arn] = {k: v for k, v in self.revisions[arn].items() if v is not None}
        self.current_revision[(region, service.cluster_name, service.name)] = arn
        return arn

    def revision_of(self, region: str, service: Any) -> str:
        return self.current_revision.get((region, service.cluster_name, service.name)) or self.record_revision(region, service)

    # ------------------------------------------------------------------ the API's side (caller holds lab.lock)
    def start(self, region: str, service: Any, source_revision: str, blue: model.DeploymentRecord | None, green: model.DeploymentRecord) -> ServiceDeployment:
        config = dict(getattr(service, "deployment_configuration", None) or {})
        load_balancers = [dict(lb) for lb in service.load_balancers or []]
        deployment_id = uuid.uuid4().hex[:20]
        target_revision = self.record_revision(region, service)
        record = ServiceDeployment(
            arn=f"arn:aws:ecs:{region}:{self.lab.moto.account_id}:service-deployment/{service.cluster_name}/{service.name}/{deployment_id}",
            region=region,
            cluster_name=service.cluster_name,
            cluster_arn=_cluster_arn(self.lab, region, service.cluster_name),
            service_name=service.name,
            service_arn=service.arn,
            source_revision=source_revision,
            target_revision=target_revision,
            config=config,
            routings=nl.routings_of(load_balancers),
            green_load_balancers=nl.green_load_balancers(load_balancers),
            blue_deployment_id=blue.id if blue else None,
            green_deployment_id=green.id,
            blue_task_definition=blue.task_definition if blue else "",
            desired=service.desired_count,
        )
        self.deployments[record.arn] = record
        self.lab.wake("ecs")
        return record

    def stop(self, record: ServiceDeployment, stop_type: str) -> None:
        if not record.active:
            raise DeploymentError("ConflictException", f"The service deployment {record.arn} is not in progress: it has status {record.status}.")
        if record.rolling_back:
            return
        if stop_type == nl.ABORT:
            self._begin_rollback(record, "Service deployment stopped by the user (ABORT).", nl.STOPPED, nl.STOP_REQUESTED)
        else:
            self._begin_rollback(record, "Service deployment rolled back by the user.", nl.ROLLBACK_SUCCESSFUL, nl.ROLLBACK_REQUESTED)

    def continue_(self, record: ServiceDeployment, hook_id: str, action: str) -> None:
        hook = next((h for h in record.hooks if h["hookId"] == hook_id), None)
        if hook is None or not record.active or record.rolling_back:
            raise DeploymentError("InvalidParameterException", f"The lifecycle hook {hook_id} of service deployment {record.arn} is not awaiting action.")
        if hook["status"] != nl.AWAITING_ACTION:
            raise DeploymentError("InvalidParameterException", f"The lifecycle hook {hook_id} is not awaiting action: it has status {hook['status']}.")
        hook["status"] = nl.HOOK_SUCCEEDED if action == nl.CONTINUE else nl.HOOK_FAILED
        record.updated_at = utcnow()
        self.lab.wake("ecs")

    # ------------------------------------------------------------------ the controller's side
    def reconcile(self, lab: Lab) -> None:
        if not any(d.active for d in self.deployments.values()):
            return
        health = self.ecs._target_health_snapshot()
        with lab.lock:
            for record in [d for d in self.deployments.values() if d.active]:
                try:
                    self._advance(record, health)
                except Exception as exc:  # noqa: BLE001 - one deployment's failure must not stop the others
                    log.exception("service deployment %s failed", record.arn)
                    if not record.rolling_back:
                        self._begin_rollback(record, f"Service deployment failed: {exc}", nl.ROLLBACK_SUCCESSFUL, nl.ROLLBACK_IN_PROGRESS)
                    else:
                        self._finish(record, nl.ROLLBACK_FAILED, f"Rollback failed: {exc}")

    def _advance(self, d: ServiceDeployment, health: HealthSnapshot) -> None:
        service = self._service(d)
        if service is None:
            self._finish(d, nl.STOPPED, "The service was deleted.")
            return
        if d.status == nl.PENDING:
            d.status = nl.IN_PROGRESS
            d.started_at = utcnow()
            d.step_entered = time.monotonic()
            # checked when traffic is to move from a running blue (not for the service's first deployment)
            invalid = self._networking_error(d) if d.blue_deployment_id else None
            if invalid:
                self._begin_rollback(d, invalid, nl.ROLLBACK_SUCCESSFUL, nl.ROLLBACK_IN_PROGRESS)
        if d.rolling_back:
            self._roll_back(d, service)
            return
        if self._monitors_tripped(d, service):
            return
        for _ in range(len(nl.PLAN)):
            step = nl.step_at(d.step)
            done = self._run_hooks(d, step) if step.kind == "hook" else self._work(d, service, step.name, health)
            if d.rolling_back or not d.active:
                return
            if not done:
                return
            if nl.is_last_step(d.step):
                return
            d.step += 1
            d.step_entered = time.monotonic()
            d.updated_at = utcnow()

    # -------------------------------------------------------------- hooks
    def _run_hooks(self, d: ServiceDeployment, step: nl.Step) -> bool:
        if d.hook_step != d.step:
            d.hook_step = d.step
            d.hooks = [self._hook_detail(h) for h in nl.pause_hooks_at(d.config, step.name)]
            d.updated_at = utcnow()
        for hook in d.hooks:
            if hook["status"] == nl.AWAITING_ACTION and time.monotonic() >= hook["_deadline"]:
                hook["status"] = nl.HOOK_TIMED_OUT
                if hook["timeoutAction"] == nl.ROLLBACK:
                    hook["_timed_out_rollback"] = True
        statuses = [nl.HOOK_FAILED if h.get("_timed_out_rollback") else h["status"] for h in d.hooks]
        outcome = nl.hooks_outcome(statuses)
        if outcome == "wait":
            return False
        d.hook_history.extend(d.hooks)
        d.hooks = []
        if outcome == "rollback":
            timed_out = any(h.get("_timed_out_rollback") for h in d.hook_history[-len(statuses) :])
            reason = f"A lifecycle hook at {step.name} timed out." if timed_out else f"A lifecycle hook at {step.name} asked for a rollback."
            self._begin_rollback(d, reason, nl.ROLLBACK_SUCCESSFUL, nl.ROLLBACK_IN_PROGRESS)
            return False
        return True

    def _hook_detail(self, hook: nl.PauseHook) -> dict[str, Any]:
        wait = clock.scaled(hook.timeout_minutes * 60.0)
        return {
            "hookId": uuid.uuid4().hex,
            "targetType": "PAUSE",
            "status": nl.AWAITING_ACTION,
            "expiresAt": (utcnow() + timedelta(seconds=wait)).timestamp(),
            "timeoutAction": hook.timeout_action,
            "_deadline": time.monotonic() + wait,
        }

    # -------------------------------------------------------------- work
    def _work(self, d: ServiceDeployment, service: Any, name: str, health: HealthSnapshot) -> bool:
        if name == "scale_up":
            return self._scale_up(d, service, health)
        if name == "test_traffic":
            return self._test_traffic(d)
        if name == "production_traffic":
            return self._production_traffic(d)
        if name == "bake":
            return time.monotonic() - d.step_entered >= clock.scaled(nl.bake_minutes(d.config) * 60.0)
        return self._clean_up(d, service)

    def _scale_up(self, d: ServiceDeployment, service: Any, health: HealthSnapshot) -> bool:
        green = [t for t in self._tasks(d) if t.deployment_id == d.green_deployment_id and t.active]
        grace = grace_seconds(service)
        state = self.ecs.scheduler.state_of(d.region, service)
        for task in green:
            verdict = judge(task, health, grace)
            if verdict.failing:
                replace_failing(self.ecs.engine, state, service_label(service.name), task, verdict)
        running = [t for t in green if t.desired_status == model.RUNNING]
        missing = d.desired - len(running)
        if missing > 0:
            self._start_green(d, service, missing)
        healthy = sum(judge(t, health, grace).healthy for t in running)
        return healthy >= d.desired

    def _start_green(self, d: ServiceDeployment, service: Any, count: int) -> None:
        backend = self.lab.moto.ecs(d.region)
        cluster = backend._get_cluster(d.cluster_name)
        task_definition = backend.describe_task_definition(self.revisions[d.target_revision]["taskDefinition"])
        for _ in range(count):
            self.ecs.engine.create_task(
                region=d.region,
                cluster=cluster,
                task_definition=task_definition,
                launch_type=service.launch_type or "FARGATE",
                group=f"service:{service.name}",
                started_by=d.green_deployment_id,
                network_configuration=service.network_configuration or None,
                platform_version=service.platform_version,
                service_name=service.name,
                deployment_id=d.green_deployment_id,
                load_balancers=d.green_load_balancers,
            )

    def _test_traffic(self, d: ServiceDeployment) -> bool:
        for routing in d.routings:
            if routing.test_rule:
                self._route(d, routing.test_rule, routing, 100)
        d.test_weight = 100
        return True

    def _production_traffic(self, d: ServiceDeployment) -> bool:
        if d.shift_started is None:
            d.shift_started = time.monotonic()
        elapsed_minutes = (time.monotonic() - d.shift_started) * clock.time_scale() / 60.0
        weight = nl.green_weight_at(nl.production_schedule(d.config), elapsed_minutes)
        if weight != d.production_weight:
            for routing in d.routings:
                if routing.production_rule:
                    self._route(d, routing.production_rule, routing, weight)
            d.production_weight = weight
            d.updated_at = utcnow()
        return d.production_weight >= 100

    def _clean_up(self, d: ServiceDeployment, service: Any) -> bool:
        if time.monotonic() - d.routed_at < ROUTE_SETTLE_SECONDS:
            return False
        blue = [t for t in self._tasks(d) if t.active and t.deployment_id != d.green_deployment_id]
        if not d.cleanup_started:
            d.cleanup_started = True
            service.load_balancers = nl.swapped_load_balancers(service.load_balancers)
            self.revisions[d.target_revision]["resolvedConfiguration"] = resolved_configuration(service.load_balancers)
            reason = f"Scaling activity initiated by (deployment {d.green_deployment_id})"
            for task in blue:
                self.ecs.engine.request_stop(task, reason, model.SERVICE_SCHEDULER_INITIATED)
        if blue:
            return False
        self._finish(d, nl.SUCCESSFUL, "Service deployment completed successfully.")
        return True

    # -------------------------------------------------------------- monitors
    def _monitors_tripped(self, d: ServiceDeployment, service: Any) -> bool:
        names = nl.alarm_names(d.config)
        if names:
            alarms = self.lab.moto.cloudwatch(d.region).alarms
            firing = [n for n in names if n in alarms and alarms[n].state_value == "ALARM"]
            if firing:
                d.triggered_alarms = firing
                final = nl.ROLLBACK_SUCCESSFUL if nl.rolls_back_on_alarm(d.config) else nl.STOPPED
                self._begin_rollback(
                    d, f"Service deployment rolled back because the alarm(s) {', '.join(firing)} went into ALARM.", final, nl.ROLLBACK_IN_PROGRESS
                )
                return True
        self._count_failures(d)
        if nl.breaker_enabled(d.config) and d.failures >= circuit_breaker_threshold(d.desired):
            d.breaker_triggered = True
            final = nl.ROLLBACK_SUCCESSFUL if nl.rolls_back_on_breaker(d.config) else nl.STOPPED
            self._begin_rollback(d, "ECS deployment circuit breaker: tasks failed to start.", final, nl.ROLLBACK_IN_PROGRESS)
            return True
        return False

    def _count_failures(self, d: ServiceDeployment) -> None:
        for task in self._tasks(d, include_stopped=True):
            if task.deployment_id == d.green_deployment_id and task.desired_status == model.STOPPED and not task.failure_counted and is_failure(task):
                task.failure_counted = True
                d.failures += 1

    # -------------------------------------------------------------- rollback
    def _begin_rollback(self, d: ServiceDeployment, reason: str, final_status: str, status: str) -> None:
        d.rollback = {"reason": reason, "startedAt": utcnow().timestamp(), "serviceRevisionArn": d.source_revision}
        d.final_status = final_status
        d.status = status
        d.status_reason = reason
        d.hooks = []
        d.updated_at = utcnow()
        self.lab.wake("ecs")

    def _roll_back(self, d: ServiceDeployment, service: Any) -> None:
        if d.status in (nl.ROLLBACK_REQUESTED, nl.STOP_REQUESTED):
            d.status = nl.ROLLBACK_IN_PROGRESS if d.status == nl.ROLLBACK_REQUESTED else nl.STOP_REQUESTED
        if not d.rollback_routed:
            for routing in d.routings:
                if routing.production_rule and d.production_weight:
                    self._route(d, routing.production_rule, routing, 0)
                if routing.test_rule and d.test_weight:
                    self._route(d, routing.test_rule, routing, 0)
            d.production_weight = d.test_weight = 0
            self._restore_blue(d, service)
            d.rollback_routed = True
            return
        if time.monotonic() - d.routed_at < ROUTE_SETTLE_SECONDS:
            return
        green = [t for t in self._tasks(d) if t.active and t.deployment_id == d.green_deployment_id]
        reason = f"Scaling activity initiated by (deployment {d.blue_deployment_id or d.green_deployment_id})"
        for task in green:
            if task.desired_status == model.RUNNING:
                self.ecs.engine.request_stop(task, reason, model.SERVICE_SCHEDULER_INITIATED)
        if not green:
            final = d.final_status or nl.ROLLBACK_SUCCESSFUL
            self._finish(d, final, d.status_reason)

    def _restore_blue(self, d: ServiceDeployment, service: Any) -> None:
        """The rolling scheduler's records back as before UpdateService: blue PRIMARY, green gone."""
        state = self.ecs.scheduler.state_of(d.region, service)
        green = state.find(d.green_deployment_id)
        blue = state.find(d.blue_deployment_id or "")
        if green is not None:
            green.status = "INACTIVE"
            green.rollout_state = "FAILED"
            green.rollout_state_reason = d.status_reason
            green.touch()
            if green in state.deployments:
                state.deployments.remove(green)
        if blue is not None:
            blue.status = "PRIMARY"
            blue.rollout_state = "COMPLETED"
            blue.touch()
            if blue not in state.deployments:
                state.deployments.insert(0, blue)
        if d.blue_task_definition:
            service.task_definition = d.blue_task_definition
        self.current_revision[d.key] = d.source_revision
        state.event(f"{service_label(service.name)} rolling back service deployment {d.arn.rsplit('/', 1)[-1]}: {d.status_reason}")

    def _finish(self, d: ServiceDeployment, status: str, reason: str) -> None:
        d.status = status
        d.status_reason = reason
        now = utcnow()
        d.finished_at = now
        if status in (nl.STOPPED, nl.ROLLBACK_SUCCESSFUL, nl.ROLLBACK_FAILED):
            d.stopped_at = now
        d.updated_at = now

    # -------------------------------------------------------------- ELB and ECS
    def _route(self, d: ServiceDeployment, rule_arn: str, routing: nl.Routing, green_weight: int) -> None:
        """Splits the forward of a listener rule (ALB) or a listener (NLB) between blue and green."""
        backend = self.lab.moto.elbv2(d.region)
        pair = (routing.blue_target_group, routing.green_target_group)
        actions = _weighted(self._actions(d, rule_arn), pair, green_weight)
        if ":listener-rule/" in rule_arn:
            backend.modify_rule(rule_arn, [], actions)
            listener_arn = backend.describe_rules(None, [rule_arn])[0].listener_arn
        else:
            backend.modify_listener(rule_arn, certificates=[], actions=actions)
            listener_arn = rule_arn
        load_balancer_arn = backend.describe_listeners(None, [listener_arn])[0].load_balancer_arn
        for arn in pair:
            group = backend.target_groups.get(arn)
            if group is not None and load_balancer_arn not in group.load_balancer_arns:
                group.load_balancer_arns.append(load_balancer_arn)
        d.routed_at = time.monotonic()
        self.lab.wake("elasticloadbalancing")

    def _actions(self, d: ServiceDeployment, rule_arn: str) -> list[dict[str, Any]]:
        """The actions of a listener rule (ALB) or the default actions of a listener (NLB)."""
        backend = self.lab.moto.elbv2(d.region)
        if ":listener-rule/" in rule_arn:
            return [dict(a.data) for a in backend.describe_rules(None, [rule_arn])[0].actions]
        return [dict(a.data) for a in backend.describe_listeners(None, [rule_arn])[0].default_actions]

    def _networking_error(self, d: ServiceDeployment) -> str | None:
        """AWS's error when a target group of the pair is on neither listener rule (nl.INVALID_NETWORKING)."""
        for routing in d.routings:
            forwarded = {}
            for rule in (routing.production_rule, routing.test_rule):
                if rule:
                    try:
                        actions = self._actions(d, rule)
                    except Exception:  # noqa: BLE001 - moto raises its own not-found errors: the rule forwards nowhere
                        actions = []
                    forwarded[rule] = set().union(*(codedeploy_lifecycle.forwarded_target_groups(a) for a in actions))
            if nl.unassociated_target_groups(routing, forwarded):
                return nl.INVALID_NETWORKING
        return None

    def _service(self, d: ServiceDeployment) -> Any:
        found = self.lab.moto.ecs(d.region).services.get(f"{d.cluster_name}:{d.service_name}")
        return found if found is not None and found.status == "ACTIVE" else None

    def _tasks(self, d: ServiceDeployment, include_stopped: bool = False) -> list[model.TaskRecord]:
        tasks = self.ecs.engine.of_service(d.region, d.cluster_name, d.service_name)
        return tasks if include_stopped else [t for t in tasks if t.active]

    # -------------------------------------------------------------- rendering
    def render(self, d: ServiceDeployment) -> dict[str, Any]:
        tasks = self._tasks(d)
        green = [t for t in tasks if t.deployment_id == d.green_deployment_id]
        blue = [t for t in tasks if t.deployment_id != d.green_deployment_id]
        body: dict[str, Any] = {
            "serviceDeploymentArn": d.arn,
            "serviceArn": d.service_arn,
            "clusterArn": d.cluster_arn,
            "createdAt": epoch(d.created_at),
            "startedAt": epoch(d.started_at),
            "finishedAt": epoch(d.finished_at),
            "stoppedAt": epoch(d.stopped_at),
            "updatedAt": epoch(d.updated_at),
            "sourceServiceRevisions": [
                _revision_summary(d.source_revision, d.desired if not d.cleanup_started else 0, blue, 100 - d.test_weight, 100 - d.production_weight)
            ],
            "targetServiceRevision": _revision_summary(d.target_revision, d.desired, green, d.test_weight, d.production_weight),
            "status": d.status,
            "statusReason": d.status_reason,
            "lifecycleStage": d.stage,
            "lifecycleHookDetails": [_public(h) for h in d.hooks],
            "deploymentConfiguration": d.config,
            "deploymentCircuitBreaker": {
                "status": nl.monitor_status(nl.breaker_enabled(d.config), d.breaker_triggered, not d.active),
                "failureCount": d.failures,
                "threshold": circuit_breaker_threshold(d.desired),
            },
            "alarms": {
                "status": nl.monitor_status(bool(nl.alarm_names(d.config)), bool(d.triggered_alarms), not d.active),
                "alarmNames": list(nl.alarm_names(d.config)),
                "triggeredAlarmNames": d.triggered_alarms,
            },
        }
        if d.rollback:
            body["rollback"] = d.rollback
        return {k: v for k, v in body.items() if v is not None}

    def brief(self, d: ServiceDeployment) -> dict[str, Any]:
        body = {
            "serviceDeploymentArn": d.arn,
            "serviceArn": d.service_arn,
            "clusterArn": d.cluster_arn,
            "createdAt": epoch(d.created_at),
            "startedAt": epoch(d.started_at),
            "finishedAt": epoch(d.finished_at),
            "targetServiceRevisionArn": d.target_revision,
            "status": d.status,
            "statusReason": d.status_reason,
        }
        return {k: v for k, v in body.items() if v is not None}


def _weighted(actions: list[dict[str, Any]], pair: tuple[str, str], green_weight: int) -> list[dict[str, Any]]:
    """CodeDeploy's reweighting of the pair; a rule forwarding elsewhere is pointed at the pair."""
    blue, green = pair
    reweighted = codedeploy_lifecycle.reweighted_actions(actions, blue, green, green_weight)
    return reweighted if reweighted is not None else [codedeploy_lifecycle.forward_action(blue, green, green_weight)]


def _revision_summary(arn: str, requested: int, tasks: list[model.TaskRecord], test_weight: int, production_weight: int) -> dict[str, Any]:
    return {
        "arn": arn,
        "requestedTaskCount": requested,
        "runningTaskCount": sum(t.last_status == model.RUNNING for t in tasks),
        "pendingTaskCount": sum(t.last_status in model.STARTING_STATES for t in tasks),
        "requestedTestTrafficWeight": float(test_weight),
        "requestedProductionTrafficWeight": float(production_weight),
    }


def resolved_configuration(load_balancers: list[dict[str, Any]]) -> dict[str, Any]:
    """A revision's ``resolvedConfiguration``: the target group each load balancer of it serves from."""
    return {
        "loadBalancers": [
            {"targetGroupArn": lb.get("targetGroupArn"), "productionListenerRule": (lb.get("advancedConfiguration") or {}).get("productionListenerRule")}
            for lb in load_balancers
        ]
    }


def _public(hook: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in hook.items() if not k.startswith("_")}


def _cluster_arn(lab: Lab, region: str, cluster_name: str) -> str:
    return f"arn:aws:ecs:{region}:{lab.moto.account_id}:cluster/{cluster_name}"
