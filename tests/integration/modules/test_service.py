"""cutover.ecs.service against moto: check mode, apply, re-apply, modify, delete.

moto 5.2.5 stores on CreateService neither deploymentConfiguration,
capacityProviderStrategy, healthCheckGracePeriodSeconds, enableExecuteCommand,
enableECSManagedTags, placement nor availabilityZoneRebalancing, though it
stores all of them on UpdateService. The services here are created with those
fields at their defaults (or left out), and the fields are then set by the
module's UpdateService and re-applied. moto also never moves a deployment
(its rolloutState and taskDefinition stay as at creation), so the waits here
use desired counts moto reports as settled, and a task definition change runs
with wait=false.
"""

from __future__ import annotations

import boto3
import pytest
from moto_counting_server import mutating_calls

CLUSTER = "it-svc"
ACCOUNT = "123456789012"
TG = f"arn:aws:elasticloadbalancing:us-east-1:{ACCOUNT}:targetgroup"
BLUE, GREEN = f"{TG}/blue/0123456789abcdef", f"{TG}/green/fedcba9876543210"
RULE = f"arn:aws:elasticloadbalancing:us-east-1:{ACCOUNT}:listener-rule/app/shop/0123456789abcdef/0123456789abcdef"


@pytest.fixture(scope="module")
def aws(moto_server):
    """Cluster, network and two task definition revisions, made straight in moto."""
    session = dict(region_name="us-east-1", endpoint_url=moto_server.url, aws_access_key_id="testing", aws_secret_access_key="testing")
    ecs, ec2 = boto3.client("ecs", **session), boto3.client("ec2", **session)
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.9.{n}.0/24")["Subnet"]["SubnetId"] for n in (1, 2)]
    groups = [ec2.create_security_group(GroupName=f"it-svc-{n}", Description="it", VpcId=vpc)["GroupId"] for n in (1, 2)]
    ecs.create_cluster(clusterName=CLUSTER)
    # The module checks that the target groups it is given exist before it creates a
    # service; the cases below use these two (parametrised cases built at collection time
    # keep the placeholder ARNs and fail on their own problem first).
    global BLUE, GREEN
    elbv2 = boto3.client("elbv2", **session)
    BLUE, GREEN = (
        elbv2.create_target_group(Name=f"it-svc-{color}", Protocol="HTTP", Port=8080, VpcId=vpc, TargetType="ip")["TargetGroups"][0]["TargetGroupArn"]
        for color in ("blue", "green")
    )
    arns = []
    for image in ("web:1", "web:2"):
        arns.append(
            ecs.register_task_definition(
                family="it-svc-web",
                networkMode="awsvpc",
                requiresCompatibilities=["FARGATE"],
                cpu="256",
                memory="512",
                containerDefinitions=[{"name": "web", "image": image, "portMappings": [{"containerPort": 8080}]}],
            )["taskDefinition"]["taskDefinitionArn"]
        )
    return dict(ecs=ecs, subnets=subnets, groups=groups, revisions=arns)


def _rolling(aws, **overrides) -> dict:
    args = dict(
        name="web",
        cluster=CLUSTER,
        task_definition=aws["revisions"][0],
        desired_count=0,
        launch_type="FARGATE",
        deployment_configuration=dict(maximum_percent=200, minimum_healthy_percent=100),
        load_balancers=[dict(target_group_arn=BLUE, container_name="web", container_port=8080)],
        network_configuration=dict(subnets=aws["subnets"][:1], security_groups=aws["groups"][:1]),
        propagate_tags="SERVICE",
        tags={"team": "payments"},
        wait=True,
        wait_timeout=60,
    )
    args.update(overrides)
    return args


