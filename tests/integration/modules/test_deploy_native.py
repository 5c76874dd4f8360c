"""cutover.ecs.deploy and deployment_info, strategy ecs (ECS-native BLUE_GREEN and CANARY),
through real ansible against the lab (real tasks and HAProxy; the lab's native engine walks
the service deployment's lifecycle stages and PAUSE hooks).

One ECS-controller service with the BLUE_GREEN strategy, a PAUSE hook at
POST_TEST_TRAFFIC_SHIFT, the green watch and the circuit breaker are walked through a sequence, in file order:
check mode, v1 -> v2 under load (production flips; with verify=false the module continues the
hook itself), the re-run (no mutating call), verify -> continue, verify -> rollback, a release
whose health check fails (rolled back under load), a canary override, bad input (no mutating
call). Lab minutes follow LAB_TIME_SCALE: the canary's one minute is 60 s at scale 1.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from moto_counting_server import mutating_calls

from lab.ecs.sampleimage import SampleImages, ensure_sample_images
from lab.ecs.testkit import SAMPLE_PORT, awsvpc, create_target_group, default_subnets, register_sample, unique, version_at, wait_for
from lab.loadgen import LoadGenerator, LoadReport

PROD_PORT, TEST_PORT = 8000, 9000
ROLE = "arn:aws:iam::123456789012:role/ecs-infrastructure-lb"
WAIT = {"wait_timeout": 420, "poll_interval": 1}
RATE = 50.0
AFTER_SECONDS = 4.0  # load kept up after a cutover, so draining tasks are seen to drop nothing
PAUSE_HOOK = {"targetType": "PAUSE", "lifecycleStages": ["POST_TEST_TRAFFIC_SHIFT"], "timeoutConfiguration": {"timeoutInMinutes": 600, "action": "ROLLBACK"}}


class NativeWorld:
    """An ALB with a production listener rule (port 8000) and a test listener rule (port 9000),
    two target groups, and a BLUE_GREEN service on v1 with a PAUSE hook before production."""

    def __init__(self, lab: Any, images: SampleImages) -> None:
        self.name = unique("nat")
        self.cluster = self.name
        self.ecs, self.elbv2 = lab.client("ecs"), lab.client("elbv2")
        ec2 = lab.client("ec2")
        self.ecs.create_cluster(clusterName=self.cluster)
        subnets = default_subnets(ec2)
        vpc = ec2.describe_vpcs(Filters=[{"Name": "isDefault", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
        lb = self.elbv2.create_load_balancer(Name=self.name, Subnets=subnets, Type="application", Scheme="internal")["LoadBalancers"][0]
        self.host = lb["DNSName"]
        self.blue_tg, self.green_tg = (self._target_group(f"{self.name}-{n}", vpc) for n in (1, 2))
        self.prod_rule = self._rule(self._listener(lb["LoadBalancerArn"], PROD_PORT))
        self.test_rule = self._rule(self._listener(lb["LoadBalancerArn"], TEST_PORT))
        self.td_v1 = register_sample(self.ecs, self.name, images.v1)
        self.td_v2 = register_sample(self.ecs, self.name, images.v2)
        self.td_v1b = register_sample(self.ecs, self.name, images.v1, env={"REVISION": "b"})
        self.td_sick = register_sample(self.ecs, self.name, images.v2, env={"FAIL_HEALTHCHECK": "1"})
        advanced = {"alternateTargetGroupArn": self.green_tg, "productionListenerRule": self.prod_rule, "testListenerRule": self.test_rule, "roleArn": ROLE}
        self.ecs.create_service(
            cluster=self.cluster,
            serviceName=self.name,
            taskDefinition=self.td_v1,
            desiredCount=1,
            launchType="FARGATE",
            networkConfiguration=awsvpc(subnets),
            loadBalancers=[{"targetGroupArn": self.blue_tg, "containerName": "app", "containerPort": SAMPLE_PORT, "advancedConfiguration": advanced}],
            deploymentConfiguration={
                "strategy": "BLUE_GREEN",
                "bakeTimeInMinutes": 0,
                "lifecycleHooks": [PAUSE_HOOK],
                "deploymentCircuitBreaker": {"enable": True, "rollback": True},
            },
        )
        self.wait_version("1")

    def _target_group(self, name: str, vpc: str) -> str:
        arn = create_target_group(self.elbv2, name, vpc)
        self.elbv2.modify_target_group_attributes(TargetGroupArn=arn, Attributes=[{"Key": "deregistration_delay.timeout_seconds", "Value": "2"}])
        return arn

    def _listener(self, lb: str, port: int) -> str:
        return self.elbv2.create_listener(LoadBalancerArn=lb, Protocol="HTTP", Port=port, DefaultActions=[{"Type": "forward", "TargetGroupArn": self.blue_tg}])[
            "Listeners"
        ][0]["ListenerArn"]

    def _rule(self, listener: str) -> str:
        forward = {"TargetGroups": [{"TargetGroupArn": self.blue_tg, "Weight": 100}, {"TargetGroupArn": self.green_tg, "Weight": 0}]}
        return self.elbv2.create_rule(
            ListenerArn=listener,
            Priority=1,
            Conditions=[{"Field": "path-pattern", "Values": ["/*"]}],
            Actions=[{"Type": "forward", "ForwardConfig": forward}],
        )["Rules"][0]["RuleArn"]

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

    def service(self) -> dict:
        return self.ecs.describe_services(cluster=self.cluster, services=[self.name])["services"][0]

    def production_weights(self) -> dict:
        action = self.elbv2.describe_rules(RuleArns=[self.prod_rule])["Rules"][0]["Actions"][0]
        return {g["TargetGroupArn"]: g.get("Weight", 1) for g in action["ForwardConfig"]["TargetGroups"]}

    def load(self) -> LoadGenerator:
        # a generous client timeout: a request stalled by a busy machine is not one the cutover dropped
        load = LoadGenerator(self.url(), rate=RATE, timeout=15.0, max_seconds=600).start()
        load.wait_count(20)
        return load


def assert_no_failures(report: LoadReport) -> None:
    assert report.total > 0
    assert report.failed == 0, f"{report.failed} of {report.total} requests failed, first: {report.failures(3)}"


@pytest.fixture(scope="module")
def world(module_lab: Any) -> Iterator[NativeWorld]:
    built = NativeWorld(module_lab, ensure_sample_images("podman"))
    yield built
    # the lab's own teardown removes the rest
    built.ecs.update_service(cluster=built.cluster, service=built.name, desiredCount=0)


def test_check_mode_plans_without_mutating(world: NativeWorld, run_module_on_lab: Any) -> None:
    result, calls = run_module_on_lab("deploy", world.args(task_definition=world.td_v2), check=True, diff=True)
    assert result.get("failed") is not True, result
    assert (result["changed"], result["status"], result["strategy"], result["plan"]["action"]) == (True, "planned", "ecs", "start")
    assert result["previous_task_definition"] == world.td_v1
    assert result["plan"]["deployment_strategy"] == "BLUE_GREEN"
    assert result["plan"]["deployment_configuration"] is None  # no traffic option: the service's own is kept
    assert result["plan"]["update_service"] == {"cluster": world.cluster, "service": world.name, "taskDefinition": world.td_v2}
    assert "containerDefinitions" in result["diff"]["after"]
    assert result["plan"]["traffic"]["steps"] == [{"green_percent": 100, "after_minutes": 0}]
    assert mutating_calls(calls) == []
    # with a traffic override the plan shows the configuration it would send
    canary = {"type": "canary", "percent": 10, "interval_minutes": 5}
    result, calls = run_module_on_lab("deploy", world.args(task_definition=world.td_v2, traffic=canary), check=True)
    configuration = result["plan"]["deployment_configuration"]
    assert (configuration["strategy"], configuration["canaryConfiguration"]) == ("CANARY", {"canaryPercent": 10.0, "canaryBakeTimeInMinutes": 5})
    assert configuration["lifecycleHooks"] == [PAUSE_HOOK]
    assert result["plan"]["traffic"]["steps"] == [{"green_percent": 10, "after_minutes": 0}, {"green_percent": 100, "after_minutes": 5}]
    assert mutating_calls(calls) == []
    assert version_at(world.url()) == "1"


def test_blue_green_v1_to_v2_under_load(world: NativeWorld, run_module_on_lab: Any) -> None:
    load = world.load()
    try:
        result, calls = run_module_on_lab("deploy", world.args(task_definition=world.td_v2))
        world.wait_version("2")
        time.sleep(AFTER_SECONDS)
    finally:
        report = load.stop()
    assert result.get("failed") is not True, result
    assert (result["changed"], result["status"], result["strategy"], result["rolled_back"]) == (True, "succeeded", "ecs", False)
    assert (result["previous_task_definition"], result["task_definition"]) == (world.td_v1, world.td_v2)
    assert ":service-deployment/" in result["deployment_id"]
    assert result["weights"] == {"blue": 0.0, "green": 100.0}
    # the service's PAUSE hook held the deployment: with verify=false the module continued it
    assert mutating_calls(calls) == ["ecs:UpdateService", "ecs:ContinueServiceDeployment"]
    stages = [p["name"] for p in result["phases"]]
    assert "POST_TEST_TRAFFIC_SHIFT" in stages and stages[-1] == "CLEAN_UP", result["phases"]
    assert result["phases"][-1]["status"] == "Succeeded"
    assert any(
        "POST_TEST_TRAFFIC_SHIFT (waiting for verification): traffic blue 100% / green 0%, healthy blue 1 / green 1" in line for line in result["progress"]
    ), result["progress"]
    assert_no_failures(report)
    assert report.last_version() == "2"
    # the target groups swapped roles: production forwards to the old alternate
    assert world.production_weights() == {world.blue_tg: 0, world.green_tg: 100}
    assert world.service()["loadBalancers"][0]["targetGroupArn"] == world.green_tg


def test_rerun_changes_nothing(world: NativeWorld, run_module_on_lab: Any) -> None:
    result, calls = run_module_on_lab("deploy", world.args(task_definition=world.td_v2.split("/")[-1]))
    assert result.get("failed") is not True, result
    assert (result["changed"], result["status"]) == (False, "succeeded")
    assert mutating_calls(calls) == []
    checked, calls = run_module_on_lab("deploy", world.args(task_definition=world.td_v2), check=True)
    assert (checked["changed"], checked["plan"]["action"]) == (False, "noop")
    assert mutating_calls(calls) == []


def test_deployment_info_reports_the_cutover(world: NativeWorld, run_module_on_lab: Any) -> None:
    result, calls = run_module_on_lab("deployment_info", {"cluster": world.cluster, "service": world.name})
    assert result.get("failed") is not True, result
    assert (result["changed"], result["exists"], result["status"], result["strategy"]) == (False, True, "succeeded", "ecs")
    assert (result["task_definition"], result["previous_task_definition"]) == (world.td_v2, world.td_v1)
    assert result["weights"] == {"blue": 0.0, "green": 100.0}
    assert mutating_calls(calls) == []


def test_verify_then_continue(world: NativeWorld, run_module_on_lab: Any) -> None:
    awaiting, calls = run_module_on_lab("deploy", world.args(task_definition=world.td_v1b, verify=True))
    assert awaiting.get("failed") is not True, awaiting
    assert (awaiting["changed"], awaiting["status"]) == (True, "awaiting_verification")
    assert mutating_calls(calls) == ["ecs:UpdateService"]
    world.wait_version("1", port=TEST_PORT)
    assert version_at(world.url()) == "2", "production moved before verification"
    # a re-run while it waits attaches to it: no second deployment
    again, calls = run_module_on_lab("deploy", world.args(task_definition=world.td_v1b, verify=True))
    assert (again["status"], again["deployment_id"]) == ("awaiting_verification", awaiting["deployment_id"])
    assert mutating_calls(calls) == []
    info, _calls = run_module_on_lab("deployment_info", {"cluster": world.cluster, "service": world.name})
    assert (info["status"], info["deployment_id"], info["phase"]) == (
        "awaiting_verification",
        awaiting["deployment_id"],
        "POST_TEST_TRAFFIC_SHIFT (waiting for verification)",
    )
    # a deployment of another task definition meanwhile: refused before any change
    conflict, calls = run_module_on_lab("deploy", world.args(task_definition=world.td_v2))
    assert conflict.get("failed") is True, conflict
    assert "Another deployment is in progress" in conflict["msg"] and awaiting["deployment_id"] in conflict["msg"]
    assert mutating_calls(calls) == []

    done, calls = run_module_on_lab("deploy", world.args(action="continue", deployment_id=awaiting["deployment_id"]))
    assert done.get("failed") is not True, done
    assert (done["changed"], done["status"], done["deployment_id"]) == (True, "succeeded", awaiting["deployment_id"])
    assert mutating_calls(calls) == ["ecs:ContinueServiceDeployment"]
    world.wait_version("1")
    assert world.service()["taskDefinition"] == world.td_v1b


def test_verify_then_rollback_keeps_production(world: NativeWorld, run_module_on_lab: Any) -> None:
    awaiting, _calls = run_module_on_lab("deploy", world.args(task_definition=world.td_v2, verify=True))
    assert awaiting["status"] == "awaiting_verification", awaiting
    world.wait_version("2", port=TEST_PORT)

    rolled, calls = run_module_on_lab("deploy", world.args(action="rollback"))
    assert rolled.get("failed") is not True, rolled
    assert (rolled["changed"], rolled["status"], rolled["rolled_back"]) == (True, "rolled_back", True)
    assert rolled["deployment_id"] == awaiting["deployment_id"]
    assert rolled["rollback_reason"]
    assert mutating_calls(calls) == ["ecs:StopServiceDeployment"]
    world.wait_version("1")
    world.wait_version("1", port=TEST_PORT)
    assert world.service()["taskDefinition"] == world.td_v1b

    again, calls = run_module_on_lab("deploy", world.args(action="rollback"))
    assert (again["changed"], again["status"]) == (False, "rolled_back"), again
    assert mutating_calls(calls) == []
    info, calls = run_module_on_lab("deployment_info", {"cluster": world.cluster, "service": world.name})
    assert (info["status"], info["deployment_id"], info["rolled_back"], info["task_definition"]) == (
        "rolled_back",
        awaiting["deployment_id"],
        True,
        world.td_v2,
    )
    assert info["weights"] == {"blue": 100.0, "green": 0.0}
    assert mutating_calls(calls) == []


def test_failing_health_check_is_rolled_back_under_load(world: NativeWorld, run_module_on_lab: Any) -> None:
    """green never turns healthy: the module's green watch stops the deployment with rollback (before ECS's circuit
    breaker would), production never leaves blue (v1 or v1b, both answer version 1) and no request fails."""
    serving = world.service()["taskDefinition"]
    load = world.load()
    try:
        result, calls = run_module_on_lab("deploy", world.args(task_definition=world.td_sick))
        time.sleep(AFTER_SECONDS)
    finally:
        report = load.stop()
    assert result.get("failed") is True, result
    assert (result["status"], result["rolled_back"]) == ("rolled_back", True), result
    assert "rolled back" in result["msg"] and "health checks" in result["rollback_reason"], result["msg"]
    assert result["phases"][-1]["name"] == "ROLLBACK"
    if "green_watch" in result:
        # The watch saw green fail first (the usual case): it stopped the deployment itself.
        assert "green cannot become healthy" in result["msg"] and result["rollback_reason"] == result["green_watch"]["reason"], result["msg"]
        assert result["green_watch"]["check"] in ("target_health", "task_stops")
        assert mutating_calls(calls) == ["ecs:UpdateService", "ecs:StopServiceDeployment"]
    else:
        # On a busy machine ECS's circuit breaker can roll back before a poll sees green fail: the watch leaves it be.
        assert "circuit breaker" in result["msg"], result["msg"]
        assert mutating_calls(calls) == ["ecs:UpdateService"]
    assert_no_failures(report)
    assert set(report.versions()) == {"1"}
    assert world.service()["taskDefinition"] == serving


def test_canary_override(world: NativeWorld, run_module_on_lab: Any) -> None:
    """20 percent for one (lab) minute, then the rest; the strategy stays on the service until
    another traffic option replaces it."""
    traffic = {"type": "canary", "percent": 20, "interval_minutes": 1}
    result, calls = run_module_on_lab("deploy", world.args(task_definition=world.td_v2, traffic=traffic))
    assert result.get("failed") is not True, result
    assert (result["changed"], result["status"]) == (True, "succeeded")
    assert mutating_calls(calls) == ["ecs:UpdateService", "ecs:ContinueServiceDeployment"]
    assert any("traffic blue 80% / green 20%" in line for line in result["progress"]), result["progress"]
    configuration = world.service()["deploymentConfiguration"]
    assert (configuration["strategy"], configuration["canaryConfiguration"]) == ("CANARY", {"canaryPercent": 20.0, "canaryBakeTimeInMinutes": 1})
    world.wait_version("2")

    again, calls = run_module_on_lab("deploy", world.args(task_definition=world.td_v2, traffic=traffic))
    assert (again["changed"], again["status"]) == (False, "succeeded"), again
    assert mutating_calls(calls) == []

    # back to all at once: the canary's settings leave with its strategy
    back, calls = run_module_on_lab("deploy", world.args(task_definition=world.td_v1b, traffic={"type": "all_at_once"}))
    assert (back["changed"], back["status"]) == (True, "succeeded"), back
    assert mutating_calls(calls) == ["ecs:UpdateService", "ecs:ContinueServiceDeployment"]
    configuration = world.service()["deploymentConfiguration"]
    assert configuration["strategy"] == "BLUE_GREEN" and "canaryConfiguration" not in configuration, configuration
    world.wait_version("1")


@pytest.mark.parametrize(
    "extra, message",
    [
        ({"strategy": "rolling"}, "strategy=rolling needs a service whose deployment_configuration.strategy is ROLLING"),
        ({"strategy": "codedeploy"}, "needs a service with the CODE_DEPLOY deployment controller"),
        ({"traffic": {"type": "canary", "percent": 0, "interval_minutes": 1}}, "between 1 and 99"),
        ({"traffic": {"type": "linear", "percent": 2, "interval_minutes": 1}}, "must be at least 3"),
        ({"traffic": {"type": "config", "config_name": "CodeDeployDefault.ECSAllAtOnce"}}, "CodeDeploy deployment config"),
        ({"container_name": "nope"}, "container_name nope is not a container"),
        ({"task_definition": "no-such-family:1"}, "does not exist"),
        ({"wait_until": "AllowTraffic"}, "wait_until must be stable, deployed or a stage of the ecs strategy"),
    ],
)
def test_bad_input_fails_before_any_change(world: NativeWorld, run_module_on_lab: Any, extra: dict, message: str) -> None:
    result, calls = run_module_on_lab("deploy", world.args(**{"task_definition": world.td_v1, **extra}))
    assert result.get("failed") is True, result
    assert message in result["msg"]
    assert mutating_calls(calls) == []


def test_wait_until_a_stage_returns_at_the_hook_then_continue_finishes(world: NativeWorld, run_module_on_lab: Any) -> None:
    """wait_until=POST_TEST_TRAFFIC_SHIFT: back once green serves the test listener, the service's PAUSE hook holding
    the deployment there (not continued); action=continue then moves production."""
    serving = version_at(world.url())
    target = world.td_v2 if serving == "1" else world.td_v1b
    other = "2" if serving == "1" else "1"
    held, calls = run_module_on_lab("deploy", world.args(task_definition=target, wait_until="POST_TEST_TRAFFIC_SHIFT"))
    assert held.get("failed") is not True, held
    assert (held["changed"], held["status"]) == (True, "in_progress"), held
    assert mutating_calls(calls) == ["ecs:UpdateService"]
    world.wait_version(other, port=TEST_PORT)
    assert version_at(world.url()) == serving, "production moved at a stage before its shift"

    done, calls = run_module_on_lab("deploy", world.args(action="continue"))
    assert done.get("failed") is not True, done
    assert (done["changed"], done["status"], done["deployment_id"]) == (True, "succeeded", held["deployment_id"])
    assert mutating_calls(calls) == ["ecs:ContinueServiceDeployment"]
    world.wait_version(other)
