"""Cutover figures per strategy: failed requests, switch overhead, rollback time, the no-op re-run.

Runs its own lab (free ports, a temporary LAB_DIR, never a user's lab) and, for each
strategy (codedeploy, rolling, ecs), provisions a service with the real playbook
(deploy.yml: image, infrastructure, deploy roles) and then, with about 200 requests a
second on the production listener (lab/loadgen.py):

- cuts v1 over to v2 (``cutover_requests``, ``cutover_failed_requests``, ``switch_overhead_s``);
- re-runs deploy.yml for v2 with nothing to do (``noop``: wall time and the lab's call log);
- deploys a v3 whose /healthcheck answers 500 (the sample service with FAIL_HEALTHCHECK=1),
  which must be rolled back (``rollback_requests``, ``rollback_failed_requests``, ``rollback_s``).

A sampler reads the production listener's forward weights and both target groups' health
through the lab's API about ten times a second; the load generator records which version
answered each request. Writes bench-results/cutover.json.

    .venv/bin/python benchmarks/cutover.py [--strategies codedeploy,rolling,ecs] [--rate 200]

LAB_TIME_SCALE defaults to 10 here (see ``SCALE_REASON``); set it in the environment to override.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from lab.calls import read_calls  # noqa: E402 - the repo's top-level package, not installed
from lab.ecs.sampleimage import ensure_base_image  # noqa: E402
from lab.loadgen import LoadGenerator, LoadReport  # noqa: E402
from lab.testing import LabHandle  # noqa: E402

RESULTS = REPO / "bench-results" / "cutover.json"
IMAGES_PLAYBOOK = REPO / "benchmarks" / "cutover-images.yml"
DEPLOY_PLAYBOOK = REPO / "deploy.yml"
CUTOVER_TASK = "Cut over | Production traffic to the new task definition"
STRATEGIES = ("codedeploy", "rolling", "ecs")
DEFAULT_SCALE = 10.0
SCALE_REASON = (
    "The lab caps ELB health checks at a 2 s interval whatever the scale, so what LAB_TIME_SCALE=1 adds is CodeDeploy's "
    "5-minute termination wait (not a role variable) in the codedeploy cutover and full deregistration delays (capped at 10 s). "
    "On a shared 2-core machine one strategy already takes 13-16 minutes of ansible and lab time at 10 (what make demo uses), "
    "so 1 is well past 10 minutes. At 10 every wait AWS prescribes is divided by 10; the lab's reaction times (0.5 s "
    "controller tick, HAProxy updates, API calls) are not, so switch overhead and rollback time are real seconds. Side "
    "effect: the health-check timeout becomes 0.5 s (5 s / 10, the lab's floor), which a CPU-starved task can miss."
)
DESIRED_COUNT = 2  # infrastructure_desired_count's default
SAMPLE_INTERVAL = 0.1
DEPLOYMENT_STATE_EVERY = 5  # deployment state (one or two more calls) every 5th sample: 2 Hz
GOALS = {
    "cutover_failed_requests": 0,
    "rollback_failed_requests": 0,
    "switch_overhead_s": 1.0,
    "rollback_s": 2.0,
    "noop_mutating_api_calls": 0,
    "noop_api_calls": 40,
    "noop_wall_s": 10.0,
}
READ_PREFIXES = ("Describe", "List", "Get", "BatchGet")
FAILED_DEPLOYMENT_STATES = {"Failed", "Stopped", "FAILED", "STOPPED", "ROLLBACK_REQUESTED", "ROLLBACK_IN_PROGRESS", "ROLLBACK_SUCCESSFUL", "ROLLBACK_FAILED"}


# --- pure functions ----------------------------------------------------------------------


def is_mutating(operation: str) -> bool:
    """The lab's rule (lab/calls.py): anything but Describe*, List*, Get*, BatchGet*."""
    return not operation.startswith(READ_PREFIXES)


def calls_per_operation(records: Iterable[dict[str, Any]]) -> dict[str, int]:
    counts = Counter(f"{record['service']}:{record['operation']}" for record in records)
    return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))


def green_share(weights: dict[str, int], health: dict[str, dict[str, str]], green: set[str]) -> float | None:
    """Share of new production requests that reach green targets.

    Per target group: its forward weight, split evenly over its healthy targets (HAProxy's
    round robin; draining and unhealthy targets take no new request). None when production
    has no healthy target at all.
    """
    total = 0.0
    to_green = 0.0
    for group, weight in weights.items():
        healthy = [target for target, state in health.get(group, {}).items() if state == "healthy"]
        if weight <= 0 or not healthy:
            continue
        total += weight
        to_green += weight * sum(target in green for target in healthy) / len(healthy)
    return to_green / total if total else None


