"""Stand-in for ansible-test's pip bootstrap script (get-pip.py).

ansible-test downloads get-pip.py from a host that is unreachable from our
machines. `tests/sanity/run.sh` installs this file in its cache only when that
download fails. It bootstraps pip with ensurepip, then installs the pinned
packages it was asked for from the configured package index.
"""

import ensurepip
import os
import subprocess
import sys

ensurepip.bootstrap()
# ensurepip points PIP_CONFIG_FILE at devnull; that would hide the system pip config (the index).
os.environ.pop("PIP_CONFIG_FILE", None)
args = [arg for arg in sys.argv[1:] if arg not in ("--no-setuptools", "--no-wheel")]
if args:
    sys.exit(subprocess.call([sys.executable, "-m", "pip", "install"] + args))
