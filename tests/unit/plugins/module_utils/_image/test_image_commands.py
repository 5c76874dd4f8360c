"""Builder command lines (argument lists), output scrubbing and builder choice: all pure."""

from __future__ import annotations

import pytest

from ansible_collections.cutover.ecs.plugins.module_utils._errors import CutoverError
from ansible_collections.cutover.ecs.plugins.module_utils._image import commands
from ansible_collections.cutover.ecs.plugins.module_utils._image.commands import BuildSpec, Probe

SPEC = BuildSpec(
    context="/src/service",
    dockerfile="/src/service/Dockerfile",
    image="127.0.0.1:5000/web:abc",
    build_args={"VERSION": "2", "BASE_IMAGE": "localhost/cutover/python-base:bookworm"},
)


@pytest.mark.parametrize(
    ("builder", "spec", "expected"),
    [
        (
            "podman",
            SPEC,
            [
                # --layers=false: buildah's cache would reuse an ENV layer built from an older build argument.
                "podman", "build", "--file", "/src/service/Dockerfile", "--tag", "127.0.0.1:5000/web:abc", "--format", "docker", "--layers=false",
                "--build-arg", "BASE_IMAGE=localhost/cutover/python-base:bookworm", "--build-arg", "VERSION=2",
                "/src/service",
            ],
        ),
        (
            "buildah",
            BuildSpec("/c", "/c/Containerfile", "r/web:t", platform="linux/arm64", no_cache=True),
            ["buildah", "build", "--file", "/c/Containerfile", "--tag", "r/web:t", "--format", "docker", "--platform", "linux/arm64", "--no-cache", "/c"],
        ),
        (
            "docker",  # docker has no --format: its images are docker images
            BuildSpec("/c", "/c/Dockerfile", "r/web:t", build_args={"A": "x y"}),
            ["docker", "build", "--file", "/c/Dockerfile", "--tag", "r/web:t", "--build-arg", "A=x y", "/c"],
        ),
    ],
)  # fmt: skip
def test_build_command(builder, spec, expected):
    assert commands.build_command(builder, spec) == expected


def test_build_arg_values_stay_single_arguments():
    # A value with spaces or shell syntax is one argv element: nothing is ever run through a shell.
    command = commands.build_command("podman", BuildSpec("/c", "/c/Dockerfile", "r:t", build_args={"X": "a; rm -rf / $(id)"}))
    assert "X=a; rm -rf / $(id)" in command


@pytest.mark.parametrize(
    ("builder", "tls_verify", "expected"),
    [
        ("podman", True, ["podman", "login", "--authfile", "/tmp/a/auth.json", "--username", "AWS", "--password-stdin", "reg:5000"]),
        ("podman", False, ["podman", "login", "--authfile", "/tmp/a/auth.json", "--tls-verify=false", "--username", "AWS", "--password-stdin", "reg:5000"]),
        ("buildah", False, ["buildah", "login", "--authfile", "/tmp/a/auth.json", "--tls-verify=false", "--username", "AWS", "--password-stdin", "reg:5000"]),
        ("docker", False, ["docker", "--config", "/tmp/a", "login", "--username", "AWS", "--password-stdin", "reg:5000"]),
    ],
)
def test_login_command_reads_the_password_from_stdin(builder, tls_verify, expected):
    command = commands.login_command(builder, "reg:5000", "AWS", "/tmp/a", tls_verify)
    assert command == expected
    assert "--password" not in command and "-p" not in command


@pytest.mark.parametrize(
    ("builder", "tls_verify", "expected"),
    [
        ("podman", True, ["podman", "push", "--authfile", "/tmp/a/auth.json", "--digestfile", "/tmp/a/digest", "reg/web:t"]),
        ("podman", False, ["podman", "push", "--authfile", "/tmp/a/auth.json", "--tls-verify=false", "--digestfile", "/tmp/a/digest", "reg/web:t"]),
        ("buildah", True, ["buildah", "push", "--authfile", "/tmp/a/auth.json", "--digestfile", "/tmp/a/digest", "reg/web:t"]),
        ("docker", True, ["docker", "--config", "/tmp/a", "push", "reg/web:t"]),
    ],
)
def test_push_command(builder, tls_verify, expected):
    assert commands.push_command(builder, "reg/web:t", "/tmp/a", tls_verify, "/tmp/a/digest") == expected


