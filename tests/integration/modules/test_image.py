"""cutover.ecs.image with real podman against a real registry (Debian's docker-registry on loopback).

ECR (repositories, GetAuthorizationToken, DescribeImages) is moto, counted. moto's
repositoryUri points at amazonaws.com, so most tests use the module's
``registry`` option. The registry runs with htpasswd auth for moto's token
(``AWS:123456789012-auth-token``), so the module's login is really checked.

A ``podman`` wrapper first on PATH records every podman command line: that is
how the tests see "no build" and "no password on a command line".
"""

from __future__ import annotations

import base64
import copy
import json
import os
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import boto3
import pytest
import requests
from moto_counting_server import mutating_calls

from lab.registry.process import htpasswd_line

REPO = Path(__file__).resolve().parents[3]
# moto's GetAuthorizationToken password for its default account.
MOTO_PASSWORD = "123456789012-auth-token"
MOTO_TOKEN = base64.b64encode(f"AWS:{MOTO_PASSWORD}".encode()).decode()
PODMAN_RUN = ["podman", "run", "--runtime", "runc", "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024"]
BUILDERS = ("podman", "buildah", "docker")
WAIT = 30.0  # bound on waiting for a server to answer; never asserted as a speed

pytestmark = pytest.mark.skipif(shutil.which("podman") is None or shutil.which("docker-registry") is None, reason="needs podman and docker-registry")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(probe, what: str, timeout: float = WAIT):
    """Poll ``probe`` (bounded in time and count) until it returns something truthy."""
    deadline = time.monotonic() + timeout
    for _ in range(int(timeout / 0.1) + 1):
        try:
            value = probe()
        except (OSError, requests.RequestException):
            value = None
        if value:
            return value
        if time.monotonic() > deadline:
            break
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


# --- a registry of our own ------------------------------------------------------------------


class LocalRegistry:
    """docker-registry on 127.0.0.1 and a free port, htpasswd user AWS, config in a temp dir."""

    def __init__(self, workdir: Path, username: str = "AWS", password: str = MOTO_PASSWORD) -> None:
        self.workdir = workdir
        self.auth = (username, password)
        self.port = free_port()
        self.host = f"127.0.0.1:{self.port}"
        self.proc: Optional[subprocess.Popen] = None
        (workdir / "htpasswd").write_text(htpasswd_line(username, password))
        (workdir / "config.yml").write_text(
            "version: 0.1\n"
            "log:\n  level: warn\n"
            f"storage:\n  filesystem:\n    rootdirectory: {workdir / 'data'}\n  delete:\n    enabled: true\n"
            f"http:\n  addr: {self.host}\n  secret: cutover-image-tests\n"
            f"auth:\n  htpasswd:\n    realm: cutover-tests\n    path: {workdir / 'htpasswd'}\n"
        )

    def start(self) -> LocalRegistry:
        log = open(self.workdir / "registry.log", "wb")  # noqa: SIM115 (kept open for the child's lifetime)
        self.proc = subprocess.Popen(
            ["docker-registry", "serve", str(self.workdir / "config.yml")], stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
        )
        log.close()
        wait_until(
            lambda: self.proc.poll() is None and requests.get(f"http://{self.host}/v2/", timeout=2).status_code == 401, f"docker-registry on {self.host}"
        )
        return self

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)

    def digest(self, repository: str, tag: str) -> Optional[str]:
        response = requests.head(
            f"http://{self.host}/v2/{repository}/manifests/{tag}",
            auth=self.auth,
            headers={"Accept": "application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json"},
            timeout=10,
        )
        if response.status_code == 404:
            return None
        response.raise_for_status()
        return response.headers["Docker-Content-Digest"]


@pytest.fixture(scope="session")
def registry(tmp_path_factory) -> Iterator[LocalRegistry]:
    server = LocalRegistry(tmp_path_factory.mktemp("registry")).start()
    yield server
    server.stop()


# --- a git checkout of the service ----------------------------------------------------------


def git(repo: Path, *args: str) -> str:
    identity = ["-c", "user.name=tests", "-c", "user.email=tests@example.com", "-c", "commit.gpgsign=false"]
    return subprocess.run(["git", *identity, "-C", str(repo), *args], check=True, capture_output=True, text=True).stdout.strip()


