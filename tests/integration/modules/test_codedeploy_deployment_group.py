"""cutover.ecs.codedeploy_deployment_group against the lab (moto lacks Update and
DeleteDeploymentGroup and drops fields): check mode, apply, re-apply, modify, delete.

The ECS cluster and CODE_DEPLOY service, the ALB with two target groups and a
production and a test listener, the IAM role and the application are made with
boto3 by the fixture."""

from __future__ import annotations

import json

import pytest
from moto_counting_server import mutating_calls

APPLICATION = "it-cd-group-app"
GROUP = "it-cd-web"
ROLE = "it-cd-ecs-role"


@pytest.fixture(scope="module")
def stack(module_lab):
    ec2, elbv2, ecs = module_lab.client("ec2"), module_lab.client("elbv2"), module_lab.client("ecs")
    vpc = ec2.describe_vpcs(Filters=[{"Name": "isDefault", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
    subnets = [s["SubnetId"] for s in ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"]][:2]
    balancer = elbv2.create_load_balancer(Name="it-cd-alb", Subnets=subnets, Type="application")["LoadBalancers"][0]["LoadBalancerArn"]
    target_groups = {
        name: elbv2.create_target_group(Name=name, Protocol="HTTP", Port=8000, VpcId=vpc, TargetType="ip")["TargetGroups"][0]["TargetGroupArn"]
        for name in ("it-cd-blue", "it-cd-green")
    }
    forward = [{"Type": "forward", "TargetGroupArn": target_groups["it-cd-blue"]}]
    listeners = {
        port: elbv2.create_listener(LoadBalancerArn=balancer, Protocol="HTTP", Port=port, DefaultActions=forward)["Listeners"][0]["ListenerArn"]
        for port in (80, 8080)
    }
    ecs.create_cluster(clusterName="it-cd-cluster")
    task_definition = ecs.register_task_definition(
        family="it-cd-web",
        networkMode="awsvpc",
        requiresCompatibilities=["FARGATE"],
        cpu="256",
        memory="512",
        containerDefinitions=[{"name": "web", "image": "web:1", "portMappings": [{"containerPort": 8000}]}],
    )["taskDefinition"]["taskDefinitionArn"]
    ecs.create_service(
        cluster="it-cd-cluster",
        serviceName="it-cd-web",
        taskDefinition=task_definition,
        desiredCount=0,
        launchType="FARGATE",
        deploymentController={"type": "CODE_DEPLOY"},
        loadBalancers=[{"targetGroupArn": target_groups["it-cd-blue"], "containerName": "web", "containerPort": 8000}],
        networkConfiguration={"awsvpcConfiguration": {"subnets": subnets}},
    )
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "codedeploy.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
    role_arn = module_lab.client("iam").create_role(RoleName=ROLE, Path="/service/", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    module_lab.client("codedeploy").create_application(applicationName=APPLICATION, computePlatform="ECS")
    return dict(prod=listeners[80], test=listeners[8080], role_arn=role_arn, target_groups=target_groups)


def group_args(stack, **overrides):
    args = dict(
        application=APPLICATION,
        name=GROUP,
        service_role=ROLE,
        cluster="it-cd-cluster",
        service="it-cd-web",
        target_groups=["it-cd-blue", "it-cd-green"],
        prod_listener_arns=[stack["prod"]],
        test_listener_arns=[stack["test"]],
        deployment_ready_option=dict(action_on_timeout="STOP_DEPLOYMENT", wait_time_in_minutes=30),
        termination_wait_time_in_minutes=10,
        alarm_configuration=dict(alarms=["it-cd-5xx", "it-cd-latency"]),
        auto_rollback_configuration=dict(events=["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM"]),
        tags={"team": "payments"},
    )
    args.update(overrides)
    return args


def test_codedeploy_deployment_group_lifecycle(run_module_on_lab, module_lab, stack):
    run = run_module_on_lab
    codedeploy = module_lab.client("codedeploy")
    args = group_args(stack)

    result, calls = run("codedeploy_deployment_group", args, check=True, diff=True)
    assert result["changed"] is True, result
    assert result["deployment_group"]["service_role_arn"] == stack["role_arn"]  # the name resolved, path included
    assert result["diff"]["before"] == {}
    assert mutating_calls(calls) == []

    result, calls = run("codedeploy_deployment_group", args)
    assert result["changed"] is True, result
    assert mutating_calls(calls) == ["codedeploy:CreateDeploymentGroup"]
    group = result["deployment_group"]
    assert group["deployment_group_id"]
    assert group["deployment_config_name"] == "CodeDeployDefault.ECSAllAtOnce"
    assert group["alarm_configuration"]["alarms"] == [{"name": "it-cd-5xx"}, {"name": "it-cd-latency"}]
    assert group["blue_green_deployment_configuration"]["deployment_ready_option"] == {"action_on_timeout": "STOP_DEPLOYMENT", "wait_time_in_minutes": 30}
    assert group["tags"] == {"team": "payments"}

    # What AWS (here the lab) stored is what was asked for.
    info = codedeploy.get_deployment_group(applicationName=APPLICATION, deploymentGroupName=GROUP)["deploymentGroupInfo"]
    assert info["ecsServices"] == [{"clusterName": "it-cd-cluster", "serviceName": "it-cd-web"}]
    assert info["loadBalancerInfo"]["targetGroupPairInfoList"][0]["testTrafficRoute"] == {"listenerArns": [stack["test"]]}
    assert info["autoRollbackConfiguration"] == {"enabled": True, "events": ["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM"]}

    result, calls = run("codedeploy_deployment_group", args)
    assert result["changed"] is False, result
    assert mutating_calls(calls) == []

    # The pair is a set, given by name or ARN in any order; alarms and events are sets too.
    reordered = group_args(
        stack,
        service_role=stack["role_arn"],
        target_groups=[stack["target_groups"]["it-cd-green"], "it-cd-blue"],
        alarm_configuration=dict(alarms=["it-cd-latency", "it-cd-5xx"]),
        auto_rollback_configuration=dict(events=["DEPLOYMENT_STOP_ON_ALARM", "DEPLOYMENT_FAILURE"]),
    )
    result, calls = run("codedeploy_deployment_group", reordered)
    assert result["changed"] is False, result
    assert mutating_calls(calls) == []

    modified = group_args(
        stack,
        deployment_config_name="CodeDeployDefault.ECSCanary10Percent5Minutes",
        test_listener_arns=[],
        alarm_configuration=dict(alarms=["it-cd-5xx"], ignore_poll_alarm_failure=True),
    )
    result, calls = run("codedeploy_deployment_group", modified, check=True)
    assert result["changed"] is True
    assert mutating_calls(calls) == []

    result, calls = run("codedeploy_deployment_group", modified, diff=True)
    assert result["changed"] is True, result
    assert mutating_calls(calls) == ["codedeploy:UpdateDeploymentGroup"]
    assert sorted(result["diff"]["after"]) == sorted(result["diff"]["before"])
    assert result["diff"]["before"]["deploymentConfigName"] == "CodeDeployDefault.ECSAllAtOnce"
    info = codedeploy.get_deployment_group(applicationName=APPLICATION, deploymentGroupName=GROUP)["deploymentGroupInfo"]
    assert info["deploymentConfigName"] == "CodeDeployDefault.ECSCanary10Percent5Minutes"
    assert "testTrafficRoute" not in info["loadBalancerInfo"]["targetGroupPairInfoList"][0]
    assert info["alarmConfiguration"] == {"enabled": True, "ignorePollAlarmFailure": True, "alarms": [{"name": "it-cd-5xx"}]}
    assert info["blueGreenDeploymentConfiguration"]["terminateBlueInstancesOnDeploymentSuccess"] == {"action": "TERMINATE", "terminationWaitTimeInMinutes": 10}

    result, calls = run("codedeploy_deployment_group", modified)
    assert result["changed"] is False, result
    assert mutating_calls(calls) == []

    result, calls = run("codedeploy_deployment_group", dict(modified, tags={"team": "search"}))
    assert result["changed"] is True
    assert mutating_calls(calls) == ["codedeploy:TagResource"]
    assert result["deployment_group"]["tags"] == {"team": "search"}

    result, calls = run("codedeploy_deployment_group", dict(application=APPLICATION, name=GROUP, state="absent"), check=True)
    assert result["changed"] is True
    assert mutating_calls(calls) == []

    result, calls = run("codedeploy_deployment_group", dict(application=APPLICATION, name=GROUP, state="absent"))
    assert result["changed"] is True
    assert result["deployment_group"] == {}
    assert mutating_calls(calls) == ["codedeploy:DeleteDeploymentGroup"]

    result, calls = run("codedeploy_deployment_group", dict(application=APPLICATION, name=GROUP, state="absent"))
    assert result["changed"] is False
    assert mutating_calls(calls) == []


def test_codedeploy_deployment_group_bad_input_makes_no_call(run_module_on_lab, stack):
    for overrides, fragment in (
        (dict(target_groups=["it-cd-blue"]), "exactly two different target groups"),
        (dict(deployment_ready_option=dict(action_on_timeout="STOP_DEPLOYMENT")), "needs wait_time_in_minutes"),
        (dict(deployment_config_name="CodeDeployDefault.OneAtATime"), "not a deployment config for the ECS compute platform"),
        (dict(auto_rollback_configuration=dict(enabled=True)), "needs at least one of"),
    ):
        result, calls = run_module_on_lab("codedeploy_deployment_group", group_args(stack, name="it-cd-bad", **overrides))
        assert result.get("failed") is True, result
        assert fragment in result["msg"]
        assert calls == []


def test_a_config_in_use_cannot_be_replaced(run_module_on_lab, stack):
    """The two modules together: AWS refuses to delete a config a group uses, so replace=true fails."""
    run = run_module_on_lab
    result, _calls = run("codedeploy_deployment_config", dict(name="it-cd-linear", traffic_routing=dict(type="TimeBasedLinear", percentage=50, interval=1)))
    assert result["changed"] is True, result
    result, _calls = run("codedeploy_deployment_group", group_args(stack, name="it-cd-uses-config", deployment_config_name="it-cd-linear"))
    assert result["changed"] is True, result

    result, calls = run(
        "codedeploy_deployment_config", dict(name="it-cd-linear", traffic_routing=dict(type="TimeBasedLinear", percentage=20, interval=1), replace=True)
    )
    assert result.get("failed") is True
    assert "DeploymentConfigInUseException" in result["msg"]
    assert mutating_calls(calls) == ["codedeploy:DeleteDeploymentConfig"]  # refused, so nothing changed

    result, _calls = run("codedeploy_deployment_group", dict(application=APPLICATION, name="it-cd-uses-config", state="absent"))
    assert result["changed"] is True
    result, _calls = run("codedeploy_deployment_config", dict(name="it-cd-linear", state="absent"))
    assert result["changed"] is True
