"""Target health as AWS reports it, from what HAProxy says about a server. Pure.

States and reason codes follow
https://docs.aws.amazon.com/elasticloadbalancing/latest/application/target-group-health-checks.html
(descriptions are AWS's wording). The thresholds follow
https://docs.aws.amazon.com/AmazonECS/latest/developerguide/load-balancer-healthcheck.html:
"For newly registered targets, only one successful health check is required to
consider the target healthy, regardless of the healthy threshold count setting.
The healthy threshold count only applies when a target transitions from
unhealthy back to healthy."

How HAProxy gives exactly that: a new server is activated in ``drain`` (checks
run, no traffic) with full check health; the data plane sets it ``ready`` after
its first passing check. If instead ``fall`` checks fail, HAProxy marks it DOWN
(unhealthy), and from DOWN it needs ``rise`` passing checks to come back.
"""

from __future__ import annotations

from dataclasses import dataclass

from lab.elb.runtime import ServerStat

INITIAL, HEALTHY, UNHEALTHY, UNUSED, DRAINING, UNAVAILABLE = "initial", "healthy", "unhealthy", "unused", "draining", "unavailable"

PASSED_CHECKS = frozenset({"L4OK", "L6OK", "L7OK", "L7OKC"})
TIMEOUT_CHECKS = frozenset({"L4TOUT", "L6TOUT", "L7TOUT"})


@dataclass(frozen=True)
class TargetHealth:
    state: str
    reason: str | None = None
    description: str | None = None


REGISTRATION_IN_PROGRESS = TargetHealth(INITIAL, "Elb.RegistrationInProgress", "Target registration is in progress")
INITIAL_HEALTH_CHECKING = TargetHealth(INITIAL, "Elb.InitialHealthChecking", "Initial health checks in progress")
NOT_IN_USE = TargetHealth(UNUSED, "Target.NotInUse", "Target group is not configured to receive traffic from the load balancer")
NOT_REGISTERED = TargetHealth(UNUSED, "Target.NotRegistered", "Target is not registered to the target group")
DEREGISTRATION_IN_PROGRESS = TargetHealth(DRAINING, "Target.DeregistrationInProgress", "Target deregistration is in progress")
HEALTH_CHECK_DISABLED = TargetHealth(UNAVAILABLE, "Target.HealthCheckDisabled", "Health checks are disabled")
HEALTHY_TARGET = TargetHealth(HEALTHY)


@dataclass(frozen=True)
class ServerFacts:
    """What the data plane remembers of a server that HAProxy does not keep."""

    activated_at: float
    awaiting_first_check: bool = True  # in drain until its first check passes (or it goes DOWN)


def failure(stat: ServerStat, http: bool) -> TargetHealth:
    """The unhealthy reason of the last failed check. Timeout and code mismatch are ALB-only reasons."""
    if http and stat.check_status == "L7STS":
        return TargetHealth(UNHEALTHY, "Target.ResponseCodeMismatch", f"Health checks failed with these codes: [{stat.check_code or '000'}]")
    if http and stat.check_status in TIMEOUT_CHECKS:
        return TargetHealth(UNHEALTHY, "Target.Timeout", "Request timed out")
    return TargetHealth(UNHEALTHY, "Target.FailedHealthChecks", "Health checks failed")


def first_check_decided(stat: ServerStat | None) -> bool:
    """A server awaiting its first check can go in service: it passed one, or HAProxy gave up on it (DOWN)."""
    return stat is not None and (stat.check_status in PASSED_CHECKS or stat.status.startswith("DOWN"))


def target_health(*, used: bool, checks_enabled: bool, http: bool, stat: ServerStat | None, facts: ServerFacts | None) -> TargetHealth:
    """Health of one registered target. ``stat``: HAProxy's row (None until the controller added it)."""
    if not used:
        return NOT_IN_USE
    if not checks_enabled:
        return HEALTH_CHECK_DISABLED
    if stat is None or facts is None or stat.status == "MAINT":
        return REGISTRATION_IN_PROGRESS
    if stat.status.startswith("DOWN"):
        # DOWN after UnhealthyThresholdCount failures, or "DOWN 1/5" while climbing back.
        return failure(stat, http)
    if facts.awaiting_first_check:
        # Healthy once the data plane has put it in service (its next pass): health and traffic agree.
        return INITIAL_HEALTH_CHECKING
    if stat.is_up:
        return HEALTHY_TARGET
    return INITIAL_HEALTH_CHECKING
