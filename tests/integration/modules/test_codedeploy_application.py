"""cutover.ecs.codedeploy_application against the lab (moto lacks DeleteApplication):
check mode, apply, re-apply, modify, delete."""

from __future__ import annotations

from moto_counting_server import mutating_calls

NAME = "it-cd-app"


def test_codedeploy_application_lifecycle(run_module_on_lab):
    run = run_module_on_lab
    args = dict(name=NAME, tags={"team": "payments"})

    result, calls = run("codedeploy_application", args, check=True, diff=True)
    assert result["changed"] is True, result
    assert result["application"]["compute_platform"] == "ECS"
    assert result["diff"]["before"] == {}
    assert mutating_calls(calls) == []

    result, calls = run("codedeploy_application", args)
    assert result["changed"] is True, result
    assert result["application"]["application_id"]
    assert result["application"]["tags"] == {"team": "payments"}
    assert mutating_calls(calls) == ["codedeploy:CreateApplication"]

    result, calls = run("codedeploy_application", args)
    assert result["changed"] is False, result
    assert mutating_calls(calls) == []

    modified = dict(args, tags={"team": "search", "env": "prod"})
    result, calls = run("codedeploy_application", modified, check=True)
    assert result["changed"] is True
    assert mutating_calls(calls) == []

    result, calls = run("codedeploy_application", modified, diff=True)
    assert result["changed"] is True, result
    assert result["application"]["tags"] == {"team": "search", "env": "prod"}
    assert result["diff"]["before"]["tags"] == {"team": "payments"}
    assert mutating_calls(calls) == ["codedeploy:TagResource"]

    result, calls = run("codedeploy_application", dict(modified, purge_tags=True, tags={"env": "prod"}))
    assert result["application"]["tags"] == {"env": "prod"}
    assert mutating_calls(calls) == ["codedeploy:UntagResource"]

    # The compute platform cannot change: an error that says what to do, and no call.
    result, calls = run("codedeploy_application", dict(name=NAME, compute_platform="Server"))
    assert result.get("failed") is True
    assert "cannot change" in result["msg"] and "state=absent" in result["msg"]
    assert mutating_calls(calls) == []

    result, calls = run("codedeploy_application", dict(name=NAME, state="absent"), check=True)
    assert result["changed"] is True
    assert mutating_calls(calls) == []

    result, calls = run("codedeploy_application", dict(name=NAME, state="absent"))
    assert result["changed"] is True
    assert result["application"] == {}
    assert mutating_calls(calls) == ["codedeploy:DeleteApplication"]

    result, calls = run("codedeploy_application", dict(name=NAME, state="absent"))
    assert result["changed"] is False
    assert mutating_calls(calls) == []
