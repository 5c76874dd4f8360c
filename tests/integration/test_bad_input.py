"""Bad input (issue 7): each case fails through real ansible with a message that says what to change,
and the lab's call log shows 0 mutating calls for it.

Cases other tests already prove the same way (message + ``mutating_calls(calls) == []``) are not
repeated here:
- a container name missing from the task definition: modules/test_deploy_codedeploy.py and
  modules/test_deploy_rolling.py ``test_bad_input_fails_before_any_change`` (container_name nope);
- a container port missing: modules/test_deploy_codedeploy.py (container_port 9999);
- a strategy the service's controller cannot run: both deploy tests (strategy=rolling on CODE_DEPLOY,
  strategy=codedeploy on ECS);
- canary percent above 100: modules/test_deploy_codedeploy.py (percent 150); 0 and 100 are here;
- an image tag from a dirty tree with ``dirty: refuse``: modules/test_image.py
  ``test_dirty_tree_gets_a_suffix_and_refuse_refuses`` (no call, no builder command);
- a malformed image tag / repository name: modules/test_image.py ``test_bad_input_fails_before_any_call``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from moto_counting_server import mutating_calls

sys.path.insert(0, str(Path(__file__).resolve().parent / "modules"))
from test_deploy_codedeploy import PROD_PORT, ROLE, CodeDeployWorld  # noqa: E402 (the world of the deploy tests, reused)

from lab.ecs.sampleimage import ensure_sample_images  # noqa: E402
from lab.ecs.testkit import default_subnets  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
MISSING_TG_ARN = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/no-such-tg/0123456789abcdef"
MISSING_LISTENER_ARN = "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/no-such-lb/0123456789abcdef/0123456789abcdef"


@pytest.fixture(scope="module")
def world(module_lab: Any) -> Iterator[CodeDeployWorld]:
    built = CodeDeployWorld(module_lab, ensure_sample_images("podman"))
    # What the cases name besides the world's own attributes.
    built.subnets = default_subnets(module_lab.client("ec2"))
    balancer = built.elbv2.describe_load_balancers(Names=[built.name])["LoadBalancers"][0]["LoadBalancerArn"]
    listeners = built.elbv2.describe_listeners(LoadBalancerArn=balancer)["Listeners"]
    built.prod_listener = next(listener["ListenerArn"] for listener in listeners if listener["Port"] == PROD_PORT)
    yield built
    built.ecs.update_service(cluster=built.cluster, service=built.name, desiredCount=0)


def _container(**changes: Any) -> dict:
    return {"name": "app", "image": "127.0.0.1:5000/app:v1", "essential": True, "portMappings": [{"containerPort": 8080}], **changes}


def _without_image() -> dict:
    container = _container()
    del container["image"]
    return container


# (id, module, args from the world, substrings the message must hold)
CASES: list[tuple[str, str, Callable[[CodeDeployWorld], dict], tuple[str, ...]]] = [
    (
        "listener-forwards-to-missing-target-group",
        "listener",
        lambda w: dict(load_balancer=w.name, port=8081, protocol="HTTP", default_action={"forward": {"target_group": "no-such-tg"}}),
        ("no-such-tg", "does not exist"),
    ),
    (
        "listener-arn-that-does-not-exist",
        "listener",
        lambda w: dict(
            load_balancer=w.name, port=8000, listener_arn=MISSING_LISTENER_ARN, protocol="HTTP", default_action={"forward": {"target_group": w.tg_names[0]}}
        ),
        (MISSING_LISTENER_ARN, "does not exist"),
    ),
    (
        "service-with-missing-target-group",
        "service",
        lambda w: dict(
            name=f"{w.name}-x",
            cluster=w.cluster,
            task_definition=w.td_v1,
            desired_count=1,
            launch_type="FARGATE",
            load_balancers=[{"target_group_arn": MISSING_TG_ARN, "container_name": "app", "container_port": 8080}],
            network_configuration={"subnets": w.subnets},
        ),
        ("no-such-tg",),
    ),
    (
        "deployment-group-with-missing-target-groups",
        "codedeploy_deployment_group",
        lambda w: dict(
            application=w.name,
            name=f"{w.name}-x",
            service_role=ROLE,
            cluster=w.cluster,
            service=w.name,
            target_groups=["no-such-blue", "no-such-green"],
            prod_listener_arns=[w.prod_listener],
        ),
        ("no-such-blue",),
    ),
    (
        "deployment-group-with-missing-listener",
        "codedeploy_deployment_group",
        lambda w: dict(
            application=w.name,
            name=f"{w.name}-y",
            service_role=ROLE,
            cluster=w.cluster,
            service=w.name,
            target_groups=list(w.tg_names),
            prod_listener_arns=[MISSING_LISTENER_ARN],
        ),
        (MISSING_LISTENER_ARN,),
    ),
    (
        "task-definition-cpu-abc",
        "task_definition",
        lambda w: dict(family=f"{w.name}-bad", cpu="abc", memory="512", containers=[_container()]),
        ("'abc'", "cpu"),
    ),
    (
        "task-definition-container-without-image",
        "task_definition",
        lambda w: dict(family=f"{w.name}-bad", cpu="256", memory="512", containers=[_without_image()]),
        ("image",),
    ),
    (
        "task-definition-malformed-image-uri",
        "task_definition",
        lambda w: dict(family=w.name, container_image={"container": "app", "image": "not a uri://x:y:z"}),
        ("not a uri://x:y:z",),
    ),
    (
        "task-definition-container-image-of-a-missing-container",
        "task_definition",
        lambda w: dict(family=w.name, container_image={"container": "nope", "image": "127.0.0.1:5000/app:v9"}),
        ("nope",),
    ),
    *[
        (
            f"deploy-{kind}-percent-{percent}",
            "deploy",
            lambda w, kind=kind, percent=percent: w.args(task_definition=w.td_v2, traffic={"type": kind, "percent": percent, "interval_minutes": 1}),
            ("between 1 and 99",),
        )
        for kind in ("canary", "linear")
        for percent in (0, 100)
    ],
]


@pytest.mark.parametrize(("module", "build_args", "expected"), [pytest.param(*case[1:], id=case[0]) for case in CASES])
def test_bad_input_fails_with_a_message_and_no_mutating_call(world: CodeDeployWorld, run_module_on_lab: Any, module: str, build_args, expected) -> None:
    result, calls = run_module_on_lab(module, build_args(world))
    assert result.get("failed") is True, result
    for text in expected:
        assert text in result["msg"], result["msg"]
    assert mutating_calls(calls) == [], result["msg"]


# --- the deploy role's verification task file -------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (None, "no task file"),  # the file does not exist
        ("- name: Check (it says: no)\n  ansible.builtin.debug: {}\n", "is not valid YAML"),
        ("just: a mapping\n", "must be a list of tasks"),
    ],
    ids=["missing", "malformed-yaml", "not-a-task-list"],
)
def test_verification_task_file_that_cannot_run(world: CodeDeployWorld, module_lab: Any, tmp_path: Path, content: str | None, expected: str) -> None:
    missing = tmp_path / "verify.yml"
    if content is not None:
        missing.write_text(content)
    playbook = tmp_path / "play.yml"
    playbook.write_text(
        json.dumps(
            [
                {
                    "hosts": "localhost",
                    "connection": "local",
                    "gather_facts": False,
                    "module_defaults": {"group/cutover.ecs.aws": {"region": "us-east-1", "endpoint_url": module_lab.url}},
                    "tasks": [
                        {
                            "ansible.builtin.include_role": {"name": "cutover.ecs.deploy"},
                            "vars": {
                                "deploy_service": world.name,
                                "deploy_cluster": world.cluster,
                                "deploy_image": "127.0.0.1:5000/app:v9",
                                "deploy_verify_tasks": str(missing),
                            },
                        }
                    ],
                }
            ]
        )
    )
    mark = module_lab.app.mark()
    env = dict(os.environ, ANSIBLE_CONFIG=str(REPO / "ansible.cfg"), AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_REGION="us-east-1")
    proc = subprocess.run(
        [str(Path(sys.executable).parent / "ansible-playbook"), str(playbook)], cwd=REPO, env=env, capture_output=True, text=True, timeout=600
    )
    output = proc.stdout + proc.stderr
    assert proc.returncode != 0, output
    assert str(missing) in output and "deploy_verify_tasks" in output and expected in output, output
    assert mutating_calls(module_lab.app.since(mark)) == []
