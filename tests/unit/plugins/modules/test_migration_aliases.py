"""The aliases that let a community.aws task keep its option names (README, "Migrating from community.aws").

Each alias goes through the module's real argument spec, with amazon.aws's connection options, and must land on
the same option, and ask AWS for the same thing, as the option's own name.
"""

from __future__ import annotations

import copy
import importlib
from typing import Any

import pytest
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.amazon.aws.plugins.module_utils.modules import aws_argument_spec
from ansible_collections.cutover.ecs.plugins.module_utils._ecs.service_plan import desired_service
from ansible_collections.cutover.ecs.plugins.module_utils._ecs.task_definition_plan import desired_definition
from ansible_collections.cutover.ecs.plugins.module_utils._elbv2.plan import desired_target_group

TASK_DEFINITION_ARN = "arn:aws:ecs:us-east-1:123456789012:task-definition/shop-web:3"
CONTAINERS = [{"name": "web", "image": "shop-web:1"}]

# (module, options written with the community.aws names, the same options with ours)
ALIASES = [
    pytest.param("service", {"service": "shop-web"}, {"name": "shop-web"}, id="service"),
    pytest.param(
        "service",
        {"name": "shop-web", "state": "absent", "force_deletion": True},
        {"name": "shop-web", "state": "absent", "force_delete": True},
        id="force_deletion",
    ),
    pytest.param(
        "task_definition",
        {"family": "shop-web", "containers": CONTAINERS, "task_role_arn": "arn:aws:iam::123456789012:role/shop-web"},
        {"family": "shop-web", "containers": CONTAINERS, "task_role": "arn:aws:iam::123456789012:role/shop-web"},
        id="task_role_arn",
    ),
    pytest.param(
        "task_definition",
        {"family": "shop-web", "containers": CONTAINERS, "execution_role_arn": "arn:aws:iam::123456789012:role/exec"},
        {"family": "shop-web", "containers": CONTAINERS, "execution_role": "arn:aws:iam::123456789012:role/exec"},
        id="execution_role_arn",
    ),
    pytest.param(
        "task_definition",
        {"family": "shop-web", "containers": CONTAINERS, "runtime_platform": {"cpuArchitecture": "ARM64", "operatingSystemFamily": "LINUX"}},
        {"family": "shop-web", "containers": CONTAINERS, "runtime_platform": {"cpu_architecture": "ARM64", "operating_system_family": "LINUX"}},
        id="cpuArchitecture-operatingSystemFamily",
    ),
    pytest.param(
        "target_group",
        {"name": "shop-blue", "deregistration_delay_timeout": 30},
        {"name": "shop-blue", "deregistration_delay": 30},
        id="deregistration_delay_timeout",
    ),
]


def _spec(module: str) -> dict:
    """The argument spec AnsibleAWSModule builds: amazon.aws's connection options, then the module's own."""
    return {**aws_argument_spec(), **importlib.import_module(f"ansible_collections.cutover.ecs.plugins.modules.{module}").ARGUMENT_SPEC}


def _validated(module: str, options: dict) -> dict:
    result = ArgumentSpecValidator(_spec(module)).validate(copy.deepcopy(options))
    assert not result.error_messages, (module, options, result.error_messages)
    return result.validated_parameters


def _ours(options: dict[str, Any], spec: dict) -> dict:
    """The validated options under their own names only (the validator also keeps the alias keys)."""
    ours = {}
    for name, option in spec.items():
        value = options.get(name)
        if isinstance(value, dict) and option.get("options"):
            value = _ours(value, option["options"])
        ours[name] = value
    return ours


@pytest.mark.parametrize("module, theirs, ours", ALIASES)
def test_alias_means_the_option(module, theirs, ours):
    spec = _spec(module)
    assert _ours(_validated(module, theirs), spec) == _ours(_validated(module, ours), spec)


