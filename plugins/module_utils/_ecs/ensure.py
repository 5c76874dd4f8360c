# -*- coding: utf-8 -*-
# Copyright: cutover.ecs contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""ECS runners: read current state, ask ``plan`` what differs, act through ``api``.

Each ``ensure_*`` takes a :class:`Context` and the module's options as plain
data and returns the module result. In check mode they return the predicted
resource and make no mutating call.
"""

from __future__ import annotations

from typing import Any, Mapping

from ansible_collections.cutover.ecs.plugins.module_utils._compare import merge
from ansible_collections.cutover.ecs.plugins.module_utils._ecs import api, plan
from ansible_collections.cutover.ecs.plugins.module_utils._module import Change, Context, make_result
from ansible_collections.cutover.ecs.plugins.module_utils._poller import Poller


def _predict_tags(desired: Mapping | None, current: Mapping, purge: bool) -> dict:
    if desired is None:
        return dict(current)
    return dict(desired) if purge else {**current, **desired}


def ensure_cluster(context: Context, options: Mapping[str, Any]) -> dict:
    client = context.client("ecs")
    name = options["name"]
    current = plan.current_cluster(api.describe_cluster(client, name))

    if options["state"] == "absent":
        if current is None:
            return make_result("cluster", Change("none"), None, context.diff_mode)
        change = Change("delete", before=current, after=None)
        if not context.check_mode:
            api.delete_cluster(client, name)
        return make_result("cluster", change, None, context.diff_mode)

    desired = plan.desired_cluster(options)
    fields = plan.plan_cluster(desired, current, options["purge_tags"])
    after = merge(current, desired)
    after["tags"] = _predict_tags(desired.get("tags"), (current or {}).get("tags", {}), options["purge_tags"])
    after.setdefault("status", "ACTIVE")
    if current is None:
        change = Change("create", before=None, after=after, fields=fields)
    elif fields:
        change = Change("update", before=current, after=after, fields=fields)
    else:
        change = Change("none", before=current, after=current)

    if context.check_mode or not change.changed:
        return make_result("cluster", change, after, context.diff_mode)

    if change.action == "create":
        _create_cluster(client, desired)
    else:
        _update_cluster(client, name, desired, current, fields, options["purge_tags"])

    if options["wait"]:
        cluster = Poller(options["wait_timeout"], interval=2).wait(
            lambda: api.describe_cluster(client, name),
            lambda state: bool(state) and state.get("status") == "ACTIVE",
            f"ECS cluster {name} to become ACTIVE",
        )
    else:
        cluster = api.describe_cluster(client, name)
    return make_result("cluster", change, plan.current_cluster(cluster), context.diff_mode)


def _create_cluster(client: Any, desired: Mapping[str, Any]) -> None:
    params: dict = {"clusterName": desired["clusterName"]}
    for key in ("settings", "capacityProviders", "defaultCapacityProviderStrategy"):
        if desired.get(key) is not None:
            params[key] = desired[key]
    if desired.get("tags"):
        params["tags"] = [{"key": key, "value": value} for key, value in desired["tags"].items()]
    api.create_cluster(client, **params)


def _update_cluster(client: Any, name: str, desired: Mapping, current: Mapping, fields: list, purge_tags: bool) -> None:
    if "settings" in fields:
        api.update_cluster(client, cluster=name, settings=desired["settings"])
    if "capacityProviders" in fields or "defaultCapacityProviderStrategy" in fields:
        api.put_cluster_capacity_providers(
            client,
            cluster=name,
            capacityProviders=desired.get("capacityProviders", current.get("capacityProviders", [])),
            defaultCapacityProviderStrategy=desired.get("defaultCapacityProviderStrategy", current.get("defaultCapacityProviderStrategy", [])),
        )
    if "tags" in fields:
        to_set, to_remove = plan.plan_tags(desired.get("tags"), current.get("tags", {}), purge_tags)
        if to_set:
            api.tag_resource(client, current["clusterArn"], to_set)
        if to_remove:
            api.untag_resource(client, current["clusterArn"], to_remove)
