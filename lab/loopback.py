"""Loopback addresses for load balancers and awsvpc tasks, persisted in state.

Linux routes all of 127.0.0.0/8 to ``lo``, so any of these can be bound without
configuring an interface. With the default prefix ``127.0``:
load balancers get 127.0.1.1-254, tasks 127.0.2.1-127.0.9.254. A test lab uses
another prefix (``LAB_LOOPBACK_PREFIX``) so its addresses never clash with a
user's lab.

A prefix belongs to one running lab on the machine: ``lab serve`` claims it with an
exclusive ``flock`` on ``<claims dir>/<prefix>.lock`` and holds the lock for its whole
life, so the kernel releases it when the lab stops, however it stops. ``auto`` (what test
labs ask for) claims the first free prefix of ``127.100``-``127.249`` in random order; two
labs started at the same instant, by two workers or two whole test runs, can never get the
same one.
"""

from __future__ import annotations

import fcntl
import os
import random
import socket
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

from lab.state import State

STATE_KEY = "loopback"
PREFIX_STATE_KEY = "loopback_prefix"
POOLS = {"lb": range(1, 2), "task": range(2, 10)}
AUTO = "auto"
AUTO_SECOND_OCTETS = range(100, 250)
# Machine-wide, like the addresses themselves; LAB_CLAIMS_DIR moves it (a test of the claims).
DEFAULT_CLAIMS_DIR = Path("/tmp/cutover-lab-claims")


class LoopbackExhausted(RuntimeError):
    pass


class LoopbackPrefixInUse(RuntimeError):
    pass


class PrefixClaim:
    """A loopback prefix held by this process until ``release()`` or its exit."""

    def __init__(self, prefix: str, fd: int) -> None:
        self.prefix = prefix
        self._fd: int | None = fd

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the only descriptor drops the flock
            self._fd = None


def claims_dir(environ: dict[str, str] | None = None) -> Path:
    env = os.environ if environ is None else environ
    return Path(env.get("LAB_CLAIMS_DIR") or DEFAULT_CLAIMS_DIR)


def try_claim(prefix: str, directory: Path) -> PrefixClaim | None:
    """The prefix's lock, or None when another running lab holds it."""
    directory.mkdir(mode=0o1777, parents=True, exist_ok=True)
    fd = os.open(directory / f"{prefix}.lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o666)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    os.ftruncate(fd, 0)
    os.write(fd, f"{os.getpid()}\n".encode())
    return PrefixClaim(prefix, fd)


def claim_prefix(requested: str, directory: Path, bindable: Callable[[str, int], bool] | None = None) -> PrefixClaim:
    """Claim ``requested``, or with ``auto`` the first free test prefix (random order).

    A prefix whose load-balancer or task addresses cannot be bound (a lab of an older
    version, or anything else listening there) is passed over too; ``bindable`` (default
    ``port_free``) says which can."""
    bindable = bindable or port_free
    if requested != AUTO:
        claim = try_claim(requested, directory)
        if claim is None:
            raise LoopbackPrefixInUse(
                f"loopback prefix {requested} is in use by another lab on this machine ({directory / (requested + '.lock')}); "
                f"stop that lab, or set LAB_LOOPBACK_PREFIX to another prefix or to {AUTO}"
            )
        return claim
    seconds = list(AUTO_SECOND_OCTETS)
    random.shuffle(seconds)
    for second in seconds:
        prefix = f"127.{second}"
        claim = try_claim(prefix, directory)
        if claim is None:
            continue
        if all(bindable(f"{prefix}.{third}.1", port) for third, port in ((1, 80), (1, 9000), (2, 8080))):
            return claim
        claim.release()
    raise LoopbackExhausted(f"no free loopback prefix in 127.{AUTO_SECOND_OCTETS[0]}-127.{AUTO_SECOND_OCTETS[-1]} (claims in {directory})")


def port_free(host: str, port: int) -> bool:
    """Whether ``host:port`` can be bound now, as the lab's servers bind (TIME_WAIT leftovers of
    old connections do not make it busy)."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except PermissionError:
            return True  # not root: nothing to learn from a privileged port
        except OSError:
            return False
    return True


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