def healthy_green(health: dict[str, dict[str, str]], green: set[str]) -> int:
    return len({target for states in health.values() for target, state in states.items() if state == "healthy" and target in green})


def registered_green(health: dict[str, dict[str, str]], green: set[str]) -> int:
    return len({target for states in health.values() for target in states if target in green})


def first_time(samples: Sequence[Sample], holds: Callable[[Sample], bool], since: float = float("-inf")) -> float | None:
    return next((sample.time for sample in samples if sample.time >= since and holds(sample)), None)


def settled_time(samples: Sequence[Sample], holds: Callable[[Sample], bool], since: float = float("-inf")) -> float | None:
    """The first sample from which ``holds`` stays true to the last sample."""
    settled = None
    for sample in samples:
        if sample.time < since:
            continue
        if not holds(sample):
            settled = None
        elif settled is None:
            settled = sample.time
    return settled


def last_answer_of(report: LoadReport, version: str) -> float | None:
    """Start time of the last successful request that the given version answered."""
    return max((sample.started for sample in report.samples if sample.ok and sample.version == version), default=None)


def seconds(later: float | None, earlier: float | None) -> float | None:
    return None if later is None or earlier is None else round(later - earlier, 3)


def goal_checks(strategy: dict[str, Any]) -> dict[str, bool | None]:
    """Each goal of issue 6 against one strategy's figures (None: not measured)."""
    noop = strategy.get("noop") or {}
    figures = {
        "cutover_failed_requests": strategy.get("cutover_failed_requests"),
        "rollback_failed_requests": strategy.get("rollback_failed_requests"),
        "switch_overhead_s": strategy.get("switch_overhead_s"),
        "rollback_s": strategy.get("rollback_s"),
        "noop_mutating_api_calls": noop.get("mutating_api_calls"),
        "noop_api_calls": noop.get("api_calls"),
        "noop_wall_s": noop.get("wall_s"),
    }
    return {name: None if value is None else value <= GOALS[name] for name, value in figures.items()}


def slowest_tasks(output: dict[str, Any], count: int = 8) -> list[dict[str, Any]]:
    """The play's slowest tasks from the ansible.posix.json callback (its durations are ISO times)."""
    timed = []
    for play in output.get("plays", []):
        for task in play.get("tasks", []):
            duration = task["task"].get("duration") or {}
            if duration.get("start") and duration.get("end"):
                spent = iso_seconds(duration["end"]) - iso_seconds(duration["start"])
                timed.append({"task": task["task"]["name"], "s": round(spent, 2)})
    return sorted(timed, key=lambda item: -item["s"])[:count]


def calls_per_task(output: dict[str, Any], calls: Sequence[dict[str, Any]]) -> dict[str, int]:
    """API calls attributed to the task whose run (callback start/end) contains the call's time."""
    spans = []
    for play in output.get("plays", []):
        for task in play.get("tasks", []):
            duration = task["task"].get("duration") or {}
            if duration.get("start") and duration.get("end"):
                spans.append((iso_seconds(duration["start"]), iso_seconds(duration["end"]), task["task"]["name"]))
    counts: Counter[str] = Counter()
    for call in calls:
        owner = next((name for start, end, name in spans if start - 0.05 <= call["time"] <= end + 0.05), "(between tasks)")
        counts[owner] += 1
    return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))


def iso_seconds(value: str) -> float:
    return datetime.fromisoformat(value.rstrip("Z")).replace(tzinfo=UTC).timestamp()


def callback_output(stdout: str, stderr: str) -> dict[str, Any]:
    """The ansible.posix.json document, after the progress lines cutover.ecs.deploy's action plugin prints while it waits."""
    start = 0 if stdout.startswith("{") else stdout.find("\n{\n") + 1
    try:
        output = json.loads(stdout[start:]) if start >= 0 else {}
    except ValueError:
        return {"unparsed_stdout": stdout[-3000:], "stderr": stderr[-3000:]}
    output["progress_lines"] = stdout[:start].splitlines()
    return output


def tasks_run(output: dict[str, Any]) -> int:
    return sum(len(play.get("tasks", [])) for play in output.get("plays", []))


def failure_times(report: LoadReport, samples: Sequence[Sample], limit: int = 20) -> list[float]:
    """When failed requests started, in seconds from the first sample (to line them up with the transitions)."""
    origin = samples[0].time if samples else 0.0
    return [round(sample.started - origin, 2) for sample in report.samples if not sample.ok][:limit]


