"""The EXAMPLES of the ELBv2 modules are valid YAML and pass their own argument spec
(validate-modules checks DOCUMENTATION against the spec, not the examples)."""

from __future__ import annotations

import importlib

import pytest
import yaml
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

MODULES = ("load_balancer", "target_group", "listener")


def example_tasks(name: str):
    module = importlib.import_module(f"ansible_collections.cutover.ecs.plugins.modules.{name}")
    tasks = yaml.safe_load(module.EXAMPLES)
    assert tasks, f"{name} has no EXAMPLES"
    return module, [task[f"cutover.ecs.{name}"] for task in tasks]


@pytest.mark.parametrize("name", MODULES)
def test_examples_use_real_options(name):
    module, examples = example_tasks(name)
    validator = ArgumentSpecValidator(module.ARGUMENT_SPEC)
    for args in examples:
        result = validator.validate(args)
        assert not result.error_messages, (name, args, result.error_messages)
