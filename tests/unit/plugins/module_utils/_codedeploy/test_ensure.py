"""The runners with recording fake clients: bad input fails before any call,
check mode and re-runs make no mutating call, changes make exactly the calls planned."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from botocore.exceptions import ClientError

from ansible_collections.cutover.ecs.plugins.module_utils._codedeploy.ensure import ensure_application, ensure_deployment_config, ensure_deployment_group
from ansible_collections.cutover.ecs.plugins.module_utils._errors import CutoverError, InvalidInput
from ansible_collections.cutover.ecs.plugins.module_utils._module import Context

CALLER = "arn:aws:iam::123456789012:user/deployer"
ROLE = "arn:aws:iam::123456789012:role/CodeDeployECS"
PROD = "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/shop/1/prod"
READS = ("get_", "list_", "batch_get_")


class FakeClient:
    """Answers from ``answers`` (operation -> value or exception) and records every call."""

    def __init__(self, calls: list, service: str, answers: dict) -> None:
        self._calls, self._service, self._answers = calls, service, answers
        self.meta = type("Meta", (), {"region_name": "us-east-1"})()

    def __getattr__(self, operation: str):
        def call(**params: Any) -> Any:
            self._calls.append((self._service, operation, params))
            answer = self._answers.get(operation, {})
            if isinstance(answer, Exception):
                raise answer
            return copy.deepcopy(answer)

        return call


def not_found(code: str) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": "not found"}}, "Get")


class Recorder:
    def __init__(self, answers: dict, check_mode: bool = False) -> None:
        self.calls: list = []
        self.warnings: list = []
        self.context = Context(
            client=lambda service: FakeClient(self.calls, service, answers.get(service, {})),
            check_mode=check_mode,
            diff_mode=True,
            warn=self.warnings.append,
        )

    @property
    def mutating(self) -> list[str]:
        return [operation for _service, operation, _params in self.calls if not operation.startswith(READS)]


STS = {"get_caller_identity": {"Arn": CALLER}}

# --- applications ---------------------------------------------------------------------

APP = {"applicationName": "shop", "applicationId": "id-1", "computePlatform": "ECS"}
APP_OPTIONS = dict(name="shop", state="present", compute_platform="ECS", tags={"team": "payments"}, purge_tags=True)


def app_answers(exists: bool = True, platform: str = "ECS") -> dict:
    codedeploy = {
        "get_application": {"application": {**APP, "computePlatform": platform}} if exists else not_found("ApplicationDoesNotExistException"),
        "list_tags_for_resource": {"Tags": [{"Key": "team", "Value": "payments"}]},
    }
    return {"codedeploy": codedeploy, "sts": STS}


@pytest.mark.parametrize("check_mode", [True, False])
def test_application_rerun_makes_no_mutating_call(check_mode):
    recorder = Recorder(app_answers(), check_mode)
    result = ensure_application(recorder.context, APP_OPTIONS)
    assert result["changed"] is False
    assert recorder.mutating == []
    assert result["application"]["tags"] == {"team": "payments"}


def test_application_check_mode_create_predicts_without_mutating():
    recorder = Recorder(app_answers(exists=False), check_mode=True)
    result = ensure_application(recorder.context, APP_OPTIONS)
    assert result["changed"] is True
    assert result["application"] == {"application_name": "shop", "compute_platform": "ECS", "tags": {"team": "payments"}}
    assert result["diff"]["before"] == {}
    assert recorder.mutating == []


def test_application_tag_change_tags_and_untags_by_arn():
    recorder = Recorder(app_answers())
    ensure_application(recorder.context, {**APP_OPTIONS, "tags": {"env": "prod"}})
    assert recorder.mutating == ["tag_resource", "untag_resource"]
    tag_call = next(params for _s, operation, params in recorder.calls if operation == "tag_resource")
    assert tag_call == {"ResourceArn": "arn:aws:codedeploy:us-east-1:123456789012:application:shop", "Tags": [{"Key": "env", "Value": "prod"}]}


def test_application_platform_change_fails_before_mutating():
    recorder = Recorder(app_answers(platform="Server"))
    with pytest.raises(InvalidInput, match="cannot change"):
        ensure_application(recorder.context, APP_OPTIONS)
    assert recorder.mutating == []


# --- deployment configs --------------------------------------------------------------------

CONFIG = {
    "deploymentConfigName": "shop-canary",
    "deploymentConfigId": "id-1",
    "computePlatform": "ECS",
    "trafficRoutingConfig": {"type": "TimeBasedCanary", "timeBasedCanary": {"canaryPercentage": 20, "canaryInterval": 10}},
}
CONFIG_OPTIONS = dict(name="shop-canary", state="present", traffic_routing={"type": "TimeBasedCanary", "percentage": 20, "interval": 10}, replace=False)


def config_answers(exists: bool = True) -> dict:
    return {
        "codedeploy": {
            "get_deployment_config": {"deploymentConfigInfo": CONFIG} if exists else not_found("DeploymentConfigDoesNotExistException"),
            "create_deployment_config": {"deploymentConfigId": "id-2"},
        }
    }


@pytest.mark.parametrize(
    "options",
    [
        {**CONFIG_OPTIONS, "traffic_routing": {"type": "TimeBasedCanary", "percentage": 0, "interval": 10}},
        {**CONFIG_OPTIONS, "name": "CodeDeployDefault.ECSAllAtOnce"},
        {**CONFIG_OPTIONS, "name": "CodeDeployDefault.ECSAllAtOnce", "state": "absent"},
    ],
)
def test_config_bad_input_makes_no_call_at_all(options):
    recorder = Recorder(config_answers())
    with pytest.raises(InvalidInput):
        ensure_deployment_config(recorder.context, options)
    assert recorder.calls == []


def test_config_rerun_makes_no_mutating_call():
    recorder = Recorder(config_answers())
    assert ensure_deployment_config(recorder.context, CONFIG_OPTIONS)["changed"] is False
    assert recorder.mutating == []


def test_config_change_is_an_error_by_default():
    recorder = Recorder(config_answers())
    with pytest.raises(InvalidInput, match="new name"):
        ensure_deployment_config(recorder.context, {**CONFIG_OPTIONS, "traffic_routing": {"type": "AllAtOnce", "percentage": None, "interval": None}})
    assert recorder.mutating == []


@pytest.mark.parametrize("check_mode, expected", [(True, []), (False, ["delete_deployment_config", "create_deployment_config"])])
def test_config_change_with_replace_deletes_and_creates(check_mode, expected):
    recorder = Recorder(config_answers(), check_mode)
    options = {**CONFIG_OPTIONS, "replace": True, "traffic_routing": {"type": "TimeBasedLinear", "percentage": 10, "interval": 1}}
    result = ensure_deployment_config(recorder.context, options)
    assert result["changed"] is True
    assert recorder.mutating == expected
    assert result["diff"]["after"]["trafficRoutingConfig"]["type"] == "TimeBasedLinear"


@pytest.mark.parametrize("exists, check_mode, expected", [(True, False, ["delete_deployment_config"]), (True, True, []), (False, False, [])])
def test_config_delete(exists, check_mode, expected):
    recorder = Recorder(config_answers(exists), check_mode)
    result = ensure_deployment_config(recorder.context, {**CONFIG_OPTIONS, "state": "absent"})
    assert result["changed"] is exists
    assert recorder.mutating == expected


# --- deployment groups ----------------------------------------------------------------------

GROUP = {
    "applicationName": "shop",
    "deploymentGroupId": "dg-1",
    "deploymentGroupName": "web",
    "deploymentConfigName": "CodeDeployDefault.ECSAllAtOnce",
    "serviceRoleArn": ROLE,
    "deploymentStyle": {"deploymentType": "BLUE_GREEN", "deploymentOption": "WITH_TRAFFIC_CONTROL"},
    "blueGreenDeploymentConfiguration": {
        "deploymentReadyOption": {"actionOnTimeout": "CONTINUE_DEPLOYMENT", "waitTimeInMinutes": 0},
        "terminateBlueInstancesOnDeploymentSuccess": {"action": "TERMINATE", "terminationWaitTimeInMinutes": 5},
    },
    # green first: a deployment has happened since the group was created
    "loadBalancerInfo": {
        "targetGroupPairInfoList": [{"targetGroups": [{"name": "web-green"}, {"name": "web-blue"}], "prodTrafficRoute": {"listenerArns": [PROD]}}]
    },
    "computePlatform": "ECS",
    "ecsServices": [{"serviceName": "web", "clusterName": "shop"}],
}
GROUP_OPTIONS = dict(
    application="shop",
    name="web",
    state="present",
    service_role="CodeDeployECS",
    cluster="shop",
    service="web",
    target_groups=["web-blue", "web-green"],
    prod_listener_arns=[PROD],
    test_listener_arns=None,
    deployment_config_name="CodeDeployDefault.ECSAllAtOnce",
    deployment_ready_option={"action_on_timeout": "CONTINUE_DEPLOYMENT", "wait_time_in_minutes": None},
    termination_wait_time_in_minutes=5,
    alarm_configuration=None,
    auto_rollback_configuration=None,
    tags=None,
    purge_tags=True,
)


def group_answers(exists: bool = True, role: Any = None) -> dict:
    return {
        "codedeploy": {
            "get_deployment_group": {"deploymentGroupInfo": GROUP} if exists else not_found("ApplicationDoesNotExistException"),
            "list_tags_for_resource": {"Tags": []},
        },
        "sts": STS,
        "iam": {"get_role": role if role is not None else {"Role": {"Arn": ROLE}}},
    }


def test_group_bad_input_makes_no_call_at_all():
    recorder = Recorder(group_answers())
    with pytest.raises(InvalidInput, match="exactly two"):
        ensure_deployment_group(recorder.context, {**GROUP_OPTIONS, "target_groups": ["web-blue"]})
    assert recorder.calls == []


@pytest.mark.parametrize("check_mode", [True, False])
def test_group_rerun_after_a_deployment_makes_no_mutating_call(check_mode):
    recorder = Recorder(group_answers(), check_mode)
    result = ensure_deployment_group(recorder.context, GROUP_OPTIONS)
    assert result["changed"] is False, result.get("diff")
    assert recorder.mutating == []
    assert result["deployment_group"]["service_role_arn"] == ROLE


def test_group_check_mode_create_predicts_without_mutating():
    recorder = Recorder(group_answers(exists=False), check_mode=True)
    result = ensure_deployment_group(recorder.context, GROUP_OPTIONS)
    assert result["changed"] is True
    assert result["deployment_group"]["deployment_style"] == {"deployment_type": "BLUE_GREEN", "deployment_option": "WITH_TRAFFIC_CONTROL"}
    assert recorder.mutating == []


def test_group_update_sends_one_update_call():
    recorder = Recorder(group_answers())
    ensure_deployment_group(recorder.context, {**GROUP_OPTIONS, "deployment_config_name": "CodeDeployDefault.ECSCanary10Percent5Minutes"})
    assert recorder.mutating == ["update_deployment_group"]
    params = next(params for _s, operation, params in recorder.calls if operation == "update_deployment_group")
    assert params == {"applicationName": "shop", "currentDeploymentGroupName": "web", "deploymentConfigName": "CodeDeployDefault.ECSCanary10Percent5Minutes"}


def test_group_missing_role_fails_with_what_to_change():
    recorder = Recorder(group_answers(role=ClientError({"Error": {"Code": "NoSuchEntity", "Message": "no"}}, "GetRole")))
    with pytest.raises(CutoverError, match="no IAM role has that name"):
        ensure_deployment_group(recorder.context, GROUP_OPTIONS)
    assert recorder.mutating == []


def test_group_missing_role_in_check_mode_is_predicted_with_a_warning():
    recorder = Recorder(group_answers(exists=False, role=ClientError({"Error": {"Code": "NoSuchEntity", "Message": "no"}}, "GetRole")), check_mode=True)
    result = ensure_deployment_group(recorder.context, GROUP_OPTIONS)
    assert result["deployment_group"]["service_role_arn"] == ROLE
    assert recorder.warnings and recorder.mutating == []
