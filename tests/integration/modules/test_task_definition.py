"""cutover.ecs.task_definition against moto: check mode, apply, re-apply, modify, delete."""

from __future__ import annotations

import copy

from moto_counting_server import mutating_calls

FAMILY = "it-web"
ACCOUNT = "123456789012"  # moto's default account


def _web(image: str = "registry.example/web:1", log_level: str = "info") -> dict:
    return {
        "name": "web",
        "image": image,
        "portMappings": [{"containerPort": 8080}],
        "environment": [{"name": "LOG_LEVEL", "value": log_level}, {"name": "APP_MODE", "value": "prod"}],
        "secrets": [{"name": "DB_PASSWORD", "valueFrom": f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:db"}],
        "healthCheck": {"command": ["CMD-SHELL", "true"]},
        "logConfiguration": {"logDriver": "awslogs", "options": {"awslogs-group": "/ecs/web", "awslogs-stream-prefix": "Web"}},
        "dockerLabels": {"com.example.Team": "payments"},
    }


def _args(**overrides) -> dict:
    args = dict(
        family=FAMILY,
        cpu="0.25 vCPU",
        memory="0.5GB",
        network_mode="awsvpc",
        requires_compatibilities=["FARGATE"],
        execution_role="ecsTaskExecutionRole",
        containers=[_web()],
        tags={"team": "payments"},
    )
    args.update(overrides)
    return args


def test_task_definition_lifecycle(run_module):
    args = _args()

    result, calls = run_module("task_definition", args, check=True, diff=True)
    assert result["changed"] is True, result
    assert result["revision_created"] is True
    assert result["task_definition"]["revision"] == 1
    assert mutating_calls(calls) == []

    result, calls = run_module("task_definition", args)
    assert result["changed"] is True, result
    assert mutating_calls(calls) == ["ecs:RegisterTaskDefinition"]
    registered = result["task_definition"]
    assert registered["revision"] == 1
    assert registered["execution_role_arn"] == f"arn:aws:iam::{ACCOUNT}:role/ecsTaskExecutionRole"
    assert registered["tags"] == {"team": "payments"}
    container = registered["container_definitions"][0]
    # User data keeps its spelling in the snake_case result.
    assert container["docker_labels"] == {"com.example.Team": "payments"}
    assert container["log_configuration"]["options"]["awslogs-stream-prefix"] == "Web"
    assert {"name": "LOG_LEVEL", "value": "info"} in container["environment"]

    result, calls = run_module("task_definition", args)
    assert result["changed"] is False, result
    assert result["revision_created"] is False
    assert mutating_calls(calls) == []

    # The same definition written differently: reordered env, cpu/memory in units, role as ARN, defaults spelled out.
    same = _args(cpu="256", memory="512", execution_role=f"arn:aws:iam::{ACCOUNT}:role/ecsTaskExecutionRole")
    web = same["containers"][0]
    web["environment"].reverse()
    web["essential"] = True
    web["portMappings"] = [{"containerPort": 8080, "hostPort": 8080, "protocol": "tcp"}]
    web["healthCheck"].update(interval=30, timeout=5, retries=3)
    result, calls = run_module("task_definition", same)
    assert result["changed"] is False, result
    assert mutating_calls(calls) == []

    # Only an env var's value changes: a new revision (the community.aws bug).
    modified = _args(containers=[_web(log_level="debug")])
    result, calls = run_module("task_definition", modified, check=True, diff=True)
    assert result["changed"] is True
    assert result["revision_created"] is True
    assert list(result["diff"]["after"]) == ["containerDefinitions.web.environment"]
    assert mutating_calls(calls) == []

    result, calls = run_module("task_definition", modified)
    assert result["changed"] is True, result
    assert result["task_definition"]["revision"] == 2
    assert mutating_calls(calls) == ["ecs:RegisterTaskDefinition"]

    # Only task memory changes: a new revision.
    result, calls = run_module("task_definition", _args(containers=[_web(log_level="debug")], memory="1GB"))
    assert result["changed"] is True, result
    assert result["task_definition"]["revision"] == 3
    assert mutating_calls(calls) == ["ecs:RegisterTaskDefinition"]

    # Only tags change: tagged in place, nothing registered.
    result, calls = run_module("task_definition", _args(containers=[_web(log_level="debug")], memory="1GB", tags={"team": "search"}))
    assert result["changed"] is True, result
    assert result["revision_created"] is False
    assert result["task_definition"]["tags"] == {"team": "search"}
    assert sorted(mutating_calls(calls)) == ["ecs:TagResource"]

    # A new image on top of the latest revision, keeping two revisions.
    roll = dict(family=FAMILY, container_image=dict(container="web", image="registry.example/web:2"), keep_revisions=2)
    result, calls = run_module("task_definition", roll, check=True)
    assert result["changed"] is True
    assert result["deregistered"] == [f"arn:aws:ecs:us-east-1:{ACCOUNT}:task-definition/{FAMILY}:{n}" for n in (1, 2)]
    assert mutating_calls(calls) == []

    result, calls = run_module("task_definition", roll)
    assert result["changed"] is True, result
    assert result["revision_created"] is True
    assert result["task_definition"]["revision"] == 4
    assert result["task_definition"]["container_definitions"][0]["image"] == "registry.example/web:2"
    assert result["task_definition"]["memory"] in ("1GB", "1024")
    assert result["task_definition"]["tags"] == {"team": "search"}
    assert result["deregistered"] == [f"arn:aws:ecs:us-east-1:{ACCOUNT}:task-definition/{FAMILY}:{n}" for n in (1, 2)]
    assert mutating_calls(calls) == ["ecs:RegisterTaskDefinition", "ecs:DeregisterTaskDefinition", "ecs:DeregisterTaskDefinition"]

    result, calls = run_module("task_definition", roll)
    assert result["changed"] is False, result
    assert mutating_calls(calls) == []

    result, calls = run_module("task_definition", dict(family=FAMILY, state="absent"), check=True)
    assert result["changed"] is True
    assert mutating_calls(calls) == []

    result, calls = run_module("task_definition", dict(family=FAMILY, state="absent"))
    assert result["changed"] is True
    assert result["deregistered"] == [f"arn:aws:ecs:us-east-1:{ACCOUNT}:task-definition/{FAMILY}:{n}" for n in (3, 4)]
    assert mutating_calls(calls) == ["ecs:DeregisterTaskDefinition", "ecs:DeregisterTaskDefinition"]

    result, calls = run_module("task_definition", dict(family=FAMILY, state="absent"))
    assert result["changed"] is False
    assert mutating_calls(calls) == []


def _assert_rejected(run_module, cases: list[tuple[dict, str]]) -> None:
    """Each (args, message) fails with the message, in check mode and not, and changes nothing."""
    for args, message in cases:
        for check in (True, False):
            result, calls = run_module("task_definition", args, check=check)
            assert result.get("failed") is True, (args, result)
            assert message in result["msg"], result["msg"]
            assert "hunter2" not in result["msg"]  # a secret pasted by mistake is not quoted back
            assert mutating_calls(calls) == []


def test_task_definition_bad_input_is_rejected_before_any_change(run_module):
    family = "it-bad"
    no_image = copy.deepcopy(_web())
    del no_image["image"]
    snake_key = copy.deepcopy(_web())
    snake_key["port_mappings"] = snake_key.pop("portMappings")
    cases = [
        (_args(family=family, containers=[no_image]), "has no image"),
        (_args(family=family, containers=[]), "no containers"),
        (_args(family=family, containers=[snake_key]), "port_mappings"),
        (_args(family=family, container_image=dict(container="api", image="x:1")), "'api' is not a container"),
        (dict(family=family, container_image=dict(container="web", image="x:1")), "has no ACTIVE revision"),
        (_args(family=family, network_mode="bridge"), "FARGATE needs network_mode awsvpc"),
        (_args(family=family, cpu="a lot"), "cpu 'a lot' is not understood"),
        (_args(family=family, containers=[dict(_web(), secrets=[{"name": "DB_PASSWORD", "valueFrom": "hunter2"}])]), "does not take its value from an ARN"),
        (_args(family=family, containers=[_web(), dict(_web(), image="registry.example/web:2")]), "repeated: web"),
    ]
    _assert_rejected(run_module, cases)


def _moto_ecs(moto_server):
    import boto3

    session = dict(region_name="us-east-1", endpoint_url=moto_server.url, aws_access_key_id="testing", aws_secret_access_key="testing")
    return boto3.client("ecs", **session)


def test_running_in_compares_with_the_revision_the_service_runs(run_module, moto_server):
    """The declared definition is measured against what the service runs, not the family's
    latest: a revision registered later but never rolled out changes neither answer."""
    family, cluster = "it-running", "it-running"
    ecs = _moto_ecs(moto_server)
    ecs.create_cluster(clusterName=cluster)
    running = run_module("task_definition", _args(family=family))[0]["task_definition"]["task_definition_arn"]
    ecs.create_service(
        cluster=cluster,
        serviceName="web",
        taskDefinition=running,
        desiredCount=0,
        loadBalancers=[
            {
                "targetGroupArn": f"arn:aws:elasticloadbalancing:us-east-1:{ACCOUNT}:targetgroup/tg/0123456789abcdef",
                "containerName": "web",
                "containerPort": 8080,
            }
        ],
    )
    # Someone registers a newer revision (another image) and never rolls it out.
    newer = run_module("task_definition", _args(family=family, containers=[_web(image="registry.example/web:9")]))[0]["task_definition"]["task_definition_arn"]
    where = {"cluster": cluster, "service": "web"}

    # Declared = what runs: nothing to do, although the latest ACTIVE revision differs.
    result, calls = run_module("task_definition", _args(family=family, running_in=where))
    assert (result["changed"], result["revision_created"], result["differing_fields"]) == (False, False, []), result
    assert result["task_definition"]["task_definition_arn"] == result["running_task_definition"] == running
    assert mutating_calls(calls) == []

    # Declared = the newer revision: reused, nothing registered.
    result, calls = run_module("task_definition", _args(family=family, running_in=where, containers=[_web(image="registry.example/web:9")]))
    assert (result["changed"], result["task_definition"]["task_definition_arn"]) == (False, newer), result
    assert mutating_calls(calls) == []

    # One environment value changed: a new revision, and the field that differs from what runs.
    changed = _args(family=family, running_in=where, containers=[_web(log_level="debug")])
    result, calls = run_module("task_definition", changed, check=True, diff=True)
    assert (result["changed"], result["revision_created"]) == (True, True), result
    assert result["differing_fields"] == ["containerDefinitions.web.environment"]
    assert result["running_task_definition"] == running
    assert result["task_definition"]["revision"] == 3
    assert mutating_calls(calls) == []
    result, calls = run_module("task_definition", changed)
    assert mutating_calls(calls) == ["ecs:RegisterTaskDefinition"]
    assert result["task_definition"]["task_definition_arn"].endswith(f"{family}:3")

    # Without containers, the running revision is the base that container_image changes.
    result, _ = run_module(
        "task_definition", dict(family=family, running_in=where, container_image=dict(container="web", image="registry.example/web:2")), check=True
    )
    assert result["differing_fields"] == ["containerDefinitions.web.image"], result


def test_running_in_rejects_a_definition_the_load_balancer_cannot_reach(run_module, moto_server):
    family, cluster = "it-served", "it-served"
    ecs = _moto_ecs(moto_server)
    ecs.create_cluster(clusterName=cluster)
    arn = run_module("task_definition", _args(family=family))[0]["task_definition"]["task_definition_arn"]
    target_group = f"arn:aws:elasticloadbalancing:us-east-1:{ACCOUNT}:targetgroup/tg/0123456789abcdef"
    ecs.create_service(
        cluster=cluster,
        serviceName="web",
        taskDefinition=arn,
        desiredCount=0,
        loadBalancers=[{"targetGroupArn": target_group, "containerName": "web", "containerPort": 8080}],
    )
    renamed = dict(_web(), name="api")
    other_port = dict(_web(), portMappings=[{"containerPort": 9090}])
    cases = [
        (
            _args(family=family, running_in={"cluster": cluster, "service": "web"}, containers=[renamed]),
            "sends traffic to container 'web', which the task definition does not declare",
        ),
        (_args(family=family, running_in={"cluster": cluster, "service": "web"}, containers=[other_port]), "sends traffic to port 8080 of container 'web'"),
        (_args(family=family, load_balancers=[{"container_name": "web", "container_port": 8443}]), "load_balancers[0] sends traffic to port 8443"),
    ]
    _assert_rejected(run_module, cases)
