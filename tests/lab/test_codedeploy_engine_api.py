"""Conformance: CodeDeploy ECS blue/green deployments, carried out by the lab on real tasks.

Every test names the AWS page it follows. A ``BlueGreenWorld`` is what the CodeDeploy
user guide asks for before an ECS deployment ("Before you begin an Amazon ECS
deployment", deployment-steps-ecs.html): an Application Load Balancer with a production
and a test listener, two target groups, a service with the CODE_DEPLOY deployment
controller, an application on the ECS compute platform and its deployment group.
``test_e2e_codedeploy.py`` reuses it with a load generator.

Minutes are lab minutes (``LAB_TIME_SCALE``); every wait is bounded.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from lab.ecs.sampleimage import SampleImages, ensure_sample_images
from lab.ecs.testkit import SAMPLE_PORT, awsvpc, create_target_group, default_subnets, register_sample, unique, wait_for

ROLE = "arn:aws:iam::123456789012:role/codedeploy-ecs"
ROLLBACK_ALL = {"enabled": True, "events": ["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM", "DEPLOYMENT_STOP_ON_REQUEST"]}
PROD_PORT, TEST_PORT = 8000, 9000
SETTLE = 120.0  # bound on one lifecycle phase of real tasks (start, health checks, drain)


def time_scale() -> float:
    return float(os.environ.get("LAB_TIME_SCALE") or 1.0)


def lab_minutes(real_seconds: float) -> int:
    """The fewest whole lab minutes lasting at least ``real_seconds``."""
    return max(1, int(-(-real_seconds * time_scale() // 60)))


def http_json(url: str, timeout: float = 2.0) -> dict[str, Any] | None:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return json.loads(response.read())
    except (OSError, ValueError, urllib.error.URLError):
        return None


class BlueGreenWorld:
    """One ALB, two target groups, a CODE_DEPLOY service running v1 and its deployment group."""

    def __init__(self, lab: Any, cluster: str, images: SampleImages, desired: int = 1, test_listener_on_green: bool = True) -> None:
        """``test_listener_on_green=False``: the test listener forwards to blue until a deployment
        moves it, so green's target group serves nothing before AllowTestTraffic (as in AWS's
        tutorial-ecs-deployment.html, where the second target group is on no listener)."""
        self.lab = lab
        self.cluster = cluster
        self.images = images
        self.name = unique("cd")
        self.ecs, self.elbv2, self.deploy = lab.client("ecs"), lab.client("elbv2"), lab.client("codedeploy")
        self.cloudwatch = lab.client("cloudwatch")
        ec2 = lab.client("ec2")
        self.subnets = default_subnets(ec2)
        vpc = ec2.describe_vpcs(Filters=[{"Name": "isDefault", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
        lb = self.elbv2.create_load_balancer(Name=self.name, Subnets=self.subnets, Type="application", Scheme="internal")["LoadBalancers"][0]
        self.lb_arn, self.host = lb["LoadBalancerArn"], lb["DNSName"]
        self.tg_names = (f"{self.name}-1", f"{self.name}-2")
        self.blue_tg, self.green_tg = (self._target_group(name, vpc) for name in self.tg_names)
        self.prod = self._listener(PROD_PORT, self.blue_tg)
        self.test = self._listener(TEST_PORT, self.green_tg if test_listener_on_green else self.blue_tg)
        self.family = self.name
        self.td_v1 = register_sample(self.ecs, self.family, images.v1)
        self.td_v2 = register_sample(self.ecs, self.family, images.v2)
        self.ecs.create_service(
            cluster=cluster,
            serviceName=self.name,
            taskDefinition=self.td_v1,
            desiredCount=desired,
            launchType="FARGATE",
            networkConfiguration=awsvpc(self.subnets),
            loadBalancers=[{"targetGroupArn": self.blue_tg, "containerName": "app", "containerPort": SAMPLE_PORT}],
            deploymentController={"type": "CODE_DEPLOY"},
        )
        self.deploy.create_application(applicationName=self.name, computePlatform="ECS")
        self.wait_healthy(self.blue_tg, desired)

    def _target_group(self, name: str, vpc: str) -> str:
        return create_target_group(self.elbv2, name, vpc)

    def _listener(self, port: int, target_group: str) -> str:
        return self.elbv2.create_listener(
            LoadBalancerArn=self.lb_arn, Protocol="HTTP", Port=port, DefaultActions=[{"Type": "forward", "TargetGroupArn": target_group}]
        )["Listeners"][0]["ListenerArn"]

    # deployment groups and deployments -----------------------------------------------------------------
    def group(self, name: str = "dg", ready: dict[str, Any] | None = None, termination_minutes: int = 0, **extra: Any) -> str:
        self.deploy.create_deployment_group(
            applicationName=self.name,
            deploymentGroupName=name,
            serviceRoleArn=ROLE,
            deploymentStyle={"deploymentType": "BLUE_GREEN", "deploymentOption": "WITH_TRAFFIC_CONTROL"},
            blueGreenDeploymentConfiguration={
                "deploymentReadyOption": ready or {"actionOnTimeout": "CONTINUE_DEPLOYMENT"},
                "terminateBlueInstancesOnDeploymentSuccess": {"action": "TERMINATE", "terminationWaitTimeInMinutes": termination_minutes},
            },
            loadBalancerInfo={
                "targetGroupPairInfoList": [
                    {
                        "targetGroups": [{"name": self.tg_names[0]}, {"name": self.tg_names[1]}],
                        "prodTrafficRoute": {"listenerArns": [self.prod]},
                        "testTrafficRoute": {"listenerArns": [self.test]},
                    }
                ]
            },
            ecsServices=[{"serviceName": self.name, "clusterName": self.cluster}],
            **extra,
        )
        return name

    def appspec(self, task_definition: str | None = None, container: str = "app", port: int = SAMPLE_PORT, hooks: list[dict[str, str]] | None = None) -> str:
        properties = {"TaskDefinition": task_definition or self.td_v2, "LoadBalancerInfo": {"ContainerName": container, "ContainerPort": port}}
        document: dict[str, Any] = {"version": 0.0, "Resources": [{"TargetService": {"Type": "AWS::ECS::Service", "Properties": properties}}]}
        if hooks:
            document["Hooks"] = hooks
        return json.dumps(document)

    def create_deployment(self, group: str = "dg", content: str | None = None, **extra: Any) -> str:
        revision = {"revisionType": "AppSpecContent", "appSpecContent": {"content": content or self.appspec()}}
        return self.deploy.create_deployment(applicationName=self.name, deploymentGroupName=group, revision=revision, **extra)["deploymentId"]

    def info(self, deployment_id: str) -> dict[str, Any]:
        return self.deploy.get_deployment(deploymentId=deployment_id)["deploymentInfo"]

    def target(self, deployment_id: str) -> dict[str, Any]:
        return self.deploy.get_deployment_target(deploymentId=deployment_id, targetId=f"{self.cluster}:{self.name}")["deploymentTarget"]["ecsTarget"]

    def started_target(self, deployment_id: str) -> dict[str, Any]:
        """The ECS target, or an empty one while the deployment is still Created
        (GetDeploymentTarget answers DeploymentNotStartedException then)."""
        try:
            return self.target(deployment_id)
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "DeploymentNotStartedException":
                raise
            return {"lifecycleEvents": [], "taskSetsInfo": []}

    def wait_status(self, deployment_id: str, *statuses: str, timeout: float = SETTLE) -> dict[str, Any]:
        return wait_for(
            f"deployment {deployment_id} in {statuses}", lambda: self.info(deployment_id), lambda i: i["status"] in statuses, timeout=timeout, interval=0.5
        )

    def wait_event(self, deployment_id: str, event: str, status: str = "Succeeded", timeout: float = SETTLE) -> dict[str, Any]:
        return wait_for(
            f"{event} {status} in {deployment_id}",
            lambda: self.started_target(deployment_id),
            lambda t: any(e["lifecycleEventName"] == event and e["status"] == status for e in t["lifecycleEvents"]),
            timeout=timeout,
            interval=0.5,
        )

    def weights(self, deployment_id: str) -> dict[str, float]:
        return {ts["taskSetLabel"]: ts["trafficWeight"] for ts in self.started_target(deployment_id)["taskSetsInfo"]}

    # ECS, ELB and traffic ----------------------------------------------------------------------------------
    def service(self) -> dict[str, Any]:
        return self.ecs.describe_services(cluster=self.cluster, services=[self.name])["services"][0]

    def task_sets(self) -> list[dict[str, Any]]:
        return self.ecs.describe_task_sets(cluster=self.cluster, service=self.name)["taskSets"]

    def healthy(self, target_group: str) -> int:
        states = self.elbv2.describe_target_health(TargetGroupArn=target_group)["TargetHealthDescriptions"]
        return sum(d["TargetHealth"]["State"] == "healthy" for d in states)

    def wait_healthy(self, target_group: str, count: int) -> None:
        wait_for(f"{count} healthy in {target_group}", lambda: self.healthy(target_group), lambda n: n >= count, timeout=SETTLE, interval=0.5)

    def url(self, port: int = PROD_PORT, path: str = "/version") -> str:
        return f"http://{self.host}:{port}{path}"

    def version(self, port: int = PROD_PORT) -> str | None:
        body = http_json(self.url(port))
        return body.get("version") if body else None

    def wait_version(self, version: str, port: int = PROD_PORT, samples: int = 10) -> None:
        """``samples`` answers in a row from ``version`` (weights reach HAProxy asynchronously)."""
        streak = {"n": 0}

        def probe() -> int:
            streak["n"] = streak["n"] + 1 if self.version(port) == version else 0
            return streak["n"]

        wait_for(f"{samples} answers of version {version} on port {port}", probe, lambda n: n >= samples, timeout=SETTLE, interval=0.1)

    def alarm(self, name: str) -> str:
        self.cloudwatch.put_metric_alarm(
            AlarmName=name,
            MetricName="HTTPCode_Target_5XX_Count",
            Namespace="AWS/ApplicationELB",
            Statistic="Sum",
            Period=60,
            EvaluationPeriods=1,
            Threshold=1.0,
            ComparisonOperator="GreaterThanOrEqualToThreshold",
        )
        return name

    def close(self) -> None:
        """Best effort: the lab's own teardown removes whatever is left."""
        for call in (
            lambda: self.deploy.delete_application(applicationName=self.name),
            lambda: self.ecs.update_service(cluster=self.cluster, service=self.name, desiredCount=0),
            lambda: self.ecs.delete_service(cluster=self.cluster, service=self.name, force=True),
        ):
            try:
                call()
            except ClientError:
                pass


