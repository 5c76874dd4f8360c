# Copyright: cutover.ecs contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""How long ``cutover.ecs.deploy`` waits (``wait_until``), and what it says when it stops waiting.

- ``stable`` (the default): until the deployment ends: CodeDeploy's termination wait and ECS's bake time and
  clean-up included, so ``succeeded`` means blue is gone and nothing can roll the release back any more.
- ``deployed``: until all production traffic is on green (CodeDeploy: AllowTraffic succeeded; ECS-native: past
  PRODUCTION_TRAFFIC_SHIFT). The deployment goes on without the module (the bake, an alarm may still roll it back).
- a stage of the strategy: a CodeDeploy lifecycle event (until it succeeded) or an ECS lifecycle stage (until the
  deployment is at it or past it).

A rolling update has no stage; ``deployed`` waits as ``stable`` does. Pure functions over the drivers' views.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Optional

from ansible_collections.cutover.ecs.plugins.module_utils._deploy import native_plan, plan

STABLE = "stable"
DEPLOYED = "deployed"
# The status of a run that stopped waiting once production was all on green.
DEPLOYED_STATUS = "deployed"

CODEDEPLOY_EVENTS = (
    "BeforeInstall",
    "Install",
    "AfterInstall",
    "AllowTestTraffic",
    "AfterAllowTestTraffic",
    "BeforeAllowTraffic",
    "AllowTraffic",
    "AfterAllowTraffic",
)
NATIVE_STAGES = (
    "RECONCILE_SERVICE",
    "PRE_SCALE_UP",
    "SCALE_UP",
    "POST_SCALE_UP",
    "TEST_TRAFFIC_SHIFT",
    "POST_TEST_TRAFFIC_SHIFT",
    "PRODUCTION_TRAFFIC_SHIFT",
    "POST_PRODUCTION_TRAFFIC_SHIFT",
    "BAKE_TIME",
    "CLEAN_UP",
)
STAGES = {"codedeploy": CODEDEPLOY_EVENTS, "ecs": NATIVE_STAGES, "rolling": ()}
# The stage at which production is all on green: an event that succeeded (CodeDeploy), the first stage after (ECS).
DEPLOYED_AT = {"codedeploy": "AllowTraffic", "ecs": "POST_PRODUCTION_TRAFFIC_SHIFT"}
# Statuses in which a deployment still moves forward (not rolling back, not final).
FORWARD = {"codedeploy": plan.ACTIVE_STATUSES, "ecs": tuple(s for s in native_plan.ACTIVE_STATUSES if s not in native_plan.ROLLING_BACK_STATUSES)}


def problem(strategy: str, wait_until: Optional[str], verify: bool) -> Optional[str]:
    """What is wrong with ``wait_until`` for the strategy, or None."""
    if wait_until in (None, STABLE, DEPLOYED):
        return None
    names = STAGES.get(strategy, ())
    if not names:
        return f"wait_until={wait_until}: the {strategy} strategy has no stages; use stable or deployed"
    if wait_until not in names:
        return f"wait_until must be stable, deployed or a stage of the {strategy} strategy ({', '.join(names)}); got {wait_until}"
    if verify:
        return f"wait_until={wait_until} and verify=true: the verification gate decides where the module stops; use stable or deployed with verify"
    return None


def reached(strategy: str, view: Mapping[str, Any], wait_until: Optional[str]) -> bool:
    """The deployment moving forward has got as far as ``wait_until`` (never for ``stable``: only its end is)."""
    if wait_until in (None, STABLE) or strategy not in DEPLOYED_AT or view.get("status") not in FORWARD[strategy]:
        return False
    stage = DEPLOYED_AT[strategy] if wait_until == DEPLOYED else wait_until
    if strategy == "codedeploy":
        return any(p.get("name") == stage and p.get("status") == "Succeeded" for p in view.get("phases") or [])
    current = view.get("stage")
    return current in NATIVE_STAGES and stage in NATIVE_STAGES and NATIVE_STAGES.index(current) >= NATIVE_STAGES.index(stage)


def outcome(result: Mapping[str, Any], wait_until: Optional[str]) -> dict:
    """The outcome of a run that stopped waiting at ``wait_until``: ``deployed``, or ``in_progress`` at a stage."""
    status = DEPLOYED_STATUS if wait_until == DEPLOYED else plan.IN_PROGRESS
    return dict(result, status=status, rolled_back=False, rollback_reason=None)
