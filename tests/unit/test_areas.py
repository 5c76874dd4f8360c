"""tests/areas.py: which integration and lab tests ``make check`` runs for a change."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

SPEC = importlib.util.spec_from_file_location("areas", Path(__file__).resolve().parents[1] / "areas.py")
assert SPEC is not None and SPEC.loader is not None
areas = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(areas)


@pytest.mark.parametrize(
    ("changed", "expected"),
    [
        (["plugins/module_utils/_elbv2/plan.py"], ["elb"]),
        (["plugins/modules/listener.py", "lab/elb/haproxy.py"], ["elb"]),
        (["plugins/modules/deploy.py"], ["deploy"]),
        (["plugins/modules/deployment_info.py"], ["deploy"]),
        (["plugins/modules/service_info.py"], ["ecs"]),
        (["plugins/module_utils/_poller.py"], ["ecs", "elb", "codedeploy", "deploy"]),
        (["roles/deploy/tasks/main.yml"], ["roles"]),
        (["lab/server.py"], ["lab"]),
        (["tests/lab/test_ecs_services.py"], ["ecs"]),
        (["tests/integration/modules/test_deploy_codedeploy.py"], ["codedeploy", "deploy"]),
        (["README.md", "CHANGELOG.md"], []),
    ],
)
def test_a_change_selects_the_areas_it_touches(changed: list[str], expected: list[str]) -> None:
    assert areas.areas_of(changed) == expected


def test_every_area_has_test_files_and_every_file_exists() -> None:
    for area in areas.TESTS:
        files = areas.files_of(area)
        assert files and all((areas.REPO / path).is_file() for path in files), area


def test_every_test_file_of_the_two_tiers_belongs_to_an_area() -> None:
    """A new test file outside every area would never run in ``make check``."""
    covered = {path for area in areas.TESTS for path in areas.files_of(area)}
    tiers = sorted(str(p.relative_to(areas.REPO)) for d in ("tests/integration", "tests/lab") for p in (areas.REPO / d).rglob("test_*.py"))
    assert [path for path in tiers if path not in covered] == []


def test_paths_pass_through_and_unknown_words_are_refused() -> None:
    assert areas.select(["tests/lab/test_elb_units.py", "tests/lab/test_elb_units.py"]) == ["tests/lab/test_elb_units.py"]
    with pytest.raises(SystemExit, match="unknown area or path 'elbv3'; areas: ecs, elb"):
        areas.select(["elbv3"])
