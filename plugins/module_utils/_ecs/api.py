# Copyright: cutover.ecs contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""ECS API: one function per boto3 call, retried, errors mapped by ``aws_call``.

Nothing here decides anything; callers in ``ensure`` decide, ``plan`` compares.
"""

from __future__ import annotations

from typing import Any, Optional

from ansible_collections.cutover.ecs.plugins.module_utils._aws import aws_call, paginate

# --- clusters ---------------------------------------------------------------


@aws_call("describe the ECS cluster", missing=("ClusterNotFoundException",))
def describe_cluster(client: Any, name: str) -> Optional[dict]:
    response = client.describe_clusters(clusters=[name], include=["SETTINGS", "TAGS", "CONFIGURATIONS"])
    for cluster in response.get("clusters", []):
        if cluster.get("status") != "INACTIVE":
            return cluster
    return None


@aws_call("create the ECS cluster")
def create_cluster(client: Any, **params: Any) -> dict:
    return client.create_cluster(**params)["cluster"]


@aws_call("update the ECS cluster")
def update_cluster(client: Any, **params: Any) -> dict:
    return client.update_cluster(**params)["cluster"]


@aws_call("set the ECS cluster's capacity providers")
def put_cluster_capacity_providers(client: Any, **params: Any) -> dict:
    return client.put_cluster_capacity_providers(**params)["cluster"]


@aws_call("delete the ECS cluster", missing=("ClusterNotFoundException",))
def delete_cluster(client: Any, name: str) -> Optional[dict]:
    return client.delete_cluster(cluster=name)["cluster"]


# --- tags (every ECS resource) ------------------------------------------------


@aws_call("tag the ECS resource")
def tag_resource(client: Any, arn: str, tags: dict) -> None:
    client.tag_resource(resourceArn=arn, tags=[{"key": key, "value": value} for key, value in tags.items()])


@aws_call("untag the ECS resource")
def untag_resource(client: Any, arn: str, keys: list) -> None:
    client.untag_resource(resourceArn=arn, tagKeys=list(keys))


# --- task definitions -----------------------------------------------------------


@aws_call("list the ACTIVE task definitions of the family")
def list_active_task_definitions(client: Any, family: str) -> list:
    # familyPrefix is a prefix: callers keep the ARNs of exactly their family.
    return paginate(client, "list_task_definitions", "taskDefinitionArns", familyPrefix=family, status="ACTIVE")


@aws_call("describe the task definition", missing=("ClientException",))
def describe_task_definition(client: Any, reference: str) -> Optional[dict]:
    """``{"taskDefinition": ..., "tags": [...]}``; None when there is no such revision."""
    response = client.describe_task_definition(taskDefinition=reference, include=["TAGS"])
    return {"taskDefinition": response["taskDefinition"], "tags": response.get("tags", [])}


@aws_call("register the task definition")
def register_task_definition(client: Any, **params: Any) -> dict:
    response = client.register_task_definition(**params)
    return {"taskDefinition": response["taskDefinition"], "tags": response.get("tags", [])}


@aws_call("deregister the task definition")
def deregister_task_definition(client: Any, arn: str) -> dict:
    return client.deregister_task_definition(taskDefinition=arn)["taskDefinition"]


# --- services -------------------------------------------------------------------


@aws_call("describe the ECS service", missing=("ClusterNotFoundException",))
def describe_service(client: Any, cluster: str, name: str) -> Optional[dict]:
    """The service with its tags; None when it or its cluster is missing, or it is INACTIVE."""
    response = client.describe_services(cluster=cluster, services=[name], include=["TAGS"])
    for service in response.get("services", []):
        if service.get("status") != "INACTIVE":
            return service
    return None


@aws_call("create the ECS service")
def create_service(client: Any, **params: Any) -> dict:
    return client.create_service(**params)["service"]


@aws_call("update the ECS service")
def update_service(client: Any, **params: Any) -> dict:
    return client.update_service(**params)["service"]


@aws_call("delete the ECS service", missing=("ServiceNotFoundException",))
def delete_service(client: Any, cluster: str, name: str, force: bool) -> Optional[dict]:
    return client.delete_service(cluster=cluster, service=name, force=force)["service"]


# --- tasks ------------------------------------------------------------------------


@aws_call("list the stopped tasks of the ECS service")
def stopped_task_arns(client: Any, cluster: str, service: str) -> list:
    """Every STOPPED task of the service ECS still lists (about an hour's), all pages: ARNs only."""
    return paginate(client, "list_tasks", "taskArns", cluster=cluster, serviceName=service, desiredStatus="STOPPED")


@aws_call("describe the tasks")
def describe_tasks(client: Any, cluster: str, arns: list) -> list:
    """DescribeTasks, 100 ARNs a call."""
    found: list = []
    for start in range(0, len(arns), 100):
        found.extend(client.describe_tasks(cluster=cluster, tasks=arns[start : start + 100]).get("tasks", []))
    return found


# --- service deployments (ECS-native BLUE_GREEN, LINEAR, CANARY) ------------------


@aws_call("list the service deployments of the ECS service")
def list_service_deployments(client: Any, cluster: str, service: str, statuses: Optional[list] = None) -> list:
    """ServiceDeploymentBrief of each service deployment (all pages), optionally of the given statuses."""
    params: dict = {"cluster": cluster, "service": service}
    if statuses:
        params["status"] = list(statuses)
    found: list = []
    while True:
        response = client.list_service_deployments(**params)
        found.extend(response.get("serviceDeployments", []))
        if not response.get("nextToken"):
            return found
        params["nextToken"] = response["nextToken"]


@aws_call("describe the service deployment", missing=("ServiceDeploymentNotFoundException",))
def describe_service_deployment(client: Any, arn: str) -> Optional[dict]:
    found = client.describe_service_deployments(serviceDeploymentArns=[arn]).get("serviceDeployments", [])
    return found[0] if found else None


@aws_call("describe the service deployments")
def describe_service_deployments(client: Any, arns: list) -> list:
    """At most 20 ARNs; the ones not found are left out."""
    return client.describe_service_deployments(serviceDeploymentArns=list(arns)).get("serviceDeployments", [])


@aws_call("describe the service revisions")
def describe_service_revisions(client: Any, arns: list) -> list:
    return client.describe_service_revisions(serviceRevisionArns=list(arns)).get("serviceRevisions", [])


@aws_call("continue the service deployment")
def continue_service_deployment(client: Any, **params: Any) -> str:
    return client.continue_service_deployment(**params)["serviceDeploymentArn"]


@aws_call("stop the service deployment")
def stop_service_deployment(client: Any, **params: Any) -> str:
    return client.stop_service_deployment(**params)["serviceDeploymentArn"]


# --- identity (to turn role names into ARNs) ------------------------------------


@aws_call("find the account id with sts:GetCallerIdentity")
def caller_identity(sts_client: Any) -> dict:
    return sts_client.get_caller_identity()


# --- request validation (no call is made) ---------------------------------------


def request_problems(client: Any, operation: str, params: dict) -> Optional[str]:
    """botocore's own check of a request against the service model, run before
    any mutating call so malformed input (an unknown container key, a string
    where a number belongs) fails early even in check mode."""
    from botocore.validate import ParamValidator

    shape = client.meta.service_model.operation_model(operation).input_shape
    report = ParamValidator().validate(params, shape)
    return report.generate_report() if report.has_errors() else None