def transitions(samples: Sequence[Sample], limit: int = 60) -> list[dict[str, Any]]:
    """The samples where the listener's weights or a target's state changed (seconds from the first sample), as evidence."""
    changes: list[dict[str, Any]] = []
    previous: tuple[Any, ...] | None = None
    for sample in samples:
        targets = {
            group: {f"{target} v{sample.versions.get(target, '?')}": state for target, state in states.items()} for group, states in sample.health.items()
        }
        key = (sorted(sample.weights.items()), sorted((g, sorted(t.items())) for g, t in targets.items()))
        if key != previous:
            changes.append({"t": round(sample.time - samples[0].time, 2), "weights": sample.weights, "targets": targets})
            previous = key
    return changes[:limit]


def task_result(output: dict[str, Any], name: str) -> dict[str, Any]:
    for play in output.get("plays", []):
        for task in play.get("tasks", []):
            if task["task"]["name"].split(" : ", 1)[-1] == name:
                return task["hosts"].get("localhost", {})
    return {}


# --- sampling the lab ----------------------------------------------------------------------


@dataclass(frozen=True)
class Sample:
    time: float  # monotonic, as the load generator's
    weights: dict[str, int]  # production listener: target group name -> forward weight
    health: dict[str, dict[str, str]]  # target group name -> "ip:port" -> state
    deployment: str | None = None  # latest deployment state of the strategy, when read
    versions: dict[str, str] = field(default_factory=dict)  # "ip:port" -> the version its /version answered

    def targets_of(self, version: str) -> set[str]:
        return {target for target, answered in self.versions.items() if answered == version}


@dataclass
class Sampler:
    """Reads the production listener's weights and both target groups' health every SAMPLE_INTERVAL."""

    lab: LabHandle
    world: Service
    strategy: str
    max_seconds: float = 600.0
    samples: list[Sample] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="cutover-sampler", daemon=True)
        self._elbv2 = self.lab.client("elbv2")
        self._ecs = self.lab.client("ecs")
        self._codedeploy = self.lab.client("codedeploy")
        self._versions: dict[str, str] = {}

    def start(self) -> Sampler:
        self._thread.start()
        return self

    def stop(self) -> list[Sample]:
        self._stop.set()
        self._thread.join(timeout=30)
        return list(self.samples)

    def _run(self) -> None:
        deadline = time.monotonic() + self.max_seconds
        count = 0
        while not self._stop.is_set() and time.monotonic() < deadline:
            started = time.monotonic()
            try:
                state = self.deployment_state() if count % DEPLOYMENT_STATE_EVERY == 0 else None
                health = self.world.health(self._elbv2)
                self._learn_versions(health)
                self.samples.append(Sample(started, self.world.weights(self._elbv2), health, state, dict(self._versions)))
            except Exception as exc:  # a busy lab answering 5xx must not end the run; the gap shows in the samples
                print(f"sampler: {type(exc).__name__}: {exc}", file=sys.stderr)
            count += 1
            self._stop.wait(max(0.0, SAMPLE_INTERVAL - (time.monotonic() - started)))

    def _learn_versions(self, health: dict[str, dict[str, str]]) -> None:
        """Asks each new target which version it is, once: a task ECS replaces mid-run keeps its version, not its address."""
        from lab.ecs.testkit import version_at

        for target in {target for states in health.values() for target in states} - set(self._versions):
            answered = version_at(f"http://{target}/version")
            if answered is not None:
                self._versions[target] = str(answered)

    def deployment_state(self) -> str | None:
        """The newest deployment's state as the strategy's own API reports it."""
        service = self._ecs.describe_services(cluster=self.world.name, services=[self.world.name])["services"][0]
        if self.strategy == "codedeploy":
            ids = [ts["externalId"] for ts in service.get("taskSets", []) if ts.get("externalId")]
            if not ids:
                return None
            return self._codedeploy.get_deployment(deploymentId=ids[-1])["deploymentInfo"]["status"]
        if self.strategy == "ecs":
            found = self._ecs.list_service_deployments(cluster=self.world.name, service=self.world.name).get("serviceDeployments", [])
            return found[0]["status"] if found else None
        return ",".join(f"{d.get('status')}:{d.get('rolloutState')}:{d.get('taskDefinition', '').rsplit(':', 1)[-1]}" for d in service.get("deployments", []))


