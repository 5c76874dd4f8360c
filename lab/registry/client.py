"""A small client of the Docker Registry HTTP API V2 (the part ECR's image operations need)."""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any

# Every manifest type ECR stores; asked for together so the registry never converts.
MANIFEST_TYPES = (
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.v1+prettyjws",
)


class RegistryError(RuntimeError):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"registry answered {status}: {message}")
        self.status = status


@dataclass(frozen=True)
class Manifest:
    digest: str
    media_type: str
    body: bytes

    @property
    def document(self) -> dict[str, Any]:
        try:
            return json.loads(self.body)
        except ValueError:
            return {}


class RegistryClient:
    def __init__(self, base_url: str, username: str, password: str, timeout: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/")
        self._auth = "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()
        self.timeout = timeout

    def _request(self, method: str, path: str, headers: dict[str, str] | None = None, data: bytes | None = None) -> tuple[int, dict[str, str], bytes]:
        request = urllib.request.Request(f"{self.base_url}{path}", data=data, method=method, headers={"Authorization": self._auth, **(headers or {})})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as exc:
            return exc.code, dict(exc.headers), exc.read()

    def ping(self) -> bool:
        try:
            status, _headers, _body = self._request("GET", "/v2/")
        except OSError:
            return False
        return status == 200

    def tags(self, repository: str) -> list[str]:
        """Tags of a repository; none if the registry never saw it."""
        status, _headers, body = self._request("GET", f"/v2/{_quote(repository)}/tags/list")
        if status == 404:
            return []
        if status != 200:
            raise RegistryError(status, body.decode(errors="replace"))
        return sorted(json.loads(body).get("tags") or [])

    def manifest(self, repository: str, reference: str) -> Manifest | None:
        """The manifest of a tag or digest as pushed, or None."""
        status, headers, body = self._request("GET", f"/v2/{_quote(repository)}/manifests/{_quote(reference)}", {"Accept": ", ".join(MANIFEST_TYPES)})
        if status == 404:
            return None
        if status != 200:
            raise RegistryError(status, body.decode(errors="replace"))
        lower = {key.lower(): value for key, value in headers.items()}
        media_type = lower.get("content-type", "").split(";")[0] or json.loads(body).get("mediaType", "")
        return Manifest(lower.get("docker-content-digest", ""), media_type, body)

    def put_manifest(self, repository: str, reference: str, body: bytes, media_type: str) -> str:
        status, headers, answer = self._request("PUT", f"/v2/{_quote(repository)}/manifests/{_quote(reference)}", {"Content-Type": media_type}, body)
        if status not in (200, 201):
            raise RegistryError(status, answer.decode(errors="replace"))
        return {key.lower(): value for key, value in headers.items()}.get("docker-content-digest", "")

    def delete_manifest(self, repository: str, digest: str) -> bool:
        status, _headers, answer = self._request("DELETE", f"/v2/{_quote(repository)}/manifests/{_quote(digest)}")
        if status == 404:
            return False
        if status != 202:
            raise RegistryError(status, answer.decode(errors="replace"))
        return True


def _quote(text: str) -> str:
    return urllib.parse.quote(text, safe="/:")
