"""Two ECS-native services behind one application load balancer made elsewhere (issue 28): each gets one listener rule
by host on the production and the test listener (``infrastructure_load_balancer``, ``infrastructure_rule_hosts``), each
cuts over under load on its own with 0 failed requests on both, the other's rule, weights and targets unchanged;
re-runs change nothing; teardown removes only the service's own rules (shared_alb.py). Check mode plans a third
service before anything of it exists, and the inputs a shared load balancer refuses fail before any mutating call.
test_role_shared_alb_mixed.py does the same with a CodeDeploy and a rolling service."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from moto_counting_server import mutating_calls
from role_stack import recap
from shared_alb import make_shared_load_balancer, service_on, two_services_cut_over_on_their_own

from lab.ecs.sampleimage import SampleImages, ensure_sample_images


@pytest.fixture(scope="module")
def images() -> SampleImages:
    return ensure_sample_images("podman")


@pytest.fixture(scope="module")
def shared(module_lab: Any) -> dict[str, Any]:
    return make_shared_load_balancer(module_lab)


def test_two_ecs_native_services_share_one_load_balancer_by_host_and_cut_over_on_their_own(
    module_lab: Any, images: SampleImages, shared: dict[str, Any], tmp_path: Path
) -> None:
    two_services_cut_over_on_their_own(module_lab, images, shared, tmp_path, ("ecs", "ecs"))


def test_a_shared_load_balancer_refuses_what_would_take_another_service_s_traffic(
    module_lab: Any, images: SampleImages, shared: dict[str, Any], tmp_path: Path
) -> None:
    stack = service_on(module_lab, images, tmp_path, shared, "api.example.com")
    # Planned before anything of it exists: check mode plans the rule and changes nothing.
    mark = module_lab.app.mark()
    plan = stack.play(images.v1, deploy=False, check=True)
    assert recap(plan)["failed"] == 0, plan.stdout[-4000:]
    assert "TASK [cutover.ecs.infrastructure : Load balancing | This service's rule on the shared listeners]" in plan.stdout
    assert mutating_calls(module_lab.app.since(mark)) == []

    assert "priority 5 is held by the rule at priority 5 on port 80" in stack.refused(infrastructure_rule_priority=5)
    assert "static.example.com is already matched by the rule at priority 5 on port 80" in stack.refused(infrastructure_rule_hosts=["STATIC.example.com"])
    assert "infrastructure_test_port: the load balancer" in stack.refused(infrastructure_test_port=9443)
    assert "does not exist in this region" in stack.refused(infrastructure_load_balancer="no-such-alb")
    assert "so drop infrastructure_test_allowed_cidrs" in stack.refused(infrastructure_test_allowed_cidrs=["10.0.0.0/8"])
    assert "give infrastructure_rule_hosts or infrastructure_rule_paths" in stack.refused(infrastructure_rule_hosts=[])