@dataclass
class Service:
    """The benchmark's service of one strategy, as the infrastructure role names things."""

    name: str
    listener_arn: str = ""
    url: str = ""
    group_arns: dict[str, str] = field(default_factory=dict)  # name -> ARN

    def discover(self, elbv2: Any) -> None:
        balancer = elbv2.describe_load_balancers(Names=[self.name])["LoadBalancers"][0]
        listeners = elbv2.describe_listeners(LoadBalancerArn=balancer["LoadBalancerArn"])["Listeners"]
        self.listener_arn = next(listener["ListenerArn"] for listener in listeners if listener["Port"] == 80)
        self.url = f"http://{balancer['DNSName']}:80/version"
        groups = elbv2.describe_target_groups(Names=[f"{self.name}-blue", f"{self.name}-green"])["TargetGroups"]
        self.group_arns = {group["TargetGroupName"]: group["TargetGroupArn"] for group in groups}

    def weights(self, elbv2: Any) -> dict[str, int]:
        """Forward weights of the rule production requests match (a non-default rule first, as ALB evaluates)."""
        rules = elbv2.describe_rules(ListenerArn=self.listener_arn)["Rules"]
        ordered = sorted(rules, key=lambda rule: (rule.get("IsDefault", False), int(rule["Priority"]) if rule["Priority"].isdigit() else 0))
        names = {arn: name for name, arn in self.group_arns.items()}
        for rule in ordered:
            for action in rule.get("Actions", []):
                if action["Type"] != "forward":
                    continue
                tuples = (action.get("ForwardConfig") or {}).get("TargetGroups") or [{"TargetGroupArn": action["TargetGroupArn"], "Weight": 1}]
                return {names.get(t["TargetGroupArn"], t["TargetGroupArn"]): int(t.get("Weight", 1)) for t in tuples}
        return {}

    def health(self, elbv2: Any) -> dict[str, dict[str, str]]:
        found = {}
        for name, arn in self.group_arns.items():
            described = elbv2.describe_target_health(TargetGroupArn=arn)["TargetHealthDescriptions"]
            found[name] = {f"{d['Target']['Id']}:{d['Target'].get('Port')}": d["TargetHealth"]["State"] for d in described}
        return found

    def targets(self, elbv2: Any) -> set[str]:
        return {target for states in self.health(elbv2).values() for target in states}


# --- running playbooks ---------------------------------------------------------------------


@dataclass(frozen=True)
class PlaybookRun:
    returncode: int
    wall_s: float
    output: dict[str, Any]
    first_call: int  # index into calls.jsonl where the run's calls start
    last_call: int


