"""rollback.yml and teardown.yml (the cutover.ecs.rollback and cutover.ecs.teardown roles) on a
rolling service (rollback_stack.py), in file order:
- rollback.yml brings v1 back to production; a re-run changes nothing;
- bad input fails before any mutating call;
- teardown.yml leaves none of the service's resources in the lab; a re-run changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from rollback_stack import Service, check_rollback, check_teardown, lab_of_its_own, provisioned

from lab.ecs.sampleimage import SampleImages, ensure_sample_images
from lab.testing import LabHandle


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabHandle]:
    yield from lab_of_its_own(tmp_path_factory)


@pytest.fixture(scope="module")
def images() -> SampleImages:
    return ensure_sample_images("podman")


@pytest.fixture(scope="module")
def rolling(lab: LabHandle, images: SampleImages, tmp_path_factory: pytest.TempPathFactory) -> Service:
    return provisioned(lab, images, "rolling", tmp_path_factory.mktemp("rolling"))


def test_rollback_brings_v1_back_and_a_rerun_changes_nothing(rolling: Service) -> None:
    check_rollback(rolling, "rolling")


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"cutover_task_definition": "no-such-family:7"}, "does not exist"),
        ({"cutover_task_definition": "not a revision"}, "rollback_task_definition must be empty, a family:revision"),
        ({"cutover_name": "no-such-service"}, "was not found in cluster"),
    ],
)
def test_bad_input_fails_before_any_change(rolling: Service, extra: dict, message: str) -> None:
    run = rolling.rollback(**extra)
    assert run.rc != 0
    assert message in run.tail(), run.tail()
    assert run.mutating == []


def test_teardown_deletes_everything_and_a_rerun_changes_nothing(rolling: Service, lab: LabHandle) -> None:
    check_teardown(rolling, "rolling", lab)
