"""rollback.yml and teardown.yml (the cutover.ecs.rollback and cutover.ecs.teardown roles) on a
CodeDeploy blue/green service (rollback_stack.py), in file order:
- rollback.yml brings v1 back to production; a re-run changes nothing;
- a CodeDeploy deployment awaiting verification is rolled back: production never leaves blue;
- teardown.yml leaves none of the service's resources in the lab; a re-run changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import yaml
from rollback_stack import (
    REPORT_TASK,
    ROLLBACK_TASK,
    STOP_TASK,
    TEST_PORT,
    Service,
    check_rollback,
    check_teardown,
    lab_of_its_own,
    provisioned,
    role_play,
    run_playbook,
)

from lab.ecs.sampleimage import SampleImages, ensure_sample_images
from lab.ecs.testkit import version_at, wait_for
from lab.testing import LabHandle


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabHandle]:
    yield from lab_of_its_own(tmp_path_factory)


@pytest.fixture(scope="module")
def images() -> SampleImages:
    return ensure_sample_images("podman")


@pytest.fixture(scope="module")
def codedeploy(lab: LabHandle, images: SampleImages, tmp_path_factory: pytest.TempPathFactory) -> Service:
    return provisioned(lab, images, "codedeploy", tmp_path_factory.mktemp("codedeploy"))


def test_rollback_brings_v1_back_and_a_rerun_changes_nothing(codedeploy: Service) -> None:
    check_rollback(codedeploy, "codedeploy")


def test_rollback_while_awaiting_verification_keeps_blue(codedeploy: Service, lab: LabHandle) -> None:
    """Green (v2) waits on the test listener; rollback.yml stops it: production never leaves v1."""
    v1, v2 = codedeploy.revision(1), codedeploy.revision(2)
    # The infrastructure role's group moves traffic at once; a verification gate needs STOP_DEPLOYMENT.
    group = codedeploy.codedeploy.get_deployment_group(applicationName=codedeploy.name, deploymentGroupName=codedeploy.name)["deploymentGroupInfo"]
    blue_green = dict(group["blueGreenDeploymentConfiguration"], deploymentReadyOption={"actionOnTimeout": "STOP_DEPLOYMENT", "waitTimeInMinutes": 600})
    codedeploy.codedeploy.update_deployment_group(
        applicationName=codedeploy.name, currentDeploymentGroupName=codedeploy.name, blueGreenDeploymentConfiguration=blue_green
    )
    playbook = codedeploy.work / "verify.yml"
    verify = {
        "name": "Deploy v2, stop before production",
        "cutover.ecs.deploy": {"cluster": codedeploy.name, "service": codedeploy.name, "task_definition": v2, "verify": True, "poll_interval": 1},
    }
    playbook.write_text(yaml.safe_dump(role_play(lab, [verify]), sort_keys=False))
    awaiting = run_playbook(lab, playbook)
    assert awaiting.rc == 0, awaiting.tail()
    deployment_id = awaiting.results()[verify["name"]]["deployment_id"]
    assert awaiting.results()[verify["name"]]["status"] == "awaiting_verification"
    codedeploy.wait_version("2", port=TEST_PORT)
    assert version_at(codedeploy.url()) == "1"

    rolled = codedeploy.rollback()
    assert rolled.rc == 0, rolled.tail()
    stopped = rolled.results()[STOP_TASK]
    assert (stopped["changed"], stopped["status"], stopped["rolled_back"], stopped["deployment_id"]) == (True, "rolled_back", True, deployment_id)
    assert rolled.results()[ROLLBACK_TASK].get("skipped") is True
    assert "codedeploy:StopDeployment" in rolled.mutating and "codedeploy:CreateDeployment" not in rolled.mutating, rolled.mutating
    assert codedeploy.codedeploy.get_deployment(deploymentId=deployment_id)["deploymentInfo"]["status"] == "Stopped"
    codedeploy.wait_version("1")
    codedeploy.wait_version("1", port=TEST_PORT)
    wait_for("green task set removed", codedeploy.serving, lambda tds: tds == [v1], timeout=120)

    again = codedeploy.rollback()
    assert again.rc == 0, again.tail()
    assert (again.changed, again.mutating) == (0, []), again.tail()
    assert "was rolled back already" in "\n".join(again.results()[REPORT_TASK]["msg"])


def test_teardown_deletes_everything_and_a_rerun_changes_nothing(codedeploy: Service, lab: LabHandle) -> None:
    check_teardown(codedeploy, "codedeploy", lab)
