"""cutover.ecs.deploy and deployment_info, strategy codedeploy, through real ansible against
the lab (real tasks, HAProxy, the CodeDeploy engine).

One CODE_DEPLOY service is walked through a sequence, in file order: check mode, v1 -> v2
all at once (production flips), the re-run (no mutating call), verify -> continue, verify ->
rollback, bad input (no mutating call). Its deployment group stops at Ready
(STOP_DEPLOYMENT): with verify=false the module continues by itself, which the first cutover
shows.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from moto_counting_server import mutating_calls

from lab.ecs.sampleimage import SampleImages, ensure_sample_images
from lab.ecs.testkit import SAMPLE_PORT, awsvpc, create_target_group, default_subnets, register_sample, unique, version_at, wait_for

PROD_PORT, TEST_PORT = 8000, 9000
ROLE = "arn:aws:iam::123456789012:role/codedeploy-ecs"
WAIT = {"wait_timeout": 300, "poll_interval": 1}


class CodeDeployWorld:
    """An ALB with production and test listeners, two target groups, a CODE_DEPLOY service on
    v1, and an application and group named like the service (so the module finds them)."""

    def __init__(self, lab: Any, images: SampleImages) -> None:
        self.lab = lab
        self.name = unique("dep")
        self.cluster = self.name
        self.ecs, self.elbv2, self.deploy = lab.client("ecs"), lab.client("elbv2"), lab.client("codedeploy")
        ec2 = lab.client("ec2")
        self.ecs.create_cluster(clusterName=self.cluster)
        subnets = default_subnets(ec2)
        vpc = ec2.describe_vpcs(Filters=[{"Name": "isDefault", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
        lb = self.elbv2.create_load_balancer(Name=self.name, Subnets=subnets, Type="application", Scheme="internal")["LoadBalancers"][0]
        self.host = lb["DNSName"]
        self.tg_names = (f"{self.name}-b", f"{self.name}-g")
        blue, green = (self._target_group(name, vpc) for name in self.tg_names)
        prod = self._listener(lb["LoadBalancerArn"], PROD_PORT, blue)
        test = self._listener(lb["LoadBalancerArn"], TEST_PORT, green)
        self.td_v1 = register_sample(self.ecs, self.name, images.v1)
        self.td_v2 = register_sample(self.ecs, self.name, images.v2)
        self.td_v1b = register_sample(self.ecs, self.name, images.v1, env={"REVISION": "b"})
        self.ecs.create_service(
            cluster=self.cluster,
            serviceName=self.name,
            taskDefinition=self.td_v1,
            desiredCount=1,
            launchType="FARGATE",
            networkConfiguration=awsvpc(subnets),
            loadBalancers=[{"targetGroupArn": blue, "containerName": "app", "containerPort": SAMPLE_PORT}],
            deploymentController={"type": "CODE_DEPLOY"},
        )
        self.deploy.create_application(applicationName=self.name, computePlatform="ECS")
        self.deploy.create_deployment_group(
            applicationName=self.name,
            deploymentGroupName=self.name,
            serviceRoleArn=ROLE,
            deploymentConfigName="CodeDeployDefault.ECSAllAtOnce",
            deploymentStyle={"deploymentType": "BLUE_GREEN", "deploymentOption": "WITH_TRAFFIC_CONTROL"},
            blueGreenDeploymentConfiguration={
                "deploymentReadyOption": {"actionOnTimeout": "STOP_DEPLOYMENT", "waitTimeInMinutes": 600},
                "terminateBlueInstancesOnDeploymentSuccess": {"action": "TERMINATE", "terminationWaitTimeInMinutes": 0},
            },
            autoRollbackConfiguration={"enabled": True, "events": ["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_REQUEST"]},
            loadBalancerInfo={
                "targetGroupPairInfoList": [
                    {
                        "targetGroups": [{"name": self.tg_names[0]}, {"name": self.tg_names[1]}],
                        "prodTrafficRoute": {"listenerArns": [prod]},
                        "testTrafficRoute": {"listenerArns": [test]},
                    }
                ]
            },
            ecsServices=[{"serviceName": self.name, "clusterName": self.cluster}],
        )
        self.wait_version("1")

    def _target_group(self, name: str, vpc: str) -> str:
        arn = create_target_group(self.elbv2, name, vpc)
        self.elbv2.modify_target_group_attributes(TargetGroupArn=arn, Attributes=[{"Key": "deregistration_delay.timeout_seconds", "Value": "2"}])
        return arn

    def _listener(self, lb: str, port: int, target_group: str) -> str:
        return self.elbv2.create_listener(LoadBalancerArn=lb, Protocol="HTTP", Port=port, DefaultActions=[{"Type": "forward", "TargetGroupArn": target_group}])[
            "Listeners"
        ][0]["ListenerArn"]

    def args(self, **extra: Any) -> dict:
        return {"cluster": self.cluster, "service": self.name, **WAIT, **extra}

    def url(self, port: int = PROD_PORT) -> str:
        return f"http://{self.host}:{port}/version"

    def wait_version(self, wanted: str, port: int = PROD_PORT, samples: int = 5) -> None:
        """``samples`` answers in a row from ``wanted`` (HAProxy follows weights asynchronously)."""
        streak = {"n": 0}

        def probe() -> int:
            streak["n"] = streak["n"] + 1 if version_at(self.url(port)) == wanted else 0
            return streak["n"]

        wait_for(f"{samples} answers of version {wanted} on port {port}", probe, lambda n: n >= samples, timeout=120, interval=0.2)

    def task_sets(self) -> list[dict]:
        return self.ecs.describe_task_sets(cluster=self.cluster, service=self.name)["taskSets"]


@pytest.fixture(scope="module")
def world(module_lab: Any) -> Iterator[CodeDeployWorld]:
    built = CodeDeployWorld(module_lab, ensure_sample_images("podman"))
    yield built
    # the lab's own teardown removes the rest
    built.ecs.update_service(cluster=built.cluster, service=built.name, desiredCount=0)


def test_check_mode_plans_without_mutating(world: CodeDeployWorld, run_module_on_lab: Any) -> None:
    result, calls = run_module_on_lab("deploy", world.args(task_definition=world.td_v2), check=True, diff=True)
    assert result.get("failed") is not True, result
    assert result["changed"] is True
    assert (result["status"], result["strategy"], result["plan"]["action"]) == ("planned", "codedeploy", "start")
    assert result["previous_task_definition"] == world.td_v1
    assert result["plan"]["deployment_config"] == "CodeDeployDefault.ECSAllAtOnce"
    properties = result["plan"]["appspec"]["Resources"][0]["TargetService"]["Properties"]
    assert properties["TaskDefinition"] == world.td_v2
    assert properties["LoadBalancerInfo"] == {"ContainerName": "app", "ContainerPort": SAMPLE_PORT}
    assert "containerDefinitions" in result["diff"]["after"]
    assert result["plan"]["traffic"] == {"steps": [{"green_percent": 100, "after_minutes": 0}], "line": "all production traffic to green at once"}
    assert mutating_calls(calls) == []
    # a canary of a predefined config: its steps, read from the name alone
    canary = {"type": "canary", "percent": 10, "interval_minutes": 5}
    result, calls = run_module_on_lab("deploy", world.args(task_definition=world.td_v2, traffic=canary), check=True)
    assert result["plan"]["deployment_config"] == "CodeDeployDefault.ECSCanary10Percent5Minutes"
    assert result["plan"]["traffic"]["steps"] == [{"green_percent": 10, "after_minutes": 0}, {"green_percent": 100, "after_minutes": 5}]
    assert mutating_calls(calls) == []
    assert version_at(world.url()) == "1"


def test_check_mode_plans_the_revision_an_earlier_task_would_register(world: CodeDeployWorld, run_module_on_lab: Any) -> None:
    latest = world.ecs.describe_task_definition(taskDefinition=world.name)["taskDefinition"]
    prefix = latest["taskDefinitionArn"].rsplit(":", 1)[0]
    following = f"{prefix}:{latest['revision'] + 1}"
    result, calls = run_module_on_lab("deploy", world.args(task_definition=following), check=True, diff=True)
    assert result.get("failed") is not True, result
    assert (result["status"], result["plan"]["action"], result["task_definition"]) == ("planned", "start", following)
    assert result["diff"]["after_header"] == f"{world.name}:{latest['revision'] + 1} (to be registered by the run)"
    assert mutating_calls(calls) == []
    # any other revision that does not exist is refused, in check mode too
    beyond = f"{prefix}:{latest['revision'] + 2}"
    result, calls = run_module_on_lab("deploy", world.args(task_definition=beyond), check=True)
    assert result.get("failed") is True and "does not exist" in result["msg"], result
    assert mutating_calls(calls) == []


def test_all_at_once_v1_to_v2(world: CodeDeployWorld, run_module_on_lab: Any) -> None:
    result, calls = run_module_on_lab("deploy", world.args(task_definition=world.td_v2, traffic={"type": "all_at_once"}))
    assert result.get("failed") is not True, result
    assert result["changed"] is True
    assert result["status"] == "succeeded"
    assert result["task_definition"] == world.td_v2 and result["previous_task_definition"] == world.td_v1
    assert result["weights"] == {"blue": 0.0, "green": 100.0}
    assert result["rolled_back"] is False
    assert [p["name"] for p in result["phases"]][:2] == ["BeforeInstall", "Install"]
    assert all(p["status"] == "Succeeded" for p in result["phases"]), result["phases"]
    assert result["progress"], "no progress line recorded"
    assert any("healthy blue 1 / green 1" in line for line in result["progress"]), result["progress"]
    # the group stops at Ready: with verify=false the module continued it
    assert [c for c in mutating_calls(calls)] == ["codedeploy:CreateDeployment", "codedeploy:ContinueDeployment"]
    world.wait_version("2")
    assert [ts["taskDefinition"] for ts in world.task_sets()] == [world.td_v2]


def test_rerun_changes_nothing(world: CodeDeployWorld, run_module_on_lab: Any) -> None:
    family_revision = world.td_v2.split("/")[-1]
    result, calls = run_module_on_lab("deploy", world.args(task_definition=family_revision))
    assert result.get("failed") is not True, result
    assert (result["changed"], result["status"]) == (False, "succeeded")
    assert mutating_calls(calls) == []
    checked, calls = run_module_on_lab("deploy", world.args(task_definition=world.td_v2), check=True)
    assert (checked["changed"], checked["plan"]["action"]) == (False, "noop")
    assert mutating_calls(calls) == []


def test_deployment_info_reports_the_cutover(world: CodeDeployWorld, run_module_on_lab: Any) -> None:
    result, calls = run_module_on_lab("deployment_info", {"cluster": world.cluster, "service": world.name})
    assert result.get("failed") is not True, result
    assert (result["changed"], result["exists"], result["status"], result["strategy"]) == (False, True, "succeeded", "codedeploy")
    assert result["task_definition"] == world.td_v2
    assert result["weights"] == {"blue": 0.0, "green": 100.0}
    assert mutating_calls(calls) == []


def test_verify_then_continue(world: CodeDeployWorld, run_module_on_lab: Any) -> None:
    awaiting, calls = run_module_on_lab("deploy", world.args(task_definition=world.td_v1b, verify=True))
    assert awaiting.get("failed") is not True, awaiting
    assert (awaiting["changed"], awaiting["status"]) == (True, "awaiting_verification")
    assert mutating_calls(calls) == ["codedeploy:CreateDeployment"]
    world.wait_version("1", port=TEST_PORT)
    assert version_at(world.url()) == "2", "production moved before verification"
    # a re-run while it waits attaches to it: no second deployment
    again, calls = run_module_on_lab("deploy", world.args(task_definition=world.td_v1b, verify=True))
    assert (again["status"], again["deployment_id"]) == ("awaiting_verification", awaiting["deployment_id"])
    assert mutating_calls(calls) == []
    info, _calls = run_module_on_lab("deployment_info", {"cluster": world.cluster, "service": world.name})
    assert (info["status"], info["deployment_id"]) == ("awaiting_verification", awaiting["deployment_id"])
    # a deployment of another task definition meanwhile: refused before any change
    conflict, calls = run_module_on_lab("deploy", world.args(task_definition=world.td_v2))
    assert conflict.get("failed") is True, conflict
    assert "Another deployment is in progress" in conflict["msg"] and awaiting["deployment_id"] in conflict["msg"]
    assert mutating_calls(calls) == []

    done, calls = run_module_on_lab("deploy", world.args(action="continue", deployment_id=awaiting["deployment_id"]))
    assert done.get("failed") is not True, done
    assert (done["changed"], done["status"], done["deployment_id"]) == (True, "succeeded", awaiting["deployment_id"])
    assert mutating_calls(calls) == ["codedeploy:ContinueDeployment"]
    world.wait_version("1")
    assert [ts["taskDefinition"] for ts in world.task_sets()] == [world.td_v1b]


def test_verify_then_rollback_keeps_production(world: CodeDeployWorld, run_module_on_lab: Any) -> None:
    awaiting, _calls = run_module_on_lab("deploy", world.args(task_definition=world.td_v2, verify=True))
    assert awaiting["status"] == "awaiting_verification", awaiting
    world.wait_version("2", port=TEST_PORT)

    rolled, calls = run_module_on_lab("deploy", world.args(action="rollback"))
    assert rolled.get("failed") is not True, rolled
    assert (rolled["changed"], rolled["status"], rolled["rolled_back"]) == (True, "rolled_back", True)
    assert rolled["deployment_id"] == awaiting["deployment_id"]
    assert rolled["rollback_reason"]
    assert mutating_calls(calls) == ["codedeploy:StopDeployment"]
    world.wait_version("1")
    world.wait_version("1", port=TEST_PORT)
    wait_for("green task set removed", world.task_sets, lambda sets: [ts["taskDefinition"] for ts in sets] == [world.td_v1b], timeout=60)

    again, calls = run_module_on_lab("deploy", world.args(action="rollback"))
    assert (again["changed"], again["status"]) == (False, "rolled_back"), again
    assert mutating_calls(calls) == []
    # the rollback deployment is the group's newest: reported as the deployment it rolled back
    info, calls = run_module_on_lab("deployment_info", {"cluster": world.cluster, "service": world.name})
    assert (info["status"], info["deployment_id"], info["rolled_back"], info["task_definition"]) == (
        "rolled_back",
        awaiting["deployment_id"],
        True,
        world.td_v2,
    )
    assert info["weights"] == {"blue": 100.0, "green": 0.0}
    assert mutating_calls(calls) == []


def test_canary_with_a_config_of_its_own(world: CodeDeployWorld, run_module_on_lab: Any) -> None:
    """20 percent for one (lab) minute: no predefined config matches, so the module creates one."""
    traffic = {"type": "canary", "percent": 20, "interval_minutes": 1}
    result, calls = run_module_on_lab("deploy", world.args(task_definition=world.td_v2, traffic=traffic))
    assert result.get("failed") is not True, result
    assert (result["changed"], result["status"]) == (True, "succeeded")
    assert mutating_calls(calls) == ["codedeploy:CreateDeploymentConfig", "codedeploy:CreateDeployment", "codedeploy:ContinueDeployment"]
    assert any("blue 80% / green 20%" in line for line in result["progress"]), result["progress"]
    info = world.deploy.get_deployment(deploymentId=result["deployment_id"])["deploymentInfo"]
    assert info["deploymentConfigName"] == "cutover-ecs.Canary20PercentEvery1Minutes"
    world.wait_version("2")

    again, calls = run_module_on_lab("deploy", world.args(task_definition=world.td_v2, traffic=traffic))
    assert (again["changed"], again["status"]) == (False, "succeeded"), again
    assert mutating_calls(calls) == []


@pytest.mark.parametrize(
    "extra, message",
    [
        ({"container_name": "nope"}, "container_name nope is not a container"),
        ({"container_port": 9999}, "container_port 9999 is not a port mapping"),
        ({"strategy": "rolling"}, "strategy=rolling needs a service with the ECS deployment controller"),
        ({"strategy": "ecs"}, "strategy=ecs needs a service with the ECS deployment controller"),
        ({"traffic": {"type": "canary", "percent": 150, "interval_minutes": 1}}, "between 1 and 99"),
        ({"traffic": {"type": "config", "config_name": "no-such-config"}}, "no-such-config does not exist"),
        ({"wait_until": "POST_TEST_TRAFFIC_SHIFT"}, "wait_until must be stable, deployed or a stage of the codedeploy strategy"),
        ({"wait_until": "AllowTraffic", "verify": True}, "wait_until=AllowTraffic and verify=true"),
    ],
)
def test_bad_input_fails_before_any_change(world: CodeDeployWorld, run_module_on_lab: Any, extra: dict, message: str) -> None:
    result, calls = run_module_on_lab("deploy", world.args(task_definition=world.td_v2, **extra))
    assert result.get("failed") is True, result
    assert message in result["msg"]
    assert mutating_calls(calls) == []


def test_unknown_task_definition_fails_before_any_change(world: CodeDeployWorld, run_module_on_lab: Any) -> None:
    result, calls = run_module_on_lab("deploy", world.args(task_definition=f"{world.name}:99"))
    assert result.get("failed") is True and "does not exist" in result["msg"], result
    assert mutating_calls(calls) == []


def test_deployment_info_of_a_missing_service_fails(world: CodeDeployWorld, run_module_on_lab: Any) -> None:
    result, calls = run_module_on_lab("deployment_info", {"cluster": world.cluster, "service": "no-such-service"})
    assert result.get("failed") is True and "does not exist" in result["msg"], result
    assert mutating_calls(calls) == []


def test_wait_until_a_stage_then_deployed_then_rollback(world: CodeDeployWorld, run_module_on_lab: Any) -> None:
    """wait_until for CI: back at AllowTestTraffic (the group holds the deployment at Ready: test traffic on green), then,
    continued, back once production is all on green while the termination wait runs; a rollback then still restores
    blue at once."""
    serving = version_at(world.url())
    _set_termination_wait(world, 1)
    try:
        held, calls = run_module_on_lab("deploy", world.args(task_definition=world.td_v1b if serving == "2" else world.td_v2, wait_until="AllowTestTraffic"))
        assert held.get("failed") is not True, held
        assert (held["changed"], held["status"]) == (True, "in_progress"), held
        assert mutating_calls(calls) == ["codedeploy:CreateDeployment"]
        assert world.deploy.get_deployment(deploymentId=held["deployment_id"])["deploymentInfo"]["status"] == "Ready"
        other = "1" if serving == "2" else "2"
        world.wait_version(other, port=TEST_PORT)
        assert version_at(world.url()) == serving, "production moved before the continue"

        deployed, calls = run_module_on_lab("deploy", world.args(action="continue", deployment_id=held["deployment_id"], wait_until="deployed"))
        assert deployed.get("failed") is not True, deployed
        assert (deployed["changed"], deployed["status"], deployed["deployment_id"]) == (True, "deployed", held["deployment_id"])
        assert mutating_calls(calls) == ["codedeploy:ContinueDeployment"]
        # production is all on green; the deployment goes on (its termination wait)
        assert world.deploy.get_deployment(deploymentId=held["deployment_id"])["deploymentInfo"]["status"] == "InProgress"
        world.wait_version(other)

        rolled, calls = run_module_on_lab("deploy", world.args(action="rollback"))
        assert (rolled["status"], rolled["rolled_back"]) == ("rolled_back", True), rolled
        assert mutating_calls(calls) == ["codedeploy:StopDeployment"]
        world.wait_version(serving)
    finally:
        _set_termination_wait(world, 0)


def _set_termination_wait(world: CodeDeployWorld, minutes: int) -> None:
    group = world.deploy.get_deployment_group(applicationName=world.name, deploymentGroupName=world.name)["deploymentGroupInfo"]
    config = dict(group["blueGreenDeploymentConfiguration"])
    config["terminateBlueInstancesOnDeploymentSuccess"] = {"action": "TERMINATE", "terminationWaitTimeInMinutes": minutes}
    world.deploy.update_deployment_group(applicationName=world.name, currentDeploymentGroupName=world.name, blueGreenDeploymentConfiguration=config)
