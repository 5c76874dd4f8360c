"""Conformance: ECS-native BLUE_GREEN, LINEAR and CANARY service deployments, carried out by the lab.

Every test names the AWS page it follows. A ``NativeWorld`` is what "Application Load Balancer
resources for blue/green, linear, and canary deployments" (alb-resources-for-blue-green.html) asks
for: an ALB with a production listener rule and a test listener rule, a primary and an alternate
target group, and a service with the ECS deployment controller whose load balancer has an
``advancedConfiguration``. ``test_e2e_ecs_native.py`` reuses it with a load generator.

Minutes are lab minutes (``LAB_TIME_SCALE``); every wait is bounded.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError
from test_codedeploy_engine_api import PROD_PORT, SETTLE, TEST_PORT, BlueGreenWorld, error_of, lab_minutes

from lab.ecs.native_lifecycle import INVALID_NETWORKING
from lab.ecs.sampleimage import SampleImages, ensure_sample_images
from lab.ecs.testkit import SAMPLE_PORT, awsvpc, default_subnets, register_sample, unique, wait_for

ROLE = "arn:aws:iam::123456789012:role/ecs-infrastructure-lb"
TERMINAL = ("SUCCESSFUL", "STOPPED", "ROLLBACK_SUCCESSFUL", "ROLLBACK_FAILED")


class NativeWorld:
    """One ALB with a production rule (port 8000) and a test rule (port 9000), two target
    groups, and an ECS-controller service running v1 in the primary target group."""

    def __init__(self, lab: Any, cluster: str, images: SampleImages, one_group_rules: bool = False) -> None:
        """``one_group_rules``: each listener rule forwards to one target group (a plain forward action),
        the production rule to blue and the test rule to green, as AWS's pages set them up
        (migrate-code-deploy-to-ecs-blue-green.html), instead of a blue/green pair weighted 100/0."""
        self.one_group_rules = one_group_rules
        self.lab = lab
        self.cluster = cluster
        self.images = images
        self.name = unique("native")
        self.ecs, self.elbv2, self.cloudwatch = lab.client("ecs"), lab.client("elbv2"), lab.client("cloudwatch")
        ec2 = lab.client("ec2")
        self.subnets = default_subnets(ec2)
        vpc = ec2.describe_vpcs(Filters=[{"Name": "isDefault", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
        lb = self.elbv2.create_load_balancer(Name=self.name, Subnets=self.subnets, Type="application", Scheme="internal")["LoadBalancers"][0]
        self.lb_arn, self.host = lb["LoadBalancerArn"], lb["DNSName"]
        self.blue_tg = self._target_group(f"{self.name}-1", vpc)
        self.green_tg = self._target_group(f"{self.name}-2", vpc)
        self.prod_listener = self._listener(PROD_PORT)
        self.test_listener = self._listener(TEST_PORT)
        self.prod_rule = self._rule(self.prod_listener, self.blue_tg)
        self.test_rule = self._rule(self.test_listener, self.green_tg)
        self.family = self.name
        self.td_v1 = register_sample(self.ecs, self.family, images.v1)
        self.td_v2 = register_sample(self.ecs, self.family, images.v2)
        self.service_created = False

    # the same as the CodeDeploy world's (a target group, health and /version probes, an alarm)
    _target_group = BlueGreenWorld._target_group
    healthy = BlueGreenWorld.healthy
    wait_healthy = BlueGreenWorld.wait_healthy
    url = BlueGreenWorld.url
    version = BlueGreenWorld.version
    wait_version = BlueGreenWorld.wait_version
    alarm = BlueGreenWorld.alarm

    def _listener(self, port: int) -> str:
        return self.elbv2.create_listener(
            LoadBalancerArn=self.lb_arn, Protocol="HTTP", Port=port, DefaultActions=[{"Type": "forward", "TargetGroupArn": self.blue_tg}]
        )["Listeners"][0]["ListenerArn"]

    def _rule(self, listener: str, one_group: str) -> str:
        pair = {"TargetGroups": [{"TargetGroupArn": self.blue_tg, "Weight": 100}, {"TargetGroupArn": self.green_tg, "Weight": 0}]}
        action = {"Type": "forward", "TargetGroupArn": one_group} if self.one_group_rules else {"Type": "forward", "ForwardConfig": pair}
        return self.elbv2.create_rule(ListenerArn=listener, Priority=1, Conditions=[{"Field": "path-pattern", "Values": ["/*"]}], Actions=[action])["Rules"][0][
            "RuleArn"
        ]

    def load_balancers(self, test_rule: bool = True) -> list[dict[str, Any]]:
        advanced = {"alternateTargetGroupArn": self.green_tg, "productionListenerRule": self.prod_rule, "roleArn": ROLE}
        if test_rule:
            advanced["testListenerRule"] = self.test_rule
        return [{"targetGroupArn": self.blue_tg, "containerName": "app", "containerPort": SAMPLE_PORT, "advancedConfiguration": advanced}]

    def create_service(self, config: dict[str, Any], desired: int = 1, **extra: Any) -> dict[str, Any]:
        service = self.ecs.create_service(
            cluster=self.cluster,
            serviceName=self.name,
            taskDefinition=self.td_v1,
            desiredCount=desired,
            launchType="FARGATE",
            networkConfiguration=awsvpc(self.subnets),
            loadBalancers=extra.pop("loadBalancers", None) or self.load_balancers(),
            deploymentConfiguration=config,
            **extra,
        )["service"]
        self.service_created = True
        self.wait_healthy(self.blue_tg, desired)
        return service

    # deployments ------------------------------------------------------------------------
    def deploy(self, task_definition: str | None = None, **extra: Any) -> str:
        self.ecs.update_service(cluster=self.cluster, service=self.name, taskDefinition=task_definition or self.td_v2, **extra)
        return self.latest()["serviceDeploymentArn"]

    def latest(self) -> dict[str, Any]:
        return self.ecs.list_service_deployments(cluster=self.cluster, service=self.name)["serviceDeployments"][0]

    def describe(self, arn: str) -> dict[str, Any]:
        return self.ecs.describe_service_deployments(serviceDeploymentArns=[arn])["serviceDeployments"][0]

    def wait_stage(self, arn: str, stage: str, awaiting: bool = False, timeout: float = 2 * SETTLE) -> dict[str, Any]:
        def ready(d: dict[str, Any]) -> bool:
            if d["status"] in TERMINAL:
                raise AssertionError(f"deployment ended while waiting for {stage}: {d['status']} {d.get('statusReason')}")
            at_stage = d.get("lifecycleStage") == stage
            return at_stage and (not awaiting or any(h["status"] == "AWAITING_ACTION" for h in d.get("lifecycleHookDetails", [])))

        return wait_for(f"{arn} at {stage}", lambda: self.describe(arn), ready, timeout=timeout, interval=0.5)

    def wait_done(self, arn: str, timeout: float = 2 * SETTLE) -> dict[str, Any]:
        return wait_for(f"{arn} finished", lambda: self.describe(arn), lambda d: d["status"] in TERMINAL, timeout=timeout, interval=0.5)

    def hook_id(self, arn: str) -> str:
        return next(h["hookId"] for h in self.describe(arn)["lifecycleHookDetails"] if h["status"] == "AWAITING_ACTION")

    # ECS, ELB and traffic ---------------------------------------------------------------
    def service(self) -> dict[str, Any]:
        return self.ecs.describe_services(cluster=self.cluster, services=[self.name])["services"][0]

    def rule_weights(self, rule: str) -> dict[str, int]:
        action = self.elbv2.describe_rules(RuleArns=[rule])["Rules"][0]["Actions"][0]
        return {"blue" if g["TargetGroupArn"] == self.blue_tg else "green": g.get("Weight", 1) for g in action["ForwardConfig"]["TargetGroups"]}

    def running_task_definitions(self) -> list[str]:
        arns = self.ecs.list_tasks(cluster=self.cluster, serviceName=self.name)["taskArns"]
        if not arns:
            return []
        return sorted(t["taskDefinitionArn"] for t in self.ecs.describe_tasks(cluster=self.cluster, tasks=arns)["tasks"])

    def close(self) -> None:
        """Best effort: the lab's own teardown removes whatever is left."""
        if not self.service_created:
            return
        for call in (
            lambda: self.ecs.update_service(cluster=self.cluster, service=self.name, desiredCount=0),
            lambda: self.ecs.delete_service(cluster=self.cluster, service=self.name, force=True),
        ):
            try:
                call()
            except ClientError:
                pass


