from __future__ import annotations

import copy

import pytest

from ansible_collections.cutover.ecs.plugins.module_utils._ecs import task_definition_plan as tdp
from ansible_collections.cutover.ecs.plugins.module_utils._errors import InvalidInput
from ansible_collections.cutover.ecs.plugins.module_utils._module import to_snake as snake_resource

ACCOUNT = "123456789012"
EXEC_ROLE = f"arn:aws:iam::{ACCOUNT}:role/ecsTaskExecutionRole"
SECRET_A = f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:web/a-Ab12Cd"
SECRET_B = f"arn:aws:ssm:us-east-1:{ACCOUNT}:parameter/web/b"

WEB = {
    "name": "web",
    "image": "registry.example/web:1",
    "portMappings": [{"containerPort": 8080}],
    "environment": [{"name": "LOG_LEVEL", "value": "info"}, {"name": "APP_MODE", "value": "prod"}],
    "secrets": [{"name": "B", "valueFrom": SECRET_B}, {"name": "A", "valueFrom": SECRET_A}],
    "healthCheck": {"command": ["CMD-SHELL", "true"]},
    "logConfiguration": {"logDriver": "awslogs", "options": {"awslogs-group": "/ecs/web"}},
    "command": ["serve", "--port", "8080"],
}

OPTIONS = dict(
    family="web",
    containers=[WEB],
    cpu="0.25 vCPU",
    memory="0.5GB",
    network_mode="awsvpc",
    task_role=None,
    execution_role="ecsTaskExecutionRole",
    requires_compatibilities=["FARGATE"],
    volumes=None,
    placement_constraints=None,
    runtime_platform=None,
    ephemeral_storage=None,
    pid_mode=None,
    ipc_mode=None,
    container_image=None,
    tags=None,
)

# What DescribeTaskDefinition answers for OPTIONS, with the defaults AWS fills in.
LIVE = {
    "taskDefinitionArn": f"arn:aws:ecs:us-east-1:{ACCOUNT}:task-definition/web:3",
    "family": "web",
    "revision": 3,
    "status": "ACTIVE",
    "compatibilities": ["EC2", "FARGATE"],
    "requiresAttributes": [{"name": "com.amazonaws.ecs.capability.logging-driver.awslogs"}],
    "registeredAt": "2025-01-01T00:00:00Z",
    "networkMode": "awsvpc",
    "cpu": "256",
    "memory": "512",
    "executionRoleArn": EXEC_ROLE,
    "requiresCompatibilities": ["FARGATE"],
    "volumes": [],
    "placementConstraints": [],
    "containerDefinitions": [
        {
            "name": "web",
            "image": "registry.example/web:1",
            "cpu": 0,
            "essential": True,
            "portMappings": [{"containerPort": 8080, "hostPort": 8080, "protocol": "tcp"}],
            "environment": [{"name": "APP_MODE", "value": "prod"}, {"name": "LOG_LEVEL", "value": "info"}],
            "secrets": [{"name": "A", "valueFrom": SECRET_A}, {"name": "B", "valueFrom": SECRET_B}],
            "mountPoints": [],
            "volumesFrom": [],
            "systemControls": [],
            "healthCheck": {"command": ["CMD-SHELL", "true"], "interval": 30, "timeout": 5, "retries": 3},
            "logConfiguration": {"logDriver": "awslogs", "options": {"awslogs-group": "/ecs/web"}, "secretOptions": []},
            "command": ["serve", "--port", "8080"],
        }
    ],
}


def _plan(options: dict, live: dict | None = LIVE) -> list[str]:
    definition = tdp.desired_definition(options, live, ACCOUNT)
    return tdp.plan_task_definition(tdp.normalise_definition(definition), live and tdp.normalise_definition(live))


def _with_web(**changes) -> dict:
    web = copy.deepcopy(WEB)
    web.update(changes)
    return dict(OPTIONS, containers=[web])


