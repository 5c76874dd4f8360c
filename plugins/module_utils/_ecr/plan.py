# Copyright: cutover.ecs contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""ECR and image plans: pure functions for names, tags, URIs and what to do.

No I/O here; every function is unit-tested (tests/unit/plugins/module_utils/_ecr/).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import ipaddress
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Optional

from ansible_collections.cutover.ecs.plugins.module_utils._errors import InvalidInput

# ECR's own pattern for RepositoryName (botocore service model), anchored.
REPOSITORY_NAME = re.compile(r"[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*")
# The OCI/docker tag grammar; ECR accepts a superset, registries and builders accept this.
IMAGE_TAG = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")
# host[:port], as image references spell a registry.
REGISTRY = re.compile(r"(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?)(:[0-9]{1,5})?")

# Characters of the commit in a default tag: 12 hex digits keep collisions out of reach for any one repository.
COMMIT_TAG_LENGTH = 12
DIRTY_POLICIES = ("suffix", "refuse")


# --- validation ----------------------------------------------------------------


def validate_repository_name(name: str) -> None:
    if not 2 <= len(name) <= 256 or not REPOSITORY_NAME.fullmatch(name):
        raise InvalidInput(
            f"repository {name!r} is not a valid ECR repository name: use 2-256 lowercase letters, digits and . _ - separators, "
            "optionally in /-separated namespaces (for example shop/web)",
            option="repository",
        )


def validate_tag(tag: str) -> None:
    if not IMAGE_TAG.fullmatch(tag):
        raise InvalidInput(
            f"tag {tag!r} is not a valid image tag: use up to 128 letters, digits, _ . and -, not starting with . or -",
            option="tag",
        )


def validate_registry(registry: str) -> None:
    if "://" in registry or "/" in registry or not REGISTRY.fullmatch(registry):
        raise InvalidInput(f"registry {registry!r} must be host[:port] without a scheme or path, for example 127.0.0.1:5000", option="registry")


# --- tags from git -------------------------------------------------------------


def dirty_fingerprint(diff: bytes, untracked: Iterable[tuple[str, bytes]]) -> str:
    """A short hash of the uncommitted changes: the same edits give the same tag, so re-runs stay idempotent."""
    digest = hashlib.sha256()
    digest.update(b"diff\0")
    digest.update(diff)
    for path, content in sorted(untracked):
        digest.update(b"\0untracked\0" + path.encode("utf-8") + b"\0")
        digest.update(hashlib.sha256(content).digest())
    return digest.hexdigest()[:COMMIT_TAG_LENGTH]


@dataclass(frozen=True)
class Source:
    """What git says about the build context."""

    commit: str
    dirty_paths: tuple[str, ...] = ()
    fingerprint: str = ""

    @property
    def dirty(self) -> bool:
        return bool(self.dirty_paths)


def tag_for_source(source: Source, dirty_policy: str) -> str:
    """The default tag: the context's commit, with ``-dirty-<hash of the changes>`` for a dirty tree.

    With ``dirty_policy="refuse"`` a dirty tree is an error that names the changed files.
    """
    if dirty_policy not in DIRTY_POLICIES:
        raise InvalidInput(f"dirty must be one of {', '.join(DIRTY_POLICIES)}, not {dirty_policy!r}", option="dirty")
    tag = source.commit[:COMMIT_TAG_LENGTH]
    if not source.dirty:
        return tag
    if dirty_policy == "refuse":
        shown = ", ".join(source.dirty_paths[:10]) + (" ..." if len(source.dirty_paths) > 10 else "")
        raise InvalidInput(
            f"the build context has uncommitted changes ({shown}); commit them, set dirty: suffix, or set an explicit tag",
            option="dirty",
            dirty_paths=list(source.dirty_paths),
        )
    return f"{tag}-dirty-{source.fingerprint}"


def commit_label(source: Optional[Source]) -> Optional[str]:
    """The commit the image reports (build arg GIT_COMMIT): the full hash, marked when the tree was dirty."""
    if source is None:
        return None
    return f"{source.commit}-dirty-{source.fingerprint}" if source.dirty else source.commit


def build_args_with_commit(build_args: Mapping[str, Any], commit_arg: str, commit: Optional[str]) -> dict:
    """The user's build args, plus ``commit_arg=commit`` unless the user set it (or there is no commit)."""
    args = {str(key): str(value) for key, value in (build_args or {}).items()}
    if commit_arg and commit and commit_arg not in args:
        args[commit_arg] = commit
    return args


# --- repositories and URIs -----------------------------------------------------


