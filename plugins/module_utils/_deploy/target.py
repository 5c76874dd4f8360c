# Copyright: cutover.ecs contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What every strategy driver gets: the service as read, the options, the resolved
task definition, and the poller settings."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Optional

from ansible_collections.cutover.ecs.plugins.module_utils._deploy import plan
from ansible_collections.cutover.ecs.plugins.module_utils._module import Context
from ansible_collections.cutover.ecs.plugins.module_utils._poller import Poller


@dataclass
class Target:
    context: Context
    options: Mapping[str, Any]
    service: dict
    strategy: str
    task_definition: Optional[dict]
    started: float
    progress: plan.Progress = field(default_factory=plan.Progress)
    # Lookups worth keeping between polls (target group ARNs by name).
    cache: dict = field(default_factory=dict)

    @property
    def cluster(self) -> str:
        return self.options["cluster"]

    @property
    def service_name(self) -> str:
        return self.service["serviceName"]

    @property
    def task_definition_arn(self) -> Optional[str]:
        return (self.task_definition or {}).get("taskDefinitionArn")

    def option(self, key: str, default: Any = None) -> Any:
        value = self.options.get(key)
        return default if value is None else value

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def poller(self) -> Poller:
        """One poller per wait, bounded by what is left of wait_timeout."""
        left = max(1.0, float(self.option("wait_timeout", 600)) - self.elapsed())
        return Poller(timeout=left, interval=float(self.option("poll_interval", 5)), on_poll=lambda view, _waited: self.progress(view, self.elapsed()))
