"""CodeDeploy in the lab.

``store`` answers the control-plane calls moto lacks (deployment configs,
Update/Delete/BatchGet of deployment groups, DeleteApplication); ``deployments``
answers the deployment calls and runs the blue/green engine (installed as a
controller on the first CodeDeploy call, see ``deployments.engine_of``).
Importing this package registers both sets of interceptors, so they are active
whether or not the package also has an ``intercept`` module for ``lab.server``
to load.
"""

from __future__ import annotations

from lab.codedeploy import deployments as deployments  # noqa: F401 - registers the deployment interceptors
from lab.codedeploy import store as store  # noqa: F401 - registers the interceptors on import
