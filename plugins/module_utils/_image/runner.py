# Copyright: cutover.ecs contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Runs builder commands (argument lists from ``commands``): probe, build, log in, push.

Output is captured with stderr folded into stdout, and every secret is masked
before it is kept, so nothing this layer returns or raises holds a password.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Optional

from ansible_collections.cutover.ecs.plugins.module_utils._errors import CutoverError
from ansible_collections.cutover.ecs.plugins.module_utils._image import commands
from ansible_collections.cutover.ecs.plugins.module_utils._image.commands import BuildSpec, Probe

PROBE_TIMEOUT = 60


@dataclass(frozen=True)
class Completed:
    argv: tuple[str, ...]
    returncode: Optional[int]  # None: the program was missing or timed out
    output: str  # stdout and stderr, secrets masked

    @property
    def ok(self) -> bool:
        return self.returncode == 0


def run(argv: Sequence[str], *, stdin: Optional[str] = None, secrets: Iterable[str] = (), timeout: Optional[float] = None) -> Completed:
    """Run ``argv`` (no shell). ``stdin`` is the only way a secret is handed to a program."""
    secrets = tuple(secrets)
    try:
        proc = subprocess.run(
            list(argv),
            input=stdin,
            stdin=None if stdin is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
            timeout=timeout,
            check=False,
        )
    except FileNotFoundError:
        return Completed(tuple(argv), None, f"{argv[0]}: command not found")
    except subprocess.TimeoutExpired as exc:
        partial = exc.output if isinstance(exc.output, str) else (exc.output or b"").decode("utf-8", "replace")
        return Completed(tuple(argv), None, commands.scrub(f"{partial}\n{argv[0]} timed out after {timeout} s", secrets))
    return Completed(tuple(argv), proc.returncode, commands.scrub(proc.stdout or "", secrets))


def failure(what: str, completed: Completed, **details: object) -> CutoverError:
    """A CutoverError that carries the command (never a secret: they go on stdin) and its last output lines."""
    lines = commands.last_lines(completed.output)
    status = "timed out or could not start" if completed.returncode is None else f"failed with exit code {completed.returncode}"
    message = f"{what} {status}."
    if lines:
        message += " Last output lines:\n" + "\n".join(lines)
    return CutoverError(message, command=list(completed.argv), output_lines=lines, **details)


def probe(name: str) -> Probe:
    if shutil.which(name) is None:
        return Probe(found=False)
    completed = run(commands.probe_command(name), timeout=PROBE_TIMEOUT)
    if completed.ok:
        return Probe(found=True, works=True)
    lines = commands.last_lines(completed.output, 1)
    return Probe(found=True, works=False, detail=lines[0] if lines else f"exit code {completed.returncode}")


def probe_builders(requested: str) -> dict[str, Probe]:
    """Probe only what ``requested`` may use: one builder, or all of them for ``auto`` (in order, stopping at the first that works)."""
    if requested != "auto":
        return {requested: probe(requested)}
    probes: dict[str, Probe] = {}
    for name in commands.AUTO_ORDER:
        probes[name] = probe(name)
        if probes[name].works:
            break
    return probes


class Builder:
    """One builder program (podman, docker or buildah) and a private credentials directory."""

    def __init__(self, name: str, auth_dir: str, timeout: Optional[float] = None) -> None:
        self.name = name
        self.auth_dir = auth_dir
        self.timeout = timeout
        self._secrets: tuple[str, ...] = ()

    def build(self, spec: BuildSpec) -> None:
        completed = run(commands.build_command(self.name, spec), secrets=self._secrets, timeout=self.timeout)
        if not completed.ok:
            raise failure(f"{self.name} build of {spec.image}", completed)

    def login(self, registry: str, username: str, password: str, tls_verify: bool, secrets: Iterable[str] = ()) -> None:
        self._secrets = tuple({password, *secrets} - {""})
        command = commands.login_command(self.name, registry, username, self.auth_dir, tls_verify)
        completed = run(command, stdin=password, secrets=self._secrets, timeout=PROBE_TIMEOUT)
        if not completed.ok:
            raise failure(f"{self.name} login to {registry}", completed)

    def push(self, image: str, tls_verify: bool) -> Optional[str]:
        """Push ``image`` and return the digest of the manifest the registry stored."""
        digestfile = os.path.join(self.auth_dir, "digest")
        command = commands.push_command(self.name, image, self.auth_dir, tls_verify, digestfile)
        completed = run(command, secrets=self._secrets, timeout=self.timeout)
        if not completed.ok:
            raise failure(f"{self.name} push of {image}", completed)
        if self.name == "docker":
            return commands.parse_push_digest(completed.output)
        try:
            with open(digestfile, encoding="utf-8") as handle:
                return handle.read().strip() or None
        except OSError:
            return None

    def exists(self, image: str) -> bool:
        return run(commands.image_exists_command(self.name, image), timeout=PROBE_TIMEOUT).ok