@pytest.fixture(scope="module")
def images() -> SampleImages:
    return ensure_sample_images("podman")


@pytest.fixture(scope="module")
def cluster(lab: Any) -> str:
    name = unique("codedeploy")
    lab.client("ecs").create_cluster(clusterName=name)
    return name


@pytest.fixture
def world(lab: Any, cluster: str, images: SampleImages) -> Iterator[BlueGreenWorld]:
    built = BlueGreenWorld(lab, cluster, images)
    try:
        yield built
    finally:
        built.close()


def error_of(call: Any) -> tuple[str, str]:
    with pytest.raises(ClientError) as caught:
        call()
    return caught.value.response["Error"]["Code"], caught.value.response["Error"]["Message"]


# CreateDeployment: what AWS refuses ------------------------------------------------------------------------


def test_appspec_container_must_be_in_the_task_definition(world: BlueGreenWorld) -> None:
    """AppSpec 'resources' section for Amazon ECS deployments: ContainerName and ContainerPort
    name a container and port of the task definition (reference-appspec-file-structure-resources.html)."""
    group = world.group()
    code, message = error_of(lambda: world.create_deployment(group, world.appspec(container="nope")))
    assert code == "InvalidRevisionException" and "nope" in message
    code, message = error_of(lambda: world.create_deployment(group, world.appspec(port=9999)))
    assert code == "InvalidRevisionException" and "9999" in message
    code, _ = error_of(lambda: world.create_deployment(group, world.appspec(task_definition=f"{world.family}:99")))
    assert code == "InvalidRevisionException"
    assert world.deploy.list_deployments(applicationName=world.name, deploymentGroupName=group)["deployments"] == []