def pause_at(*stages: str, minutes: int | None = None, action: str | None = None) -> dict[str, Any]:
    hook: dict[str, Any] = {"targetType": "PAUSE", "lifecycleStages": list(stages)}
    if minutes is not None:
        hook["timeoutConfiguration"] = {"timeoutInMinutes": minutes, "action": action or "ROLLBACK"}
    return hook


@pytest.fixture(scope="module")
def images() -> SampleImages:
    return ensure_sample_images("podman")


@pytest.fixture(scope="module")
def cluster(lab: Any) -> str:
    name = unique("native")
    lab.client("ecs").create_cluster(clusterName=name)
    return name


@pytest.fixture
def world(lab: Any, cluster: str, images: SampleImages) -> Iterator[NativeWorld]:
    built = NativeWorld(lab, cluster, images)
    try:
        yield built
    finally:
        built.close()


# rejections (no tasks) -------------------------------------------------------------------


def test_blue_green_without_an_alternate_target_group_is_refused(world: NativeWorld) -> None:
    """Amazon ECS blue/green deployments (deployment-type-blue-green.html) and AdvancedConfiguration
    (API Reference): BLUE_GREEN needs the alternate target group and the production listener rule;
    a Lambda hook is refused clearly, since the lab cannot run Lambda; the strategy needs the ECS
    deployment controller."""
    plain = [{"targetGroupArn": world.blue_tg, "containerName": "app", "containerPort": SAMPLE_PORT}]
    base = {
        "cluster": world.cluster,
        "serviceName": world.name,
        "taskDefinition": world.td_v1,
        "desiredCount": 0,
        "launchType": "FARGATE",
        "networkConfiguration": awsvpc(world.subnets),
    }
    code, message = error_of(lambda: world.ecs.create_service(**base, loadBalancers=plain, deploymentConfiguration={"strategy": "BLUE_GREEN"}))
    assert code == "InvalidParameterException" and "alternate target group" in message
    no_rule = [{**plain[0], "advancedConfiguration": {"alternateTargetGroupArn": world.green_tg, "roleArn": ROLE}}]
    code, message = error_of(lambda: world.ecs.create_service(**base, loadBalancers=no_rule, deploymentConfiguration={"strategy": "BLUE_GREEN"}))
    assert code == "InvalidParameterException" and "productionListenerRule" in message
    lambda_hook = {
        "strategy": "BLUE_GREEN",
        "lifecycleHooks": [
            {
                "targetType": "AWS_LAMBDA",
                "hookTargetArn": "arn:aws:lambda:us-east-1:123456789012:function:f",
                "roleArn": ROLE,
                "lifecycleStages": ["POST_SCALE_UP"],
            }
        ],
    }
    code, message = error_of(lambda: world.ecs.create_service(**base, loadBalancers=world.load_balancers(), deploymentConfiguration=lambda_hook))
    assert code == "InvalidParameterException" and "Lambda" in message
    code, _ = error_of(
        lambda: world.ecs.create_service(
            **base, loadBalancers=world.load_balancers(), deploymentConfiguration={"strategy": "BLUE_GREEN"}, deploymentController={"type": "CODE_DEPLOY"}
        )
    )
    assert code == "InvalidParameterException"
    world.ecs.create_service(**base, loadBalancers=plain)
    world.service_created = True
    code, message = error_of(lambda: world.ecs.update_service(cluster=world.cluster, service=world.name, deploymentConfiguration={"strategy": "LINEAR"}))
    assert code == "InvalidParameterException" and "alternate target group" in message
    missing = "arn:aws:ecs:us-east-1:123456789012:service-deployment/x/y/z"
    code, _ = error_of(lambda: world.ecs.stop_service_deployment(serviceDeploymentArn=missing))
    assert code == "ServiceDeploymentNotFoundException"
    assert world.ecs.describe_service_deployments(serviceDeploymentArns=[missing])["failures"] == [{"arn": missing, "reason": "MISSING"}]


