"""cutover.ecs.pipeline_artifacts against moto, through real ansible: check mode (nothing written),
apply (three files that parse and match the result), re-run (changed=false, files untouched),
placeholders off, a file edited by hand, bad input (fails before writing). The module only
reads AWS: every run is checked for zero mutating calls.
"""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import pytest
import yaml
from moto_counting_server import mutating_calls

CLUSTER = "it-artifacts"
SERVICE = "web"
ACCOUNT = "123456789012"
BLUE = f"arn:aws:elasticloadbalancing:us-east-1:{ACCOUNT}:targetgroup/art-blue/0123456789abcdef"
IMAGE = f"{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/shop/web:v1"
SIDECAR = "public.ecr.aws/aws-observability/aws-otel-collector:v0.40.0"
DEFAULT_FILES = ["appspec.yaml", "taskdef.json", "imagedefinitions.json"]


@pytest.fixture(scope="module")
def aws(moto_server):
    """A CODE_DEPLOY service on awsvpc with a load balancer, made straight in moto."""
    session = dict(region_name="us-east-1", endpoint_url=moto_server.url, aws_access_key_id="testing", aws_secret_access_key="testing")
    ecs, ec2 = boto3.client("ecs", **session), boto3.client("ec2", **session)
    vpc = ec2.create_vpc(CidrBlock="10.31.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.31.1.0/24")["Subnet"]["SubnetId"]
    group = ec2.create_security_group(GroupName="it-artifacts", Description="it", VpcId=vpc)["GroupId"]
    ecs.create_cluster(clusterName=CLUSTER)
    arn = ecs.register_task_definition(
        family="it-artifacts-web",
        networkMode="awsvpc",
        requiresCompatibilities=["FARGATE"],
        cpu="256",
        memory="512",
        containerDefinitions=[
            {"name": "web", "image": IMAGE, "essential": True, "portMappings": [{"containerPort": 8080}], "dockerLabels": {"com.example.Team": "payments"}},
            {"name": "otel", "image": SIDECAR, "essential": False},
        ],
    )["taskDefinition"]["taskDefinitionArn"]
    network = {"awsvpcConfiguration": {"subnets": [subnet], "securityGroups": [group], "assignPublicIp": "DISABLED"}}
    ecs.create_service(
        cluster=CLUSTER,
        serviceName=SERVICE,
        taskDefinition=arn,
        desiredCount=0,
        launchType="FARGATE",
        deploymentController={"type": "CODE_DEPLOY"},
        loadBalancers=[{"targetGroupArn": BLUE, "containerName": "web", "containerPort": 8080}],
        networkConfiguration=network,
    )
    return dict(ecs=ecs, arn=arn, subnet=subnet, group=group)


def _args(dest: Path, **extra) -> dict:
    return {"cluster": CLUSTER, "service": SERVICE, "dest": str(dest), **extra}


def _snapshot(dest: Path) -> dict:
    """Each file's content and (inode, mtime): a rewrite with the same bytes still shows."""
    return {path.name: (path.read_text(), path.stat().st_ino, path.stat().st_mtime_ns) for path in sorted(dest.iterdir())}


def test_writes_the_pipeline_files(run_module, aws, tmp_path):
    dest = tmp_path / "pipeline" / "artifacts"
    args = _args(dest)

    # Check mode: the plan, and nothing on disk (not even the directory).
    result, calls = run_module("pipeline_artifacts", args, check=True, diff=True)
    assert result["changed"] is True, result
    assert [f["name"] for f in result["files"] if f["changed"]] == DEFAULT_FILES
    assert [d["after_header"] for d in result["diff"]] == [str(dest / name) for name in DEFAULT_FILES]
    assert all(d["before"] == "" for d in result["diff"])
    assert not dest.exists()
    assert mutating_calls(calls) == []

    # Apply: three files that parse to the documents returned.
    result, calls = run_module("pipeline_artifacts", args)
    assert result["changed"] is True, result
    assert mutating_calls(calls) == []
    assert sorted(path.name for path in dest.iterdir()) == sorted(DEFAULT_FILES), "no temporary file is left behind"
    assert result["task_definition_arn"] == aws["arn"]
    assert (result["container_name"], result["container_port"]) == ("web", 8080)
    appspec = yaml.safe_load((dest / "appspec.yaml").read_text())
    taskdef = json.loads((dest / "taskdef.json").read_text())
    definitions = json.loads((dest / "imagedefinitions.json").read_text())
    assert appspec == result["documents"]["appspec.yaml"]
    assert taskdef == result["documents"]["taskdef.json"]
    assert definitions == result["documents"]["imagedefinitions.json"]

    # The AppSpec: CodePipeline's placeholder, the load balancer's container and the service's network.
    assert appspec["version"] == 0.0
    target = appspec["Resources"][0]["TargetService"]
    assert target["Type"] == "AWS::ECS::Service"
    assert target["Properties"]["TaskDefinition"] == "<TASK_DEFINITION>"
    assert target["Properties"]["LoadBalancerInfo"] == {"ContainerName": "web", "ContainerPort": 8080}
    assert target["Properties"]["NetworkConfiguration"]["AwsvpcConfiguration"]["Subnets"] == [aws["subnet"]]
    assert target["Properties"]["NetworkConfiguration"]["AwsvpcConfiguration"]["SecurityGroups"] == [aws["group"]]

    # taskdef.json: the placeholder for web's image only, no read-only field; CodePipeline's
    # substitution of it is valid RegisterTaskDefinition input (moto registers it).
    assert {c["name"]: c["image"] for c in taskdef["containerDefinitions"]} == {"web": "<IMAGE1_NAME>", "otel": SIDECAR}
    assert not {"taskDefinitionArn", "revision", "status", "requiresAttributes", "compatibilities", "registeredAt", "registeredBy"} & set(taskdef)
    substituted = json.loads((dest / "taskdef.json").read_text().replace("<IMAGE1_NAME>", IMAGE))
    registered = aws["ecs"].register_task_definition(**substituted)["taskDefinition"]
    assert registered["family"] == "it-artifacts-web"
    assert [c["image"] for c in registered["containerDefinitions"]] == [IMAGE, SIDECAR]
    assert registered["containerDefinitions"][0]["dockerLabels"] == {"com.example.Team": "payments"}

    assert definitions == [{"name": "web", "imageUri": IMAGE}]

    # Re-run, with the service still on the first revision: nothing to do, nothing rewritten.
    before = _snapshot(dest)
    result, calls = run_module("pipeline_artifacts", _args(dest, task_definition=aws["arn"]), diff=True)
    assert result["changed"] is False, result
    assert result["diff"] == []
    assert not any(f["changed"] for f in result["files"])
    assert _snapshot(dest) == before
    assert mutating_calls(calls) == []


