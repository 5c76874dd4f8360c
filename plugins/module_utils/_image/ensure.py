# Copyright: cutover.ecs contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The image runner: decide the tag, look for it, then build and push only when it is missing.

``ensure_image(context, options)`` validates everything before the first
mutating call, reads (repository, tag), asks ``_ecr.plan.plan_image`` what to
do and acts through ``_ecr.api`` and the builder ``runner``. In check mode it
reports what it would build and push, and makes no mutating call.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Optional

from ansible_collections.cutover.ecs.plugins.module_utils._ecr import api, plan
from ansible_collections.cutover.ecs.plugins.module_utils._ecr.plan import Credentials, Source
from ansible_collections.cutover.ecs.plugins.module_utils._errors import CutoverError, InvalidInput
from ansible_collections.cutover.ecs.plugins.module_utils._image import commands, git, registry, runner
from ansible_collections.cutover.ecs.plugins.module_utils._module import Change, Context, make_result
from ansible_collections.cutover.ecs.plugins.module_utils._tags import plan_tags, predict_tags, tags_from_aws

BUILD_ARG_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
DOCKERFILE_NAMES = ("Dockerfile", "Containerfile")


@dataclass(frozen=True)
class ImageRequest:
    """The options, validated and normalised (absolute paths, string build args)."""

    repository: str
    context: str
    dockerfile: str
    tag: Optional[str]
    dirty: str
    build_args: Mapping[str, str] = field(default_factory=dict)
    commit_build_arg: str = ""
    registry: Optional[str] = None


def _dockerfile_path(context: str, dockerfile: Optional[str]) -> str:
    if dockerfile:
        path = dockerfile if os.path.isabs(dockerfile) else os.path.join(context, dockerfile)
        if not os.path.isfile(path):
            raise InvalidInput(f"dockerfile {path} does not exist", option="dockerfile")
        return os.path.normpath(path)
    for name in DOCKERFILE_NAMES:
        path = os.path.join(context, name)
        if os.path.isfile(path):
            return path
    raise InvalidInput(f"{context} has no Dockerfile or Containerfile; add one or set dockerfile", option="dockerfile")


def image_request(options: Mapping[str, Any]) -> ImageRequest:
    """Validate every option that can be wrong, before anything is read or changed."""
    context = os.path.abspath(os.path.expanduser(options["context"]))
    if not os.path.isdir(context):
        raise InvalidInput(f"context {context} is not a directory", option="context")
    plan.validate_repository_name(options["repository"])
    if options.get("tag"):
        plan.validate_tag(options["tag"])
    if options.get("registry"):
        plan.validate_registry(options["registry"])
    build_args = {str(key): "" if value is None else str(value) for key, value in (options.get("build_args") or {}).items()}
    bad = sorted(key for key in build_args if not BUILD_ARG_NAME.fullmatch(key))
    if bad:
        raise InvalidInput(f"build_args names must be letters, digits and _ (not starting with a digit): {', '.join(bad)}", option="build_args")
    if options.get("timeout") is not None and options["timeout"] <= 0:
        raise InvalidInput("timeout must be a positive number of seconds", option="timeout")
    return ImageRequest(
        repository=options["repository"],
        context=context,
        dockerfile=_dockerfile_path(context, options.get("dockerfile")),
        tag=options.get("tag") or None,
        dirty=options.get("dirty") or "suffix",
        build_args=build_args,
        commit_build_arg=options.get("commit_build_arg") or "",
        registry=options.get("registry") or None,
    )


def _source(request: ImageRequest) -> Optional[Source]:
    """git's view of the context; required for the default tag, optional (best effort) with an explicit tag."""
    if request.tag is None:
        return git.read_source(request.context, request.dockerfile)
    try:
        return git.read_source(request.context, request.dockerfile)
    except CutoverError:
        return None


