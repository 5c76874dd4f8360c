"""``.lab/state.json``: everything the lab started or wrote, so ``lab down`` can undo it.

Entries are recorded *before* the thing exists where that is possible (container
names, files) and right after ``Popen`` for processes, so a SIGKILLed serve
process still leaves a complete list behind. Every write replaces the file
atomically (write a sibling, then ``os.replace``).
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any

SECTIONS = ("processes", "containers", "files")


def process_start_time(pid: int) -> int | None:
    """Start time of ``pid`` in clock ticks since boot (field 22 of /proc/PID/stat), None if gone.

    Stored beside each pid so ``lab down`` never signals a process that merely
    reused a recorded pid.
    """
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) may contain spaces and parentheses: split after the last ')'.
    fields = raw[raw.rindex(")") + 2 :].split()
    return int(fields[19])


def same_process_alive(pid: int, start_time: int | None) -> bool:
    """True if ``pid`` runs and is the process that was recorded (same start time)."""
    now = process_start_time(pid)
    if now is None:
        return False
    if _is_zombie(pid):
        return False
    return start_time is None or now == start_time


def _is_zombie(pid: int) -> bool:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return raw[raw.rindex(")") + 2 :].split()[0] == "Z"


def empty_state() -> dict[str, Any]:
    return {"processes": {}, "containers": {}, "files": [], "data": {}}


class State:
    """Thread-safe view of one state file. Read it fresh with ``State.load``."""

    def __init__(self, path: Path, data: dict[str, Any] | None = None) -> None:
        self.path = path
        self._lock = threading.RLock()
        self._data = data if data is not None else empty_state()

    @classmethod
    def load(cls, path: Path) -> State:
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError):
            data = empty_state()
        for key, default in empty_state().items():
            data.setdefault(key, default)
        return cls(path, data)

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return json.loads(json.dumps(self._data))

    def save(self) -> None:
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
            tmp.write_text(json.dumps(self._data, indent=1, sort_keys=True))
            os.replace(tmp, self.path)

    # processes -----------------------------------------------------------

    def add_process(self, name: str, pid: int, **extra: Any) -> None:
        """Record a child process by a unique name (e.g. ``haproxy``, ``registry``, ``serve``)."""
        with self._lock:
            self._data["processes"][name] = {"pid": pid, "start_time": process_start_time(pid), **extra}
            self.save()

    def remove_process(self, name: str) -> None:
        with self._lock:
            if self._data["processes"].pop(name, None) is not None:
                self.save()

    def processes(self) -> dict[str, dict[str, Any]]:
        with self._lock:
            return dict(self._data["processes"])

    # containers ----------------------------------------------------------

    def add_container(self, name: str, runtime: str, **extra: Any) -> None:
        """Record a container by the name the lab gives it, before ``run``; add ``id=`` once known."""
        with self._lock:
            entry = self._data["containers"].setdefault(name, {})
            entry.update({"runtime": runtime, **extra})
            self.save()

    def remove_container(self, name: str) -> None:
        with self._lock:
            if self._data["containers"].pop(name, None) is not None:
                self.save()

    def containers(self) -> dict[str, dict[str, Any]]:
        with self._lock:
            return {name: dict(entry) for name, entry in self._data["containers"].items()}

    # files ---------------------------------------------------------------

    def add_file(self, path: Path | str) -> None:
        """Record a file the lab writes outside its own directory (removed by ``lab down``)."""
        with self._lock:
            text = str(path)
            if text not in self._data["files"]:
                self._data["files"].append(text)
                self.save()

    def remove_file(self, path: Path | str) -> None:
        with self._lock:
            text = str(path)
            if text in self._data["files"]:
                self._data["files"].remove(text)
                self.save()

    def files(self) -> list[str]:
        with self._lock:
            return list(self._data["files"])

    # free-form data (endpoint, loopback table, ...) -------------------------

    def get(self, key: str, default: Any = None) -> Any:
        with self._lock:
            return json.loads(json.dumps(self._data["data"].get(key, default)))

    def set(self, key: str, value: Any) -> None:
        with self._lock:
            self._data["data"][key] = value
            self.save()

    def is_empty(self) -> bool:
        with self._lock:
            return not any(self._data[section] for section in SECTIONS)