@pytest.mark.parametrize(
    "options, expected",
    [
        (OPTIONS, []),
        # Regression: an env var's value alone makes a new revision (community.aws misses it).
        (_with_web(environment=[{"name": "LOG_LEVEL", "value": "debug"}, {"name": "APP_MODE", "value": "prod"}]), ["containerDefinitions.web.environment"]),
        # Regression: reordering env vars or secrets does not.
        (_with_web(environment=list(reversed(WEB["environment"]))), []),
        (_with_web(secrets=list(reversed(WEB["secrets"]))), []),
        # Regression: task-level cpu, memory, execution role or network mode alone do.
        (dict(OPTIONS, cpu="512"), ["cpu"]),
        (dict(OPTIONS, memory="1GB"), ["memory"]),
        (dict(OPTIONS, execution_role="otherRole"), ["executionRoleArn"]),
        (dict(OPTIONS, network_mode="host"), ["networkMode"]),
        # Under bridge an unset hostPort is dynamic (0), no longer the container port.
        (dict(OPTIONS, network_mode="bridge"), ["networkMode", "containerDefinitions.web.portMappings"]),
        # Units and role spellings that mean the same thing.
        (dict(OPTIONS, cpu="256", memory="512"), []),
        (dict(OPTIONS, cpu=".25 vcpu", memory="0.5 GB"), []),
        (dict(OPTIONS, execution_role=EXEC_ROLE), []),
        # AWS defaults spelled out are no change.
        (_with_web(essential=True, cpu=0, portMappings=[{"containerPort": 8080, "hostPort": 8080, "protocol": "tcp"}]), []),
        (_with_web(healthCheck={"command": ["CMD-SHELL", "true"], "interval": 30, "timeout": 5, "retries": 3, "startPeriod": 0}), []),
        (_with_web(mountPoints=[], readonlyRootFilesystem=False, privileged=False), []),
        # Each container field counts.
        (_with_web(image="registry.example/web:2"), ["containerDefinitions.web.image"]),
        (_with_web(essential=False), ["containerDefinitions.web.essential"]),
        (_with_web(portMappings=[{"containerPort": 8081}]), ["containerDefinitions.web.portMappings"]),
        (_with_web(portMappings=[{"containerPort": 8080, "protocol": "udp"}]), ["containerDefinitions.web.portMappings"]),
        (_with_web(healthCheck={"command": ["CMD-SHELL", "true"], "retries": 5}), ["containerDefinitions.web.healthCheck"]),
        (_with_web(logConfiguration={"logDriver": "awslogs", "options": {"awslogs-group": "/ecs/other"}}), ["containerDefinitions.web.logConfiguration"]),
        (_with_web(command=["serve", "8080", "--port"]), ["containerDefinitions.web.command"]),  # order matters here
        (_with_web(memory=256), ["containerDefinitions.web.memory"]),
        (_with_web(memoryReservation=128), ["containerDefinitions.web.memoryReservation"]),
        (_with_web(stopTimeout=60), ["containerDefinitions.web.stopTimeout"]),
        (_with_web(ulimits=[{"name": "nofile", "softLimit": 1024, "hardLimit": 4096}]), ["containerDefinitions.web.ulimits"]),
        (_with_web(entryPoint=["/bin/sh", "-c"]), ["containerDefinitions.web.entryPoint"]),
        (_with_web(privileged=True), ["containerDefinitions.web.privileged"]),
        # Regression: a secret added is a change.
        (_with_web(secrets=[*WEB["secrets"], {"name": "C", "valueFrom": SECRET_A + "-c"}]), ["containerDefinitions.web.secrets"]),
        # Environment values are text: YAML's 8080 and true are what ECS keeps as "8080" and "true".
        (
            _with_web(environment=[{"name": "LOG_LEVEL", "value": "info"}, {"name": "APP_MODE", "value": "prod"}, {"name": "N", "value": 8080}]),
            ["containerDefinitions.web.environment"],
        ),
        # Containers added or removed.
        (dict(OPTIONS, containers=[WEB, {"name": "sidecar", "image": "envoy:1"}]), ["containerDefinitions.sidecar"]),
        # Other task-level fields.
        (dict(OPTIONS, requires_compatibilities=["FARGATE", "EC2"]), ["requiresCompatibilities"]),
        (dict(OPTIONS, volumes=[{"name": "data"}]), ["volumes"]),
        (dict(OPTIONS, runtime_platform={"cpu_architecture": "ARM64", "operating_system_family": "LINUX"}), ["runtimePlatform"]),
        (dict(OPTIONS, task_role="appRole"), ["taskRoleArn"]),
        (dict(OPTIONS, ephemeral_storage=30), ["ephemeralStorage"]),
        (dict(OPTIONS, pid_mode="task"), ["pidMode"]),
    ],
)
def test_plan_task_definition(options, expected):
    assert _plan(options) == expected


