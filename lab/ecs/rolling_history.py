"""Rolling updates as ECS service deployments (ListServiceDeployments, DescribeServiceDeployments,
DescribeServiceRevisions), read from the scheduler's deployment history.

AWS records every software update of an ECS-controller service as a service deployment, rolling
updates included ("View service history using Amazon ECS service deployments",
service-deployment.html): the source service revision (what ran), the target one (what is being
deployed) and the status. A completed one is SUCCESSFUL, STOPPED, ROLLBACK_SUCCESSFUL or
ROLLBACK_FAILED; an ongoing one IN_PROGRESS. The ECS-native strategies keep their own records
(``lab.ecs.native``); this module covers the rolling updates, so a service's history is whole
whichever strategy made each update. Creating a service is not an update and makes none.
"""

from __future__ import annotations

from typing import Any

from lab.ecs import model
from lab.ecs.native import _cluster_arn, epoch, resolved_configuration

IN_PROGRESS, SUCCESSFUL, STOPPED, ROLLBACK_IN_PROGRESS, ROLLBACK_SUCCESSFUL = (
    "IN_PROGRESS",
    "SUCCESSFUL",
    "STOPPED",
    "ROLLBACK_IN_PROGRESS",
    "ROLLBACK_SUCCESSFUL",
)


def rolling_status(deployment: model.DeploymentRecord, rolled_back_to: model.DeploymentRecord | None) -> str:
    """The service deployment status of one rolling update.

    ``rolled_back_to`` is the deployment the circuit breaker went back to when this one failed
    (None when it failed without rollback, or did not fail)."""
    if deployment.rollout_state == "COMPLETED":
        return SUCCESSFUL
    if deployment.rollout_state == "FAILED":
        if rolled_back_to is None:
            return STOPPED
        return ROLLBACK_SUCCESSFUL if rolled_back_to.rollout_state == "COMPLETED" else ROLLBACK_IN_PROGRESS
    # IN_PROGRESS: still the PRIMARY one, or superseded by a newer update before it completed.
    return IN_PROGRESS if deployment.status == "PRIMARY" else STOPPED


class RollingHistory:
    """The rolling updates of one service; revisions are registered in ``revisions`` (the native
    engine's store, so DescribeServiceRevisions answers for both)."""

    def __init__(self, lab: Any, region: str, service: Any, state: model.ServiceState, skip: set[str], revisions: dict[str, dict]) -> None:
        self.lab, self.region, self.service, self.state = lab, region, service, state
        self.skip, self.revisions = skip, revisions

    def _prefix(self, kind: str) -> str:
        return f"arn:aws:ecs:{self.region}:{self.lab.moto.account_id}:{kind}/{self.service.cluster_name}/{self.service.name}"

    def updates(self) -> list[tuple[model.DeploymentRecord, model.DeploymentRecord]]:
        """(source, target) of each rolling update, oldest first: every deployment but the first
        (the service's creation) and those the ECS-native engine records itself (``skip``)."""
        history = self.state.history
        return [(history[index - 1], deployment) for index, deployment in enumerate(history) if index > 0 and deployment.id not in self.skip]

    def arn(self, deployment: model.DeploymentRecord) -> str:
        return f"{self._prefix('service-deployment')}/{deployment.id}"

    def revision(self, deployment: model.DeploymentRecord) -> str:
        """The service revision of what ``deployment`` runs, registered on first use."""
        arn = f"{self._prefix('service-revision')}/{deployment.id}"
        if arn not in self.revisions:
            load_balancers = [dict(lb) for lb in self.service.load_balancers or []]
            revision = {
                "serviceRevisionArn": arn,
                "serviceArn": self.service.arn,
                "clusterArn": _cluster_arn(self.lab, self.region, self.service.cluster_name),
                "taskDefinition": deployment.task_definition,
                "launchType": deployment.launch_type,
                "platformVersion": deployment.platform_version,
                "capacityProviderStrategy": deployment.capacity_provider_strategy,
                "loadBalancers": load_balancers,
                "networkConfiguration": deployment.network_configuration,
                "createdAt": epoch(deployment.created_at),
                "resolvedConfiguration": resolved_configuration(load_balancers),
            }
            self.revisions[arn] = {key: value for key, value in revision.items() if value is not None}
        return arn

    def _rolled_back_to(self, deployment: model.DeploymentRecord) -> model.DeploymentRecord | None:
        return self.state.find(deployment.rolled_back_to) if deployment.rolled_back_to else None

    def render(self, source: model.DeploymentRecord, deployment: model.DeploymentRecord, brief: bool) -> dict[str, Any]:
        back_to = self._rolled_back_to(deployment)
        status = rolling_status(deployment, back_to)
        ended = status not in (IN_PROGRESS, ROLLBACK_IN_PROGRESS)
        body: dict[str, Any] = {
            "serviceDeploymentArn": self.arn(deployment),
            "serviceArn": self.service.arn,
            "clusterArn": _cluster_arn(self.lab, self.region, self.service.cluster_name),
            "createdAt": epoch(deployment.created_at),
            "startedAt": epoch(deployment.created_at),
            "finishedAt": epoch(deployment.updated_at) if ended else None,
            "status": status,
            "statusReason": deployment.rollout_state_reason,
        }
        if brief:
            body["targetServiceRevisionArn"] = self.revision(deployment)
            return {key: value for key, value in body.items() if value is not None}
        body["updatedAt"] = epoch(deployment.updated_at)
        body["sourceServiceRevisions"] = [{"arn": self.revision(source), "requestedTaskCount": 0 if ended else source.desired_count}]
        body["targetServiceRevision"] = {"arn": self.revision(deployment), "requestedTaskCount": deployment.desired_count}
        body["deploymentConfiguration"] = dict(getattr(self.service, "deployment_configuration", None) or {})
        if back_to is not None:
            body["rollback"] = {
                # the words the scheduler put on the deployment it went back to (services.py)
                "reason": f"ECS deployment circuit breaker: rolling back to deploymentId {back_to.id}.",
                "startedAt": epoch(deployment.updated_at),
                "serviceRevisionArn": self.revision(back_to),
            }
        return {key: value for key, value in body.items() if value is not None}
