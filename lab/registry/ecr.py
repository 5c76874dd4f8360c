"""ECR's answers built from what the registry holds. Pure functions: no I/O here."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any

DOCKER_V2 = "application/vnd.docker.distribution.manifest.v2+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
TOKEN_LIFETIME_SECONDS = 12 * 3600  # as ECR's GetAuthorizationToken


@dataclass(frozen=True)
class ImageRecord:
    """One manifest in a repository and the tags that point at it."""

    digest: str
    tags: tuple[str, ...]
    media_type: str
    artifact_media_type: str | None
    size: int
    pushed_at: float
    manifest: str


def authorization_token(password: str) -> str:
    """What ECR returns: base64 of ``AWS:<password>``."""
    return base64.b64encode(f"AWS:{password}".encode()).decode()


def rewrite_repository_uris(value: Any, registry_host: str) -> Any:
    """Every ``repositoryUri`` pointed at the lab's registry: ``<host>/<repository name>``."""
    if isinstance(value, dict):
        return {
            key: (
                f"{registry_host}/{item.split('/', 1)[1]}"
                if key == "repositoryUri" and isinstance(item, str) and "/" in item
                else rewrite_repository_uris(item, registry_host)
            )
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [rewrite_repository_uris(item, registry_host) for item in value]
    return value


def manifest_size(document: dict[str, Any]) -> int:
    """ECR's imageSizeInBytes: the sum of the (compressed) layer sizes; indexes sum their manifests."""
    layers = document.get("layers")
    if isinstance(layers, list):
        return sum(int(layer.get("size") or 0) for layer in layers)
    return sum(int(item.get("size") or 0) for item in document.get("manifests") or [])


def artifact_media_type(document: dict[str, Any]) -> str | None:
    config = document.get("config")
    return config.get("mediaType") if isinstance(config, dict) else None


def group_tags(tag_digests: dict[str, str], digests: list[str]) -> dict[str, tuple[str, ...]]:
    """digest -> its tags (sorted), including digests no tag points at."""
    grouped: dict[str, list[str]] = {digest: [] for digest in digests}
    for tag, digest in sorted(tag_digests.items()):
        grouped.setdefault(digest, []).append(tag)
    return {digest: tuple(tags) for digest, tags in grouped.items()}


def image_detail(record: ImageRecord, repository: str, registry_id: str) -> dict[str, Any]:
    detail: dict[str, Any] = {
        "registryId": registry_id,
        "repositoryName": repository,
        "imageDigest": record.digest,
        "imageSizeInBytes": record.size,
        "imagePushedAt": record.pushed_at,
        "imageManifestMediaType": record.media_type,
    }
    if record.tags:
        detail["imageTags"] = list(record.tags)
    if record.artifact_media_type:
        detail["artifactMediaType"] = record.artifact_media_type
    return detail


def tag_status_matches(record: ImageRecord, tag_status: str | None) -> bool:
    if tag_status == "TAGGED":
        return bool(record.tags)
    if tag_status == "UNTAGGED":
        return not record.tags
    return True


def find_image(records: list[ImageRecord], image_id: dict[str, Any]) -> tuple[ImageRecord | None, str | None]:
    """The record an imageId names, or a failure code (ECR's ImageFailureCode)."""
    tag, digest = image_id.get("imageTag"), image_id.get("imageDigest")
    if not tag and not digest:
        return None, "MissingDigestAndTag"
    by_tag = next((r for r in records if tag in r.tags), None) if tag else None
    by_digest = next((r for r in records if r.digest == digest), None) if digest else None
    if tag and digest:
        if by_tag is not None and by_digest is not None and by_tag is not by_digest:
            return None, "ImageTagDoesNotMatchDigest"
        found = by_tag if by_tag is not None and by_tag is by_digest else None
        return found, None if found else "ImageNotFound"
    found = by_tag or by_digest
    return found, None if found else "ImageNotFound"


def image_id_text(image_id: dict[str, Any]) -> str:
    """As ECR words it in ImageNotFoundException: ``{imageDigest:'null', imageTag:'v1'}``."""
    return f"{{imageDigest:'{image_id.get('imageDigest') or 'null'}', imageTag:'{image_id.get('imageTag') or 'null'}'}}"


def failure(image_id: dict[str, Any], code: str) -> dict[str, Any]:
    reasons = {
        "ImageNotFound": "Requested image not found",
        "ImageTagDoesNotMatchDigest": "Invalid image digest/tag combination",
        "MissingDigestAndTag": "Invalid request parameters: both tag and digest cannot be null",
    }
    return {"imageId": image_id, "failureCode": code, "failureReason": reasons.get(code, code)}


def batch_image(record: ImageRecord, image_id: dict[str, Any], repository: str, registry_id: str) -> dict[str, Any]:
    """One entry of BatchGetImage's ``images``: the manifest as pushed."""
    answered_id = {"imageDigest": record.digest}
    if image_id.get("imageTag"):
        answered_id["imageTag"] = image_id["imageTag"]
    return {
        "registryId": registry_id,
        "repositoryName": repository,
        "imageId": answered_id,
        "imageManifest": record.manifest,
        "imageManifestMediaType": record.media_type,
    }


def image_ids(record: ImageRecord) -> list[dict[str, str]]:
    """One imageId per tag, or the bare digest of an untagged manifest."""
    if not record.tags:
        return [{"imageDigest": record.digest}]
    return [{"imageDigest": record.digest, "imageTag": tag} for tag in record.tags]


def list_image_ids(records: list[ImageRecord], tag_status: str | None) -> list[dict[str, str]]:
    """ListImages: one id per tag, and one bare digest per untagged manifest."""
    ids: list[dict[str, str]] = []
    for record in records:
        if tag_status_matches(record, tag_status):
            ids.extend(image_ids(record))
    return ids


def manifest_media_type(manifest: str, given: str | None) -> str:
    """The manifest's media type: as given, as the document says, or guessed as ECR does from its shape."""
    if given:
        return given
    try:
        document = json.loads(manifest)
    except ValueError:
        return DOCKER_V2
    if document.get("mediaType"):
        return document["mediaType"]
    # OCI manifests may omit mediaType; their config (or an index's manifests) say OCI.
    if "manifests" in document:
        return OCI_INDEX
    if str(artifact_media_type(document) or "").startswith("application/vnd.oci."):
        return OCI_MANIFEST
    return DOCKER_V2