@pytest.mark.parametrize(
    ("builder", "expected"),
    [
        ("podman", ["podman", "image", "exists", "r:t"]),
        ("buildah", ["buildah", "inspect", "--type", "image", "r:t"]),
        ("docker", ["docker", "image", "inspect", "--format", "{{.Id}}", "r:t"]),
    ],
)
def test_image_exists_command(builder, expected):
    assert commands.image_exists_command(builder, "r:t") == expected


def test_docker_probe_asks_the_engine():
    # `docker --version` succeeds with only the client installed; `docker info` needs the engine.
    assert commands.probe_command("docker")[:2] == ["docker", "info"]


@pytest.mark.parametrize(
    ("output", "digest"),
    [
        ("abc: digest: sha256:" + "a" * 64 + " size: 528\n", "sha256:" + "a" * 64),
        ("layer pushed\nlatest: digest: sha256:" + "1" * 64 + " size: 1\nt: digest: sha256:" + "2" * 64 + " size: 2", "sha256:" + "2" * 64),
        ("no digest here", None),
    ],
)
def test_parse_push_digest(output, digest):
    assert commands.parse_push_digest(output) == digest


@pytest.mark.parametrize(
    ("text", "secrets", "expected"),
    [
        ("login with QVdTOnMzY3JldA== failed: s3cret", ["s3cret", "QVdTOnMzY3JldA=="], "login with ******** failed: ********"),
        ("nothing secret", ["s3cret"], "nothing secret"),
        ("x", ["", "x"], "********"),  # an empty secret is no secret
        ("abcdef", ["abc", "abcdef"], "********"),  # the longer secret first
    ],
)
def test_scrub(text, secrets, expected):
    assert commands.scrub(text, secrets) == expected


def test_last_lines():
    text = "\n".join(f"line {n}" for n in range(30)) + "\n\n"
    assert commands.last_lines(text) == [f"line {n}" for n in range(10, 30)]
    assert commands.last_lines("a\r\nb\rc\n", 5) == ["a", "b", "c"]  # progress bars use \r
    assert commands.last_lines("") == []


# --- choosing a builder ------------------------------------------------------------------

WORKS = Probe(found=True, works=True)
MISSING = Probe(found=False)
NO_ENGINE = Probe(found=True, works=False, detail="Cannot connect to the Docker daemon at unix:///var/run/docker.sock")


@pytest.mark.parametrize(
    ("requested", "probes", "expected"),
    [
        ("auto", {"podman": WORKS}, "podman"),
        ("auto", {"podman": MISSING, "docker": WORKS}, "docker"),
        ("auto", {"podman": MISSING, "docker": NO_ENGINE, "buildah": WORKS}, "buildah"),  # a bare docker client is skipped
        ("buildah", {"buildah": WORKS}, "buildah"),
        ("docker", {"docker": WORKS}, "docker"),
    ],
)
def test_choose_builder(requested, probes, expected):
    assert commands.choose_builder(requested, probes) == expected


def test_choose_builder_auto_with_nothing_names_every_package():
    with pytest.raises(CutoverError) as caught:
        commands.choose_builder("auto", {"podman": MISSING, "docker": NO_ENGINE, "buildah": MISSING})
    message = caught.value.message
    assert "podman: not installed" in message
    assert "no docker engine answers (Cannot connect to the Docker daemon" in message
    for package in ("apt-get install podman", "apt-get install docker.io", "apt-get install buildah"):
        assert package in message


def test_choose_builder_docker_without_engine():
    with pytest.raises(CutoverError) as caught:
        commands.choose_builder("docker", {"docker": NO_ENGINE})
    message = caught.value.message
    assert message.startswith("The image builder docker cannot build here: docker: the client is installed but no docker engine answers")
    assert "apt-get install docker.io" in message
    assert "auto, podman, buildah" in message


def test_choose_builder_missing_podman():
    with pytest.raises(CutoverError, match=r"podman: not installed\. Install it \(apt-get install podman\)"):
        commands.choose_builder("podman", {"podman": MISSING})


def test_choose_builder_rejects_unknown():
    with pytest.raises(CutoverError, match="builder must be auto or one of"):
        commands.choose_builder("kaniko", {})
