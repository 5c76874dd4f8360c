"""The ELB data plane: Application and Network Load Balancers emulated with HAProxy (see lab/ARCHITECTURE.md).

- ``model``: moto's ELBv2 state as plain data (``ElbWorld``);
- ``render``: that world -> haproxy.cfg and routing maps (pure);
- ``plan``: runtime API steps for targets (pure); ``health``: AWS target health from HAProxy's view (pure);
- ``runtime``: the runtime API client; ``process``: the master-worker process;
- ``haproxy``: the data plane (``lab.haproxy``); ``controller``: the lab controller; ``intercept``: API answers.
"""

from __future__ import annotations
