"""Conformance of the lab's CodeDeploy control plane (lab/codedeploy/store.py).

Every test talks to a running lab through boto3 and names the API reference
page whose behaviour it checks.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from botocore.exceptions import ClientError

_names = itertools.count()


def unique(prefix: str) -> str:
    return f"{prefix}-{next(_names)}"


def error_code(excinfo: pytest.ExceptionInfo[ClientError]) -> str:
    return excinfo.value.response["Error"]["Code"]


class Stack:
    """An ECS cluster, and an ALB with two target groups and a production and a test listener."""

    def __init__(self, lab: Any) -> None:
        self.ecs = lab.client("ecs")
        self.elbv2 = lab.client("elbv2")
        self.codedeploy = lab.client("codedeploy")
        ec2 = lab.client("ec2")
        vpc = ec2.describe_vpcs(Filters=[{"Name": "isDefault", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
        subnets = [s["SubnetId"] for s in ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"]][:2]
        self.cluster = unique("cd-cluster")
        self.ecs.create_cluster(clusterName=self.cluster)
        self.task_definition = self.ecs.register_task_definition(
            family=unique("cd-web"),
            networkMode="awsvpc",
            requiresCompatibilities=["FARGATE"],
            cpu="256",
            memory="512",
            containerDefinitions=[{"name": "web", "image": "web:1", "portMappings": [{"containerPort": 8000}]}],
        )["taskDefinition"]["taskDefinitionArn"]
        self.subnets = subnets
        balancer = self.elbv2.create_load_balancer(Name=unique("cd-alb"), Subnets=subnets, Type="application")["LoadBalancers"][0]
        self.target_groups = []
        for _ in range(2):
            name = unique("cd-tg")
            self.elbv2.create_target_group(Name=name, Protocol="HTTP", Port=8000, VpcId=vpc, TargetType="ip")
            self.target_groups.append(name)
        blue_arn = self.elbv2.describe_target_groups(Names=[self.target_groups[0]])["TargetGroups"][0]["TargetGroupArn"]
        self.blue_arn = blue_arn
        forward = [{"Type": "forward", "TargetGroupArn": blue_arn}]
        self.prod_listener = self.elbv2.create_listener(LoadBalancerArn=balancer["LoadBalancerArn"], Protocol="HTTP", Port=80, DefaultActions=forward)[
            "Listeners"
        ][0]["ListenerArn"]
        self.test_listener = self.elbv2.create_listener(LoadBalancerArn=balancer["LoadBalancerArn"], Protocol="HTTP", Port=8080, DefaultActions=forward)[
            "Listeners"
        ][0]["ListenerArn"]

    def service(self) -> str:
        """A new CODE_DEPLOY service (an ECS service can belong to only one deployment group)."""
        name = unique("cd-svc")
        self.ecs.create_service(
            cluster=self.cluster,
            serviceName=name,
            taskDefinition=self.task_definition,
            desiredCount=0,
            launchType="FARGATE",
            deploymentController={"type": "CODE_DEPLOY"},
            loadBalancers=[{"targetGroupArn": self.blue_arn, "containerName": "web", "containerPort": 8000}],
            networkConfiguration={"awsvpcConfiguration": {"subnets": self.subnets}},
        )
        return name

    def application(self, platform: str = "ECS") -> str:
        name = unique("cd-app")
        self.codedeploy.create_application(applicationName=name, computePlatform=platform)
        return name

    def group_params(self, application: str, name: str, service: str, **overrides: Any) -> dict[str, Any]:
        params = {
            "applicationName": application,
            "deploymentGroupName": name,
            "serviceRoleArn": "arn:aws:iam::123456789012:role/CodeDeployECS",
            "deploymentConfigName": "CodeDeployDefault.ECSAllAtOnce",
            "deploymentStyle": {"deploymentType": "BLUE_GREEN", "deploymentOption": "WITH_TRAFFIC_CONTROL"},
            "blueGreenDeploymentConfiguration": {
                "deploymentReadyOption": {"actionOnTimeout": "STOP_DEPLOYMENT", "waitTimeInMinutes": 30},
                "terminateBlueInstancesOnDeploymentSuccess": {"action": "TERMINATE", "terminationWaitTimeInMinutes": 5},
            },
            "ecsServices": [{"clusterName": self.cluster, "serviceName": service}],
            "loadBalancerInfo": {
                "targetGroupPairInfoList": [
                    {
                        "targetGroups": [{"name": self.target_groups[0]}, {"name": self.target_groups[1]}],
                        "prodTrafficRoute": {"listenerArns": [self.prod_listener]},
                        "testTrafficRoute": {"listenerArns": [self.test_listener]},
                    }
                ]
            },
            "alarmConfiguration": {"enabled": True, "ignorePollAlarmFailure": False, "alarms": [{"name": "web-5xx"}]},
            "autoRollbackConfiguration": {"enabled": True, "events": ["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM"]},
        }
        params.update(overrides)
        return params

    def group(self, **overrides: Any) -> tuple[str, str, dict[str, Any]]:
        """(application, group name, the CreateDeploymentGroup parameters) of a new ECS group."""
        application = self.application()
        name = unique("cd-dg")
        params = self.group_params(application, name, self.service(), **overrides)
        self.codedeploy.create_deployment_group(**params)
        return application, name, params


@pytest.fixture(scope="module")
def stack(lab: Any) -> Stack:
    return Stack(lab)


@pytest.fixture(scope="module")
def codedeploy(lab: Any) -> Any:
    return lab.client("codedeploy", retries=0)


# --- deployment configs -------------------------------------------------------------------

PREDEFINED_ECS = {
    "CodeDeployDefault.ECSAllAtOnce": {"type": "AllAtOnce"},
    "CodeDeployDefault.ECSLinear10PercentEvery1Minutes": {"type": "TimeBasedLinear", "timeBasedLinear": {"linearPercentage": 10, "linearInterval": 1}},
    "CodeDeployDefault.ECSLinear10PercentEvery3Minutes": {"type": "TimeBasedLinear", "timeBasedLinear": {"linearPercentage": 10, "linearInterval": 3}},
    "CodeDeployDefault.ECSCanary10Percent5Minutes": {"type": "TimeBasedCanary", "timeBasedCanary": {"canaryPercentage": 10, "canaryInterval": 5}},
    "CodeDeployDefault.ECSCanary10Percent15Minutes": {"type": "TimeBasedCanary", "timeBasedCanary": {"canaryPercentage": 10, "canaryInterval": 15}},
}


@pytest.mark.parametrize("name, routing", sorted(PREDEFINED_ECS.items()))
def test_predefined_ecs_configs(codedeploy: Any, name: str, routing: dict) -> None:
    """https://docs.aws.amazon.com/codedeploy/latest/APIReference/API_GetDeploymentConfig.html and the
    predefined ECS configs of https://docs.aws.amazon.com/codedeploy/latest/userguide/deployment-configurations.html"""
    info = codedeploy.get_deployment_config(deploymentConfigName=name)["deploymentConfigInfo"]
    assert info["deploymentConfigName"] == name
    assert info["computePlatform"] == "ECS"
    assert info["trafficRoutingConfig"] == routing
    assert info["deploymentConfigId"]
    assert info["createTime"]


