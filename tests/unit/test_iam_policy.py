"""The committed IAM policy allows every AWS call the collection can make, and log -> policy conversion."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
POLICY = REPO / "policy" / "cutover-ecs-policy.json"


def _load_script():
    spec = importlib.util.spec_from_file_location("iam_policy", REPO / "scripts" / "iam_policy.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["iam_policy"] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


iam_policy = _load_script()
Operation = iam_policy.Operation


# --- the test the issue asks for ----------------------------------------------------------------


def test_committed_policy_allows_every_call_the_collection_can_make():
    result = iam_policy.scan()
    assert result.unresolved == [], "calls the scan cannot pin to one AWS service:\n" + "\n".join(result.unresolved)
    missing = iam_policy.missing_actions(result.actions, json.loads(POLICY.read_text()))
    assert missing == [], f"{POLICY.relative_to(REPO)} does not allow {missing}; regenerate it (policy/README.md) or add the actions: calls at " + "; ".join(
        where for op, where in result.operations.items() if op.action in missing for where in where
    )


def test_scan_finds_the_calls_of_every_service_package():
    # A scan that silently finds nothing would make the test above pass for nothing.
    actions = iam_policy.scan().actions
    for expected in (
        "ecs:DescribeServices",
        "ecs:RegisterTaskDefinition",
        "elasticloadbalancing:ModifyListener",
        "elasticloadbalancing:DescribeTargetHealth",  # client.describe_target_health(...).get(...): a call inside a call
        "ecr:GetAuthorizationToken",
        "ecr:PutImage",  # the builder's push, a dependent of the token
        "codedeploy:CreateDeployment",
        "codedeploy:ListDeployments",  # through paginate(client, "list_deployments", ...)
        "ec2:DescribeSubnets",  # an ec2 call in _elbv2/api.py: resolved by the method, not the package
        "iam:GetRole",  # an iam call in _codedeploy/api.py
        "sts:GetCallerIdentity",
        "iam:PassRole",
    ):
        assert expected in actions


def test_committed_policy_is_what_build_policy_writes():
    # Hand edits drift: the committed file keeps the generator's shape.
    policy = json.loads(POLICY.read_text())
    assert policy == iam_policy.build_policy(iam_policy.allowed_actions(policy))


# --- the static scan, on sources of our own ---------------------------------------------------------

SOURCE = """
def describe(client, name):
    return client.describe_services(cluster="c", services=[name]).get("services", [])

def listing(client):
    return paginate(client, "list_task_definitions", "taskDefinitionArns")

def ensure(context):
    ec2 = context.client("ec2")
    ec2.describe_vpcs()
    api.create_service(context.client("ecs"))  # an api function named like a boto3 method: no client receiver
    handle.read()

def identity(sts_client):
    return sts_client.get_caller_identity()
