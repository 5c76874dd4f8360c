"""cutover.ecs.listener against moto: check mode, apply, re-apply, modify, delete,
and traffic weights that a deployment owns (the drift community.aws rewrites)."""

from __future__ import annotations

import boto3
import pytest
from moto_counting_server import mutating_calls

ELB = "elasticloadbalancing"
LB_NAME = "it-listener-alb"
BLUE, GREEN, RED = "it-lsn-blue", "it-lsn-green", "it-lsn-red"


def client(moto_server, service):
    return boto3.client(service, region_name="us-east-1", endpoint_url=moto_server.url, aws_access_key_id="testing", aws_secret_access_key="testing")


@pytest.fixture(scope="module")
def elbv2(moto_server):
    return client(moto_server, "elbv2")


@pytest.fixture(scope="module")
def stack(moto_server, elbv2):
    """An ALB and three target groups, made with boto3 directly."""
    ec2 = client(moto_server, "ec2")
    vpc_id = ec2.describe_vpcs(Filters=[{"Name": "isDefault", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
    subnets = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["Subnets"]
    by_zone = {subnet["AvailabilityZone"]: subnet["SubnetId"] for subnet in subnets}
    balancer = elbv2.create_load_balancer(Name=LB_NAME, Subnets=sorted(by_zone.values())[:2], Type="application")["LoadBalancers"][0]
    groups = {
        name: elbv2.create_target_group(Name=name, Protocol="HTTP", Port=8080, VpcId=vpc_id, TargetType="ip")["TargetGroups"][0]["TargetGroupArn"]
        for name in (BLUE, GREEN, RED)
    }
    yield dict(load_balancer_arn=balancer["LoadBalancerArn"], groups=groups)
    for listener in elbv2.describe_listeners(LoadBalancerArn=balancer["LoadBalancerArn"])["Listeners"]:
        elbv2.delete_listener(ListenerArn=listener["ListenerArn"])
    elbv2.delete_load_balancer(LoadBalancerArn=balancer["LoadBalancerArn"])
    for arn in groups.values():
        elbv2.delete_target_group(TargetGroupArn=arn)


def weighted(blue: int, green: int) -> dict:
    return {"forward": {"target_groups": [{"target_group": BLUE, "weight": blue}, {"target_group": GREEN, "weight": green}]}}


API_RULE = {
    "priority": 10,
    "conditions": [{"field": "path-pattern", "values": ["/api/*", "/v2/*"]}],
    "action": weighted(100, 0),
}
CANARY_RULE = {
    "priority": 20,
    "conditions": [
        {"field": "http-header", "http_header_name": "X-Canary", "values": ["1", "true"]},
        {"field": "query-string", "query_strings": [{"key": "canary", "value": "1"}]},
    ],
    "action": {"fixed_response": {"status_code": "418", "content_type": "text/plain", "message_body": "canary"}},
}


def production(port: int = 80, **changes) -> dict:
    args = dict(
        load_balancer=LB_NAME,
        port=port,
        protocol="HTTP",
        default_action={"forward": {"target_group": BLUE}},
        rules=[API_RULE, CANARY_RULE],
        traffic_weights="ignore",
        target_group_pairs=[[BLUE, GREEN]],
        tags={"role": "production"},
    )
    args.update(changes)
    return args


def forward_weights(action: dict, groups: dict) -> dict:
    """Target-group name -> weight (None for a lone target group) of a snake_case forward action."""
    names = {arn: name for name, arn in groups.items()}
    return {names[item["target_group_arn"]]: item.get("weight") for item in action["forward_config"]["target_groups"]}


def rule(listener: dict, priority: int) -> dict:
    return next(item for item in listener["rules"] if item["priority"] == priority)


def swap_like_a_deployment(elbv2, listener_arn: str, groups: dict) -> None:
    """What CodeDeploy and ECS blue/green do: move the default action to green, shift the rule's weights."""
    elbv2.modify_listener(ListenerArn=listener_arn, DefaultActions=[{"Type": "forward", "TargetGroupArn": groups[GREEN]}])
    api_rule = next(item for item in elbv2.describe_rules(ListenerArn=listener_arn)["Rules"] if item["Priority"] == "10")
    elbv2.modify_rule(
        RuleArn=api_rule["RuleArn"],
        Actions=[
            {
                "Type": "forward",
                "ForwardConfig": {"TargetGroups": [{"TargetGroupArn": groups[BLUE], "Weight": 0}, {"TargetGroupArn": groups[GREEN], "Weight": 100}]},
            }
        ],
    )


def test_listener_lifecycle(run_module, stack, elbv2):
    groups = stack["groups"]
    args = production()

    result, calls = run_module("listener", args, check=True, diff=True)
    assert result["changed"] is True, result
    assert result["listener"]["port"] == 80
    assert [item["priority"] for item in result["listener"]["rules"]] == [10, 20]
    assert result["diff"]["before"] == {}
    assert mutating_calls(calls) == []

    result, calls = run_module("listener", args)
    assert result["changed"] is True, result
    listener = result["listener"]
    listener_arn = listener["listener_arn"]
    assert (listener["port"], listener["protocol"], listener["load_balancer_arn"]) == (80, "HTTP", stack["load_balancer_arn"])
    assert forward_weights(listener["default_actions"][0], groups) == {BLUE: None}
    assert forward_weights(rule(listener, 10)["actions"][0], groups) == {BLUE: 100, GREEN: 0}
    assert rule(listener, 20)["actions"][0]["fixed_response_config"]["status_code"] == "418"
    assert listener["tags"] == {"role": "production"}
    assert mutating_calls(calls) == [f"{ELB}:CreateListener", f"{ELB}:CreateRule", f"{ELB}:CreateRule"]

    result, calls = run_module("listener", args)
    assert result["changed"] is False, result
    assert mutating_calls(calls) == []

    # Order of conditions and of their values does not matter to AWS, nor to us.
    reordered = production(
        rules=[
            dict(API_RULE, conditions=[{"field": "path-pattern", "values": ["/v2/*", "/api/*"]}]),
            dict(CANARY_RULE, conditions=list(reversed([dict(CANARY_RULE["conditions"][0], values=["true", "1"]), CANARY_RULE["conditions"][1]]))),
        ]
    )
    result, calls = run_module("listener", reordered)
    assert result["changed"] is False, result
    assert mutating_calls(calls) == []

    # A deployment swaps blue and green. Under traffic_weights=ignore that is not drift.
    swap_like_a_deployment(elbv2, listener_arn, groups)
    result, calls = run_module("listener", args)
    assert result["changed"] is False, result
    assert forward_weights(result["listener"]["default_actions"][0], groups) == {GREEN: None}
    assert forward_weights(rule(result["listener"], 10)["actions"][0], groups) == {BLUE: 0, GREEN: 100}
    assert mutating_calls(calls) == []

    # Under traffic_weights=managed the same state is drift (predicted in check mode, nothing sent).
    result, calls = run_module("listener", dict(args, traffic_weights="managed"), check=True)
    assert result["changed"] is True, result
    assert forward_weights(result["listener"]["default_actions"][0], groups) == {BLUE: None}
    assert mutating_calls(calls) == []

    # Other drift is still fixed under ignore, and the deployment's weights survive the fix.
    changed_rule = production(rules=[dict(API_RULE, conditions=[{"field": "path-pattern", "values": ["/api/*", "/v3/*"]}]), CANARY_RULE])
    result, calls = run_module("listener", changed_rule, diff=True)
    assert result["changed"] is True, result
    api_rule = rule(result["listener"], 10)
    assert api_rule["conditions"][0]["path_pattern_config"]["values"] == ["/api/*", "/v3/*"]
    assert forward_weights(api_rule["actions"][0], groups) == {BLUE: 0, GREEN: 100}
    assert forward_weights(result["listener"]["default_actions"][0], groups) == {GREEN: None}
    assert mutating_calls(calls) == [f"{ELB}:ModifyRule"]

    result, calls = run_module("listener", changed_rule)
    assert result["changed"] is False, result
    assert mutating_calls(calls) == []

    # A target group outside the pair is real drift even under ignore.
    result, calls = run_module("listener", dict(changed_rule, default_action={"forward": {"target_group": RED}}))
    assert result["changed"] is True, result
    assert forward_weights(result["listener"]["default_actions"][0], groups) == {RED: None}
    assert mutating_calls(calls) == [f"{ELB}:ModifyListener"]

    # managed puts the weights back, and purge_rules drops the unlisted canary rule.
    managed = production(traffic_weights="managed", rules=[API_RULE], tags={"role": "production", "owner": "ops"})
    result, calls = run_module("listener", managed)
    assert result["changed"] is True, result
    assert forward_weights(result["listener"]["default_actions"][0], groups) == {BLUE: None}
    assert [item["priority"] for item in result["listener"]["rules"]] == [10]
    assert forward_weights(rule(result["listener"], 10)["actions"][0], groups) == {BLUE: 100, GREEN: 0}
    assert result["listener"]["tags"] == {"role": "production", "owner": "ops"}
    assert sorted(mutating_calls(calls)) == sorted([f"{ELB}:ModifyListener", f"{ELB}:ModifyRule", f"{ELB}:DeleteRule", f"{ELB}:AddTags"])

    result, calls = run_module("listener", managed)
    assert result["changed"] is False, result
    assert mutating_calls(calls) == []

    # With listener_arn the port itself can move.
    moved = dict(managed, port=8080, listener_arn=listener_arn)
    result, calls = run_module("listener", moved)
    assert result["changed"] is True, result
    assert result["listener"]["port"] == 8080
    assert result["listener"]["listener_arn"] == listener_arn
    assert mutating_calls(calls) == [f"{ELB}:ModifyListener"]

    result, calls = run_module("listener", dict(managed, port=8080))
    assert result["changed"] is False, result
    assert mutating_calls(calls) == []

    absent = dict(load_balancer=LB_NAME, port=8080, state="absent")
    result, calls = run_module("listener", absent, check=True)
    assert result["changed"] is True
    assert mutating_calls(calls) == []

    result, calls = run_module("listener", absent)
    assert result["changed"] is True
    assert result["listener"] == {}
    assert mutating_calls(calls) == [f"{ELB}:DeleteListener"]

    result, calls = run_module("listener", absent)
    assert result["changed"] is False
    assert mutating_calls(calls) == []


def test_redirect_and_fixed_response_round_trip(run_module, stack):
    args = dict(
        load_balancer=stack["load_balancer_arn"],  # by ARN
        port=81,
        protocol="HTTP",
        default_action={"redirect": {"protocol": "HTTPS", "port": "443", "status_code": "HTTP_301"}},
        rules=[
            {
                "priority": 5,
                "conditions": [{"field": "source-ip", "values": ["10.0.0.0/8"]}, {"field": "http-request-method", "values": ["GET", "HEAD"]}],
                "action": {"fixed_response": {"status_code": "503", "content_type": "application/json", "message_body": "{}"}},
            }
        ],
    )
    result, calls = run_module("listener", args)
    assert result["changed"] is True, result
    redirect = result["listener"]["default_actions"][0]["redirect_config"]
    assert (redirect["protocol"], redirect["port"], redirect["host"], redirect["status_code"]) == ("HTTPS", "443", "#{host}", "HTTP_301")
    assert mutating_calls(calls) == [f"{ELB}:CreateListener", f"{ELB}:CreateRule"]

    result, calls = run_module("listener", args)
    assert result["changed"] is False, result
    assert mutating_calls(calls) == []

    result, calls = run_module("listener", dict(load_balancer=LB_NAME, port=81, state="absent"))
    assert mutating_calls(calls) == [f"{ELB}:DeleteListener"]


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"default_action": {"forward": {"target_group": "it-no-such-tg"}}}, "it-no-such-tg"),
        ({"target_group_pairs": [[BLUE]]}, "two different target groups"),
        ({"rules": [API_RULE, dict(CANARY_RULE, priority=10)]}, "priority 10"),
        ({"load_balancer": "it-no-such-alb"}, "it-no-such-alb"),
        ({"protocol": "HTTPS"}, "needs certificates"),
    ],
)
def test_bad_input_fails_before_any_change(run_module, stack, changes, message):
    result, calls = run_module("listener", production(port=82, **changes))
    assert result.get("failed") is True, result
    assert message in result["msg"]
    assert mutating_calls(calls) == []


