"""Container health checks of a task definition, run by the lab (``<engine> exec``).

Follows https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_HealthCheck.html:
a container is HEALTHY after a passing check, UNHEALTHY after ``retries``
consecutive failures (failures within ``startPeriod`` do not count), UNKNOWN
before. The task is UNHEALTHY when an essential container is, HEALTHY when
every essential container with a check is, UNKNOWN otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lab import clock

DEFAULT_INTERVAL = 30
DEFAULT_TIMEOUT = 5
DEFAULT_RETRIES = 3
# Intervals are lab seconds after LAB_TIME_SCALE, capped like the load balancer's checks.
INTERVAL_CAP = 5.0


@dataclass(frozen=True)
class HealthCheckSpec:
    command: tuple[str, ...]
    interval: float
    timeout: float
    retries: int
    start_period: float

    @classmethod
    def from_definition(cls, definition: dict[str, Any]) -> HealthCheckSpec | None:
        check = definition.get("healthCheck")
        if not check or not check.get("command"):
            return None
        return cls(
            command=tuple(check["command"]),
            interval=clock.scaled(float(check.get("interval") or DEFAULT_INTERVAL), cap=INTERVAL_CAP),
            timeout=clock.scaled(float(check.get("timeout") or DEFAULT_TIMEOUT), cap=INTERVAL_CAP, floor=1.0),
            retries=int(check.get("retries") or DEFAULT_RETRIES),
            start_period=clock.scaled(float(check.get("startPeriod") or 0)),
        )


def exec_args(engine: str, container_id: str, command: tuple[str, ...]) -> list[str]:
    """``["CMD-SHELL", "curl ..."]`` runs through /bin/sh; ``["CMD", "a", "b"]`` as argv."""
    kind, *rest = command
    if kind == "CMD-SHELL":
        return [engine, "exec", container_id, "/bin/sh", "-c", " ".join(rest)]
    if kind == "CMD":
        return [engine, "exec", container_id, *rest]
    return [engine, "exec", container_id, "/bin/sh", "-c", " ".join(command)]


def next_status(status: str, failures: int, passed: bool, in_start_period: bool, retries: int) -> tuple[str, int]:
    """(container health status, consecutive failures) after one check."""
    if passed:
        return "HEALTHY", 0
    if in_start_period:
        return status, failures
    failures += 1
    return ("UNHEALTHY" if failures >= retries else status), failures


def task_health(containers: list[tuple[bool, bool, str]]) -> str:
    """Task healthStatus from (essential, has check, container status) per container."""
    checked = [status for essential, has_check, status in containers if essential and has_check]
    if any(status == "UNHEALTHY" for status in checked):
        return "UNHEALTHY"
    if checked and all(status == "HEALTHY" for status in checked):
        return "HEALTHY"
    return "UNKNOWN"