def desired_repository(options: Mapping[str, Any]) -> dict:
    """CreateRepository parameters for the options (used only when the repository is missing)."""
    params: dict = {
        "repositoryName": options["repository"],
        "imageTagMutability": options.get("image_tag_mutability") or "MUTABLE",
        "imageScanningConfiguration": {"scanOnPush": bool(options.get("scan_on_push"))},
    }
    if options.get("repository_tags"):
        params["tags"] = [{"Key": str(key), "Value": str(value)} for key, value in options["repository_tags"].items()]
    return params


def current_repository(repository: Optional[Mapping[str, Any]]) -> Optional[dict]:
    """DescribeRepositories output reduced to what the module reports."""
    if not repository:
        return None
    return {
        "repositoryName": repository["repositoryName"],
        "repositoryUri": repository.get("repositoryUri"),
        "repositoryArn": repository.get("repositoryArn"),
        "registryId": repository.get("registryId"),
        "imageTagMutability": repository.get("imageTagMutability"),
        "imageScanningConfiguration": dict(repository.get("imageScanningConfiguration") or {}),
    }


def predicted_repository(desired: Mapping[str, Any], proxy_endpoint: str) -> dict:
    """The repository CreateRepository would make (check mode), its URI on the registry of the login endpoint."""
    name = desired["repositoryName"]
    return {
        "repositoryName": name,
        "repositoryUri": f"{endpoint_host(proxy_endpoint)}/{name}",
        "repositoryArn": None,
        "registryId": None,
        "imageTagMutability": desired["imageTagMutability"],
        "imageScanningConfiguration": dict(desired["imageScanningConfiguration"]),
    }


def endpoint_host(endpoint: str) -> str:
    """``https://1234.dkr.ecr.eu-west-1.amazonaws.com`` -> ``1234.dkr.ecr.eu-west-1.amazonaws.com``."""
    host = endpoint.split("://", 1)[-1]
    return host.split("/", 1)[0]


def repository_uri(repository: Mapping[str, Any], registry: Optional[str]) -> str:
    """Where images go: the repositoryUri ECR reports, or ``registry/name`` when a registry override is set."""
    if registry:
        return f"{registry}/{repository['repositoryName']}"
    return repository["repositoryUri"]


def split_repository_uri(uri: str) -> tuple[str, str]:
    """``host[:port]/path/name`` -> (``host[:port]``, ``path/name``)."""
    host, separator, path = uri.partition("/")
    if not separator or not path:
        raise InvalidInput(f"repository URI {uri!r} has no registry host")
    return host, path


def image_uri(repository_uri_value: str, tag: str) -> str:
    return f"{repository_uri_value}:{tag}"


def is_loopback_registry(host: str) -> bool:
    """True for localhost and 127.0.0.0/8 or ::1, with or without a port."""
    name = host
    if name.startswith("["):
        name = name[1 : name.find("]")]
    elif name.count(":") == 1:
        name = name.split(":", 1)[0]
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def tls_verify_for(option: Optional[bool], host: str) -> bool:
    """The O(tls_verify) option, or docker's own default: loopback registries are insecure, all others verified."""
    if option is not None:
        return bool(option)
    return not is_loopback_registry(host)


# --- credentials ----------------------------------------------------------------


@dataclass(frozen=True)
class Credentials:
    username: str
    password: str = ""
    token: str = ""  # the base64 form, scrubbed from output like the password

    @property
    def secrets(self) -> tuple[str, ...]:
        return tuple(value for value in (self.password, self.token) if value)

    def __repr__(self) -> str:  # never show the password, even in a traceback
        return f"Credentials(username={self.username!r}, password='********')"


def decode_authorization(authorization: Mapping[str, Any]) -> Credentials:
    """GetAuthorizationToken's ``authorizationToken`` (base64 ``user:password``) as credentials."""
    token = authorization.get("authorizationToken") or ""
    try:
        username, _colon, password = base64.b64decode(token, validate=True).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        username, password = "", ""
    if not username or not password:
        raise InvalidInput("ECR's authorization token is not base64 user:password; check the endpoint the module talks to")
    return Credentials(username=username, password=password, token=token)


# --- what to do ---------------------------------------------------------------------


@dataclass(frozen=True)
class ImagePlan:
    build: bool
    push: bool

    @property
    def changed(self) -> bool:
        return self.build or self.push


def plan_image(present: bool, force: bool, push: bool) -> ImagePlan:
    """Build and push only when the tag is missing where it should be (the registry, or the local store
    when ``push`` is false), or when ``force`` asks for it. The tag is the image's identity."""
    if present and not force:
        return ImagePlan(build=False, push=False)
    return ImagePlan(build=True, push=push)


def image_digest(image_detail: Optional[Mapping[str, Any]]) -> Optional[str]:
    return (image_detail or {}).get("imageDigest")