def test_lambda_hooks_are_refused_with_a_clear_error(world: BlueGreenWorld) -> None:
    """AppSpec 'hooks' section for an Amazon ECS deployment (reference-appspec-file-structure-hooks.html):
    hooks are Lambda functions, which the lab cannot run, so it refuses them instead of skipping them."""
    group = world.group()
    code, message = error_of(lambda: world.create_deployment(group, world.appspec(hooks=[{"AfterAllowTestTraffic": "RunSmokeTests"}])))
    assert code == "InvalidRevisionException"
    assert "Lambda" in message and "AfterAllowTestTraffic" in message


def test_revision_and_config_are_checked(world: BlueGreenWorld) -> None:
    """CreateDeployment (API Reference): RevisionRequiredException without a revision;
    a deployment configuration must exist and be for the ECS compute platform."""
    group = world.group()
    code, _ = error_of(lambda: world.deploy.create_deployment(applicationName=world.name, deploymentGroupName=group))
    assert code == "RevisionRequiredException"
    code, _ = error_of(lambda: world.create_deployment(group, deploymentConfigName="NoSuchConfig"))
    assert code == "DeploymentConfigDoesNotExistException"
    code, _ = error_of(lambda: world.create_deployment(group, deploymentConfigName="CodeDeployDefault.HalfAtATime"))
    assert code == "InvalidDeploymentConfigNameException"
    code, _ = error_of(lambda: world.create_deployment("no-such-group"))
    assert code == "DeploymentGroupDoesNotExistException"


