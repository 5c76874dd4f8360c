"""``.lab/calls.jsonl``: one line per API call the endpoint answered, and its summary.

Benchmarks and the IAM-policy generator read this log, so its fields are fixed:
``time`` (epoch seconds), ``service`` (SigV4 signing name), ``operation``,
``mutating``, ``status`` (HTTP), ``region``, ``ms`` (time to answer), and
``fault`` when the fault table answered instead of the store, and ``ansible: true`` when the
caller's User-Agent names Ansible (the calls of Ansible modules, as opposed to a test's own boto3).
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class CallRecord:
    time: float
    service: str
    operation: str
    mutating: bool
    status: int
    region: str
    ms: float
    fault: str | None = None
    ansible: bool = False

    def to_json(self) -> str:
        data = asdict(self)
        if data["fault"] is None:
            del data["fault"]
        if not data["ansible"]:
            del data["ansible"]
        return json.dumps(data, separators=(",", ":"))


def from_ansible(user_agent: str | None) -> bool:
    """amazon.aws's clients (and so every Ansible AWS module's) send ``APN/1.0 Ansible/<version> ...``."""
    return "Ansible/" in (user_agent or "")


class CallLog:
    """Appends records; one lock so lines from concurrent requests never interleave."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        path.parent.mkdir(parents=True, exist_ok=True)
        self._file = path.open("a", buffering=1, encoding="utf-8")

    def append(self, record: CallRecord) -> None:
        line = record.to_json() + "\n"
        with self._lock:
            self._file.write(line)

    def close(self) -> None:
        with self._lock:
            self._file.close()


def read_calls(path: Path) -> Iterator[dict[str, Any]]:
    """Records of a calls file; a torn last line (writer killed mid-write) is skipped."""
    try:
        handle = path.open(encoding="utf-8")
    except FileNotFoundError:
        return
    with handle:
        for line in handle:
            try:
                yield json.loads(line)
            except ValueError:
                continue


def summarize(records: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """Counts per service and operation, mutating calls, and HTTP statuses."""
    total = 0
    mutating = 0
    statuses: Counter[str] = Counter()
    operations: dict[str, dict[str, Any]] = {}
    for record in records:
        total += 1
        status = str(record.get("status"))
        statuses[status] += 1
        key = f"{record.get('service')}:{record.get('operation')}"
        entry = operations.setdefault(key, {"count": 0, "mutating": bool(record.get("mutating")), "statuses": Counter()})
        entry["count"] += 1
        entry["statuses"][status] += 1
        if record.get("mutating"):
            mutating += 1
    return {
        "total": total,
        "mutating": mutating,
        "statuses": dict(sorted(statuses.items())),
        "operations": {key: {**value, "statuses": dict(sorted(value["statuses"].items()))} for key, value in sorted(operations.items())},
    }


def format_summary(summary: dict[str, Any]) -> str:
    lines = [f"{summary['total']} calls, {summary['mutating']} mutating; statuses {summary['statuses']}"]
    for key, entry in summary["operations"].items():
        flag = "M" if entry["mutating"] else " "
        statuses = " ".join(f"{status}x{count}" for status, count in entry["statuses"].items())
        lines.append(f"  {flag} {entry['count']:6d}  {key:55s} {statuses}")
    return "\n".join(lines)
