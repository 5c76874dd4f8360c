"""The registry's front door: HAProxy on the registry's address, docker-registry behind it.

docker-registry makes a repository on its first push; ECR does not. A push or pull naming a
repository ECR does not know gets, from ECR, HTTP 404 with the registry API's ``NAME_UNKNOWN``
("The repository with name 'x' does not exist in the registry with id '123456789012'"). The gate
answers the same for every ``/v2/<name>/blobs|manifests|tags/...`` request whose ``<name>`` is not
in its map of the repositories moto holds. The map changes through HAProxy's runtime API when
CreateRepository or DeleteRepository has answered (``intercept.py``), so a push right after
CreateRepository finds its repository. Requests without credentials pass to docker-registry, which
asks for them (401), as ECR does before it looks at the name. Blobs stream through HAProxy.

Pure rendering here; the process is ``lab.elb.process.HAProxyProcess``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from lab.elb.render import Paths, check_path_usable, process_global

# /v2/<name>/blobs/..., /v2/<name>/manifests/<reference>, /v2/<name>/tags/list (distribution spec);
# a name has path components of its own ("team/web").
REPOSITORY_PATH = r"^/v2/(.+)/(blobs|manifests|tags)/"


def not_found_body(account_id: str) -> str:
    """ECR's answer for an unknown repository, with HAProxy's log-format for the name."""
    message = f"The repository with name '%[var(txn.repository)]' does not exist in the registry with id '{account_id}'"
    return json.dumps({"errors": [{"code": "NAME_UNKNOWN", "message": message}]})


def render_map(repositories: Iterable[str]) -> str:
    """One line per repository name (HAProxy map: key, value)."""
    return "".join(f"{name} 1\n" for name in sorted(set(repositories)))


def render_config(public_host: str, upstream_host: str, paths: Paths, map_file: Path, account_id: str) -> str:
    check_path_usable(paths.admin_socket)
    check_path_usable(map_file, socket=False)
    body = not_found_body(account_id).replace("\\", "\\\\").replace('"', '\\"')
    return "\n".join(
        [
            *process_global(paths),
            "",
            "defaults",
            "  mode http",
            "  timeout connect 5s",
            # a layer of a large image uploads in one request
            "  timeout client 10m",
            "  timeout server 10m",
            "  timeout http-request 60s",
            "",
            "frontend registry",
            f"  bind {public_host}",
            f"  acl repository_path path_reg {REPOSITORY_PATH}",
            "  acl signed_in req.hdr(authorization) -m found",
            # double quotes keep the single-quoted regex one argument; no "$" (HAProxy expands it in double quotes)
            f"  http-request set-var(txn.repository) \"path,regsub('{REPOSITORY_PATH}.*','\\\\1')\" if repository_path",
            f"  acl known var(txn.repository),map({map_file}) -m found",
            f'  http-request return status 404 content-type application/json lf-string "{body}" if repository_path signed_in !known',
            "  default_backend registry",
            "",
            "backend registry",
            f"  server registry {upstream_host}",
            "",
        ]
    )