def service_checkout(root: Path) -> Path:
    """service/ copied into a fresh git repository and committed; returns the service directory."""
    root.mkdir(parents=True)
    (root / ".gitignore").write_text("__pycache__/\n.pytest_cache/\n")
    shutil.copytree(REPO / "service", root / "service", symlinks=True, ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache"))
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "service")
    return root / "service"


@pytest.fixture
def checkout(tmp_path) -> Path:
    return service_checkout(tmp_path / "checkout")


# --- running the module with a recording podman -----------------------------------------------


@dataclass
class Recorder:
    """A directory put first on PATH whose ``podman`` logs its arguments, then runs the real one."""

    bin_dir: Path
    log: Path

    def commands(self) -> list[list[str]]:
        if not self.log.exists():
            return []
        return [line.split("\x1f")[:-1] for line in self.log.read_text().splitlines()]

    def subcommands(self) -> list[str]:
        return [next((arg for arg in argv if not arg.startswith("-")), "") for argv in self.commands()]

    def clear(self) -> None:
        self.log.unlink(missing_ok=True)


@pytest.fixture
def recorder(tmp_path) -> Recorder:
    bin_dir = tmp_path / "recording-bin"
    bin_dir.mkdir()
    log = tmp_path / "podman-argv.log"
    real = shutil.which("podman")
    wrapper = bin_dir / "podman"
    # Arguments only, separated by \x1f; stdin (where the password travels) is passed through untouched.
    wrapper.write_text(f'#!/bin/sh\nfor arg in "$@"; do printf "%s\\037" "$arg" >> "{log}"; done\necho >> "{log}"\nexec "{real}" "$@"\n')
    wrapper.chmod(0o755)
    return Recorder(bin_dir, log)


def runner_with(run_module, **env: str):
    runner = copy.copy(run_module)
    runner.env = {**run_module.env, **env}
    return runner


@pytest.fixture
def run_image(run_module, recorder):
    runner = runner_with(run_module, PATH=f"{recorder.bin_dir}{os.pathsep}{os.environ['PATH']}")

    def run(args: dict, check: bool = False, diff: bool = False):
        result, calls = runner("image", args, check=check, diff=diff)
        # Wherever the run went, the registry password never shows up in its result.
        text = json.dumps(result)
        assert MOTO_PASSWORD not in text and MOTO_TOKEN not in text, "registry password in the module result"
        return result, calls

    return run


@pytest.fixture
def cleanup_images() -> Iterator[list[str]]:
    """Local images the test makes, removed afterwards by reference."""
    images: list[str] = []
    yield images
    for image in images:
        subprocess.run(["podman", "rmi", "--force", image], capture_output=True, check=False)


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def local_image_exists(image: str) -> bool:
    return subprocess.run(["podman", "image", "exists", image], check=False).returncode == 0


# --- tests -------------------------------------------------------------------------------------


def test_image_lifecycle(run_image, registry, base_image, checkout, recorder, cleanup_images):
    repository = unique("it-image/web")
    commit = git(checkout.parent, "rev-parse", "HEAD")
    tag = commit[:12]
    image = f"{registry.host}/{repository}:{tag}"
    cleanup_images.append(image)
    args = dict(repository=repository, context=str(checkout), registry=registry.host, build_args={"BASE_IMAGE": base_image, "VERSION": "5"})

    # Check mode: the prediction, and nothing built, pushed or created.
    result, calls = run_image(args, check=True, diff=True)
    assert result.get("failed") is not True, result
    assert result["changed"] is True
    assert (result["built"], result["pushed"], result["builder"]) == (True, True, "podman")
    assert (result["image_uri"], result["tag"], result["commit"], result["dirty"]) == (image, tag, commit, False)
    assert result["digest"] is None
    assert result["repository"]["repository_name"] == repository
    assert result["diff"] == {"before": {"image_uri": None, "digest": None}, "after": {"image_uri": image, "digest": None}}
    assert mutating_calls(calls) == []
    assert "build" not in recorder.subcommands() and "push" not in recorder.subcommands()
    assert registry.digest(repository, tag) is None

    # Apply: repository created, logged in on stdin, built, pushed.
    recorder.clear()
    result, calls = run_image(args)
    assert result.get("failed") is not True, result
    assert result["changed"] is True
    assert (result["built"], result["pushed"]) == (True, True)
    assert result["image_uri"] == image
    assert result["repository_uri"] == f"{registry.host}/{repository}"
    assert result["digest"] == registry.digest(repository, tag) is not None
    assert mutating_calls(calls) == ["ecr:CreateRepository"]
    assert recorder.subcommands() == ["info", "login", "build", "push"]
    login = recorder.commands()[1]
    assert "--password-stdin" in login
    for argv in recorder.commands():
        assert MOTO_PASSWORD not in " ".join(argv) and MOTO_TOKEN not in " ".join(argv), argv
    # The token went to a temporary auth file that is gone now.
    authfile = Path(login[login.index("--authfile") + 1])
    assert not authfile.parent.exists()
    # The commit went in as a build arg.
    build = recorder.commands()[2]
    assert f"GIT_COMMIT={commit}" in build and "VERSION=5" in build

    # Re-run: the tag is in the registry, so nothing at all happens.
    recorder.clear()
    result, calls = run_image(args, diff=True)
    assert result["changed"] is False, result
    assert (result["built"], result["pushed"], result["builder"]) == (False, False, None)
    assert result["digest"] == registry.digest(repository, tag)
    assert result["diff"]["before"] == result["diff"]["after"]
    assert mutating_calls(calls) == []
    assert recorder.commands() == []  # not even a probe

    # Check mode of the re-run agrees.
    result, calls = run_image(args, check=True)
    assert result["changed"] is False
    assert mutating_calls(calls) == []

    # force rebuilds and pushes the same tag.
    recorder.clear()
    result, calls = run_image(dict(args, force=True))
    assert result["changed"] is True
    assert (result["built"], result["pushed"]) == (True, True)
    assert "build" in recorder.subcommands() and "push" in recorder.subcommands()
    assert mutating_calls(calls) == []  # the repository exists already


