"""The built tarball works on its own, outside this repository (issue 30).

``ansible-galaxy collection build`` of this tree, installed with ``ansible-galaxy collection install --offline`` into
an empty collections path (amazon.aws and community.aws come from the venv's ``ansible`` package, as the README's
install section says). Everything after runs from a directory outside the repository with no ansible.cfg and only that
path configured: the tarball holds no lab, test, benchmark or venv file; ``ansible-doc`` lists every module and role;
a playbook of the roles provisions a service and cuts it over under load against the lab; and with a botocore older
than the minimum, in a throwaway venv, the deploy module and the deploy role fail at once with the version message
and no AWS call.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from role_stack import Stack, recap

from lab.ecs.sampleimage import SampleImages, ensure_sample_images

REPO = Path(__file__).resolve().parents[3]
BIN = Path(sys.executable).parent
MODULES = sorted(path.stem for path in (REPO / "plugins" / "modules").glob("*.py") if not path.stem.startswith("_"))
ROLES = sorted(path.name for path in (REPO / "roles").iterdir() if (path / "tasks" / "main.yml").exists())
# What only this repository's tests, lab, demo and tools need; none of it may be in the tarball.
NOT_SHIPPED = (
    "lab",
    "tests",
    "benchmarks",
    "bench-results",
    "extensions",
    "service",
    "scripts",
    "dist",
    ".venv",
    ".lab",
    ".build",
    ".collections",
    ".ci",
    ".git",
)
# The throwaway venv's SDK: the last botocore without ContinueServiceDeployment and PAUSE hooks.
OLD_SDK = ("boto3==1.43.9", "botocore==1.43.9")


@pytest.fixture(scope="module")
def outside(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A working directory outside the repository: no ansible.cfg, no .collections link."""
    path = tmp_path_factory.mktemp("ops")
    assert REPO not in path.parents
    return path


@pytest.fixture(scope="module")
def user_env(collections: Path) -> dict[str, str]:
    """The environment of a user of the installed collection: no ANSIBLE_* setting but the collections path."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("ANSIBLE_") and key != "PYTHONPATH"}
    return dict(env, ANSIBLE_COLLECTIONS_PATH=str(collections), ANSIBLE_NOCOLOR="1")


@pytest.fixture(scope="module")
def tarball(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``make collection``'s build, into a directory of the test's own."""
    out = tmp_path_factory.mktemp("dist")
    built = subprocess.run(
        [str(BIN / "ansible-galaxy"), "collection", "build", "--force", "--output-path", str(out)], cwd=REPO, capture_output=True, text=True, timeout=300
    )
    assert built.returncode == 0, built.stdout + built.stderr
    found = list(out.glob("cutover-ecs-*.tar.gz"))
    assert len(found) == 1, found
    return found[0]


