# Copyright: cutover.ecs contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One comparison helper for every option, in the spirit of community.docker.

``compare_generic(desired, current, method, datatype)`` answers "does the
current value already satisfy the desired one?". ``diff_fields`` applies it to
a table of fields and returns the names that differ, so every plan module
compares the same way and the table itself documents what is managed.

Methods:
  strict            the values must be equal (for sets: the same members)
  ignore            never a difference
  allow_more_present  current may hold more than desired (list, set, dict)

Datatypes: value, list (ordered), set, set(dict), dict.
A desired value of ``None`` means "not managed" and is never a difference.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

METHODS = ("strict", "ignore", "allow_more_present")
DATATYPES = ("value", "list", "set", "set(dict)", "dict")


def _freeze(value: Any) -> Any:
    """A hashable, order-independent form of a dict (for set(dict))."""
    return json.dumps(value, sort_keys=True, default=str)


def _dict_contains(current: Mapping, desired: Mapping) -> bool:
    return all(key in current and current[key] == value for key, value in desired.items())


def compare_generic(desired: Any, current: Any, method: str = "strict", datatype: str = "value") -> bool:
    """True when ``current`` satisfies ``desired`` under ``method`` and ``datatype``."""
    if method not in METHODS:
        raise ValueError(f"unknown comparison method {method!r}")
    if datatype not in DATATYPES:
        raise ValueError(f"unknown comparison datatype {datatype!r}")
    if method == "ignore" or desired is None:
        return True
    if current is None:
        # An empty desired collection matches an absent one.
        return datatype != "value" and not desired

    if datatype == "value":
        return desired == current
    if datatype == "list":
        if method == "allow_more_present":
            return all(item in current for item in desired)
        return list(desired) == list(current)
    if datatype == "set":
        wanted, have = set(desired), set(current)
    elif datatype == "set(dict)":
        wanted, have = {_freeze(item) for item in desired}, {_freeze(item) for item in current}
    else:  # dict
        if method == "allow_more_present":
            return _dict_contains(current, desired)
        return dict(desired) == dict(current)
    if method == "allow_more_present":
        return wanted <= have
    return wanted == have


def diff_fields(desired: Mapping, current: Mapping, spec: Mapping[str, tuple[str, str]], default: tuple[str, str] = ("strict", "value")) -> list[str]:
    """Names of the fields of ``desired`` that ``current`` does not satisfy.

    ``spec`` maps a field name to ``(method, datatype)``; fields not in
    ``spec`` use ``default``. Only fields present in ``desired`` are compared.
    """
    changed = []
    for key in desired:
        method, datatype = spec.get(key, default)
        if not compare_generic(desired[key], current.get(key), method, datatype):
            changed.append(key)
    return sorted(changed)


def drop_none(value: Any) -> Any:
    """Remove ``None`` values from nested dicts and lists (unmanaged options)."""
    if isinstance(value, dict):
        return {key: drop_none(item) for key, item in value.items() if item is not None}
    if isinstance(value, list):
        return [drop_none(item) for item in value if item is not None]
    return value


def merge(current: Mapping | None, desired: Mapping) -> dict:
    """The predicted state after applying ``desired`` onto ``current``."""
    result = dict(current or {})
    result.update({key: value for key, value in desired.items() if value is not None})
    return result


class DifferenceTracker:
    """Collects before/after pairs of the fields that change, for diff mode."""

    def __init__(self) -> None:
        self._differences: list[tuple[str, Any, Any]] = []

    def add(self, name: str, before: Any, after: Any) -> None:
        self._differences.append((name, before, after))

    def extend(self, names: Iterable[str], before: Mapping | None, after: Mapping | None) -> None:
        for name in names:
            self.add(name, (before or {}).get(name), (after or {}).get(name))

    @property
    def empty(self) -> bool:
        return not self._differences

    @property
    def changed_fields(self) -> list[str]:
        return [name for name, _before, _after in self._differences]

    def get_before_after(self) -> tuple[dict, dict]:
        before = {name: value for name, value, _after in self._differences}
        after = {name: value for name, _before, value in self._differences}
        return before, after