def test_plan_task_definition_container_order_is_irrelevant():
    sidecar = {"name": "sidecar", "image": "envoy:1", "memory": 64}
    first = dict(OPTIONS, containers=[WEB, sidecar])
    second = dict(OPTIONS, containers=[sidecar, WEB])
    desired = tdp.normalise_definition(tdp.desired_definition(first, None, ACCOUNT))
    current = tdp.normalise_definition(tdp.desired_definition(second, None, ACCOUNT))
    assert tdp.plan_task_definition(desired, current) == []


def test_plan_task_definition_for_a_new_family_lists_every_field():
    paths = _plan(OPTIONS, live=None)
    assert "containerDefinitions" in paths and "cpu" in paths and "family" not in paths


@pytest.mark.parametrize(
    "mapping, network_mode, expected",
    [
        ({"containerPort": 80}, "awsvpc", {"containerPort": 80, "hostPort": 80, "protocol": "tcp"}),
        ({"containerPort": 80}, "host", {"containerPort": 80, "hostPort": 80, "protocol": "tcp"}),
        ({"containerPort": 80}, "bridge", {"containerPort": 80, "hostPort": 0, "protocol": "tcp"}),
        ({"containerPort": 80, "hostPort": 8080, "protocol": "udp"}, "bridge", {"containerPort": 80, "hostPort": 8080, "protocol": "udp"}),
    ],
)
def test_port_mapping_defaults(mapping, network_mode, expected):
    container = tdp.normalise_container({"name": "a", "image": "b", "portMappings": [mapping]}, network_mode)
    assert container["portMappings"] == [expected]


@pytest.mark.parametrize(
    "value, expected",
    [(None, None), ("256", "256"), (256, "256"), ("0.25 vCPU", "256"), ("1 vcpu", "1024"), ("2vCPU", "2048"), (".5 vCPU", "512")],
)
def test_parse_cpu(value, expected):
    assert tdp.parse_cpu(value) == expected


@pytest.mark.parametrize(
    "value, expected",
    [(None, None), ("512", "512"), (512, "512"), ("0.5GB", "512"), ("1 GB", "1024"), ("2gb", "2048"), ("3072 MiB", "3072")],
)
def test_parse_memory(value, expected):
    assert tdp.parse_memory(value) == expected


@pytest.mark.parametrize("parse, value", [(tdp.parse_cpu, "fast"), (tdp.parse_memory, "1 TB"), (tdp.parse_cpu, "1 GB")])
def test_unparsable_units_are_bad_input(parse, value):
    with pytest.raises(InvalidInput, match="is not understood"):
        parse(value)


@pytest.mark.parametrize(
    "role, account, partition, expected",
    [
        (None, None, "aws", None),
        (EXEC_ROLE, None, "aws", EXEC_ROLE),
        ("ecsTaskExecutionRole", ACCOUNT, "aws", EXEC_ROLE),
        ("service-role/x", ACCOUNT, "aws", f"arn:aws:iam::{ACCOUNT}:role/service-role/x"),
        ("x", ACCOUNT, "aws-cn", f"arn:aws-cn:iam::{ACCOUNT}:role/x"),
    ],
)
def test_role_arn(role, account, partition, expected):
    assert tdp.role_arn(role, account, partition) == expected


