"""What a rollback goes back to, from the deployment history (plan.rollback_target, plan.plan_rollback)."""

from __future__ import annotations

import datetime

import pytest

from ansible_collections.cutover.ecs.plugins.module_utils._deploy import native_plan, plan

TD = "arn:aws:ecs:us-east-1:123456789012:task-definition/web:{}".format


def _history(*revisions):
    """A history that fails the test when read past what the plan needs."""
    yield from revisions
    raise AssertionError("the history was read past its end")


@pytest.mark.parametrize(
    "serving, served, expected",
    [
        # After a cutover 7 -> 9: back to 7, although 8 was registered (never served) in between.
        (TD(9), [TD(9), TD(7), TD(5)], TD(7)),
        # Serving something the history does not know (a deploy outside it): the newest served.
        (TD(9), [TD(7), TD(5)], TD(7)),
        # While two run (a rolling update in progress), the newest that served all traffic.
        (None, [TD(7), TD(5)], TD(7)),
        # A rollback that went 9 -> 7 and then 7 -> 9 again: each time the other one.
        (TD(7), [TD(7), TD(9), TD(7)], TD(9)),
        # family:revision and ARNs compare as one revision.
        ("web:9", [TD(9), TD(4)], TD(4)),
        # Entries with no task definition (an AppSpec that could not be read) are skipped.
        (TD(9), [None, TD(9), TD(3)], TD(3)),
        (TD(9), [TD(9)], None),
        (TD(9), [], None),
    ],
)
def test_rollback_target(serving, served, expected):
    assert plan.rollback_target(serving, iter(served)) == expected


def test_rollback_target_reads_the_history_only_as_far_as_needed():
    assert plan.rollback_target(TD(9), _history(TD(9), TD(7))) == TD(7)


LATEST = {"status": "succeeded", "strategy": "rolling", "deployment_id": "ecs-svc/1", "previous_task_definition": TD(8), "rollback_reason": None}


@pytest.mark.parametrize(
    "latest, requested, marker, expected_action, expected_target, reason",
    [
        (LATEST, None, None, "redeploy", TD(7), "redeploy web:7, the task definition that last served all production traffic before"),
        # Never "the revision below", never the deployment's own previous_task_definition: the history decides.
        (dict(LATEST, previous_task_definition=TD(8)), None, None, "redeploy", TD(7), "web:7"),
        (LATEST, "web:3", None, "redeploy", "web:3", "as requested"),
        (dict(LATEST, status="in_progress", strategy="codedeploy", deployment_id="d-1"), None, None, "stop", TD(8), "d-1 has not ended"),
        (dict(LATEST, status="awaiting_verification", strategy="ecs"), None, None, "stop", TD(8), "has not ended"),
        # A rolling update in progress is superseded by a redeploy of what served before.
        (dict(LATEST, status="in_progress"), None, None, "redeploy", TD(7), "web:7"),
        (dict(LATEST, status="rolled_back", rollback_reason="alarm"), None, None, "none", None, "was rolled back already: alarm"),
        (LATEST, None, "ecs-svc/1", "none", None, "is the rollback an earlier run made"),
        (LATEST, None, "ecs-svc/0", "redeploy", TD(7), "web:7"),
    ],
)
def test_plan_rollback(latest, requested, marker, expected_action, expected_target, reason):
    decision = plan.plan_rollback(latest, requested, marker, TD(9), iter([TD(9), TD(7)]))
    assert (decision["action"], decision["task_definition"]) == (expected_action, expected_target)
    assert reason in decision["reason"]


def test_plan_rollback_does_not_read_the_history_unless_it_redeploys_from_it():
    stopped = plan.plan_rollback(dict(LATEST, status="in_progress", strategy="ecs"), None, None, TD(9), _history())
    assert stopped["action"] == "stop"
    requested = plan.plan_rollback(LATEST, "web:3", None, TD(9), _history())
    assert requested["task_definition"] == "web:3"


def test_plan_rollback_with_nothing_to_go_back_to_asks_for_a_task_definition():
    decision = plan.plan_rollback(LATEST, None, None, TD(9), iter([TD(9)]))
    assert decision == {
        "action": "redeploy",
        "task_definition": None,
        "reason": "no other task definition served all production traffic in the deployment history: name the one to go back to",
    }


def _at(minute):
    return datetime.datetime(2026, 1, 1, 10, minute, tzinfo=datetime.UTC)


def test_succeeded_newest_first_orders_by_end_and_keeps_only_successes():
    briefs = [
        {"status": "SUCCESSFUL", "serviceDeploymentArn": "d1", "createdAt": _at(0), "finishedAt": _at(5)},
        {"status": "ROLLBACK_SUCCESSFUL", "serviceDeploymentArn": "d2", "createdAt": _at(6), "finishedAt": _at(8)},
        {"status": "SUCCESSFUL", "serviceDeploymentArn": "d3", "createdAt": _at(10), "finishedAt": _at(12)},
        {"status": "IN_PROGRESS", "serviceDeploymentArn": "d4", "createdAt": _at(13)},
        # No end time: its start orders it.
        {"status": "SUCCESSFUL", "serviceDeploymentArn": "d0", "createdAt": _at(1)},
    ]
    assert native_plan.succeeded_newest_first(briefs) == ["d3", "d1", "d0"]


def test_served_revisions_are_the_target_then_the_sources():
    deployment = {"targetServiceRevision": {"arn": "r2"}, "sourceServiceRevisions": [{"arn": "r1"}, {"arn": "r0"}]}
    assert native_plan.served_revisions(deployment) == ["r2", "r1", "r0"]
    assert native_plan.served_revisions({}) == []


def test_a_deployment_description_carries_what_served_before():
    described = plan.deployment_description(TD(2), TD(1))
    assert described == f"cutover.ecs.deploy of web:2 (from {TD(1)})"
    assert plan.described_source(described) == TD(1)
    assert plan.deployment_description(TD(2), None) == "cutover.ecs.deploy of web:2"
    for other in (None, "", "cutover.ecs.deploy of web:2", f"released by hand (from {TD(1)})"):
        assert plan.described_source(other) is None