def test_one_active_deployment_per_group(world: BlueGreenWorld) -> None:
    """CreateDeployment (API Reference), DeploymentLimitExceededException: a deployment group
    has one active deployment at a time; the message names it."""
    group = world.group(ready={"actionOnTimeout": "STOP_DEPLOYMENT", "waitTimeInMinutes": 600})
    first = world.create_deployment(group)
    code, message = error_of(lambda: world.create_deployment(group))
    assert code == "DeploymentLimitExceededException"
    assert first in message and group in message
    world.deploy.stop_deployment(deploymentId=first, autoRollbackEnabled=True)
    assert world.info(first)["status"] == "Stopped"


# the lifecycle ----------------------------------------------------------------------------------------------


def test_all_at_once_lifecycle_events_statuses_and_task_sets(world: BlueGreenWorld) -> None:
    """Deployments on an Amazon ECS compute platform (deployment-steps-ecs.html): the eight
    lifecycle events in order; the replacement task set in the second target group; after
    success the original task set is removed and the service runs the new task definition.
    GetDeploymentTarget (API Reference): ECSTarget with taskSetsInfo labelled Blue and Green."""
    group = world.group()
    deployment_id = world.create_deployment(group)
    assert deployment_id.startswith("d-") and len(deployment_id) == 11
    first = world.info(deployment_id)
    assert first["status"] in ("Created", "InProgress") and first["computePlatform"] == "ECS"
    assert first["deploymentConfigName"] == "CodeDeployDefault.ECSAllAtOnce"
    info = world.wait_status(deployment_id, "Succeeded", "Failed", "Stopped", timeout=2 * SETTLE)
    assert info["status"] == "Succeeded", info.get("errorInformation")
    assert info["deploymentOverview"]["Succeeded"] == 1 and info["startTime"] and info["completeTime"]
    target = world.target(deployment_id)
    events = target["lifecycleEvents"]
    assert [e["lifecycleEventName"] for e in events] == [
        "BeforeInstall",
        "Install",
        "AfterInstall",
        "AllowTestTraffic",
        "AfterAllowTestTraffic",
        "BeforeAllowTraffic",
        "AllowTraffic",
        "AfterAllowTraffic",
    ]
    assert all(e["status"] == "Succeeded" and e["startTime"] <= e["endTime"] for e in events)
    assert [e["startTime"] for e in events] == sorted(e["startTime"] for e in events)
    assert target["targetId"] == f"{world.cluster}:{world.name}" and target["status"] == "Succeeded"
    assert target["targetArn"] == world.service()["serviceArn"]
    labels = {ts["taskSetLabel"]: ts for ts in target["taskSetsInfo"]}
    assert labels["Green"]["trafficWeight"] == 100.0 and labels["Blue"]["trafficWeight"] == 0.0
    assert labels["Green"]["targetGroup"]["name"] == world.tg_names[1] and labels["Blue"]["targetGroup"]["name"] == world.tg_names[0]
    assert labels["Green"]["desiredCount"] == 1 and labels["Green"]["status"] == "PRIMARY"
    service = world.service()
    assert service["taskDefinition"] == world.td_v2
    assert service["loadBalancers"][0]["targetGroupArn"] == world.green_tg
    task_sets = world.task_sets()
    assert [(ts["status"], ts["externalId"], ts["taskDefinition"]) for ts in task_sets] == [("PRIMARY", deployment_id, world.td_v2)]
    assert world.deploy.list_deployment_targets(deploymentId=deployment_id)["targetIds"] == [f"{world.cluster}:{world.name}"]
    batch = world.deploy.batch_get_deployment_targets(deploymentId=deployment_id, targetIds=[f"{world.cluster}:{world.name}"])
    assert batch["deploymentTargets"][0]["deploymentTargetType"] == "ECSTarget"
    listed = world.deploy.list_deployments(applicationName=world.name, deploymentGroupName=group, includeOnlyStatuses=["Succeeded"])
    assert listed["deployments"] == [deployment_id]
    world.wait_version("2")


