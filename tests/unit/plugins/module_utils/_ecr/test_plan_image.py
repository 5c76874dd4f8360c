"""Pure ECR/image planning: names, tags from git, URIs, TLS defaults, credentials, what to do."""

from __future__ import annotations

import base64

import pytest

from ansible_collections.cutover.ecs.plugins.module_utils._ecr import plan
from ansible_collections.cutover.ecs.plugins.module_utils._ecr.plan import ImagePlan, Source
from ansible_collections.cutover.ecs.plugins.module_utils._errors import InvalidInput

COMMIT = "0123456789abcdef0123456789abcdef01234567"


@pytest.mark.parametrize(
    ("name", "valid"),
    [
        ("web", True),
        ("shop/web", True),
        ("shop/web-api_v2.x", True),
        ("a__b", True),
        ("a", False),  # ECR's minimum is 2
        ("Web", False),  # lowercase only
        ("shop//web", False),
        ("-web", False),
        ("web-", False),
        ("shop/web:latest", False),
        ("x" * 257, False),
    ],
)
def test_validate_repository_name(name, valid):
    if valid:
        plan.validate_repository_name(name)
    else:
        with pytest.raises(InvalidInput, match="not a valid ECR repository name"):
            plan.validate_repository_name(name)


@pytest.mark.parametrize(
    ("tag", "valid"),
    [
        ("latest", True),
        ("0123456789ab", True),
        ("v1.2.3-rc_1", True),
        ("_x", True),
        (".x", False),
        ("-x", False),
        ("a:b", False),
        ("a/b", False),
        ("a" * 129, False),
    ],
)
def test_validate_tag(tag, valid):
    if valid:
        plan.validate_tag(tag)
    else:
        with pytest.raises(InvalidInput, match="not a valid image tag"):
            plan.validate_tag(tag)


@pytest.mark.parametrize(
    ("registry", "valid"),
    [
        ("127.0.0.1:5000", True),
        ("localhost:5000", True),
        ("registry.example.com", True),
        ("[::1]:5000", True),
        ("http://127.0.0.1:5000", False),
        ("host/path", False),
        ("", False),
    ],
)
def test_validate_registry(registry, valid):
    if valid:
        plan.validate_registry(registry)
    else:
        with pytest.raises(InvalidInput, match="host\\[:port\\]"):
            plan.validate_registry(registry)


# --- tags from git ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "policy", "expected"),
    [
        (Source(COMMIT), "suffix", "0123456789ab"),
        (Source(COMMIT), "refuse", "0123456789ab"),  # a clean tree is fine either way
        (Source(COMMIT, ("app.py",), "feedfacecafe"), "suffix", "0123456789ab-dirty-feedfacecafe"),
    ],
)
def test_tag_for_source(source, policy, expected):
    tag = plan.tag_for_source(source, policy)
    assert tag == expected
    plan.validate_tag(tag)


def test_tag_for_source_refuses_a_dirty_tree_and_names_the_files():
    with pytest.raises(InvalidInput, match=r"uncommitted changes \(Dockerfile, app.py\)") as caught:
        plan.tag_for_source(Source(COMMIT, ("Dockerfile", "app.py"), "feedfacecafe"), "refuse")
    assert caught.value.details["dirty_paths"] == ["Dockerfile", "app.py"]


def test_tag_for_source_rejects_unknown_policy():
    with pytest.raises(InvalidInput, match="dirty must be one of"):
        plan.tag_for_source(Source(COMMIT), "ignore")


def test_dirty_fingerprint_is_stable_and_sensitive():
    base = plan.dirty_fingerprint(b"diff --git a/app.py", [("new.txt", b"one")])
    assert base == plan.dirty_fingerprint(b"diff --git a/app.py", [("new.txt", b"one")])
    assert len(base) == plan.COMMIT_TAG_LENGTH
    # Order of untracked files does not matter; their names and contents do.
    two = [("a", b"1"), ("b", b"2")]
    assert plan.dirty_fingerprint(b"", two) == plan.dirty_fingerprint(b"", list(reversed(two)))
    variants = {
        plan.dirty_fingerprint(b"diff --git a/app.py", [("new.txt", b"two")]),
        plan.dirty_fingerprint(b"diff --git a/app.py", [("other.txt", b"one")]),
        plan.dirty_fingerprint(b"diff --git a/app.py b", [("new.txt", b"one")]),
        plan.dirty_fingerprint(b"diff --git a/app.py", []),
        base,
    }
    assert len(variants) == 5


@pytest.mark.parametrize(
    ("source", "expected"),
    [(None, None), (Source(COMMIT), COMMIT), (Source(COMMIT, ("x",), "feedfacecafe"), f"{COMMIT}-dirty-feedfacecafe")],
)
def test_commit_label(source, expected):
    assert plan.commit_label(source) == expected


@pytest.mark.parametrize(
    ("build_args", "arg", "commit", "expected"),
    [
        ({}, "GIT_COMMIT", "abc", {"GIT_COMMIT": "abc"}),
        ({"VERSION": 2}, "GIT_COMMIT", "abc", {"VERSION": "2", "GIT_COMMIT": "abc"}),  # values become strings
        ({"GIT_COMMIT": "mine"}, "GIT_COMMIT", "abc", {"GIT_COMMIT": "mine"}),  # the user's value wins
        ({}, "", "abc", {}),  # disabled
        ({}, "GIT_COMMIT", None, {}),  # outside git
    ],
)
def test_build_args_with_commit(build_args, arg, commit, expected):
    assert plan.build_args_with_commit(build_args, arg, commit) == expected


# --- repositories and URIs -----------------------------------------------------------

