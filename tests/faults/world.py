"""Services of the fault matrix: provisioned by the infrastructure role, looked at through the
lab's API, and handed from one test to the next while they are settled (a fresh one otherwise)."""

from __future__ import annotations

import subprocess
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from faultkit import PROD_PORT, Playbook, Run, orphan_task_sets

from lab.ecs.sampleimage import SAMPLE_REPOSITORY, ensure_sample_images, image_exists
from lab.ecs.testkit import unique, version_at, wait_for
from lab.loadgen import LoadGenerator, LoadReport
from lab.testing import LabHandle

ROLLBACK_CREATOR = "codeDeployRollback"
ACTIVE = ["Created", "Queued", "InProgress", "Baking", "Ready"]


@dataclass(frozen=True)
class Images:
    """v1, v2 (good), broken (exits at start), unhealthy (v2 whose /healthcheck answers 500)."""

    v1: str
    v2: str
    broken: str
    unhealthy: str

    @classmethod
    def ensure(cls) -> Images:
        sample = ensure_sample_images("podman")
        unhealthy = f"{SAMPLE_REPOSITORY}:unhealthy"
        if not image_exists("podman", unhealthy):
            # Only an ENV line on top of v2: no package or layer is built.
            with tempfile.TemporaryDirectory() as context:
                Path(context, "Containerfile").write_text(f"FROM {sample.v2}\nENV FAIL_HEALTHCHECK=1\n")
                subprocess.run(["podman", "build", "--quiet", "-t", unhealthy, context], check=True, capture_output=True, timeout=300)
        return cls(sample.v1, sample.v2, sample.broken, unhealthy)

    def good(self, version: str) -> str:
        return {"1": self.v1, "2": self.v2}[version]


def forward_weights(action: dict) -> dict[str, int]:
    """{target group ARN: weight} of a forward action, in either of its forms (ForwardConfig, or a plain TargetGroupArn)."""
    if action.get("Type") != "forward":
        return {}
    groups = (action.get("ForwardConfig") or {}).get("TargetGroups") or []
    if groups:
        return {g["TargetGroupArn"]: int(g.get("Weight", 1)) for g in groups}
    return {action["TargetGroupArn"]: 1} if action.get("TargetGroupArn") else {}


def other(version: str) -> str:
    return "2" if version == "1" else "1"