def test_rolling_service_lifecycle(run_module, aws):
    args = _rolling(aws)

    result, calls = run_module("service", args, check=True, diff=True)
    assert result["changed"] is True, result
    assert result["service"]["service_name"] == "web"
    assert result["diff"]["before"] == {}
    assert mutating_calls(calls) == []

    result, calls = run_module("service", args)
    assert result["changed"] is True, result
    assert mutating_calls(calls) == ["ecs:CreateService"]
    assert result["service"]["task_definition"] == aws["revisions"][0]
    assert result["service"]["tags"] == {"team": "payments"}
    assert result["service"]["deployments"][0]["rollout_state"] == "COMPLETED"

    result, calls = run_module("service", args)
    assert result["changed"] is False, result
    assert mutating_calls(calls) == []

    # The same service written differently: family:revision resolves to the same ARN, assign_public_ip spelled out.
    same = _rolling(
        aws, task_definition="it-svc-web:1", network_configuration=dict(subnets=aws["subnets"][:1], security_groups=aws["groups"][:1], assign_public_ip=False)
    )
    result, calls = run_module("service", same)
    assert result["changed"] is False, result
    assert mutating_calls(calls) == []

    # Only the deployment configuration changes (the incumbent ignores it).
    breaker = _rolling(
        aws,
        desired_count=2,
        health_check_grace_period_seconds=30,
        deployment_configuration=dict(maximum_percent=200, minimum_healthy_percent=50, deployment_circuit_breaker=dict(enable=True, rollback=True)),
    )
    result, calls = run_module("service", breaker, check=True, diff=True)
    assert result["changed"] is True
    assert sorted(result["diff"]["after"]) == ["deploymentConfiguration", "desiredCount", "healthCheckGracePeriodSeconds"]
    assert mutating_calls(calls) == []

    result, calls = run_module("service", breaker)
    assert result["changed"] is True, result
    assert mutating_calls(calls) == ["ecs:UpdateService"]
    configuration = result["service"]["deployment_configuration"]
    assert configuration["deployment_circuit_breaker"] == {"enable": True, "rollback": True}
    assert configuration["minimum_healthy_percent"] == 50

    result, calls = run_module("service", breaker)
    assert result["changed"] is False, result
    assert mutating_calls(calls) == []

    # Removing the circuit breaker from the options turns it off (the whole configuration is managed).
    result, calls = run_module("service", dict(breaker, deployment_configuration=dict(minimum_healthy_percent=50)), check=True, diff=True)
    assert result["changed"] is True
    assert result["diff"]["after"]["deploymentConfiguration"]["deploymentCircuitBreaker"] == {"enable": False, "rollback": False}

    # Only the network configuration changes.
    network = dict(breaker, network_configuration=dict(subnets=aws["subnets"], security_groups=aws["groups"]))
    result, calls = run_module("service", network, diff=True)
    assert result["changed"] is True, result
    assert list(result["diff"]["after"]) == ["networkConfiguration"]
    assert mutating_calls(calls) == ["ecs:UpdateService"]

    result, calls = run_module("service", dict(network, network_configuration=dict(subnets=list(reversed(aws["subnets"])), security_groups=aws["groups"])))
    assert result["changed"] is False, result
    assert mutating_calls(calls) == []

    # A new task definition revision: a rolling update (moto never moves the deployment, so no wait).
    rolled = dict(network, task_definition=aws["revisions"][1], wait=False, tags={"team": "search"})
    result, calls = run_module("service", rolled)
    assert result["changed"] is True, result
    assert mutating_calls(calls) == ["ecs:UpdateService", "ecs:TagResource"]
    assert result["service"]["task_definition"] == aws["revisions"][1]
    assert result["deployment_required"] is False

    result, calls = run_module("service", rolled)
    assert result["changed"] is False, result
    assert mutating_calls(calls) == []

    absent = dict(name="web", cluster=CLUSTER, state="absent", wait_timeout=60)
    result, calls = run_module("service", absent, check=True)
    assert result["changed"] is True
    assert mutating_calls(calls) == []

    result, calls = run_module("service", absent)
    assert result["changed"] is True, result
    assert mutating_calls(calls) == ["ecs:UpdateService", "ecs:DeleteService"]  # scaled to 0 first

    result, calls = run_module("service", absent)
    assert result["changed"] is False
    assert mutating_calls(calls) == []


def test_service_bad_input_is_rejected_before_any_change(run_module, aws):
    args = _rolling(aws, name="bad")
    both, real_run = (True, False), (False,)
    cases = [
        (dict(args, load_balancers=[dict(target_group_arn=BLUE, container_name="api", container_port=8080)]), both, "container_name 'api' is not a container"),
        (dict(args, load_balancers=[dict(target_group_arn=BLUE, container_name="web", container_port=9090)]), both, "container_port 9090 is not exposed"),
        # In check mode the task definition may come from an earlier task: a warning there.
        (dict(args, task_definition="it-svc-nope"), real_run, "was not found"),
        (dict(args, deployment_configuration=dict(strategy="BLUE_GREEN")), both, "alternate_target_group_arn"),
        (
            dict(args, deployment_controller="CODE_DEPLOY", deployment_configuration=dict(deployment_circuit_breaker=dict(enable=True))),
            both,
            "needs deployment_controller ECS",
        ),
        (dict(args, network_configuration=None), both, "give network_configuration"),
        (dict(args, cluster="it-no-such-cluster"), real_run, "Cluster 'it-no-such-cluster' was not found"),
    ]
    for case, modes, message in cases:
        for check in modes:
            result, calls = run_module("service", case, check=check)
            assert result.get("failed") is True, (case, result)
            assert message in result["msg"], result["msg"]
            assert mutating_calls(calls) == []

    result, calls = run_module("service", dict(args, task_definition="it-svc-nope"), check=True)
    assert result["changed"] is True, result
    assert any("does not exist yet" in warning for warning in result["warnings"])
    # shown once, as a warning: no "Passing `warnings` to `exit_json`" deprecation (amazon.aws 10's warn wrapper)
    assert not result.get("deprecations"), result["deprecations"]
    assert mutating_calls(calls) == []


