"""Lab time: every wait the lab imitates from AWS goes through ``scaled``.

``LAB_TIME_SCALE=10`` makes a 300 s deregistration delay take 30 s. The scale
is read once per process from the environment (the serve process inherits it
from ``lab up``); ``set_time_scale`` exists for tests and for ``Lab`` start-up.
"""

from __future__ import annotations

import os
import time

_scale = float(os.environ.get("LAB_TIME_SCALE") or 1.0)


def set_time_scale(scale: float) -> None:
    global _scale
    if scale <= 0:
        raise ValueError(f"time scale must be > 0, got {scale}")
    _scale = scale


def time_scale() -> float:
    return _scale


def scaled(seconds: float, *, cap: float | None = None, floor: float = 0.0) -> float:
    """``seconds / LAB_TIME_SCALE``, then clamped into [floor, cap] (cap in lab seconds)."""
    value = seconds / _scale
    if cap is not None:
        value = min(value, cap)
    return max(value, floor)


def sleep_scaled(seconds: float, *, cap: float | None = None) -> None:
    time.sleep(scaled(seconds, cap=cap))


def monotonic() -> float:
    return time.monotonic()
