"""Every module's EXAMPLES is valid YAML whose cutover.ecs tasks pass the module's own
argument spec (validate-modules checks DOCUMENTATION against the spec, not the examples)."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
import yaml
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.amazon.aws.plugins.module_utils.modules import aws_argument_spec

MODULES = sorted(path.stem for path in (Path(__file__).resolve().parents[4] / "plugins" / "modules").glob("*.py"))


def _module(name: str):
    return importlib.import_module(f"ansible_collections.cutover.ecs.plugins.modules.{name}")


def test_every_module_is_listed():
    assert {"cluster", "service", "listener", "image"} <= set(MODULES)


@pytest.mark.parametrize("name", MODULES)
def test_examples_use_real_options(name):
    tasks = yaml.safe_load(_module(name).EXAMPLES)
    assert tasks, f"{name} has no EXAMPLES"
    uses = [(key.split(".")[-1], args) for task in tasks for key, args in task.items() if key.startswith("cutover.ecs.")]
    assert any(module == name for module, _args in uses), f"no example of {name} uses cutover.ecs.{name}"
    for module, args in uses:
        spec = {**aws_argument_spec(), **_module(module).ARGUMENT_SPEC}
        result = ArgumentSpecValidator(spec).validate(args or {})
        assert not result.error_messages, (name, module, args, result.error_messages)