def test_placeholders_off_and_a_hand_edit(run_module, aws, tmp_path):
    dest = tmp_path / "out"
    run_module("pipeline_artifacts", _args(dest))

    # Real ARN and image: appspec.yaml and taskdef.json change, imagedefinitions.json does not.
    real = _args(dest, placeholders=False)
    result, calls = run_module("pipeline_artifacts", real, check=True)
    assert {f["name"]: f["changed"] for f in result["files"]} == {"appspec.yaml": True, "taskdef.json": True, "imagedefinitions.json": False}
    assert "<TASK_DEFINITION>" in (dest / "appspec.yaml").read_text(), "check mode wrote nothing"
    assert mutating_calls(calls) == []

    untouched = (dest / "imagedefinitions.json").stat().st_mtime_ns
    result, _calls = run_module("pipeline_artifacts", real)
    assert result["changed"] is True
    appspec = yaml.safe_load((dest / "appspec.yaml").read_text())
    assert appspec["Resources"][0]["TargetService"]["Properties"]["TaskDefinition"] == aws["arn"]
    assert {c["name"]: c["image"] for c in json.loads((dest / "taskdef.json").read_text())["containerDefinitions"]} == {"web": IMAGE, "otel": SIDECAR}
    assert (dest / "imagedefinitions.json").stat().st_mtime_ns == untouched

    # Someone edits a file: only that one is put back, and the diff shows the edit.
    (dest / "imagedefinitions.json").write_text('[{"name": "web", "imageUri": "web:hand"}]\n')
    (dest / "imagedefinitions.json").chmod(0o600)
    result, _calls = run_module("pipeline_artifacts", real, diff=True)
    assert result["changed"] is True
    assert [f["name"] for f in result["files"] if f["changed"]] == ["imagedefinitions.json"]
    assert [d["before"] for d in result["diff"]] == ['[{"name": "web", "imageUri": "web:hand"}]\n']
    assert json.loads((dest / "imagedefinitions.json").read_text()) == [{"name": "web", "imageUri": IMAGE}]
    assert (dest / "imagedefinitions.json").stat().st_mode & 0o777 == 0o600, "a rewrite keeps the file's mode"

    result, _calls = run_module("pipeline_artifacts", real)
    assert result["changed"] is False


def test_image_files_of_a_named_container(run_module, aws, tmp_path):
    dest = tmp_path / "images"
    result, calls = run_module("pipeline_artifacts", _args(dest, container_name="otel", files=["imagedefinitions.json", "imageDetail.json"]))
    assert result["changed"] is True, result
    assert result["container_port"] is None
    assert sorted(path.name for path in dest.iterdir()) == ["imageDetail.json", "imagedefinitions.json"]
    assert json.loads((dest / "imagedefinitions.json").read_text()) == [{"name": "otel", "imageUri": SIDECAR}]
    assert json.loads((dest / "imageDetail.json").read_text()) == {"ImageURI": SIDECAR}
    assert mutating_calls(calls) == []


@pytest.mark.parametrize(
    "extra, message",
    [
        ({"container_name": "missing"}, "container_name missing is not a container of the task definition it-artifacts-web:1"),
        ({"container_port": 9999}, "container_port 9999 is not a port mapping of container web"),
        ({"service": "nope"}, "The service nope does not exist in cluster it-artifacts"),
        ({"task_definition": "it-artifacts-web:99"}, "The task definition it-artifacts-web:99 does not exist"),
    ],
)
def test_bad_input_fails_before_writing(run_module, aws, tmp_path, extra, message):
    dest = tmp_path / "never"
    result, calls = run_module("pipeline_artifacts", _args(dest, **extra))
    assert result.get("failed") is True, result
    assert message in result["msg"]
    assert not dest.exists()
    assert mutating_calls(calls) == []


def test_dest_that_is_a_file_is_refused(run_module, aws, tmp_path):
    dest = tmp_path / "a-file"
    dest.write_text("keep me\n")
    result, _calls = run_module("pipeline_artifacts", _args(dest))
    assert result.get("failed") is True, result
    assert "is not a directory" in result["msg"]
    assert dest.read_text() == "keep me\n"
