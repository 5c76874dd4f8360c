"""The pure parts of extensions/molecule/shared/target.py: when LocalStack is skipped, and how it is run."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

TARGET_PY = Path(__file__).resolve().parents[1] / "shared" / "target.py"


def load_target() -> ModuleType:
    spec = importlib.util.spec_from_file_location("molecule_target", TARGET_PY)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


target = load_target()


@pytest.mark.parametrize(
    ("environ", "docker_answers", "expected"),
    [
        ({"LOCALSTACK_AUTH_TOKEN": "ls-abc"}, True, []),
        ({}, True, ["LOCALSTACK_AUTH_TOKEN is not set"]),
        ({"LOCALSTACK_AUTH_TOKEN": ""}, True, ["LOCALSTACK_AUTH_TOKEN is not set"]),
        ({"LOCALSTACK_AUTH_TOKEN": "ls-abc"}, False, ["no Docker engine answers"]),
        ({}, False, ["LOCALSTACK_AUTH_TOKEN is not set", "no Docker engine answers"]),
    ],
)
def test_localstack_skip_reason_names_what_is_missing(environ: dict[str, str], docker_answers: bool, expected: list[str]) -> None:
    reason = target.localstack_skip_reason(environ, docker_answers)
    parts = [part for part in reason.split("; ") if part]
    assert len(parts) == len(expected)
    for part, start in zip(parts, expected, strict=True):
        assert part.startswith(start)


def test_localstack_publishes_its_gateway_and_listener_ports_on_loopback_only() -> None:
    command = target.localstack_run_command({"gateway": 4567, "production": 18080, "test": 19000})
    published = [command[index + 1] for index, option in enumerate(command) if option == "-p"]
    assert published[:3] == ["127.0.0.1:4567:4567", "127.0.0.1:18080:18080", "127.0.0.1:19000:19000"]
    assert all(port.startswith("127.0.0.1:") for port in published)
    assert "GATEWAY_LISTEN=:4567,:18080,:19000" in command
    assert "LOCALSTACK_HOST=localhost.localstack.cloud:4567" in command
    # The token is passed by name, so it never appears on a command line.
    assert "LOCALSTACK_AUTH_TOKEN" in command and not any(arg.startswith("LOCALSTACK_AUTH_TOKEN=") for arg in command)
