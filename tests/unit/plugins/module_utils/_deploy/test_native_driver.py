"""The ecs strategy's driver with recording fake clients: what each decision calls, that a
PAUSE hook is continued or returned at, what on_conflict does, and that bad input and
conflicts fail before any mutating call. The lab runs the real thing in
tests/integration/modules/test_deploy_native.py."""

from __future__ import annotations

from typing import Any

import pytest
from test_drivers import V1, V2, V3, Recorder, describe_task_definition, error, options, target_health_by_arn

from ansible_collections.cutover.ecs.plugins.module_utils._deploy.ensure import describe_deployment, ensure_deployment
from ansible_collections.cutover.ecs.plugins.module_utils._errors import CutoverError, InvalidInput

BLUE, GREEN = "arn:tg/blue", "arn:tg/green"
PROD_RULE = "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener-rule/app/shop/1/2/3"
TEST_RULE = "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener-rule/app/shop/1/4/5"
OURS, OTHER = "arn:sd/ours", "arn:sd/other"
REVISIONS = {"arn:rev/1": V1, "arn:rev/2": V2, "arn:rev/3": V3}
PAUSE_AT_VERIFY = {"targetType": "PAUSE", "lifecycleStages": ["POST_TEST_TRAFFIC_SHIFT"]}


def native_service(serving: str = V1, hooks: tuple = (PAUSE_AT_VERIFY,)) -> dict:
    return {
        "serviceName": "web",
        "status": "ACTIVE",
        "deploymentController": {"type": "ECS"},
        "deploymentConfiguration": {"strategy": "BLUE_GREEN", "bakeTimeInMinutes": 0, "lifecycleHooks": list(hooks)},
        "taskDefinition": serving,
        "deployments": [{"id": "ecs-svc/1", "status": "PRIMARY", "taskDefinition": serving, "rolloutState": "COMPLETED"}],
        "loadBalancers": [
            {
                "targetGroupArn": BLUE,
                "containerName": "app",
                "containerPort": 8080,
                "advancedConfiguration": {"alternateTargetGroupArn": GREEN, "productionListenerRule": PROD_RULE, "testListenerRule": TEST_RULE},
            }
        ],
    }


def state(arn: str, status: str, stage: str = "SCALE_UP", target: str = "arn:rev/2", hook: str | None = None, **extra: Any) -> dict:
    hooks = [{"hookId": hook, "targetType": "PAUSE", "status": "AWAITING_ACTION"}] if hook else []
    return {
        "serviceDeploymentArn": arn,
        "status": status,
        "lifecycleStage": stage,
        "sourceServiceRevisions": [{"arn": "arn:rev/1", "runningTaskCount": 1}],
        "targetServiceRevision": {"arn": target, "runningTaskCount": 1},
        "lifecycleHookDetails": hooks,
        **extra,
    }


class Deployments:
    """Service deployments whose describes walk through a list of states, one per poll
    (the last one repeats); ``start`` is what UpdateService creates."""

    def __init__(self, walks: dict, start: list | None = None) -> None:
        self.walks = {arn: list(states) for arn, states in walks.items()}
        self.start = start
        self.last: dict = {}

    def current(self, arn: str) -> dict:
        walk = self.walks[arn]
        self.last = walk[0] if len(walk) == 1 else walk.pop(0)
        return self.last

    def test_on_green(self) -> bool:
        """The deployment described last has moved the test listener rule to green (and not rolled back)."""
        return self.last.get("status") in ("PENDING", "IN_PROGRESS") and self.last.get("lifecycleStage") in TEST_ON_GREEN

    def peek(self, arn: str) -> dict:
        return self.walks[arn][0]

    def update_service(self, params: dict) -> dict:
        if self.start is not None:
            self.walks[OURS] = list(self.start)
        return {"service": {}}

    def list(self, params: dict) -> dict:
        wanted = set(params.get("status") or [])
        briefs = [
            {"serviceDeploymentArn": arn, "status": self.peek(arn)["status"], "targetServiceRevisionArn": self.peek(arn)["targetServiceRevision"]["arn"]}
            for arn in self.walks
        ]
        return {"serviceDeployments": [b for b in briefs if not wanted or b["status"] in wanted]}

    def describe(self, params: dict) -> dict:
        return {"serviceDeployments": [self.current(arn) for arn in params["serviceDeploymentArns"] if arn in self.walks]}

    def stop(self, params: dict) -> dict:
        arn = params["serviceDeploymentArn"]
        self.walks[arn] = [state(arn, "ROLLBACK_IN_PROGRESS", target=self.peek(arn)["targetServiceRevision"]["arn"])] + [
            state(arn, "ROLLBACK_SUCCESSFUL", target=self.peek(arn)["targetServiceRevision"]["arn"], statusReason="rolled back by the user")
        ]
        return {"serviceDeploymentArn": arn}


