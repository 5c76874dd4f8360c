"""Secret values never appear in ansible's output, even at -vvv (issue 7, Security).

Real ansible-playbook -vvv --diff against a lab of the tests' own:
- the image module logs in to the lab's ECR and pushes: the password (from GetAuthorizationToken)
  and the token that carries it must appear nowhere in stdout or stderr;
- a task definition whose container environment holds a secret value. cutover.ecs.task_definition
  has no per-value "secret" flag: the module documents C(secrets) (valueFrom ARNs, the value never
  passes through Ansible) and Ansible's task-level ``no_log: true`` marks a value secret. The test
  proves the value really reached AWS (so the task ran with it) and never reached the output.
"""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent / "modules"))
from test_image import service_checkout  # noqa: E402 (the image tests' git checkout of service/)

REPO = Path(__file__).resolve().parents[2]
SECRET_VALUE = f"s3cr3t-{uuid.uuid4().hex}"


def run_playbook(lab: Any, tmp_path: Path, tasks: list[dict]) -> subprocess.CompletedProcess[str]:
    """ansible-playbook -vvv --diff with the default (human) callback, as a user would see it."""
    playbook = tmp_path / f"play-{uuid.uuid4().hex[:6]}.yml"
    play = {
        "hosts": "localhost",
        "connection": "local",
        "gather_facts": False,
        "module_defaults": {"group/cutover.ecs.aws": {"region": "us-east-1", "endpoint_url": lab.url}},
        "tasks": tasks,
    }
    playbook.write_text(json.dumps([play]))
    env = dict(
        os.environ,
        ANSIBLE_CONFIG=str(REPO / "ansible.cfg"),
        ANSIBLE_STDOUT_CALLBACK="default",
        ANSIBLE_NOCOLOR="1",
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_REGION="us-east-1",
    )
    env.pop("AWS_PROFILE", None)
    command = [str(Path(sys.executable).parent / "ansible-playbook"), "-vvv", "--diff", str(playbook)]
    return subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=900)


def lab_registry_secrets(lab: Any) -> list[str]:
    """The password the lab's ECR hands out, and the token (base64 of AWS:<password>) that carries it."""
    data = lab.client("ecr").get_authorization_token()["authorizationData"][0]
    token = data["authorizationToken"]
    password = base64.b64decode(token).decode().split(":", 1)[1]
    assert len(password) >= 16, "the lab's password is too short to grep for"
    return [password, token]


def assert_absent(secrets: list[str], proc: subprocess.CompletedProcess[str]) -> None:
    output = proc.stdout + proc.stderr
    for secret in secrets:
        assert secret not in output, f"a secret value appears in ansible's output (at offset {output.find(secret)})"


def test_ecr_password_is_not_printed(module_lab: Any, base_image: str, tmp_path: Path) -> None:
    checkout = service_checkout(tmp_path / "checkout")
    repository = f"it-secrets/web-{uuid.uuid4().hex[:8]}"
    tasks = [
        {
            "name": "Build and push through the lab's ECR login",
            "cutover.ecs.image": {"repository": repository, "context": str(checkout), "build_args": {"BASE_IMAGE": base_image}},
            "register": "pushed",
        },
        {"ansible.builtin.debug": {"var": "pushed"}},
    ]
    proc = run_playbook(module_lab, tmp_path, tasks)
    try:
        assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
        # The run really logged in and pushed (a skipped push would prove nothing).
        assert re.search(r'"?pushed"?: true', proc.stdout), proc.stdout[-3000:]
        assert_absent(lab_registry_secrets(module_lab), proc)
    finally:
        for line in proc.stdout.splitlines():
            if '"image_uri":' in line:
                image = line.split('"image_uri":', 1)[1].strip().strip('",')
                subprocess.run(["podman", "rmi", "--force", image], capture_output=True, check=False)
                break


def test_a_failed_login_does_not_print_the_password(module_lab: Any, tmp_path: Path) -> None:
    # The builder's error output is the likeliest leak: log in to a registry that refuses (nothing listens).
    checkout = service_checkout(tmp_path / "checkout")
    repository = f"it-secrets/refused-{uuid.uuid4().hex[:8]}"
    tasks = [
        {
            "name": "Push to a registry that is not there",
            "cutover.ecs.image": {"repository": repository, "context": str(checkout), "registry": "127.0.0.1:9", "tls_verify": False},
        }
    ]
    proc = run_playbook(module_lab, tmp_path, tasks)
    assert proc.returncode != 0, proc.stdout[-4000:]
    assert "login to 127.0.0.1:9" in proc.stdout or "127.0.0.1:9" in proc.stdout, proc.stdout[-4000:]
    assert_absent(lab_registry_secrets(module_lab), proc)


def test_secret_environment_value_is_not_printed(module_lab: Any, tmp_path: Path) -> None:
    family = f"it-secrets-{uuid.uuid4().hex[:8]}"
    container = {
        "name": "app",
        "image": "127.0.0.1:5000/app:v1",
        "essential": True,
        "environment": [{"name": "LOG_LEVEL", "value": "info"}, {"name": "DB_PASSWORD", "value": SECRET_VALUE}],
        "secrets": [{"name": "API_KEY", "valueFrom": "arn:aws:ssm:us-east-1:123456789012:parameter/api-key"}],
    }
    tasks = [
        {
            "name": "Register a task definition with a secret environment value",
            "cutover.ecs.task_definition": {"family": family, "cpu": "256", "memory": "512", "containers": [container]},
            "no_log": True,
            # No register + debug here: Ansible stores a no_log task's full result in the registered
            # variable, and printing that variable prints the value (the user's choice, not a leak).
        },
    ]
    proc = run_playbook(module_lab, tmp_path, tasks)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    stored = module_lab.client("ecs").describe_task_definition(taskDefinition=family)["taskDefinition"]
    assert {"name": "DB_PASSWORD", "value": SECRET_VALUE} in stored["containerDefinitions"][0]["environment"]
    assert_absent([SECRET_VALUE], proc)
    # The same run without no_log shows the value: the grep above can fail.
    shown = run_playbook(module_lab, tmp_path, [{"cutover.ecs.task_definition": {"family": family, "containers": [container]}}])
    assert SECRET_VALUE in shown.stdout


def test_secret_environment_value_is_not_printed_when_the_task_fails(module_lab: Any, tmp_path: Path) -> None:
    container = {"name": "app", "image": "127.0.0.1:5000/app:v1", "environment": [{"name": "DB_PASSWORD", "value": SECRET_VALUE}]}
    tasks = [
        {
            "name": "A bad task definition with a secret environment value",
            "cutover.ecs.task_definition": {"family": f"it-secrets-{uuid.uuid4().hex[:8]}", "cpu": "abc", "containers": [container]},
            "no_log": True,
        }
    ]
    proc = run_playbook(module_lab, tmp_path, tasks)
    assert proc.returncode != 0
    assert_absent([SECRET_VALUE], proc)
