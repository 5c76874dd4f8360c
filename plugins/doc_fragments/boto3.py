# Copyright: cutover.ecs contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The AWS SDK every module needs, in place of amazon.aws.boto3, whose minimum is older than the ECS deployment APIs
these modules call. The minimum is the one the modules check at start (module_utils/_sdk.py); a unit test keeps the
two equal (ansible-test reads DOCUMENTATION as a plain string, so it cannot be formatted from there)."""

from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r"""
options: {}
requirements:
  - python >= 3.10
  - boto3 >= 1.43.10
  - botocore >= 1.43.10
notes:
  - The module checks the installed botocore and boto3 at start and fails, before any AWS call, when either is older
    than the minimum (ECS lifecycle hooks and C(ContinueServiceDeployment) arrived in botocore 1.43.10).
"""