@pytest.fixture(scope="module")
def collections(tarball: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty collections path with the tarball installed into it, offline."""
    path = tmp_path_factory.mktemp("collections")
    assert list(path.iterdir()) == []
    env = {key: value for key, value in os.environ.items() if not key.startswith("ANSIBLE_")}
    installed = subprocess.run(
        [str(BIN / "ansible-galaxy"), "collection", "install", str(tarball), "-p", str(path), "--offline"],
        cwd=path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert installed.returncode == 0, installed.stdout + installed.stderr
    assert (path / "ansible_collections" / "cutover" / "ecs" / "MANIFEST.json").is_file()
    return path


def run(command: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


def test_the_tarball_holds_the_collection_and_its_docs_only(tarball: Path) -> None:
    with tarfile.open(tarball) as archive:
        names = archive.getnames()
        manifest = json.load(archive.extractfile("MANIFEST.json"))
    tops = {name.split("/")[0] for name in names}
    assert tops == {
        "MANIFEST.json",
        "FILES.json",
        "README.md",
        "CHANGELOG.md",
        "requirements.txt",
        "requirements.yml",
        "meta",
        "plugins",
        "playbooks",
        "policy",
        "roles",
    }
    assert not tops & set(NOT_SHIPPED)
    assert not [name for name in names if "__pycache__" in name or name.endswith((".pyc", ".tar.gz")) or "/tests/" in name]
    assert {f"plugins/modules/{module}.py" for module in MODULES} <= set(names)
    assert {f"roles/{role}/tasks/main.yml" for role in ROLES} <= set(names)
    assert {"playbooks/deploy.yml", "playbooks/rollback.yml", "playbooks/teardown.yml", "policy/cutover-ecs-policy.json"} <= set(names)
    # The dependencies the install resolves are galaxy.yml's, the ranges tested
    galaxy = yaml.safe_load((REPO / "galaxy.yml").read_text())
    assert manifest["collection_info"]["dependencies"] == galaxy["dependencies"] == {"amazon.aws": ">=10.1.2,<11.0.0", "community.aws": ">=10.0.0,<11.0.0"}
    assert not any(manifest["collection_info"][key] for key in ("repository", "documentation", "issues"))


def test_ansible_doc_lists_every_module_and_role_of_the_installed_copy(collections: Path, outside: Path, user_env: dict[str, str]) -> None:
    version = run([str(BIN / "ansible"), "--version"], outside, user_env)
    assert "config file = None" in version.stdout, version.stdout  # no ansible.cfg read
    found = run([str(BIN / "ansible-galaxy"), "collection", "list", "cutover.ecs", "--format", "json"], outside, user_env)
    assert found.returncode == 0, found.stderr
    assert list(json.loads(found.stdout)) == [str(collections / "ansible_collections")]

    modules = run([str(BIN / "ansible-doc"), "-l", "cutover.ecs", "--json"], outside, user_env)
    assert modules.returncode == 0, modules.stderr
    assert sorted(json.loads(modules.stdout)) == [f"cutover.ecs.{module}" for module in MODULES]
    roles = run([str(BIN / "ansible-doc"), "-t", "role", "-l", "cutover.ecs", "--json"], outside, user_env)
    assert roles.returncode == 0, roles.stderr
    assert sorted(json.loads(roles.stdout)) == [f"cutover.ecs.{role}" for role in ROLES]

    deploy = run([str(BIN / "ansible-doc"), "cutover.ecs.deploy"], outside, user_env)
    assert deploy.returncode == 0, deploy.stderr
    assert str(collections) in deploy.stdout  # the installed copy's file, not the repository's
    assert "botocore >= 1.43.10" in " ".join(deploy.stdout.split())


def test_the_installed_deploy_playbook_asks_for_the_build_context(collections: Path, outside: Path, user_env: dict[str, str]) -> None:
    """The sample service stays in the repository: ``ansible-playbook cutover.ecs.deploy`` without
    ``cutover_service_dir`` stops at once, saying what to give."""
    played = run([str(BIN / "ansible-playbook"), "cutover.ecs.deploy", "-e", "cutover_name=journal"], outside, user_env)
    assert played.returncode == 2 and recap(played) == {"ok": 1, "changed": 0, "unreachable": 0, "failed": 1}, played.stdout[-3000:]
    missing = collections / "ansible_collections" / "cutover" / "ecs" / "service"
    assert f"cutover_service_dir: no directory at {missing}; give your service's build context" in played.stdout


@pytest.fixture(scope="module")
def images() -> SampleImages:
    return ensure_sample_images("podman")


def test_a_playbook_of_the_installed_roles_provisions_and_cuts_over(
    module_lab: Any, images: SampleImages, collections: Path, outside: Path, tmp_path: Path
) -> None:
    stack = Stack(module_lab, images, "codedeploy", outside, collections_path=collections)
    first = stack.play(images.v1)
    assert recap(first)["failed"] == 0, first.stdout[-4000:] + first.stderr[-2000:]
    stack.wait_version("1")
    cutover = stack.cut_over_under_load(images.v2, "2")
    assert "strategy codedeploy: succeeded" in cutover.stdout, cutover.stdout[-3000:]


@pytest.fixture(scope="module")
def old_sdk(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A throwaway venv whose Python has boto3 and botocore 1.43.9 and nothing else (not even ``packaging``)."""
    venv = tmp_path_factory.mktemp("old-sdk")
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    pip = subprocess.run([str(venv / "bin" / "pip"), "install", "-q", *OLD_SDK], capture_output=True, text=True, timeout=600)
    assert pip.returncode == 0, pip.stdout + pip.stderr
    return venv / "bin" / "python"


def test_an_older_botocore_fails_at_once_naming_both_versions(
    module_lab: Any, collections: Path, outside: Path, user_env: dict[str, str], old_sdk: Path
) -> None:
    env = dict(user_env, AWS_URL=module_lab.url, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_REGION="us-east-1")
    interpreter = f"ansible_python_interpreter={old_sdk}"
    wanted = f"{old_sdk} has botocore 1.43.9 (needs >= 1.43.10) and boto3 1.43.9 (needs >= 1.43.10)"

    before = len(module_lab.calls())
    module = run(
        [str(BIN / "ansible"), "localhost", "-m", "cutover.ecs.deploy", "-a", "cluster=shop service=web task_definition=web:2", "-e", interpreter],
        outside,
        env,
    )
    assert module.returncode != 0, module.stdout
    assert "cutover.ecs needs botocore >= 1.43.10 and boto3 >= 1.43.10" in module.stdout and wanted in module.stdout, module.stdout
    assert module_lab.calls()[before:] == []

    playbook = outside / "old-sdk.yml"
    playbook.write_text(
        yaml.safe_dump(
            [
                {
                    "hosts": "localhost",
                    "connection": "local",
                    "gather_facts": False,
                    "tasks": [
                        {"ansible.builtin.include_role": {"name": "cutover.ecs.deploy"}, "vars": {"deploy_service": "web", "deploy_image": "example/web:2"}}
                    ],
                }
            ]
        )
    )
    role = run([str(BIN / "ansible-playbook"), str(playbook), "-e", interpreter], outside, env)
    assert role.returncode != 0 and recap(role)["failed"] == 1, role.stdout[-3000:]
    assert wanted in role.stdout, role.stdout[-3000:]
    assert module_lab.calls()[before:] == []