LIVE_REPOSITORY = {
    "repositoryArn": "arn:aws:ecr:us-east-1:123456789012:repository/shop/web",
    "registryId": "123456789012",
    "repositoryName": "shop/web",
    "repositoryUri": "123456789012.dkr.ecr.us-east-1.amazonaws.com/shop/web",
    "createdAt": "2024-01-01T00:00:00Z",
    "imageTagMutability": "MUTABLE",
    "imageScanningConfiguration": {"scanOnPush": False},
    "encryptionConfiguration": {"encryptionType": "AES256"},
}


def test_desired_repository_defaults_and_tags():
    assert plan.desired_repository({"repository": "shop/web"}) == {
        "repositoryName": "shop/web",
        "imageTagMutability": "MUTABLE",
        "imageScanningConfiguration": {"scanOnPush": False},
    }
    desired = plan.desired_repository({"repository": "web", "scan_on_push": True, "image_tag_mutability": "IMMUTABLE", "repository_tags": {"team": 1}})
    assert desired["imageScanningConfiguration"] == {"scanOnPush": True}
    assert desired["imageTagMutability"] == "IMMUTABLE"
    assert desired["tags"] == [{"Key": "team", "Value": "1"}]


def test_current_repository_keeps_what_the_module_reports():
    current = plan.current_repository(LIVE_REPOSITORY)
    assert current["repositoryUri"] == LIVE_REPOSITORY["repositoryUri"]
    assert "createdAt" not in current and "encryptionConfiguration" not in current
    assert plan.current_repository(None) is None


def test_predicted_repository_sits_on_the_login_endpoint_registry():
    desired = plan.desired_repository({"repository": "shop/web"})
    predicted = plan.predicted_repository(desired, "https://123456789012.dkr.ecr.us-east-1.amazonaws.com")
    assert predicted["repositoryUri"] == "123456789012.dkr.ecr.us-east-1.amazonaws.com/shop/web"
    # The lab's GetAuthorizationToken points at its own registry; the prediction follows it.
    assert plan.predicted_repository(desired, "http://127.0.0.1:5000")["repositoryUri"] == "127.0.0.1:5000/shop/web"


@pytest.mark.parametrize(
    ("registry", "expected"),
    [(None, "123456789012.dkr.ecr.us-east-1.amazonaws.com/shop/web"), ("127.0.0.1:5000", "127.0.0.1:5000/shop/web")],
)
def test_repository_uri(registry, expected):
    assert plan.repository_uri(LIVE_REPOSITORY, registry) == expected


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        ("123456789012.dkr.ecr.us-east-1.amazonaws.com/shop/web", ("123456789012.dkr.ecr.us-east-1.amazonaws.com", "shop/web")),
        ("127.0.0.1:5000/web", ("127.0.0.1:5000", "web")),
    ],
)
def test_split_repository_uri(uri, expected):
    assert plan.split_repository_uri(uri) == expected


def test_split_repository_uri_without_host():
    with pytest.raises(InvalidInput):
        plan.split_repository_uri("web")


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1:5000", True),
        ("127.3.4.5", True),
        ("localhost:5000", True),
        ("localhost", True),
        ("[::1]:5000", True),
        ("::1", True),
        ("10.0.0.1:5000", False),
        ("123456789012.dkr.ecr.us-east-1.amazonaws.com", False),
        ("localhost.example.com", False),
    ],
)
def test_is_loopback_registry(host, loopback):
    assert plan.is_loopback_registry(host) is loopback


@pytest.mark.parametrize(
    ("option", "host", "verify"),
    [
        (None, "127.0.0.1:5000", False),
        (None, "x.dkr.ecr.us-east-1.amazonaws.com", True),
        (True, "127.0.0.1:5000", True),
        (False, "registry.example.com", False),
    ],
)
def test_tls_verify_for(option, host, verify):
    assert plan.tls_verify_for(option, host) is verify


# --- credentials -----------------------------------------------------------------------


def _token(text: str) -> dict:
    return {"authorizationToken": base64.b64encode(text.encode()).decode(), "proxyEndpoint": "https://x"}


def test_decode_authorization():
    credentials = plan.decode_authorization(_token("AWS:s3cr:et"))  # the password may hold colons
    assert credentials.username == "AWS"
    assert credentials.password == "s3cr:et"
    assert set(credentials.secrets) == {"s3cr:et", _token("AWS:s3cr:et")["authorizationToken"]}
    assert "s3cr" not in repr(credentials)


@pytest.mark.parametrize("authorization", [{}, {"authorizationToken": "not base64!"}, _token("nopassword"), _token("AWS:")])
def test_decode_authorization_rejects_garbage(authorization):
    with pytest.raises(InvalidInput, match="authorization token"):
        plan.decode_authorization(authorization)


# --- what to do ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("present", "force", "push", "expected"),
    [
        (True, False, True, ImagePlan(build=False, push=False)),  # the tag is there: nothing at all
        (False, False, True, ImagePlan(build=True, push=True)),
        (True, True, True, ImagePlan(build=True, push=True)),  # force rebuilds and pushes
        (False, False, False, ImagePlan(build=True, push=False)),  # local only
        (True, False, False, ImagePlan(build=False, push=False)),
        (True, True, False, ImagePlan(build=True, push=False)),
    ],
)
def test_plan_image(present, force, push, expected):
    result = plan.plan_image(present, force, push)
    assert result == expected
    assert result.changed is (expected.build or expected.push)


def test_image_digest():
    assert plan.image_digest({"imageDigest": "sha256:abc"}) == "sha256:abc"
    assert plan.image_digest(None) is None
