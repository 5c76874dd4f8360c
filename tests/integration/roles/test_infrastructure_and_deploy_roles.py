"""The infrastructure and deploy roles through ansible-playbook against the lab, with the
default (human) output: what a user sees.

- ECS-native: infrastructure_strategy=ecs provisions listener rules and the service's
  advancedConfiguration; a re-run changes nothing; the deploy role cuts over under load
  with 0 failed requests and prints progress live; re-running infrastructure after the
  cutover (target groups swapped) still changes nothing.
- Verification gate (codedeploy): a failing deploy_verify_tasks file rolls back and
  production never serves green; a passing one moves production to green.
- A rolling service with deploy_verify_tasks fails in preflight, before any mutating call.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from moto_counting_server import mutating_calls

from lab.ecs.sampleimage import SampleImages, ensure_sample_images
from lab.ecs.testkit import unique, version_at, wait_for
from lab.loadgen import LoadGenerator

REPO = Path(__file__).resolve().parents[3]
BIN = Path(sys.executable).parent
RECAP = re.compile(r"localhost\s+: ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)")


class Stack:
    """One service provisioned by the infrastructure role, deployed by the deploy role."""

    def __init__(self, lab: Any, images: SampleImages, strategy: str, tmp: Path, verification_minutes: int = 0) -> None:
        self.lab, self.images, self.strategy, self.tmp = lab, images, strategy, tmp
        self.name = unique(strategy[:4])
        self.verification_minutes = verification_minutes
        self.env = dict(lab.env, ANSIBLE_CONFIG=str(REPO / "ansible.cfg"), ANSIBLE_NOCOLOR="1", AWS_URL=lab.url, AWS_REGION="us-east-1")
        self.env.pop("ANSIBLE_STDOUT_CALLBACK", None)

    def play(self, image: str, deploy: bool = True, **deploy_vars: Any) -> subprocess.CompletedProcess[str]:
        tasks: list[dict] = [
            {
                "name": "Provision",
                "ansible.builtin.include_role": {"name": "cutover.ecs.infrastructure"},
                "vars": {
                    "infrastructure_name": self.name,
                    "infrastructure_image": self.images.v1,
                    "infrastructure_strategy": self.strategy,
                    "infrastructure_desired_count": 1,
                    "infrastructure_bake_time": 0,
                    "infrastructure_deregistration_delay": 2,
                    "infrastructure_health_interval": 5,
                    "infrastructure_health_timeout": 2,
                    "infrastructure_healthy_threshold": 2,
                    "infrastructure_verification_minutes": self.verification_minutes,
                },
            }
        ]
        if deploy:
            tasks.append(
                {
                    "name": "Cut over",
                    "ansible.builtin.include_role": {"name": "cutover.ecs.deploy"},
                    "vars": {
                        "deploy_service": self.name,
                        "deploy_image": image,
                        "deploy_test_url": "{{ infrastructure_test_url }}",
                        "deploy_wait_timeout": 300,
                        **deploy_vars,
                    },
                }
            )
        playbook = self.tmp / f"{self.name}.yml"
        playbook.write_text(yaml.safe_dump([{"hosts": "localhost", "connection": "local", "gather_facts": False, "tasks": tasks}], sort_keys=False))
        return subprocess.run([str(BIN / "ansible-playbook"), str(playbook)], cwd=REPO, env=self.env, capture_output=True, text=True, timeout=900)

    def production_url(self) -> str:
        dns = self.lab.client("elbv2").describe_load_balancers(Names=[self.name])["LoadBalancers"][0]["DNSName"]
        return f"http://{dns}:80/version"

    def service(self) -> dict:
        return self.lab.client("ecs").describe_services(cluster=self.name, services=[self.name])["services"][0]

    def wait_version(self, wanted: str, samples: int = 5) -> None:
        streak = {"n": 0}
        url = self.production_url()

        def probe() -> int:
            streak["n"] = streak["n"] + 1 if version_at(url) == wanted else 0
            return streak["n"]

        wait_for(f"{samples} answers of version {wanted}", probe, lambda n: n >= samples, timeout=120, interval=0.2)


def recap(proc: subprocess.CompletedProcess[str]) -> dict[str, int]:
    found = RECAP.search(proc.stdout)
    assert found, f"no PLAY RECAP\n{proc.stdout[-3000:]}\n{proc.stderr[-2000:]}"
    return dict(zip(("ok", "changed", "unreachable", "failed"), map(int, found.groups()), strict=True))


def changed_tasks(proc: subprocess.CompletedProcess[str]) -> list[str]:
    """Names of the tasks the default callback reported as changed."""
    names, current = [], None
    for line in proc.stdout.splitlines():
        if line.startswith("TASK ["):
            current = line[6:].split("]")[0]
        elif line.startswith("changed:") and current:
            names.append(current)
    return names


@pytest.fixture(scope="module")
def images() -> SampleImages:
    return ensure_sample_images("podman")


def test_ecs_native_stack_provisions_cuts_over_and_stays_put(module_lab: Any, images: SampleImages, tmp_path: Path) -> None:
    stack = Stack(module_lab, images, "ecs", tmp_path)
    first = stack.play(images.v1, deploy=False)
    assert recap(first)["failed"] == 0, first.stdout[-4000:]
    balancer = stack.service()["loadBalancers"][0]
    advanced = balancer["advancedConfiguration"]
    assert ":listener-rule/" in advanced["productionListenerRule"] and ":listener-rule/" in advanced["testListenerRule"]
    assert advanced["roleArn"].endswith(f"role/{stack.name}-ecs-load-balancers")
    assert stack.service()["deploymentConfiguration"]["strategy"] == "BLUE_GREEN"
    stack.wait_version("1")

    again = stack.play(images.v1, deploy=False)
    assert recap(again)["changed"] == 0, changed_tasks(again)

    with LoadGenerator(stack.production_url(), rate=50) as load:
        cutover = stack.play(images.v2)
        stack.wait_version("2")
    report = load.report()
    assert recap(cutover)["failed"] == 0, cutover.stdout[-4000:]
    assert report.total > 100 and report.failed == 0, report.failures()[:5]
    # Progress printed live by the action plugin, one line per poll, before the task's result.
    # (on stderr, so machine-readable callbacks keep a clean stdout).
    progress = [line for line in cutover.stderr.splitlines() if line.startswith(f"  [localhost] {stack.name} ") and "traffic blue" in line]
    assert progress, cutover.stderr[-3000:]
    assert "strategy ecs: succeeded" in cutover.stdout

    # After the cutover green is production; provisioning again must not swap it back.
    mark = module_lab.app.mark()
    after = stack.play(images.v2)
    assert recap(after)["changed"] == 0, changed_tasks(after)
    assert mutating_calls(module_lab.app.since(mark)) == []
    stack.wait_version("2")


def test_codedeploy_verification_gate_rolls_back_then_continues(module_lab: Any, images: SampleImages, tmp_path: Path) -> None:
    stack = Stack(module_lab, images, "codedeploy", tmp_path, verification_minutes=30)
    assert recap(stack.play(images.v1))["failed"] == 0
    stack.wait_version("1")

    failing = tmp_path / "verify-fails.yml"
    failing.write_text(
        yaml.safe_dump(
            [
                {
                    "name": "Green must answer version 9",
                    "ansible.builtin.uri": {"url": "{{ deploy_test_url }}/version", "return_content": True},
                    "register": "green",
                    "failed_when": "green.json.version != '9'",
                }
            ]
        )
    )
    with LoadGenerator(stack.production_url(), rate=50) as load:
        rejected = stack.play(images.v2, deploy_verify_tasks=str(failing))
    report = load.report()
    assert rejected.returncode != 0
    assert "Verification of" in rejected.stdout and "was rolled back" in rejected.stdout, rejected.stdout[-3000:]
    # Production never served green while the checks ran and the deployment rolled back.
    assert report.failed == 0 and set(report.versions()) == {"1"}, report.as_dict()

    passing = tmp_path / "verify-passes.yml"
    passing.write_text(
        yaml.safe_dump([{"name": "Green answers version 2", "ansible.builtin.uri": {"url": "{{ deploy_test_url }}/version"}, "register": "green"}])
    )
    accepted = stack.play(images.v2, deploy_verify_tasks=str(passing))
    assert recap(accepted)["failed"] == 0, accepted.stdout[-4000:]
    assert "Green answers version 2" in accepted.stdout and "strategy codedeploy: succeeded" in accepted.stdout
    stack.wait_version("2")


def test_verification_of_a_rolling_service_fails_before_any_change(module_lab: Any, images: SampleImages, tmp_path: Path) -> None:
    stack = Stack(module_lab, images, "rolling", tmp_path)
    assert recap(stack.play(images.v1))["failed"] == 0
    checks = tmp_path / "checks.yml"
    checks.write_text(yaml.safe_dump([{"name": "noop", "ansible.builtin.debug": {"msg": "ok"}}]))
    mark = module_lab.app.mark()
    proc = stack.play(images.v2, deploy_verify_tasks=str(checks))
    assert proc.returncode != 0
    assert "deploy_verify_tasks needs a blue/green service" in proc.stdout, proc.stdout[-3000:]
    assert mutating_calls(module_lab.app.since(mark)) == []
    assert version_at(stack.production_url()) == "1"
