"""The strategy drivers with recording fake clients: what each idempotency decision calls,
and that bad input and conflicts fail before any mutating call."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from ansible_collections.cutover.ecs.plugins.module_utils._deploy import plan
from ansible_collections.cutover.ecs.plugins.module_utils._deploy.ensure import describe_deployment, ensure_deployment
from ansible_collections.cutover.ecs.plugins.module_utils._errors import CutoverError, InvalidInput
from ansible_collections.cutover.ecs.plugins.module_utils._module import Context

ARN = "arn:aws:ecs:us-east-1:123456789012:task-definition/web:{}"
V1, V2, V3 = ARN.format(1), ARN.format(2), ARN.format(3)
READS = ("get_", "list_", "batch_get_", "describe_")


class FakeClient:
    """Answers per operation: a value, an exception, or a callable of the params (for
    answers that change over calls). Records every call; paginators yield one page."""

    def __init__(self, calls: list, answers: dict) -> None:
        self._calls, self._answers = calls, answers
        self.meta = type("Meta", (), {"region_name": "us-east-1"})()

    def _answer(self, operation: str, params: dict) -> Any:
        self._calls.append((operation, params))
        answer = self._answers.get(operation, {})
        if callable(answer):
            answer = answer(params)
        if isinstance(answer, Exception):
            raise answer
        return copy.deepcopy(answer)

    def get_paginator(self, operation: str) -> Any:
        client = self

        class Paginator:
            def paginate(self, **params: Any) -> list:
                return [client._answer(operation, params)]

        return Paginator()

    def __getattr__(self, operation: str) -> Callable[..., Any]:
        return lambda **params: self._answer(operation, params)


class Recorder:
    def __init__(self, answers: dict, check_mode: bool = False) -> None:
        self.calls: list = []
        self.context = Context(client=lambda service: FakeClient(self.calls, answers.get(service, {})), check_mode=check_mode, diff_mode=True)

    @property
    def operations(self) -> list[str]:
        return [operation for operation, _params in self.calls]

    @property
    def mutating(self) -> list[str]:
        return [operation for operation in self.operations if not operation.startswith(READS)]


def error(code: str) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": code}}, "Call")


TASK_DEFINITIONS = {
    ref: {
        "taskDefinitionArn": ARN.format(n),
        "family": "web",
        "revision": n,
        "status": "ACTIVE",
        "containerDefinitions": [{"name": "app", "portMappings": [{"containerPort": 8080}]}],
    }
    for n in (1, 2, 3)
    for ref in (ARN.format(n), f"web:{n}")
}


def describe_task_definition(params: dict) -> Any:
    found = TASK_DEFINITIONS.get(params["taskDefinition"])
    return {"taskDefinition": found, "tags": []} if found else error("ClientException")


def codedeploy_service(*task_sets: tuple[str, str]) -> dict:
    return {
        "serviceName": "web",
        "status": "ACTIVE",
        "deploymentController": {"type": "CODE_DEPLOY"},
        "taskDefinition": V1,
        "loadBalancers": [{"targetGroupArn": "arn:tg/blue", "containerName": "app", "containerPort": 8080}],
        "taskSets": [{"status": status, "taskDefinition": td} for status, td in task_sets],
    }


GROUP = {
    "applicationName": "web",
    "deploymentGroupName": "web",
    "deploymentConfigName": "CodeDeployDefault.ECSAllAtOnce",
    "ecsServices": [{"serviceName": "web", "clusterName": "shop"}],
    "blueGreenDeploymentConfiguration": {"deploymentReadyOption": {"actionOnTimeout": "STOP_DEPLOYMENT", "waitTimeInMinutes": 60}},
}


def revision(task_definition: str) -> dict:
    return {"revisionType": "AppSpecContent", "appSpecContent": {"content": plan.appspec_content(plan.build_appspec(task_definition, "app", 8080))}}


def deployment(deployment_id: str, status: str, task_definition: str) -> dict:
    return {"deploymentId": deployment_id, "status": status, "revision": revision(task_definition)}


def ecs_target(green_weight: float) -> dict:
    return {
        "deploymentTarget": {
            "ecsTarget": {
                "lifecycleEvents": [{"lifecycleEventName": "Install", "status": "Succeeded"}],
                "taskSetsInfo": [
                    {"taskSetLabel": "Blue", "trafficWeight": 100.0 - green_weight, "runningCount": 1, "targetGroup": {"name": "web-blue"}},
                    {"taskSetLabel": "Green", "trafficWeight": green_weight, "runningCount": 1, "targetGroup": {"name": "web-green"}},
                ],
            }
        }
    }


def target_health_by_arn(health: dict) -> Any:
    """DescribeTargetHealth answering ``health[TargetGroupArn]`` (a list of TargetHealthDescriptions)."""
    return lambda params: {"TargetHealthDescriptions": health[params["TargetGroupArn"]]}


def codedeploy_answers(service: dict, active: list, deployments: dict | None = None, group: dict = GROUP) -> dict:
    deployments = dict(deployments or {})
    for item in active:
        deployments.setdefault(item["deploymentId"], item)

    def get_deployment(params: dict) -> Any:
        found = deployments.get(params["deploymentId"])
        return {"deploymentInfo": found} if found else error("DeploymentDoesNotExistException")

    healthy = {"arn:tg/blue": ["healthy"], "arn:tg/green": ["healthy", "healthy", "draining"]}
    return {
        "elbv2": {
            "describe_target_groups": {"TargetGroups": [{"TargetGroupName": f"web-{c}", "TargetGroupArn": f"arn:tg/{c}"} for c in ("blue", "green")]},
            "describe_target_health": lambda params: {
                "TargetHealthDescriptions": [{"TargetHealth": {"State": s}} for s in healthy.get(params["TargetGroupArn"], [])]
            },
        },
        "ecs": {"describe_services": {"services": [service]}, "describe_task_definition": describe_task_definition},
        "codedeploy": {
            "get_deployment_group": {"deploymentGroupInfo": group},
            "list_deployments": {"deployments": [d["deploymentId"] for d in active]},
            "get_deployment": get_deployment,
            "get_deployment_target": ecs_target(100.0),
            "create_deployment": {"deploymentId": "d-new"},
            "create_deployment_config": {"deploymentConfigId": "c-1"},
            "get_deployment_config": error("DeploymentConfigDoesNotExistException"),
        },
    }


def options(**extra: Any) -> dict:
    base = {
        "cluster": "shop",
        "service": "web",
        "task_definition": "web:2",
        "strategy": "auto",
        "action": "deploy",
        "on_conflict": "fail",
        "verify": False,
        "rollback_on_alarms": [],
        "wait": True,
        "wait_timeout": 5,
        "poll_interval": 0.01,
    }
    base.update(extra)
    return base


def test_already_serving_reads_only() -> None:
    recorder = Recorder(codedeploy_answers(codedeploy_service(("PRIMARY", V2)), []))
    result = ensure_deployment(recorder.context, options())
    assert (result["changed"], result["status"]) == (False, "succeeded")
    assert recorder.mutating == []


def test_in_progress_to_the_same_one_attaches() -> None:
    answers = codedeploy_answers(codedeploy_service(("PRIMARY", V1), ("ACTIVE", V2)), [deployment("d-1", "InProgress", V2)])
    polls = {"n": 0}

    def get_deployment(params: dict) -> dict:
        polls["n"] += 1
        return {"deploymentInfo": deployment(params["deploymentId"], "InProgress" if polls["n"] < 3 else "Succeeded", V2)}

    answers["codedeploy"]["get_deployment"] = get_deployment
    recorder = Recorder(answers)
    result = ensure_deployment(recorder.context, options())
    assert (result["status"], result["deployment_id"], result["changed"]) == ("succeeded", "d-1", False)
    assert recorder.mutating == []


def test_in_progress_to_another_fails_before_any_change() -> None:
    recorder = Recorder(codedeploy_answers(codedeploy_service(("PRIMARY", V1), ("ACTIVE", V3)), [deployment("d-9", "InProgress", V3)]))
    with pytest.raises(CutoverError, match="Another deployment is in progress: deployment d-9 to web:3"):
        ensure_deployment(recorder.context, options())
    assert recorder.mutating == []


def test_on_conflict_stop_stops_then_deploys() -> None:
    state = {"stopped": False}
    answers = codedeploy_answers(codedeploy_service(("PRIMARY", V1), ("ACTIVE", V3)), [deployment("d-9", "InProgress", V3)])

    def stop(params: dict) -> dict:
        state["stopped"] = True
        return {"status": "Succeeded"}

    def get_deployment(params: dict) -> dict:
        if params["deploymentId"] == "d-9":
            return {"deploymentInfo": deployment("d-9", "Stopped" if state["stopped"] else "InProgress", V3)}
        return {"deploymentInfo": deployment(params["deploymentId"], "Succeeded", V2)}

    answers["codedeploy"].update(
        stop_deployment=stop,
        get_deployment=get_deployment,
        list_deployments=lambda params: {"deployments": [] if state["stopped"] else ["d-9"]},
    )
    answers["ecs"]["describe_services"] = lambda params: {
        "services": [codedeploy_service(("PRIMARY", V1)) if state["stopped"] else codedeploy_service(("PRIMARY", V1), ("ACTIVE", V3))]
    }
    recorder = Recorder(answers)
    result = ensure_deployment(recorder.context, options(on_conflict="stop"))
    assert (result["status"], result["deployment_id"], result["changed"]) == ("succeeded", "d-new", True)
    assert recorder.mutating == ["stop_deployment", "create_deployment"]
    assert [params for operation, params in recorder.calls if operation == "stop_deployment"] == [{"deploymentId": "d-9", "autoRollbackEnabled": True}]


def test_check_mode_makes_no_mutating_call() -> None:
    recorder = Recorder(codedeploy_answers(codedeploy_service(("PRIMARY", V1)), []), check_mode=True)
    result = ensure_deployment(recorder.context, options(traffic={"type": "canary", "percent": 20, "interval_minutes": 5}))
    assert (result["changed"], result["status"], result["plan"]["action"]) == (True, "planned", "start")
    assert result["plan"]["deployment_config"] == "cutover-ecs.Canary20PercentEvery5Minutes"
    assert recorder.mutating == []


def test_start_creates_the_custom_config_then_continues_at_ready() -> None:
    polls = {"n": 0}

    def get_deployment(params: dict) -> dict:
        polls["n"] += 1
        status = "Ready" if polls["n"] == 1 else "Succeeded"
        return {"deploymentInfo": deployment("d-new", status, V2)}

    answers = codedeploy_answers(codedeploy_service(("PRIMARY", V1)), [])
    answers["codedeploy"].update(get_deployment=get_deployment, get_deployment_config=error("DeploymentConfigDoesNotExistException"))
    recorder = Recorder(answers)
    result = ensure_deployment(recorder.context, options(traffic={"type": "linear", "percent": 25, "interval_minutes": 2}, rollback_on_alarms=["5xx"]))
    assert (result["status"], result["previous_task_definition"], result["task_definition"]) == ("succeeded", V1, V2)
    assert recorder.mutating == ["create_deployment_config", "create_deployment", "continue_deployment"]
    request = next(params for operation, params in recorder.calls if operation == "create_deployment")
    assert request["deploymentConfigName"] == "cutover-ecs.Linear25PercentEvery2Minutes"
    assert request["overrideAlarmConfiguration"]["alarms"] == [{"name": "5xx"}]
    assert json.loads(request["revision"]["appSpecContent"]["content"])["Resources"][0]["TargetService"]["Properties"]["TaskDefinition"] == V2
    assert len(result["progress"]) == 2
    # healthy targets while it runs (target group ARNs looked up once), none read once it ended
    assert result["progress"][0].endswith("Ready (waiting for verification): traffic blue 0% / green 100%, healthy blue 1 / green 2")
    assert recorder.operations.count("describe_target_groups") == 1


def test_a_rolled_back_deployment_fails_the_task_with_the_report() -> None:
    deployments = {
        "d-new": dict(deployment("d-new", "Failed", V2), errorInformation={"message": "tasks failed to start"}, rollbackInfo={"rollbackDeploymentId": "d-rb"}),
        "d-rb": deployment("d-rb", "Succeeded", V1),
    }
    answers = codedeploy_answers(codedeploy_service(("PRIMARY", V1)), [], deployments)
    recorder = Recorder(answers)
    with pytest.raises(CutoverError) as caught:
        ensure_deployment(recorder.context, options())
    assert "rolled back: tasks failed to start" in caught.value.message
    assert (caught.value.details["status"], caught.value.details["rolled_back"]) == ("rolled_back", True)
    assert caught.value.details["weights"] == {"blue": 100.0, "green": 0.0}


@pytest.mark.parametrize(
    "extra, group, message",
    [
        ({"verify": True}, dict(GROUP, blueGreenDeploymentConfiguration={}), "STOP_DEPLOYMENT"),
        ({"task_definition": "web:9"}, GROUP, "does not exist"),
        ({"container_name": "db"}, GROUP, "container_name db"),
        ({"strategy": "rolling"}, GROUP, "strategy=rolling"),
        ({"deployment_group": "other", "application": "web"}, dict(GROUP, ecsServices=[{"serviceName": "api", "clusterName": "shop"}]), "not shop/web"),
    ],
)
def test_bad_input_fails_before_any_mutating_call(extra: dict, group: dict, message: str) -> None:
    recorder = Recorder(codedeploy_answers(codedeploy_service(("PRIMARY", V1)), [], group=group))
    with pytest.raises(InvalidInput, match=message):
        ensure_deployment(recorder.context, options(**extra))
    assert recorder.mutating == []


def test_continue_and_rollback_with_nothing_in_progress_change_nothing() -> None:
    answers = codedeploy_answers(codedeploy_service(("PRIMARY", V2)), [])
    answers["codedeploy"]["list_deployments"] = lambda params: {"deployments": [] if params.get("includeOnlyStatuses") else ["d-1"]}
    answers["codedeploy"]["get_deployment"] = {"deploymentInfo": deployment("d-1", "Succeeded", V2)}
    for action in ("continue", "rollback"):
        recorder = Recorder(answers)
        result = ensure_deployment(recorder.context, options(action=action, task_definition=None))
        assert (result["changed"], result["status"], result["deployment_id"]) == (False, "succeeded", "d-1")
        assert recorder.mutating == []


def rolling_service(*deployments: tuple[str, str, str, str], **extra: Any) -> dict:
    return {
        "serviceName": "web",
        "status": "ACTIVE",
        "deploymentController": {"type": "ECS"},
        "taskDefinition": V1,
        "loadBalancers": [],
        "deployments": [{"id": i, "status": s, "taskDefinition": td, "rolloutState": r, "runningCount": 1} for i, s, td, r in deployments],
        **extra,
    }


def test_rolling_update_waits_for_completed() -> None:
    polls = {"n": 0}

    def describe(params: dict) -> dict:
        polls["n"] += 1
        if polls["n"] == 1:
            return {"services": [rolling_service(("ecs-1", "PRIMARY", V1, "COMPLETED"))]}
        state = "IN_PROGRESS" if polls["n"] == 2 else "COMPLETED"
        return {"services": [rolling_service(("ecs-2", "PRIMARY", V2, state))]}

    answers = {
        "ecs": {
            "describe_services": describe,
            "describe_task_definition": describe_task_definition,
            "update_service": {"service": rolling_service(("ecs-2", "PRIMARY", V2, "IN_PROGRESS"), ("ecs-1", "ACTIVE", V1, "COMPLETED"))},
        }
    }
    recorder = Recorder(answers)
    result = ensure_deployment(recorder.context, options(rollback_on_alarms=["5xx"]))
    assert (result["status"], result["deployment_id"], result["previous_task_definition"]) == ("succeeded", "ecs-2", V1)
    assert recorder.mutating == ["update_service"]
    request = next(params for operation, params in recorder.calls if operation == "update_service")
    assert request["deploymentConfiguration"]["alarms"] == {"alarmNames": ["5xx"], "enable": True, "rollback": True}


def test_rolling_rollback_reports_why_the_tasks_stopped() -> None:
    # the circuit breaker's rollback is a new PRIMARY deployment of the old task definition
    failed = rolling_service(("ecs-3", "PRIMARY", V1, "IN_PROGRESS"), ("ecs-2", "ACTIVE", V2, "FAILED"))
    failed["deployments"][1]["rolloutStateReason"] = "ECS deployment circuit breaker: tasks failed to start."
    polls = [
        rolling_service(("ecs-1", "PRIMARY", V1, "COMPLETED")),
        failed,
        rolling_service(("ecs-3", "PRIMARY", V1, "COMPLETED")),
    ]
    stopped = [
        # newer, but of the old task definition: not what failed
        {
            "taskArn": "arn:aws:ecs:us-east-1:123456789012:task/shop/1a",
            "stoppedReason": "Scaling activity initiated by (deployment ecs-1)",
            "stoppedAt": 9,
            "taskDefinitionArn": V1,
            "containers": [{"name": "web", "exitCode": 0}],
        },
        {
            "taskArn": "arn:aws:ecs:us-east-1:123456789012:task/shop/2b",
            "stoppedReason": "Task failed ELB health checks in (target-group web-blue)",
            "stoppedAt": 5,
            "taskDefinitionArn": V2,
            "containers": [{"name": "web"}],
        },
    ]
    answers = {
        "ecs": {
            "describe_services": lambda params: {"services": [polls.pop(0) if len(polls) > 1 else polls[0]]},
            "describe_task_definition": describe_task_definition,
            "update_service": {"service": rolling_service(("ecs-2", "PRIMARY", V2, "IN_PROGRESS"), ("ecs-1", "ACTIVE", V1, "COMPLETED"))},
            "list_tasks": {"taskArns": [task["taskArn"] for task in stopped]},
            "describe_tasks": {"tasks": stopped},
        }
    }
    recorder = Recorder(answers)
    with pytest.raises(CutoverError) as raised:
        ensure_deployment(recorder.context, options())
    result = raised.value.details
    assert (result["status"], result["rolled_back"]) == ("rolled_back", True)
    # the green watch's sentence, as CodeDeploy and ECS-native give it, with what ECS's circuit breaker said
    assert result["rollback_reason"] == (
        "green cannot become healthy: 1 of its tasks stopped: task 2b: Task failed ELB health checks in (target-group web-blue) "
        "(ECS deployment circuit breaker: tasks failed to start.)"
    )
    assert "Task failed ELB health checks" in str(raised.value)
    listed = next(params for operation, params in recorder.calls if operation == "list_tasks")
    assert listed == {"cluster": "shop", "serviceName": "web", "desiredStatus": "STOPPED"}
    assert recorder.mutating == ["update_service"]


def test_deployment_info_rolling_reads_only() -> None:
    recorder = Recorder(
        {"ecs": {"describe_services": {"services": [rolling_service(("ecs-2", "PRIMARY", V2, "IN_PROGRESS"), ("ecs-1", "ACTIVE", V1, "COMPLETED"))]}}}
    )
    result = describe_deployment(recorder.context, {"cluster": "shop", "service": "web", "strategy": "auto"})
    assert (result["status"], result["task_definition"], result["previous_task_definition"], result["changed"]) == ("in_progress", V2, V1, False)
    assert recorder.mutating == []
