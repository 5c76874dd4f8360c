"""A CodeDeploy service and a rolling one behind one application load balancer made elsewhere (issue 28), as
test_role_shared_alb.py does with two ECS-native ones: CodeDeploy rewrites only the forwards to its own target groups
on the two listeners (its rule), rolling changes no listener; each cuts over under load with 0 failed requests on
both, the other's rule, weights and targets unchanged; re-runs change nothing; teardown removes only the service's
own rules (shared_alb.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from shared_alb import make_shared_load_balancer, two_services_cut_over_on_their_own

from lab.ecs.sampleimage import SampleImages, ensure_sample_images


@pytest.fixture(scope="module")
def images() -> SampleImages:
    return ensure_sample_images("podman")


def test_a_codedeploy_and_a_rolling_service_share_one_load_balancer_and_cut_over_on_their_own(module_lab: Any, images: SampleImages, tmp_path: Path) -> None:
    two_services_cut_over_on_their_own(module_lab, images, make_shared_load_balancer(module_lab), tmp_path, ("codedeploy", "rolling"))
