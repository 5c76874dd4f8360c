"""make_result's ``plan``: what a resource module did (or would do in check mode), field by field."""

from __future__ import annotations

import pytest

from ansible_collections.cutover.ecs.plugins.module_utils._module import Change, make_result, plan_of


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (Change("create", after={"a": 1}, fields=["Port", "HealthCheckPath", "Port"]), {"action": "create", "fields": ["HealthCheckPath", "Port"]}),
        (Change("update", before={}, after={}, fields=["HealthyThresholdCount"]), {"action": "update", "fields": ["HealthyThresholdCount"]}),
        (Change("delete", before={"a": 1}, fields=["ignored"]), {"action": "delete", "fields": []}),
        (Change("none"), {"action": "none", "fields": []}),
    ],
    ids=["create-sorted-once", "update", "delete", "none"],
)
def test_plan_names_the_action_and_the_fields(change: Change, expected: dict) -> None:
    assert plan_of(change) == expected


def test_every_result_carries_the_plan_beside_the_resource_and_the_diff() -> None:
    change = Change("update", before={"Port": 80}, after={"Port": 8080}, fields=["Port"])
    result = make_result("target_group", change, {"TargetGroupName": "web-blue", "Port": 8080}, diff_mode=True, extra_key=1)
    assert result == {
        "changed": True,
        "extra_key": 1,
        "target_group": {"target_group_name": "web-blue", "port": 8080},
        "plan": {"action": "update", "fields": ["Port"]},
        "diff": {"before": {"Port": 80}, "after": {"Port": 8080}},
    }
    assert make_result("cluster", Change("none"), None, diff_mode=False) == {"changed": False, "cluster": {}, "plan": {"action": "none", "fields": []}}


def test_module_options_give_tag_values_as_text():
    """AWS takes tag values as strings only; a YAML number or boolean is the same tag written as text."""
    from types import SimpleNamespace

    from ansible_collections.cutover.ecs.plugins.module_utils._module import module_options

    module = SimpleNamespace(params={"name": "web", "tags": {"stage": 2, "public": False, "team": "a"}, "region": "us-east-1"})
    options = module_options(module)
    assert options["tags"] == {"stage": "2", "public": "False", "team": "a"}
    assert "region" not in options and module.params["tags"]["stage"] == 2  # the params are left as they were
    assert module_options(SimpleNamespace(params={"tags": None}))["tags"] is None