class Bench:
    def __init__(self, lab: LabHandle, base_image: str, workdir: Path, rate: float) -> None:
        self.lab = lab
        self.base_image = base_image
        self.workdir = workdir
        self.rate = rate
        self.env = dict(
            lab.env,
            AWS_URL=lab.url,
            AWS_REGION="us-east-1",
            ANSIBLE_CONFIG=str(REPO / "ansible.cfg"),
            ANSIBLE_STDOUT_CALLBACK="ansible.posix.json",
            ANSIBLE_NOCOLOR="1",
            PATH=f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}",
        )
        self.elbv2 = lab.client("elbv2")
        self.ecs = lab.client("ecs")
        self.broken_context = self._broken_service()

    def _broken_service(self) -> Path:
        """A copy of service/ whose image sets FAIL_HEALTHCHECK=1: it starts and answers /version 3, but /healthcheck 500."""
        context = self.workdir / "service-v3"
        shutil.copytree(REPO / "service", context, ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache"))
        for name in ("Containerfile", "Dockerfile"):
            path = context / name
            if path.exists():
                path.write_text(path.read_text() + "\n# benchmarks/cutover.py: a release whose health check fails\nENV FAIL_HEALTHCHECK=1\n")
        return context

    def call_count(self) -> int:
        return sum(1 for _ in read_calls(self.lab.dir / "calls.jsonl"))

    def calls(self, first: int, last: int) -> list[dict[str, Any]]:
        return list(read_calls(self.lab.dir / "calls.jsonl"))[first:last]

    def playbook(self, playbook: Path, extra: dict[str, Any]) -> PlaybookRun:
        first = self.call_count()
        command = [str(Path(sys.executable).parent / "ansible-playbook"), str(playbook), "-e", json.dumps(extra)]
        started = time.monotonic()
        proc = subprocess.run(command, cwd=REPO, env=self.env, capture_output=True, text=True, timeout=1200, stdin=subprocess.DEVNULL)
        wall = time.monotonic() - started
        time.sleep(0.2)  # the lab writes a call's line after its answer
        return PlaybookRun(proc.returncode, round(wall, 2), callback_output(proc.stdout, proc.stderr), first, self.call_count())

    def deploy(self, name: str, strategy: str, version: str, context: Path | None = None) -> PlaybookRun:
        extra = {
            "cutover_name": name,
            "cutover_strategy": strategy,
            "cutover_version": version,
            "cutover_image_tag": f"v{version}",
            "cutover_base_image": self.base_image,
        }
        if context is not None:
            extra["cutover_service_dir"] = str(context)
        return self.playbook(DEPLOY_PLAYBOOK, extra)

    def build_images(self, name: str) -> PlaybookRun:
        images = [
            {"version": "1", "tag": "v1", "context": str(REPO / "service")},
            {"version": "2", "tag": "v2", "context": str(REPO / "service")},
            {"version": "3", "tag": "v3", "context": str(self.broken_context)},
        ]
        return self.playbook(IMAGES_PLAYBOOK, {"bench_name": name, "bench_images": images, "cutover_base_image": self.base_image})

    # --- one strategy ---------------------------------------------------------------------

    def strategy(self, strategy: str) -> dict[str, Any]:
        name = f"bench-{strategy}"
        world = Service(name)
        built = self.build_images(name)
        require(built, f"{strategy}: building the images")
        first = self.deploy(name, strategy, "1")
        require(first, f"{strategy}: deploying v1")
        world.discover(self.elbv2)
        wait_serving(world.url, "1")
        figures: dict[str, Any] = {"service": name, "v1_deploy_wall_s": first.wall_s, "settings": self.settings(strategy, name)}
        figures.update(self.cutover(world, strategy))
        figures["noop"] = self.noop(world, strategy)
        figures.update(self.rollback(world, strategy))
        figures["goals_met"] = goal_checks(figures)
        # its tasks would only take CPU from the next strategy's figures
        self.ecs.update_service(cluster=name, service=name, desiredCount=0)
        return figures

    def settings(self, strategy: str, name: str) -> dict[str, Any]:
        group = self.elbv2.describe_target_groups(Names=[f"{name}-blue"])["TargetGroups"][0]
        found: dict[str, Any] = {
            "desired_count": DESIRED_COUNT,
            "health_check": {
                "interval_s": group["HealthCheckIntervalSeconds"],
                "healthy_threshold": group["HealthyThresholdCount"],
                "unhealthy_threshold": group["UnhealthyThresholdCount"],
            },
        }
        if strategy == "codedeploy":
            info = self.lab.client("codedeploy").get_deployment_group(applicationName=name, deploymentGroupName=name)["deploymentGroupInfo"]
            found["deployment_config"] = info.get("deploymentConfigName")
            found["termination_wait_minutes"] = (
                (info.get("blueGreenDeploymentConfiguration") or {}).get("terminateBlueInstancesOnDeploymentSuccess", {}).get("terminationWaitTimeInMinutes")
            )
        else:
            service = self.ecs.describe_services(cluster=name, services=[name])["services"][0]
            config = service.get("deploymentConfiguration") or {}
            found["deployment_configuration"] = {
                key: config.get(key) for key in ("strategy", "bakeTimeInMinutes", "minimumHealthyPercent", "maximumPercent", "deploymentCircuitBreaker")
            }
        return found

    def under_load(self, world: Service, strategy: str, action: Callable[[], PlaybookRun], settle_version: str) -> tuple[PlaybookRun, LoadReport, list[Sample]]:
        """Runs ``action`` with the load generator and the sampler on; returns once production answers ``settle_version`` again."""
        sampler = Sampler(self.lab, world, strategy).start()
        load = LoadGenerator(world.url, rate=self.rate, workers=16, max_seconds=900).start()
        try:
            load.wait_count(int(self.rate))  # a second of baseline
            run = action()
            wait_serving(world.url, settle_version, streak=20)
            time.sleep(1.0)
        finally:
            report = load.stop()
            samples = sampler.stop()
        return run, report, samples

    def cutover(self, world: Service, strategy: str) -> dict[str, Any]:
        run, report, samples = self.under_load(world, strategy, lambda: self.deploy(world.name, strategy, "2"), "2")
        require(run, f"{strategy}: cutting over to v2")

        def green(sample: Sample) -> set[str]:
            return sample.targets_of("2")

        green_healthy = first_time(samples, lambda s: healthy_green(s.health, green(s)) >= DESIRED_COUNT)
        all_green_api = settled_time(samples, lambda s: green_share(s.weights, s.health, green(s)) == 1.0, since=green_healthy or float("-inf"))
        last_v1 = last_answer_of(report, "1")
        result = task_result(run.output, CUTOVER_TASK)
        end = max(t for t in (all_green_api, last_v1) if t is not None) if (all_green_api or last_v1) else None
        return {
            "cutover_requests": report.total,
            "cutover_failed_requests": report.failed,
            "cutover_failures_sample": report.failures(5),
            "cutover_failure_times_s": failure_times(report, samples),
            "cutover_wall_s": run.wall_s,
            "cutover_versions": dict(report.versions()),
            "switch_overhead_s": seconds(end, green_healthy),
            "switch_overhead_api_s": seconds(all_green_api, green_healthy),
            "switch_overhead_load_s": seconds(last_v1, green_healthy),
            "prescribed_s_subtracted": 0.0,
            "cutover_timeline_s": {
                "green_all_healthy": seconds(green_healthy, samples[0].time if samples else None),
                "production_all_green_api": seconds(all_green_api, samples[0].time if samples else None),
                "last_v1_answer": seconds(last_v1, samples[0].time if samples else None),
            },
            "cutover_module": {key: result.get(key) for key in ("status", "strategy", "deployment_id", "elapsed", "weights", "rolled_back")},
            "cutover_samples": len(samples),
            "cutover_transitions": transitions(samples),
            "cutover_progress_last_lines": run.output.get("progress_lines", [])[-3:],
        }

    def noop(self, world: Service, strategy: str) -> dict[str, Any]:
        run = self.deploy(world.name, strategy, "2")
        calls = self.calls(run.first_call, run.last_call)
        result = task_result(run.output, CUTOVER_TASK)
        stats = (run.output.get("stats") or {}).get("localhost", {})
        return {
            "wall_s": run.wall_s,
            "api_calls": len(calls),
            "mutating_api_calls": sum(1 for call in calls if is_mutating(call["operation"])),
            "mutating_calls": sorted({f"{c['service']}:{c['operation']}" for c in calls if is_mutating(c["operation"])}),
            "calls_per_operation": calls_per_operation(calls),
            "calls_per_task": calls_per_task(run.output, calls),
            "playbook_rc": run.returncode,
            "changed_tasks": stats.get("changed"),
            "deploy_module": {key: result.get(key) for key in ("changed", "status")},
            "tasks_run": tasks_run(run.output),
            "slowest_tasks": slowest_tasks(run.output),
        }

    def rollback(self, world: Service, strategy: str) -> dict[str, Any]:
        blue_revision = self.ecs.describe_services(cluster=world.name, services=[world.name])["services"][0]["taskDefinition"].rsplit(":", 1)[-1]
        run, report, samples = self.under_load(world, strategy, lambda: self.deploy(world.name, strategy, "3", self.broken_context), "2")
        result = task_result(run.output, CUTOVER_TASK)

        def green(sample: Sample) -> set[str]:
            return sample.targets_of("3")

        failed = failure_detected(samples, strategy, blue_revision)
        first_unhealthy = first_time(samples, lambda s: any(st == "unhealthy" and t in green(s) for states in s.health.values() for t, st in states.items()))
        on_blue = settled_time(samples, lambda s: green_share(s.weights, s.health, green(s)) == 0.0, since=failed or float("-inf"))
        green_gone = settled_time(samples, lambda s: registered_green(s.health, green(s)) == 0, since=failed or float("-inf"))
        shares = [share for s in samples if (share := green_share(s.weights, s.health, green(s))) is not None]
        origin = samples[0].time if samples else None
        return {
            "rollback_requests": report.total,
            "rollback_failed_requests": report.failed,
            "rollback_failures_sample": report.failures(5),
            "rollback_failure_times_s": failure_times(report, samples),
            "rollback_versions": dict(report.versions()),
            "rollback_s": seconds(on_blue, failed),
            "rollback_green_production_share_max": round(max(shares), 3) if shares else None,
            "rollback_to_green_deregistered_s": seconds(green_gone, failed),
            "rollback_wall_s": run.wall_s,
            "rollback_timeline_s": {
                "first_green_unhealthy": seconds(first_unhealthy, origin),
                "failure_detected": seconds(failed, origin),
                "production_all_blue": seconds(on_blue, origin),
                "green_deregistered": seconds(green_gone, origin),
            },
            "rollback_playbook_rc": run.returncode,
            "rollback_module": {key: result.get(key) for key in ("status", "rolled_back", "rollback_reason", "msg", "elapsed")},
            "rollback_deployment_states": sorted({s.deployment for s in samples if s.deployment}),
            "rollback_transitions": transitions(samples),
            "rollback_progress_last_lines": run.output.get("progress_lines", [])[-3:],
        }


def failure_detected(samples: Sequence[Sample], strategy: str, blue_revision: str) -> float | None:
    """When the strategy's own API first reports the deployment failed or rolling back.

    rolling: a deployment whose rolloutState is FAILED, or the PRIMARY deployment back on the
    blue revision after another one was PRIMARY (the circuit breaker's rollback deployment).
    """
    left_blue = False
    for sample in samples:
        if sample.deployment is None:
            continue
        if strategy != "rolling":
            if sample.deployment in FAILED_DEPLOYMENT_STATES:
                return sample.time
            continue
        deployments = [entry.split(":") for entry in sample.deployment.split(",") if entry]
        primary = next((revision for status, _rollout, revision in deployments if status == "PRIMARY"), None)
        if any(rollout == "FAILED" for _status, rollout, _revision in deployments) or (left_blue and primary == blue_revision):
            return sample.time
        left_blue = left_blue or (primary is not None and primary != blue_revision)
    return None


def require(run: PlaybookRun, what: str) -> None:
    if run.returncode != 0:
        failed = [
            f"{task['task']['name']}: {host.get('msg', '')}"[:800]
            for play in run.output.get("plays", [])
            for task in play.get("tasks", [])
            for host in task.get("hosts", {}).values()
            if host.get("failed")
        ]
        raise RuntimeError(f"{what} failed (rc {run.returncode}): {failed or json.dumps(run.output)[-2000:]}")


def wait_serving(url: str, version: str, streak: int = 5, timeout: float = 180.0) -> None:
    """Until ``streak`` answers in a row come from ``version``."""
    from lab.ecs.testkit import version_at, wait_for

    count = {"n": 0}

    def probe() -> int:
        count["n"] = count["n"] + 1 if version_at(url) == version else 0
        return count["n"]

    wait_for(f"{streak} answers of version {version} at {url}", probe, lambda n: n >= streak, timeout=timeout, interval=0.05)


def ecs_available() -> str | None:
    """None when the ecs strategy is wired end to end, else why not."""
    ensure = (REPO / "plugins/module_utils/_deploy/ensure.py").read_text()
    if not re.search(r"DRIVERS\s*=\s*\{[^}]*\"ecs\"", ensure):
        return "the ecs driver is not registered in plugins/module_utils/_deploy/ensure.py DRIVERS yet"
    roles = " ".join(path.read_text() for path in (REPO / "roles/infrastructure/tasks").glob("*.yml"))
    if "'ecs'" not in roles and '"ecs"' not in roles:
        return "roles/infrastructure has no infrastructure_strategy == 'ecs' branch yet"
    return None


def machine() -> dict[str, Any]:
    haproxy = subprocess.run(["haproxy", "-v"], capture_output=True, text=True, timeout=10).stdout.splitlines()
    return {
        "cpus": os.cpu_count(),
        "arch": platform.machine(),
        "python": platform.python_version(),
        "haproxy": haproxy[0].split(" - ")[0] if haproxy else None,
        "load_average_at_start": [round(value, 2) for value in os.getloadavg()],
    }


METHOD = {
    "switch_overhead_s": (
        "From 'all green targets healthy' to '100% of production on green', in real seconds. Green targets are those not "
        "registered in either target group before the playbook ran. A sampler reads the production listener's forward "
        "weights (DescribeRules) and both target groups' health (DescribeTargetHealth) through the lab's API every 0.1 s. "
        "Start: the first sample with desired_count green targets healthy. End: the later of (a) the first sample from "
        "which every healthy target behind a weighted group is green (API) and (b) the start of the last request that "
        "v1 answered (LoadReport). Both ends are in the JSON (switch_overhead_api_s, switch_overhead_load_s)."
    ),
    "prescribed_s_subtracted": (
        "0: codedeploy runs the group's CodeDeployDefault.ECSAllAtOnce, ecs BLUE_GREEN with bake time 0 (all at once), and "
        "a rolling update prescribes no wait between the new tasks turning healthy and the old ones leaving the target group "
        "(the deregistration delay only drains requests already in flight)."
    ),
    "rollback_s": (
        "From 'failure detected' to '100% of production on blue'. Failure detected: the first sample (deployment state read "
        "at 2 Hz) where the strategy's own API reports it (codedeploy GetDeployment status Failed/Stopped; ecs "
        "ListServiceDeployments status ROLLBACK_*/FAILED/STOPPED; rolling the PRIMARY deployment's rolloutState FAILED or "
        "the circuit breaker's rollback deployment). 100% on blue: the first sample from which no healthy target behind a "
        "weighted group is green. When production never left blue it is 0; rollback_green_production_share_max shows "
        "whether it did, rollback_to_green_deregistered_s how long until no green target was left in any target group."
    ),
    "cutover_requests": "Requests the load generator sent from one second before deploy.yml (v1 -> v2) ran until production answered v2 20 times in a row, plus a second.",
    "rollback_requests": "The same window around deploy.yml for v3 (FAIL_HEALTHCHECK=1), until production answered v2 20 times in a row.",
    "noop": (
        "deploy.yml re-run for v2 right after the cutover (image, infrastructure and deploy roles, the service's tests "
        "included), no load, no sampler: api_calls are the lines the run added to the lab's calls.jsonl; mutating means "
        "not Describe*/List*/Get*/BatchGet*. Registry HTTP (podman, the image module's manifest reads) is not in the call log."
    ),
}


def run_benchmark(strategies: list[str], rate: float, scale: float, publish: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    """Every strategy on one lab; ``publish`` gets the figures so far after each (a late failure keeps the rest)."""
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="cutover-bench-") as tmp:
        lab = LabHandle(Path(tmp) / "lab")
        lab.env["LAB_TIME_SCALE"] = str(scale)
        base = ensure_base_image("podman")
        lab.up()
        try:
            bench = Bench(lab, base, Path(tmp), rate)
            for strategy in strategies:
                if strategy == "ecs" and (reason := ecs_available()):
                    results[strategy] = {"skipped": reason}
                    continue
                started = time.monotonic()
                try:
                    results[strategy] = bench.strategy(strategy)
                except Exception as exc:  # one strategy's failure must not lose the others' figures
                    results[strategy] = {"error": f"{type(exc).__name__}: {exc}"[:4000]}
                results[strategy]["strategy_wall_s"] = round(time.monotonic() - started, 1)
                results[strategy]["measured_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
                results[strategy]["lab_time_scale"] = scale
                publish(results)
        finally:
            lab.down()
    return results


def document(strategies: dict[str, Any], rate: float, scale: float, at_start: dict[str, Any], started: float) -> dict[str, Any]:
    measured = [figures for figures in strategies.values() if "goals_met" in figures]
    codedeploy = strategies.get("codedeploy", {})
    return {
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": {**at_start, "load_average_at_end": [round(value, 2) for value in os.getloadavg()]},
        "lab_time_scale": scale,
        "lab_time_scale_reason": SCALE_REASON if scale != 1.0 else "real AWS time",
        "load": {
            "rate_rps": rate,
            "generator": "lab/loadgen.py, a new connection per request, 16 workers",
            "path": "/version on the production listener (port 80)",
        },
        "goals": GOALS,
        "method": METHOD,
        "strategies": strategies,
        "noop": {
            "strategy": "codedeploy (make demo's; every strategy's is under strategies.<name>.noop)",
            **{k: v for k, v in (codedeploy.get("noop") or {}).items() if k in ("wall_s", "api_calls", "mutating_api_calls", "calls_per_operation")},
        },
        "goals_met": {name: figures["goals_met"] for name, figures in strategies.items() if "goals_met" in figures},
        "all_goals_met": bool(measured) and all(all(v is True for v in figures["goals_met"].values()) for figures in measured),
        "bench_wall_s": round(time.monotonic() - started, 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--strategies", default=",".join(STRATEGIES))
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--output", type=Path, default=RESULTS)
    parser.add_argument("--keep-others", action="store_true", help="keep the output file's figures of strategies this run does not measure")
    args = parser.parse_args()
    scale = float(os.environ.get("LAB_TIME_SCALE") or DEFAULT_SCALE)
    started = time.monotonic()
    at_start = machine()

    def publish(strategies: dict[str, Any]) -> None:
        if args.keep_others and args.output.exists():
            strategies = {**json.loads(args.output.read_text()).get("strategies", {}), **strategies}
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(json.dumps(document(strategies, args.rate, scale, at_start, started), indent=2, default=str) + "\n")

    strategies = run_benchmark([s for s in args.strategies.split(",") if s], args.rate, scale, publish)
    publish(strategies)
    print(args.output.read_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
