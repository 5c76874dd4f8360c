"""Capacity providers in the infrastructure role (issue 28): a service placed by a capacity provider strategy
(FARGATE_SPOT and FARGATE with weights and a base) instead of the FARGATE launch type; the cluster keeps the
providers it had; a re-run changes nothing; a strategy AWS refuses is refused before any mutating call."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from moto_counting_server import mutating_calls
from role_stack import Stack, recap

from lab.ecs.sampleimage import SampleImages, ensure_sample_images

SPOT_WITH_A_BASE_ON_DEMAND = [{"capacity_provider": "FARGATE_SPOT", "weight": 3}, {"capacity_provider": "FARGATE", "weight": 1, "base": 1}]


@pytest.fixture(scope="module")
def images() -> SampleImages:
    return ensure_sample_images("podman")


def _strategy(service: dict) -> list[tuple[str, int, int]]:
    return sorted((item["capacityProvider"], item.get("weight", 0), item.get("base", 0)) for item in service.get("capacityProviderStrategy", []))


def test_a_service_on_fargate_spot_and_fargate(module_lab: Any, images: SampleImages, tmp_path: Path) -> None:
    stack = Stack(module_lab, images, "rolling", tmp_path, infrastructure_capacity_provider_strategy=SPOT_WITH_A_BASE_ON_DEMAND)
    ecs = module_lab.client("ecs")
    # The cluster exists already with a provider of another service's: it stays.
    ecs.create_cluster(clusterName=stack.name, capacityProviders=["FARGATE"])
    first = stack.play(images.v1)
    assert recap(first)["failed"] == 0, first.stdout[-4000:]
    service = stack.service()
    assert _strategy(service) == [("FARGATE", 1, 1), ("FARGATE_SPOT", 3, 0)]
    assert "launchType" not in service or service["launchType"] in ("", None), service.get("launchType")
    assert sorted(ecs.describe_clusters(clusters=[stack.name])["clusters"][0]["capacityProviders"]) == ["FARGATE", "FARGATE_SPOT"]
    stack.wait_version("1")
    stack.rerun_changes_nothing(images.v1)


@pytest.mark.parametrize(
    "strategy",
    [
        [{"capacity_provider": "FARGATE", "base": 1, "weight": 1}, {"capacity_provider": "FARGATE_SPOT", "base": 2, "weight": 1}],  # two bases
        [{"capacity_provider": "FARGATE_SPOT", "weight": 0}],  # no weight above 0
        [{"capacity_provider": "FARGATE", "weight": 1}, {"capacity_provider": "FARGATE", "weight": 2}],  # a provider twice
        [{"capacity_provider": "FARGATE", "weight": 1001}],  # weight out of range
        [{"capacity_provider": f"asg-{n}", "weight": 1} for n in range(7)],  # seven providers
    ],
    ids=["two-bases", "no-weight", "twice", "weight-1001", "seven"],
)
def test_a_strategy_aws_refuses_is_refused_before_any_change(module_lab: Any, images: SampleImages, tmp_path: Path, strategy: list) -> None:
    stack = Stack(module_lab, images, "rolling", tmp_path)
    mark = module_lab.app.mark()
    run = stack.play(images.v1, deploy=False, infrastructure={"infrastructure_capacity_provider_strategy": strategy})
    assert run.returncode != 0 and recap(run)["failed"] == 1, run.stdout[-3000:]
    assert "infrastructure_capacity_provider_strategy takes at most 6 providers" in run.stdout, run.stdout[-3000:]
    assert mutating_calls(module_lab.app.since(mark)) == []
