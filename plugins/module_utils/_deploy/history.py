# Copyright: cutover.ecs contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A service's deployment history: the task definitions that took all production traffic when a
deployment ended, newest first, read lazily (a rollback needs the first one or two).

- ``codedeploy``: the deployment group's Succeeded CodeDeploy deployments (a rollback deployment
  CodeDeploy made counts: it put the old task definition back), each one's AppSpec TaskDefinition
  and then the one it replaced (previousRevision; for the group's first deployment, which has none,
  the "from" that cutover.ecs.deploy writes in the description).
- ``ecs`` and ``rolling``: the service's SUCCESSFUL ECS service deployments (ListServiceDeployments,
  which covers rolling updates as well as the ECS-native strategies), each one's target service
  revision's task definition and then its sources'.

Each deployment gives what served after it and what served before it, so the first deployment
after the service was created is enough to go back to the task definition it was created with.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, Optional

from ansible_collections.cutover.ecs.plugins.module_utils._codedeploy import api as codedeploy_api
from ansible_collections.cutover.ecs.plugins.module_utils._deploy import native, native_plan, plan
from ansible_collections.cutover.ecs.plugins.module_utils._deploy.target import Target
from ansible_collections.cutover.ecs.plugins.module_utils._ecs import api as ecs_api

# DescribeServiceDeployments takes 20 ARNs at most.
PER_CALL = 20


def served_task_definitions(target: Target, strategy: str, described: Mapping[str, Any]) -> Iterator[Optional[str]]:
    """``described``: the deployment_info result (for the CodeDeploy application and group)."""
    if strategy == "codedeploy":
        return _codedeploy(target, described.get("application"), described.get("deployment_group"))
    return _service_deployments(target)


def _codedeploy(target: Target, application: Optional[str], group: Optional[str]) -> Iterator[Optional[str]]:
    if not application or not group:
        return
    client = target.context.client("codedeploy")
    for deployment_id in codedeploy_api.list_deployments(client, application, group, ["Succeeded"]):
        info = codedeploy_api.get_deployment(client, deployment_id) or {}
        # After it, its own revision served; before it, the one it replaced. A rollback
        # deployment replaced a green that never took all production traffic: not that one.
        yield plan.appspec_task_definition(info.get("revision"))
        if not (info.get("rollbackInfo") or {}).get("rollbackTriggeringDeploymentId"):
            yield plan.appspec_task_definition(info.get("previousRevision")) or plan.described_source(info.get("description"))


def _service_deployments(target: Target) -> Iterator[Optional[str]]:
    client = target.context.client("ecs")
    arns = native_plan.succeeded_newest_first(ecs_api.list_service_deployments(client, target.cluster, target.service_name, ["SUCCESSFUL"]))
    for start in range(0, len(arns), PER_CALL):
        found = {item["serviceDeploymentArn"]: item for item in ecs_api.describe_service_deployments(client, arns[start : start + PER_CALL])}
        for arn in arns[start : start + PER_CALL]:
            revisions = native_plan.served_revisions(found.get(arn) or {})
            task_definitions = native.revision_task_definitions(target, revisions)
            yield from (task_definitions.get(revision) for revision in revisions)
