# Copyright: cutover.ecs contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tags, the same way for every service: pure planning of what to set and remove.

The comparison is amazon.aws's (``compare_aws_tags``): values compare as text (``3`` and ``"3"`` are the
same tag), and keys starting with ``aws:`` are AWS's own: never removed by a purge, never predicted gone.
Keys starting with ``cutover.ecs:`` are this collection's markers (the rollback role's on a service) and are
kept the same way.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Optional

from ansible.module_utils.common.text.converters import to_text

from ansible_collections.amazon.aws.plugins.module_utils.tagging import compare_aws_tags

KEPT_PREFIXES = ("aws:", "cutover.ecs:")


def kept(key: str) -> bool:
    """A key no purge removes: AWS's own, or this collection's marker."""
    return key.startswith(KEPT_PREFIXES)


def tags_from_aws(tags: Optional[Iterable[Mapping[str, str]]]) -> dict:
    """AWS's tag list as a plain dict: ECS writes ``{key, value}``, ELBv2 and CodeDeploy ``{Key, Value}``."""
    result = {}
    for tag in tags or []:
        key = tag["key"] if "key" in tag else tag["Key"]
        result[key] = tag.get("value", tag.get("Value", ""))
    return result


def as_text(tags: Mapping) -> dict:
    """Tag values as AWS stores them: text."""
    return {key: to_text(value) for key, value in tags.items()}


def plan_tags(desired: Optional[Mapping], current: Mapping, purge: bool) -> tuple[dict, list]:
    """(tags to set, keys to remove). ``desired=None`` leaves tags alone."""
    if desired is None:
        return {}, []
    to_set, to_remove = compare_aws_tags(dict(current), dict(desired), purge_tags=purge)
    return as_text(to_set), sorted(key for key in to_remove if not kept(key))


def predict_tags(desired: Optional[Mapping], current: Optional[Mapping], purge: bool) -> dict:
    """The tags after a run: ``desired=None`` leaves them alone; without purge they merge; a purge keeps
    ``aws:`` and ``cutover.ecs:`` keys."""
    current = dict(current or {})
    if desired is None:
        return current
    if purge:
        return {**{key: value for key, value in current.items() if kept(key)}, **as_text(desired)}
    return {**current, **as_text(desired)}
