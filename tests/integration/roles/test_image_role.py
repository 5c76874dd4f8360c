"""The cutover.ecs.image role through ansible-playbook: tests first, then build and push, then
imagedefinitions.json; a failing service test stops it before the build.

ECR is moto (the session's counting server); images go to a docker-registry of the
tests' own (the helpers live in tests/integration/modules/test_image.py).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import boto3
import pytest
import requests
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "modules"))

# The fixtures are used by name, so test parameters "redefine" them.
# ruff: noqa: F811
from test_image import cleanup_images, git, registry, service_checkout, unique  # noqa: E402,F401

REPO = Path(__file__).resolve().parents[3]
ROLE = REPO / "roles" / "image"
BIN = Path(sys.executable).parent
TEST_TASK = "Test | Run the service's tests"
BUILD_TASK = "Build | Build, tag and push the image"
PROBE_TASK = "Build | Look for the image in the registry"
DEFINITIONS_TASK = "Definitions | Write imagedefinitions.json"


def run_playbook(run_module, tmp_path: Path, role_vars: dict, check: bool = False) -> tuple[int, dict]:
    play = [
        {
            "name": "image role",
            "hosts": "localhost",
            "gather_facts": False,
            "roles": [{"role": "cutover.ecs.image", "vars": role_vars}],
            "post_tasks": [
                {
                    "name": "Record the facts the role set",
                    "ansible.builtin.copy": {
                        "content": "{{ {'image_uri': image_uri, 'image_digest': image_digest, 'tag': image_result.tag, 'built': image_result.built} | to_json }}",
                        "dest": str(tmp_path / "facts.json"),
                        "mode": "0644",
                    },
                }
            ],
        }
    ]
    playbook = tmp_path / "play.yml"
    playbook.write_text(yaml.safe_dump(play, sort_keys=False))
    command = [str(BIN / "ansible-playbook"), str(playbook)]
    if check:
        command.append("--check")
    proc = subprocess.run(command, cwd=REPO, env=run_module.env, capture_output=True, text=True, timeout=900)
    try:
        return proc.returncode, json.loads(proc.stdout)
    except ValueError as exc:
        raise AssertionError(f"no JSON from ansible-playbook: {exc}\n{proc.stdout}\n{proc.stderr}") from exc


def task_results(output: dict) -> dict[str, dict]:
    """Results by task name, without the ``cutover.ecs.image : `` prefix of role tasks."""
    return {task["task"]["name"].split(" : ", 1)[-1]: task["hosts"]["localhost"] for play in output["plays"] for task in play["tasks"]}


def test_role_tests_builds_pushes_and_writes_definitions(run_module, registry, base_image, tmp_path, cleanup_images):
    checkout = service_checkout(tmp_path / "checkout")
    commit = git(checkout.parent, "rev-parse", "HEAD")
    repository = unique("it-role/web")
    definitions = tmp_path / "out" / "imagedefinitions.json"
    role_vars = dict(
        image_repository=repository,
        image_context=str(checkout),
        image_registry=registry.host,
        image_build_args={"BASE_IMAGE": base_image},
        image_version="4",
        image_definitions_path=str(definitions),
    )
    image = f"{registry.host}/{repository}:{commit[:12]}"
    cleanup_images.append(image)

    # Check mode: the tests run (they only read), nothing is pushed or written.
    rc, output = run_playbook(run_module, tmp_path, role_vars, check=True)
    assert rc == 0, json.dumps(output)[-3000:]
    assert task_results(output)[BUILD_TASK]["changed"] is True
    assert registry.digest(repository, commit[:12]) is None
    assert not definitions.exists()

    rc, output = run_playbook(run_module, tmp_path, role_vars)
    assert rc == 0, json.dumps(output)[-3000:]
    results = task_results(output)
    assert results[TEST_TASK]["rc"] == 0
    assert " passed" in results[TEST_TASK]["stdout"]
    assert results[BUILD_TASK]["pushed"] is True
    digest = registry.digest(repository, commit[:12])
    assert digest is not None
    # imagedefinitions.json as CodePipeline reads it; the container name defaults to the repository's last part.
    assert json.loads(definitions.read_text()) == [{"name": repository.rsplit("/", 1)[1], "imageUri": image}]
    assert json.loads((tmp_path / "facts.json").read_text()) == {"image_uri": image, "image_digest": digest, "tag": commit[:12], "built": True}

    # A second run changes nothing: the probe finds the tag, so no tests and no build; same file.
    rc, output = run_playbook(run_module, tmp_path, role_vars)
    assert rc == 0, json.dumps(output)[-3000:]
    results = task_results(output)
    changed = [name for name, result in results.items() if result.get("changed")]
    assert changed == ["Record the facts the role set"]  # the test's own record (built flips to false); no role task
    assert results[PROBE_TASK]["built"] is False
    assert results[TEST_TASK].get("skipped") is True
    assert BUILD_TASK not in results
    assert json.loads((tmp_path / "facts.json").read_text())["built"] is False

    # Without image_definitions_path the role writes no file: nothing new beside the playbook (issue 28).
    before = sorted(path.relative_to(tmp_path) for path in tmp_path.rglob("*") if ".git" not in path.parts)
    definitions.unlink()
    unasked = {k: v for k, v in role_vars.items() if k != "image_definitions_path"}
    rc, output = run_playbook(run_module, tmp_path, unasked)
    assert rc == 0, json.dumps(output)[-3000:]
    assert task_results(output)[DEFINITIONS_TASK].get("skipped") is True
    after = sorted(path.relative_to(tmp_path) for path in tmp_path.rglob("*") if ".git" not in path.parts)
    assert after == [path for path in before if path != definitions.relative_to(tmp_path)]

    # The repository's tags follow image_repository_tags on a run that builds nothing (issue 28): set, then one taken
    # out is removed while a tag AWS set (aws:) stays; a number compares as text, so a re-run changes nothing.
    ecr = boto3.client("ecr", endpoint_url=run_module.env["AWS_URL"], region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing")
    arn = ecr.describe_repositories(repositoryNames=[repository])["repositories"][0]["repositoryArn"]

    def repository_tags() -> dict[str, str]:
        return {tag["Key"]: tag["Value"] for tag in ecr.list_tags_for_resource(resourceArn=arn)["tags"]}

    for tags, wanted in (
        ({"team": "shop", "stage": "one"}, {"team": "shop", "stage": "one"}),
        ({"team": "shop", "cost-center": 4410}, {"team": "shop", "cost-center": "4410", "aws:cloudformation:stack-name": "outside"}),
    ):
        if "cost-center" in tags:
            ecr.tag_resource(resourceArn=arn, tags=[{"Key": "aws:cloudformation:stack-name", "Value": "outside"}])
        rc, output = run_playbook(run_module, tmp_path, {**unasked, "image_repository_tags": tags})
        assert rc == 0, json.dumps(output)[-3000:]
        results = task_results(output)
        assert results[BUILD_TASK]["changed"] is True and results[BUILD_TASK]["built"] is False, results[BUILD_TASK]
        assert repository_tags() == wanted
    rc, output = run_playbook(run_module, tmp_path, {**unasked, "image_repository_tags": {"team": "shop", "cost-center": 4410}})
    assert rc == 0 and BUILD_TASK not in task_results(output), json.dumps(output)[-3000:]


def test_failing_service_test_stops_before_the_build(run_module, registry, base_image, tmp_path):
    checkout = service_checkout(tmp_path / "checkout")
    (checkout / "tests" / "test_broken.py").write_text("def test_broken():\n    assert False, 'deliberately broken'\n")
    git(checkout.parent, "add", "-A")
    git(checkout.parent, "commit", "-q", "-m", "a broken test")
    repository = unique("it-role/broken")
    definitions = tmp_path / "imagedefinitions.json"
    role_vars = dict(
        image_repository=repository,
        image_context=str(checkout),
        image_registry=registry.host,
        image_build_args={"BASE_IMAGE": base_image},
        image_definitions_path=str(definitions),
    )
    rc, output = run_playbook(run_module, tmp_path, role_vars)
    assert rc != 0
    results = task_results(output)
    assert results[TEST_TASK]["failed"] is True
    assert "deliberately broken" in results[TEST_TASK]["stdout"]
    assert results[PROBE_TASK]["built"] is True  # the probe found nothing to reuse ...
    assert BUILD_TASK not in results  # ... and the failed tests stopped the build
    assert not definitions.exists()
    # Nothing reached the registry under this repository.
    tags = requests.get(f"http://{registry.host}/v2/{repository}/tags/list", auth=registry.auth, timeout=10)
    assert tags.status_code == 404


@pytest.mark.parametrize(
    ("role_vars", "message"),
    [
        ({"image_repository": "shop"}, "image_context"),  # required by the argument spec
        ({"image_repository": "shop", "image_context": "/nonexistent/cutover"}, "image_context must be a directory"),
        ({"image_repository": "shop", "image_context": "/tmp", "image_dirty": "ignore"}, "image_dirty"),
    ],
)
def test_bad_variables_fail_in_preflight(run_module, tmp_path, role_vars, message):
    rc, output = run_playbook(run_module, tmp_path, role_vars)
    assert rc != 0
    text = json.dumps(output)
    assert message in text
    assert BUILD_TASK not in task_results(output)