TEST_ON_GREEN = ("POST_TEST_TRAFFIC_SHIFT", "PRODUCTION_TRAFFIC_SHIFT", "POST_PRODUCTION_TRAFFIC_SHIFT", "BAKE_TIME", "CLEAN_UP")


def forward(weights: dict) -> dict:
    return {"Type": "forward", "ForwardConfig": {"TargetGroups": [{"TargetGroupArn": arn, "Weight": weight} for arn, weight in weights.items()]}}


def rules(production: dict, test_on_green: Any, blue: str = BLUE, green: str = GREEN) -> Any:
    """DescribeRules as ECS leaves the service's rules: production at ``production`` ({target group: weight}), the test
    rule on green once ``test_on_green()``, else on blue; without RuleArns, the production rule."""

    def describe(params: dict) -> dict:
        found = []
        for arn in params.get("RuleArns") or [PROD_RULE]:
            on_green = arn == TEST_RULE and test_on_green()
            weights = {blue: 0, green: 100} if on_green else (production if arn == PROD_RULE else {blue: 100, green: 0})
            found.append({"RuleArn": arn, "Priority": "6" if arn == PROD_RULE else "7", "IsDefault": False, "Actions": [forward(weights)]})
        return {"Rules": found}

    return describe


def answers(service: dict, deployments: Deployments, production: dict | None = None) -> dict:
    weights = production or {BLUE: 100, GREEN: 0}
    return {
        "ecs": {
            "describe_services": {"services": [service]},
            "describe_task_definition": describe_task_definition,
            "list_service_deployments": deployments.list,
            "describe_service_deployments": deployments.describe,
            "describe_service_revisions": lambda params: {
                "serviceRevisions": [{"serviceRevisionArn": arn, "taskDefinition": REVISIONS[arn]} for arn in params["serviceRevisionArns"]]
            },
            "update_service": deployments.update_service,
            "continue_service_deployment": lambda params: {"serviceDeploymentArn": params["serviceDeploymentArn"]},
            "stop_service_deployment": deployments.stop,
        },
        "elbv2": {
            "describe_rules": rules(weights, deployments.test_on_green),
            "describe_target_health": {"TargetHealthDescriptions": [{"TargetHealth": {"State": "healthy"}}]},
        },
    }


WALK_THROUGH_THE_HOOK = [
    state(OURS, "PENDING", stage=None),
    state(OURS, "IN_PROGRESS", "SCALE_UP"),
    state(OURS, "IN_PROGRESS", "POST_TEST_TRAFFIC_SHIFT", hook="h1"),
    state(OURS, "IN_PROGRESS", "PRODUCTION_TRAFFIC_SHIFT"),
    state(OURS, "SUCCESSFUL", "CLEAN_UP"),
]


def test_already_serving_with_all_production_reads_only() -> None:
    recorder = Recorder(answers(native_service(serving=V2), Deployments({})))
    result = ensure_deployment(recorder.context, options())
    assert (result["changed"], result["status"], result["strategy"]) == (False, "succeeded", "ecs")
    assert recorder.mutating == []


def test_serving_but_production_moved_by_hand_is_refused_before_any_change() -> None:
    """No deployment runs, yet the production rule sends half to green: someone changed it (issue 29's pre-shift check)."""
    recorder = Recorder(answers(native_service(serving=V2), Deployments({}, start=WALK_THROUGH_THE_HOOK), production={BLUE: 50, GREEN: 50}))
    with pytest.raises(CutoverError) as raised:
        ensure_deployment(recorder.context, options())
    assert recorder.mutating == []
    fields = {(f["role"], f["priority"], f["field"], f["expected"], f["found"]) for f in raised.value.details["listener_drift"]}
    assert fields == {
        ("production", "6", "Actions[0].ForwardConfig.TargetGroups[arn:tg/blue].Weight", "100 %", "50 (50 %)"),
        ("production", "6", "Actions[0].ForwardConfig.TargetGroups[arn:tg/green].Weight", "0 %", "50 (50 %)"),
    }
    assert "rule 6: Actions[0].ForwardConfig.TargetGroups[arn:tg/green].Weight: expected 0 %, found 50 (50 %)" in raised.value.message
    assert "on_listener_drift=proceed" in raised.value.message and "Nothing was changed" in raised.value.message
    assert ". Now:" not in raised.value.message  # both groups have a healthy target


