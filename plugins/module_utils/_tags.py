# Copyright: cutover.ecs contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tags, the same way for every service: pure planning of what to set and remove."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Optional


def tags_from_aws(tags: Optional[Iterable[Mapping[str, str]]]) -> dict:
    """AWS's tag list as a plain dict: ECS writes ``{key, value}``, ELBv2 and CodeDeploy ``{Key, Value}``."""
    result = {}
    for tag in tags or []:
        key = tag["key"] if "key" in tag else tag["Key"]
        result[key] = tag.get("value", tag.get("Value", ""))
    return result


def plan_tags(desired: Optional[Mapping], current: Mapping, purge: bool) -> tuple[dict, list]:
    """(tags to set, keys to remove). ``desired=None`` leaves tags alone."""
    if desired is None:
        return {}, []
    to_set = {key: value for key, value in desired.items() if current.get(key) != value}
    to_remove = sorted(key for key in current if key not in desired) if purge else []
    return to_set, to_remove


def predict_tags(desired: Optional[Mapping], current: Optional[Mapping], purge: bool) -> dict:
    """The tags after a run: ``desired=None`` leaves them alone; without purge they merge."""
    current = dict(current or {})
    if desired is None:
        return current
    return dict(desired) if purge else {**current, **desired}
