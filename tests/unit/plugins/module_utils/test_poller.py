from __future__ import annotations

import pytest

from ansible_collections.cutover.ecs.plugins.module_utils._errors import CutoverError, WaitTimeout
from ansible_collections.cutover.ecs.plugins.module_utils._poller import Poller


class FakeClock:
    def __init__(self):
        self.now = 100.0
        self.sleeps = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


def test_returns_first_ready_state_and_reports_each_poll():
    clock = FakeClock()
    states = iter([1, 2, 3, 4])
    seen = []
    poller = Poller(60, interval=5, clock=clock, sleep=clock.sleep, on_poll=lambda state, elapsed: seen.append((state, elapsed)))
    assert poller.wait(lambda: next(states), lambda s: s == 3, "three") == 3
    assert seen == [(1, 0.0), (2, 5.0), (3, 10.0)]
    assert clock.sleeps == [5, 5]


def test_timeout_carries_last_state_and_never_oversleeps():
    clock = FakeClock()
    poller = Poller(12, interval=5, clock=clock, sleep=clock.sleep)
    with pytest.raises(WaitTimeout) as info:
        poller.wait(lambda: {"status": "PENDING", "at": clock.now}, lambda s: False, "the thing")
    assert info.value.last_state["status"] == "PENDING"
    assert info.value.details["last_state"]["at"] == 112.0
    assert clock.sleeps == [5, 5, 2]
    assert "wait_timeout" in str(info.value)


def test_failed_predicate_stops_early():
    clock = FakeClock()
    poller = Poller(60, interval=1, clock=clock, sleep=clock.sleep)
    with pytest.raises(CutoverError, match="deploy failed: tasks crashed"):
        poller.wait(lambda: "FAILED", lambda s: s == "DONE", "deploy", failed=lambda s: "tasks crashed" if s == "FAILED" else None)
    assert clock.sleeps == []
