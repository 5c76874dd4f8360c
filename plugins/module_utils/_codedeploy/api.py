# Copyright: cutover.ecs contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""CodeDeploy API: one function per boto3 call, retried, errors mapped by ``aws_call``.

Nothing here decides anything; callers in ``ensure`` decide, ``plan`` compares.
The delete calls treat "already gone" as done: AWS documents no does-not-exist
error for them, and an earlier run may have removed the resource.
"""

from __future__ import annotations

from typing import Any, Optional

from ansible_collections.cutover.ecs.plugins.module_utils._aws import aws_call, paginate

# --- applications -------------------------------------------------------------


@aws_call("get the CodeDeploy application", missing=("ApplicationDoesNotExistException",))
def get_application(client: Any, name: str) -> Optional[dict]:
    return client.get_application(applicationName=name)["application"]


@aws_call("create the CodeDeploy application")
def create_application(client: Any, **params: Any) -> str:
    return client.create_application(**params)["applicationId"]


@aws_call("delete the CodeDeploy application", missing=("ApplicationDoesNotExistException",))
def delete_application(client: Any, name: str) -> None:
    client.delete_application(applicationName=name)


# --- deployment groups ----------------------------------------------------------


@aws_call(
    "get the CodeDeploy deployment group",
    # A group of a missing application is missing too (check mode of a new stack).
    missing=("DeploymentGroupDoesNotExistException", "ApplicationDoesNotExistException"),
)
def get_deployment_group(client: Any, application: str, name: str) -> Optional[dict]:
    return client.get_deployment_group(applicationName=application, deploymentGroupName=name)["deploymentGroupInfo"]


@aws_call("create the CodeDeploy deployment group")
def create_deployment_group(client: Any, **params: Any) -> str:
    return client.create_deployment_group(**params)["deploymentGroupId"]


@aws_call("update the CodeDeploy deployment group")
def update_deployment_group(client: Any, **params: Any) -> None:
    client.update_deployment_group(**params)


@aws_call(
    "delete the CodeDeploy deployment group",
    missing=("DeploymentGroupDoesNotExistException", "ApplicationDoesNotExistException"),
)
def delete_deployment_group(client: Any, application: str, name: str) -> None:
    client.delete_deployment_group(applicationName=application, deploymentGroupName=name)


# --- deployment configs ---------------------------------------------------------


@aws_call("get the CodeDeploy deployment config", missing=("DeploymentConfigDoesNotExistException",))
def get_deployment_config(client: Any, name: str) -> Optional[dict]:
    return client.get_deployment_config(deploymentConfigName=name)["deploymentConfigInfo"]


@aws_call("create the CodeDeploy deployment config")
def create_deployment_config(client: Any, **params: Any) -> str:
    return client.create_deployment_config(**params)["deploymentConfigId"]


@aws_call("delete the CodeDeploy deployment config", missing=("DeploymentConfigDoesNotExistException",))
def delete_deployment_config(client: Any, name: str) -> None:
    client.delete_deployment_config(deploymentConfigName=name)


# --- tags (applications and deployment groups) --------------------------------------


@aws_call("list the tags of the CodeDeploy resource")
def list_tags(client: Any, arn: str) -> list:
    return client.list_tags_for_resource(ResourceArn=arn).get("Tags", [])


@aws_call("tag the CodeDeploy resource")
def tag_resource(client: Any, arn: str, tags: dict) -> None:
    client.tag_resource(ResourceArn=arn, Tags=[{"Key": key, "Value": value} for key, value in tags.items()])


@aws_call("untag the CodeDeploy resource")
def untag_resource(client: Any, arn: str, keys: list) -> None:
    client.untag_resource(ResourceArn=arn, TagKeys=list(keys))


# --- what CodeDeploy needs resolved ------------------------------------------------


@aws_call("find out the AWS account (sts:GetCallerIdentity)")
def caller_arn(client: Any) -> str:
    return client.get_caller_identity()["Arn"]


@aws_call("look up the IAM role of the deployment group")
def get_role_arn(client: Any, name: str) -> str:
    return client.get_role(RoleName=name)["Role"]["Arn"]


# --- deployments (cutover.ecs.deploy) -------------------------------------------------


@aws_call("list the CodeDeploy applications")
def list_applications(client: Any) -> list:
    return paginate(client, "list_applications", "applications")


@aws_call("list the deployment groups of the CodeDeploy application", missing=("ApplicationDoesNotExistException",), missing_value=[])
def list_deployment_groups(client: Any, application: str) -> list:
    return paginate(client, "list_deployment_groups", "deploymentGroups", applicationName=application)


@aws_call("list the deployments of the CodeDeploy deployment group")
def list_deployments(client: Any, application: str, group: str, statuses: Optional[list] = None) -> list:
    """Newest first."""
    params: dict = {"applicationName": application, "deploymentGroupName": group}
    if statuses:
        params["includeOnlyStatuses"] = list(statuses)
    return paginate(client, "list_deployments", "deployments", **params)


@aws_call("get the CodeDeploy deployment", missing=("DeploymentDoesNotExistException",))
def get_deployment(client: Any, deployment_id: str) -> Optional[dict]:
    return client.get_deployment(deploymentId=deployment_id)["deploymentInfo"]


@aws_call("get the CodeDeploy deployment's ECS target", missing=("DeploymentNotStartedException",))
def get_deployment_target(client: Any, deployment_id: str, target_id: str) -> Optional[dict]:
    """None while the deployment has not started."""
    return client.get_deployment_target(deploymentId=deployment_id, targetId=target_id)["deploymentTarget"]


@aws_call("create the CodeDeploy deployment")
def create_deployment(client: Any, **params: Any) -> str:
    return client.create_deployment(**params)["deploymentId"]


@aws_call("continue the CodeDeploy deployment")
def continue_deployment(client: Any, deployment_id: str, wait_type: str = "READY_WAIT") -> None:
    client.continue_deployment(deploymentId=deployment_id, deploymentWaitType=wait_type)


@aws_call("stop the CodeDeploy deployment")
def stop_deployment(client: Any, deployment_id: str, rollback: bool) -> dict:
    return client.stop_deployment(deploymentId=deployment_id, autoRollbackEnabled=rollback)
