"""Pure planning for the ECS rolling update (deployment controller ``ECS``).

Rules followed (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-type-ecs.html):
- ``minimumHealthyPercent`` is the lower limit of tasks that stay RUNNING and
  healthy, as a percentage of the desired count, rounded **up**;
- ``maximumPercent`` is the upper limit of tasks in RUNNING or PENDING state,
  as a percentage of the desired count, rounded **down**;
- unhealthy tasks may be stopped at any time: they do not count as healthy.

Circuit breaker (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-circuit-breaker.html):
the failure threshold is 0.5 x desired count, at least 3 and at most 200.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

DEFAULT_MIN_PERCENT = 100
DEFAULT_MAX_PERCENT = 200
CIRCUIT_BREAKER_MIN_THRESHOLD = 3
CIRCUIT_BREAKER_MAX_THRESHOLD = 200


def min_healthy_tasks(desired: int, min_percent: int) -> int:
    """Tasks that must stay RUNNING and healthy (rounded up)."""
    return math.ceil(desired * min_percent / 100)


def max_tasks(desired: int, max_percent: int) -> int:
    """Tasks allowed in RUNNING or PENDING state (rounded down)."""
    return math.floor(desired * max_percent / 100)


def circuit_breaker_threshold(desired: int) -> int:
    """Failed tasks after which a deployment is FAILED."""
    return min(CIRCUIT_BREAKER_MAX_THRESHOLD, max(CIRCUIT_BREAKER_MIN_THRESHOLD, math.ceil(0.5 * desired)))


def task_set_computed_count(desired: int, scale_percent: float) -> int:
    """A task set's computedDesiredCount: its scale (percent) of the service's
    desired count, rounded up so a non-zero scale always runs a task."""
    if scale_percent <= 0 or desired <= 0:
        return 0
    return min(desired, math.ceil(desired * scale_percent / 100 - 1e-9))


@dataclass(frozen=True)
class Fleet:
    """The tasks of one service at one instant, as the scheduler counts them.

    ``new_*`` belong to the PRIMARY deployment, ``old_*`` to every other one.
    ``healthy`` means RUNNING and passing every health check that applies
    (load balancer, container health check, or just RUNNING when neither).
    ``starting`` means PROVISIONING/PENDING/RUNNING-not-yet-healthy.
    ``stopping`` are tasks already draining or stopping: they still count
    against ``maximumPercent`` until they are STOPPED.
    """

    desired: int
    min_percent: int = DEFAULT_MIN_PERCENT
    max_percent: int = DEFAULT_MAX_PERCENT
    new_healthy: int = 0
    new_starting: int = 0
    old_healthy: int = 0
    old_starting: int = 0
    stopping: int = 0


@dataclass(frozen=True)
class RollingStep:
    """What the scheduler does now; every field is a task count."""

    start_new: int = 0
    stop_old_starting: int = 0
    stop_old_healthy: int = 0
    stop_new_starting: int = 0
    stop_new_healthy: int = 0

    @property
    def idle(self) -> bool:
        return not (self.start_new or self.stop_old_starting or self.stop_old_healthy or self.stop_new_starting or self.stop_new_healthy)


def plan_rolling_step(fleet: Fleet) -> RollingStep:
    """One step of the rolling update, from counts alone.

    Old tasks that are not healthy go first (they protect nothing). Healthy old
    tasks are stopped only while the healthy total stays at or above the
    minimum. New tasks are started up to the desired count, within the maximum.
    """
    floor_healthy = min_healthy_tasks(fleet.desired, fleet.min_percent)
    ceiling = max_tasks(fleet.desired, fleet.max_percent)
    new_total = fleet.new_healthy + fleet.new_starting

    stop_new_starting = min(fleet.new_starting, max(0, new_total - fleet.desired))
    stop_new_healthy = max(0, new_total - stop_new_starting - fleet.desired)

    stop_old_starting = fleet.old_starting
    healthy_total = fleet.new_healthy - stop_new_healthy + fleet.old_healthy
    stop_old_healthy = min(fleet.old_healthy, max(0, healthy_total - floor_healthy))

    active = new_total + fleet.old_healthy + fleet.old_starting + fleet.stopping
    start_new = max(0, min(fleet.desired - new_total, ceiling - active))
    return RollingStep(
        start_new=start_new,
        stop_old_starting=stop_old_starting,
        stop_old_healthy=stop_old_healthy,
        stop_new_starting=stop_new_starting,
        stop_new_healthy=stop_new_healthy,
    )


def deployment_is_steady(fleet: Fleet) -> bool:
    """The PRIMARY deployment runs the desired count, all healthy, and no other
    task is left (the rollout is COMPLETED)."""
    return fleet.new_healthy == fleet.desired and fleet.new_starting == 0 and fleet.old_healthy == 0 and fleet.old_starting == 0 and fleet.stopping == 0