@pytest.mark.parametrize(
    "module, option, alias",
    [
        ("service", ("name",), "service"),
        ("service", ("force_delete",), "force_deletion"),
        ("task_definition", ("task_role",), "task_role_arn"),
        ("task_definition", ("execution_role",), "execution_role_arn"),
        ("task_definition", ("runtime_platform", "cpu_architecture"), "cpuArchitecture"),
        ("task_definition", ("runtime_platform", "operating_system_family"), "operatingSystemFamily"),
        ("target_group", ("deregistration_delay",), "deregistration_delay_timeout"),
    ],
)
def test_alias_is_declared(module, option, alias):
    spec = _spec(module)
    *parents, name = option
    for parent in parents:
        spec = spec[parent]["options"]
    assert alias in spec[name].get("aliases", [])


def _names(spec: dict) -> list:
    """Every option name and alias at each level of a spec, suboptions by their own level."""
    names = []
    for name, option in spec.items():
        names += [name, *option.get("aliases", [])]
    return names


def _levels(spec: dict):
    yield spec
    for option in spec.values():
        if option.get("options"):
            yield from _levels(option["options"])


@pytest.mark.parametrize("module", ["service", "task_definition", "target_group"])
def test_no_name_or_alias_is_taken_twice(module):
    for level in _levels(_spec(module)):
        names = _names(level)
        assert len(names) == len(set(names)), sorted(name for name in set(names) if names.count(name) > 1)


def test_service_alias_asks_for_the_same_service():
    theirs = _validated("service", {"service": "shop-web", "cluster": "shop", "desired_count": 2})
    ours = _validated("service", {"name": "shop-web", "cluster": "shop", "desired_count": 2})
    assert desired_service(theirs, TASK_DEFINITION_ARN) == desired_service(ours, TASK_DEFINITION_ARN)
    assert desired_service(theirs, TASK_DEFINITION_ARN)["serviceName"] == "shop-web"


def test_force_deletion_defaults_like_force_delete():
    assert _validated("service", {"name": "shop-web"})["force_delete"] is False
    assert _validated("service", {"name": "shop-web", "force_deletion": True})["force_delete"] is True


def test_task_definition_aliases_register_the_same_definition():
    theirs = _validated(
        "task_definition",
        {
            "family": "shop-web",
            "containers": CONTAINERS,
            "task_role_arn": "shop-web-task",
            "execution_role_arn": "arn:aws:iam::123456789012:role/exec",
            "runtime_platform": {"cpuArchitecture": "X86_64", "operatingSystemFamily": "LINUX"},
        },
    )
    ours = _validated(
        "task_definition",
        {
            "family": "shop-web",
            "containers": CONTAINERS,
            "task_role": "shop-web-task",
            "execution_role": "arn:aws:iam::123456789012:role/exec",
            "runtime_platform": {"cpu_architecture": "X86_64", "operating_system_family": "LINUX"},
        },
    )
    definition = desired_definition(theirs, None, account_id="123456789012")
    assert definition == desired_definition(ours, None, account_id="123456789012")
    assert definition["taskRoleArn"] == "arn:aws:iam::123456789012:role/shop-web-task"
    assert definition["executionRoleArn"] == "arn:aws:iam::123456789012:role/exec"
    assert definition["runtimePlatform"] == {"cpuArchitecture": "X86_64", "operatingSystemFamily": "LINUX"}


def test_cpu_architecture_alias_keeps_the_choices():
    result = ArgumentSpecValidator(_spec("task_definition")).validate({"family": "shop-web", "runtime_platform": {"cpuArchitecture": "SPARC"}})
    assert result.error_messages and "cpu_architecture" in result.error_messages[0]


def test_deregistration_delay_timeout_sets_the_attribute():
    theirs = desired_target_group(_validated("target_group", {"name": "shop-blue", "deregistration_delay_timeout": 30}))
    assert theirs == desired_target_group(_validated("target_group", {"name": "shop-blue", "deregistration_delay": 30}))
    assert theirs["Attributes"] == {"deregistration_delay.timeout_seconds": "30"}
