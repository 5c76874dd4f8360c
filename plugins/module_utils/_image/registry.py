# Copyright: cutover.ecs contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Asks a registry (Docker Registry HTTP API v2) whether a tag exists.

Used when O(registry) points the module at a registry that ECR's DescribeImages
does not see. ECR itself speaks the same API with the same basic credentials.
"""

from __future__ import annotations

from typing import Optional
from urllib.error import HTTPError, URLError

from ansible.module_utils.urls import open_url

from ansible_collections.cutover.ecs.plugins.module_utils._ecr.plan import Credentials, is_loopback_registry
from ansible_collections.cutover.ecs.plugins.module_utils._errors import CutoverError
from ansible_collections.cutover.ecs.plugins.module_utils._image.commands import scrub

MANIFEST_TYPES = ", ".join(
    (
        "application/vnd.docker.distribution.manifest.v2+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.oci.image.index.v1+json",
    )
)
TIMEOUT = 30


def manifest_url(scheme: str, host: str, repository: str, tag: str) -> str:
    return f"{scheme}://{host}/v2/{repository}/manifests/{tag}"


def _head(url: str, credentials: Credentials, tls_verify: bool, loopback: bool) -> Optional[str]:
    try:
        response = open_url(
            url,
            method="HEAD",
            headers={"Accept": MANIFEST_TYPES},
            url_username=credentials.username,
            url_password=credentials.password,
            force_basic_auth=True,
            validate_certs=tls_verify,
            use_proxy=not loopback,
            use_netrc=False,
            timeout=TIMEOUT,
        )
    except HTTPError as exc:
        if exc.code == 404:
            return None
        if exc.code in (401, 403):
            raise CutoverError(f"The registry refused the ECR credentials ({exc.code}) at {url}; check the registry option and the endpoint") from None
        raise CutoverError(f"The registry answered {exc.code} to {url}") from None
    return response.headers.get("Docker-Content-Digest") or "unknown"


def manifest_digest(host: str, repository: str, tag: str, credentials: Credentials, tls_verify: bool) -> Optional[str]:
    """The digest of ``repository:tag`` on the registry at ``host``, or None when the tag is not there.

    Without TLS verification it tries HTTPS and falls back to plain HTTP, as the builders do.
    """
    loopback = is_loopback_registry(host)
    schemes = ("https",) if tls_verify else ("https", "http")
    last_error = ""
    for scheme in schemes:
        url = manifest_url(scheme, host, repository, tag)
        try:
            return _head(url, credentials, tls_verify, loopback)
        except URLError as exc:
            last_error = scrub(str(exc.reason), credentials.secrets)
        except OSError as exc:  # TLS errors and resets that urllib does not wrap
            last_error = scrub(str(exc), credentials.secrets)
    raise CutoverError(f"Cannot reach the registry {host} to look for tag {tag}: {last_error}")
