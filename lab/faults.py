"""The fault table: what the lab breaks on purpose, set by ``python -m lab fault ...``.

Kinds:
- ``throttle``: answer a share of one operation's calls with the protocol's throttling error
  (service and operation may be ``*``: one counter over every call that matches);
- ``fail``: answer a share with a server error (default 500 InternalFailure);
- ``latency``: delay every call of a service (optionally one operation) by some ms;
- ``unhealthy``: the ELB controller makes the targets of a target group fail health;
- ``kill-task``: the ECS controller kills a task's containers (as if it crashed).

Shares are applied deterministically (error diffusion): with share 0.2, exactly
one call in five fails, so a test over N calls sees ``round(N * share)`` faults
instead of a random number.
"""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass, field
from fractions import Fraction
from typing import Any

ANY = "*"

THROTTLE_CODES = {"json": "ThrottlingException", "rest": "ThrottlingException", "query": "Throttling", "ec2": "RequestLimitExceeded"}
# EC2 answers its throttling with HTTP 503 and its own message ("Request throttling for the Amazon EC2
# API", ec2-api-throttling.html: "you get the RequestLimitExceeded error code"); the others with 400.
THROTTLE_STATUS = {"ec2": 503}
THROTTLE_MESSAGES = {"ec2": "Request limit exceeded."}
SERVER_ERROR_CODES = {500: "InternalFailure", 503: "ServiceUnavailable"}


class FaultError(ValueError):
    """A fault spec the table cannot take (bad kind, missing field, share out of range)."""


@dataclass
class ShareFault:
    kind: str  # "throttle" | "fail"
    service: str
    operation: str
    share: float
    status: int | None  # None: the protocol's own (throttle) or 500 (fail)
    code: str | None = None
    seen: int = 0
    fired: int = 0

    def matches(self, service: str, operation: str) -> bool:
        return self.service in (ANY, service) and self.operation in (ANY, operation)

    def should_fire(self) -> bool:
        """Error diffusion: fire when the running quota floor(seen * share) steps up."""
        share = Fraction(self.share).limit_denominator(1_000_000)
        before = int(self.seen * share)
        self.seen += 1
        if int(self.seen * share) > before:
            self.fired += 1
            return True
        return False


@dataclass(frozen=True)
class LatencyFault:
    service: str
    operation: str
    ms: float

    def matches(self, service: str, operation: str) -> bool:
        return self.service in (ANY, service) and self.operation in (ANY, operation)


@dataclass(frozen=True)
class TaskKill:
    cluster: str
    task: str


@dataclass(frozen=True)
class Injected:
    """What the table decided for one call: a delay and maybe an error to answer with."""

    latency_ms: float = 0.0
    kind: str | None = None
    code: str | None = None
    status: int = 200
    message: str = ""


