"""Request parsing and error rendering, checked with botocore's own parsers (no server)."""

from __future__ import annotations

import io
import json

import pytest
from botocore.model import ServiceModel
from botocore.parsers import create_parser
from botocore.session import get_session

from lab.wire import aws_error, is_mutating, operation_of, parse_request, protocol_of, service_and_region

SCOPE = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20250101/{region}/{service}/aws4_request, SignedHeaders=host, Signature=abc"


def environ(service: str, region: str = "eu-west-1", target: str = "", body: bytes = b"", query: str = "", content_type: str = "") -> dict:
    env = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/",
        "QUERY_STRING": query,
        "HTTP_AUTHORIZATION": SCOPE.format(region=region, service=service),
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
    }
    if target:
        env["HTTP_X_AMZ_TARGET"] = target
    if content_type:
        env["CONTENT_TYPE"] = content_type
    return env


@pytest.mark.parametrize(
    ("operation", "mutating"),
    [
        ("DescribeServices", False),
        ("ListTasks", False),
        ("GetAuthorizationToken", False),
        ("BatchGetImage", False),
        ("CreateService", True),
        ("UpdateService", True),
        ("BatchDeleteImage", True),
        ("RegisterTargets", True),
        ("Describe", False),
    ],
)
def test_mutating_is_everything_but_describe_list_get_batchget(operation: str, mutating: bool) -> None:
    assert is_mutating(operation) is mutating


@pytest.mark.parametrize(
    ("authorization", "target", "expected"),
    [
        (SCOPE.format(region="eu-west-1", service="ecs"), "", ("ecs", "eu-west-1")),
        (SCOPE.format(region="us-east-2", service="elasticloadbalancing"), "", ("elasticloadbalancing", "us-east-2")),
        ("", "AmazonEC2ContainerRegistry_V20150921.ListImages", ("ecr", "us-east-1")),
        ("", "Nope.X", ("unknown", "us-east-1")),
    ],
)
def test_service_and_region_come_from_the_credential_scope(authorization: str, target: str, expected: tuple[str, str]) -> None:
    assert service_and_region(authorization, target) == expected


@pytest.mark.parametrize(
    ("target", "query", "form", "path", "expected"),
    [
        ("AmazonEC2ContainerServiceV20141113.ListTasks", {}, {}, "/", "ListTasks"),
        ("", {"Action": "DescribeLoadBalancers"}, {}, "/", "DescribeLoadBalancers"),
        ("", {}, {"Action": "RegisterTargets"}, "/", "RegisterTargets"),
        ("", {}, {}, "/service/GraniteServiceVersion20100801/operation/DescribeAlarms", "DescribeAlarms"),
        ("", {}, {}, "/v2/x", "GET /v2/x"),
    ],
)
def test_operation_from_target_action_or_path(target: str, query: dict, form: dict, path: str, expected: str) -> None:
    assert operation_of(target, query, form, "GET", path) == expected


@pytest.mark.parametrize(
    ("service", "target", "has_action", "expected"),
    [("ecs", "X.Y", False, "json"), ("elasticloadbalancing", "", True, "query"), ("ec2", "", True, "ec2"), ("s3", "", False, "rest")],
)
def test_protocol(service: str, target: str, has_action: bool, expected: str) -> None:
    assert protocol_of(service, target, has_action) == expected


def test_parse_json_request() -> None:
    body = json.dumps({"cluster": "c1", "services": ["s"]}).encode()
    req = parse_request(
        environ("ecs", target="AmazonEC2ContainerServiceV20141113.DescribeServices", body=body, content_type="application/x-amz-json-1.1"), body, "123456789012"
    )
    assert (req.service, req.operation, req.region, req.protocol, req.mutating) == ("ecs", "DescribeServices", "eu-west-1", "json", False)
    assert req.params == {"cluster": "c1", "services": ["s"]}


def test_parse_query_request_from_form_body() -> None:
    body = b"Action=DescribeTargetGroups&Version=2015-12-01&Names.member.1=tg"
    req = parse_request(environ("elasticloadbalancing", body=body, content_type="application/x-www-form-urlencoded; charset=utf-8"), body, "123456789012")
    assert (req.operation, req.protocol) == ("DescribeTargetGroups", "query")
    assert req.params["Names.member.1"] == "tg"


def _parsed_error(service: str, protocol: str, code: str, status: int) -> dict:
    req = parse_request(environ(service), b"", "123456789012")
    req.protocol = protocol
    response = aws_error(req, code, "it broke", status)
    model = ServiceModel(get_session().get_service_data({"elasticloadbalancing": "elbv2"}.get(service, service)))
    parser = create_parser(protocol)
    headers = dict(response.headers)
    parsed = parser.parse(
        {"status_code": status, "headers": headers, "body": response.get_data()}, model.operation_model(model.operation_names[0]).output_shape
    )
    return parsed["Error"]


@pytest.mark.parametrize(
    ("service", "protocol", "code", "status"),
    [
        ("ecs", "json", "ClusterNotFoundException", 400),
        ("ecr", "json", "ThrottlingException", 400),
        ("elasticloadbalancing", "query", "Throttling", 400),
        ("iam", "query", "NoSuchEntity", 404),
        ("ec2", "ec2", "RequestLimitExceeded", 503),
        ("ecs", "json", "InternalFailure", 500),
    ],
)
def test_errors_parse_as_botocore_reads_them(service: str, protocol: str, code: str, status: int) -> None:
    """https://docs.aws.amazon.com/general/latest/gr/api-retries.html (error shapes of the JSON, query and EC2 protocols)"""
    error = _parsed_error(service, protocol, code, status)
    assert error["Code"] == code
    assert error["Message"] == "it broke"
