# Copyright: cutover.ecs contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Builder command lines as argument lists, and the pure decisions around them.

Every command is a list of arguments, never a shell string. Passwords never
appear in them: logins read the password on stdin. Unit-tested in
tests/unit/plugins/module_utils/_image/.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Optional

from ansible_collections.cutover.ecs.plugins.module_utils._errors import CutoverError

BUILDERS = ("podman", "docker", "buildah")
# podman first: it needs no daemon; docker next when its engine answers; buildah builds and pushes alone too.
AUTO_ORDER = ("podman", "docker", "buildah")
# The Debian/Ubuntu package of each builder, for the "install one" message.
PACKAGES = {"podman": "podman", "docker": "docker.io", "buildah": "buildah"}
# Lines of builder output a failure reports.
TAIL_LINES = 20
MASK = "********"

_PUSH_DIGEST = re.compile(r"digest: (sha256:[0-9a-f]{64})")


@dataclass(frozen=True)
class BuildSpec:
    """One image build: what and where, builder-neutral."""

    context: str
    dockerfile: str
    image: str
    build_args: Mapping[str, str] = field(default_factory=dict)
    platform: Optional[str] = None
    no_cache: bool = False


def _oci_format(builder: str) -> list[str]:
    # podman and buildah write OCI images by default; the docker format keeps HEALTHCHECK and suits every registry.
    return ["--format", "docker"] if builder in ("podman", "buildah") else []


def _layer_options(builder: str, spec: BuildSpec) -> list[str]:
    # buildah's layer cache (podman 4.3, Debian 12) reuses an ENV layer built from an
    # ARG even when the build argument changed, so VERSION=2 could ship VERSION=1.
    # Without intermediate layers every instruction sees the arguments it was given.
    return ["--layers=false"] if builder in ("podman", "buildah") and spec.build_args else []


def build_command(builder: str, spec: BuildSpec) -> list[str]:
    command = [builder, "build", "--file", spec.dockerfile, "--tag", spec.image, *_oci_format(builder), *_layer_options(builder, spec)]
    for key in sorted(spec.build_args):
        command += ["--build-arg", f"{key}={spec.build_args[key]}"]
    if spec.platform:
        command += ["--platform", spec.platform]
    if spec.no_cache:
        command.append("--no-cache")
    command.append(spec.context)
    return command


def authfile(auth_dir: str) -> str:
    return f"{auth_dir}/auth.json"


def _credentials_options(builder: str, auth_dir: str, tls_verify: bool) -> tuple[list[str], list[str]]:
    """(global options, command options) that point a builder at a private credentials store.

    docker has no per-command TLS switch: its engine decides (loopback registries are insecure by default).
    """
    if builder == "docker":
        return ["--config", auth_dir], []
    options = ["--authfile", authfile(auth_dir)]
    if not tls_verify:
        options.append("--tls-verify=false")
    return [], options


def login_command(builder: str, registry: str, username: str, auth_dir: str, tls_verify: bool = True) -> list[str]:
    """Log in with the password on stdin (``--password-stdin``), into a credentials store of our own."""
    global_options, options = _credentials_options(builder, auth_dir, tls_verify)
    return [builder, *global_options, "login", *options, "--username", username, "--password-stdin", registry]


def push_command(builder: str, image: str, auth_dir: str, tls_verify: bool = True, digestfile: Optional[str] = None) -> list[str]:
    global_options, options = _credentials_options(builder, auth_dir, tls_verify)
    command = [builder, *global_options, "push", *options]
    if digestfile and builder != "docker":
        command += ["--digestfile", digestfile]
    command.append(image)
    return command


def image_exists_command(builder: str, image: str) -> list[str]:
    """Exit status 0 when the local store has ``image``."""
    if builder == "podman":
        return ["podman", "image", "exists", image]
    if builder == "buildah":
        return ["buildah", "inspect", "--type", "image", image]
    return ["docker", "image", "inspect", "--format", "{{.Id}}", image]


def probe_command(builder: str) -> list[str]:
    """A command that succeeds only when the builder can build here (for docker: the engine answers)."""
    if builder == "docker":
        return ["docker", "info", "--format", "{{.ServerVersion}}"]
    if builder == "podman":
        return ["podman", "info", "--format", "{{.Store.GraphDriverName}}"]
    return ["buildah", "info"]


def parse_push_digest(output: str) -> Optional[str]:
    """The manifest digest from ``docker push`` output (``<tag>: digest: sha256:... size: N``)."""
    matches = _PUSH_DIGEST.findall(output)
    return matches[-1] if matches else None


# --- output handling ------------------------------------------------------------


def scrub(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every secret replaced by a mask (longest first, so a token hides before its parts)."""
    for secret in sorted((s for s in secrets if s), key=len, reverse=True):
        text = text.replace(secret, MASK)
    return text


def last_lines(text: str, count: int = TAIL_LINES) -> list[str]:
    lines = [line.rstrip() for line in text.replace("\r", "\n").splitlines()]
    lines = [line for line in lines if line]
    return lines[-count:]


# --- choosing a builder ---------------------------------------------------------------


@dataclass(frozen=True)
class Probe:
    """What a builder probe found: the program on PATH, and whether it can build (``detail`` says why not)."""

    found: bool
    works: bool = False
    detail: str = ""


def _install_hint(names: Iterable[str]) -> str:
    return ", or ".join(f"apt-get install {PACKAGES[name]}" for name in names)


def _probe_report(name: str, probe: Probe) -> str:
    if not probe.found:
        return f"{name}: not installed"
    if name == "docker":
        return f"docker: the client is installed but no docker engine answers ({probe.detail or 'docker info failed'})"
    return f"{name}: installed but not working ({probe.detail or 'probe failed'})"


def choose_builder(requested: str, probes: Mapping[str, Probe]) -> str:
    """The builder to use: ``requested``, or for ``auto`` the first of AUTO_ORDER that works.

    Fails with a message that says what is wrong and which Debian packages to install.
    """
    if requested != "auto":
        if requested not in BUILDERS:
            raise CutoverError(f"builder must be auto or one of {', '.join(BUILDERS)}, not {requested!r}")
        probe = probes.get(requested, Probe(found=False))
        if probe.works:
            return requested
        others = [name for name in AUTO_ORDER if name != requested]
        raise CutoverError(
            f"The image builder {requested} cannot build here: {_probe_report(requested, probe)}. "
            f"Install it ({_install_hint([requested])}), start it, or choose another builder ({', '.join(['auto', *others])}).",
            builder=requested,
        )
    for name in AUTO_ORDER:
        if probes.get(name, Probe(found=False)).works:
            return name
    reports = "; ".join(_probe_report(name, probes.get(name, Probe(found=False))) for name in AUTO_ORDER)
    raise CutoverError(
        f"No image builder works on this host ({reports}). Install one: {_install_hint(AUTO_ORDER)}.",
        builder="auto",
    )