# the lifecycle on real tasks ---------------------------------------------------------------


def test_a_target_group_on_no_listener_rule_rolls_the_deployment_back(lab: Any, cluster: str, images: SampleImages) -> None:
    """migrate-code-deploy-to-ecs-blue-green.html: "If you are using test listeners, one target group
    must be linked to production listener rules and the other to test listener rules." With both rules
    forwarding to blue alone, the deployment is rolled back with the page's error, before any green
    task starts, and the rules are left as they were."""
    world = NativeWorld(lab, cluster, images, one_group_rules=True)
    try:
        world.create_service({"strategy": "BLUE_GREEN", "bakeTimeInMinutes": 0})
        to_blue = [{"Type": "forward", "TargetGroupArn": world.blue_tg}]
        world.elbv2.modify_rule(RuleArn=world.test_rule, Actions=to_blue)
        arn = world.deploy()
        done = world.wait_done(arn)
        assert (done["status"], done["statusReason"]) == ("ROLLBACK_SUCCESSFUL", INVALID_NETWORKING)
        for rule in (world.prod_rule, world.test_rule):
            (action,) = world.elbv2.describe_rules(RuleArns=[rule])["Rules"][0]["Actions"]
            named = {g["TargetGroupArn"] for g in action.get("ForwardConfig", {}).get("TargetGroups", [])} | {action.get("TargetGroupArn")}
            assert named - {None} == {world.blue_tg}
        assert world.service()["taskDefinition"] == world.td_v1
        assert world.running_task_definitions() == [world.td_v1]
        assert world.version() == "1"
    finally:
        world.close()


