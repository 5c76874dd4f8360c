"""rollback.yml and teardown.yml (the cutover.ecs.rollback and cutover.ecs.teardown roles) on a
CodeDeploy blue/green service (rollback_stack.py), in file order:
- rollback.yml brings v1 back to production; a re-run changes nothing;
- a CodeDeploy deployment awaiting verification is rolled back: production never leaves blue;
- teardown.yml leaves none of the service's resources in the lab; a re-run changes nothing.
"""

from __future__ import annotations

import yaml
from rollback_stack import (
    REPORT_TASK,
    ROLLBACK_TASK,
    STOP_TASK,
    TEST_PORT,
    Service,
    check_rollback,
    check_teardown,
    role_play,
    run_playbook,
)

from lab.ecs.testkit import version_at, wait_for

STRATEGY = "codedeploy"  # the stack the ``service`` fixture (conftest.py) provisions


def test_rollback_brings_v1_back_and_a_rerun_changes_nothing(service: Service) -> None:
    check_rollback(service)


def test_rollback_while_awaiting_verification_keeps_blue(service: Service) -> None:
    """Green (v2) waits on the test listener; rollback.yml stops it: production never leaves v1."""
    v1, v2 = service.revision(1), service.revision(2)
    # The infrastructure role's group moves traffic at once; a verification gate needs STOP_DEPLOYMENT.
    group = service.codedeploy.get_deployment_group(applicationName=service.name, deploymentGroupName=service.name)["deploymentGroupInfo"]
    blue_green = dict(group["blueGreenDeploymentConfiguration"], deploymentReadyOption={"actionOnTimeout": "STOP_DEPLOYMENT", "waitTimeInMinutes": 600})
    service.codedeploy.update_deployment_group(
        applicationName=service.name, currentDeploymentGroupName=service.name, blueGreenDeploymentConfiguration=blue_green
    )
    playbook = service.work / "verify.yml"
    verify = {
        "name": "Deploy v2, stop before production",
        "cutover.ecs.deploy": {"cluster": service.name, "service": service.name, "task_definition": v2, "verify": True, "poll_interval": 1},
    }
    playbook.write_text(yaml.safe_dump(role_play(service.lab, [verify]), sort_keys=False))
    awaiting = run_playbook(service.lab, playbook)
    assert awaiting.rc == 0, awaiting.tail()
    deployment_id = awaiting.results()[verify["name"]]["deployment_id"]
    assert awaiting.results()[verify["name"]]["status"] == "awaiting_verification"
    service.wait_version("2", port=TEST_PORT)
    assert version_at(service.url()) == "1"

    rolled = service.rollback()
    assert rolled.rc == 0, rolled.tail()
    stopped = rolled.results()[STOP_TASK]
    assert (stopped["changed"], stopped["status"], stopped["rolled_back"], stopped["deployment_id"]) == (True, "rolled_back", True, deployment_id)
    assert rolled.results()[ROLLBACK_TASK].get("skipped") is True
    assert "codedeploy:StopDeployment" in rolled.mutating and "codedeploy:CreateDeployment" not in rolled.mutating, rolled.mutating
    assert service.codedeploy.get_deployment(deploymentId=deployment_id)["deploymentInfo"]["status"] == "Stopped"
    service.wait_version("1")
    service.wait_version("1", port=TEST_PORT)
    wait_for("green task set removed", service.serving, lambda tds: tds == [v1], timeout=120)

    again = service.rollback()
    assert again.rc == 0, again.tail()
    assert (again.changed, again.mutating) == (0, []), again.tail()
    assert "was rolled back already" in "\n".join(again.results()[REPORT_TASK]["msg"])


def test_teardown_deletes_everything_and_a_rerun_changes_nothing(service: Service) -> None:
    check_teardown(service)
