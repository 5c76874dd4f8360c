"""A service and a load balancer made elsewhere (issue 28): the infrastructure role finds what it manages by name, so
one it did not make is refused before any mutating call, naming what the run would replace, unless
``infrastructure_adopt`` says to take it over (the deploy role alone cuts it over without taking it over); taken over once, the service is the role's (a re-run changes nothing
without the option) and cuts over like one it made. What AWS cannot change on an existing service (its controller, a
launch type for a service on capacity providers) is refused before any change too."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from moto_counting_server import mutating_calls
from role_stack import Stack, recap

from lab.ecs.sampleimage import SampleImages, ensure_sample_images
from lab.ecs.testkit import SAMPLE_PORT, create_alb, default_subnets, register_sample, version_at, wait_for
from lab.loadgen import LoadGenerator


@pytest.fixture(scope="module")
def images() -> SampleImages:
    return ensure_sample_images("podman")


def made_elsewhere(module_lab: Any, images: SampleImages, stack: Stack) -> dict[str, Any]:
    """A rolling service named like the stack, as Terraform would make it: its own load balancer (``<name>-old``) and
    target group, its own task security group and task definition family, a tag of its own; serving v1."""
    ec2, elbv2, ecs = module_lab.client("ec2"), module_lab.client("elbv2"), module_lab.client("ecs")
    subnets = default_subnets(ec2)
    alb = create_alb(elbv2, ec2, subnets, f"{stack.name}-old", deregistration_delay=2)
    vpc = ec2.describe_subnets(SubnetIds=subnets[:1])["Subnets"][0]["VpcId"]
    group = ec2.create_security_group(GroupName=f"{stack.name}-legacy", Description="legacy tasks", VpcId=vpc)["GroupId"]
    ecs.create_cluster(clusterName=stack.name)
    ecs.create_service(
        cluster=stack.name,
        serviceName=stack.name,
        taskDefinition=register_sample(ecs, f"{stack.name}-legacy", images.v1),
        desiredCount=1,
        launchType="FARGATE",
        networkConfiguration={"awsvpcConfiguration": {"subnets": subnets, "securityGroups": [group], "assignPublicIp": "DISABLED"}},
        loadBalancers=[{"targetGroupArn": alb["tg"], "containerName": "app", "containerPort": SAMPLE_PORT}],
        tags=[{"key": "owner", "value": "terraform"}],
    )
    url = f"http://{alb['dns']}:80/version"
    wait_for("the service made elsewhere answers v1", lambda: version_at(url), lambda version: version == "1", timeout=120)
    return {**alb, "group": group, "url": url}


def test_a_service_made_elsewhere_is_taken_over_only_when_asked(module_lab: Any, images: SampleImages, tmp_path: Path) -> None:
    stack = Stack(module_lab, images, "rolling", tmp_path, infrastructure_tags={"team": "orders"})
    legacy = made_elsewhere(module_lab, images, stack)
    before = stack.service()

    # Refused before any change, in check mode too, naming what the run would replace.
    said = stack.refused()
    for words in (
        f"The service {stack.name} in cluster {stack.name} was not made by the infrastructure role",
        f"its load balancers forward to {stack.name}-old-tg, not {stack.name}-blue or {stack.name}-green",
        f"its security groups ({legacy['group']}) with {stack.name}-tasks",
        "its tags (owner removed)",
        "set infrastructure_adopt: true",
        "use the deploy role alone",
    ):
        assert words in said, said[-3000:]
    mark = module_lab.app.mark()
    plan = stack.play(images.v1, deploy=False, check=True)
    assert recap(plan)["failed"] == 1 and "was not made by the infrastructure role" in plan.stdout, plan.stdout[-3000:]
    assert mutating_calls(module_lab.app.since(mark)) == []
    # What AWS cannot change is refused with the option too.
    said = stack.refused(infrastructure_adopt=True, infrastructure_strategy="codedeploy")
    assert "has the ECS deployment controller and strategy codedeploy needs CODE_DEPLOY" in said, said[-3000:]
    assert "was not made by" not in said
    assert stack.service()["loadBalancers"] == before["loadBalancers"]

    # The deploy role alone cuts it over without taking it over: a new revision of its own family, under load on its
    # own load balancer, which it keeps.
    with LoadGenerator(legacy["url"], rate=30) as load:
        run = stack.play(images.v2, provision=False)
        wait_for("v2 on the load balancer made elsewhere", lambda: version_at(legacy["url"]), lambda version: version == "2", timeout=120)
    assert recap(run)["failed"] == 0, run.stdout[-4000:]
    report = load.report()
    assert report.total > 50 and report.failed == 0, report.failures()[:5]
    before = stack.service()
    assert before["taskDefinition"].split("/")[-1] == f"{stack.name}-legacy:2"
    assert [item["targetGroupArn"] for item in before["loadBalancers"]] == [legacy["tg"]]

    # Asked: check mode plans the takeover and changes nothing; the apply makes the service the role's.
    mark = module_lab.app.mark()
    plan = stack.play(images.v1, check=True, infrastructure={"infrastructure_adopt": True})
    assert recap(plan)["failed"] == 0, plan.stdout[-4000:]
    printed = " ".join(plan.stdout.split())
    assert re.search(r"update service: [^']*loadBalancers, networkConfiguration, tags'", printed), plan.stdout[-4000:]
    # The deploy role plans from the revision the service runs, of its own family.
    assert f"cut over service {stack.name} with its own kind of deployment from {stack.name}-legacy:2 to" in printed, plan.stdout[-4000:]
    assert mutating_calls(module_lab.app.since(mark)) == []
    run = stack.play(images.v1, deploy=False, infrastructure={"infrastructure_adopt": True})
    assert recap(run)["failed"] == 0, run.stdout[-4000:]
    service = stack.service()
    assert [item["targetGroupArn"].split("/")[1] for item in service["loadBalancers"]] == [f"{stack.name}-blue"]
    groups = service["networkConfiguration"]["awsvpcConfiguration"]["securityGroups"]
    assert legacy["group"] not in groups and len(groups) == 1
    assert service["taskDefinition"] == before["taskDefinition"], "the role never changes the revision a service runs"
    tags = module_lab.client("ecs").list_tags_for_resource(resourceArn=service["serviceArn"])["tags"]
    assert {tag["key"]: tag["value"] for tag in tags} == {"team": "orders"}
    stack.wait_version("2")

    # Taken over once, it is the role's: a re-run without the option changes nothing, and it cuts over like its own.
    stack.rerun_changes_nothing(images.v1, deploy=False)
    stack.cut_over_under_load(images.v1, "1")
    assert stack.service()["taskDefinition"].split("/")[-1].startswith(f"{stack.name}:"), "the deploy role moves it to the declared family"
    # An ECS controller cannot become CodeDeploy: refused before any change, where it used to fail at the service.
    said = stack.refused(infrastructure_strategy="codedeploy")
    assert "AWS cannot change a service's controller" in said, said[-3000:]


def test_a_load_balancer_named_like_the_service_made_elsewhere_is_refused(module_lab: Any, images: SampleImages, tmp_path: Path) -> None:
    stack = Stack(module_lab, images, "ecs", tmp_path)
    ec2, elbv2 = module_lab.client("ec2"), module_lab.client("elbv2")
    alb = create_alb(elbv2, ec2, default_subnets(ec2), stack.name)
    said = stack.refused()
    for words in (
        f"The load balancer {stack.name} was not made by the infrastructure role: listener 80 forwards to {stack.name}-tg",
        f"point listeners 80 and 9000 at {stack.name}-blue and delete their other rules",
        "set infrastructure_load_balancer to it",
    ):
        assert words in said, said[-3000:]
    # A fixed answer as the production listener's default action is someone else's too.
    listener = alb["listener"]
    elbv2.modify_listener(
        ListenerArn=listener, DefaultActions=[{"Type": "redirect", "RedirectConfig": {"Protocol": "HTTPS", "Port": "443", "StatusCode": "HTTP_301"}}]
    )
    said = stack.refused()
    assert "listener 80's default action is redirect" in said, said[-3000:]


def test_a_service_on_capacity_providers_needs_them_declared(module_lab: Any, images: SampleImages, tmp_path: Path) -> None:
    stack = Stack(module_lab, images, "rolling", tmp_path)
    ecs = module_lab.client("ecs")
    ecs.create_cluster(clusterName=stack.name, capacityProviders=["FARGATE", "FARGATE_SPOT"])
    ecs.create_service(
        cluster=stack.name,
        serviceName=stack.name,
        taskDefinition=register_sample(ecs, f"{stack.name}-legacy", images.v1),
        desiredCount=0,
        capacityProviderStrategy=[{"capacityProvider": "FARGATE_SPOT", "weight": 1}],
        networkConfiguration={"awsvpcConfiguration": {"subnets": default_subnets(module_lab.client("ec2")), "assignPublicIp": "DISABLED"}},
    )
    said = stack.refused()
    assert "infrastructure_capacity_provider_strategy: the service" in said and "FARGATE_SPOT weight 1 base 0" in said, said[-3000:]
    assert "its load balancers forward to none" in said, said[-3000:]
    assert [(item["capacityProvider"], item["weight"]) for item in stack.service()["capacityProviderStrategy"]] == [("FARGATE_SPOT", 1)]