def test_list_deployment_configs_has_predefined_and_custom(codedeploy: Any) -> None:
    """https://docs.aws.amazon.com/codedeploy/latest/APIReference/API_ListDeploymentConfigs.html
    ("including built-in configurations such as CodeDeployDefault.OneAtATime")"""
    name = unique("listed")
    codedeploy.create_deployment_config(deploymentConfigName=name, computePlatform="ECS", trafficRoutingConfig={"type": "AllAtOnce"})
    names = [item for page in codedeploy.get_paginator("list_deployment_configs").paginate() for item in page["deploymentConfigsList"]]
    assert set(PREDEFINED_ECS) <= set(names)
    assert {"CodeDeployDefault.OneAtATime", "CodeDeployDefault.AllAtOnce", "CodeDeployDefault.HalfAtATime"} <= set(names)
    assert name in names
    assert len(names) == len(set(names))


def test_list_deployment_configs_rejects_a_bad_token(codedeploy: Any) -> None:
    """https://docs.aws.amazon.com/codedeploy/latest/APIReference/API_ListDeploymentConfigs.html (InvalidNextTokenException)"""
    with pytest.raises(ClientError) as excinfo:
        codedeploy.list_deployment_configs(nextToken="not-a-token")
    assert error_code(excinfo) == "InvalidNextTokenException"


