"""CodeDeploy in the lab.

``store`` answers the control-plane calls moto lacks (deployment configs,
Update/Delete/BatchGet of deployment groups, DeleteApplication); ``deployments``
answers the deployment calls; ``engine`` carries deployments out (a controller,
installed by ``intercept.setup`` when the lab starts); ``lifecycle`` holds the
pure rules the engine follows.
"""