@dataclass
class Service:
    """One service of the matrix: what it serves, and its resources through the lab's API."""

    lab: LabHandle
    playbook: Playbook
    images: Images
    strategy: str
    name: str = field(default_factory=lambda: unique("flt"))
    version: str = "1"
    bake_minutes: int = 5
    # >0: the group stops at Ready (test traffic on green) until the module continues it
    verification_minutes: int = 0

    def __post_init__(self) -> None:
        self.ecs, self.elbv2, self.codedeploy = self.lab.client("ecs"), self.lab.client("elbv2"), self.lab.client("codedeploy")
        self.dns = ""

    # --- playbook runs ---------------------------------------------------------------------

    def variables(self, image: str, provision: bool = False, **extra: Any) -> dict[str, Any]:
        return {
            "fault_name": self.name,
            "fault_strategy": self.strategy,
            "fault_image": image,
            "fault_provision": provision,
            "fault_bake_minutes": self.bake_minutes,
            "fault_verification_minutes": self.verification_minutes,
            **extra,
        }

    def provision(self) -> None:
        run = self.playbook.run(self.variables(self.images.v1, provision=True))
        assert run.returncode == 0, f"provisioning {self.name} failed: {run.explain()}"
        self.dns = self.elbv2.describe_load_balancers(Names=[self.name])["LoadBalancers"][0]["DNSName"]
        self.wait_version("1")

    def deploy(self, image: str, **extra: Any) -> Run:
        return self.playbook.run(self.variables(image, **extra))

    def start_deploy(self, image: str, log: Path, **extra: Any) -> subprocess.Popen:
        return self.playbook.start(self.variables(image, **extra), log)

    # --- what production serves ------------------------------------------------------------

    def url(self, port: int = PROD_PORT) -> str:
        return f"http://{self.dns}:{port}/version"

    def wait_version(self, wanted: str, port: int = PROD_PORT, samples: int = 5, timeout: float = 120) -> None:
        streak = {"n": 0}

        def probe() -> int:
            streak["n"] = streak["n"] + 1 if version_at(self.url(port)) == wanted else 0
            return streak["n"]

        wait_for(f"{samples} answers of version {wanted} on {self.url(port)}", probe, lambda n: n >= samples, timeout=timeout, interval=0.2)

    @contextmanager
    def load(self, rate: float = 100) -> Iterator[LoadGenerator]:
        """~100 requests a second through the production listener while the block runs."""
        generator = LoadGenerator(self.url(), rate=rate, max_seconds=600).start()
        try:
            yield generator
        finally:
            generator.stop()

    # --- the API's view --------------------------------------------------------------------

    def describe(self) -> dict:
        return self.ecs.describe_services(cluster=self.name, services=[self.name])["services"][0]

    def task_sets(self) -> list[dict]:
        return self.ecs.describe_task_sets(cluster=self.name, service=self.name)["taskSets"]

    def deployments(self) -> list[dict]:
        """Every CodeDeploy deployment of the service's group, oldest first."""
        ids = self.codedeploy.list_deployments(applicationName=self.name, deploymentGroupName=self.name).get("deployments", [])
        infos = [self.codedeploy.get_deployment(deploymentId=d)["deploymentInfo"] for d in ids]
        return sorted(infos, key=lambda info: info.get("createTime") or 0)

    def started_deployments(self, since: set[str]) -> list[str]:
        """Deployments that a run started (not CodeDeploy's own rollbacks) since ``since``."""
        return [d["deploymentId"] for d in self.deployments() if d["deploymentId"] not in since and d.get("creator") != ROLLBACK_CREATOR]

    def deployment_ids(self) -> set[str]:
        return {d["deploymentId"] for d in self.deployments()}

    def active_deployments(self) -> list[str]:
        return self.codedeploy.list_deployments(applicationName=self.name, deploymentGroupName=self.name, includeOnlyStatuses=ACTIVE).get("deployments", [])

    def lifecycle(self, deployment_id: str) -> tuple[str, dict[str, str]]:
        """(deployment status, lifecycle event -> status)."""
        info = self.codedeploy.get_deployment(deploymentId=deployment_id)["deploymentInfo"]
        events: dict[str, str] = {}
        if info["status"] not in ("Created", "Queued"):
            found = self.codedeploy.get_deployment_target(deploymentId=deployment_id, targetId=f"{self.name}:{self.name}")
            for event in ((found.get("deploymentTarget") or {}).get("ecsTarget") or {}).get("lifecycleEvents") or []:
                events[event["lifecycleEventName"]] = event["status"]
        return info["status"], events

    def rollback_after_test_traffic(self, deployment_id: str) -> float:
        """Seconds from green's target group joining the test listener (AllowTestTraffic's end: before it no health
        check reaches green, as its group is on no listener) to the start of the deployment that rolled it back.
        No failed check can come earlier, so this bounds the time from green's first failed check to the rollback."""
        info = self.codedeploy.get_deployment(deploymentId=deployment_id)["deploymentInfo"]
        rollback = self.codedeploy.get_deployment(deploymentId=info["rollbackInfo"]["rollbackDeploymentId"])["deploymentInfo"]
        found = self.codedeploy.get_deployment_target(deploymentId=deployment_id, targetId=f"{self.name}:{self.name}")
        events = {e["lifecycleEventName"]: e for e in found["deploymentTarget"]["ecsTarget"]["lifecycleEvents"]}
        allowed = events["AllowTestTraffic"]
        return round((rollback["createTime"] - (allowed.get("endTime") or allowed["startTime"])).total_seconds(), 2)

    @contextmanager
    def termination_wait(self, minutes: int) -> Iterator[None]:
        """A longer bake for the deployments started in the block (CodeDeploy reads the group
        when a deployment is created): long enough that a re-run, which takes ansible a
        while to start on a busy machine, still finds the deployment in progress."""
        self._set_termination_wait(minutes)
        try:
            yield
        finally:
            self._set_termination_wait(self.bake_minutes)

    def _set_termination_wait(self, minutes: int) -> None:
        group = self.codedeploy.get_deployment_group(applicationName=self.name, deploymentGroupName=self.name)["deploymentGroupInfo"]
        config = dict(group.get("blueGreenDeploymentConfiguration") or {})
        config["terminateBlueInstancesOnDeploymentSuccess"] = {"action": "TERMINATE", "terminationWaitTimeInMinutes": minutes}
        self.codedeploy.update_deployment_group(applicationName=self.name, currentDeploymentGroupName=self.name, blueGreenDeploymentConfiguration=config)

    # --- the production listener's forward, as a user changes it by hand ----------------------

    def production_forward(self) -> tuple[str, bool, list[dict]]:
        """(rule ARN, whether it is the listener's default rule, its actions): the production rule that forwards to the
        service's target groups (ECS-native: the service's productionListenerRule; CodeDeploy: on the group's
        production listener)."""
        if self.strategy == "ecs":
            arn = self.describe()["loadBalancers"][0]["advancedConfiguration"]["productionListenerRule"]
            rule = self.elbv2.describe_rules(RuleArns=[arn])["Rules"][0]
            return arn, bool(rule.get("IsDefault")), rule["Actions"]
        group = self.codedeploy.get_deployment_group(applicationName=self.name, deploymentGroupName=self.name)["deploymentGroupInfo"]
        pair = group["loadBalancerInfo"]["targetGroupPairInfoList"][0]
        names = {g["name"] for g in pair["targetGroups"]}
        listener = pair["prodTrafficRoute"]["listenerArns"][0]
        for rule in self.elbv2.describe_rules(ListenerArn=listener)["Rules"]:
            groups = {arn.split(":targetgroup/", 1)[1].split("/", 1)[0] for a in rule["Actions"] for arn in forward_weights(a)}
            if groups & names:
                return rule["RuleArn"], bool(rule.get("IsDefault")), rule["Actions"]
        raise AssertionError(f"no rule of {listener} forwards to {names}")

    def set_production_forward(self, actions: list[dict]) -> None:
        """ModifyRule (or ModifyListener, for a default rule): what a user does in the console."""
        arn, default, _actions = self.production_forward()
        if default:
            listener = self.codedeploy.get_deployment_group(applicationName=self.name, deploymentGroupName=self.name)["deploymentGroupInfo"]
            listener_arn = listener["loadBalancerInfo"]["targetGroupPairInfoList"][0]["prodTrafficRoute"]["listenerArns"][0]
            self.elbv2.modify_listener(ListenerArn=listener_arn, DefaultActions=actions)
        else:
            self.elbv2.modify_rule(RuleArn=arn, Actions=actions)

    def debug_target_group(self) -> str:
        """A target group of the user's own (``<name>-dbg``), with the tasks that serve now registered in it: a share of
        production sent there still reaches the serving version."""
        blue = self.elbv2.describe_target_groups(Names=[f"{self.name}-blue"])["TargetGroups"][0]
        created = self.elbv2.create_target_group(
            Name=f"{self.name}-dbg",
            Protocol="HTTP",
            Port=blue["Port"],
            VpcId=blue["VpcId"],
            TargetType="ip",
            HealthCheckPath=blue.get("HealthCheckPath") or "/",
            HealthCheckIntervalSeconds=blue.get("HealthCheckIntervalSeconds") or 30,
        )["TargetGroups"][0]
        ips = [
            detail["value"]
            for task in self.running_tasks()
            for attachment in task.get("attachments") or []
            for detail in attachment.get("details") or []
            if detail.get("name") == "privateIPv4Address"
        ]
        assert ips, "no task IP to register"
        self.elbv2.register_targets(TargetGroupArn=created["TargetGroupArn"], Targets=[{"Id": ip, "Port": blue["Port"]} for ip in ips])
        return created["TargetGroupArn"]

    def running_tasks(self) -> list[dict]:
        arns = self.ecs.list_tasks(cluster=self.name, serviceName=self.name)["taskArns"]
        return self.ecs.describe_tasks(cluster=self.name, tasks=arns)["tasks"] if arns else []

    def settled(self) -> bool:
        """Nothing in progress, one version in production: fit for the next test."""
        if self.strategy == "codedeploy":
            if self.active_deployments() or orphan_task_sets(self.task_sets()):
                return False
        else:
            deployments = self.describe().get("deployments") or []
            if len(deployments) != 1 or deployments[0].get("rolloutState") != "COMPLETED":
                return False
        try:
            self.wait_version(self.version, samples=5, timeout=10)
        except AssertionError:
            return False
        return True

    def scale_to_zero(self) -> None:
        try:
            self.ecs.update_service(cluster=self.name, service=self.name, desiredCount=0)
        except Exception:  # noqa: BLE001 - best effort: the lab's teardown removes the rest
            pass