def test_code_deploy_service_never_sends_deployment_fields(run_module, aws):
    args = _rolling(
        aws,
        name="api",
        deployment_controller="CODE_DEPLOY",
        deployment_configuration=None,
        target_group_pair=[BLUE, GREEN],
    )
    result, calls = run_module("service", args)
    assert result["changed"] is True, result
    assert mutating_calls(calls) == ["ecs:CreateService"]

    result, calls = run_module("service", args)
    assert result["changed"] is False, result
    assert mutating_calls(calls) == []

    # A CodeDeploy deployment swapped the live target group to green: not drift.
    aws["ecs"].update_service(cluster=CLUSTER, service="api", loadBalancers=[dict(targetGroupArn=GREEN, containerName="web", containerPort=8080)])
    result, calls = run_module("service", args)
    assert result["changed"] is False, result
    assert result["deployment_required"] is False
    assert mutating_calls(calls) == []

    # Without the pair declared, the swap is reported, never sent.
    result, calls = run_module("service", dict(args, target_group_pair=None), diff=True)
    assert result["changed"] is False, result
    assert result["deployment_required"] is True
    assert result["deployment_required_fields"] == ["loadBalancers"]
    assert mutating_calls(calls) == []

    # A new revision plus a count change: the count is updated, the revision is left to CodeDeploy.
    result, calls = run_module("service", dict(args, task_definition=aws["revisions"][1], desired_count=1, wait=False), diff=True)
    assert result["changed"] is True, result
    assert result["deployment_required_fields"] == ["taskDefinition"]
    assert result["diff"]["after"]["taskDefinition"] == aws["revisions"][1]
    assert mutating_calls(calls) == ["ecs:UpdateService"]
    assert result["service"]["task_definition"] == aws["revisions"][0]
    assert result["service"]["desired_count"] == 1

    result, calls = run_module("service", dict(args, deployment_controller="ECS"))
    assert result.get("failed") is True
    assert "recreate" in result["msg"]
    assert mutating_calls(calls) == []

    result, calls = run_module("service", dict(name="api", cluster=CLUSTER, state="absent", wait_timeout=60))
    assert result["changed"] is True, result
    assert mutating_calls(calls) == ["ecs:UpdateService", "ecs:DeleteService"]


def test_ecs_blue_green_swap_is_not_drift(run_module, aws):
    advanced = dict(alternate_target_group_arn=GREEN, production_listener_rule=RULE, role_arn=f"arn:aws:iam::{ACCOUNT}:role/ecs-elb")
    rolling = _rolling(
        aws, name="cart", load_balancers=[dict(target_group_arn=BLUE, container_name="web", container_port=8080, advanced_configuration=advanced)]
    )
    result, calls = run_module("service", rolling)
    assert result["changed"] is True, result

    blue_green = dict(
        rolling,
        deployment_configuration=dict(
            strategy="BLUE_GREEN", bake_time_in_minutes=5, lifecycle_hooks=[dict(target_type="PAUSE", lifecycle_stages=["POST_TEST_TRAFFIC_SHIFT"])]
        ),
    )
    result, calls = run_module("service", blue_green)
    assert result["changed"] is True, result
    assert mutating_calls(calls) == ["ecs:UpdateService"]
    assert result["service"]["deployment_configuration"]["strategy"] == "BLUE_GREEN"

    result, calls = run_module("service", blue_green)
    assert result["changed"] is False, result
    assert mutating_calls(calls) == []

    # After a blue/green deployment ECS serves production from green, with blue as the alternate.
    swapped = dict(advancedConfiguration=dict(alternateTargetGroupArn=BLUE, productionListenerRule=RULE, roleArn=advanced["role_arn"]))
    aws["ecs"].update_service(cluster=CLUSTER, service="cart", loadBalancers=[dict(targetGroupArn=GREEN, containerName="web", containerPort=8080, **swapped)])
    result, calls = run_module("service", blue_green)
    assert result["changed"] is False, result
    assert mutating_calls(calls) == []

    result, calls = run_module("service", dict(name="cart", cluster=CLUSTER, state="absent", force_delete=True, wait_timeout=60))
    assert result["changed"] is True, result
    assert mutating_calls(calls) == ["ecs:DeleteService"]