def test_blue_green_walks_the_stages_pauses_and_swaps_target_groups(world: NativeWorld) -> None:
    """Amazon ECS blue/green service deployments workflow (blue-green-deployment-how-it-works.html),
    lifecycle hooks (deployment-lifecycle-hooks.html), ContinueServiceDeployment,
    DescribeServiceDeployments, DescribeServiceRevisions, ListServiceDeployments (API Reference):
    green scales up in the alternate target group, the test rule moves to green, a PAUSE hook holds
    the deployment with its hookId until ContinueServiceDeployment, production moves all at once,
    blue is cleaned up and the target groups swap roles."""
    world.create_service({"strategy": "BLUE_GREEN", "bakeTimeInMinutes": 0, "lifecycleHooks": [pause_at("POST_SCALE_UP"), pause_at("POST_TEST_TRAFFIC_SHIFT")]})
    arn = world.deploy()
    paused = world.wait_stage(arn, "POST_SCALE_UP", awaiting=True)
    assert paused["status"] == "IN_PROGRESS"
    assert paused["targetServiceRevision"]["runningTaskCount"] == 1
    hook = paused["lifecycleHookDetails"][0]
    assert hook["targetType"] == "PAUSE" and hook["timeoutAction"] == "ROLLBACK" and "expiresAt" in hook
    assert world.healthy(world.green_tg) == 1 and world.rule_weights(world.test_rule) == {"blue": 100, "green": 0}
    world.ecs.continue_service_deployment(serviceDeploymentArn=arn, hookId=hook["hookId"], action="CONTINUE")
    paused = world.wait_stage(arn, "POST_TEST_TRAFFIC_SHIFT", awaiting=True)
    assert world.rule_weights(world.test_rule) == {"blue": 0, "green": 100}
    assert world.rule_weights(world.prod_rule) == {"blue": 100, "green": 0}
    assert paused["targetServiceRevision"]["requestedTestTrafficWeight"] == 100.0
    assert paused["targetServiceRevision"]["requestedProductionTrafficWeight"] == 0.0
    code, _ = error_of(lambda: world.ecs.continue_service_deployment(serviceDeploymentArn=arn, hookId="nope", action="CONTINUE"))
    assert code == "InvalidParameterException"
    world.ecs.continue_service_deployment(serviceDeploymentArn=arn, hookId=world.hook_id(arn), action="CONTINUE")
    done = world.wait_done(arn)
    assert done["status"] == "SUCCESSFUL" and done["lifecycleStage"] == "CLEAN_UP"
    assert world.rule_weights(world.prod_rule) == {"blue": 0, "green": 100}
    service = world.service()
    assert service["taskDefinition"] == world.td_v2
    assert service["loadBalancers"][0]["targetGroupArn"] == world.green_tg
    assert service["loadBalancers"][0]["advancedConfiguration"]["alternateTargetGroupArn"] == world.blue_tg
    assert world.running_task_definitions() == [world.td_v2]
    revisions = world.ecs.describe_service_revisions(serviceRevisionArns=[done["targetServiceRevision"]["arn"], done["sourceServiceRevisions"][0]["arn"]])
    by_arn = {r["serviceRevisionArn"]: r for r in revisions["serviceRevisions"]}
    assert by_arn[done["targetServiceRevision"]["arn"]]["taskDefinition"] == world.td_v2
    assert by_arn[done["sourceServiceRevisions"][0]["arn"]]["taskDefinition"] == world.td_v1
    listed = world.ecs.list_service_deployments(cluster=world.cluster, service=world.name, status=["SUCCESSFUL"])["serviceDeployments"]
    assert [d["serviceDeploymentArn"] for d in listed] == [arn]
    assert world.ecs.list_service_deployments(cluster=world.cluster, service=world.name, status=["IN_PROGRESS"])["serviceDeployments"] == []
    # the next deployment goes the other way: v1 into the old blue group
    second = world.deploy(world.td_v1, deploymentConfiguration={"strategy": "BLUE_GREEN", "bakeTimeInMinutes": 0, "lifecycleHooks": []})
    assert world.wait_done(second)["status"] == "SUCCESSFUL"
    assert world.service()["loadBalancers"][0]["targetGroupArn"] == world.blue_tg
    assert world.rule_weights(world.prod_rule) == {"blue": 100, "green": 0}


