"""Fixtures of the rollback and teardown role tests: a lab of the test module's own, and the
service stack of the module's ``STRATEGY`` (rollback_stack.py)."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from rollback_stack import Service, provisioned

from lab.ecs.sampleimage import ensure_sample_images
from lab.testing import LabHandle, running_lab


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabHandle]:
    """A lab of the test module's own; lab minutes pass 10 times faster (CodeDeploy's 5-minute
    termination wait takes 30 s)."""
    handle = LabHandle(tmp_path_factory.mktemp("rollback-lab"))
    handle.env["LAB_TIME_SCALE"] = os.environ.get("LAB_TIME_SCALE") or "10"
    yield from running_lab(handle)


@pytest.fixture(scope="module")
def service(lab: LabHandle, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Service:
    """The stack of the test module's ``STRATEGY``, provisioned and deployed v1 then v2."""
    strategy = getattr(request.module, "STRATEGY", None)
    if strategy is None:
        raise pytest.UsageError(f"{request.module.__name__} uses the service fixture without naming its STRATEGY")
    return provisioned(lab, ensure_sample_images("podman"), strategy, tmp_path_factory.mktemp(strategy))
