"""cutover.ecs.service_info against moto: a missing service, then an existing one, reads only."""

from __future__ import annotations

import boto3
from moto_counting_server import mutating_calls


def test_service_info(run_module, moto_server):
    result, calls = run_module("service_info", dict(cluster="info-cluster", name="web"))
    assert result["changed"] is False
    assert result["exists"] is False
    assert result["service"] == {}
    assert mutating_calls(calls) == []

    ecs = boto3.client("ecs", region_name="us-east-1", endpoint_url=moto_server.url, aws_access_key_id="testing", aws_secret_access_key="testing")
    ecs.create_cluster(clusterName="info-cluster")
    arn = ecs.register_task_definition(family="info", containerDefinitions=[{"name": "app", "image": "nginx", "memory": 128}])["taskDefinition"][
        "taskDefinitionArn"
    ]
    ecs.create_service(cluster="info-cluster", serviceName="web", taskDefinition=arn, desiredCount=1, tags=[{"key": "Team.Name", "value": "x"}])

    result, calls = run_module("service_info", dict(cluster="info-cluster", name="web"), check=True)
    assert result["exists"] is True
    assert result["service"]["service_name"] == "web"
    assert result["service"]["task_definition"] == arn
    assert result["service"]["tags"] == {"Team.Name": "x"}
    assert mutating_calls(calls) == []
