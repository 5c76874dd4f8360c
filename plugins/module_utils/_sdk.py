# Copyright: cutover.ecs contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The AWS SDK the collection needs, checked before a module makes any call.

Below the minimum a module would fail halfway through a deployment: botocore drops response fields its model lacks
(a PAUSE hook's ``lifecycleHookDetails`` never arrives, so the deployment waits for the hook's timeout) and refuses
request fields it does not know (a PAUSE hook's ``targetType``), and ``ContinueServiceDeployment`` is not a method
of an older client. amazon.aws's own check only warns, and its ``botocore_at_least`` passes when ``packaging`` is
missing (a module interpreter with boto3 alone), so the comparison here is plain integers.

The documentation fragment ``cutover.ecs.boto3`` states the same minimum; a unit test keeps the two equal.
"""

from __future__ import annotations

import re
import sys
from typing import Optional

# botocore 1.43.10 is the first with ContinueServiceDeployment, lifecycle hooks of targetType PAUSE (with
# timeoutConfiguration) and a service deployment's lifecycleHookDetails; 1.43.9 has none of them. boto3 1.43.10 is
# the first boto3 that requires it.
MINIMUM_BOTOCORE = "1.43.10"
MINIMUM_BOTO3 = "1.43.10"


def version_tuple(text: str) -> tuple[int, ...]:
    """``"1.43.10"`` → ``(1, 43, 10)``; a suffix such as ``"1.44.0rc1"`` or ``".dev0"`` is ignored."""
    numbers = []
    for part in str(text).split(".")[:3]:
        found = re.match(r"\d+", part)
        if not found:
            break
        numbers.append(int(found.group()))
    return tuple(numbers)


def sdk_problem(botocore_version: Optional[str], boto3_version: Optional[str], python: str = "") -> Optional[str]:
    """The message a module fails with when the installed SDK is older than the collection needs, else None.
    A missing library (None) is not this function's to report: AnsibleAWSModule says so itself."""
    old = [
        f"{name} {installed} (needs >= {minimum})"
        for name, installed, minimum in (("botocore", botocore_version, MINIMUM_BOTOCORE), ("boto3", boto3_version, MINIMUM_BOTO3))
        if installed is not None and version_tuple(installed) < version_tuple(minimum)
    ]
    if not old:
        return None
    where = f"{python} has" if python else "The module's Python has"
    return (
        f"cutover.ecs needs botocore >= {MINIMUM_BOTOCORE} and boto3 >= {MINIMUM_BOTO3} (ECS lifecycle hooks and"
        f" ContinueServiceDeployment); {where} {' and '.join(old)}. Upgrade with: pip install"
        f" 'boto3>={MINIMUM_BOTO3}' 'botocore>={MINIMUM_BOTOCORE}'. No AWS call was made."
    )


def installed_sdk() -> tuple[Optional[str], Optional[str], str]:
    """(botocore version, boto3 version, the interpreter), a version None when its library is missing."""
    versions = []
    for name in ("botocore", "boto3"):
        try:
            versions.append(__import__(name).__version__)
        except ImportError:
            versions.append(None)
    return versions[0], versions[1], sys.executable