def test_container_of_the_pushed_image_answers(run_image, registry, base_image, checkout, cleanup_images, tmp_path):
    repository = unique("it-image/run")
    result, _calls = run_image(
        dict(repository=repository, context=str(checkout), registry=registry.host, build_args={"BASE_IMAGE": base_image, "VERSION": "9"})
    )
    assert result.get("failed") is not True, result
    image = result["image_uri"]
    cleanup_images.append(image)

    # Run what the registry holds, not what the build left behind.
    subprocess.run(["podman", "rmi", image], check=True, capture_output=True)
    authfile = tmp_path / "pull-auth.json"
    subprocess.run(
        ["podman", "login", "--authfile", str(authfile), "--tls-verify=false", "--username", "AWS", "--password-stdin", registry.host],
        input=MOTO_PASSWORD,
        text=True,
        check=True,
        capture_output=True,
    )
    subprocess.run(["podman", "pull", "--authfile", str(authfile), "--tls-verify=false", image], check=True, capture_output=True)

    port = free_port()
    container = subprocess.run([*PODMAN_RUN, "-d", "-p", f"127.0.0.1:{port}:8080", image], check=True, capture_output=True, text=True).stdout.strip()
    try:
        health = wait_until(lambda: requests.get(f"http://127.0.0.1:{port}/healthcheck", timeout=2), "the container's /healthcheck")
        assert health.status_code == 200
        assert health.json() == {"status": "ok"}
        version = requests.get(f"http://127.0.0.1:{port}/version", timeout=5)
        assert version.status_code == 200
        assert version.json() == {"status": "Version 9", "version": "9", "commit": result["commit"]}
        user = subprocess.run(["podman", "inspect", "--format", "{{.Config.User}}", container], check=True, capture_output=True, text=True).stdout.strip()
        assert user == "10001:10001"  # not root
        # SIGTERM (podman stop) ends it cleanly, well inside ECS's 30 s.
        subprocess.run(["podman", "stop", "--time", "30", container], check=True, capture_output=True)
        exit_code = subprocess.run(
            ["podman", "inspect", "--format", "{{.State.ExitCode}}", container], check=True, capture_output=True, text=True
        ).stdout.strip()
        assert exit_code == "0"
    finally:
        subprocess.run(["podman", "rm", "--force", container], capture_output=True, check=False)