def test_the_refusal_says_which_production_traffic_fails_now() -> None:
    """The same hand change with green's group unhealthy: the refusal says the load balancer sends half of production
    to targets that fail their checks."""
    world = answers(native_service(serving=V2), Deployments({}, start=WALK_THROUGH_THE_HOOK), production={BLUE: 50, GREEN: 50})
    health = {BLUE: [{"TargetHealth": {"State": "healthy"}}], GREEN: [{"TargetHealth": {"State": "unhealthy"}}] * 2}
    world["elbv2"]["describe_target_health"] = target_health_by_arn(health)
    recorder = Recorder(world)
    with pytest.raises(CutoverError) as raised:
        ensure_deployment(recorder.context, options())
    assert recorder.mutating == []
    assert (
        f", rule 6 sends 50 % of its requests to {GREEN}, which has no healthy target (2 are not): the load balancer sends those"
        " requests to them anyway. Nothing was changed" in raised.value.message
    ), raised.value.message


def test_serving_but_production_moved_by_hand_deploys_again_when_told_to_proceed() -> None:
    recorder = Recorder(answers(native_service(serving=V2), Deployments({}, start=WALK_THROUGH_THE_HOOK), production={BLUE: 50, GREEN: 50}))
    warnings: list = []
    recorder.context.warn = warnings.append
    result = ensure_deployment(recorder.context, options(on_listener_drift="proceed"))
    assert (result["changed"], result["status"]) == (True, "succeeded")
    assert recorder.mutating == ["update_service", "continue_service_deployment"]
    # said before the start, and again before the hook was continued (production still half on green)
    assert [f["when"] for f in result["listener_drift"]] == ["before it starts"] * 2 + ["before continuing at POST_TEST_TRAFFIC_SHIFT"] * 2
    assert len(warnings) == 2 and all(w.startswith("Proceeding before") for w in warnings)
    assert any("Proceeding before it starts" in line for line in result["progress"])


def test_deploy_continues_the_hook_it_does_not_stop_for() -> None:
    recorder = Recorder(answers(native_service(), Deployments({}, start=WALK_THROUGH_THE_HOOK)))
    result = ensure_deployment(recorder.context, options())
    assert (result["changed"], result["status"], result["deployment_id"]) == (True, "succeeded", OURS)
    assert (result["previous_task_definition"], result["task_definition"]) == (V1, V2)
    assert recorder.mutating == ["update_service", "continue_service_deployment"]
    request = next(params for operation, params in recorder.calls if operation == "update_service")
    assert request == {"cluster": "shop", "service": "web", "taskDefinition": V2}
    assert next(params for operation, params in recorder.calls if operation == "continue_service_deployment")["hookId"] == "h1"
    assert [p["name"] for p in result["phases"]] == ["SCALE_UP", "POST_TEST_TRAFFIC_SHIFT", "PRODUCTION_TRAFFIC_SHIFT", "CLEAN_UP"]
    assert any(
        "POST_TEST_TRAFFIC_SHIFT (waiting for verification): traffic blue 100% / green 0%, healthy blue 1 / green 1" in line for line in result["progress"]
    )


def test_verify_returns_at_the_hook() -> None:
    recorder = Recorder(answers(native_service(), Deployments({}, start=WALK_THROUGH_THE_HOOK)))
    result = ensure_deployment(recorder.context, options(verify=True))
    assert (result["changed"], result["status"], result["deployment_id"]) == (True, "awaiting_verification", OURS)
    assert result["weights"] == {"blue": 100.0, "green": 0.0}
    assert recorder.mutating == ["update_service"]


def test_traffic_and_alarms_go_into_the_deployment_configuration() -> None:
    recorder = Recorder(answers(native_service(), Deployments({}, start=WALK_THROUGH_THE_HOOK)))
    ensure_deployment(recorder.context, options(traffic={"type": "linear", "percent": 25, "interval_minutes": 2}, rollback_on_alarms=["p99"]))
    request = next(params for operation, params in recorder.calls if operation == "update_service")
    configuration = request["deploymentConfiguration"]
    assert (configuration["strategy"], configuration["linearConfiguration"]) == ("LINEAR", {"stepPercent": 25.0, "stepBakeTimeInMinutes": 2})
    assert configuration["alarms"] == {"alarmNames": ["p99"], "enable": True, "rollback": True}
    assert configuration["lifecycleHooks"] == [PAUSE_AT_VERIFY]


