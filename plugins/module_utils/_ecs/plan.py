# Copyright: cutover.ecs contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""ECS plans: pure functions that normalise desired and current state and
return what must change. No I/O here; every function is unit-tested.

The ECS plan is split in three modules of this package:
  plan.py                  tags, clusters, and the snake_case form of results
  task_definition_plan.py  task definitions (whole-definition comparison)
  service_plan.py          services (managed fields, controller rules, waits)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Optional

from ansible_collections.cutover.ecs.plugins.module_utils._compare import diff_fields
from ansible_collections.cutover.ecs.plugins.module_utils._tags import plan_tags, tags_from_aws  # noqa: F401 (callers use plan.plan_tags)

# --- tags ---------------------------------------------------------------------


# --- clusters -----------------------------------------------------------------

CLUSTER_FIELDS = {
    "settings": ("strict", "set(dict)"),
    "capacityProviders": ("strict", "set"),
    "defaultCapacityProviderStrategy": ("strict", "set(dict)"),
    "tags": ("strict", "dict"),
}


def desired_cluster(options: Mapping[str, Any], current: Optional[Mapping[str, Any]] = None) -> dict:
    """The cluster the options ask for, in the shape DescribeClusters returns.

    With ``purge_capacity_providers`` false the capacity providers are the live ones (``current``) plus the given
    ones, so a cluster other services share keeps its own."""
    desired: dict = {"clusterName": options["name"]}
    if options.get("container_insights") is not None:
        desired["settings"] = [{"name": "containerInsights", "value": options["container_insights"]}]
    if options.get("capacity_providers") is not None:
        kept = [] if options.get("purge_capacity_providers", True) or not current else list(current.get("capacityProviders") or [])
        desired["capacityProviders"] = kept + [name for name in options["capacity_providers"] if name not in kept]
    if options.get("default_capacity_provider_strategy") is not None:
        desired["defaultCapacityProviderStrategy"] = [
            {"capacityProvider": item["capacity_provider"], "weight": item.get("weight") or 0, "base": item.get("base") or 0}
            for item in options["default_capacity_provider_strategy"]
        ]
    if options.get("tags") is not None:
        desired["tags"] = dict(options["tags"])
    return desired


def current_cluster(cluster: Optional[Mapping[str, Any]]) -> Optional[dict]:
    """DescribeClusters output reduced to the fields we manage, tags as a dict."""
    if not cluster:
        return None
    return {
        "clusterName": cluster["clusterName"],
        "clusterArn": cluster.get("clusterArn"),
        "status": cluster.get("status"),
        "settings": [setting for setting in cluster.get("settings", []) if setting.get("name") == "containerInsights"],
        "capacityProviders": list(cluster.get("capacityProviders", [])),
        "defaultCapacityProviderStrategy": [
            {"capacityProvider": item["capacityProvider"], "weight": item.get("weight", 0), "base": item.get("base", 0)}
            for item in cluster.get("defaultCapacityProviderStrategy", [])
        ],
        "tags": tags_from_aws(cluster.get("tags")),
    }


def plan_cluster(desired: Mapping[str, Any], current: Optional[Mapping[str, Any]], purge_tags: bool = True) -> list[str]:
    """Fields of the cluster that must change (all of them when it is missing)."""
    if current is None:
        return sorted(key for key in desired if key != "clusterName")
    changed = diff_fields({key: value for key, value in desired.items() if key not in ("clusterName", "tags")}, current, CLUSTER_FIELDS)
    to_set, to_remove = plan_tags(desired.get("tags"), current.get("tags", {}), purge_tags)
    if to_set or to_remove:
        changed.append("tags")
    return sorted(changed)
