"""cutover.ecs.pipeline_artifacts' documents, table by table: the AppSpec (the one deploy sends,
with or without CodePipeline's placeholder), taskdef.json as RegisterTaskDefinition input,
imagedefinitions.json and imageDetail.json, the container defaults, and what changes on disk."""

from __future__ import annotations

import copy
import json
from typing import Any

import boto3
import botocore.session
import pytest
import yaml

from ansible_collections.cutover.ecs.plugins.module_utils._deploy import artifacts, plan
from ansible_collections.cutover.ecs.plugins.module_utils._errors import InvalidInput

ARN = "arn:aws:ecs:us-east-1:123456789012:task-definition/web:7"
IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/shop/web:3f2a9c1d"
SIDECAR_IMAGE = "public.ecr.aws/aws-observability/aws-otel-collector:v0.40.0"

# DescribeTaskDefinition's taskDefinition, with every read-only field AWS returns.
TASK_DEFINITION: dict = {
    "taskDefinitionArn": ARN,
    "family": "web",
    "revision": 7,
    "status": "ACTIVE",
    "networkMode": "awsvpc",
    "requiresCompatibilities": ["FARGATE"],
    "compatibilities": ["EC2", "FARGATE"],
    "requiresAttributes": [{"name": "com.amazonaws.ecs.capability.docker-remote-api.1.18"}],
    "registeredAt": "2025-11-26T12:00:00+00:00",
    "registeredBy": "arn:aws:iam::123456789012:role/ci",
    "deregisteredAt": "2025-11-27T12:00:00+00:00",
    "deleteRequestedAt": "2025-11-28T12:00:00+00:00",
    "cpu": "256",
    "memory": "512",
    "executionRoleArn": "arn:aws:iam::123456789012:role/ecsTaskExecutionRole",
    "volumes": [],
    "placementConstraints": [],
    "containerDefinitions": [
        {
            "name": "web",
            "image": IMAGE,
            "essential": True,
            "portMappings": [{"containerPort": 8080, "hostPort": 8080, "protocol": "tcp"}, {"containerPort": 9090, "protocol": "tcp"}],
            "dockerLabels": {"com.example.Team": "payments"},
        },
        {"name": "otel", "image": SIDECAR_IMAGE, "essential": False, "portMappings": []},
    ],
}

AWSVPC = {"awsvpcConfiguration": {"subnets": ["subnet-1", "subnet-2"], "securityGroups": ["sg-1"], "assignPublicIp": "DISABLED"}}
LOAD_BALANCER = {"targetGroupArn": "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/blue/0123", "containerName": "web", "containerPort": 8080}


def service(**extra: Any) -> dict:
    base = {"serviceName": "web", "taskDefinition": ARN, "deploymentController": {"type": "CODE_DEPLOY"}, "loadBalancers": [LOAD_BALANCER]}
    base.update(extra)
    return base


def properties(appspec: dict) -> dict:
    return appspec["Resources"][0]["TargetService"]["Properties"]


# --- input ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "options, message",
    [
        ({"files": [], "dest": "/d"}, "at least one"),
        ({"files": ["appspec.yml"], "dest": "/d"}, "unknown names appspec.yml"),
        ({"files": ["taskdef.json", "taskdef.json"], "dest": "/d"}, "twice"),
        ({"files": ["taskdef.json"], "dest": ""}, "dest"),
        ({"files": ["appspec.yaml"], "dest": "/d", "container_port": 0}, "between 1 and 65535"),
        ({"files": ["appspec.yaml"], "dest": "/d", "container_port": 70000}, "between 1 and 65535"),
    ],
)
def test_validate_options_rejects(options, message):
    with pytest.raises(InvalidInput, match=message):
        artifacts.validate_options(options)


def test_validate_options_keeps_the_order():
    assert artifacts.validate_options({"files": ["imageDetail.json", "appspec.yaml"], "dest": "/d"}) == ("imageDetail.json", "appspec.yaml")


# --- which container -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "svc, files, name, port, expected",
    [
        # The load balancer's container and port, as cutover.ecs.deploy takes them.
        (service(), artifacts.DEFAULT_FILES, None, None, ("web", 8080)),
        # Another mapped port of the same container.
        (service(), artifacts.DEFAULT_FILES, None, 9090, ("web", 9090)),
        # No AppSpec and no load balancer: the container named.
        (service(loadBalancers=[]), ("imagedefinitions.json",), "otel", None, ("otel", None)),
        # No AppSpec: the load balancer's container, no port needed.
        (service(), ("taskdef.json", "imageDetail.json"), None, None, ("web", None)),
    ],
)
def test_artifact_container(svc, files, name, port, expected):
    assert artifacts.artifact_container(svc, TASK_DEFINITION, files, name, port) == expected