def test_check_mode_plans_and_mutates_nothing() -> None:
    recorder = Recorder(answers(native_service(), Deployments({})), check_mode=True)
    result = ensure_deployment(recorder.context, options(traffic={"type": "canary", "percent": 10, "interval_minutes": 5}))
    assert (result["changed"], result["status"], result["plan"]["action"], result["plan"]["deployment_strategy"]) == (True, "planned", "start", "CANARY")
    assert result["plan"]["update_service"]["deploymentConfiguration"]["canaryConfiguration"] == {"canaryPercent": 10.0, "canaryBakeTimeInMinutes": 5}
    assert result["diff"] == {"before": {}, "after": {}}  # the fake's revisions differ in nothing the diff shows
    assert recorder.mutating == []


def test_a_deployment_to_it_in_progress_is_attached_to() -> None:
    walk = [state(OURS, "IN_PROGRESS"), state(OURS, "SUCCESSFUL", "CLEAN_UP")]
    recorder = Recorder(answers(native_service(), Deployments({OURS: walk})))
    result = ensure_deployment(recorder.context, options())
    assert (result["changed"], result["status"], result["deployment_id"]) == (False, "succeeded", OURS)
    assert recorder.mutating == []


@pytest.mark.parametrize("check_mode", [False, True])
def test_a_deployment_to_another_in_progress_fails_before_any_change(check_mode: bool) -> None:
    recorder = Recorder(answers(native_service(), Deployments({OTHER: [state(OTHER, "IN_PROGRESS", target="arn:rev/3")]})), check_mode=check_mode)
    with pytest.raises(CutoverError, match=f"Another deployment is in progress: service deployment {OTHER} to web:3 is in progress"):
        ensure_deployment(recorder.context, options())
    assert recorder.mutating == []


def test_on_conflict_stop_rolls_the_other_back_then_deploys() -> None:
    deployments = Deployments({OTHER: [state(OTHER, "IN_PROGRESS", target="arn:rev/3")]}, start=WALK_THROUGH_THE_HOOK)
    recorder = Recorder(answers(native_service(), deployments))
    result = ensure_deployment(recorder.context, options(on_conflict="stop"))
    assert result["status"] == "succeeded"
    assert recorder.mutating == ["stop_service_deployment", "update_service", "continue_service_deployment"]
    assert next(params for operation, params in recorder.calls if operation == "stop_service_deployment") == {
        "serviceDeploymentArn": OTHER,
        "stopType": "ROLLBACK",
    }


def test_on_conflict_wait_waits_then_deploys() -> None:
    other = [state(OTHER, "IN_PROGRESS", target="arn:rev/3"), state(OTHER, "IN_PROGRESS", target="arn:rev/3"), state(OTHER, "SUCCESSFUL", target="arn:rev/3")]
    recorder = Recorder(answers(native_service(), Deployments({OTHER: other}, start=WALK_THROUGH_THE_HOOK)))
    result = ensure_deployment(recorder.context, options(on_conflict="wait"))
    assert result["status"] == "succeeded"
    assert recorder.mutating == ["update_service", "continue_service_deployment"]


def test_a_rolled_back_deployment_fails_the_task() -> None:
    reason = "ECS deployment circuit breaker: tasks failed to start."
    walk = [state(OURS, "IN_PROGRESS"), state(OURS, "ROLLBACK_SUCCESSFUL", statusReason=reason, rollback={"reason": reason, "startedAt": None})]
    recorder = Recorder(answers(native_service(), Deployments({}, start=walk)))
    with pytest.raises(CutoverError, match="rolled back: ECS deployment circuit breaker") as failure:
        ensure_deployment(recorder.context, options())
    assert (failure.value.details["status"], failure.value.details["rolled_back"], failure.value.details["rollback_reason"]) == ("rolled_back", True, reason)
    assert recorder.mutating == ["update_service"]


def test_action_rollback_stops_with_rollback_and_does_not_fail() -> None:
    deployments = Deployments({OURS: [state(OURS, "IN_PROGRESS", "POST_TEST_TRAFFIC_SHIFT", hook="h1")]})
    recorder = Recorder(answers(native_service(), deployments))
    result = ensure_deployment(recorder.context, options(action="rollback", task_definition=None))
    assert (result["changed"], result["status"], result["rolled_back"], result["deployment_id"]) == (True, "rolled_back", True, OURS)
    assert recorder.mutating == ["stop_service_deployment"]


def test_action_continue_continues_the_hook() -> None:
    walk = [state(OURS, "IN_PROGRESS", "POST_TEST_TRAFFIC_SHIFT", hook="h1"), state(OURS, "SUCCESSFUL", "CLEAN_UP")]
    recorder = Recorder(answers(native_service(), Deployments({OURS: walk})))
    result = ensure_deployment(recorder.context, options(action="continue", deployment_id=OURS, task_definition=None))
    assert (result["changed"], result["status"]) == (True, "succeeded")
    assert recorder.mutating == ["continue_service_deployment"]