def test_dirty_tree_gets_a_suffix_and_refuse_refuses(run_image, registry, base_image, checkout, recorder, cleanup_images):
    repository = unique("it-image/dirty")
    commit = git(checkout.parent, "rev-parse", "HEAD")
    (checkout / "app.py").write_text((checkout / "app.py").read_text() + "\n# local edit\n")
    args = dict(repository=repository, context=str(checkout), registry=registry.host, build_args={"BASE_IMAGE": base_image})

    recorder.clear()
    result, calls = run_image(dict(args, dirty="refuse"))
    assert result["failed"] is True
    assert "uncommitted changes (service/app.py)" in result["msg"]
    assert mutating_calls(calls) == []
    assert recorder.commands() == []

    result, _calls = run_image(args)
    assert result.get("failed") is not True, result
    cleanup_images.append(result["image_uri"])
    assert result["dirty"] is True
    assert result["tag"].startswith(f"{commit[:12]}-dirty-")
    assert result["commit"] == f"{commit}-dirty-{result['tag'].rsplit('-', 1)[1]}"
    assert registry.digest(repository, result["tag"]) == result["digest"]
    # The same edits: the same tag, nothing to do.
    again, _calls = run_image(args)
    assert (again["changed"], again["tag"]) == (False, result["tag"])


def test_failing_build_reports_the_builders_last_lines(run_image, registry, base_image, tmp_path, recorder):
    context = tmp_path / "broken"
    context.mkdir()
    (context / "Dockerfile").write_text(f"FROM {base_image}\nRUN echo 'marker: the build broke here' && exit 3\n")
    repository = unique("it-image/broken")
    result, calls = run_image(dict(repository=repository, context=str(context), tag="t1", registry=registry.host))
    assert result["failed"] is True
    assert result["msg"].startswith(f"podman build of {registry.host}/{repository}:t1 failed with exit code")
    assert any("marker: the build broke here" in line for line in result["output_lines"]), result["output_lines"]
    assert "marker: the build broke here" in result["msg"]
    assert len(result["output_lines"]) <= 20
    assert result["command"][:2] == ["podman", "build"]
    assert "push" not in recorder.subcommands()
    assert registry.digest(repository, "t1") is None
    assert not local_image_exists(f"{registry.host}/{repository}:t1")
    # The repository was made before the build (the login needs it); nothing else.
    assert mutating_calls(calls) == ["ecr:CreateRepository"]


def test_docker_without_engine_is_a_clear_error(run_image, registry, checkout):
    if shutil.which("docker") is None or subprocess.run(["docker", "info"], capture_output=True, check=False).returncode == 0:
        pytest.skip("needs a docker client without a running engine")
    result, calls = run_image(dict(repository=unique("it-image/docker"), context=str(checkout), registry=registry.host, builder="docker"))
    assert result["failed"] is True
    assert "no docker engine answers" in result["msg"]
    assert "apt-get install docker.io" in result["msg"]
    assert mutating_calls(calls) == []


def test_no_builder_on_path_names_the_packages(run_module, registry, checkout, tmp_path):
    # Every program on PATH except the builders: ansible still runs, the module finds none.
    bin_dir = tmp_path / "no-builders-bin"
    bin_dir.mkdir()
    for directory in os.environ["PATH"].split(os.pathsep):
        if not os.path.isdir(directory):
            continue
        for entry in os.scandir(directory):
            target = bin_dir / entry.name
            if entry.name not in BUILDERS and not target.exists():
                target.symlink_to(entry.path)
    runner = runner_with(run_module, PATH=str(bin_dir))
    result, calls = runner("image", dict(repository=unique("it-image/none"), context=str(checkout), registry=registry.host))
    assert result["failed"] is True
    assert result["msg"].startswith("No image builder works on this host (podman: not installed; docker: not installed; buildah: not installed)")
    for package in ("apt-get install podman", "apt-get install docker.io", "apt-get install buildah"):
        assert package in result["msg"]
    assert mutating_calls(calls) == []


def test_bad_input_fails_before_any_call(run_image, checkout, recorder):
    cases = [
        (dict(repository="Shop", context=str(checkout)), "not a valid ECR repository name"),
        (dict(repository="shop", context=str(checkout / "nope")), "is not a directory"),
        (dict(repository="shop", context=str(checkout), tag="-bad"), "not a valid image tag"),
        (dict(repository="shop", context=str(checkout), registry="http://127.0.0.1:5000"), "without a scheme"),
        (dict(repository="shop", context=str(checkout), dockerfile="Missingfile"), "does not exist"),
        (dict(repository="shop", context=str(checkout), build_args={"1BAD": "x"}), "build_args names"),
    ]
    for args, message in cases:
        result, calls = run_image(args)
        assert result["failed"] is True, args
        assert message in result["msg"], (args, result["msg"])
        assert calls == [], (args, calls)
    assert recorder.commands() == []