def test_artifact_container_takes_the_only_container():
    single = {**TASK_DEFINITION, "containerDefinitions": TASK_DEFINITION["containerDefinitions"][:1]}
    assert artifacts.artifact_container(service(loadBalancers=[]), single, ("imagedefinitions.json",)) == ("web", None)


@pytest.mark.parametrize(
    "svc, files, name, port, option, message",
    [
        # The AppSpec needs a port: without a load balancer, both must be given.
        (service(loadBalancers=[]), artifacts.DEFAULT_FILES, None, None, "container_name", "no load balancer"),
        (service(), artifacts.DEFAULT_FILES, "missing", None, "container_name", "not a container of the task definition web:7"),
        (service(), artifacts.DEFAULT_FILES, None, 8443, "container_port", "not a port mapping of container web"),
        (service(), ("imagedefinitions.json",), "missing", None, "container_name", r"its containers: otel, web"),
        # Two containers, no load balancer, no name: no guessing.
        (service(loadBalancers=[]), ("imagedefinitions.json",), None, None, "container_name", "give container_name"),
    ],
)
def test_artifact_container_rejects(svc, files, name, port, option, message):
    with pytest.raises(InvalidInput, match=message) as caught:
        artifacts.artifact_container(svc, TASK_DEFINITION, files, name, port)
    assert caught.value.details["option"] == option


# --- appspec.yaml --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "placeholders, svc, expected_properties",
    [
        (
            True,
            service(),
            {"TaskDefinition": "<TASK_DEFINITION>", "LoadBalancerInfo": {"ContainerName": "web", "ContainerPort": 8080}},
        ),
        (
            False,
            service(),
            {"TaskDefinition": ARN, "LoadBalancerInfo": {"ContainerName": "web", "ContainerPort": 8080}},
        ),
        # awsvpc: the service's network configuration in the AppSpec's PascalCase.
        (
            True,
            service(networkConfiguration=AWSVPC, platformVersion="1.4.0"),
            {
                "TaskDefinition": "<TASK_DEFINITION>",
                "LoadBalancerInfo": {"ContainerName": "web", "ContainerPort": 8080},
                "PlatformVersion": "1.4.0",
                "NetworkConfiguration": {
                    "AwsvpcConfiguration": {"Subnets": ["subnet-1", "subnet-2"], "SecurityGroups": ["sg-1"], "AssignPublicIp": "DISABLED"}
                },
            },
        ),
        # LATEST is what AWS reports when none was chosen: left out, as deploy leaves it out.
        (
            False,
            service(networkConfiguration={"awsvpcConfiguration": {"subnets": ["subnet-1"]}}, platformVersion="LATEST"),
            {
                "TaskDefinition": ARN,
                "LoadBalancerInfo": {"ContainerName": "web", "ContainerPort": 8080},
                "NetworkConfiguration": {"AwsvpcConfiguration": {"Subnets": ["subnet-1"]}},
            },
        ),
    ],
)
def test_appspec_document(placeholders, svc, expected_properties):
    appspec = artifacts.appspec_document(ARN, "web", 8080, svc, placeholders)
    assert appspec["version"] == 0.0
    assert appspec["Resources"][0]["TargetService"]["Type"] == "AWS::ECS::Service"
    assert properties(appspec) == expected_properties


@pytest.mark.parametrize("svc", [service(), service(networkConfiguration=AWSVPC, platformVersion="1.4.0")])
def test_appspec_without_placeholders_is_what_deploy_sends(svc):
    assert artifacts.appspec_document(ARN, "web", 8080, svc, placeholders=False) == plan.build_appspec(ARN, "web", 8080, svc)
    with_placeholder = artifacts.appspec_document(ARN, "web", 8080, svc, placeholders=True)
    assert properties(with_placeholder) == {**properties(plan.build_appspec(ARN, "web", 8080, svc)), "TaskDefinition": "<TASK_DEFINITION>"}


def test_appspec_yaml_text():
    appspec = artifacts.appspec_document(ARN, "web", 8080, service(networkConfiguration=AWSVPC), placeholders=True)
    text = artifacts.render("appspec.yaml", appspec)
    assert text.startswith("version: 0.0\nResources:\n")
    # The placeholder is the literal text CodePipeline searches for.
    assert "TaskDefinition: <TASK_DEFINITION>\n" in text
    assert yaml.safe_load(text) == appspec


