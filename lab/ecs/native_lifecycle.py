"""ECS-native BLUE_GREEN, LINEAR and CANARY deployments: the pure part.

Stages, the order of work and PAUSE hooks, the production traffic schedule, the
validation of a service's deployment configuration and the load balancer swap.
No moto, no clock: ``lab.ecs.native`` carries the plan out.

Pages followed: "Amazon ECS blue/green service deployments workflow"
(blue-green-deployment-how-it-works.html), "Lifecycle hooks for Amazon ECS service
deployments" (deployment-lifecycle-hooks.html), "Amazon ECS linear deployments"
(deployment-type-linear.html), "Amazon ECS canary deployments"
(deployment-type-canary.html), and the ECS API Reference (DeploymentConfiguration,
AdvancedConfiguration, DeploymentLifecycleHook, ServiceDeployment).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lab.codedeploy import lifecycle as codedeploy_lifecycle

ROLLING = "ROLLING"
BLUE_GREEN = "BLUE_GREEN"
LINEAR = "LINEAR"
CANARY = "CANARY"
NATIVE_STRATEGIES = (BLUE_GREEN, LINEAR, CANARY)
STRATEGIES = (ROLLING, *NATIVE_STRATEGIES)

# ServiceDeploymentStatus
PENDING = "PENDING"
IN_PROGRESS = "IN_PROGRESS"
SUCCESSFUL = "SUCCESSFUL"
STOPPED = "STOPPED"
STOP_REQUESTED = "STOP_REQUESTED"
ROLLBACK_REQUESTED = "ROLLBACK_REQUESTED"
ROLLBACK_IN_PROGRESS = "ROLLBACK_IN_PROGRESS"
ROLLBACK_SUCCESSFUL = "ROLLBACK_SUCCESSFUL"
ROLLBACK_FAILED = "ROLLBACK_FAILED"
ACTIVE_STATUSES = (PENDING, IN_PROGRESS, STOP_REQUESTED, ROLLBACK_REQUESTED, ROLLBACK_IN_PROGRESS)

# ServiceDeploymentLifecycleStage
RECONCILE_SERVICE = "RECONCILE_SERVICE"
PRE_SCALE_UP = "PRE_SCALE_UP"
SCALE_UP = "SCALE_UP"
POST_SCALE_UP = "POST_SCALE_UP"
TEST_TRAFFIC_SHIFT = "TEST_TRAFFIC_SHIFT"
POST_TEST_TRAFFIC_SHIFT = "POST_TEST_TRAFFIC_SHIFT"
PRE_PRODUCTION_TRAFFIC_SHIFT = "PRE_PRODUCTION_TRAFFIC_SHIFT"  # a hook stage only, reported as PRODUCTION_TRAFFIC_SHIFT
PRODUCTION_TRAFFIC_SHIFT = "PRODUCTION_TRAFFIC_SHIFT"
POST_PRODUCTION_TRAFFIC_SHIFT = "POST_PRODUCTION_TRAFFIC_SHIFT"
BAKE_TIME = "BAKE_TIME"
CLEAN_UP = "CLEAN_UP"
HOOK_STAGES = (
    RECONCILE_SERVICE,
    PRE_SCALE_UP,
    POST_SCALE_UP,
    TEST_TRAFFIC_SHIFT,
    POST_TEST_TRAFFIC_SHIFT,
    PRE_PRODUCTION_TRAFFIC_SHIFT,
    PRODUCTION_TRAFFIC_SHIFT,
    POST_PRODUCTION_TRAFFIC_SHIFT,
)

# hook statuses (DeploymentLifecycleHookStatus) and actions
AWAITING_ACTION = "AWAITING_ACTION"
HOOK_SUCCEEDED = "SUCCEEDED"
HOOK_FAILED = "FAILED"
HOOK_TIMED_OUT = "TIMED_OUT"
CONTINUE = "CONTINUE"
ROLLBACK = "ROLLBACK"
ABORT = "ABORT"
DEFAULT_HOOK_TIMEOUT_MINUTES = 1440  # DeploymentLifecycleHookTimeoutConfiguration: default 24 hours
DEFAULT_HOOK_TIMEOUT_ACTION = ROLLBACK


@dataclass(frozen=True)
class Step:
    """One step of a deployment: ``stage`` is what DescribeServiceDeployments reports;
    ``kind`` is ``hook`` (PAUSE hooks of ``name`` run) or ``work`` (the engine's ``name``)."""

    stage: str
    kind: str
    name: str


# Work then hooks inside a stage: the hooks of a stage run once its work is done (test traffic
# has moved when a TEST_TRAFFIC_SHIFT hook runs); PRE_PRODUCTION_TRAFFIC_SHIFT before any shift.
PLAN: tuple[Step, ...] = (
    Step(RECONCILE_SERVICE, "hook", RECONCILE_SERVICE),
    Step(PRE_SCALE_UP, "hook", PRE_SCALE_UP),
    Step(SCALE_UP, "work", "scale_up"),
    Step(POST_SCALE_UP, "hook", POST_SCALE_UP),
    Step(TEST_TRAFFIC_SHIFT, "work", "test_traffic"),
    Step(TEST_TRAFFIC_SHIFT, "hook", TEST_TRAFFIC_SHIFT),
    Step(POST_TEST_TRAFFIC_SHIFT, "hook", POST_TEST_TRAFFIC_SHIFT),
    Step(PRODUCTION_TRAFFIC_SHIFT, "hook", PRE_PRODUCTION_TRAFFIC_SHIFT),
    Step(PRODUCTION_TRAFFIC_SHIFT, "work", "production_traffic"),
    Step(PRODUCTION_TRAFFIC_SHIFT, "hook", PRODUCTION_TRAFFIC_SHIFT),
    Step(POST_PRODUCTION_TRAFFIC_SHIFT, "hook", POST_PRODUCTION_TRAFFIC_SHIFT),
    Step(BAKE_TIME, "work", "bake"),
    Step(CLEAN_UP, "work", "clean_up"),
)


def step_at(index: int) -> Step:
    return PLAN[min(index, len(PLAN) - 1)]


def is_last_step(index: int) -> bool:
    return index >= len(PLAN) - 1


# configuration -------------------------------------------------------------------------


def strategy_of(config: dict[str, Any] | None) -> str:
    return (config or {}).get("strategy") or ROLLING


def is_native(config: dict[str, Any] | None) -> bool:
    return strategy_of(config) in NATIVE_STRATEGIES


@dataclass(frozen=True)
class Routing:
    """What the engine routes for one load balancer of the service."""

    blue_target_group: str
    green_target_group: str
    production_rule: str | None
    test_rule: str | None
    container_name: str
    container_port: int


def routings_of(load_balancers: list[dict[str, Any]] | None) -> tuple[Routing, ...]:
    """The load balancers that have an ``advancedConfiguration``."""
    found = []
    for lb in load_balancers or []:
        advanced = lb.get("advancedConfiguration") or {}
        if not advanced.get("alternateTargetGroupArn") or not lb.get("targetGroupArn"):
            continue
        found.append(
            Routing(
                blue_target_group=lb["targetGroupArn"],
                green_target_group=advanced["alternateTargetGroupArn"],
                production_rule=advanced.get("productionListenerRule"),
                test_rule=advanced.get("testListenerRule"),
                container_name=lb.get("containerName") or "",
                container_port=int(lb.get("containerPort") or 0),
            )
        )
    return tuple(found)


# "Ensure that your Application Load Balancer target groups are properly associated with listener
# rules: If you are not using test listeners, both target groups (production and test) must be
# associated with production listener rules. If you are using test listeners, one target group must
# be linked to production listener rules and the other to test listener rules." The error AWS gives
# otherwise, quoted from the same page (migrate-code-deploy-to-ecs-blue-green.html):
INVALID_NETWORKING = (
    "Service deployment rolled back because of invalid networking configuration. "
    "Both targetGroup and alternateTargetGroup must be associated with the productionListenerRule or testListenerRule."
)


def unassociated_target_groups(routing: Routing, forwarded: dict[str, set[str]]) -> set[str]:
    """The target groups of ``routing`` that neither of its listener rules forwards to.

    ``forwarded``: listener rule (or NLB listener) ARN -> the target groups its forward actions name,
    at any weight (a weight-0 group is associated with the rule)."""
    rules = [rule for rule in (routing.production_rule, routing.test_rule) if rule]
    associated = set().union(*(forwarded.get(rule, set()) for rule in rules))
    return {routing.blue_target_group, routing.green_target_group} - associated


def green_load_balancers(load_balancers: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    """The service's load balancers as green tasks register: in the alternate target group."""
    result = []
    for lb in load_balancers or []:
        advanced = lb.get("advancedConfiguration") or {}
        green = advanced.get("alternateTargetGroupArn")
        entry = {k: v for k, v in lb.items() if k != "advancedConfiguration"}
        if green:
            entry["targetGroupArn"] = green
        result.append(entry)
    return result


def swapped_load_balancers(load_balancers: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    """After a successful deployment green is production: its target group becomes
    ``targetGroupArn`` and the old one the ``alternateTargetGroupArn`` for the next deployment."""
    result = []
    for lb in load_balancers or []:
        advanced = lb.get("advancedConfiguration") or {}
        green = advanced.get("alternateTargetGroupArn")
        if not green or not lb.get("targetGroupArn"):
            result.append(dict(lb))
            continue
        result.append({**lb, "targetGroupArn": green, "advancedConfiguration": {**advanced, "alternateTargetGroupArn": lb["targetGroupArn"]}})
    return result


def config_error(config: dict[str, Any] | None, load_balancers: list[dict[str, Any]] | None, controller: str) -> str | None:
    """Why AWS refuses this deployment configuration (InvalidParameterException), or None."""
    config = config or {}
    strategy = strategy_of(config)
    if strategy not in STRATEGIES:
        return f"Invalid deployment strategy {strategy!r}: valid values are {', '.join(STRATEGIES)}."
    if strategy == ROLLING:
        return None
    if controller != "ECS":
        return f"The {strategy} deployment strategy is only supported with the ECS deployment controller."
    for lb in load_balancers or []:
        advanced = lb.get("advancedConfiguration")
        if advanced is None:
            continue
        if not advanced.get("alternateTargetGroupArn"):
            return "advancedConfiguration.alternateTargetGroupArn is required when advancedConfiguration is specified."
        if advanced["alternateTargetGroupArn"] == lb.get("targetGroupArn"):
            return "The alternate target group must be different from the target group of the load balancer."
        if not advanced.get("productionListenerRule"):
            return "advancedConfiguration.productionListenerRule is required when advancedConfiguration is specified."
        if not advanced.get("roleArn"):
            return "advancedConfiguration.roleArn is required when advancedConfiguration is specified."
    if load_balancers and not routings_of(load_balancers):
        return f"The {strategy} deployment strategy requires an alternate target group: specify loadBalancers[].advancedConfiguration.alternateTargetGroupArn."
    return _strategy_settings_error(config, strategy) or _hooks_error(config.get("lifecycleHooks") or [])


def settings_for_strategy(config: dict[str, Any], strategy: str | None) -> dict[str, Any]:
    """``config`` without another strategy's settings, when an update names ``strategy``."""
    if not strategy:
        return dict(config)
    own = {LINEAR: "linearConfiguration", CANARY: "canaryConfiguration"}.get(strategy)
    return {k: v for k, v in config.items() if k not in ("linearConfiguration", "canaryConfiguration") or k == own}


def _strategy_settings_error(config: dict[str, Any], strategy: str) -> str | None:
    bake = config.get("bakeTimeInMinutes")
    if bake is not None and not 0 <= int(bake) <= 1440:
        return "bakeTimeInMinutes must be between 0 and 1440."
    if strategy == LINEAR:
        linear = config.get("linearConfiguration") or {}
        step = float(linear.get("stepPercent") or 0)
        if not 3.0 <= step <= 100.0:
            return "linearConfiguration.stepPercent must be between 3.0 and 100.0."
    elif config.get("linearConfiguration"):
        return f"linearConfiguration is only supported with the LINEAR deployment strategy, not {strategy}."
    if strategy == CANARY:
        canary = config.get("canaryConfiguration") or {}
        percent = float(canary.get("canaryPercent") or 0)
        if not 0.1 <= percent <= 100.0:
            return "canaryConfiguration.canaryPercent must be between 0.1 and 100.0."
    elif config.get("canaryConfiguration"):
        return f"canaryConfiguration is only supported with the CANARY deployment strategy, not {strategy}."
    return None


def _hooks_error(hooks: list[dict[str, Any]]) -> str | None:
    for hook in hooks:
        target = hook.get("targetType") or "AWS_LAMBDA"
        if target == "AWS_LAMBDA":
            return "AWS_LAMBDA lifecycle hooks are not supported by the lab: it cannot run Lambda functions. Use targetType PAUSE."
        if target != "PAUSE":
            return f"Invalid lifecycle hook targetType {target!r}: valid values are AWS_LAMBDA, PAUSE."
        stages = hook.get("lifecycleStages") or []
        if not stages:
            return "lifecycleHooks[].lifecycleStages must contain at least one stage."
        unknown = [s for s in stages if s not in HOOK_STAGES]
        if unknown:
            return f"Invalid lifecycle stage {unknown[0]!r} for a lifecycle hook: valid values are {', '.join(HOOK_STAGES)}."
    return None


# hooks ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class PauseHook:
    index: int  # position in lifecycleHooks
    timeout_minutes: int
    timeout_action: str


def pause_hooks_at(config: dict[str, Any] | None, hook_stage: str) -> tuple[PauseHook, ...]:
    """The PAUSE hooks configured for ``hook_stage``, with their timeout settings."""
    found = []
    for index, hook in enumerate((config or {}).get("lifecycleHooks") or []):
        if hook.get("targetType") == "PAUSE" and hook_stage in (hook.get("lifecycleStages") or []):
            timeout = hook.get("timeoutConfiguration") or {}
            found.append(
                PauseHook(index, int(timeout.get("timeoutInMinutes") or DEFAULT_HOOK_TIMEOUT_MINUTES), timeout.get("action") or DEFAULT_HOOK_TIMEOUT_ACTION)
            )
    return tuple(found)


def hooks_outcome(statuses: list[str]) -> str:
    """What a hook step does next: ``wait`` while any hook awaits action, ``rollback`` when
    one failed, ``continue`` when all succeeded."""
    if any(s == HOOK_FAILED for s in statuses):
        return "rollback"
    if any(s == AWAITING_ACTION for s in statuses):
        return "wait"
    return "continue"


# production traffic --------------------------------------------------------------------


def production_schedule(config: dict[str, Any] | None) -> tuple[codedeploy_lifecycle.ShiftStep, ...]:
    """Green's production weight over time: all at once (BLUE_GREEN), ``stepPercent`` every
    ``stepBakeTimeInMinutes`` (LINEAR), ``canaryPercent`` then the rest after
    ``canaryBakeTimeInMinutes`` (CANARY). Shares CodeDeploy's schedule arithmetic."""
    config = config or {}
    strategy = strategy_of(config)
    if strategy == LINEAR:
        linear = config.get("linearConfiguration") or {}
        routing = codedeploy_lifecycle.TrafficRouting(
            codedeploy_lifecycle.TIME_BASED_LINEAR, _percent(linear.get("stepPercent")), int(linear.get("stepBakeTimeInMinutes") or 0)
        )
    elif strategy == CANARY:
        canary = config.get("canaryConfiguration") or {}
        routing = codedeploy_lifecycle.TrafficRouting(
            codedeploy_lifecycle.TIME_BASED_CANARY, _percent(canary.get("canaryPercent")), int(canary.get("canaryBakeTimeInMinutes") or 0)
        )
    else:
        routing = codedeploy_lifecycle.TrafficRouting()
    if routing.percentage >= 100:
        return (codedeploy_lifecycle.ShiftStep(0, 100),)
    return codedeploy_lifecycle.shift_schedule(routing)


def _percent(value: Any) -> int:
    """Listener weights are whole numbers: a fractional percent rounds up so a canary gets traffic."""
    number = float(value or 0)
    return max(1, min(100, int(-(-number // 1))))


green_weight_at = codedeploy_lifecycle.green_weight_at


def bake_minutes(config: dict[str, Any] | None) -> int:
    return int((config or {}).get("bakeTimeInMinutes") or 0)


# rollback monitors ---------------------------------------------------------------------


def alarm_names(config: dict[str, Any] | None) -> tuple[str, ...]:
    alarms = (config or {}).get("alarms") or {}
    return tuple(alarms.get("alarmNames") or ()) if alarms.get("enable") else ()


def rolls_back_on_alarm(config: dict[str, Any] | None) -> bool:
    alarms = (config or {}).get("alarms") or {}
    return bool(alarms.get("enable") and alarms.get("rollback"))


def breaker_enabled(config: dict[str, Any] | None) -> bool:
    return bool(((config or {}).get("deploymentCircuitBreaker") or {}).get("enable"))


def rolls_back_on_breaker(config: dict[str, Any] | None) -> bool:
    breaker = (config or {}).get("deploymentCircuitBreaker") or {}
    return bool(breaker.get("enable") and breaker.get("rollback"))


def monitor_status(enabled: bool, triggered: bool, finished: bool) -> str:
    """ServiceDeploymentRollbackMonitorsStatus."""
    if not enabled:
        return "DISABLED"
    if triggered:
        return "TRIGGERED"
    return "MONITORING_COMPLETE" if finished else "MONITORING"
