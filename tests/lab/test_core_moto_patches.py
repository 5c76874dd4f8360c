"""What lab/moto_patches.py fixes in moto, checked against moto itself (in process) as AWS documents it.

In process on purpose: through the lab endpoint the ECS controller's interceptors
answer RunTask and ListTasks, and these tests are about the store underneath.
"""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest
from moto import mock_aws

from lab import moto_patches


@pytest.fixture(scope="module")
def ecs_setup() -> Iterator[dict]:
    moto_patches.apply()
    with mock_aws():
        yield _setup()


def _setup() -> dict:
    ecs = boto3.client("ecs", region_name="us-east-1")
    ec2 = boto3.client("ec2", region_name="us-east-1")
    subnet = ec2.describe_subnets(Filters=[{"Name": "default-for-az", "Values": ["true"]}])["Subnets"][0]
    for cluster in ("patches", "patches-2"):
        ecs.create_cluster(clusterName=cluster)
    # Fargate style: only the task has memory, the container has none of its own.
    ecs.register_task_definition(
        family="patches-app",
        networkMode="awsvpc",
        requiresCompatibilities=["FARGATE"],
        cpu="256",
        memory="512",
        containerDefinitions=[{"name": "app", "image": "127.0.0.1:1/none:never", "essential": True}],
    )
    return {"ecs": ecs, "ec2": ec2, "subnet": subnet}


def run(ecs_setup: dict, cluster: str, **kwargs) -> list[dict]:
    network = {"awsvpcConfiguration": {"subnets": [ecs_setup["subnet"]["SubnetId"]]}}
    return ecs_setup["ecs"].run_task(cluster=cluster, taskDefinition="patches-app", launchType="FARGATE", networkConfiguration=network, **kwargs)["tasks"]


def test_run_task_without_container_memory(ecs_setup) -> None:
    """https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ContainerDefinition.html (memory is optional when the task sets it)"""
    tasks = run(ecs_setup, "patches")
    assert len(tasks) == 1
    assert tasks[0]["taskDefinitionArn"].endswith(":task-definition/patches-app:1")


def test_awsvpc_without_security_groups_uses_the_vpc_default(ecs_setup) -> None:
    """https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_AwsVpcConfiguration.html (default security group of the VPC)"""
    task = run(ecs_setup, "patches")[0]
    eni_id = next(d["value"] for d in task["attachments"][0]["details"] if d["name"] == "networkInterfaceId")
    eni = ecs_setup["ec2"].describe_network_interfaces(NetworkInterfaceIds=[eni_id])["NetworkInterfaces"][0]
    default_group = ecs_setup["ec2"].describe_security_groups(
        Filters=[{"Name": "vpc-id", "Values": [ecs_setup["subnet"]["VpcId"]]}, {"Name": "group-name", "Values": ["default"]}]
    )["SecurityGroups"][0]
    assert [g["GroupId"] for g in eni["Groups"]] == [default_group["GroupId"]]


def test_list_tasks_filters_by_service_name_and_exact_cluster(ecs_setup) -> None:
    """https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ListTasks.html (serviceName; tasks of a service have group service:<name>)"""
    ecs = ecs_setup["ecs"]
    web = run(ecs_setup, "patches-2", group="service:web")[0]["taskArn"]
    worker = run(ecs_setup, "patches-2", group="service:worker")[0]["taskArn"]
    assert ecs.list_tasks(cluster="patches-2", serviceName="web")["taskArns"] == [web]
    assert ecs.list_tasks(cluster="patches-2", serviceName="worker")["taskArns"] == [worker]
    assert ecs.list_tasks(cluster="patches-2", serviceName="nothing")["taskArns"] == []
    in_patches = set(ecs.list_tasks(cluster="patches")["taskArns"])
    assert web not in in_patches and worker not in in_patches


def test_list_tasks_lists_running_tasks_unless_asked_for_stopped(ecs_setup) -> None:
    """https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ListTasks.html (desiredStatus: the default filter is RUNNING)"""
    ecs = ecs_setup["ecs"]
    ecs.create_cluster(clusterName="patches-3")
    keep = run(ecs_setup, "patches-3")[0]["taskArn"]
    stop = run(ecs_setup, "patches-3")[0]["taskArn"]
    ecs.stop_task(cluster="patches-3", task=stop, reason="test")
    assert ecs.list_tasks(cluster="patches-3")["taskArns"] == [keep]
    assert ecs.list_tasks(cluster="patches-3", desiredStatus="STOPPED")["taskArns"] == [stop]


def test_create_service_keeps_deployment_configuration_and_grace_period(ecs_setup) -> None:
    """https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_CreateService.html"""
    ecs = ecs_setup["ecs"]
    network = {"awsvpcConfiguration": {"subnets": [ecs_setup["subnet"]["SubnetId"]]}}
    given = {"maximumPercent": 150, "minimumHealthyPercent": 50, "deploymentCircuitBreaker": {"enable": True, "rollback": True}}
    created = ecs.create_service(
        cluster="patches",
        serviceName="kept",
        taskDefinition="patches-app",
        desiredCount=0,
        launchType="FARGATE",
        networkConfiguration=network,
        deploymentConfiguration=given,
        healthCheckGracePeriodSeconds=45,
    )["service"]
    assert created["deploymentConfiguration"] == given
    assert created["healthCheckGracePeriodSeconds"] == 45
    described = ecs.describe_services(cluster="patches", services=["kept"])["services"][0]
    assert described["deploymentConfiguration"] == given
    assert described["healthCheckGracePeriodSeconds"] == 45


def test_create_service_awsvpc_without_security_groups(ecs_setup) -> None:
    """https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_AwsVpcConfiguration.html (default security group of the VPC)"""
    network = {"awsvpcConfiguration": {"subnets": [ecs_setup["subnet"]["SubnetId"]]}}
    created = ecs_setup["ecs"].create_service(
        cluster="patches", serviceName="no-sg", taskDefinition="patches-app", desiredCount=0, launchType="FARGATE", networkConfiguration=network
    )["service"]
    assert created["networkConfiguration"]["awsvpcConfiguration"]["securityGroups"]


def test_create_service_without_deployment_configuration_shows_the_defaults(ecs_setup) -> None:
    """https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DeploymentConfiguration.html (defaults 200 / 100, circuit breaker off)"""
    network = {"awsvpcConfiguration": {"subnets": [ecs_setup["subnet"]["SubnetId"]]}}
    created = ecs_setup["ecs"].create_service(
        cluster="patches", serviceName="defaults", taskDefinition="patches-app", desiredCount=0, launchType="FARGATE", networkConfiguration=network
    )["service"]
    assert created["deploymentConfiguration"] == {
        "deploymentCircuitBreaker": {"enable": False, "rollback": False},
        "maximumPercent": 200,
        "minimumHealthyPercent": 100,
    }