@pytest.mark.parametrize(
    "routing",
    [
        {"type": "TimeBasedCanary", "timeBasedCanary": {"canaryPercentage": 20, "canaryInterval": 10}},
        {"type": "TimeBasedLinear", "timeBasedLinear": {"linearPercentage": 25, "linearInterval": 2}},
        {"type": "AllAtOnce"},
    ],
)
def test_custom_ecs_config_lifecycle(codedeploy: Any, routing: dict) -> None:
    """https://docs.aws.amazon.com/codedeploy/latest/APIReference/API_CreateDeploymentConfig.html,
    API_GetDeploymentConfig.html and API_DeleteDeploymentConfig.html"""
    name = unique("custom")
    config_id = codedeploy.create_deployment_config(deploymentConfigName=name, computePlatform="ECS", trafficRoutingConfig=routing)["deploymentConfigId"]
    info = codedeploy.get_deployment_config(deploymentConfigName=name)["deploymentConfigInfo"]
    assert info["deploymentConfigId"] == config_id
    assert info["computePlatform"] == "ECS"
    assert info["trafficRoutingConfig"] == routing
    codedeploy.delete_deployment_config(deploymentConfigName=name)
    with pytest.raises(ClientError) as excinfo:
        codedeploy.get_deployment_config(deploymentConfigName=name)
    assert error_code(excinfo) == "DeploymentConfigDoesNotExistException"


@pytest.mark.parametrize("name", ["CodeDeployDefault.ECSAllAtOnce", "twice"])
def test_create_existing_config_fails(codedeploy: Any, name: str) -> None:
    """https://docs.aws.amazon.com/codedeploy/latest/APIReference/API_CreateDeploymentConfig.html (DeploymentConfigAlreadyExistsException)"""
    if name == "twice":
        name = unique("twice")
        codedeploy.create_deployment_config(deploymentConfigName=name, computePlatform="ECS", trafficRoutingConfig={"type": "AllAtOnce"})
    with pytest.raises(ClientError) as excinfo:
        codedeploy.create_deployment_config(deploymentConfigName=name, computePlatform="ECS", trafficRoutingConfig={"type": "AllAtOnce"})
    assert error_code(excinfo) == "DeploymentConfigAlreadyExistsException"


@pytest.mark.parametrize(
    "params, code",
    [
        (
            {"trafficRoutingConfig": {"type": "TimeBasedCanary", "timeBasedCanary": {"canaryPercentage": 0, "canaryInterval": 5}}},
            "InvalidTrafficRoutingConfigurationException",
        ),
        (
            {"trafficRoutingConfig": {"type": "TimeBasedLinear", "timeBasedLinear": {"linearPercentage": 100, "linearInterval": 5}}},
            "InvalidTrafficRoutingConfigurationException",
        ),
        ({"trafficRoutingConfig": {"type": "TimeBasedCanary"}}, "InvalidTrafficRoutingConfigurationException"),
        ({"computePlatform": "Mainframe"}, "InvalidComputePlatformException"),
        ({"deploymentConfigName": "bad name!"}, "InvalidDeploymentConfigNameException"),
        ({"computePlatform": "Server", "trafficRoutingConfig": None}, "InvalidMinimumHealthyHostValueException"),
    ],
)
def test_create_config_rejects_bad_input(codedeploy: Any, params: dict, code: str) -> None:
    """https://docs.aws.amazon.com/codedeploy/latest/APIReference/API_CreateDeploymentConfig.html (Errors)"""
    request = {"deploymentConfigName": unique("bad"), "computePlatform": "ECS", "trafficRoutingConfig": {"type": "AllAtOnce"}, **params}
    request = {key: value for key, value in request.items() if value is not None}
    with pytest.raises(ClientError) as excinfo:
        codedeploy.create_deployment_config(**request)
    assert error_code(excinfo) == code


def test_get_missing_config_fails(codedeploy: Any) -> None:
    """https://docs.aws.amazon.com/codedeploy/latest/APIReference/API_GetDeploymentConfig.html (DeploymentConfigDoesNotExistException)"""
    with pytest.raises(ClientError) as excinfo:
        codedeploy.get_deployment_config(deploymentConfigName=unique("missing"))
    assert error_code(excinfo) == "DeploymentConfigDoesNotExistException"


