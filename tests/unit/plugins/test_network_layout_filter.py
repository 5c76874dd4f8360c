"""The network_layout filter: subnets of the load balancer and the tasks, public IPs, and refused layouts."""

from __future__ import annotations

import pytest

from ansible_collections.cutover.ecs.plugins.filter.network_layout import FilterModule, network_layout, public_subnets

VPC = "vpc-1"


def subnet(subnet_id: str, zone: str, default: bool = False) -> dict:
    return {"subnet_id": subnet_id, "availability_zone": zone, "vpc_id": VPC, "default_for_az": default}


def table(routes_to_igw: bool, subnets: list[str] = (), main: bool = False) -> dict:
    routes = [{"destination_cidr_block": "10.0.0.0/16", "gateway_id": "local"}]
    if routes_to_igw:
        routes.append({"destination_cidr_block": "0.0.0.0/0", "gateway_id": "igw-1"})
    associations = [{"subnet_id": s, "main": False} for s in subnets] + ([{"main": True}] if main else [])
    return {"routes": routes, "associations": associations}


# Two public subnets (their own table to the internet gateway), two private ones (the main table, to a NAT).
PUBLIC_A, PUBLIC_B, PRIVATE_A, PRIVATE_B = "subnet-pa", "subnet-pb", "subnet-qa", "subnet-qb"
SUBNETS = [subnet(PUBLIC_A, "us-east-1a"), subnet(PUBLIC_B, "us-east-1b"), subnet(PRIVATE_A, "us-east-1a"), subnet(PRIVATE_B, "us-east-1b")]
NAT_TABLE = {"routes": [{"destination_cidr_block": "0.0.0.0/0", "nat_gateway_id": "nat-1"}], "associations": [{"main": True}]}
TABLES = [table(True, [PUBLIC_A, PUBLIC_B]), NAT_TABLE]


def layout(**asked: object) -> dict:
    return network_layout({"vpc_id": VPC, "vpc_subnets": SUBNETS, "route_tables": TABLES, "assign_public_ip": "auto", **asked})


def test_public_and_private_subnets_by_their_route_tables() -> None:
    assert public_subnets(SUBNETS, TABLES) == {PUBLIC_A, PUBLIC_B}
    # The main table decides for subnets without their own; a default subnet is public whatever moto's tables say.
    assert public_subnets(SUBNETS, [table(True, main=True), table(False, [PRIVATE_A, PRIVATE_B])]) == {PUBLIC_A, PUBLIC_B}
    assert public_subnets([subnet("subnet-d", "us-east-1a", default=True)], []) == {"subnet-d"}


def test_separate_subnets_private_tasks_get_no_public_ip() -> None:
    found = layout(load_balancer_subnets=[PUBLIC_A, PUBLIC_B], task_subnets=[PRIVATE_A, PRIVATE_B])
    assert found == {
        "load_balancer_subnets": [PUBLIC_A, PUBLIC_B],
        "task_subnets": [PRIVATE_A, PRIVATE_B],
        "assign_public_ip": False,
        "public_subnets": [PUBLIC_A, PUBLIC_B],
        "problems": [],
    }


def test_auto_gives_public_tasks_a_public_ip_and_an_explicit_choice_wins() -> None:
    assert layout(subnets=[PUBLIC_A, PUBLIC_B])["assign_public_ip"] is True
    assert layout(subnets=[PUBLIC_A, PUBLIC_B], assign_public_ip=False)["assign_public_ip"] is False
    assert layout(load_balancer_subnets=[PUBLIC_A, PUBLIC_B], task_subnets=[PRIVATE_A], assign_public_ip="true")["assign_public_ip"] is True


def test_the_default_vpc_every_default_subnet_for_both_with_a_public_ip() -> None:
    defaults = [subnet(f"subnet-{z}", f"us-east-1{z}", default=True) for z in "cab"]
    found = network_layout({"vpc_id": VPC, "vpc_subnets": defaults, "route_tables": [table(False, main=True)], "assign_public_ip": "auto"})
    assert found["load_balancer_subnets"] == found["task_subnets"] == ["subnet-a", "subnet-b", "subnet-c"]
    assert found["assign_public_ip"] is True and found["problems"] == []


