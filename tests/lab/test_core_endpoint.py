"""Conformance of the lab endpoint: routing, call log, AWS-shaped errors, faults."""

from __future__ import annotations

import json
import urllib.request

import pytest
from botocore.exceptions import ClientError
from botocore.retries.standard import ThrottledRetryableChecker

LOG_FIELDS = {"time", "service", "operation", "mutating", "status", "region", "ms"}


def new_calls(lab, before: int) -> list[dict]:
    return lab.calls()[before:]


def error_code(exc: ClientError) -> str:
    return exc.response["Error"]["Code"]


def test_health(lab) -> None:
    """The lab's own health endpoint (no AWS page): `lab up` waits for it."""
    with urllib.request.urlopen(f"{lab.url}/_lab/health", timeout=5) as response:
        health = json.loads(response.read())
    assert health["status"] == "ok"
    assert health["pid"] == lab.state()["processes"]["serve"]["pid"]
    assert "registry" in health["controllers"]


def test_every_call_is_logged_with_service_operation_region_and_status(lab) -> None:
    """https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html

    Service and region come from the SigV4 credential scope, the operation from X-Amz-Target or Action.
    """
    before = len(lab.calls())
    ecs = lab.client("ecs", region="eu-west-1")
    ecs.create_cluster(clusterName="log-test")
    ecs.describe_clusters(clusters=["log-test"])
    elb = lab.client("elbv2", region="eu-west-1", retries=0)
    with pytest.raises(ClientError):
        elb.describe_target_groups(Names=["no-such-tg"])
    calls = new_calls(lab, before)
    assert [(c["service"], c["operation"], c["mutating"], c["status"], c["region"]) for c in calls] == [
        ("ecs", "CreateCluster", True, 200, "eu-west-1"),
        ("ecs", "DescribeClusters", False, 200, "eu-west-1"),
        ("elasticloadbalancing", "DescribeTargetGroups", False, 400, "eu-west-1"),
    ]
    for call in calls:
        assert set(call) >= LOG_FIELDS
        assert call["ms"] >= 0


def test_any_credentials_land_in_one_account(lab) -> None:
    """https://docs.aws.amazon.com/IAM/latest/UserGuide/security-creds.html (the lab accepts any keys; one account)"""
    import boto3

    def ecs_with(key: str):
        return boto3.client("ecs", endpoint_url=lab.url, region_name="us-east-2", aws_access_key_id=key, aws_secret_access_key="x")

    ecs_with("AKIAFIRSTKEY").create_cluster(clusterName="shared")
    arns = ecs_with("111122223333").list_clusters()["clusterArns"]
    assert any(arn.endswith(":123456789012:cluster/shared") for arn in arns)


def test_json_protocol_errors(lab) -> None:
    """https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_UpdateService.html (Errors: ClusterNotFoundException)"""
    ecs = lab.client("ecs", retries=0)
    with pytest.raises(ClientError) as caught:
        ecs.update_service(cluster="no-such-cluster", service="s", desiredCount=1)
    assert error_code(caught.value) == "ClusterNotFoundException"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_query_protocol_errors(lab) -> None:
    """https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_DescribeTargetGroups.html (Errors: TargetGroupNotFound)"""
    elb = lab.client("elbv2", retries=0)
    with pytest.raises(ClientError) as caught:
        elb.describe_target_groups(Names=["missing"])
    assert error_code(caught.value) == "TargetGroupNotFound"


@pytest.fixture
def faults(lab):
    lab.clear_faults()
    yield lab
    lab.clear_faults()


def test_throttle_a_share_of_one_operation(faults) -> None:
    """https://docs.aws.amazon.com/AmazonECS/latest/APIReference/CommonErrors.html (ThrottlingException, 400)"""
    lab = faults
    ecs = lab.client("ecs", retries=0)
    ecs.create_cluster(clusterName="throttled")
    result = lab.cli("fault", "throttle", "--service", "ecs", "--operation", "DescribeServices", "--share", "0.2")
    assert result.returncode == 0, result.stderr
    before = len(lab.calls())
    throttled = 0
    for _ in range(100):
        try:
            ecs.describe_services(cluster="throttled", services=["none"])
        except ClientError as exc:
            assert error_code(exc) == "ThrottlingException"
            assert exc.response["ResponseMetadata"]["HTTPStatusCode"] == 400
            throttled += 1
    assert 15 <= throttled <= 25
    ecs.list_clusters()  # other operations are untouched
    logged = new_calls(lab, before)
    assert sum(1 for c in logged if c.get("fault") == "throttle") == throttled
    assert logged[-1]["operation"] == "ListClusters" and logged[-1]["status"] == 200