def test_check_mode_accepts_target_groups_an_earlier_task_creates(run_module, stack):
    result, calls = run_module("listener", production(port=83, default_action={"forward": {"target_group": "it-later-tg"}}), check=True)
    assert result["changed"] is True, result
    assert any("it-later-tg" in warning for warning in result.get("warnings", []))
    assert mutating_calls(calls) == []


@pytest.fixture(scope="module")
def certificates(moto_server):
    acm = client(moto_server, "acm")
    return [acm.request_certificate(DomainName=f"{name}.example.com")["CertificateArn"] for name in ("shop", "api", "beta")]


def test_https_certificates_and_policy(run_module, stack, certificates):
    default, sni_a, sni_b = certificates
    args = dict(
        load_balancer=LB_NAME,
        port=443,
        protocol="HTTPS",
        ssl_policy="ELBSecurityPolicy-TLS13-1-2-2021-06",
        certificates=[default, sni_a],
        default_action={"forward": {"target_group": BLUE}},
    )
    result, calls = run_module("listener", args)
    assert result["changed"] is True, result
    listed = {(item["certificate_arn"], item["is_default"]) for item in result["listener"]["certificates"]}
    assert listed == {(default, True), (sni_a, False)}
    assert result["listener"]["ssl_policy"] == "ELBSecurityPolicy-TLS13-1-2-2021-06"
    assert mutating_calls(calls) == [f"{ELB}:CreateListener", f"{ELB}:AddListenerCertificates"]

    result, calls = run_module("listener", args)
    assert result["changed"] is False, result
    assert mutating_calls(calls) == []

    # SNI certificates compare as a set.
    result, calls = run_module("listener", dict(args, certificates=[default, sni_b, sni_a]))
    assert result["changed"] is True, result
    assert mutating_calls(calls) == [f"{ELB}:AddListenerCertificates"]

    result, calls = run_module("listener", dict(args, certificates=[default, sni_b], ssl_policy="ELBSecurityPolicy-2016-08"))
    assert result["changed"] is True, result
    assert {item["certificate_arn"] for item in result["listener"]["certificates"]} == {default, sni_b}
    assert result["listener"]["ssl_policy"] == "ELBSecurityPolicy-2016-08"
    assert sorted(mutating_calls(calls)) == [f"{ELB}:ModifyListener", f"{ELB}:RemoveListenerCertificates"]

    result, calls = run_module("listener", dict(args, certificates=[default, sni_b], ssl_policy="ELBSecurityPolicy-2016-08"))
    assert result["changed"] is False, result
    assert mutating_calls(calls) == []

    result, calls = run_module("listener", dict(load_balancer=LB_NAME, port=443, state="absent"))
    assert mutating_calls(calls) == [f"{ELB}:DeleteListener"]