def test_role_name_without_account_is_bad_input():
    with pytest.raises(InvalidInput, match="give the role's ARN"):
        tdp.role_arn("x", None)


@pytest.mark.parametrize(
    "options, expected",
    [
        (dict(task_role=None, execution_role=None), False),
        (dict(task_role=EXEC_ROLE, execution_role=None), False),
        (dict(task_role=None, execution_role="name"), True),
    ],
)
def test_roles_needing_account(options, expected):
    assert tdp.roles_needing_account(options) is expected


def test_desired_definition_from_latest_revision_replaces_one_image_and_keeps_the_rest():
    options = dict(OPTIONS, containers=None, cpu=None, memory="1GB", execution_role=None, requires_compatibilities=None, network_mode=None)
    options["container_image"] = {"container": "web", "image": "registry.example/web:2"}
    definition = tdp.desired_definition(options, LIVE, ACCOUNT)
    assert definition["containerDefinitions"][0]["image"] == "registry.example/web:2"
    assert definition["memory"] == "1GB"  # overridden
    assert definition["cpu"] == "256"  # kept
    assert definition["executionRoleArn"] == EXEC_ROLE
    assert not set(definition) & tdp.READ_ONLY_FIELDS
    paths = tdp.plan_task_definition(tdp.normalise_definition(definition), tdp.normalise_definition(LIVE))
    assert paths == ["memory", "containerDefinitions.web.image"]


def test_registrable_keeps_only_what_registration_takes():
    live = dict(LIVE, someFutureReadOnlyField="x", tags=[{"key": "a", "value": "b"}])
    assert set(tdp.registrable(live)) == {
        "family",
        "containerDefinitions",
        "networkMode",
        "cpu",
        "memory",
        "executionRoleArn",
        "requiresCompatibilities",
        "volumes",
        "placementConstraints",
    }
    assert tdp.registrable(None) is None


def test_desired_definition_with_containers_defaults_to_awsvpc():
    definition = tdp.desired_definition(dict(OPTIONS, network_mode=None), None, ACCOUNT)
    assert definition["networkMode"] == "awsvpc"


@pytest.mark.parametrize(
    "options, live, message",
    [
        (dict(OPTIONS, container_image={"container": "api", "image": "x"}), None, "'api' is not a container"),
        (dict(OPTIONS, containers=None, container_image={"container": "api", "image": "x"}), LIVE, "'api' is not a container"),
        (dict(OPTIONS, containers=None, container_image={"container": "web", "image": "x"}), None, "has no ACTIVE revision"),
    ],
)
def test_desired_definition_bad_input(options, live, message):
    with pytest.raises(InvalidInput, match=message):
        tdp.desired_definition(options, live, ACCOUNT)


@pytest.mark.parametrize(
    "change, message",
    [
        (dict(containerDefinitions=[]), "has no containers"),
        (dict(containerDefinitions=[{"name": "web"}]), "has no image"),
        (dict(containerDefinitions=[{"image": "x"}]), "has no name"),
        (dict(containerDefinitions=[{"name": "a", "image": "x"}, {"name": "a", "image": "y"}]), "repeated: a"),
        (dict(containerDefinitions=[{"name": "a", "image": "x", "essential": False}]), "No container is essential"),
        (dict(containerDefinitions=[{"name": "a", "image": "x", "dependsOn": [{"containerName": "b", "condition": "START"}]}]), "unknown container 'b'"),
        (dict(containerDefinitions=[{"name": "a", "image": "x", "mountPoints": [{"sourceVolume": "data", "containerPath": "/d"}]}]), "unknown volume 'data'"),
        (dict(memory=None, containerDefinitions=[{"name": "a", "image": "x"}]), "has no memory"),
        (dict(networkMode="bridge"), "FARGATE needs network_mode awsvpc"),
        (dict(cpu=None), "FARGATE needs task-level cpu and memory"),
    ],
)
def test_validate_definition_rejects(change, message):
    definition = dict(tdp.desired_definition(OPTIONS, None, ACCOUNT), **change)
    with pytest.raises(InvalidInput, match=message):
        tdp.validate_definition(definition)