# --- taskdef.json --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "placeholders, images",
    [
        (True, {"web": "<IMAGE1_NAME>", "otel": SIDECAR_IMAGE}),
        (False, {"web": IMAGE, "otel": SIDECAR_IMAGE}),
    ],
)
def test_taskdef_document(placeholders, images):
    before = copy.deepcopy(TASK_DEFINITION)
    document = artifacts.taskdef_document(TASK_DEFINITION, "web", placeholders)
    assert {c["name"]: c["image"] for c in document["containerDefinitions"]} == images
    assert not set(artifacts.READ_ONLY_FIELDS) & set(document)
    # Everything else is kept as AWS returned it.
    kept = {key: value for key, value in TASK_DEFINITION.items() if key not in artifacts.READ_ONLY_FIELDS and key != "containerDefinitions"}
    assert {key: value for key, value in document.items() if key != "containerDefinitions"} == kept
    assert document["containerDefinitions"][0]["dockerLabels"] == {"com.example.Team": "payments"}
    assert before == TASK_DEFINITION, "the task definition read from AWS is not changed"


def test_read_only_fields_are_the_model_difference():
    """The list is exactly what DescribeTaskDefinition returns and RegisterTaskDefinition does not take."""
    model = botocore.session.get_session().get_service_model("ecs")
    described = set(model.shape_for("TaskDefinition").members)
    registered = set(model.operation_model("RegisterTaskDefinition").input_shape.members)
    assert set(artifacts.READ_ONLY_FIELDS) == described - registered


@pytest.mark.parametrize("placeholders", [True, False])
def test_taskdef_is_valid_register_input(placeholders):
    client = boto3.client("ecs", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    document = artifacts.taskdef_document(TASK_DEFINITION, "web", placeholders)
    assert artifacts.taskdef_problems(client, document) is None
    # And the check does catch a read-only field.
    assert "taskDefinitionArn" in (artifacts.taskdef_problems(client, {**document, "taskDefinitionArn": ARN}) or "")


# --- imagedefinitions.json, imageDetail.json ------------------------------------------------


@pytest.mark.parametrize(
    "container, definitions, detail",
    [
        ("web", [{"name": "web", "imageUri": IMAGE}], {"ImageURI": IMAGE}),
        ("otel", [{"name": "otel", "imageUri": SIDECAR_IMAGE}], {"ImageURI": SIDECAR_IMAGE}),
    ],
)
def test_image_documents(container, definitions, detail):
    # Placeholders never apply here: these files carry the image itself.
    assert artifacts.image_definitions_document(TASK_DEFINITION, container) == definitions
    assert artifacts.image_detail_document(TASK_DEFINITION, container) == detail


# --- all together --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "files",
    [artifacts.DEFAULT_FILES, artifacts.FILES, ("imageDetail.json", "taskdef.json"), ("appspec.yaml",)],
)
def test_build_documents_writes_what_is_asked_in_order(files):
    documents = artifacts.build_documents(service(), TASK_DEFINITION, files, "web", 8080, placeholders=True)
    assert tuple(documents) == tuple(files)
    for name, document in documents.items():
        text = artifacts.render(name, document)
        parsed = yaml.safe_load(text) if name.endswith(".yaml") else json.loads(text)
        assert parsed == document
        assert text.endswith("\n")


def test_render_is_stable_whatever_the_key_order():
    """A re-read task definition whose keys come back in another order renders the same bytes."""
    shuffled = dict(reversed(list(TASK_DEFINITION.items())))
    one = artifacts.render("taskdef.json", artifacts.taskdef_document(TASK_DEFINITION, "web"))
    other = artifacts.render("taskdef.json", artifacts.taskdef_document(shuffled, "web"))
    assert one == other


@pytest.mark.parametrize(
    "existing, expected",
    [
        ({}, ["appspec.yaml", "taskdef.json"]),
        ({"appspec.yaml": "A\n", "taskdef.json": "T\n"}, []),
        ({"appspec.yaml": "A\n", "taskdef.json": "old\n"}, ["taskdef.json"]),
        ({"appspec.yaml": None, "taskdef.json": "T\n"}, ["appspec.yaml"]),
        # A trailing newline is a difference: the file is rewritten to the exact content.
        ({"appspec.yaml": "A", "taskdef.json": "T\n"}, ["appspec.yaml"]),
    ],
)
def test_changed_files_and_diffs(existing, expected):
    rendered = {"appspec.yaml": "A\n", "taskdef.json": "T\n"}
    paths = {name: f"/d/{name}" for name in rendered}
    assert artifacts.changed_files(rendered, existing) == expected
    diffs = artifacts.file_diffs(rendered, existing, paths)
    assert [d["after_header"] for d in diffs] == [f"/d/{name}" for name in expected]
    for diff in diffs:
        name = diff["after_header"].rsplit("/", 1)[-1]
        assert diff["before"] == (existing.get(name) or "")
        assert diff["after"] == rendered[name]
