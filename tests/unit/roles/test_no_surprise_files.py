"""Roles write files only where the user asks (issue 28): every role variable that names where a file or
directory goes is empty by default, and no default points beside the user's playbook or inventory.

The image role wrote imagedefinitions.json next to the user's own playbook on every run; the write is now
behind ``image_definitions_path``, empty by default (tests/integration/roles/test_image_role.py runs it).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

ROLES = Path(__file__).resolve().parents[3] / "roles"
ROLE_DIRS = sorted(path for path in ROLES.iterdir() if (path / "tasks").is_dir()) if ROLES.is_dir() else []
# role variables that name a place on disk; health paths and the like are URL paths, not files
DESTINATION = re.compile(r"_(dir|file|definitions_path)$")
BESIDE_THE_USER = re.compile(r"playbook_dir|inventory_dir|role_path|lookup\(\s*['\"](ansible\.builtin\.)?env['\"]\s*,\s*['\"]HOME")


def _defaults(role: Path) -> dict:
    path = role / "defaults" / "main.yml"
    return (yaml.safe_load(path.read_text()) or {}) if path.exists() else {}


@pytest.mark.parametrize("role", ROLE_DIRS, ids=[role.name for role in ROLE_DIRS])
def test_file_destinations_are_empty_by_default(role: Path) -> None:
    destinations = {name: value for name, value in _defaults(role).items() if DESTINATION.search(name)}
    assert {name: value for name, value in destinations.items() if value not in ("", None)} == {}


@pytest.mark.parametrize("role", ROLE_DIRS, ids=[role.name for role in ROLE_DIRS])
def test_no_default_points_beside_the_users_playbook(role: Path) -> None:
    text = (role / "defaults" / "main.yml").read_text() if (role / "defaults" / "main.yml").exists() else ""
    assert not BESIDE_THE_USER.search(text), f"{role.name}/defaults/main.yml: {BESIDE_THE_USER.search(text)}"


def test_the_image_roles_definitions_file_is_asked_for() -> None:
    assert "image_definitions_path" in _defaults(ROLES / "image")
    assert _defaults(ROLES / "image")["image_definitions_path"] == ""