def test_predefined_config_cannot_be_deleted(codedeploy: Any) -> None:
    """https://docs.aws.amazon.com/codedeploy/latest/APIReference/API_DeleteDeploymentConfig.html
    ("Predefined configurations cannot be deleted.")"""
    with pytest.raises(ClientError) as excinfo:
        codedeploy.delete_deployment_config(deploymentConfigName="CodeDeployDefault.ECSAllAtOnce")
    assert error_code(excinfo) == "InvalidOperationException"
    assert codedeploy.get_deployment_config(deploymentConfigName="CodeDeployDefault.ECSAllAtOnce")["deploymentConfigInfo"]


def test_config_in_use_cannot_be_deleted(codedeploy: Any, stack: Stack) -> None:
    """https://docs.aws.amazon.com/codedeploy/latest/APIReference/API_DeleteDeploymentConfig.html
    ("A deployment configuration cannot be deleted if it is currently in use.")"""
    name = unique("in-use")
    codedeploy.create_deployment_config(
        deploymentConfigName=name,
        computePlatform="ECS",
        trafficRoutingConfig={"type": "TimeBasedCanary", "timeBasedCanary": {"canaryPercentage": 10, "canaryInterval": 1}},
    )
    application, group, _params = stack.group(deploymentConfigName=name)
    with pytest.raises(ClientError) as excinfo:
        codedeploy.delete_deployment_config(deploymentConfigName=name)
    assert error_code(excinfo) == "DeploymentConfigInUseException"
    codedeploy.update_deployment_group(applicationName=application, currentDeploymentGroupName=group, deploymentConfigName="CodeDeployDefault.ECSAllAtOnce")
    codedeploy.delete_deployment_config(deploymentConfigName=name)


# --- deployment groups ----------------------------------------------------------------------


def test_get_deployment_group_returns_what_it_was_created_with(codedeploy: Any, stack: Stack) -> None:
    """https://docs.aws.amazon.com/codedeploy/latest/APIReference/API_GetDeploymentGroup.html
    (DeploymentGroupInfo, including the alarmConfiguration moto drops)"""
    application, name, params = stack.group()
    info = codedeploy.get_deployment_group(applicationName=application, deploymentGroupName=name)["deploymentGroupInfo"]
    for key in (
        "serviceRoleArn",
        "deploymentConfigName",
        "deploymentStyle",
        "blueGreenDeploymentConfiguration",
        "ecsServices",
        "loadBalancerInfo",
        "alarmConfiguration",
        "autoRollbackConfiguration",
    ):
        assert info[key] == params[key], key
    assert info["computePlatform"] == "ECS"
    assert info["deploymentGroupId"]


def test_ecs_group_without_config_name_uses_ecs_all_at_once(codedeploy: Any, stack: Stack) -> None:
    """https://docs.aws.amazon.com/codedeploy/latest/APIReference/API_CreateDeploymentGroup.html (deploymentConfigName
    optional; the lab gives ECS groups CodeDeployDefault.ECSAllAtOnce, not the Server default)"""
    application = stack.application()
    params = stack.group_params(application, unique("cd-dg"), stack.service())
    del params["deploymentConfigName"]
    codedeploy.create_deployment_group(**params)
    info = codedeploy.get_deployment_group(applicationName=application, deploymentGroupName=params["deploymentGroupName"])["deploymentGroupInfo"]
    assert info["deploymentConfigName"] == "CodeDeployDefault.ECSAllAtOnce"


@pytest.mark.parametrize(
    "change, code",
    [
        ({"deploymentConfigName": "no-such-config"}, "DeploymentConfigDoesNotExistException"),
        ({"deploymentConfigName": "CodeDeployDefault.OneAtATime"}, "InvalidDeploymentConfigNameException"),
        ({"ecsServices": [{"clusterName": "no-such-cluster", "serviceName": "web"}]}, "InvalidECSServiceException"),
        ({"deploymentStyle": {"deploymentType": "IN_PLACE", "deploymentOption": "WITHOUT_TRAFFIC_CONTROL"}}, "InvalidDeploymentStyleException"),
        ({"serviceRoleArn": ""}, "RoleRequiredException"),
        ("missing target group", "InvalidTargetGroupPairException"),
        ("one target group", "InvalidTargetGroupPairException"),
    ],
)
def test_create_deployment_group_rejects_what_aws_rejects(codedeploy: Any, stack: Stack, change: Any, code: str) -> None:
    """https://docs.aws.amazon.com/codedeploy/latest/APIReference/API_CreateDeploymentGroup.html (Errors)"""
    application = stack.application()
    params = stack.group_params(application, unique("cd-dg"), stack.service())
    pair = params["loadBalancerInfo"]["targetGroupPairInfoList"][0]
    if change == "missing target group":
        pair["targetGroups"][1] = {"name": "no-such-tg"}
    elif change == "one target group":
        pair["targetGroups"] = pair["targetGroups"][:1]
    else:
        params.update(change)
    with pytest.raises(ClientError) as excinfo:
        codedeploy.create_deployment_group(**params)
    assert error_code(excinfo) == code
    assert codedeploy.list_deployment_groups(applicationName=application)["deploymentGroups"] == []


