"""Loopback addresses for load balancers and awsvpc tasks, persisted in state.

Linux routes all of 127.0.0.0/8 to ``lo``, so any of these can be bound without
configuring an interface. With the default prefix ``127.0``:
load balancers get 127.0.1.1-254, tasks 127.0.2.1-127.0.9.254. A test lab uses
another prefix (``LAB_LOOPBACK_PREFIX``) so its addresses never clash with a
user's lab.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

from lab.state import State

STATE_KEY = "loopback"
POOLS = {"lb": range(1, 2), "task": range(2, 10)}


class LoopbackExhausted(RuntimeError):
    pass


def pool_addresses(prefix: str, kind: str) -> Iterator[str]:
    """Every address of a pool in allocation order."""
    for third in POOLS[kind]:
        for fourth in range(1, 255):
            yield f"{prefix}.{third}.{fourth}"


def first_free(prefix: str, kind: str, taken: set[str]) -> str:
    for address in pool_addresses(prefix, kind):
        if address not in taken:
            return address
    raise LoopbackExhausted(f"no free {kind} address under {prefix}")


class Loopback:
    """``allocate(kind, owner)`` is idempotent per owner (an LB ARN, a task ARN)."""

    def __init__(self, state: State, prefix: str) -> None:
        self.state = state
        self.prefix = prefix
        self._lock = threading.Lock()
        self._owners: dict[str, str] = state.get(STATE_KEY, {}) or {}

    def allocate(self, kind: str, owner: str) -> str:
        if kind not in POOLS:
            raise ValueError(f"kind must be one of {sorted(POOLS)}, got {kind!r}")
        with self._lock:
            if owner in self._owners:
                return self._owners[owner]
            address = first_free(self.prefix, kind, set(self._owners.values()))
            self._owners[owner] = address
            self.state.set(STATE_KEY, dict(self._owners))
            return address

    def release(self, owner: str) -> str | None:
        with self._lock:
            address = self._owners.pop(owner, None)
            if address is not None:
                self.state.set(STATE_KEY, dict(self._owners))
            return address

    def address_of(self, owner: str) -> str | None:
        with self._lock:
            return self._owners.get(owner)

    def owner_of(self, address: str) -> str | None:
        with self._lock:
            return next((owner for owner, value in self._owners.items() if value == address), None)

    def allocations(self) -> dict[str, str]:
        with self._lock:
            return dict(self._owners)
