# Copyright: cutover.ecs contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""plan.traffic_steps and plan.codedeploy_routing: the traffic steps a check-mode plan shows."""

from __future__ import annotations

from typing import Any

import pytest

from ansible_collections.cutover.ecs.plugins.module_utils._deploy import plan


def _steps(*pairs: tuple[Any, int]) -> list[dict]:
    return [{"green_percent": percent, "after_minutes": minute} for percent, minute in pairs]


@pytest.mark.parametrize(
    ("strategy", "settings", "steps"),
    [
        ("codedeploy", {"type": "AllAtOnce"}, _steps((100, 0))),
        ("codedeploy", None, _steps((100, 0))),
        ("codedeploy", {"type": "TimeBasedCanary", "timeBasedCanary": {"canaryPercentage": 10, "canaryInterval": 5}}, _steps((10, 0), (100, 5))),
        (
            "codedeploy",
            {"type": "TimeBasedLinear", "timeBasedLinear": {"linearPercentage": 25, "linearInterval": 2}},
            _steps((25, 0), (50, 2), (75, 4), (100, 6)),
        ),
        # 30, 60, 90 and then the rest: the last step is 100, never above.
        (
            "codedeploy",
            {"type": "TimeBasedLinear", "timeBasedLinear": {"linearPercentage": 30, "linearInterval": 1}},
            _steps((30, 0), (60, 1), (90, 2), (100, 3)),
        ),
        ("ecs", {"strategy": "BLUE_GREEN", "bakeTimeInMinutes": 5}, _steps((100, 0))),
        ("ecs", {"strategy": "CANARY", "canaryConfiguration": {"canaryPercent": 5.0, "canaryBakeTimeInMinutes": 3}}, _steps((5, 0), (100, 3))),
        ("ecs", {"strategy": "CANARY", "canaryConfiguration": {"canaryPercent": 2.5, "canaryBakeTimeInMinutes": 1}}, _steps((2.5, 0), (100, 1))),
        ("ecs", {"strategy": "LINEAR", "linearConfiguration": {"stepPercent": 50.0, "stepBakeTimeInMinutes": 10}}, _steps((50, 0), (100, 10))),
        ("rolling", {"minimumHealthyPercent": 50, "maximumPercent": 150}, []),
    ],
)
def test_traffic_steps(strategy: str, settings: Any, steps: list) -> None:
    assert plan.traffic_steps(strategy, settings)["steps"] == steps


def test_traffic_lines() -> None:
    assert plan.traffic_steps("ecs", {"strategy": "BLUE_GREEN"})["line"] == "all production traffic to green at once"
    canary = {"type": "TimeBasedCanary", "timeBasedCanary": {"canaryPercentage": 10, "canaryInterval": 5}}
    assert plan.traffic_steps("codedeploy", canary)["line"] == "production traffic to green: 10% at minute 0, 100% at minute 5"
    linear = {"type": "TimeBasedLinear", "timeBasedLinear": {"linearPercentage": 10, "linearInterval": 1}}
    assert plan.traffic_steps("codedeploy", linear)["line"] == "production traffic to green: 10% at minute 0, 20% at minute 1, ..., 100% at minute 9"
    assert (
        plan.traffic_steps("rolling", {})["line"] == "rolling update: tasks replaced with at least 100% of the desired count healthy and at most 200% running"
    )


@pytest.mark.parametrize(
    ("name", "create", "routing"),
    [
        ("CodeDeployDefault.ECSAllAtOnce", None, {"type": "AllAtOnce"}),
        (
            "CodeDeployDefault.ECSLinear10PercentEvery3Minutes",
            None,
            {"type": "TimeBasedLinear", "timeBasedLinear": {"linearPercentage": 10, "linearInterval": 3}},
        ),
        ("CodeDeployDefault.ECSCanary10Percent15Minutes", None, {"type": "TimeBasedCanary", "timeBasedCanary": {"canaryPercentage": 10, "canaryInterval": 15}}),
        ("my-own-config", None, None),
        (None, None, None),
    ],
)
def test_codedeploy_routing(name: Any, create: Any, routing: Any) -> None:
    assert plan.codedeploy_routing(name, create) == routing


def test_codedeploy_routing_of_a_config_of_ours() -> None:
    choice = plan.traffic_config({"type": "linear", "percent": 20, "interval_minutes": 2})
    assert choice.create is not None
    assert plan.codedeploy_routing(choice.name, choice.create) == {"type": "TimeBasedLinear", "timeBasedLinear": {"linearPercentage": 20, "linearInterval": 2}}
