"""How pytest-xdist spreads the tests of every tier over workers (``make test-*`` run
``pytest -n N --dist loadscope``).

A module's tests stay together on one worker, in file order: most modules share
module-scoped lab objects, and some tests follow the one before (a re-run after a
deployment). A module listed in ``INDEPENDENT_MODULES`` builds a world of its own in every
test; its tests are spread over the workers one by one, and handed out first, since they
are the long cutovers that would otherwise end the run alone.

(pytest-xdist's own ``--dist loadgroup`` would say the same with marks, but under pytest 9 its
group names never reach the scheduler: it renames ``item._nodeid``, which pytest 9 no longer
reads. A module-path rule in the scheduler needs no renaming.)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[1]

INDEPENDENT_MODULES = frozenset(
    {
        "tests/lab/test_codedeploy_engine_api.py",
        "tests/lab/test_e2e_codedeploy.py",
        "tests/lab/test_e2e_ecs_native.py",
        "tests/lab/test_ecs_native_api.py",
        "tests/lab/test_third_party_deploy_tools.py",
        "tests/integration/roles/test_declared_task_definition.py",
        "tests/integration/roles/test_check_mode.py",
    }
)


def module_of(nodeid: str) -> str:
    return nodeid.split("::", 1)[0]


def work_unit_of(nodeid: str) -> str:
    """The scope a test is scheduled with: its own id in an independent module, else its module."""
    module = module_of(nodeid)
    return nodeid if module in INDEPENDENT_MODULES else module


def pytest_configure(config: pytest.Config) -> None:
    missing = sorted(module for module in INDEPENDENT_MODULES if not (REPO / module).is_file())
    if missing:
        raise pytest.UsageError(f"tests/conftest.py: INDEPENDENT_MODULES names files that do not exist: {missing}")


def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    if config.getvalue("dist") != "loadscope":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class ModuleScheduling(LoadScopeScheduling):
        """loadscope, with the independent modules' tests as units of their own, handed out first;
        then the other modules, most tests first."""

        _ordered = False

        def _split_scope(self, nodeid: str) -> str:
            return work_unit_of(nodeid)

        def _assign_work_unit(self, node: Any) -> None:
            if not self._ordered:
                self._ordered = True
                units = sorted(self.workqueue.items(), key=lambda unit: (module_of(unit[0]) not in INDEPENDENT_MODULES, -len(unit[1])))
                self.workqueue.clear()
                self.workqueue.update(units)
            super()._assign_work_unit(node)

    return ModuleScheduling(config, log)
