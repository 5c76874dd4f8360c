"""ECR shapes built from registry contents (pure functions, table-driven)."""

from __future__ import annotations

import base64
import json
import re
import subprocess

import bcrypt
import pytest

from lab.config import LabConfig
from lab.elb.render import Paths
from lab.registry import ecr, gate
from lab.registry.process import dropin_path, htpasswd_line, render_config, render_dropin

A = ecr.ImageRecord("sha256:aaa", ("v1", "latest"), ecr.OCI_MANIFEST, "application/vnd.oci.image.config.v1+json", 10, 1.0, "{}")
B = ecr.ImageRecord("sha256:bbb", ("v2",), ecr.DOCKER_V2, None, 20, 2.0, "{}")
U = ecr.ImageRecord("sha256:ccc", (), ecr.DOCKER_V2, None, 30, 3.0, "{}")
RECORDS = [A, B, U]


def test_authorization_token_decodes_to_aws_and_the_password() -> None:
    """https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_GetAuthorizationToken.html"""
    assert base64.b64decode(ecr.authorization_token("s3cret")).decode() == "AWS:s3cret"


def test_repository_uris_point_at_the_registry() -> None:
    body = {"repositories": [{"repositoryUri": "123456789012.dkr.ecr.us-east-1.amazonaws.com/team/app", "registryId": "123456789012"}]}
    assert ecr.rewrite_repository_uris(body, "127.0.0.1:5000") == {"repositories": [{"repositoryUri": "127.0.0.1:5000/team/app", "registryId": "123456789012"}]}


@pytest.mark.parametrize(
    ("document", "size"),
    [
        ({"layers": [{"size": 5}, {"size": 7}], "config": {"size": 100}}, 12),
        ({"manifests": [{"size": 3}, {"size": 4}]}, 7),
        ({}, 0),
    ],
)
def test_manifest_size_is_the_sum_of_layers(document: dict, size: int) -> None:
    assert ecr.manifest_size(document) == size


def test_group_tags_keeps_untagged_digests() -> None:
    grouped = ecr.group_tags({"v1": "sha256:a", "latest": "sha256:a", "v2": "sha256:b"}, ["sha256:a", "sha256:b", "sha256:c"])
    assert grouped == {"sha256:a": ("latest", "v1"), "sha256:b": ("v2",), "sha256:c": ()}


@pytest.mark.parametrize(
    ("image_id", "found", "failure"),
    [
        ({"imageTag": "v1"}, A, None),
        ({"imageDigest": "sha256:ccc"}, U, None),
        ({"imageTag": "v2", "imageDigest": "sha256:bbb"}, B, None),
        ({"imageTag": "v2", "imageDigest": "sha256:aaa"}, None, "ImageTagDoesNotMatchDigest"),
        ({"imageTag": "nope"}, None, "ImageNotFound"),
        ({"imageTag": "nope", "imageDigest": "sha256:aaa"}, None, "ImageNotFound"),
        ({}, None, "MissingDigestAndTag"),
    ],
)
def test_find_image(image_id: dict, found: ecr.ImageRecord | None, failure: str | None) -> None:
    """https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_ImageFailure.html"""
    assert ecr.find_image(RECORDS, image_id) == (found, failure)


@pytest.mark.parametrize(
    ("tag_status", "expected"),
    [
        (None, [("sha256:aaa", "v1"), ("sha256:aaa", "latest"), ("sha256:bbb", "v2"), ("sha256:ccc", None)]),
        ("ANY", [("sha256:aaa", "v1"), ("sha256:aaa", "latest"), ("sha256:bbb", "v2"), ("sha256:ccc", None)]),
        ("TAGGED", [("sha256:aaa", "v1"), ("sha256:aaa", "latest"), ("sha256:bbb", "v2")]),
        ("UNTAGGED", [("sha256:ccc", None)]),
    ],
)
def test_list_image_ids(tag_status: str | None, expected: list) -> None:
    """https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_ListImages.html"""
    assert [(i["imageDigest"], i.get("imageTag")) for i in ecr.list_image_ids(RECORDS, tag_status)] == expected


def test_image_detail_shape() -> None:
    """https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_ImageDetail.html"""
    assert ecr.image_detail(A, "app", "123456789012") == {
        "registryId": "123456789012",
        "repositoryName": "app",
        "imageDigest": "sha256:aaa",
        "imageTags": ["v1", "latest"],
        "imageSizeInBytes": 10,
        "imagePushedAt": 1.0,
        "imageManifestMediaType": ecr.OCI_MANIFEST,
        "artifactMediaType": "application/vnd.oci.image.config.v1+json",
    }
    assert "imageTags" not in ecr.image_detail(U, "app", "1")


