"""Loaded by lab.server at start: registers the CodeDeploy interceptors (store and
deployments) and installs the blue/green engine as a controller, so it shows in
/_lab/health from the start instead of on the first CodeDeploy call."""

from __future__ import annotations

from lab.codedeploy import deployments, store  # noqa: F401 - importing registers the interceptors
from lab.codedeploy.engine import CodeDeployEngine
from lab.server import Lab


def setup(lab: Lab) -> list[CodeDeployEngine]:
    return [CodeDeployEngine.install(lab)]
