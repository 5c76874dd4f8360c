"""The moto pin: lab/moto_patches.py is written against one moto version. Fails when it moves."""

from __future__ import annotations

import importlib
import inspect
from importlib.metadata import version
from pathlib import Path

import pytest

from lab import moto_patches

REPO = Path(__file__).resolve().parents[2]


def test_installed_moto_is_the_pinned_version() -> None:
    assert version("moto") == moto_patches.PINNED_MOTO_VERSION, "moto moved: re-check every patch in lab/moto_patches.py, then move PINNED_MOTO_VERSION"


def test_requirements_pin_the_same_moto() -> None:
    pins = [line.strip() for line in (REPO / "requirements-dev.txt").read_text().splitlines() if line.strip().startswith("moto")]
    assert pins == [f"moto[server]=={moto_patches.PINNED_MOTO_VERSION}"]


@pytest.mark.parametrize(("module", "owner", "attribute"), moto_patches.PATCH_TARGETS)
def test_patch_target_still_exists(module: str, owner: str, attribute: str) -> None:
    cls = getattr(importlib.import_module(module), owner)
    target = inspect.getattr_static(cls, attribute)
    assert target is not None
    original = getattr(getattr(cls, attribute), "__wrapped__", None) or getattr(cls, attribute)
    assert callable(original)


def test_the_replaced_list_tasks_had_the_signature_the_replacement_keeps() -> None:
    """The patch replaces moto's ListTasks wholesale: if moto's changes, re-read it before moving the pin."""
    moto_patches.apply()
    original = moto_patches.ORIGINALS["EC2ContainerServiceBackend.list_tasks"]
    assert list(inspect.signature(original).parameters) == list(inspect.signature(moto_patches._list_tasks).parameters)
    response_source = inspect.getsource(moto_patches.ORIGINALS["EC2ContainerServiceResponse.list_tasks"])
    for parameter in ("cluster", "containerInstance", "family", "startedBy", "serviceName", "desiredStatus"):
        assert f'"{parameter}"' in response_source


def test_the_replaced_resource_calculation_still_crashes_without_container_memory() -> None:
    """When this fails, moto fixed the bug itself and the patch can go."""
    moto_patches.apply()
    original = moto_patches.ORIGINALS["EC2ContainerServiceBackend._calculate_task_resource_requirements"].__func__

    class Definition:
        container_definitions = [{"name": "app", "image": "x"}]
        memory = "512"

    with pytest.raises(TypeError):
        original(Definition())
    assert moto_patches.task_resource_requirements(Definition())["MEMORY"] == 512


def test_patches_are_applied_once() -> None:
    from moto.ecs.models import EC2ContainerServiceBackend, Task

    moto_patches.apply()
    moto_patches.apply()
    assert EC2ContainerServiceBackend.list_tasks is moto_patches._list_tasks
    assert not hasattr(Task.__init__.__wrapped__, "__wrapped__")