def test_an_ecs_service_belongs_to_one_group(codedeploy: Any, stack: Stack) -> None:
    """https://docs.aws.amazon.com/codedeploy/latest/APIReference/API_CreateDeploymentGroup.html
    (ECSServiceMappingLimitExceededException: "An Amazon ECS service can be associated with only one deployment group")"""
    application, _name, params = stack.group()
    second = dict(params, deploymentGroupName=unique("cd-dg"))
    with pytest.raises(ClientError) as excinfo:
        codedeploy.create_deployment_group(**second)
    assert error_code(excinfo) == "ECSServiceMappingLimitExceededException"
    assert len(codedeploy.list_deployment_groups(applicationName=application)["deploymentGroups"]) == 1


def test_update_deployment_group_changes_only_what_is_given(codedeploy: Any, stack: Stack) -> None:
    """https://docs.aws.amazon.com/codedeploy/latest/APIReference/API_UpdateDeploymentGroup.html"""
    application, name, params = stack.group()
    new_pair = {
        "targetGroups": [{"name": stack.target_groups[1]}, {"name": stack.target_groups[0]}],
        "prodTrafficRoute": {"listenerArns": [stack.prod_listener]},
    }
    result = codedeploy.update_deployment_group(
        applicationName=application,
        currentDeploymentGroupName=name,
        deploymentConfigName="CodeDeployDefault.ECSCanary10Percent5Minutes",
        alarmConfiguration={"enabled": False, "ignorePollAlarmFailure": True, "alarms": []},
        loadBalancerInfo={"targetGroupPairInfoList": [new_pair]},
    )
    assert result["hooksNotCleanedUp"] == []
    info = codedeploy.get_deployment_group(applicationName=application, deploymentGroupName=name)["deploymentGroupInfo"]
    assert info["deploymentConfigName"] == "CodeDeployDefault.ECSCanary10Percent5Minutes"
    assert info["alarmConfiguration"] == {"enabled": False, "ignorePollAlarmFailure": True, "alarms": []}
    assert info["loadBalancerInfo"] == {"targetGroupPairInfoList": [new_pair]}
    for key in ("serviceRoleArn", "blueGreenDeploymentConfiguration", "ecsServices", "autoRollbackConfiguration", "deploymentStyle"):
        assert info[key] == params[key], key


def test_update_deployment_group_renames_and_keeps_tags(codedeploy: Any, stack: Stack) -> None:
    """https://docs.aws.amazon.com/codedeploy/latest/APIReference/API_UpdateDeploymentGroup.html (newDeploymentGroupName)"""
    application, name, _params = stack.group(tags=[{"Key": "team", "Value": "payments"}])
    arn_prefix = f"arn:aws:codedeploy:us-east-1:123456789012:deploymentgroup:{application}/"
    new_name = unique("renamed")
    codedeploy.update_deployment_group(applicationName=application, currentDeploymentGroupName=name, newDeploymentGroupName=new_name)
    assert codedeploy.list_deployment_groups(applicationName=application)["deploymentGroups"] == [new_name]
    assert codedeploy.list_tags_for_resource(ResourceArn=arn_prefix + new_name)["Tags"] == [{"Key": "team", "Value": "payments"}]
    with pytest.raises(ClientError) as excinfo:
        codedeploy.get_deployment_group(applicationName=application, deploymentGroupName=name)
    assert error_code(excinfo) == "DeploymentGroupDoesNotExistException"


