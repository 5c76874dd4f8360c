"""ECR on the lab's real registry: login with GetAuthorizationToken, push with podman, see it through the ECR API."""

from __future__ import annotations

import base64
import hashlib
import json
import subprocess
import uuid
from pathlib import Path

import pytest
import requests
from botocore.exceptions import ClientError

REPOSITORY = "lab-test/app"


def podman(*args: str, stdin: str | None = None, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["podman", *args], input=stdin, capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def pushed(lab, tiny_image: str, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """A repository with the tiny image pushed as :v1 after a login with ECR's token."""
    ecr = lab.client("ecr")
    repository = ecr.create_repository(repositoryName=REPOSITORY)["repository"]
    token = ecr.get_authorization_token()["authorizationData"][0]
    user, password = base64.b64decode(token["authorizationToken"]).decode().split(":", 1)
    work = tmp_path_factory.mktemp("push")
    authfile = str(work / "auth.json")
    login = podman("login", "--authfile", authfile, "-u", user, "--password-stdin", lab.registry_host, stdin=password)
    assert login.returncode == 0, login.stderr
    digestfile = work / "digest"
    push = podman("push", "--authfile", authfile, "--digestfile", str(digestfile), tiny_image, f"{repository['repositoryUri']}:v1")
    assert push.returncode == 0, push.stderr
    return {
        "repository": repository,
        "token": token,
        "user": user,
        "password": password,
        "authfile": authfile,
        "digest": Path(digestfile).read_text().strip(),
        "work": work,
    }


def test_repository_uri_points_at_the_registry(lab, pushed) -> None:
    """https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_CreateRepository.html"""
    repository = pushed["repository"]
    assert repository["repositoryUri"] == f"{lab.registry_host}/{REPOSITORY}"
    assert repository["registryId"] == "123456789012"
    described = lab.client("ecr").describe_repositories(repositoryNames=[REPOSITORY])["repositories"][0]
    assert described["repositoryUri"] == repository["repositoryUri"]


def test_authorization_token_logs_in_and_a_wrong_one_does_not(lab, pushed) -> None:
    """https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_GetAuthorizationToken.html"""
    token = pushed["token"]
    assert pushed["user"] == "AWS"
    assert token["proxyEndpoint"] == f"http://{lab.registry_host}"
    assert token["expiresAt"].timestamp() > 0
    wrong = podman("login", "--authfile", str(pushed["work"] / "wrong.json"), "-u", "AWS", "--password-stdin", lab.registry_host, stdin="not-the-password")
    assert wrong.returncode != 0


def test_describe_images_shows_the_pushed_tag_and_digest(lab, pushed) -> None:
    """https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_DescribeImages.html"""
    details = lab.client("ecr").describe_images(repositoryName=REPOSITORY)["imageDetails"]
    assert [(d["imageDigest"], d["imageTags"]) for d in details] == [(pushed["digest"], ["v1"])]
    assert details[0]["imageSizeInBytes"] > 0
    assert details[0]["registryId"] == "123456789012"
    by_tag = lab.client("ecr").describe_images(repositoryName=REPOSITORY, imageIds=[{"imageTag": "v1"}])["imageDetails"]
    assert by_tag[0]["imageDigest"] == pushed["digest"]


def test_batch_get_image_returns_the_manifest_as_pushed(lab, pushed) -> None:
    """https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_BatchGetImage.html"""
    answer = lab.client("ecr").batch_get_image(repositoryName=REPOSITORY, imageIds=[{"imageTag": "v1"}, {"imageTag": "missing"}])
    image = answer["images"][0]
    assert image["imageId"] == {"imageDigest": pushed["digest"], "imageTag": "v1"}
    assert "sha256:" + hashlib.sha256(image["imageManifest"].encode()).hexdigest() == pushed["digest"]
    assert answer["failures"] == [{"imageId": {"imageTag": "missing"}, "failureCode": "ImageNotFound", "failureReason": "Requested image not found"}]


def test_list_images(lab, pushed) -> None:
    """https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_ListImages.html"""
    ids = lab.client("ecr").list_images(repositoryName=REPOSITORY)["imageIds"]
    assert ids == [{"imageDigest": pushed["digest"], "imageTag": "v1"}]


def test_put_image_retags_and_batch_delete_untags(lab, pushed) -> None:
    """https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_PutImage.html and API_BatchDeleteImage.html"""
    ecr = lab.client("ecr")
    manifest = ecr.batch_get_image(repositoryName=REPOSITORY, imageIds=[{"imageTag": "v1"}])["images"][0]["imageManifest"]
    put = ecr.put_image(repositoryName=REPOSITORY, imageManifest=manifest, imageTag="release")["image"]
    assert put["imageId"] == {"imageDigest": pushed["digest"], "imageTag": "release"}
    assert ecr.describe_images(repositoryName=REPOSITORY)["imageDetails"][0]["imageTags"] == ["release", "v1"]
    with pytest.raises(ClientError) as caught:
        ecr.put_image(repositoryName=REPOSITORY, imageManifest=manifest, imageTag="release")
    assert caught.value.response["Error"]["Code"] == "ImageAlreadyExistsException"
    deleted = ecr.batch_delete_image(repositoryName=REPOSITORY, imageIds=[{"imageTag": "release"}])
    assert deleted["imageIds"] == [{"imageDigest": pushed["digest"], "imageTag": "release"}]
    assert ecr.describe_images(repositoryName=REPOSITORY)["imageDetails"][0]["imageTags"] == ["v1"]


def test_pull_through_the_repository_uri(lab, pushed) -> None:
    """https://docs.aws.amazon.com/AmazonECR/latest/userguide/docker-pull-ecr-image.html"""
    pull = podman("pull", "--authfile", pushed["authfile"], f"{pushed['repository']['repositoryUri']}:v1")
    assert pull.returncode == 0, pull.stderr
    reference = f"{pushed['repository']['repositoryUri']}:v1"
    podman("untag", reference, reference)  # only this name: the image is the session's tiny image


def test_image_and_repository_errors(lab, pushed) -> None:
    """https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_DescribeImages.html (Errors)"""
    ecr = lab.client("ecr", retries=0)
    with pytest.raises(ClientError) as caught:
        ecr.describe_images(repositoryName=REPOSITORY, imageIds=[{"imageTag": "nope"}])
    assert caught.value.response["Error"]["Code"] == "ImageNotFoundException"
    with pytest.raises(ClientError) as caught:
        ecr.describe_images(repositoryName="no-such-repo")
    assert caught.value.response["Error"]["Code"] == "RepositoryNotFoundException"
    with pytest.raises(ClientError) as caught:
        ecr.delete_repository(repositoryName=REPOSITORY)
    assert caught.value.response["Error"]["Code"] == "RepositoryNotEmptyException"


def test_untagged_images_are_listed_as_digests(lab, tiny_image, pushed) -> None:
    """https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_DescribeImagesFilter.html (tagStatus UNTAGGED)"""
    ecr = lab.client("ecr")
    ecr.create_repository(repositoryName="lab-test/untagged")
    uri = f"{lab.registry_host}/lab-test/untagged"
    digestfile = pushed["work"] / "untagged-digest"
    assert podman("push", "--authfile", pushed["authfile"], "--digestfile", str(digestfile), tiny_image, f"{uri}:temp").returncode == 0
    digest = digestfile.read_text().strip()
    # Point the only tag at another manifest (same config, no layers): the pushed one stays, untagged.
    document = json.loads(ecr.batch_get_image(repositoryName="lab-test/untagged", imageIds=[{"imageTag": "temp"}])["images"][0]["imageManifest"])
    document["layers"] = []
    ecr.put_image(repositoryName="lab-test/untagged", imageManifest=json.dumps(document), imageTag="temp")
    untagged = ecr.describe_images(repositoryName="lab-test/untagged", filter={"tagStatus": "UNTAGGED"})["imageDetails"]
    assert [d["imageDigest"] for d in untagged] == [digest]
    assert "imageTags" not in untagged[0]
    assert ecr.list_images(repositoryName="lab-test/untagged", filter={"tagStatus": "UNTAGGED"})["imageIds"] == [{"imageDigest": digest}]
    ecr.delete_repository(repositoryName="lab-test/untagged", force=True)
    with pytest.raises(ClientError):
        ecr.describe_images(repositoryName="lab-test/untagged")


def test_push_to_a_repository_ecr_does_not_know_is_refused(lab, tiny_image, pushed) -> None:
    """ECR refuses a push to a repository that does not exist (it does not create one, unlike a plain
    registry): HTTP 404 NAME_UNKNOWN, "The repository with name '<name>' does not exist in the registry
    with id '<account>'" (docker-push-ecr-image.html: "The repository must exist"). Once CreateRepository
    has answered, the push goes through at once; after DeleteRepository it is refused again."""
    name = f"not-in-ecr/{uuid.uuid4().hex[:8]}"
    refused = podman("push", "--authfile", pushed["authfile"], tiny_image, f"{lab.registry_host}/{name}:v1")
    assert refused.returncode != 0 and "name unknown" in refused.stderr.lower(), refused.stderr
    auth = (pushed["user"], pushed["password"])
    upload = f"http://{lab.registry_host}/v2/{name}/blobs/uploads/"
    answer = requests.post(upload, auth=auth, timeout=10)
    assert answer.status_code == 404
    message = f"The repository with name '{name}' does not exist in the registry with id '123456789012'"
    assert answer.json() == {"errors": [{"code": "NAME_UNKNOWN", "message": message}]}
    assert requests.post(upload, timeout=10).status_code == 401  # no credentials: asked for them first
    ecr = lab.client("ecr")
    uri = ecr.create_repository(repositoryName=name)["repository"]["repositoryUri"]
    accepted = podman("push", "--authfile", pushed["authfile"], tiny_image, f"{uri}:v1")
    assert accepted.returncode == 0, accepted.stderr
    assert [i["imageTags"] for i in ecr.describe_images(repositoryName=name)["imageDetails"]] == [["v1"]]
    ecr.delete_repository(repositoryName=name, force=True)
    assert requests.post(upload, auth=auth, timeout=10).status_code == 404
