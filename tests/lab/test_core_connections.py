"""Clients that reuse one connection (boto3, the AWS CLI) get every answer at once."""

from __future__ import annotations

import boto3
from botocore.config import Config


def test_sequential_calls_on_one_client_do_not_stall(lab):
    """https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html

    A client keeps its connection between calls. With a 5 s read timeout and no
    retries, a call the endpoint swallowed would fail instead of taking 60 s.
    """
    config = Config(read_timeout=5, connect_timeout=5, retries={"max_attempts": 1, "mode": "standard"})
    for service, call in (("ec2", "describe_vpcs"), ("ecs", "list_clusters"), ("elbv2", "describe_load_balancers")):
        client = boto3.client(
            service, endpoint_url=lab.url, region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing", config=config
        )
        for _ in range(3):
            getattr(client, call)()