def test_subnets_of_another_vpc_are_named_with_the_variable_that_gave_them() -> None:
    problems = layout(load_balancer_subnets=[PUBLIC_A, PUBLIC_B], task_subnets=[PRIVATE_A, "subnet-elsewhere"])["problems"]
    assert problems == [
        "infrastructure_task_subnets: subnet-elsewhere is not a subnet of VPC vpc-1; give subnets of that VPC, "
        "or set infrastructure_vpc_id to the VPC they are in"
    ]


@pytest.mark.parametrize(
    ("asked", "wanted"),
    [
        (
            {"load_balancer_subnets": [PUBLIC_A], "task_subnets": [PRIVATE_A]},
            "needs subnets in at least two Availability Zones; subnet-pa is in us-east-1a only",
        ),
        ({"load_balancer_subnets": [PUBLIC_A, PUBLIC_B, PRIVATE_A], "task_subnets": [PRIVATE_A], "scheme": "internal"}, "one subnet per Availability Zone"),
        ({"load_balancer_subnets": [PRIVATE_A, PRIVATE_B], "task_subnets": [PRIVATE_A]}, "internet-facing load balancer needs public subnets"),
        ({"task_subnets": [PUBLIC_A, PRIVATE_B], "load_balancer_subnets": [PUBLIC_A, PUBLIC_B]}, "mix public (subnet-pa) and private (subnet-qb)"),
    ],
)
def test_layouts_aws_refuses_or_that_cannot_work_are_problems(asked: dict, wanted: str) -> None:
    problems = layout(**asked)["problems"]
    assert len(problems) == 1 and wanted in problems[0], problems


def test_every_subnet_of_a_vpc_with_public_and_private_ones_is_refused_for_each_reason() -> None:
    problems = layout()["problems"]
    assert [p.split(";")[0] for p in problems] == [
        "an application load balancer takes one subnet per Availability Zone",
        "an internet-facing load balancer needs public subnets (a route to an internet gateway)",
        "the task subnets mix public (subnet-pa, subnet-pb) and private (subnet-qa, subnet-qb) ones, so infrastructure_assign_public_ip: auto cannot choose",
    ]


def test_an_internal_load_balancer_may_sit_in_private_subnets() -> None:
    found = layout(load_balancer_subnets=[PRIVATE_A, PRIVATE_B], task_subnets=[PRIVATE_A, PRIVATE_B], scheme="internal")
    assert found["problems"] == [] and found["assign_public_ip"] is False


def test_an_existing_load_balancer_keeps_its_own_subnets_and_scheme() -> None:
    # Private subnets for everything would be refused for an internet-facing load balancer the role makes.
    made = layout(subnets=[PRIVATE_A, PRIVATE_B], scheme="internet-facing")
    assert made["load_balancer_subnets"] == [PRIVATE_A, PRIVATE_B] and len(made["problems"]) == 1
    shared = layout(subnets=[PRIVATE_A, PRIVATE_B], scheme="internet-facing", existing_load_balancer=True)
    assert shared["problems"] == [] and shared["load_balancer_subnets"] == [] and shared["task_subnets"] == [PRIVATE_A, PRIVATE_B]
    asked = layout(load_balancer_subnets=[PUBLIC_A, PUBLIC_B], task_subnets=[PRIVATE_A], existing_load_balancer=True)
    assert len(asked["problems"]) == 1 and asked["problems"][0].startswith("infrastructure_load_balancer_subnets is for a load balancer the role creates")


def test_bad_input_to_the_filter() -> None:
    with pytest.raises(ValueError, match="auto, true or false"):
        layout(subnets=[PUBLIC_A, PUBLIC_B], assign_public_ip="maybe")
    with pytest.raises(TypeError):
        network_layout(["subnet-1"])
    assert FilterModule().filters()["network_layout"] is network_layout