def test_botocore_sees_the_fault_as_throttling_and_retries(faults) -> None:
    """https://docs.aws.amazon.com/general/latest/gr/api-retries.html (throttling errors are retried with backoff)"""
    lab = faults
    assert lab.cli("fault", "throttle", "--service", "elasticloadbalancing", "--operation", "DescribeLoadBalancers", "--share", "1").returncode == 0
    elb = lab.client("elbv2", retries=2)
    with pytest.raises(ClientError) as caught:
        elb.describe_load_balancers()
    assert error_code(caught.value) == "Throttling"
    assert caught.value.response["ResponseMetadata"]["RetryAttempts"] == 2
    assert "Throttling" in ThrottledRetryableChecker._THROTTLED_ERROR_CODES
    assert lab.cli("fault", "throttle", "--service", "ecs", "--operation", "ListClusters", "--share", "1").returncode == 0
    with pytest.raises(ClientError) as caught:
        lab.client("ecs", retries=1).list_clusters()
    assert error_code(caught.value) in ThrottledRetryableChecker._THROTTLED_ERROR_CODES
    assert caught.value.response["ResponseMetadata"]["RetryAttempts"] == 1
    # EC2's own: RequestLimitExceeded with HTTP 503 (ec2-api-throttling.html)
    assert lab.cli("fault", "throttle", "--service", "ec2", "--operation", "DescribeSubnets", "--share", "1").returncode == 0
    with pytest.raises(ClientError) as caught:
        lab.client("ec2", retries=1).describe_subnets()
    response = caught.value.response
    assert (error_code(caught.value), response["Error"]["Message"], response["ResponseMetadata"]["HTTPStatusCode"]) == (
        "RequestLimitExceeded",
        "Request limit exceeded.",
        503,
    )
    assert "RequestLimitExceeded" in ThrottledRetryableChecker._THROTTLED_ERROR_CODES and response["ResponseMetadata"]["RetryAttempts"] == 1


def test_fail_a_share_with_a_server_error(faults) -> None:
    """https://docs.aws.amazon.com/AmazonECS/latest/APIReference/CommonErrors.html (InternalFailure, 500; ServiceUnavailable, 503)"""
    lab = faults
    assert lab.cli("fault", "fail", "--service", "ecs", "--operation", "ListServices", "--share", "1").returncode == 0
    ecs = lab.client("ecs", retries=0)
    with pytest.raises(ClientError) as caught:
        ecs.list_services()
    assert (error_code(caught.value), caught.value.response["ResponseMetadata"]["HTTPStatusCode"]) == ("InternalFailure", 500)
    assert lab.cli("fault", "fail", "--service", "elasticloadbalancing", "--share", "1", "--status", "503").returncode == 0
    with pytest.raises(ClientError) as caught:
        lab.client("elbv2", retries=0).describe_target_groups()
    assert (error_code(caught.value), caught.value.response["ResponseMetadata"]["HTTPStatusCode"]) == ("ServiceUnavailable", 503)


def test_latency_delays_a_service(faults) -> None:
    """https://docs.aws.amazon.com/general/latest/gr/api-retries.html (callers must tolerate slow answers)"""
    lab = faults
    assert lab.cli("fault", "latency", "--service", "ecr", "--ms", "150").returncode == 0
    before = len(lab.calls())
    lab.client("ecr").describe_repositories()
    lab.client("ecs").list_clusters()
    logged = {c["service"]: c["ms"] for c in new_calls(lab, before)}
    assert logged["ecr"] >= 150
    assert logged["ecs"] < 150


def test_unhealthy_and_kill_task_are_recorded_for_the_controllers(faults) -> None:
    """https://docs.aws.amazon.com/elasticloadbalancing/latest/application/target-group-health-checks.html (fault input for the ELB/ECS controllers)"""
    lab = faults
    assert lab.cli("fault", "unhealthy", "--target-group", "blue-tg").returncode == 0
    assert lab.cli("fault", "kill-task", "--cluster", "c", "--task", "arn:aws:ecs:us-east-1:123456789012:task/c/abc").returncode == 0
    with urllib.request.urlopen(f"{lab.url}/_lab/faults", timeout=5) as response:
        table = json.loads(response.read())
    assert table["unhealthy"] == ["blue-tg"]
    # kill-task is consumed by the ECS controller when one runs; until then it stays pending.
    if "ecs" not in ",".join(json.loads(urllib.request.urlopen(f"{lab.url}/_lab/health", timeout=5).read())["controllers"]):
        assert table["task_kills"] == [{"cluster": "c", "task": "arn:aws:ecs:us-east-1:123456789012:task/c/abc"}]
    assert lab.cli("fault", "unhealthy", "--target-group", "blue-tg", "--off").returncode == 0
    bad = lab.cli("fault", "throttle", "--service", "ecs", "--share", "7")
    assert bad.returncode == 1 and "share" in bad.stdout


def test_calls_and_status_commands(lab) -> None:
    """The lab's own CLI (no AWS page): `calls --json` summarises calls.jsonl, `status --json` lists what runs."""
    lab.client("ecs").list_clusters()
    summary = json.loads(lab.cli("calls", "--json").stdout)
    assert summary["total"] == len(lab.calls())
    assert summary["operations"]["ecs:ListClusters"]["count"] >= 1
    status = json.loads(lab.cli("status", "--json").stdout)
    assert status["up"] and status["endpoint"] == lab.url
    assert {"serve", "registry"} <= set(status["processes"])
    assert status["registry"]["host"] == lab.registry_host