class _Login:
    """GetAuthorizationToken, fetched at most once and only when something needs it."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self._authorization: Optional[dict] = None

    @property
    def authorization(self) -> dict:
        if self._authorization is None:
            self._authorization = api.get_authorization(self._client)
        return self._authorization

    @property
    def credentials(self) -> Credentials:
        return plan.decode_authorization(self.authorization)


def _select_builder(requested: str) -> str:
    return commands.choose_builder(requested, runner.probe_builders(requested))


def ensure_image(context: Context, options: Mapping[str, Any]) -> dict:
    request = image_request(options)
    source = _source(request)
    tag = request.tag or plan.tag_for_source(source, request.dirty)
    desired = plan.desired_repository(options)

    ecr = context.client("ecr")
    login = _Login(ecr)
    repository = plan.current_repository(api.describe_repository(ecr, request.repository))
    if repository is None and options["push"] and not options["create_repository"]:
        raise CutoverError(f"The ECR repository {request.repository} does not exist; create it or set create_repository: true", option="create_repository")
    retag = _repository_tags(ecr, repository, options)
    if retag.changed and not context.check_mode:
        retag.apply(ecr, repository["repositoryArn"])
    shown_repository = repository or plan.predicted_repository(desired, login.authorization.get("proxyEndpoint") or "")
    if retag.after is not None:
        shown_repository = {**shown_repository, "tags": retag.after}
    target = _Target.of(shown_repository, request.registry, tag, options.get("tls_verify"))

    builder: Optional[str] = None
    if options["push"]:
        present_digest = _registry_digest(ecr, login, request, repository, target)
        present = present_digest is not None
    else:
        builder = _select_builder(options["builder"])
        present_digest = None
        present = runner.Builder(builder, auth_dir="").exists(target.image)
    image_plan = plan.plan_image(present, options["force"], options["push"])

    before = {"image_uri": target.image if present else None, "digest": present_digest}
    report = dict(tag=tag, commit=plan.commit_label(source), dirty=bool(source and source.dirty), repository_tags_changed=retag.changed)
    if not image_plan.changed:
        if retag.changed:
            change = Change("update", before={**before, "repository_tags": retag.before}, after={**before, "repository_tags": retag.after})
        else:
            change = Change("none", before=before, after=before)
        return _result(context, change, shown_repository, target, digest=present_digest, built=False, pushed=False, builder=builder, **report)

    builder = builder or _select_builder(options["builder"])
    change = Change("update" if present else "create", before=before, after={"image_uri": target.image, "digest": None})
    if context.check_mode:
        return _result(context, change, shown_repository, target, digest=None, built=True, pushed=image_plan.push, builder=builder, **report)

    if repository is None and image_plan.push:
        repository = plan.current_repository(api.create_repository(ecr, **desired))
        target = _Target.of(repository, request.registry, tag, options.get("tls_verify"))
    spec = commands.BuildSpec(
        context=request.context,
        dockerfile=request.dockerfile,
        image=target.image,
        build_args=plan.build_args_with_commit(request.build_args, request.commit_build_arg, report["commit"]),
        platform=options.get("platform") or None,
        no_cache=bool(options.get("no_cache")),
    )
    digest = _build_and_push(builder, spec, target, login if image_plan.push else None, options.get("timeout"))
    change.after = {"image_uri": target.image, "digest": digest}
    return _result(context, change, repository or shown_repository, target, digest=digest, built=True, pushed=image_plan.push, builder=builder, **report)


@dataclass(frozen=True)
class _Retag:
    """The tags of an existing repository: before, after, and what to set and remove (``before=None``: not managed)."""

    before: Optional[dict] = None
    after: Optional[dict] = None
    to_set: Optional[dict] = None
    to_remove: tuple = ()

    @property
    def changed(self) -> bool:
        return bool(self.to_set or self.to_remove)

    def apply(self, ecr: Any, arn: str) -> None:
        if self.to_set:
            api.tag_repository(ecr, arn, self.to_set)
        if self.to_remove:
            api.untag_repository(ecr, arn, list(self.to_remove))


def _repository_tags(ecr: Any, repository: Optional[Mapping[str, Any]], options: Mapping[str, Any]) -> _Retag:
    """``repository_tags`` on a repository that exists: compared as text, purged unless told not to, ``aws:`` keys kept
    (a repository this run creates gets them from CreateRepository)."""
    desired = options.get("repository_tags")
    if repository is None or desired is None:
        return _Retag()
    current = tags_from_aws(api.list_tags(ecr, repository["repositoryArn"]))
    purge = options.get("purge_repository_tags", True)
    to_set, to_remove = plan_tags(desired, current, purge)
    return _Retag(current, predict_tags(desired, current, purge), to_set, tuple(to_remove))


@dataclass(frozen=True)
class _Target:
    """Where the image goes: repository URI, its registry host and path, the full image reference."""

    repository_uri: str
    host: str
    path: str
    image: str
    tls_verify: bool

    @classmethod
    def of(cls, repository: Mapping[str, Any], registry_override: Optional[str], tag: str, tls_option: Optional[bool]) -> _Target:
        uri = plan.repository_uri(repository, registry_override)
        host, path = plan.split_repository_uri(uri)
        return cls(uri, host, path, plan.image_uri(uri, tag), plan.tls_verify_for(tls_option, host))


def _registry_digest(ecr: Any, login: _Login, request: ImageRequest, repository: Optional[dict], target: _Target) -> Optional[str]:
    """The digest of the tag where it is pushed, or None when it is not there yet."""
    tag = target.image.rsplit(":", 1)[1]
    if request.registry:
        # ECR's DescribeImages does not see a registry of our own: ask the registry.
        return registry.manifest_digest(target.host, target.path, tag, login.credentials, target.tls_verify)
    if repository is None:
        return None
    return plan.image_digest(api.describe_image(ecr, request.repository, tag))


def _build_and_push(builder_name: str, spec: commands.BuildSpec, target: _Target, login: Optional[_Login], timeout: Optional[int]) -> Optional[str]:
    # A private credentials directory: the token never lands in the user's auth.json or docker config.
    with tempfile.TemporaryDirectory(prefix="cutover-image-") as auth_dir:
        builder = runner.Builder(builder_name, auth_dir, timeout=timeout)
        if login is not None:
            credentials = login.credentials
            # Log in first: bad credentials fail before a long build, not after it.
            builder.login(target.host, credentials.username, credentials.password, target.tls_verify, credentials.secrets)
        builder.build(spec)
        if login is None:
            return None
        return builder.push(target.image, target.tls_verify)


def _result(context: Context, change: Change, repository: Mapping[str, Any], target: _Target, **values: Any) -> dict:
    return make_result(
        "repository",
        change,
        repository,
        context.diff_mode,
        image_uri=target.image,
        repository_uri=target.repository_uri,
        **values,
    )