def test_stop_service_deployment_rolls_back_to_blue(world: NativeWorld) -> None:
    """StopServiceDeployment with stopType ROLLBACK (stop-service-deployment.html, API Reference):
    the test and production rules return to blue, green is scaled down, the service keeps v1."""
    world.create_service({"strategy": "BLUE_GREEN", "lifecycleHooks": [pause_at("POST_TEST_TRAFFIC_SHIFT")]})
    arn = world.deploy()
    world.wait_stage(arn, "POST_TEST_TRAFFIC_SHIFT", awaiting=True)
    world.ecs.stop_service_deployment(serviceDeploymentArn=arn, stopType="ROLLBACK")
    done = world.wait_done(arn)
    assert done["status"] == "ROLLBACK_SUCCESSFUL"
    assert done["rollback"]["serviceRevisionArn"] == done["sourceServiceRevisions"][0]["arn"]
    assert world.rule_weights(world.test_rule) == {"blue": 100, "green": 0}
    assert world.rule_weights(world.prod_rule) == {"blue": 100, "green": 0}
    service = world.service()
    assert service["taskDefinition"] == world.td_v1 and service["loadBalancers"][0]["targetGroupArn"] == world.blue_tg
    assert world.running_task_definitions() == [world.td_v1]
    code, _ = error_of(lambda: world.ecs.stop_service_deployment(serviceDeploymentArn=arn))
    assert code == "ConflictException"