def test_stop_deployment_option_waits_ready_for_continue(world: BlueGreenWorld) -> None:
    """DeploymentReadyOption (API Reference) and ContinueDeployment: with STOP_DEPLOYMENT the
    deployment waits with status Ready, the test listener already on the replacement task
    set, until ContinueDeployment(READY_WAIT)."""
    group = world.group(ready={"actionOnTimeout": "STOP_DEPLOYMENT", "waitTimeInMinutes": 600})
    deployment_id = world.create_deployment(group)
    code, _ = error_of(lambda: world.deploy.continue_deployment(deploymentId=deployment_id, deploymentWaitType="TERMINATION_WAIT"))
    assert code == "DeploymentIsNotInReadyStateException"
    info = world.wait_status(deployment_id, "Ready", timeout=2 * SETTLE)
    assert info["deploymentOverview"]["Ready"] == 1
    assert world.weights(deployment_id) == {"Blue": 100.0, "Green": 0.0}
    world.wait_version("2", port=TEST_PORT)
    world.wait_version("1", port=PROD_PORT)
    statuses = {e["lifecycleEventName"]: e["status"] for e in world.target(deployment_id)["lifecycleEvents"]}
    assert statuses["AfterAllowTestTraffic"] == "Succeeded" and statuses["AllowTraffic"] == "Pending"
    world.deploy.continue_deployment(deploymentId=deployment_id, deploymentWaitType="READY_WAIT")
    assert world.wait_status(deployment_id, "Succeeded", "Failed", "Stopped")["status"] == "Succeeded"
    world.wait_version("2", port=PROD_PORT)
    code, _ = error_of(lambda: world.deploy.continue_deployment(deploymentId=deployment_id, deploymentWaitType="READY_WAIT"))
    assert code == "DeploymentAlreadyCompletedException"


