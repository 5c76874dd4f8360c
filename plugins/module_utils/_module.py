# Copyright: cutover.ecs contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What every module's short ``main()`` calls: build, run, report.

A module file holds docs and its argument spec, then::

    def main():
        module = build_module(ARGUMENT_SPEC)
        run_module(module, ensure_cluster)

``ensure_cluster(context, options)`` lives in module_utils. It gets plain data
(the options and a :class:`Context` with the client factory and the check and
diff flags), never the module, and returns the result dict. Errors of the one type, :class:`CutoverError`, are
turned into ``fail_json`` here and nowhere else.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Optional

from ansible.module_utils.common.dict_transformations import _camel_to_snake

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.cutover.ecs.plugins.module_utils._errors import CutoverError
from ansible_collections.cutover.ecs.plugins.module_utils._sdk import installed_sdk, sdk_problem
from ansible_collections.cutover.ecs.plugins.module_utils._tags import as_text

WAIT_ARGS = dict(
    wait=dict(type="bool", default=True),
    wait_timeout=dict(type="int", default=600),
)

# Documented by the amazon.aws.tags doc fragment.
TAG_ARGS = dict(
    tags=dict(type="dict", aliases=["resource_tags"]),
    purge_tags=dict(type="bool", default=True),
)

# AWS-style mutating operation prefixes; everything else is a read.
READ_PREFIXES = ("Describe", "List", "Get", "BatchGet")


def build_module(argument_spec: Mapping[str, Any], **kwargs: Any) -> AnsibleAWSModule:
    """The module, once its options are valid and the SDK is recent enough (before any AWS call)."""
    kwargs.setdefault("supports_check_mode", True)
    module = AnsibleAWSModule(argument_spec=dict(argument_spec), **kwargs)
    botocore_version, boto3_version, python = installed_sdk()
    problem = sdk_problem(botocore_version, boto3_version, python)
    if problem:
        module.fail_json(msg=problem, botocore_version=botocore_version, boto3_version=boto3_version)
    return module


# Options every AWS module gets from AnsibleAWSModule; the layers below never see them.
_AWS_COMMON = frozenset(
    (
        "access_key",
        "secret_key",
        "session_token",
        "profile",
        "endpoint_url",
        "validate_certs",
        "aws_ca_bundle",
        "aws_config",
        "debug_botocore_endpoint_logs",
        "region",
    )
)


@dataclass
class Context:
    """What the layers below a module get instead of the module itself."""

    client: Callable[[str], Any]
    check_mode: bool = False
    diff_mode: bool = False
    warn: Callable[[str], None] = lambda message: None


def module_options(module: AnsibleAWSModule) -> dict:
    """The module's own options, as plain data (a copy; params are never mutated); tag values as text, as
    AWS keeps them (``stage: 2`` in YAML is the tag ``stage=2``, not a request AWS refuses)."""
    options = {key: value for key, value in module.params.items() if key not in _AWS_COMMON}
    if isinstance(options.get("tags"), Mapping):
        options["tags"] = as_text(options["tags"])
    return options


def core_warn(module: AnsibleAWSModule) -> Callable[[str], None]:
    """ansible-core's own ``warn``: amazon.aws 10's wrapper also copies each warning into the result's ``warnings``,
    which ansible-core 2.19 reports as a deprecated way to warn (a DEPRECATION WARNING after every warning). Core's
    ``warn`` shows the warning once, as before."""
    return getattr(module, "_module", module).warn


def run_module(module: AnsibleAWSModule, action: Callable[[Context, dict], dict]) -> None:
    """Run ``action(context, options)`` and exit with its result.

    This is the one place where :class:`CutoverError` becomes a failure.
    """
    context = Context(client=module.client, check_mode=module.check_mode, diff_mode=module._diff, warn=core_warn(module))
    try:
        result = action(context, module_options(module))
    except CutoverError as exc:
        details = {key: value for key, value in exc.details.items() if value is not None}
        if exc.code:
            details["error_code"] = exc.code
        if exc.exception is not None and hasattr(exc.exception, "response"):
            module.fail_json_aws(exc.exception, msg=exc.message, **details)
        module.fail_json(msg=exc.message, **details)
    module.exit_json(**result)


# Keys whose values are user data (names the user chose: tags, Docker labels,
# log driver options, hook details), kept as they are in snake_case results.
# ansible's camel_dict_to_snake_dict does not carry its ignore_list into nested
# dicts, so a Docker label "com.example.Team" would come back mangled.
USER_DATA_KEYS = frozenset(("tags", "Tags", "dockerLabels", "options", "driverOpts", "labels", "hookDetails", "properties"))


def to_snake(resource: Optional[Mapping[str, Any]], keep: frozenset = USER_DATA_KEYS) -> dict:
    """AWS's camelCase to the snake_case our results use; user data keeps its keys at any depth."""
    if not resource:
        return {}
    return _snake(dict(resource), keep)


def _snake(value: Any, keep: frozenset) -> Any:
    if isinstance(value, Mapping):
        return {_camel_to_snake(key): (item if key in keep else _snake(item, keep)) for key, item in value.items()}
    if isinstance(value, list):
        return [_snake(item, keep) for item in value]
    return value


@dataclass
class Change:
    """What a plan decided for one resource.

    ``action`` is ``create``, ``update``, ``delete`` or ``none``; ``before``
    and ``after`` are normalised states (``after`` is the prediction in check
    mode); ``fields`` names what differs.
    """

    action: str
    before: Optional[dict] = None
    after: Optional[dict] = None
    fields: list = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return self.action != "none"


def plan_of(change: Change) -> dict:
    """``{action, fields}`` of a change: the fields sorted and once each; none for a delete or no change."""
    fields = sorted({str(name) for name in change.fields}) if change.action in ("create", "update") else []
    return {"action": change.action, "fields": fields}


def make_result(key: str, change: Change, resource: Optional[Mapping[str, Any]], diff_mode: bool, **extra: Any) -> dict:
    """The module result: ``changed``, the resource under ``key`` in snake_case, ``plan`` (what was
    done, or would be in check mode, and to which fields: what a plan summary lists) and ``diff``."""
    result: dict = dict(changed=change.changed, **extra)
    result[key] = to_snake(resource)
    result["plan"] = plan_of(change)
    if diff_mode:
        result["diff"] = dict(before=change.before or {}, after=change.after or {})
    return result
