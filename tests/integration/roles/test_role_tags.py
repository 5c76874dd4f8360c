"""Tags on everything the infrastructure role creates (issue 28): a tag taken out of ``infrastructure_tags`` is
taken off every resource (``infrastructure_purge_tags``, true by default); keys starting with ``aws:`` (AWS's
own) and ``cutover.ecs:`` (the collection's markers) stay; a re-run changes nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from moto_counting_server import mutating_calls
from role_stack import Stack, changed_tasks, recap

from lab.ecs.sampleimage import SampleImages, ensure_sample_images

ACCOUNT = "123456789012"


@pytest.fixture(scope="module")
def images() -> SampleImages:
    return ensure_sample_images("podman")


def resource_tags(lab: Any, name: str) -> dict[str, dict[str, str]]:
    """Every resource the role made for a codedeploy service ``name``, with its tags."""
    ecs, elbv2, ec2, iam = lab.client("ecs"), lab.client("elbv2"), lab.client("ec2"), lab.client("iam")
    logs, codedeploy = lab.client("logs"), lab.client("codedeploy")
    service = ecs.describe_services(cluster=name, services=[name])["services"][0]

    def ecs_tags(arn: str) -> dict[str, str]:
        return {t["key"]: t["value"] for t in ecs.list_tags_for_resource(resourceArn=arn)["tags"]}

    found = {"cluster": ecs_tags(service["clusterArn"]), "service": ecs_tags(service["serviceArn"])}
    found["task definition"] = ecs_tags(service["taskDefinition"])
    lb = elbv2.describe_load_balancers(Names=[name])["LoadBalancers"][0]["LoadBalancerArn"]
    elb_arns = {"load balancer": lb}
    for listener in elbv2.describe_listeners(LoadBalancerArn=lb)["Listeners"]:
        elb_arns[f"listener {listener['Port']}"] = listener["ListenerArn"]
    for color in ("blue", "green"):
        elb_arns[f"target group {color}"] = elbv2.describe_target_groups(Names=[f"{name}-{color}"])["TargetGroups"][0]["TargetGroupArn"]
    described = {
        d["ResourceArn"]: {t["Key"]: t["Value"] for t in d["Tags"]} for d in elbv2.describe_tags(ResourceArns=list(elb_arns.values()))["TagDescriptions"]
    }
    found.update({label: described[arn] for label, arn in elb_arns.items()})
    for group in ec2.describe_security_groups(Filters=[{"Name": "group-name", "Values": [f"{name}-alb", f"{name}-tasks"]}])["SecurityGroups"]:
        found[f"security group {group['GroupName']}"] = {t["Key"]: t["Value"] for t in group.get("Tags", [])}
    for role in (f"{name}-task-execution", f"{name}-codedeploy"):
        found[f"role {role}"] = {t["Key"]: t["Value"] for t in iam.list_role_tags(RoleName=role)["Tags"]}
    found["log group"] = logs.list_tags_log_group(logGroupName=f"/ecs/{name}")["tags"]
    found["codedeploy application"] = {
        t["Key"]: t["Value"] for t in codedeploy.list_tags_for_resource(ResourceArn=f"arn:aws:codedeploy:us-east-1:{ACCOUNT}:application:{name}")["Tags"]
    }
    group_arn = f"arn:aws:codedeploy:us-east-1:{ACCOUNT}:deploymentgroup:{name}/{name}"
    found["codedeploy deployment group"] = {t["Key"]: t["Value"] for t in codedeploy.list_tags_for_resource(ResourceArn=group_arn)["Tags"]}
    return found


def test_a_tag_taken_out_of_the_input_is_taken_off_every_resource(module_lab: Any, images: SampleImages, tmp_path: Path) -> None:
    stack = Stack(module_lab, images, "codedeploy", tmp_path)
    first = stack.play(images.v1, deploy=False, infrastructure={"infrastructure_tags": {"team": "payments", "stage": 2}})
    assert first.returncode == 0, first.stdout[-5000:]
    tagged = resource_tags(module_lab, stack.name)
    assert len(tagged) == 15
    assert {label: tags for label, tags in tagged.items() if tags != {"team": "payments", "stage": "2"}} == {}

    # set outside the roles: AWS's own key, and the rollback role's marker
    ecs = module_lab.client("ecs")
    service_arn = stack.service()["serviceArn"]
    outside = [{"key": "aws:cloudformation:stack-name", "value": "elsewhere"}, {"key": "cutover.ecs:rollback-deployment", "value": "ecs-svc/1"}]
    ecs.tag_resource(resourceArn=service_arn, tags=outside)

    second = stack.play(images.v1, deploy=False, infrastructure={"infrastructure_tags": {"team": "payments"}})
    assert second.returncode == 0, second.stdout[-5000:]
    kept = {"aws:cloudformation:stack-name": "elsewhere", "cutover.ecs:rollback-deployment": "ecs-svc/1"}
    retagged = resource_tags(module_lab, stack.name)
    assert retagged.pop("service") == {"team": "payments", **kept}
    # A task definition revision keeps the tags it was registered with; the deploy role's next revision has the new ones.
    assert retagged.pop("task definition") == {"team": "payments", "stage": "2"}
    assert {label: tags for label, tags in retagged.items() if tags != {"team": "payments"}} == {}

    mark = module_lab.app.mark()
    again = stack.play(images.v1, deploy=False, infrastructure={"infrastructure_tags": {"team": "payments"}})
    assert recap(again)["changed"] == 0, changed_tasks(again)
    assert mutating_calls(module_lab.app.since(mark)) == []