# --- the ECR path (no registry override): DescribeImages decides ----------------------------------


def ecr_client(moto_server):
    return boto3.client("ecr", endpoint_url=moto_server.url, region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing")


def test_tag_already_in_ecr_needs_no_builder(run_module, moto_server, checkout, tmp_path):
    repository = unique("it-image/ecr")
    ecr = ecr_client(moto_server)
    uri = ecr.create_repository(repositoryName=repository)["repository"]["repositoryUri"]
    manifest = {"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json", "config": {}, "layers": []}
    ecr.put_image(repositoryName=repository, imageManifest=json.dumps(manifest), imageTag="v7")
    digest = ecr.describe_images(repositoryName=repository)["imageDetails"][0]["imageDigest"]

    # No builder on PATH at all: none is needed when the tag is already there.
    bin_dir = tmp_path / "empty-bin"
    bin_dir.mkdir()
    for name in ("sh", "mkdir", "chmod", "rm", "cat", "echo", "sleep", "git"):
        if shutil.which(name):
            (bin_dir / name).symlink_to(shutil.which(name))
    runner = runner_with(run_module, PATH=str(bin_dir))
    result, calls = runner("image", dict(repository=repository, context=str(checkout), tag="v7"))
    assert result.get("failed") is not True, result
    assert result["changed"] is False
    assert (result["image_uri"], result["digest"]) == (f"{uri}:v7", digest)
    assert [call.operation for call in calls] == ["DescribeRepositories", "DescribeImages"]


def test_check_mode_predicts_the_ecr_uri_of_a_missing_repository(run_module, checkout):
    repository = unique("it-image/predicted")
    result, calls = run_module("image", dict(repository=repository, context=str(checkout), tag="v1"), check=True)
    assert result.get("failed") is not True, result
    assert result["changed"] is True
    assert result["image_uri"] == f"123456789012.dkr.ecr.us-east-1.amazonaws.com/{repository}:v1"
    assert result["repository"]["repository_arn"] is None  # only predicted
    assert mutating_calls(calls) == []


def test_missing_repository_without_create_is_an_error(run_module, checkout):
    repository = unique("it-image/missing")
    result, calls = run_module("image", dict(repository=repository, context=str(checkout), tag="v1", create_repository=False))
    assert result["failed"] is True
    assert f"The ECR repository {repository} does not exist" in result["msg"]
    assert mutating_calls(calls) == []


# --- against the lab: ECR's own repositoryUri, login and DescribeImages, no registry override ----------


def test_image_against_the_lab(run_module_on_lab, base_image, checkout, cleanup_images):
    repository = unique("it-image/lab")
    tag = git(checkout.parent, "rev-parse", "HEAD")[:12]
    args = dict(repository=repository, context=str(checkout), build_args={"BASE_IMAGE": base_image})

    result, calls = run_module_on_lab("image", args)
    assert result.get("failed") is not True, result
    cleanup_images.append(result["image_uri"])
    assert (result["changed"], result["built"], result["pushed"]) == (True, True, True)
    host = result["repository_uri"].split("/", 1)[0]
    assert host.startswith("127.0.0.1:")  # the lab's registry, as its ECR reports it
    assert result["image_uri"] == f"{result['repository_uri']}:{tag}"
    assert result["digest"].startswith("sha256:")
    assert mutating_calls(calls) == ["ecr:CreateRepository"]

    # The lab's DescribeImages reads its registry: the pushed tag is seen, nothing happens.
    again, calls = run_module_on_lab("image", args)
    assert (again["changed"], again["built"], again["digest"]) == (False, False, result["digest"])
    assert [call.operation for call in calls] == ["DescribeRepositories", "DescribeImages"]


@pytest.mark.skipif(shutil.which("buildah") is None, reason="needs buildah")
def test_buildah_builds_and_pushes(run_image, registry, base_image, checkout, cleanup_images):
    repository = unique("it-image/buildah")
    args = dict(repository=repository, context=str(checkout), registry=registry.host, builder="buildah", build_args={"BASE_IMAGE": base_image})
    result, calls = run_image(args)
    assert result.get("failed") is not True, result
    cleanup_images.append(result["image_uri"])
    assert (result["changed"], result["builder"], result["pushed"]) == (True, "buildah", True)
    assert result["digest"] == registry.digest(repository, result["tag"]) is not None
    again, _calls = run_image(args)
    assert (again["changed"], again["built"]) == (False, False)
