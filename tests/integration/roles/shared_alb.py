"""A load balancer made elsewhere, and services of this collection sharing it by host rules (issue 28): the
helpers of test_role_shared_alb.py and test_role_shared_alb_mixed.py."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from role_stack import Stack, recap

from lab.ecs.sampleimage import SampleImages
from lab.ecs.testkit import unique
from lab.loadgen import LoadGenerator

PRODUCTION, TEST = 80, 9000


def make_shared_load_balancer(module_lab: Any) -> dict[str, Any]:
    """An application load balancer as another team made it (boto3, as Terraform would): a security group open on both
    ports, listeners on 80 and 9000 answering 404, and a rule of its own at priority 5 (a fixed answer)."""
    ec2, elbv2 = module_lab.client("ec2"), module_lab.client("elbv2")
    vpc = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
    subnets = [s["SubnetId"] for s in ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"]][:2]
    name = unique("shared")
    group = ec2.create_security_group(GroupName=name, Description="shared listeners", VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(
        GroupId=group,
        IpPermissions=[{"IpProtocol": "tcp", "FromPort": port, "ToPort": port, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]} for port in (PRODUCTION, TEST)],
    )
    balancer = elbv2.create_load_balancer(Name=name, Subnets=subnets, SecurityGroups=[group], Type="application")["LoadBalancers"][0]
    not_found = [{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "404", "ContentType": "text/plain", "MessageBody": "no such host"}}]
    listeners = {
        port: elbv2.create_listener(LoadBalancerArn=balancer["LoadBalancerArn"], Port=port, Protocol="HTTP", DefaultActions=not_found)["Listeners"][0][
            "ListenerArn"
        ]
        for port in (PRODUCTION, TEST)
    }
    static = [{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "200", "ContentType": "text/plain", "MessageBody": "static"}}]
    elbv2.create_rule(ListenerArn=listeners[PRODUCTION], Priority=5, Conditions=[{"Field": "host-header", "Values": ["static.example.com"]}], Actions=static)
    return {"name": name, "arn": balancer["LoadBalancerArn"], "listeners": listeners, "group": group}


def check_wiring(module_lab: Any, shared: dict[str, Any], stack: Stack, rules: list[dict]) -> None:
    """The tasks admit the load balancer's group; ECS-native names the service's two rules, CodeDeploy the two listeners."""
    service = stack.service()
    groups = service["networkConfiguration"]["awsvpcConfiguration"]["securityGroups"]
    permissions = module_lab.client("ec2").describe_security_groups(GroupIds=groups)["SecurityGroups"][0]["IpPermissions"]
    assert [pair["GroupId"] for permission in permissions for pair in permission.get("UserIdGroupPairs", [])] == [shared["group"]]
    if stack.strategy == "ecs":
        advanced = service["loadBalancers"][0]["advancedConfiguration"]
        assert [advanced["productionListenerRule"], advanced["testListenerRule"]] == [rule["RuleArn"] for rule in rules]
    if stack.strategy == "codedeploy":
        group = module_lab.client("codedeploy").get_deployment_group(applicationName=stack.name, deploymentGroupName=stack.name)["deploymentGroupInfo"]
        route = group["loadBalancerInfo"]["targetGroupPairInfoList"][0]
        assert route["prodTrafficRoute"]["listenerArns"] == [shared["listeners"][PRODUCTION]]
        assert route["testTrafficRoute"]["listenerArns"] == [shared["listeners"][TEST]]


def service_on(module_lab: Any, images: SampleImages, tmp: Path, shared: dict[str, Any], host: str, strategy: str = "ecs", **more: Any) -> Stack:
    tags = {"team": host.split(".")[0], "cost-center": 4410}
    return Stack(
        module_lab, images, strategy, tmp, infrastructure_load_balancer=shared["name"], infrastructure_rule_hosts=[host], infrastructure_tags=tags, **more
    )


def tags_of(module_lab: Any, rules: list[dict]) -> list[dict[str, str]]:
    found = module_lab.client("elbv2").describe_tags(ResourceArns=[rule["RuleArn"] for rule in rules])["TagDescriptions"]
    return [{tag["Key"]: tag["Value"] for tag in item["Tags"]} for item in found]


def rules_of(module_lab: Any, shared: dict[str, Any]) -> dict[int, list[dict]]:
    """Every rule of both listeners, by port, as DescribeRules gives them (weights included)."""
    elbv2 = module_lab.client("elbv2")
    return {port: elbv2.describe_rules(ListenerArn=arn)["Rules"] for port, arn in shared["listeners"].items()}


def own_rules(rules: dict[int, list[dict]], stack: Stack) -> list[dict]:
    return [rule for listed in rules.values() for rule in listed if f"targetgroup/{stack.name}-" in str(rule["Actions"])]


def targets_of(module_lab: Any, stack: Stack) -> dict[str, list[str]]:
    elbv2 = module_lab.client("elbv2")
    found = {}
    for color in ("blue", "green"):
        arn = elbv2.describe_target_groups(Names=[f"{stack.name}-{color}"])["TargetGroups"][0]["TargetGroupArn"]
        found[color] = sorted(
            f"{t['Target']['Id']}:{t['TargetHealth']['State']}" for t in elbv2.describe_target_health(TargetGroupArn=arn)["TargetHealthDescriptions"]
        )
    return found


def cut_over_beside(module_lab: Any, shared: dict[str, Any], moving: Stack, still: Stack, image: str, version: str, still_version: str) -> None:
    """``moving`` cuts over under load while ``still`` is loaded too: 0 failed on both; ``still``'s rules (weights
    included) and targets, the listeners' default actions and the other team's rule are unchanged."""
    before_rules, before_targets = rules_of(module_lab, shared), targets_of(module_lab, still)
    with LoadGenerator(still.production_url(), rate=30, headers=still.headers) as load:
        moving.cut_over_under_load(image, version)
    report = load.report()
    assert report.total > 100 and report.failed == 0 and set(report.versions()) == {still_version}, (report.failures()[:5], report.versions())
    after_rules = rules_of(module_lab, shared)
    assert own_rules(after_rules, still) == own_rules(before_rules, still)
    assert targets_of(module_lab, still) == before_targets
    for port in after_rules:
        others = [rule for rule in after_rules[port] if f"targetgroup/{moving.name}-" not in str(rule["Actions"])]
        assert others == [rule for rule in before_rules[port] if f"targetgroup/{moving.name}-" not in str(rule["Actions"])]


def two_services_cut_over_on_their_own(module_lab: Any, images: SampleImages, shared: dict[str, Any], tmp: Path, strategies: tuple[str, str]) -> None:
    """Two services on ``shared`` by host (``strategies``), each cut over under load beside the other, re-run, then one torn down."""
    shop = service_on(module_lab, images, tmp, shared, "shop.example.com", strategies[0])
    blog = service_on(module_lab, images, tmp, shared, "blog.example.com", strategies[1])
    for stack in (shop, blog):
        first = stack.play(images.v1, deploy=False)
        assert recap(first)["failed"] == 0, first.stdout[-4000:]
        stack.wait_version("1")

    # One rule each on both listeners, after the other team's (priority 5), in the order made; the default stays 404.
    rules = rules_of(module_lab, shared)
    assert [rule["Priority"] for rule in own_rules(rules, shop)] == ["6", "6"]
    assert [rule["Priority"] for rule in own_rules(rules, blog)] == ["7", "7"]
    assert own_rules(rules, shop)[0]["Conditions"][0]["HostHeaderConfig"]["Values"] == ["shop.example.com"]
    for stack in (shop, blog):
        check_wiring(module_lab, shared, stack, own_rules(rules, stack))
    assert tags_of(module_lab, own_rules(rules, shop)) == [{"team": "shop", "cost-center": "4410"}] * 2

    cut_over_beside(module_lab, shared, shop, blog, images.v2, "2", "1")
    shop.rerun_changes_nothing(images.v2)
    cut_over_beside(module_lab, shared, blog, shop, images.v2, "2", "2")
    blog.rerun_changes_nothing(images.v2)

    # Tags taken out of the input leave the rules (an aws: tag set elsewhere stays), and nothing else changes.
    before = rules_of(module_lab, shared)
    blog_rules = own_rules(before, blog)
    module_lab.client("elbv2").add_tags(ResourceArns=[blog_rules[0]["RuleArn"]], Tags=[{"Key": "aws:cloudformation:stack-name", "Value": "elsewhere"}])
    untagged = blog.play(images.v2, deploy=False, infrastructure={"infrastructure_tags": {}})
    assert recap(untagged)["failed"] == 0, untagged.stdout[-4000:]
    assert tags_of(module_lab, blog_rules) == [{"aws:cloudformation:stack-name": "elsewhere"}, {}]
    assert own_rules(rules_of(module_lab, shared), shop) == own_rules(before, shop)

    # Teardown of one service removes its rules only: the other still answers, the listeners and the other team's rule stay.
    down = shop.teardown(teardown_load_balancer=shared["name"])
    assert recap(down)["failed"] == 0, down.stdout[-4000:]
    rules = rules_of(module_lab, shared)
    assert own_rules(rules, shop) == [] and len(own_rules(rules, blog)) == 2
    assert [rule["Priority"] for rule in rules[PRODUCTION]] == ["5", "7", "default"]
    blog.wait_version("2")
