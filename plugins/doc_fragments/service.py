# Copyright: cutover.ecs contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    # The service a cutover module acts on or reads (deploy, deployment_info, pipeline_artifacts).
    DOCUMENTATION = r"""
options:
  cluster:
    description: Name or ARN of the cluster.
    type: str
    default: default
  service:
    description: Name of the service.
    type: str
    required: true
"""
