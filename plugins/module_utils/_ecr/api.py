# Copyright: cutover.ecs contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""ECR API: one function per boto3 call, retried, errors mapped by ``aws_call``.

Nothing here decides anything; ``_image.ensure`` decides, ``plan`` computes.
"""

from __future__ import annotations

from typing import Any, Optional

from ansible_collections.cutover.ecs.plugins.module_utils._aws import aws_call


@aws_call("describe the ECR repository", missing=("RepositoryNotFoundException",))
def describe_repository(client: Any, name: str) -> Optional[dict]:
    repositories = client.describe_repositories(repositoryNames=[name]).get("repositories", [])
    return repositories[0] if repositories else None


@aws_call("create the ECR repository")
def create_repository(client: Any, **params: Any) -> dict:
    return client.create_repository(**params)["repository"]


@aws_call("describe the image in the ECR repository", missing=("ImageNotFoundException", "RepositoryNotFoundException"))
def describe_image(client: Any, repository: str, tag: str) -> Optional[dict]:
    images = client.describe_images(repositoryName=repository, imageIds=[{"imageTag": tag}]).get("imageDetails", [])
    return images[0] if images else None


@aws_call("get an ECR authorization token")
def get_authorization(client: Any) -> dict:
    """The first ``authorizationData`` entry: token and proxyEndpoint of the caller's registry."""
    data = client.get_authorization_token().get("authorizationData", [])
    if not data:
        return {}
    return data[0]


@aws_call("list the ECR repository's tags")
def list_tags(client: Any, arn: str) -> list:
    return client.list_tags_for_resource(resourceArn=arn).get("tags", [])


@aws_call("tag the ECR repository")
def tag_repository(client: Any, arn: str, tags: dict) -> None:
    client.tag_resource(resourceArn=arn, tags=[{"Key": key, "Value": value} for key, value in tags.items()])


@aws_call("untag the ECR repository")
def untag_repository(client: Any, arn: str, keys: list) -> None:
    client.untag_resource(resourceArn=arn, tagKeys=list(keys))