def test_ready_wait_running_out_stops_the_deployment(world: BlueGreenWorld) -> None:
    """DeploymentReadyOption.waitTimeInMinutes (API Reference): the number of minutes before the
    status of a blue/green deployment changes to Stopped if rerouting is not started manually."""
    group = world.group(ready={"actionOnTimeout": "STOP_DEPLOYMENT", "waitTimeInMinutes": 1}, autoRollbackConfiguration=ROLLBACK_ALL)
    deployment_id = world.create_deployment(group)
    info = world.wait_status(deployment_id, "Stopped", "Succeeded", "Failed", timeout=2 * SETTLE + 60 / time_scale())
    assert info["status"] == "Stopped" and info["errorInformation"]["code"] == "TIMEOUT"
    world.wait_version("1", port=PROD_PORT)


def test_termination_wait_keeps_blue_until_continue(world: BlueGreenWorld) -> None:
    """BlueInstanceTerminationOption.terminationWaitTimeInMinutes and ContinueDeployment(TERMINATION_WAIT)
    (API Reference): the original task set stays during the wait; continuing ends the wait."""
    group = world.group(termination_minutes=600)
    deployment_id = world.create_deployment(group)
    world.wait_event(deployment_id, "AfterAllowTraffic", timeout=2 * SETTLE)
    info = world.info(deployment_id)
    assert info["status"] == "InProgress" and info["instanceTerminationWaitTimeStarted"] is True
    assert sorted(ts["status"] for ts in world.task_sets()) == ["ACTIVE", "PRIMARY"]
    world.deploy.continue_deployment(deploymentId=deployment_id, deploymentWaitType="TERMINATION_WAIT")
    assert world.wait_status(deployment_id, "Succeeded", "Failed", "Stopped")["status"] == "Succeeded"
    assert [ts["status"] for ts in world.task_sets()] == ["PRIMARY"]


def test_stop_with_rollback_creates_a_rollback_deployment(world: BlueGreenWorld) -> None:
    """StopDeployment with autoRollbackEnabled (API Reference) and "Redeployments and deployment
    rollbacks" (deployment-steps-ecs.html): traffic is rerouted to the original task set by a
    new deployment with its own ID; RollbackInfo links the two."""
    group = world.group(termination_minutes=600)
    deployment_id = world.create_deployment(group)
    world.wait_event(deployment_id, "AfterAllowTraffic", timeout=2 * SETTLE)
    stopped = world.deploy.stop_deployment(deploymentId=deployment_id, autoRollbackEnabled=True)
    assert stopped["status"] in ("Succeeded", "Pending")
    info = world.info(deployment_id)
    assert info["status"] == "Stopped" and info["errorInformation"]["code"] == "MANUAL_STOP"
    rollback_id = info["rollbackInfo"]["rollbackDeploymentId"]
    rollback = world.wait_status(rollback_id, "Succeeded", "Failed")
    assert rollback["status"] == "Succeeded" and rollback["creator"] == "codeDeployRollback"
    assert rollback["rollbackInfo"]["rollbackTriggeringDeploymentId"] == deployment_id
    assert world.service()["taskDefinition"] == world.td_v1
    assert [(ts["status"], ts["taskDefinition"]) for ts in world.task_sets()] == [("PRIMARY", world.td_v1)]
    world.wait_version("1", port=PROD_PORT)
    code, _ = error_of(lambda: world.deploy.stop_deployment(deploymentId=deployment_id))
    assert code == "DeploymentAlreadyCompletedException"


