"""cutover.ecs.cluster against moto: check mode, apply, re-apply, modify, delete."""

from __future__ import annotations

from moto_counting_server import mutating_calls

NAME = "it-cluster"


def test_cluster_lifecycle(run_module):
    args = dict(name=NAME, container_insights="enabled", tags={"team": "payments"})

    result, calls = run_module("cluster", args, check=True, diff=True)
    assert result["changed"] is True, result
    assert result["cluster"]["cluster_name"] == NAME
    assert result["diff"]["before"] == {}
    assert mutating_calls(calls) == []

    result, calls = run_module("cluster", args)
    assert result["changed"] is True, result
    assert result["cluster"]["status"] == "ACTIVE"
    assert result["cluster"]["tags"] == {"team": "payments"}
    assert mutating_calls(calls) == ["ecs:CreateCluster"]

    result, calls = run_module("cluster", args)
    assert result["changed"] is False, result
    assert mutating_calls(calls) == []

    modified = dict(args, container_insights="disabled", tags={"team": "search"})
    result, calls = run_module("cluster", modified, check=True)
    assert result["changed"] is True
    assert mutating_calls(calls) == []

    result, calls = run_module("cluster", modified, diff=True)
    assert result["changed"] is True, result
    assert result["cluster"]["settings"] == [{"name": "containerInsights", "value": "disabled"}]
    assert result["cluster"]["tags"] == {"team": "search"}
    assert result["diff"]["before"]["settings"] == [{"name": "containerInsights", "value": "enabled"}]
    assert "ecs:UpdateCluster" in mutating_calls(calls)

    result, calls = run_module("cluster", dict(name=NAME, state="absent"), check=True)
    assert result["changed"] is True
    assert mutating_calls(calls) == []

    result, calls = run_module("cluster", dict(name=NAME, state="absent"))
    assert result["changed"] is True
    assert mutating_calls(calls) == ["ecs:DeleteCluster"]

    result, calls = run_module("cluster", dict(name=NAME, state="absent"))
    assert result["changed"] is False
    assert mutating_calls(calls) == []
