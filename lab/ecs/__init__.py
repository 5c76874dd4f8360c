"""ECS in the lab: tasks as real containers, the rolling-update service scheduler, task sets."""

from __future__ import annotations