def test_validate_definition_accepts_a_good_one():
    tdp.validate_definition(tdp.desired_definition(OPTIONS, None, ACCOUNT))


@pytest.mark.parametrize("keep, message", [(0, "keep_revisions is 0"), (-1, "keep_revisions is -1")])
def test_validate_options(keep, message):
    with pytest.raises(InvalidInput, match=message):
        tdp.validate_options(dict(keep_revisions=keep))


@pytest.mark.parametrize(
    "new_revision, desired, current, purge, expected",
    [
        (True, None, {"a": "1"}, True, ({"a": "1"}, {"a": "1"}, [])),  # a new revision keeps the family's tags
        (True, {"b": "2"}, {"a": "1"}, True, ({"b": "2"}, {"b": "2"}, [])),
        (False, None, {"a": "1"}, True, ({"a": "1"}, {}, [])),
        (False, {"a": "1"}, {"a": "1"}, True, ({"a": "1"}, {}, [])),
        (False, {"b": "2"}, {"a": "1"}, True, ({"b": "2"}, {"b": "2"}, ["a"])),
        (False, {"b": "2"}, {"a": "1"}, False, ({"a": "1", "b": "2"}, {"b": "2"}, [])),
    ],
)
def test_plan_revision_tags(new_revision, desired, current, purge, expected):
    assert tdp.plan_revision_tags(new_revision, desired, current, purge) == expected


ARNS = [f"arn:aws:ecs:us-east-1:{ACCOUNT}:task-definition/web:{n}" for n in (1, 2, 10, 3)]


@pytest.mark.parametrize(
    "keep, expected",
    [(None, []), (10, []), (4, []), (2, [ARNS[0], ARNS[1]]), (1, [ARNS[0], ARNS[1], ARNS[3]])],
)
def test_revisions_to_deregister(keep, expected):
    assert tdp.revisions_to_deregister(ARNS, keep) == expected


def test_latest_revision_ignores_other_families_with_the_same_prefix():
    arns = ARNS + [f"arn:aws:ecs:us-east-1:{ACCOUNT}:task-definition/web-api:99"]
    assert tdp.latest_revision(arns, "web") == ARNS[2]
    assert tdp.latest_revision(arns, "nope") is None


@pytest.mark.parametrize(
    "latest, expected",
    [(None, (None, 1)), (ARNS[2], (f"arn:aws:ecs:us-east-1:{ACCOUNT}:task-definition/web:11", 11))],
)
def test_predicted_arn(latest, expected):
    assert tdp.predicted_arn(latest, "web") == expected


def test_difference_shows_only_the_differing_fields():
    desired = tdp.normalise_definition(tdp.desired_definition(dict(OPTIONS, cpu="512"), None, ACCOUNT))
    current = tdp.normalise_definition(LIVE)
    before, after = tdp.difference(["cpu"], desired, current)
    assert (before, after) == ({"cpu": "256"}, {"cpu": "512"})
    assert tdp.difference(["x"], desired, None) == ({}, desired)


def test_difference_of_a_container_field_with_a_dotted_name():
    definition = {"containerDefinitions": {"a.b": {"image": "x"}, "a": {"image": "y"}}}
    assert tdp.difference(["containerDefinitions.a.b.image"], definition, definition)[1] == {"containerDefinitions.a.b.image": "x"}


