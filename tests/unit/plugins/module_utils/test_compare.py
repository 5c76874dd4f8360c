from __future__ import annotations

import pytest

from ansible_collections.cutover.ecs.plugins.module_utils._compare import DifferenceTracker, compare_generic, diff_fields, drop_none, merge


@pytest.mark.parametrize(
    "desired, current, method, datatype, equal",
    [
        (1, 1, "strict", "value", True),
        (1, 2, "strict", "value", False),
        (None, 2, "strict", "value", True),  # unmanaged
        (1, None, "strict", "value", False),
        (1, 2, "ignore", "value", True),
        ([1, 2], [2, 1], "strict", "list", False),  # lists keep order
        ([1, 2], [1, 2], "strict", "list", True),
        ([1], [1, 2], "allow_more_present", "list", True),
        ([1, 3], [1, 2], "allow_more_present", "list", False),
        ([1, 2], [2, 1], "strict", "set", True),
        ([1, 2], [2, 1, 3], "strict", "set", False),
        ([1, 2], [2, 1, 3], "allow_more_present", "set", True),
        # community.aws treats two same-length lists as equal; we do not.
        ([{"a": 1}, {"b": 2}], [{"a": 1}, {"b": 3}], "strict", "set(dict)", False),
        ([{"a": 1}, {"b": 2}], [{"b": 2}, {"a": 1}], "strict", "set(dict)", True),
        ({"a": 1}, {"a": 1, "b": 2}, "strict", "dict", False),
        ({"a": 1}, {"a": 1, "b": 2}, "allow_more_present", "dict", True),
        ({"a": 1}, {"a": 2, "b": 2}, "allow_more_present", "dict", False),
        ([], None, "strict", "list", True),  # empty matches absent
        ([1], None, "strict", "set", False),
    ],
)
def test_compare_generic(desired, current, method, datatype, equal):
    assert compare_generic(desired, current, method, datatype) is equal


def test_compare_generic_rejects_unknown_method_and_datatype():
    with pytest.raises(ValueError):
        compare_generic(1, 1, "loose", "value")
    with pytest.raises(ValueError):
        compare_generic(1, 1, "strict", "tuple")


def test_diff_fields_uses_spec_and_default():
    spec = {"ports": ("strict", "set")}
    desired = {"ports": [80, 443], "name": "web", "count": 2}
    current = {"ports": [443, 80], "name": "web", "count": 3}
    assert diff_fields(desired, current, spec) == ["count"]


def test_drop_none_and_merge():
    assert drop_none({"a": None, "b": {"c": None, "d": 1}, "e": [None, 2]}) == {"b": {"d": 1}, "e": [2]}
    assert merge({"a": 1, "b": 2}, {"b": 3, "c": None}) == {"a": 1, "b": 3}
    assert merge(None, {"a": 1}) == {"a": 1}


def test_difference_tracker():
    tracker = DifferenceTracker()
    assert tracker.empty
    tracker.extend(["x"], {"x": 1}, {"x": 2})
    assert tracker.changed_fields == ["x"]
    assert tracker.get_before_after() == ({"x": 1}, {"x": 2})