"""


def test_client_calls_finds_methods_paginators_and_assigned_clients():
    calls = [(call.method, call.service) for call in iam_policy.client_calls(SOURCE, "x.py")]
    assert sorted(calls) == sorted(
        [
            ("describe_services", None),
            ("list_task_definitions", None),
            ("describe_vpcs", "ec2"),
            ("get_caller_identity", None),
        ]
    )


@pytest.mark.parametrize(
    ("method", "own_service", "default", "expected"),
    [
        ("describe_services", None, "ecs", ["ecs:DescribeServices"]),
        ("describe_vpcs", "ec2", "ecs", ["ec2:DescribeVpcs"]),  # the assigned client wins over the package
        ("describe_subnets", None, "elbv2", ["ec2:DescribeSubnets"]),  # not elbv2's: found in ec2 only
        ("get_caller_identity", None, "codedeploy", ["sts:GetCallerIdentity"]),
        ("describe_load_balancers", None, "elbv2", ["elasticloadbalancing:DescribeLoadBalancers"]),  # IAM prefix, not the client name
        ("tag_resource", None, None, ["codedeploy:TagResource", "ecs:TagResource"]),  # ambiguous: reported, not guessed
        ("no_such_method", None, "ecs", []),
    ],
)
def test_resolve(method, own_service, default, expected):
    call = iam_policy.ClientCall("x.py", 1, method, own_service)
    found = iam_policy.resolve(call, default, ["codedeploy", "ec2", "ecs", "elbv2", "sts"])
    assert [operation.action for operation in found] == expected


# --- log -> policy -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("records", "expected"),
    [
        ([{"service": "ecs", "operation": "DescribeServices", "status": 200}], {Operation("ecs", "DescribeServices")}),
        # A failed call was authorized before it failed: it needs the permission too.
        ([{"service": "ecr", "operation": "DescribeRepositories", "status": 400}], {Operation("ecr", "DescribeRepositories")}),
        ([{"service": "ecs", "operation": "DescribeServices"}] * 3, {Operation("ecs", "DescribeServices")}),
        # The lab's own endpoints and unsigned requests are no AWS calls.
        ([{"service": "unknown", "operation": "GET /"}, {"service": "ecs", "operation": "GET /_lab/state"}], set()),
        ([{"service": "", "operation": "DescribeServices"}, {"operation": "X"}], set()),
    ],
)
def test_operations_from_log(records, expected):
    assert iam_policy.operations_from_log(records) == expected


@pytest.mark.parametrize(
    ("operations", "expected"),
    [
        ({Operation("ecs", "DescribeServices")}, {"ecs:DescribeServices"}),
        ({Operation("ecs", "CreateService")}, {"ecs:CreateService", "ecs:TagResource", "iam:PassRole"}),
        ({Operation("elasticloadbalancing", "CreateTargetGroup")}, {"elasticloadbalancing:CreateTargetGroup", "elasticloadbalancing:AddTags"}),
        ({Operation("codedeploy", "CreateDeploymentGroup")}, {"codedeploy:CreateDeploymentGroup", "iam:PassRole"}),
        (
            {Operation("ecr", "GetAuthorizationToken")},
            {
                "ecr:GetAuthorizationToken",
                "ecr:BatchCheckLayerAvailability",
                "ecr:BatchGetImage",
                "ecr:CompleteLayerUpload",
                "ecr:InitiateLayerUpload",
                "ecr:PutImage",
                "ecr:UploadLayerPart",
            },
        ),
    ],
)
def test_actions_for_adds_dependent_actions(operations, expected):
    assert iam_policy.actions_for(operations) == expected


def test_build_policy_groups_per_service_sorted_and_scopes_pass_role():
    policy = iam_policy.build_policy(
        ["ecs:UpdateService", "ecs:DescribeServices", "iam:PassRole", "elasticloadbalancing:ModifyListener", "ecs:DescribeServices"]
    )
    assert policy == {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "Ecs", "Effect": "Allow", "Action": ["ecs:DescribeServices", "ecs:UpdateService"], "Resource": "*"},
            {"Sid": "Elasticloadbalancing", "Effect": "Allow", "Action": ["elasticloadbalancing:ModifyListener"], "Resource": "*"},
            {
                "Sid": "PassRolesToEcsAndCodeDeploy",
                "Effect": "Allow",
                "Action": ["iam:PassRole"],
                "Resource": "*",
                "Condition": {"StringEquals": {"iam:PassedToService": ["codedeploy.amazonaws.com", "ecs-tasks.amazonaws.com", "ecs.amazonaws.com"]}},
            },
        ],
    }


@pytest.mark.parametrize(
    ("policy", "required", "missing"),
    [
        ({"Statement": [{"Effect": "Allow", "Action": ["ecs:A", "ecs:B"]}]}, ["ecs:A"], []),
        ({"Statement": [{"Effect": "Allow", "Action": "ecs:A"}]}, ["ecs:A", "ecs:B"], ["ecs:B"]),
        ({"Statement": {"Effect": "Allow", "Action": "ecs:A"}}, ["ecs:A"], []),  # a lone statement need not be a list
        ({"Statement": [{"Effect": "Deny", "Action": ["ecs:A"]}]}, ["ecs:A"], ["ecs:A"]),  # Deny allows nothing
    ],
)
def test_missing_actions(policy, required, missing):
    assert iam_policy.missing_actions(required, policy) == missing


def test_generate_from_log_files(tmp_path):
    log = tmp_path / "calls.jsonl"
    lines = [
        {"service": "ecs", "operation": "DescribeServices", "mutating": False, "status": 200},
        {"service": "ecs", "operation": "UpdateService", "mutating": True, "status": 200},
    ]
    log.write_text("\n".join(json.dumps(line) for line in lines) + "\n{torn")
    output = tmp_path / "policy.json"
    assert iam_policy.main(["generate", str(log), "-o", str(output)]) == 0
    assert iam_policy.allowed_actions(json.loads(output.read_text())) == {"ecs:DescribeServices", "ecs:UpdateService", "iam:PassRole"}


def test_check_fails_for_a_policy_that_lacks_an_action(tmp_path, capsys):
    too_small = tmp_path / "policy.json"
    too_small.write_text(json.dumps(iam_policy.build_policy(["ecs:DescribeServices"])))
    assert iam_policy.main(["check", str(too_small)]) == 1
    assert "ecs:UpdateService" in capsys.readouterr().err


def test_flow_steps_deploy_twice_per_strategy_then_rollback_and_teardown():
    steps = iam_policy.flow_steps(["codedeploy", "rolling"], "base:img")
    labels = [label for label, _arguments in steps]
    expected = [
        label
        for strategy in ("codedeploy", "rolling")
        for label in (f"deploy {strategy} v1", f"deploy {strategy} v2", f"rollback {strategy}", f"teardown {strategy}")
    ]
    assert labels == expected
    assert all((REPO / arguments[0]).exists() for _label, arguments in steps)
    assert "cutover_delete_images=true" in steps[3][1]
    first = steps[0][1]
    assert first[0] == "deploy.yml"
    assert "cutover_strategy=codedeploy" in first and "cutover_version=1" in first and "cutover_base_image=base:img" in first
    declared = json.loads(first[first.index("-e", first.index("cutover_base_image=base:img")) + 1])
    assert declared["infrastructure_secrets"] and declared["infrastructure_alarms"]
    second = steps[1][1]
    retagged = json.loads(second[second.index("-e", second.index("cutover_base_image=base:img")) + 1])
    # the second deploy drops a tag: the flow calls untag on every kind of resource
    assert set(declared["cutover_tags"]) > set(retagged["cutover_tags"])


def test_only_ansible_calls_are_checked_against_the_policy():
    policy = iam_policy.build_policy(["ecs:DescribeServices"])
    records = [
        {"service": "ecs", "operation": "DescribeServices", "ansible": True},
        {"service": "ecs", "operation": "StopTask"},  # a test's own boto3 call
    ]
    assert iam_policy.ansible_calls_not_allowed(records, policy) == (1, [])
    records.append({"service": "ecs", "operation": "ListTasks", "ansible": True})
    assert iam_policy.ansible_calls_not_allowed(records, policy) == (2, ["ecs:ListTasks"])


def test_a_log_without_ansible_calls_fails_the_check(tmp_path):
    log = tmp_path / "calls.jsonl"
    log.write_text(json.dumps({"service": "ecs", "operation": "StopTask"}) + "\n")
    with pytest.raises(AssertionError, match="no call"):
        iam_policy.assert_log_allowed(log)
    log.write_text(json.dumps({"service": "ecs", "operation": "DeleteAttributes", "ansible": True}) + "\n")
    with pytest.raises(AssertionError, match="ecs:DeleteAttributes"):
        iam_policy.assert_log_allowed(log)
