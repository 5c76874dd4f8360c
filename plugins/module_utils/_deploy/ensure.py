# Copyright: cutover.ecs contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Entry points of cutover.ecs.deploy and cutover.ecs.deployment_info.

Both read the service, pick the strategy (``plan.resolve_strategy``) and hand over to
the strategy's driver (``codedeploy``, ``native`` for ``ecs``, or ``rolling``). Everything
that can be checked is checked before the first mutating call; check mode makes none.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any, Optional

from ansible_collections.cutover.ecs.plugins.module_utils._deploy import codedeploy, history, native, plan, rolling, until
from ansible_collections.cutover.ecs.plugins.module_utils._deploy.target import Target
from ansible_collections.cutover.ecs.plugins.module_utils._ecs import api as ecs_api
from ansible_collections.cutover.ecs.plugins.module_utils._ecs import task_definition_plan as tdp
from ansible_collections.cutover.ecs.plugins.module_utils._errors import CutoverError, InvalidInput
from ansible_collections.cutover.ecs.plugins.module_utils._module import Context
from ansible_collections.cutover.ecs.plugins.module_utils._tags import tags_from_aws

DRIVERS = {"codedeploy": codedeploy, "ecs": native, "rolling": rolling}


def _read_service(context: Context, options: Mapping[str, Any]) -> dict:
    service = ecs_api.describe_service(context.client("ecs"), options["cluster"], options["service"])
    if service is None:
        raise InvalidInput(f"The service {options['service']} does not exist in cluster {options['cluster']} (or is INACTIVE)", option="service")
    return service


def _resolve_task_definition(context: Context, reference: str) -> dict:
    found = ecs_api.describe_task_definition(context.client("ecs"), reference)
    if found is None and context.check_mode:
        predicted = _predicted_revision(context, reference)
        if predicted is not None:
            return predicted
    if found is None or found["taskDefinition"].get("status") == "INACTIVE":
        raise InvalidInput(
            f"The task definition {reference} does not exist (or is INACTIVE): register it first or fix task_definition", option="task_definition"
        )
    return found["taskDefinition"]


def _predicted_revision(context: Context, reference: str) -> Optional[dict]:
    """In check mode, the revision a task before this one would register: the one
    cutover.ecs.task_definition predicts (``tdp.predicted_arn``, the family's latest + 1), planned with
    the latest revision's containers and marked ``predicted``. None for any other missing reference."""
    family = tdp.family_of(reference)
    latest = ecs_api.describe_task_definition(context.client("ecs"), family)
    if latest is None:
        return None
    arn, revision = tdp.predicted_arn(latest["taskDefinition"]["taskDefinitionArn"], family)
    if plan.family_revision(arn) != plan.family_revision(reference):
        return None
    return dict(latest["taskDefinition"], taskDefinitionArn=arn, revision=revision, predicted=True)


def ensure_deployment(context: Context, options: Mapping[str, Any]) -> dict:
    """cutover.ecs.deploy."""
    started = time.monotonic()
    plan.validate_options(options)
    service = _read_service(context, options)
    strategy = plan.resolve_strategy(options.get("strategy"), service)
    problem = until.problem(strategy, options.get("wait_until"), bool(options.get("verify")))
    if problem:
        raise InvalidInput(problem, option="wait_until")
    task_definition = _resolve_task_definition(context, options["task_definition"]) if options.get("task_definition") else None
    target = Target(context=context, options=options, service=service, strategy=strategy, task_definition=task_definition, started=started)
    try:
        result = _check(target) if options.get("action") == "check" else DRIVERS[strategy].run(target)
    except CutoverError as error:
        if target.cache.get("listener_drift"):
            error.details.setdefault("listener_drift", target.cache["listener_drift"])
        raise
    if target.cache.get("listener_drift"):
        result["listener_drift"] = target.cache["listener_drift"]
    return result


def _check(target: Target) -> dict:
    """action=check: the checks a deployment runs before it starts, and no change (the deploy role's preflight)."""
    DRIVERS[target.strategy].check(target)
    serving = plan.serving_task_definition(target.service) or target.service.get("taskDefinition")
    return plan.report(target.strategy, None, {"status": "checked"}, serving, serving, target.elapsed(), changed=False)


def describe_deployment(context: Context, options: Mapping[str, Any]) -> dict:
    """cutover.ecs.deployment_info: the current or latest deployment, one shape for all strategies."""
    started = time.monotonic()
    service = _read_service(context, options)
    strategy = plan.resolve_strategy(options.get("strategy"), service)
    target = Target(context=context, options=options, service=service, strategy=strategy, task_definition=None, started=started)
    result = DRIVERS[strategy].describe(target)
    result["changed"] = False
    result["rollback"] = _rollback_plan(target, strategy, result)
    return result


def _rollback_plan(target: Target, strategy: str, described: Mapping[str, Any]) -> dict:
    """What a rollback would do, chosen from the deployment history (``plan.plan_rollback``)."""
    requested = target.options.get("rollback_task_definition")
    if requested:
        _resolve_task_definition(target.context, requested)
    marker = tags_from_aws(target.service.get("tags")).get(plan.ROLLBACK_MARKER_TAG)
    # A lazy read: the history is fetched only when the plan is a redeploy, and only as far as needed.
    served = history.served_task_definitions(target, strategy, described)
    return plan.plan_rollback(described, requested, marker, plan.serving_task_definition(target.service), served)
