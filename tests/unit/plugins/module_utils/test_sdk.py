"""The SDK minimum (issue 30): the comparison, the message, and the places that state the minimum."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from ansible_collections.cutover.ecs.plugins.doc_fragments.boto3 import ModuleDocFragment
from ansible_collections.cutover.ecs.plugins.module_utils._sdk import MINIMUM_BOTO3, MINIMUM_BOTOCORE, sdk_problem, version_tuple

REPO = Path(__file__).resolve().parents[4]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("1.43.10", (1, 43, 10)),
        ("1.43.9", (1, 43, 9)),
        ("1.44.0rc1", (1, 44, 0)),
        ("1.44.8.dev0", (1, 44, 8)),
        ("2.0", (2, 0)),
        ("1.x.3", (1,)),
    ],
)
def test_version_tuple(text, expected):
    assert version_tuple(text) == expected


@pytest.mark.parametrize(
    "botocore, boto3, old",
    [
        ("1.44.8", "1.44.8", []),
        ("1.43.10", "1.43.10", []),
        ("2.0.0", "2.0.0", []),
        ("1.43.100", "1.43.100", []),  # numbers, not text: 100 > 10
        ("1.43.9", "1.43.9", ["botocore 1.43.9", "boto3 1.43.9"]),
        ("1.43.9", "1.44.8", ["botocore 1.43.9"]),  # boto3 alone is not enough
        ("1.44.8", "1.34.0", ["boto3 1.34.0"]),
        ("1.34.0", None, ["botocore 1.34.0"]),  # a missing library is AnsibleAWSModule's to report
        (None, None, []),
    ],
)
def test_sdk_problem_names_each_old_library_and_the_minimum(botocore, boto3, old):
    problem = sdk_problem(botocore, boto3, "/opt/old/bin/python")
    if not old:
        assert problem is None
        return
    assert problem.startswith(f"cutover.ecs needs botocore >= {MINIMUM_BOTOCORE} and boto3 >= {MINIMUM_BOTO3}")
    assert "/opt/old/bin/python has " in problem and "No AWS call was made." in problem
    for name in ("botocore", "boto3"):
        assert (f"{name} {botocore if name == 'botocore' else boto3} (needs" in problem) == any(o.startswith(name + " ") for o in old)


def test_without_an_interpreter_the_message_still_reads():
    assert "The module's Python has botocore 1.0.0 (needs >= " in sdk_problem("1.0.0", "9.9.9")


def test_the_doc_fragment_states_the_minimum():
    docs = yaml.safe_load(ModuleDocFragment.DOCUMENTATION)
    assert docs["requirements"] == ["python >= 3.10", f"boto3 >= {MINIMUM_BOTO3}", f"botocore >= {MINIMUM_BOTOCORE}"]
    assert f"botocore {MINIMUM_BOTOCORE})" in " ".join(docs["notes"])


def test_every_module_uses_the_collections_fragment_not_amazon_aws_boto3():
    modules = sorted((REPO / "plugins" / "modules").glob("*.py"))
    assert modules
    for path in modules:
        text = path.read_text()
        assert "  - cutover.ecs.boto3\n" in text and "amazon.aws.boto3" not in text, path.name


def test_the_requirements_state_the_minimum_and_the_pins_meet_it():
    ranges = dict(re.findall(r"^(boto3|botocore)>=(\S+)$", (REPO / "requirements.txt").read_text(), re.M))
    assert ranges == {"boto3": MINIMUM_BOTO3, "botocore": MINIMUM_BOTOCORE}
    pins = dict(re.findall(r"^(boto3|botocore)==(\S+)$", (REPO / "requirements-dev.txt").read_text(), re.M))
    assert set(pins) == {"boto3", "botocore"}
    assert version_tuple(pins["botocore"]) >= version_tuple(MINIMUM_BOTOCORE) and version_tuple(pins["boto3"]) >= version_tuple(MINIMUM_BOTO3)
    readme = (REPO / "README.md").read_text()
    assert f"botocore >= {MINIMUM_BOTOCORE}, boto3 >= {MINIMUM_BOTO3}" in readme and f"'botocore>={MINIMUM_BOTOCORE}'" in readme
