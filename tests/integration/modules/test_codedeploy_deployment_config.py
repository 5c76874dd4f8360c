"""cutover.ecs.codedeploy_deployment_config against the lab (moto has no deployment
configs): check mode, apply, re-apply, modify (an error, or replace), delete."""

from __future__ import annotations

from moto_counting_server import mutating_calls

NAME = "it-cd-canary"
CANARY = dict(type="TimeBasedCanary", percentage=20, interval=10)


def test_codedeploy_deployment_config_lifecycle(run_module_on_lab, module_lab):
    run = run_module_on_lab
    args = dict(name=NAME, traffic_routing=CANARY)

    result, calls = run("codedeploy_deployment_config", args, check=True, diff=True)
    assert result["changed"] is True, result
    assert result["deployment_config"]["traffic_routing_config"] == {
        "type": "TimeBasedCanary",
        "time_based_canary": {"canary_percentage": 20, "canary_interval": 10},
    }
    assert mutating_calls(calls) == []

    result, calls = run("codedeploy_deployment_config", args)
    assert result["changed"] is True, result
    assert result["deployment_config"]["deployment_config_id"]
    assert mutating_calls(calls) == ["codedeploy:CreateDeploymentConfig"]
    first_id = result["deployment_config"]["deployment_config_id"]

    result, calls = run("codedeploy_deployment_config", args)
    assert result["changed"] is False, result
    assert mutating_calls(calls) == []

    # Only the name: an existing config is left as it is.
    result, calls = run("codedeploy_deployment_config", dict(name=NAME))
    assert result["changed"] is False, result
    assert mutating_calls(calls) == []

    # Configs are immutable: by default a change is an error that names the ways out.
    linear = dict(name=NAME, traffic_routing=dict(type="TimeBasedLinear", percentage=25, interval=2))
    result, calls = run("codedeploy_deployment_config", linear)
    assert result.get("failed") is True, result
    assert "new name" in result["msg"] and "replace=true" in result["msg"]
    assert mutating_calls(calls) == []

    result, calls = run("codedeploy_deployment_config", dict(linear, replace=True), check=True)
    assert result["changed"] is True
    assert mutating_calls(calls) == []

    result, calls = run("codedeploy_deployment_config", dict(linear, replace=True), diff=True)
    assert result["changed"] is True, result
    assert mutating_calls(calls) == ["codedeploy:DeleteDeploymentConfig", "codedeploy:CreateDeploymentConfig"]
    assert result["deployment_config"]["traffic_routing_config"]["type"] == "TimeBasedLinear"
    assert result["deployment_config"]["deployment_config_id"] != first_id
    assert result["diff"]["before"]["trafficRoutingConfig"]["type"] == "TimeBasedCanary"
    info = module_lab.client("codedeploy").get_deployment_config(deploymentConfigName=NAME)["deploymentConfigInfo"]
    assert info["trafficRoutingConfig"] == {"type": "TimeBasedLinear", "timeBasedLinear": {"linearPercentage": 25, "linearInterval": 2}}

    result, calls = run("codedeploy_deployment_config", dict(name=NAME, state="absent"), check=True)
    assert result["changed"] is True
    assert mutating_calls(calls) == []

    result, calls = run("codedeploy_deployment_config", dict(name=NAME, state="absent"))
    assert result["changed"] is True
    assert mutating_calls(calls) == ["codedeploy:DeleteDeploymentConfig"]

    result, calls = run("codedeploy_deployment_config", dict(name=NAME, state="absent"))
    assert result["changed"] is False
    assert mutating_calls(calls) == []


def test_codedeploy_deployment_config_bad_input_makes_no_call(run_module_on_lab):
    for args, fragment in (
        (dict(name="it-cd-bad", traffic_routing=dict(type="TimeBasedCanary", percentage=0, interval=5)), "between 1 and 99"),
        (dict(name="it-cd-bad", traffic_routing=dict(type="TimeBasedLinear", percentage=10)), "needs traffic_routing.percentage and traffic_routing.interval"),
        (dict(name="CodeDeployDefault.ECSAllAtOnce"), "predefines"),
        (dict(name="CodeDeployDefault.ECSCanary10Percent5Minutes", state="absent"), "cannot be created, changed or deleted"),
    ):
        result, calls = run_module_on_lab("codedeploy_deployment_config", args)
        assert result.get("failed") is True, result
        assert fragment in result["msg"]
        assert calls == []