@pytest.mark.parametrize(
    "target, code",
    [
        ("missing application", "ApplicationDoesNotExistException"),
        ("missing group", "DeploymentGroupDoesNotExistException"),
        ("rename onto another group", "DeploymentGroupAlreadyExistsException"),
        ("missing config", "DeploymentConfigDoesNotExistException"),
    ],
)
def test_update_deployment_group_errors(codedeploy: Any, stack: Stack, target: str, code: str) -> None:
    """https://docs.aws.amazon.com/codedeploy/latest/APIReference/API_UpdateDeploymentGroup.html (Errors)"""
    application, name, params = stack.group()
    request: dict[str, Any] = {"applicationName": application, "currentDeploymentGroupName": name}
    if target == "missing application":
        request["applicationName"] = unique("no-app")
    elif target == "missing group":
        request["currentDeploymentGroupName"] = unique("no-group")
    elif target == "rename onto another group":
        other = stack.group_params(application, unique("cd-dg"), stack.service())
        codedeploy.create_deployment_group(**other)
        request["newDeploymentGroupName"] = other["deploymentGroupName"]
    else:
        request["deploymentConfigName"] = unique("no-config")
    with pytest.raises(ClientError) as excinfo:
        codedeploy.update_deployment_group(**request)
    assert error_code(excinfo) == code
    info = codedeploy.get_deployment_group(applicationName=application, deploymentGroupName=name)["deploymentGroupInfo"]
    assert info["deploymentConfigName"] == params["deploymentConfigName"]


def test_batch_get_deployment_groups(codedeploy: Any, stack: Stack) -> None:
    """https://docs.aws.amazon.com/codedeploy/latest/APIReference/API_BatchGetDeploymentGroups.html
    (found groups answered, missing ones named in errorMessage)"""
    application, name, params = stack.group()
    missing = unique("missing")
    result = codedeploy.batch_get_deployment_groups(applicationName=application, deploymentGroupNames=[name, missing])
    assert [info["deploymentGroupName"] for info in result["deploymentGroupsInfo"]] == [name]
    assert result["deploymentGroupsInfo"][0]["alarmConfiguration"] == params["alarmConfiguration"]
    assert missing in result["errorMessage"]
    with pytest.raises(ClientError) as excinfo:
        codedeploy.batch_get_deployment_groups(applicationName=unique("no-app"), deploymentGroupNames=[name])
    assert error_code(excinfo) == "ApplicationDoesNotExistException"


def test_delete_deployment_group(codedeploy: Any, stack: Stack) -> None:
    """https://docs.aws.amazon.com/codedeploy/latest/APIReference/API_DeleteDeploymentGroup.html
    (no does-not-exist error is documented: deleting again succeeds)"""
    application, name, params = stack.group(tags=[{"Key": "team", "Value": "payments"}])
    assert codedeploy.delete_deployment_group(applicationName=application, deploymentGroupName=name)["hooksNotCleanedUp"] == []
    with pytest.raises(ClientError) as excinfo:
        codedeploy.get_deployment_group(applicationName=application, deploymentGroupName=name)
    assert error_code(excinfo) == "DeploymentGroupDoesNotExistException"
    assert codedeploy.list_deployment_groups(applicationName=application)["deploymentGroups"] == []
    arn = f"arn:aws:codedeploy:us-east-1:123456789012:deploymentgroup:{application}/{name}"
    assert codedeploy.list_tags_for_resource(ResourceArn=arn)["Tags"] == []
    codedeploy.delete_deployment_group(applicationName=application, deploymentGroupName=name)
    # The service is free for a new group once its old group is gone.
    codedeploy.create_deployment_group(**dict(params, deploymentGroupName=unique("cd-dg"), tags=[]))


def test_delete_application_deletes_its_groups(codedeploy: Any, stack: Stack) -> None:
    """https://docs.aws.amazon.com/codedeploy/latest/APIReference/API_DeleteApplication.html"""
    application, name, _params = stack.group()
    codedeploy.delete_application(applicationName=application)
    with pytest.raises(ClientError) as excinfo:
        codedeploy.get_application(applicationName=application)
    assert error_code(excinfo) == "ApplicationDoesNotExistException"
    assert application not in codedeploy.list_applications()["applications"]
    with pytest.raises(ClientError) as excinfo:
        codedeploy.get_deployment_group(applicationName=application, deploymentGroupName=name)
    assert error_code(excinfo) == "ApplicationDoesNotExistException"
    codedeploy.delete_application(applicationName=application)  # no does-not-exist error is documented
