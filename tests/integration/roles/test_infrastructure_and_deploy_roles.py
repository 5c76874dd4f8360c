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

from pathlib import Path
from typing import Any

import pytest
import yaml
from moto_counting_server import mutating_calls
from role_stack import Stack, changed_tasks, recap

from lab.ecs.sampleimage import SampleImages, ensure_sample_images
from lab.ecs.testkit import version_at
from lab.loadgen import LoadGenerator


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

    cutover = stack.cut_over_under_load(images.v2, "2")
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