@pytest.mark.parametrize(
    "value, expected",
    [
        ({"a": None, "b": "", "c": [], "d": {}, "e": False, "f": 0, "essential": False}, {"f": 0, "essential": False}),
        ([{"readOnly": False, "sourceVolume": "v"}], [{"sourceVolume": "v"}]),
        ({"x": {"y": {"z": None}}}, {}),
        ({"hookDetails": {"flag": False, "empty": ""}}, {"hookDetails": {"flag": False, "empty": ""}}),  # the user's own document
    ],
)
def test_prune(value, expected):
    assert tdp.prune(value) == expected


def test_snake_resource_keeps_user_data():
    resource = {
        "containerDefinitions": [
            {
                "dockerLabels": {"com.example.Team": "x"},
                "logConfiguration": {"options": {"awslogs-Group": "y"}},
                "environment": [{"name": "MY_VAR", "value": "v"}],
            }
        ],
        "tags": {"CostCenter": "1"},
        "enableECSManagedTags": True,
    }
    assert snake_resource(resource) == {
        "container_definitions": [
            {
                "docker_labels": {"com.example.Team": "x"},
                "log_configuration": {"options": {"awslogs-Group": "y"}},
                "environment": [{"name": "MY_VAR", "value": "v"}],
            }
        ],
        "tags": {"CostCenter": "1"},
        "enable_ecs_managed_tags": True,
    }
    assert snake_resource(None) == {}


@pytest.mark.parametrize(
    ("image", "ok"),
    [
        ("nginx", True),
        ("nginx:1.25-alpine", True),
        ("123456789012.dkr.ecr.us-east-1.amazonaws.com/shop/web:3f2a1b0c", True),
        ("127.0.0.1:5000/demo:v1-dirty-ab12", True),
        ("localhost/cutover-lab/sample:v1", True),
        ("public.ecr.aws/docker/library/python:3.11@sha256:" + "a" * 64, True),
        ("not a uri://x:y:z", False),
        ("Shop/Web:1", False),  # repositories are lower case
        ("web:", False),
        ("web:tag with space", False),
        ("", False),
        ("web@sha256:short", False),
    ],
)
def test_image_reference_ok(image, ok):
    assert tdp.image_reference_ok(image) is ok


def _normalised(**changes):
    return tdp.normalise_definition(tdp.desired_definition(dict(OPTIONS, **changes), None, ACCOUNT))


def test_closest_revision_prefers_the_running_revision_when_equal():
    desired = _normalised()
    running, latest = ("running", _normalised()), ("latest", _normalised(cpu="512"))
    assert tdp.closest_revision(desired, [running, latest])[0::2] == ("running", [])


def test_closest_revision_reuses_the_latest_revision_that_already_is_the_desired_one():
    desired = _normalised(memory="1GB")
    running, latest = ("running", _normalised()), ("latest", _normalised(memory="1024"))
    assert tdp.closest_revision(desired, [running, latest])[0::2] == ("latest", [])


def test_closest_revision_measures_a_change_against_the_running_revision():
    changed = copy.deepcopy(WEB)
    changed["environment"][0]["value"] = "debug"
    desired = _normalised(containers=[changed])
    running, latest = ("running", _normalised()), ("latest", _normalised(cpu="512"))
    revision, current, paths = tdp.closest_revision(desired, [running, latest])
    assert (revision, paths) == ("running", ["containerDefinitions.web.environment"])
    assert current == running[1]


def test_closest_revision_without_candidates_is_a_new_family():
    revision, current, paths = tdp.closest_revision(_normalised(), [])
    assert revision is None and current is None and "containerDefinitions" in paths


def test_with_log_region_fills_only_a_missing_awslogs_region():
    definition = {
        "containerDefinitions": [
            {"name": "a", "logConfiguration": {"logDriver": "awslogs", "options": {"awslogs-group": "/ecs/a"}}},
            {"name": "b", "logConfiguration": {"logDriver": "awslogs", "options": {"awslogs-region": "eu-west-1"}}},
            {"name": "c", "logConfiguration": {"logDriver": "json-file"}},
            {"name": "d"},
        ]
    }
    result = tdp.with_log_region(definition, "us-east-1")
    options = [c.get("logConfiguration", {}).get("options") for c in result["containerDefinitions"]]
    assert options == [{"awslogs-region": "us-east-1", "awslogs-group": "/ecs/a"}, {"awslogs-region": "eu-west-1"}, None, None]
    assert "awslogs-region" not in definition["containerDefinitions"][0]["logConfiguration"]["options"]


