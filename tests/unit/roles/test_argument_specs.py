"""Every role's meta/argument_specs.yml documents exactly its defaults/main.yml.

prometheus.prometheus fails CI when the two drift; so do we.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

ROLES = Path(__file__).resolve().parents[3] / "roles"
ROLE_DIRS = sorted(path for path in ROLES.iterdir() if (path / "tasks").is_dir()) if ROLES.is_dir() else []


def _load(path: Path) -> dict:
    if not path.exists():
        return {}
    return yaml.safe_load(path.read_text()) or {}


@pytest.mark.parametrize("role", ROLE_DIRS, ids=[role.name for role in ROLE_DIRS])
def test_argument_specs_match_defaults(role: Path):
    defaults = _load(role / "defaults" / "main.yml")
    specs = _load(role / "meta" / "argument_specs.yml").get("argument_specs", {})
    assert "main" in specs, f"{role.name}: meta/argument_specs.yml has no 'main' entry point"
    options = specs["main"].get("options", {})

    public = {name for name in defaults if not name.startswith("_")}
    assert not public - set(options), f"{role.name}: defaults without docs: {sorted(public - set(options))}"
    required = {name for name, spec in options.items() if spec.get("required")}
    assert set(options) - required == public, f"{role.name}: options neither required nor in defaults/main.yml: {sorted(set(options) - required - public)}"
    documented_defaults = {name for name, spec in options.items() if "default" in spec}
    assert not documented_defaults - public, f"{role.name}: documented defaults missing from defaults/main.yml: {sorted(documented_defaults - public)}"
    for name in public:
        assert name.startswith(f"{role.name}_"), f"{role.name}: public variable {name} must start with '{role.name}_'"
        spec = options[name]
        assert not spec.get("required"), f"{role.name}: {name} has a default, so it cannot be required"
        assert spec.get("default") == defaults[name], f"{role.name}: {name} defaults to {defaults[name]!r} but the docs say {spec.get('default')!r}"
        assert spec.get("description"), f"{role.name}: {name} has no description"
