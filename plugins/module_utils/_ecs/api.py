# -*- coding: utf-8 -*-
# Copyright: cutover.ecs contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""ECS API: one function per boto3 call, retried, errors mapped by ``aws_call``.

Nothing here decides anything; callers in ``ensure`` decide, ``plan`` compares.
"""

from __future__ import annotations

from typing import Any, Optional

from ansible_collections.cutover.ecs.plugins.module_utils._aws import aws_call

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