def test_environment_values_are_sent_as_text():
    options = _with_web(environment=[{"name": "PORT", "value": 8080}, {"name": "DEBUG", "value": True}, {"name": "OFF", "value": False}])
    environment = tdp.desired_definition(options, None, ACCOUNT)["containerDefinitions"][0]["environment"]
    assert environment == [{"name": "PORT", "value": "8080"}, {"name": "DEBUG", "value": "true"}, {"name": "OFF", "value": "false"}]
    live = copy.deepcopy(LIVE)
    live["containerDefinitions"][0]["environment"] = [{"name": "PORT", "value": "8080"}, {"name": "DEBUG", "value": "true"}, {"name": "OFF", "value": "false"}]
    assert _plan(options, live) == []


def test_a_sidecar_removed_is_a_change():
    live = copy.deepcopy(LIVE)
    live["containerDefinitions"].append({"name": "envoy", "image": "envoy:1", "essential": True, "cpu": 0})
    assert _plan(OPTIONS, live) == ["containerDefinitions.envoy"]


@pytest.mark.parametrize(
    "value_from",
    ["hunter2", "arn:nope", "/shop/db-password", f"arn:aws:s3:::bucket/{ACCOUNT}", "arn:aws:secretsmanager:us-east-1:123:secret:x"],
)
def test_a_secret_that_is_not_an_arn_is_rejected_without_quoting_it(value_from):
    options = _with_web(secrets=[{"name": "DB_PASSWORD", "valueFrom": value_from}])
    with pytest.raises(InvalidInput) as error:
        tdp.validate_definition(tdp.desired_definition(options, None, ACCOUNT))
    assert "secret 'DB_PASSWORD' does not take its value from an ARN" in str(error.value)
    assert value_from not in str(error.value)


@pytest.mark.parametrize("value_from", [SECRET_A, SECRET_B, f"arn:aws-us-gov:ssm:us-gov-west-1:{ACCOUNT}:parameter/x"])
def test_secret_arns_are_accepted(value_from):
    tdp.validate_definition(tdp.desired_definition(_with_web(secrets=[{"name": "S", "valueFrom": value_from}]), None, ACCOUNT))


def test_an_essential_sidecar_without_an_image_is_rejected():
    options = dict(OPTIONS, containers=[WEB, {"name": "envoy", "essential": True}])
    with pytest.raises(InvalidInput, match="container 'envoy' has no image"):
        tdp.validate_definition(tdp.desired_definition(options, None, ACCOUNT))


def test_two_containers_with_one_name_are_rejected():
    options = dict(OPTIONS, containers=[WEB, dict(WEB, image="registry.example/web:2")])
    with pytest.raises(InvalidInput, match="repeated: web"):
        tdp.validate_definition(tdp.desired_definition(options, None, ACCOUNT))


@pytest.mark.parametrize(
    "served, expected",
    [
        ([("load_balancers[0]", "web", 8080)], []),
        (
            [("load_balancers[0]", "app", 8080)],
            ["load_balancers[0] sends traffic to container 'app', which the task definition does not declare (its containers: web)."],
        ),
        (
            [("The load balancer of service shop", "web", 9000)],
            [
                "The load balancer of service shop sends traffic to port 9000 of container 'web', which no portMappings containerPort declares (it declares: 8080)."
            ],
        ),
        ([("x", "web", None)], []),
    ],
)
def test_served_port_problems(served, expected):
    assert tdp.served_port_problems(tdp.desired_definition(OPTIONS, None, ACCOUNT), served) == expected