def test_crashing_tasks_fail_the_deployment_and_roll_back(world: BlueGreenWorld) -> None:
    """AutoRollbackConfiguration DEPLOYMENT_FAILURE (API Reference): a deployment whose
    replacement tasks cannot run fails, and the group's automatic rollback restores blue."""
    group = world.group(autoRollbackConfiguration=ROLLBACK_ALL)
    broken = register_sample(world.ecs, world.family, world.images.broken)
    deployment_id = world.create_deployment(group, world.appspec(task_definition=broken))
    info = world.wait_status(deployment_id, "Failed", "Succeeded", "Stopped", timeout=3 * SETTLE)
    assert info["status"] == "Failed" and info["errorInformation"]["code"] == "ECS_UPDATE_ERROR"
    rollback = world.wait_status(info["rollbackInfo"]["rollbackDeploymentId"], "Succeeded", "Failed")
    assert rollback["status"] == "Succeeded"
    assert [ts["taskDefinition"] for ts in world.task_sets()] == [world.td_v1]
    statuses = {e["lifecycleEventName"]: e["status"] for e in world.target(deployment_id)["lifecycleEvents"]}
    assert statuses["Install"] == "Failed" and statuses["AllowTraffic"] == "Skipped"


def test_an_alarm_in_alarm_stops_the_deployment(world: BlueGreenWorld) -> None:
    """Monitoring deployments with CloudWatch alarms in CodeDeploy (monitoring-create-alarms.html):
    an alarm of the group in ALARM stops the deployment (ALARM_ACTIVE); with
    DEPLOYMENT_STOP_ON_ALARM it is rolled back."""
    alarm = world.alarm(unique("cd-alarm"))
    group = world.group(
        termination_minutes=600,
        alarmConfiguration={"enabled": True, "alarms": [{"name": alarm}]},
        autoRollbackConfiguration=ROLLBACK_ALL,
    )
    deployment_id = world.create_deployment(group)
    world.wait_event(deployment_id, "AfterAllowTraffic", timeout=2 * SETTLE)
    world.cloudwatch.set_alarm_state(AlarmName=alarm, StateValue="ALARM", StateReason="lab test")
    info = world.wait_status(deployment_id, "Stopped", "Succeeded", "Failed")
    assert info["status"] == "Stopped" and info["errorInformation"]["code"] == "ALARM_ACTIVE"
    assert alarm in info["errorInformation"]["message"]
    assert world.wait_status(info["rollbackInfo"]["rollbackDeploymentId"], "Succeeded", "Failed")["status"] == "Succeeded"
    world.wait_version("1", port=PROD_PORT)


def test_batch_get_and_list_deployments(world: BlueGreenWorld) -> None:
    """BatchGetDeployments and ListDeployments (API Reference): deployments of the group, filtered
    by status; unknown IDs are left out of a batch."""
    group = world.group(ready={"actionOnTimeout": "STOP_DEPLOYMENT", "waitTimeInMinutes": 600})
    deployment_id = world.create_deployment(group, description="lab test")
    batch = world.deploy.batch_get_deployments(deploymentIds=[deployment_id, "d-NOTTHERE1"])["deploymentsInfo"]
    assert [(d["deploymentId"], d["description"]) for d in batch] == [(deployment_id, "lab test")]
    active = world.deploy.list_deployments(applicationName=world.name, deploymentGroupName=group, includeOnlyStatuses=["Created", "InProgress", "Ready"])
    assert active["deployments"] == [deployment_id]
    world.deploy.stop_deployment(deploymentId=deployment_id, autoRollbackEnabled=False)
    stopped = world.deploy.list_deployments(applicationName=world.name, deploymentGroupName=group, includeOnlyStatuses=["Stopped"])
    assert stopped["deployments"] == [deployment_id]
    code, _ = error_of(lambda: world.deploy.get_deployment(deploymentId="d-NOTTHERE1"))
    assert code == "DeploymentDoesNotExistException"
