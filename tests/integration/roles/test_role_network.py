"""Where the infrastructure role puts a service in a VPC of the user's own (issue 28): the load balancer in public
subnets, the tasks in private ones with no public IP (``infrastructure_assign_public_ip: auto``), the test listener
closed to all but one CIDR, cut over under load, re-run with no change; the test listener closed to everyone by
default; and the layouts it refuses before any mutating call (a VPC that does not exist, subnets of another VPC,
an internet-facing load balancer in private subnets).

The lab's load balancers admit what their security groups' inbound rules admit (lab/ARCHITECTURE.md), so a
closed listener is seen closed by a real client: requests are sent from chosen loopback addresses."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from role_stack import Stack, recap

from lab.ecs.sampleimage import SampleImages, ensure_sample_images
from lab.elb.testkit import status_from


@pytest.fixture(scope="module")
def images() -> SampleImages:
    return ensure_sample_images("podman")


@pytest.fixture(scope="module")
def vpc(module_lab: Any) -> dict[str, Any]:
    """A VPC as teams build one: two public subnets (their route table to an internet gateway) and two private
    ones (the main route table, no way out but the VPC)."""
    ec2 = module_lab.client("ec2")
    vpc_id = ec2.create_vpc(CidrBlock="10.40.0.0/16")["Vpc"]["VpcId"]
    gateway = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=gateway, VpcId=vpc_id)
    public_table = ec2.create_route_table(VpcId=vpc_id)["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=public_table, DestinationCidrBlock="0.0.0.0/0", GatewayId=gateway)
    subnets: dict[str, list[str]] = {"public": [], "private": []}
    for number, (kind, zone) in enumerate([("public", "a"), ("public", "b"), ("private", "a"), ("private", "b")]):
        subnet = ec2.create_subnet(VpcId=vpc_id, CidrBlock=f"10.40.{number}.0/24", AvailabilityZone=f"us-east-1{zone}")["Subnet"]["SubnetId"]
        subnets[kind].append(subnet)
        if kind == "public":
            ec2.associate_route_table(RouteTableId=public_table, SubnetId=subnet)
    return {"id": vpc_id, **subnets}


def test_tasks_in_private_subnets_behind_a_public_load_balancer_cut_over_and_stay_put(
    module_lab: Any, images: SampleImages, vpc: dict[str, Any], tmp_path: Path
) -> None:
    layout = {
        "infrastructure_vpc_id": vpc["id"],
        "infrastructure_load_balancer_subnets": vpc["public"],
        "infrastructure_task_subnets": vpc["private"],
        "infrastructure_test_allowed_cidrs": ["127.0.0.3/32"],
    }
    stack = Stack(module_lab, images, "ecs", tmp_path, **layout)
    first = stack.play(images.v1, deploy=False)
    assert recap(first)["failed"] == 0, first.stdout[-4000:]
    awsvpc = stack.service()["networkConfiguration"]["awsvpcConfiguration"]
    assert sorted(awsvpc["subnets"]) == sorted(vpc["private"]) and awsvpc["assignPublicIp"] == "DISABLED"
    balancer = module_lab.client("elbv2").describe_load_balancers(Names=[stack.name])["LoadBalancers"][0]
    assert balancer["Scheme"] == "internet-facing" and balancer["VpcId"] == vpc["id"]
    assert sorted(zone["SubnetId"] for zone in balancer["AvailabilityZones"]) == sorted(vpc["public"])
    stack.wait_version("1")

    # The test listener answers the one CIDR given and refuses everyone else; production answers all.
    dns = balancer["DNSName"]
    assert [status_from(source, dns, 9000, "/version") for source in ("127.0.0.3", "127.0.0.1", "127.0.0.4")] == [200, "refused", "refused"]
    assert status_from("127.0.0.1", dns, 80, "/version") == 200

    stack.cut_over_under_load(images.v2, "2")
    assert status_from("127.0.0.3", dns, 9000, "/version") == 200 and status_from("127.0.0.1", dns, 9000, "/version") == "refused"
    stack.rerun_changes_nothing(images.v2)


def test_layouts_that_cannot_work_are_refused_before_any_change(module_lab: Any, images: SampleImages, vpc: dict[str, Any], tmp_path: Path) -> None:
    stack = Stack(module_lab, images, "rolling", tmp_path)
    ec2 = module_lab.client("ec2")
    elsewhere = ec2.describe_subnets(Filters=[{"Name": "default-for-az", "Values": ["true"]}])["Subnets"][0]["SubnetId"]

    missing = stack.refused(infrastructure_vpc_id="vpc-0000000000000dead")
    assert "infrastructure_vpc_id: VPC vpc-0000000000000dead does not exist in this region" in missing

    foreign = stack.refused(infrastructure_vpc_id=vpc["id"], infrastructure_load_balancer_subnets=vpc["public"], infrastructure_task_subnets=[elsewhere])
    assert f"infrastructure_task_subnets: {elsewhere} is not a subnet of VPC {vpc['id']}" in foreign

    private_balancer = stack.refused(infrastructure_vpc_id=vpc["id"], infrastructure_subnets=vpc["private"])
    assert "an internet-facing load balancer needs public subnets" in private_balancer
    assert "infrastructure_load_balancer_scheme to internal" in private_balancer

    # Nothing of the stack was made by any of them.
    assert ec2.describe_security_groups(Filters=[{"Name": "group-name", "Values": [f"{stack.name}-alb", f"{stack.name}-tasks"]}])["SecurityGroups"] == []
    assert module_lab.client("ecs").describe_clusters(clusters=[stack.name])["clusters"] == []


def test_an_internal_load_balancer_with_tasks_in_the_same_private_subnets(module_lab: Any, images: SampleImages, vpc: dict[str, Any], tmp_path: Path) -> None:
    # infrastructure_test_allowed_cidrs as a user leaves it: the default, nobody.
    layout = {
        "infrastructure_vpc_id": vpc["id"],
        "infrastructure_subnets": vpc["private"],
        "infrastructure_load_balancer_scheme": "internal",
        "infrastructure_test_allowed_cidrs": [],
    }
    stack = Stack(module_lab, images, "rolling", tmp_path, **layout)
    first = stack.play(images.v1)
    assert recap(first)["failed"] == 0, first.stdout[-4000:]
    balancer = module_lab.client("elbv2").describe_load_balancers(Names=[stack.name])["LoadBalancers"][0]
    assert balancer["Scheme"] == "internal"
    assert sorted(zone["SubnetId"] for zone in balancer["AvailabilityZones"]) == sorted(vpc["private"])
    assert stack.service()["networkConfiguration"]["awsvpcConfiguration"]["assignPublicIp"] == "DISABLED"
    stack.wait_version("1")
    group = module_lab.client("ec2").describe_security_groups(Filters=[{"Name": "group-name", "Values": [f"{stack.name}-alb"]}])["SecurityGroups"][0]
    assert [(rule["FromPort"], [r["CidrIp"] for r in rule["IpRanges"]]) for rule in group["IpPermissions"]] == [(80, ["0.0.0.0/0"])]
    assert status_from("127.0.0.1", balancer["DNSName"], 9000, "/version") == "refused"

    # AWS cannot change a scheme: asking for internet-facing now is refused with what to do, before the security
    # group rules asked for in the same run change.
    public = {"infrastructure_load_balancer_scheme": "internet-facing", "infrastructure_load_balancer_subnets": vpc["public"]}
    refused = stack.refused(**public, infrastructure_allowed_cidrs=["10.0.0.0/8"])
    assert f"the load balancer {stack.name} is internal and AWS cannot change a scheme" in refused, refused[-3000:]
