"""ECR operations answered from the real registry (registered on import; ``setup`` starts the registry)."""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable
from typing import Any

from lab.registry import ecr
from lab.registry.client import RegistryError
from lab.registry.process import Registry
from lab.server import Controller, Lab, after, intercept
from lab.wire import Request, Response, aws_error, json_response

RepositoryHandler = Callable[[Request, str], Response]


def setup(lab: Lab) -> list[Controller]:
    registry = Registry(lab.config, lab.state, lab.moto.account_id)
    registry.start()
    registry.set_repositories(known_repositories(lab))
    lab.registry = registry
    return [registry]


def known_repositories(lab: Lab) -> set[str]:
    """Every repository moto holds, in any region (the lab has one registry for all of them)."""
    from moto.ecr.models import ecr_backends

    return {name for backend in ecr_backends[lab.moto.account_id].values() for name in backend.repositories}


@after("ecr", "CreateRepository")
@after("ecr", "DeleteRepository")
def _gate_follows_ecr(req: Request, status: int) -> None:
    """Before the caller has the answer: a push right after CreateRepository finds its repository."""
    if status < 300 and req.lab is not None and req.lab.registry is not None:
        req.lab.registry.set_repositories(known_repositories(req.lab))


def _registry(req: Request) -> Registry:
    assert req.lab is not None and req.lab.registry is not None, "registry not started"
    return req.lab.registry


def _repository_missing(req: Request, name: str) -> Response | None:
    """RepositoryNotFoundException unless moto knows the repository (CreateRepository is moto's)."""
    assert req.lab is not None
    if name in req.lab.moto.ecr(req.region).repositories:
        return None
    return aws_error(req, "RepositoryNotFoundException", f"The repository with name '{name}' does not exist in the registry with id '{req.account_id}'")


def collect_images(registry: Registry, repository: str) -> list[ecr.ImageRecord]:
    """Every manifest of a repository, with its tags, as the registry holds them."""
    tag_digests: dict[str, str] = {}
    manifests: dict[str, Any] = {}
    for tag in registry.client.tags(repository):
        manifest = registry.client.manifest(repository, tag)
        if manifest is not None:
            tag_digests[tag] = manifest.digest
            manifests[manifest.digest] = manifest
    records = []
    for digest, tags in ecr.group_tags(tag_digests, registry.digests(repository)).items():
        manifest = manifests.get(digest) or registry.client.manifest(repository, digest)
        if manifest is None:
            continue
        document = manifest.document
        records.append(
            ecr.ImageRecord(
                digest=digest,
                tags=tags,
                media_type=manifest.media_type,
                artifact_media_type=ecr.artifact_media_type(document),
                size=ecr.manifest_size(document),
                pushed_at=registry.pushed_at(repository, digest),
                manifest=manifest.body.decode(),
            )
        )
    return sorted(records, key=lambda record: record.pushed_at)


def in_repository(operation: str) -> Callable[[RepositoryHandler], RepositoryHandler]:
    """Register an ECR interceptor that needs an existing repository; it gets the repository name."""

    def register(handler: RepositoryHandler) -> RepositoryHandler:
        @intercept("ecr", operation)
        def checked(req: Request) -> Response:
            name = req.params.get("repositoryName", "")
            missing = _repository_missing(req, name)
            return missing if missing is not None else handler(req, name)

        return handler

    return register


# repositories ----------------------------------------------------------------------


def _with_registry_uris(req: Request) -> Response:
    response = req.call_moto()
    if response.status_code >= 400:
        return response
    body = ecr.rewrite_repository_uris(json.loads(response.get_data() or b"{}"), _registry(req).host)
    return json_response(body, response.status_code)


@intercept("ecr", "CreateRepository")
def create_repository(req: Request) -> Response:
    """https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_CreateRepository.html"""
    return _with_registry_uris(req)


@intercept("ecr", "DescribeRepositories")
def describe_repositories(req: Request) -> Response:
    """https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_DescribeRepositories.html"""
    return _with_registry_uris(req)


@in_repository("DeleteRepository")
def delete_repository(req: Request, name: str) -> Response:
    """https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_DeleteRepository.html"""
    registry = _registry(req)
    records = collect_images(registry, name)
    if records and not req.params.get("force"):
        return aws_error(
            req,
            "RepositoryNotEmptyException",
            f"The repository with name '{name}' in registry with id '{req.account_id}' cannot be deleted because it still contains images",
        )
    response = _with_registry_uris(req)
    if response.status_code < 400:
        for record in records:
            registry.client.delete_manifest(name, record.digest)
        shutil.rmtree(registry.data_dir / "docker/registry/v2/repositories" / name, ignore_errors=True)
    return response