def test_action_with_nothing_in_progress_changes_nothing() -> None:
    done = [state(OURS, "ROLLBACK_SUCCESSFUL", statusReason="rolled back by the user", rollback={"reason": "rolled back by the user"})]
    recorder = Recorder(answers(native_service(), Deployments({OURS: done})))
    result = ensure_deployment(recorder.context, options(action="rollback", task_definition=None))
    assert (result["changed"], result["status"], result["deployment_id"]) == (False, "rolled_back", OURS)
    assert recorder.mutating == []


@pytest.mark.parametrize(
    "service, extra, message",
    [
        (native_service(hooks=()), {"verify": True}, "lifecycle_stages: \\[POST_TEST_TRAFFIC_SHIFT\\]"),
        (native_service(), {"strategy": "rolling"}, "deployment_configuration.strategy is ROLLING"),
        (native_service(), {"traffic": {"type": "config", "config_name": "x"}}, "CodeDeploy deployment config"),
        (native_service(), {"container_port": 9999}, "container_port 9999 is not a port mapping"),
    ],
)
def test_bad_input_fails_before_any_change(service: dict, extra: dict, message: str) -> None:
    recorder = Recorder(answers(service, Deployments({})))
    with pytest.raises(InvalidInput, match=message):
        ensure_deployment(recorder.context, options(**extra))
    assert recorder.mutating == []


def test_deployment_info_reports_the_newest() -> None:
    awaiting = state(OURS, "IN_PROGRESS", "POST_TEST_TRAFFIC_SHIFT", hook="h1")
    recorder = Recorder(answers(native_service(), Deployments({OURS: [awaiting]})))
    result = describe_deployment(recorder.context, {"cluster": "shop", "service": "web", "strategy": "auto"})
    assert (result["exists"], result["status"], result["deployment_id"], result["hook_id"], result["changed"]) == (
        True,
        "awaiting_verification",
        OURS,
        "h1",
        False,
    )
    empty = Recorder(answers(native_service(), Deployments({})))
    assert describe_deployment(empty.context, {"cluster": "shop", "service": "web"})["exists"] is False


def test_a_missing_service_deployment_is_reported() -> None:
    recorder_answers = answers(native_service(), Deployments({}))
    recorder_answers["ecs"]["describe_service_deployments"] = error("ServiceDeploymentNotFoundException")
    recorder = Recorder(recorder_answers)
    with pytest.raises(CutoverError, match="does not exist"):
        ensure_deployment(recorder.context, options(action="continue", deployment_id="arn:sd/gone", task_definition=None))


def test_action_check_refuses_a_rule_moved_by_hand_and_changes_nothing() -> None:
    recorder = Recorder(answers(native_service(), Deployments({}), production={BLUE: 90, GREEN: 10}))
    with pytest.raises(CutoverError) as raised:
        ensure_deployment(recorder.context, options(action="check", task_definition=None))
    assert recorder.mutating == []
    assert {f["field"] for f in raised.value.details["listener_drift"]} == {
        "Actions[0].ForwardConfig.TargetGroups[arn:tg/blue].Weight",
        "Actions[0].ForwardConfig.TargetGroups[arn:tg/green].Weight",
    }


def test_action_check_passes_rules_as_expected_and_reports_them_when_told_to_proceed() -> None:
    recorder = Recorder(answers(native_service(), Deployments({})))
    result = ensure_deployment(recorder.context, options(action="check", task_definition=None))
    assert (result["changed"], result["status"], result.get("listener_drift")) == (False, "checked", None)
    assert "describe_rules" in recorder.operations and recorder.mutating == []
    moved = Recorder(answers(native_service(), Deployments({}), production={BLUE: 90, GREEN: 10}))
    result = ensure_deployment(moved.context, options(action="check", task_definition=None, on_listener_drift="proceed"))
    assert (result["changed"], result["status"], len(result["listener_drift"])) == (False, "checked", 2)
    assert moved.mutating == []


def test_action_check_leaves_a_deployment_in_progress_alone() -> None:
    """A deploy would attach to it: its rules are where that deployment put them."""
    walks = {OURS: [state(OURS, "IN_PROGRESS", stage="PRODUCTION_TRAFFIC_SHIFT")]}
    recorder = Recorder(answers(native_service(), Deployments(walks), production={BLUE: 50, GREEN: 50}))
    result = ensure_deployment(recorder.context, options(action="check", task_definition=None))
    assert (result["changed"], result["status"]) == (False, "checked")
    assert "describe_rules" not in recorder.operations
