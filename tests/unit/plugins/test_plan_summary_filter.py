"""The plan_summary filter: registered results of resource tasks to the resources that change."""

from __future__ import annotations

import pytest

from ansible_collections.cutover.ecs.plugins.filter.plan_summary import FilterModule, plan_summary


def test_our_modules_give_action_and_fields_others_give_change_and_the_rest_is_left_out() -> None:
    results = {
        "target group": {
            "changed": True,
            "results": [
                {"item": "blue", "changed": True, "plan": {"action": "update", "fields": ["HealthyThresholdCount"]}},
                {"item": "green", "changed": False, "plan": {"action": "none", "fields": []}},
            ],
        },
        "service": {"changed": True, "plan": {"action": "create", "fields": ["desiredCount", "taskDefinition"]}},
        "security group": {"changed": True, "group_id": "sg-1"},
        "log group": {"changed": False},
        "CodeDeploy group": {"skipped": True, "changed": False},
        "cluster": {"changed": False, "plan": {"action": "none", "fields": []}},
        "task definition planned only": {"changed": False, "plan": {"action": "create", "fields": ["family"]}},
    }
    assert plan_summary(results) == [
        {"resource": "target group blue", "action": "update", "fields": ["HealthyThresholdCount"], "line": "update target group blue: HealthyThresholdCount"},
        {"resource": "service", "action": "create", "fields": ["desiredCount", "taskDefinition"], "line": "create service"},
        {"resource": "security group", "action": "change", "fields": [], "line": "change security group"},
    ]


def test_nothing_changes_gives_an_empty_plan_and_bad_input_is_refused() -> None:
    assert plan_summary({"cluster": {"changed": False, "plan": {"action": "none", "fields": []}}, "absent": None}) == []
    with pytest.raises(TypeError, match="dict of label to registered result"):
        plan_summary(["not", "a", "dict"])
    assert FilterModule().filters()["plan_summary"] is plan_summary
