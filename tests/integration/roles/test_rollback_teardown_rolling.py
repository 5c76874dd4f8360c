"""rollback.yml and teardown.yml (the cutover.ecs.rollback and cutover.ecs.teardown roles) on a
rolling service (rollback_stack.py), in file order:
- rollback.yml brings v1 back to production; a re-run changes nothing;
- bad input fails before any mutating call;
- teardown.yml leaves none of the service's resources in the lab; a re-run changes nothing.
"""

from __future__ import annotations

import pytest
from rollback_stack import Service, check_rollback, check_teardown

STRATEGY = "rolling"  # the stack the ``service`` fixture (conftest.py) provisions


def test_rollback_brings_v1_back_and_a_rerun_changes_nothing(service: Service) -> None:
    check_rollback(service)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"cutover_task_definition": "no-such-family:7"}, "does not exist"),
        ({"cutover_task_definition": "not a revision"}, "rollback_task_definition must be empty, a family:revision"),
        ({"cutover_name": "no-such-service"}, "was not found in cluster"),
    ],
)
def test_bad_input_fails_before_any_change(service: Service, extra: dict, message: str) -> None:
    run = service.rollback(**extra)
    assert run.rc != 0
    assert message in run.tail(), run.tail()
    assert run.mutating == []


def test_teardown_deletes_everything_and_a_rerun_changes_nothing(service: Service) -> None:
    check_teardown(service)