def test_tcp_listener_on_a_network_load_balancer(run_module, moto_server, elbv2):
    ec2 = client(moto_server, "ec2")
    vpc_id = ec2.describe_vpcs(Filters=[{"Name": "isDefault", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
    subnets = sorted(subnet["SubnetId"] for subnet in ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["Subnets"])
    balancer = elbv2.create_load_balancer(Name="it-listener-nlb", Subnets=subnets[:1], Type="network", Scheme="internal")["LoadBalancers"][0]
    group = elbv2.create_target_group(Name="it-lsn-tcp", Protocol="TCP", Port=5432, VpcId=vpc_id, TargetType="ip")["TargetGroups"][0]["TargetGroupArn"]
    try:
        args = dict(load_balancer="it-listener-nlb", port=5432, protocol="TCP", default_action={"forward": {"target_group": "it-lsn-tcp"}})
        result, calls = run_module("listener", args)
        assert result["changed"] is True, result
        assert result["listener"]["protocol"] == "TCP"
        assert mutating_calls(calls) == [f"{ELB}:CreateListener"]

        result, calls = run_module("listener", args)
        assert result["changed"] is False, result
        assert mutating_calls(calls) == []
    finally:
        for listener in elbv2.describe_listeners(LoadBalancerArn=balancer["LoadBalancerArn"])["Listeners"]:
            elbv2.delete_listener(ListenerArn=listener["ListenerArn"])
        elbv2.delete_load_balancer(LoadBalancerArn=balancer["LoadBalancerArn"])
        elbv2.delete_target_group(TargetGroupArn=group)