def test_hook_rollback_action_and_timeout_continue(world: NativeWorld) -> None:
    """Lifecycle hooks (deployment-lifecycle-hooks.html), DeploymentLifecycleHookTimeoutConfiguration
    (API Reference): ContinueServiceDeployment with ROLLBACK rolls the deployment back; a hook whose
    timeout passes takes its timeout action (CONTINUE here)."""
    world.create_service({"strategy": "BLUE_GREEN", "lifecycleHooks": [pause_at("PRE_SCALE_UP")]})
    arn = world.deploy()
    world.wait_stage(arn, "PRE_SCALE_UP", awaiting=True)
    world.ecs.continue_service_deployment(serviceDeploymentArn=arn, hookId=world.hook_id(arn), action="ROLLBACK")
    assert world.wait_done(arn)["status"] == "ROLLBACK_SUCCESSFUL"
    assert world.service()["taskDefinition"] == world.td_v1
    config = {"strategy": "BLUE_GREEN", "lifecycleHooks": [pause_at("PRE_SCALE_UP", minutes=lab_minutes(3), action="CONTINUE")]}
    second = world.deploy(deploymentConfiguration=config)
    done = world.wait_done(second)
    assert done["status"] == "SUCCESSFUL"
    assert world.service()["taskDefinition"] == world.td_v2


def test_canary_shifts_a_share_then_the_rest(world: NativeWorld) -> None:
    """Amazon ECS canary deployments (deployment-type-canary.html): canaryPercent of production
    moves to green, the rest after canaryBakeTimeInMinutes."""
    bake = lab_minutes(8)
    world.create_service(
        {"strategy": "CANARY", "canaryConfiguration": {"canaryPercent": 20.0, "canaryBakeTimeInMinutes": bake}},
        loadBalancers=world.load_balancers(test_rule=False),
    )
    arn = world.deploy()
    world.wait_stage(arn, "PRODUCTION_TRAFFIC_SHIFT")
    wait_for("canary weights", lambda: world.rule_weights(world.prod_rule), lambda w: w == {"blue": 80, "green": 20}, timeout=SETTLE, interval=0.25)
    described = world.describe(arn)
    assert described["status"] == "IN_PROGRESS" and described["targetServiceRevision"]["requestedProductionTrafficWeight"] == 20.0
    assert world.wait_done(arn)["status"] == "SUCCESSFUL"
    assert world.rule_weights(world.prod_rule) == {"blue": 0, "green": 100}


def test_linear_shifts_in_steps(world: NativeWorld) -> None:
    """Amazon ECS linear deployments (deployment-type-linear.html): stepPercent more of production
    every stepBakeTimeInMinutes until all of it is on green."""
    step = lab_minutes(4)
    world.create_service({"strategy": "LINEAR", "linearConfiguration": {"stepPercent": 50.0, "stepBakeTimeInMinutes": step}})
    arn = world.deploy()
    wait_for("half the traffic", lambda: world.rule_weights(world.prod_rule), lambda w: w == {"blue": 50, "green": 50}, timeout=2 * SETTLE, interval=0.25)
    assert world.describe(arn)["lifecycleStage"] == "PRODUCTION_TRAFFIC_SHIFT"
    assert world.wait_done(arn)["status"] == "SUCCESSFUL"
    assert world.rule_weights(world.prod_rule) == {"blue": 0, "green": 100}


def test_an_alarm_during_bake_time_rolls_back(world: NativeWorld) -> None:
    """Bake time and CloudWatch alarms (deployment-alarm-failure.html, DeploymentAlarms in the API
    Reference): an alarm going into ALARM during the bake time rolls the deployment back with rollback
    enabled; production returns to blue."""
    alarm = world.alarm(unique("native-alarm"))
    config = {"strategy": "BLUE_GREEN", "bakeTimeInMinutes": lab_minutes(600), "alarms": {"enable": True, "rollback": True, "alarmNames": [alarm]}}
    world.create_service(config)
    arn = world.deploy()
    baking = world.wait_stage(arn, "BAKE_TIME")
    assert baking["alarms"]["status"] == "MONITORING" and baking["alarms"]["alarmNames"] == [alarm]
    world.wait_version("2")
    world.cloudwatch.set_alarm_state(AlarmName=alarm, StateValue="ALARM", StateReason="lab test")
    done = world.wait_done(arn)
    assert done["status"] == "ROLLBACK_SUCCESSFUL" and done["alarms"]["triggeredAlarmNames"] == [alarm]
    assert done["alarms"]["status"] == "TRIGGERED"
    world.wait_version("1")
    assert world.service()["taskDefinition"] == world.td_v1