@pytest.mark.parametrize(
    ("manifest", "given", "expected"),
    [
        (json.dumps({"schemaVersion": 2, "config": {"mediaType": "application/vnd.oci.image.config.v1+json"}}), None, ecr.OCI_MANIFEST),
        (json.dumps({"schemaVersion": 2, "mediaType": ecr.DOCKER_V2}), None, ecr.DOCKER_V2),
        (json.dumps({"schemaVersion": 2, "manifests": []}), None, ecr.OCI_INDEX),
        ("{}", "application/x-given", "application/x-given"),
        ("not json", None, ecr.DOCKER_V2),
    ],
)
def test_manifest_media_type(manifest: str, given: str | None, expected: str) -> None:
    assert ecr.manifest_media_type(manifest, given) == expected


def test_batch_image_answers_with_the_asked_tag() -> None:
    """https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_BatchGetImage.html"""
    image = ecr.batch_image(A, {"imageTag": "latest"}, "app", "1")
    assert image["imageId"] == {"imageDigest": "sha256:aaa", "imageTag": "latest"}
    assert image["imageManifest"] == "{}"


def test_registry_config_and_dropin(tmp_path) -> None:
    config = LabConfig.from_env({"LAB_DIR": str(tmp_path), "LAB_REGISTRY_PORT": "5123"})
    text = render_config(config, "secret", "127.0.0.1:41234")
    assert "addr: 127.0.0.1:41234" in text and "htpasswd" in text and f"rootdirectory: {tmp_path}/registry/data" in text
    assert 'location = "127.0.0.1:5123"' in render_dropin(config.registry_host) and "insecure = true" in render_dropin(config.registry_host)
    assert dropin_path(config).name == "50-cutover-lab-5123.conf"
    assert dropin_path(LabConfig.from_env({"LAB_DIR": str(tmp_path)})).name == "50-cutover-lab.conf"


def test_htpasswd_line_is_a_bcrypt_hash_of_the_password() -> None:
    """docker-registry's htpasswd auth takes bcrypt entries only (distribution's docs, auth.htpasswd);
    made with the bcrypt package, not the crypt module Python 3.13 removed."""
    user, hashed = htpasswd_line("AWS", "s3cret-pass").rstrip("\n").split(":", 1)
    assert user == "AWS" and hashed.startswith("$2b$05$")
    assert bcrypt.checkpw(b"s3cret-pass", hashed.encode()) and not bcrypt.checkpw(b"other", hashed.encode())


def test_gate_config_refuses_unknown_repositories_and_haproxy_accepts_it(tmp_path) -> None:
    """The gate (lab/registry/gate.py) in front of docker-registry: a repository path whose name is not
    in the map gets ECR's NAME_UNKNOWN; ``haproxy -c`` takes the config (the Debian binary)."""
    paths = Paths(tmp_path / "gate", tmp_path, socket_prefix="registry-")
    map_file = paths.maps / "repositories.map"
    text = gate.render_config("127.0.0.1:5123", "127.0.0.1:41234", paths, map_file, "123456789012")
    assert "bind 127.0.0.1:5123" in text and "server registry 127.0.0.1:41234" in text
    assert f"map({map_file})" in text and str(tmp_path / "registry-admin.sock") in text
    assert gate.render_map(["b", "team/a", "b"]) == "b 1\nteam/a 1\n"
    map_file.parent.mkdir(parents=True)
    map_file.write_text(gate.render_map(["web"]))
    config = tmp_path / "gate.cfg"
    config.write_text(text)
    checked = subprocess.run(["haproxy", "-c", "-f", str(config)], capture_output=True, text=True, timeout=30)
    assert checked.returncode == 0, checked.stdout + checked.stderr


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("/v2/web/blobs/uploads/", "web"),
        ("/v2/team/web/manifests/v1", "team/web"),
        ("/v2/a/b/c/tags/list", "a/b/c"),
        ("/v2/web/blobs/sha256:abc", "web"),
        ("/v2/", None),
        ("/v2/_catalog", None),
    ],
)
def test_repository_path_names_the_repository(path: str, name: str | None) -> None:
    """The distribution API's repository paths, as the gate's regex reads them."""
    found = re.match(gate.REPOSITORY_PATH, path)
    assert (found.group(1) if found else None) == name


def test_not_found_body_is_ecr_json_with_the_name_left_to_haproxy() -> None:
    body = gate.not_found_body("123456789012")
    assert json.loads(body.replace("%[var(txn.repository)]", "web")) == {
        "errors": [{"code": "NAME_UNKNOWN", "message": "The repository with name 'web' does not exist in the registry with id '123456789012'"}]
    }