@dataclass
class FaultTable:
    share_faults: list[ShareFault] = field(default_factory=list)
    latencies: list[LatencyFault] = field(default_factory=list)
    unhealthy: list[str] = field(default_factory=list)
    task_kills: list[TaskKill] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()

    # setting -----------------------------------------------------------------

    def apply(self, spec: dict[str, Any]) -> dict[str, Any]:
        """Apply one spec from ``POST /_lab/faults``; returns the table as ``describe()`` does."""
        kind = spec.get("kind")
        handler = {
            "throttle": self._add_share,
            "fail": self._add_share,
            "latency": self._add_latency,
            "unhealthy": self._set_unhealthy,
            "kill-task": self._add_task_kill,
            "clear": self._clear,
        }.get(str(kind))
        if handler is None:
            raise FaultError(f"unknown fault kind {kind!r}")
        with self._lock:
            handler(spec)
        return self.describe()

    def _add_share(self, spec: dict[str, Any]) -> None:
        share = float(_required(spec, "share"))
        if not 0.0 <= share <= 1.0:
            raise FaultError(f"share must be within 0..1, got {share}")
        kind = spec["kind"]
        status = int(spec["status"]) if spec.get("status") else None
        service, operation = _required(spec, "service"), spec.get("operation") or ANY
        # A new spec for the same service and operation replaces the old one.
        self.share_faults = [f for f in self.share_faults if not (f.kind == kind and f.service == service and f.operation == operation)]
        if share > 0:
            self.share_faults.append(ShareFault(kind, service, operation, share, status, spec.get("code")))

    def _add_latency(self, spec: dict[str, Any]) -> None:
        fault = LatencyFault(_required(spec, "service"), spec.get("operation") or ANY, float(_required(spec, "ms")))
        self.latencies = [f for f in self.latencies if (f.service, f.operation) != (fault.service, fault.operation)]
        if fault.ms > 0:
            self.latencies.append(fault)

    def _set_unhealthy(self, spec: dict[str, Any]) -> None:
        target_group = _required(spec, "target_group")
        if spec.get("off"):
            self.unhealthy = [tg for tg in self.unhealthy if tg != target_group]
        elif target_group not in self.unhealthy:
            self.unhealthy.append(target_group)

    def _add_task_kill(self, spec: dict[str, Any]) -> None:
        self.task_kills.append(TaskKill(_required(spec, "cluster"), _required(spec, "task")))

    def _clear(self, spec: dict[str, Any]) -> None:
        self.share_faults, self.latencies, self.unhealthy, self.task_kills = [], [], [], []

    # reading -----------------------------------------------------------------

    def decide(self, service: str, operation: str, protocol: str) -> Injected:
        """The fault for one call. Advances the share counters of matching faults."""
        with self._lock:
            latency = sum(f.ms for f in self.latencies if f.matches(service, operation))
            for fault in self.share_faults:
                if fault.matches(service, operation) and fault.should_fire():
                    return _injected(fault, latency, protocol, operation)
        return Injected(latency_ms=latency)

    def target_group_unhealthy(self, target_group_arn: str) -> bool:
        """True if a fault names this target group by ARN or by name."""
        with self._lock:
            wanted = set(self.unhealthy)
        return target_group_arn in wanted or target_group_name(target_group_arn) in wanted

    def unhealthy_target_groups(self) -> list[str]:
        """ARNs or names as given on the command line."""
        with self._lock:
            return list(self.unhealthy)

    def take_task_kills(self) -> list[TaskKill]:
        """Pending kill-task requests; each is returned once (the caller acts on it)."""
        with self._lock:
            kills, self.task_kills = self.task_kills, []
        return kills

    def describe(self) -> dict[str, Any]:
        with self._lock:
            return {
                "share_faults": [asdict(f) for f in self.share_faults],
                "latencies": [asdict(f) for f in self.latencies],
                "unhealthy": list(self.unhealthy),
                "task_kills": [asdict(k) for k in self.task_kills],
            }


def target_group_name(arn_or_name: str) -> str:
    """``my-tg`` from ``arn:aws:elasticloadbalancing:...:targetgroup/my-tg/0123abcd``; names pass through."""
    marker = ":targetgroup/"
    if marker not in arn_or_name:
        return arn_or_name
    return arn_or_name.split(marker, 1)[1].split("/", 1)[0]


def _injected(fault: ShareFault, latency: float, protocol: str, operation: str) -> Injected:
    if fault.kind == "throttle":
        code = fault.code or THROTTLE_CODES.get(protocol, "ThrottlingException")
        status = fault.status or THROTTLE_STATUS.get(protocol, 400)
        return Injected(latency, "throttle", code, status, THROTTLE_MESSAGES.get(protocol, "Rate exceeded"))
    status = fault.status or 500
    code = fault.code or SERVER_ERROR_CODES.get(status, "InternalFailure")
    return Injected(latency, "fail", code, status, f"lab fault: {operation} failed")


def _required(spec: dict[str, Any], key: str) -> Any:
    value = spec.get(key)
    if value in (None, ""):
        raise FaultError(f"fault {spec.get('kind')!r} needs {key!r}")
    return value
