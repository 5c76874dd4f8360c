"""Unit tests import the collection as ``ansible_collections.cutover.ecs``
through the .collections link that ``make setup`` creates."""

from __future__ import annotations

import sys
from pathlib import Path

COLLECTIONS = Path(__file__).resolve().parents[2] / ".collections"
if str(COLLECTIONS) not in sys.path:
    sys.path.insert(0, str(COLLECTIONS))