class ServicePool:
    """Services per strategy, reused while a test leaves them settled (provisioning costs ~30 s)."""

    def __init__(self, lab: LabHandle, playbook: Playbook, images: Images) -> None:
        self.lab, self.playbook, self.images = lab, playbook, images
        self.idle: dict[tuple[str, int], list[Service]] = {}
        self.all: list[Service] = []

    def take(self, strategy: str, verification_minutes: int = 0) -> Service:
        idle = self.idle.setdefault((strategy, verification_minutes), [])
        if idle:
            return idle.pop()
        service = Service(self.lab, self.playbook, self.images, strategy, verification_minutes=verification_minutes)
        self.all.append(service)
        service.provision()
        return service

    def give_back(self, service: Service) -> None:
        if service.settled():
            self.idle.setdefault((service.strategy, service.verification_minutes), []).append(service)
        else:
            service.scale_to_zero()

    @contextmanager
    def service(self, strategy: str, verification_minutes: int = 0) -> Iterator[Service]:
        service = self.take(strategy, verification_minutes)
        try:
            yield service
        finally:
            self.give_back(service)

    def close(self) -> None:
        for service in self.all:
            service.scale_to_zero()


# --- watching the lab while a playbook runs -------------------------------------------------------


def watch(what: str, probe: Callable[[], Any], ready: Callable[[Any], bool], timeout: float = 180, interval: float = 0.1) -> Any:
    """wait_for with a short interval: phases of a scaled lab can be short."""
    return wait_for(what, probe, ready, timeout=timeout, interval=interval)