# authorization ----------------------------------------------------------------------


@intercept("ecr", "GetAuthorizationToken")
def get_authorization_token(req: Request) -> Response:
    """https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_GetAuthorizationToken.html"""
    registry = _registry(req)
    data = {
        "authorizationToken": ecr.authorization_token(registry.password),
        "expiresAt": time.time() + ecr.TOKEN_LIFETIME_SECONDS,
        "proxyEndpoint": f"http://{registry.host}",
    }
    return json_response({"authorizationData": [data]})


# images -----------------------------------------------------------------------------


@in_repository("DescribeImages")
def describe_images(req: Request, name: str) -> Response:
    """https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_DescribeImages.html"""
    records = collect_images(_registry(req), name)
    wanted = req.params.get("imageIds")
    if wanted:
        selected = []
        for image_id in wanted:
            record, _failure = ecr.find_image(records, image_id)
            if record is None:
                return aws_error(
                    req,
                    "ImageNotFoundException",
                    f"The image with imageId {ecr.image_id_text(image_id)} does not exist within the repository with name '{name}' in the registry with id '{req.account_id}'",
                )
            if record not in selected:
                selected.append(record)
        records = selected
    tag_status = (req.params.get("filter") or {}).get("tagStatus")
    details = [ecr.image_detail(r, name, req.account_id) for r in records if ecr.tag_status_matches(r, tag_status)]
    return json_response({"imageDetails": details})


@in_repository("ListImages")
def list_images(req: Request, name: str) -> Response:
    """https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_ListImages.html"""
    tag_status = (req.params.get("filter") or {}).get("tagStatus")
    return json_response({"imageIds": ecr.list_image_ids(collect_images(_registry(req), name), tag_status)})


@in_repository("BatchGetImage")
def batch_get_image(req: Request, name: str) -> Response:
    """https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_BatchGetImage.html"""
    records = collect_images(_registry(req), name)
    images, failures = [], []
    for image_id in req.params.get("imageIds") or []:
        record, code = ecr.find_image(records, image_id)
        if record is None:
            failures.append(ecr.failure(image_id, code or "ImageNotFound"))
        else:
            images.append(ecr.batch_image(record, image_id, name, req.account_id))
    return json_response({"images": images, "failures": failures})


@in_repository("BatchDeleteImage")
def batch_delete_image(req: Request, name: str) -> Response:
    """https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_BatchDeleteImage.html

    Deleting a tag of a manifest that has other tags only removes that tag, as ECR does.
    """
    registry = _registry(req)
    records = collect_images(registry, name)
    deleted, failures = [], []
    for image_id in req.params.get("imageIds") or []:
        record, code = ecr.find_image(records, image_id)
        if record is None:
            failures.append(ecr.failure(image_id, code or "ImageNotFound"))
            continue
        tag = image_id.get("imageTag")
        if tag and len(record.tags) > 1 and not image_id.get("imageDigest"):
            # The registry's API cannot untag; its storage keeps a tag as a directory.
            shutil.rmtree(registry.data_dir / "docker/registry/v2/repositories" / name / "_manifests/tags" / tag, ignore_errors=True)
            deleted.append({"imageDigest": record.digest, "imageTag": tag})
        else:
            registry.client.delete_manifest(name, record.digest)
            deleted.extend(ecr.image_ids(record))
        records = collect_images(registry, name)
    return json_response({"imageIds": deleted, "failures": failures})


@in_repository("PutImage")
def put_image(req: Request, name: str) -> Response:
    """https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_PutImage.html"""
    registry = _registry(req)
    manifest = req.params.get("imageManifest", "")
    media_type = ecr.manifest_media_type(manifest, req.params.get("imageManifestMediaType"))
    tag = req.params.get("imageTag")
    if tag:
        current = registry.client.manifest(name, tag)
        if current is not None and current.body == manifest.encode():
            return aws_error(
                req,
                "ImageAlreadyExistsException",
                f"Image with digest '{current.digest}' and tag '{tag}' already exists in the repository with name '{name}' in registry with id '{req.account_id}'",
            )
    reference = tag or req.params.get("imageDigest") or ""
    try:
        digest = registry.client.put_manifest(name, reference, manifest.encode(), media_type)
    except RegistryError as exc:
        return aws_error(req, "InvalidParameterException", f"Invalid parameter at 'imageManifest': {exc}")
    image_id = {"imageDigest": digest, **({"imageTag": tag} if tag else {})}
    image = {"registryId": req.account_id, "repositoryName": name, "imageId": image_id, "imageManifest": manifest, "imageManifestMediaType": media_type}
    return json_response({"image": image})