def test_circuit_breaker_rolls_back_a_crashing_green(world: NativeWorld) -> None:
    """Deployment circuit breaker (deployment-circuit-breaker.html) with a blue/green service: green
    tasks that cannot run trip the breaker and, with rollback, the deployment returns to blue."""
    world.create_service({"strategy": "BLUE_GREEN", "deploymentCircuitBreaker": {"enable": True, "rollback": True}})
    broken = register_sample(world.ecs, world.family, world.images.broken)
    arn = world.deploy(broken)
    done = world.wait_done(arn, timeout=3 * SETTLE)
    assert done["status"] == "ROLLBACK_SUCCESSFUL" and "circuit breaker" in done["statusReason"]
    assert done["deploymentCircuitBreaker"]["status"] == "TRIGGERED" and done["deploymentCircuitBreaker"]["failureCount"] >= 2
    assert world.service()["taskDefinition"] == world.td_v1
    assert world.rule_weights(world.prod_rule) == {"blue": 100, "green": 0}


def test_switching_back_to_rolling(world: NativeWorld) -> None:
    """Deployment strategies (deployment-types.html): a service can change its strategy back to
    ROLLING; the next update is a rolling update of the tasks in the service's target group, listed
    as a service deployment of its own (service-deployment.html: rolling updates are service
    deployments too) with no lifecycle stage, not a deployment of the lab's native engine."""
    world.create_service({"strategy": "BLUE_GREEN"})
    first = world.deploy()
    assert world.wait_done(first)["status"] == "SUCCESSFUL"
    world.ecs.update_service(cluster=world.cluster, service=world.name, taskDefinition=world.td_v1, deploymentConfiguration={"strategy": "ROLLING"})
    rolling = world.latest()["serviceDeploymentArn"]
    assert rolling != first
    wait_for(
        "rolling update to v1",
        world.service,
        lambda s: [d["rolloutState"] for d in s["deployments"]] == ["COMPLETED"] and s["deployments"][0]["taskDefinition"] == world.td_v1,
        timeout=2 * SETTLE,
        interval=0.5,
    )
    assert world.running_task_definitions() == [world.td_v1]
    assert world.service()["deploymentConfiguration"]["strategy"] == "ROLLING"
    world.wait_version("1")
    described = world.ecs.describe_service_deployments(serviceDeploymentArns=[rolling])["serviceDeployments"][0]
    assert described["status"] == "SUCCESSFUL" and "lifecycleStage" not in described
    revisions = [described["targetServiceRevision"]["arn"], described["sourceServiceRevisions"][0]["arn"]]
    found = {r["serviceRevisionArn"]: r["taskDefinition"] for r in world.ecs.describe_service_revisions(serviceRevisionArns=revisions)["serviceRevisions"]}
    assert [found[arn] for arn in revisions] == [world.td_v1, world.td_v2]


def test_stop_with_abort_ends_the_deployment_stopped(world: NativeWorld) -> None:
    """StopServiceDeployment with stopType ABORT (StopServiceDeploymentStopType, API Reference): the
    deployment ends STOPPED. The lab returns traffic to blue and scales green down, so an aborted
    deployment never leaves production on a half-shifted revision."""
    world.create_service({"strategy": "BLUE_GREEN", "lifecycleHooks": [pause_at("POST_SCALE_UP")]})
    arn = world.deploy()
    world.wait_stage(arn, "POST_SCALE_UP", awaiting=True)
    world.ecs.stop_service_deployment(serviceDeploymentArn=arn, stopType="ABORT")
    done = world.wait_done(arn)
    assert done["status"] == "STOPPED" and "stoppedAt" in done
    assert world.running_task_definitions() == [world.td_v1]
    assert world.service()["taskDefinition"] == world.td_v1
    code, _ = error_of(lambda: world.ecs.stop_service_deployment(serviceDeploymentArn=arn, stopType="SIDEWAYS"))
    assert code == "InvalidParameterException"