def in_phase(phase: str, status: str, events: dict[str, str]) -> bool:
    """Whether a CodeDeploy ECS deployment (status, lifecycle events) is in one of the matrix's phases."""
    if status not in ("InProgress", "Ready"):
        return False
    if phase == "green-started":
        return events.get("Install") == "InProgress"
    if phase == "test-traffic":
        return events.get("AllowTestTraffic") == "Succeeded" and events.get("AllowTraffic") in (None, "Pending")
    if phase == "shift":
        return events.get("AllowTraffic") == "InProgress"
    if phase == "termination-wait":
        return events.get("AfterAllowTraffic") == "Succeeded"
    raise ValueError(f"unknown phase {phase}")


class Background:
    """Runs a callable in a thread and hands back its result or exception."""

    def __init__(self, target: Callable[[], Any]) -> None:
        self.result: Any = None
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(target,), daemon=True)
        self._thread.start()

    def _run(self, target: Callable[[], Any]) -> None:
        try:
            self.result = target()
        except BaseException as exc:  # noqa: BLE001 - handed to the test
            self.error = exc

    def join(self, timeout: float = 600) -> Any:
        self._thread.join(timeout)
        if self.error is not None:
            raise self.error
        return self.result


def load_summary(report: LoadReport) -> dict[str, Any]:
    data = report.as_dict()
    return {key: data[key] for key in ("requests", "failed_requests", "versions", "failures")}
