"""The CodeDeploy driver's pre-shift checks with recording fake clients: the group's production and test listeners
are read before a deployment starts and again at Ready, before ContinueDeployment moves production; a rule changed
by hand is refused before any mutating call (or, with on_listener_drift=proceed, reported and gone past), and
production waits for green's targets to be healthy."""

from __future__ import annotations

from typing import Any, Optional

import pytest
from test_drivers import GROUP, V1, V2, Recorder, codedeploy_answers, codedeploy_service, deployment, ecs_target, error, options, target_health_by_arn

from ansible_collections.cutover.ecs.plugins.module_utils._deploy.ensure import ensure_deployment
from ansible_collections.cutover.ecs.plugins.module_utils._errors import CutoverError, WaitTimeout

BLUE, GREEN, OTHER = "arn:tg/blue", "arn:tg/green", "arn:tg/api"
ELB = "arn:aws:elasticloadbalancing:us-east-1:123456789012"
PROD_LISTENER = f"{ELB}:listener/app/shop/1/2"
TEST_LISTENER = f"{ELB}:listener/app/shop/1/3"
PROD_RULE = f"{ELB}:listener-rule/app/shop/1/2/10"
API_RULE = f"{ELB}:listener-rule/app/shop/1/2/20"
PORTS = {PROD_LISTENER: 80, TEST_LISTENER: 8080}
LB_GROUP = dict(
    GROUP,
    loadBalancerInfo={
        "targetGroupPairInfoList": [
            {
                "targetGroups": [{"name": "web-blue"}, {"name": "web-green"}],
                "prodTrafficRoute": {"listenerArns": [PROD_LISTENER]},
                "testTrafficRoute": {"listenerArns": [TEST_LISTENER]},
            }
        ]
    },
)
WEIGHT = "Actions[0].ForwardConfig.TargetGroups[{}].Weight"
READY = "before production traffic moves (d-new is Ready)"


def forward(weights: dict) -> dict:
    return {"Type": "forward", "ForwardConfig": {"TargetGroups": [{"TargetGroupArn": arn, "Weight": weight} for arn, weight in weights.items()]}}


NOT_FOUND = {"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "404"}}


class Listeners:
    """The group's two listeners as ELBv2 answers them. Production: rule 1 forwards to the pair (and an unrelated rule
    to another service), the default action answers 404. Test: the default action forwards to the pair. ``actions``
    replaces a listener's forward; ``deleted`` listeners answer ListenerNotFound."""

    def __init__(self, production: Optional[dict] = None, test: Optional[dict] = None) -> None:
        self.weights = {PROD_LISTENER: production or {BLUE: 100, GREEN: 0}, TEST_LISTENER: test or {BLUE: 100, GREEN: 0}}
        self.actions: dict = {}
        self.deleted: set = set()

    def _forward(self, arn: str) -> list:
        return self.actions.get(arn) or [forward(self.weights[arn])]

    def _default_actions(self, arn: str) -> list:
        return self._forward(arn) if arn == TEST_LISTENER else [NOT_FOUND]

    def describe_listeners(self, params: dict) -> Any:
        (arn,) = params["ListenerArns"]
        if arn in self.deleted:
            return error("ListenerNotFound")
        return {"Listeners": [{"ListenerArn": arn, "Port": PORTS[arn], "Protocol": "HTTP", "DefaultActions": self._default_actions(arn)}]}

    def describe_rules(self, params: dict) -> Any:
        arn = params["ListenerArn"]
        default = {"RuleArn": f"{arn}/default".replace(":listener/", ":listener-rule/"), "Priority": "default", "IsDefault": True}
        if arn == TEST_LISTENER:
            return {"Rules": [dict(default, Actions=self._default_actions(arn))]}
        return {
            "Rules": [
                {"RuleArn": PROD_RULE, "Priority": "1", "IsDefault": False, "Actions": self._forward(arn)},
                {"RuleArn": API_RULE, "Priority": "2", "IsDefault": False, "Actions": [forward({OTHER: 1})]},
                dict(default, Actions=[NOT_FOUND]),
            ]
        }


class Deployment:
    """d-new (or an active one): Ready (the group stops there) until ContinueDeployment, then ``after_continue``;
    Stopped once StopDeployment stopped it. CreateDeployment moves the test listener to green, as CodeDeploy does
    before Ready; ``at_ready`` runs at each Ready answer (a change by hand meanwhile)."""

    def __init__(self, listeners: Listeners) -> None:
        self.listeners = listeners
        self.continued = False
        self.stopped = False
        self.after_continue = "Succeeded"
        self.at_ready: Any = None

    def create(self, params: dict) -> dict:
        self.listeners.weights[TEST_LISTENER] = {BLUE: 0, GREEN: 100}
        return {"deploymentId": "d-new"}

    def status(self) -> str:
        if self.stopped:
            return "Stopped"
        return self.after_continue if self.continued else "Ready"

    def get(self, params: dict) -> dict:
        status = self.status()
        if status == "Ready" and self.at_ready:
            self.at_ready()
        return {"deploymentInfo": deployment(params["deploymentId"], status, V2)}

    def continue_(self, params: dict) -> dict:
        self.continued = True
        return {}

    def stop(self, params: dict) -> dict:
        self.stopped = True
        return {"status": "Succeeded"}


def setup(listeners: Optional[Listeners] = None, service: Optional[dict] = None, active: Optional[list] = None) -> tuple[dict, Listeners, Deployment]:
    """(answers, listeners, deployment) of a CodeDeploy service whose group has the pair and both listeners."""
    listeners = listeners or Listeners()
    flow = Deployment(listeners)
    answers = codedeploy_answers(service or codedeploy_service(("PRIMARY", V1)), active or [], group=LB_GROUP)
    answers["elbv2"].update(describe_listeners=listeners.describe_listeners, describe_rules=listeners.describe_rules)
    answers["codedeploy"].update(create_deployment=flow.create, get_deployment=flow.get, continue_deployment=flow.continue_, stop_deployment=flow.stop)
    return answers, listeners, flow


def start(listeners: Optional[Listeners] = None, check_mode: bool = False) -> tuple[Recorder, Listeners, Deployment]:
    answers, listeners, flow = setup(listeners)
    return Recorder(answers, check_mode=check_mode), listeners, flow


def fields(findings: list) -> set:
    return {(f["role"], f["priority"], f["field"], f["expected"], f["found"]) for f in findings}


def index(recorder: Recorder, operation: str, nth: int = 0) -> int:
    return [i for i, name in enumerate(recorder.operations) if name == operation][nth]


# --- before it starts ------------------------------------------------------------------------------


def test_rules_as_expected_start_and_continue_at_ready() -> None:
    recorder, _listeners, _flow = start()
    result = ensure_deployment(recorder.context, options())
    assert (result["status"], result["deployment_id"], result["changed"]) == ("succeeded", "d-new", True)
    assert recorder.mutating == ["create_deployment", "continue_deployment"]
    assert "listener_drift" not in result
    # both listeners read before the start, and again at Ready before production moves
    reads = [params for operation, params in recorder.calls if operation == "describe_rules"]
    assert [params["ListenerArn"] for params in reads] == [PROD_LISTENER, TEST_LISTENER] * 2
    assert index(recorder, "describe_rules", 1) < index(recorder, "create_deployment") < index(recorder, "describe_rules", 2)
    assert index(recorder, "describe_rules", 3) < index(recorder, "continue_deployment")
    assert [params for operation, params in recorder.calls if operation == "describe_listeners"] == [
        {"ListenerArns": [PROD_LISTENER]},
        {"ListenerArns": [TEST_LISTENER]},
    ] * 2
    # the target group ARNs are looked up once for the run
    assert recorder.operations.count("describe_target_groups") == 1


def test_production_changed_by_hand_is_refused_before_any_change() -> None:
    recorder, _listeners, _flow = start(Listeners(production={BLUE: 80, GREEN: 20}))
    with pytest.raises(CutoverError) as raised:
        ensure_deployment(recorder.context, options())
    assert recorder.mutating == []
    assert fields(raised.value.details["listener_drift"]) == {
        ("production", "1", WEIGHT.format(BLUE), "100 %", "80 (80 %)"),
        ("production", "1", WEIGHT.format(GREEN), "0 %", "20 (20 %)"),
    }
    assert raised.value.details["changed"] is False
    assert {f["rule"] for f in raised.value.details["listener_drift"]} == {PROD_RULE}
    message = raised.value.message
    assert message.startswith("The listener rules of web are not as the deployment expects before it starts")
    assert f"production listener shop:80, rule 1: {WEIGHT.format(GREEN)}: expected 0 %, found 20 (20 %)" in message
    assert "Nothing was changed" in message and "on_listener_drift=proceed" in message


def test_the_refusal_says_which_production_traffic_fails_now() -> None:
    """20 % of production moved by hand to green, whose group has no target yet: the refusal says those requests
    fail now, from green's target health read once; with the rules as expected, no target health is read."""
    answers, _listeners, _flow = setup(Listeners(production={BLUE: 80, GREEN: 20}))
    health = {BLUE: [{"TargetHealth": {"State": "healthy"}}], GREEN: []}
    answers["elbv2"]["describe_target_health"] = target_health_by_arn(health)
    recorder = Recorder(answers)
    with pytest.raises(CutoverError) as raised:
        ensure_deployment(recorder.context, options())
    assert recorder.mutating == []
    assert (
        f"Now: production listener shop:80, rule 1 sends 20 % of its requests to {GREEN}, which has no registered target: those requests fail now (HTTP 503)."
        in raised.value.message
    )
    assert "sends 80 %" not in raised.value.message
    assert sorted(params["TargetGroupArn"] for params in (p for op, p in recorder.calls if op == "describe_target_health")) == [BLUE, GREEN]

    quiet, _listeners, _flow = start(check_mode=True)
    ensure_deployment(quiet.context, options())
    assert "describe_target_health" not in quiet.operations


def test_production_changed_by_hand_is_refused_in_check_mode_too() -> None:
    recorder, _listeners, _flow = start(Listeners(production={BLUE: 80, GREEN: 20}), check_mode=True)
    with pytest.raises(CutoverError) as raised:
        ensure_deployment(recorder.context, options())
    assert recorder.mutating == []
    assert len(raised.value.details["listener_drift"]) == 2
    assert "Nothing was changed" in raised.value.message


def test_check_mode_with_rules_as_expected_plans_the_start() -> None:
    recorder, _listeners, _flow = start(check_mode=True)
    result = ensure_deployment(recorder.context, options())
    assert (result["changed"], result["status"], result["plan"]["action"]) == (True, "planned", "start")
    assert recorder.mutating == []
    assert recorder.operations.count("describe_rules") == 2


def test_production_changed_by_hand_is_gone_past_when_told_to_proceed() -> None:
    recorder, _listeners, _flow = start(Listeners(production={BLUE: 80, GREEN: 20}))
    warnings: list = []
    recorder.context.warn = warnings.append
    result = ensure_deployment(recorder.context, options(on_listener_drift="proceed"))
    assert (result["changed"], result["status"], result["deployment_id"]) == (True, "succeeded", "d-new")
    assert recorder.mutating == ["create_deployment", "continue_deployment"]
    # said before the start, and again at Ready (production still 20 % on green)
    assert [f["when"] for f in result["listener_drift"]] == ["before it starts"] * 2 + [READY] * 2
    assert fields(result["listener_drift"]) == {
        ("production", "1", WEIGHT.format(BLUE), "100 %", "80 (80 %)"),
        ("production", "1", WEIGHT.format(GREEN), "0 %", "20 (20 %)"),
    }
    assert len(warnings) == 2
    assert warnings[0].startswith("Proceeding before it starts although the listener rules differ")
    assert warnings[1].startswith(f"Proceeding {READY} although")
    assert sum("Proceeding before it starts" in line for line in result["progress"]) == 1
    assert sum(f"Proceeding {READY}" in line for line in result["progress"]) == 1


def test_a_deployment_that_fails_after_proceeding_reports_the_drift_in_the_failure() -> None:
    recorder, _listeners, flow = start(Listeners(production={BLUE: 80, GREEN: 20}))
    flow.after_continue = "Failed"
    with pytest.raises(CutoverError) as raised:
        ensure_deployment(recorder.context, options(on_listener_drift="proceed"))
    assert recorder.mutating == ["create_deployment", "continue_deployment"]
    assert [f["when"] for f in raised.value.details["listener_drift"]] == ["before it starts"] * 2 + [READY] * 2
    assert raised.value.details["status"] == "failed"


def test_a_fixed_response_in_place_of_the_test_forward_is_refused() -> None:
    listeners = Listeners()
    listeners.actions[TEST_LISTENER] = [{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "503"}}]
    recorder, _listeners, _flow = start(listeners)
    with pytest.raises(CutoverError) as raised:
        ensure_deployment(recorder.context, options())
    assert recorder.mutating == []
    assert raised.value.details["listener_drift"] == [
        {
            "role": "test",
            "listener": TEST_LISTENER,
            "port": 8080,
            "rule": TEST_LISTENER,
            "priority": "*",
            "field": "Rules",
            "expected": f"a rule forwarding to {BLUE} or {GREEN}",
            "found": "none forwards to either",
            "where": "test listener shop:8080",
        }
    ]
    assert "test listener shop:8080: Rules: expected" in raised.value.message


def test_a_third_target_group_in_the_production_forward_is_refused() -> None:
    recorder, _listeners, _flow = start(Listeners(production={BLUE: 100, GREEN: 0, OTHER: 10}))
    with pytest.raises(CutoverError) as raised:
        ensure_deployment(recorder.context, options())
    assert recorder.mutating == []
    assert fields(raised.value.details["listener_drift"]) == {
        ("production", "1", f"Actions[0].ForwardConfig.TargetGroups[{OTHER}]", "absent (not blue or green)", "weight 10"),
    }


def test_a_deleted_listener_is_refused() -> None:
    listeners = Listeners()
    listeners.deleted.add(TEST_LISTENER)
    recorder, _listeners, _flow = start(listeners)
    with pytest.raises(CutoverError) as raised:
        ensure_deployment(recorder.context, options())
    assert recorder.mutating == []
    (found,) = raised.value.details["listener_drift"]
    assert (found["role"], found["field"], found["expected"], found["found"], found["rule"]) == ("test", "Listener", "exists", "deleted", TEST_LISTENER)
    assert (found["where"], found["priority"]) == (f"test listener {TEST_LISTENER}", "*")
    # a deleted listener has no rules to read
    assert [params["ListenerArn"] for operation, params in recorder.calls if operation == "describe_rules"] == [PROD_LISTENER]


def test_without_the_pair_s_target_groups_no_listener_is_read() -> None:
    """CodeDeploy refuses a deployment whose target groups are gone: the check leaves that to it."""
    answers, _listeners, _flow = setup()
    answers["elbv2"]["describe_target_groups"] = {"TargetGroups": [{"TargetGroupName": "web-blue", "TargetGroupArn": BLUE}]}
    recorder = Recorder(answers, check_mode=True)
    result = ensure_deployment(recorder.context, options())
    assert result["plan"]["action"] == "start"
    assert "describe_listeners" not in recorder.operations and "describe_rules" not in recorder.operations


def test_blue_is_the_target_group_that_serves() -> None:
    """After an earlier deployment web-green serves: it is blue now, production forwarding all to it is as expected,
    and at Ready the test listener forwards to web-blue, the new green."""
    service = codedeploy_service(("PRIMARY", V1))
    service["taskSets"][0]["loadBalancers"] = [{"targetGroupArn": GREEN, "containerName": "app", "containerPort": 8080}]
    answers, listeners, _flow = setup(Listeners(production={BLUE: 0, GREEN: 100}, test={BLUE: 0, GREEN: 100}), service=service)
    swapped = ecs_target(100.0)
    for task_set, name in zip(swapped["deploymentTarget"]["ecsTarget"]["taskSetsInfo"], ("web-green", "web-blue"), strict=True):
        task_set["targetGroup"] = {"name": name}

    def create(params: dict) -> dict:
        listeners.weights[TEST_LISTENER] = {BLUE: 100, GREEN: 0}
        return {"deploymentId": "d-new"}

    answers["codedeploy"].update(get_deployment_target=swapped, create_deployment=create)
    recorder = Recorder(answers)
    result = ensure_deployment(recorder.context, options())
    assert (result["status"], result["changed"]) == ("succeeded", True)
    assert recorder.mutating == ["create_deployment", "continue_deployment"]
    assert "listener_drift" not in result


def test_pair_order_when_no_task_set_names_its_target_group() -> None:
    """codedeploy_service's PRIMARY task set carries no load balancer: the service's (web-blue) serves."""
    recorder, _listeners, _flow = start(Listeners(production={BLUE: 0, GREEN: 100}), check_mode=True)
    with pytest.raises(CutoverError) as raised:
        ensure_deployment(recorder.context, options())
    assert fields(raised.value.details["listener_drift"]) == {
        ("production", "1", WEIGHT.format(BLUE), "100 %", "0 (0 %)"),
        ("production", "1", WEIGHT.format(GREEN), "0 %", "100 (100 %)"),
    }


# --- at Ready, before production moves ---------------------------------------------------------------


def test_production_moved_by_hand_at_ready_holds_the_deployment() -> None:
    answers, listeners, flow = setup()
    flow.at_ready = lambda: listeners.weights.__setitem__(PROD_LISTENER, {BLUE: 50, GREEN: 50})
    recorder = Recorder(answers)
    with pytest.raises(CutoverError) as raised:
        ensure_deployment(recorder.context, options())
    assert recorder.mutating == ["create_deployment"]
    assert "continue_deployment" not in recorder.operations
    assert fields(raised.value.details["listener_drift"]) == {
        ("production", "1", WEIGHT.format(BLUE), "100 %", "50 (50 %)"),
        ("production", "1", WEIGHT.format(GREEN), "0 %", "50 (50 %)"),
    }
    # this run started the deployment
    assert raised.value.details["changed"] is True
    message = raised.value.message
    assert message.startswith(f"The listener rules of web are not as the deployment expects {READY}")
    assert "The deployment d-new waits where it is" in message and "action=continue" in message and "action=rollback" in message
    assert "Nothing was changed" not in message


def test_test_listener_not_on_green_at_ready_holds_the_deployment() -> None:
    answers, _listeners, _flow = setup()
    answers["codedeploy"]["create_deployment"] = {"deploymentId": "d-new"}
    recorder = Recorder(answers)
    with pytest.raises(CutoverError) as raised:
        ensure_deployment(recorder.context, options())
    assert recorder.mutating == ["create_deployment"]
    assert fields(raised.value.details["listener_drift"]) == {
        ("test", "default", WEIGHT.format(BLUE), "0 %", "100 (100 %)"),
        ("test", "default", WEIGHT.format(GREEN), "100 %", "0 (0 %)"),
    }
    assert {f["where"] for f in raised.value.details["listener_drift"]} == {"test listener shop:8080, default action"}


def test_production_moved_at_ready_is_gone_past_when_told_to_proceed() -> None:
    answers, listeners, flow = setup()
    flow.at_ready = lambda: listeners.weights.__setitem__(PROD_LISTENER, {BLUE: 50, GREEN: 50})
    recorder = Recorder(answers)
    warnings: list = []
    recorder.context.warn = warnings.append
    result = ensure_deployment(recorder.context, options(on_listener_drift="proceed"))
    assert (result["status"], result["changed"]) == ("succeeded", True)
    assert recorder.mutating == ["create_deployment", "continue_deployment"]
    assert [(f["when"], f["found"]) for f in result["listener_drift"]] == [(READY, "50 (50 %)")] * 2
    assert len(warnings) == 1 and warnings[0].startswith(f"Proceeding {READY}")


def test_verify_returns_at_ready_without_the_check() -> None:
    """With verify the deployment waits at Ready for the caller: the check is the continue's, not this run's."""
    answers, listeners, flow = setup()
    flow.at_ready = lambda: listeners.weights.__setitem__(PROD_LISTENER, {BLUE: 50, GREEN: 50})
    recorder = Recorder(answers)
    result = ensure_deployment(recorder.context, options(verify=True))
    assert (result["status"], result["changed"]) == ("awaiting_verification", True)
    assert recorder.mutating == ["create_deployment"]
    assert recorder.operations.count("describe_rules") == 2


def awaiting(listeners: Listeners, check_mode: bool = False) -> tuple[Recorder, Deployment]:
    """d-1 to web:2, held at Ready; the test listener on green as Ready leaves it."""
    listeners.weights[TEST_LISTENER] = {BLUE: 0, GREEN: 100}
    answers, _listeners, flow = setup(listeners, service=codedeploy_service(("PRIMARY", V1), ("ACTIVE", V2)), active=[deployment("d-1", "Ready", V2)])
    answers["codedeploy"]["list_deployments"] = lambda params: {"deployments": [] if flow.continued else ["d-1"]}
    return Recorder(answers, check_mode=check_mode), flow


def test_action_continue_with_production_moved_is_refused_and_changes_nothing() -> None:
    recorder, flow = awaiting(Listeners(production={BLUE: 70, GREEN: 30}))
    with pytest.raises(CutoverError) as raised:
        ensure_deployment(recorder.context, options(action="continue", task_definition=None))
    assert recorder.mutating == []
    assert flow.continued is False
    assert raised.value.details["changed"] is False
    assert fields(raised.value.details["listener_drift"]) == {
        ("production", "1", WEIGHT.format(BLUE), "100 %", "70 (70 %)"),
        ("production", "1", WEIGHT.format(GREEN), "0 %", "30 (30 %)"),
    }
    assert "before production traffic moves (d-1 is Ready)" in raised.value.message
    assert "The deployment d-1 waits where it is" in raised.value.message


def test_action_continue_with_rules_as_ready_leaves_them_continues() -> None:
    recorder, _flow = awaiting(Listeners())
    result = ensure_deployment(recorder.context, options(action="continue", task_definition=None))
    assert (result["status"], result["changed"], result["deployment_id"]) == ("succeeded", True, "d-1")
    assert recorder.mutating == ["continue_deployment"]
    assert [params for operation, params in recorder.calls if operation == "continue_deployment"][0]["deploymentId"] == "d-1"
    # only the check at Ready: nothing starts
    assert recorder.operations.count("describe_rules") == 2


def test_action_continue_with_drift_proceeds_when_told() -> None:
    recorder, _flow = awaiting(Listeners(production={BLUE: 70, GREEN: 30}))
    result = ensure_deployment(recorder.context, options(action="continue", task_definition=None, on_listener_drift="proceed"))
    assert (result["status"], result["changed"]) == ("succeeded", True)
    assert recorder.mutating == ["continue_deployment"]
    assert [f["when"] for f in result["listener_drift"]] == ["before production traffic moves (d-1 is Ready)"] * 2


# --- green healthy before production moves --------------------------------------------------------------


def green_health(*walk: list) -> Any:
    """DescribeTargetHealth: blue healthy; green's targets one state list per read (the last one repeats)."""
    reads = {"green": 0}

    def describe(params: dict) -> dict:
        if params["TargetGroupArn"] == BLUE:
            states = ["healthy"]
        else:
            states = walk[min(reads["green"], len(walk) - 1)]
            reads["green"] += 1
        return {"TargetHealthDescriptions": [{"Target": {"Id": f"10.0.1.{n}", "Port": 8080}, "TargetHealth": {"State": s}} for n, s in enumerate(states, 6)]}

    describe.reads = reads  # type: ignore[attr-defined]
    return describe


def test_green_not_all_healthy_at_ready_is_waited_for() -> None:
    answers, _listeners, _flow = setup()
    health = green_health(["healthy", "initial"], ["healthy", "initial"], ["healthy", "healthy"])
    answers["elbv2"]["describe_target_health"] = health
    recorder = Recorder(answers)
    result = ensure_deployment(recorder.context, options())
    assert (result["status"], result["changed"]) == ("succeeded", True)
    assert recorder.mutating == ["create_deployment", "continue_deployment"]
    # continued only after green's third read found every target healthy
    green_reads = [i for i, (operation, params) in enumerate(recorder.calls) if operation == "describe_target_health" and params["TargetGroupArn"] == GREEN]
    assert len(green_reads) == 3
    assert green_reads[2] < index(recorder, "continue_deployment")
    waited = [line for line in result["progress"] if "before production traffic moves" in line]
    assert len(waited) == 1
    assert waited[0].endswith("before production traffic moves: 1 of 2 targets in web-green are not healthy (10.0.1.7:8080 initial); waiting")


def test_green_healthy_at_ready_does_not_wait() -> None:
    answers, _listeners, _flow = setup()
    health = green_health(["healthy", "healthy", "draining"])
    answers["elbv2"]["describe_target_health"] = health
    recorder = Recorder(answers)
    result = ensure_deployment(recorder.context, options())
    assert recorder.mutating == ["create_deployment", "continue_deployment"]
    assert health.reads["green"] == 1
    assert not any("before production traffic moves" in line for line in result["progress"])


def test_green_never_healthy_times_out_without_continuing() -> None:
    answers, _listeners, _flow = setup()
    answers["elbv2"]["describe_target_health"] = green_health(["initial"])
    recorder = Recorder(answers)
    with pytest.raises(WaitTimeout, match=r"green healthy before production traffic moves \(d-new\)"):
        ensure_deployment(recorder.context, options(wait_timeout=1))
    assert recorder.mutating == ["create_deployment"]


def test_green_failing_while_waited_for_is_stopped_with_rollback() -> None:
    answers, _listeners, _flow = setup()
    answers["elbv2"]["describe_target_health"] = green_health(["initial"], ["unhealthy"])
    recorder = Recorder(answers)
    with pytest.raises(CutoverError) as raised:
        ensure_deployment(recorder.context, options())
    assert recorder.mutating == ["create_deployment", "stop_deployment"]
    assert [params for operation, params in recorder.calls if operation == "stop_deployment"] == [{"deploymentId": "d-new", "autoRollbackEnabled": True}]
    assert raised.value.details["green_watch"]["check"] == "target_health"


def test_green_not_ready_and_the_deployment_moved_on_meanwhile_is_not_continued() -> None:
    """Someone continued it in the console while green was waited for: no second ContinueDeployment."""
    answers, _listeners, flow = setup()
    reads = {"n": 0}

    def health(params: dict) -> dict:
        if params["TargetGroupArn"] == GREEN:
            reads["n"] += 1
            if reads["n"] == 2:
                flow.continued = True
        return {"TargetHealthDescriptions": [{"Target": {"Id": "10.0.1.6", "Port": 8080}, "TargetHealth": {"State": "initial"}}]}

    answers["elbv2"]["describe_target_health"] = health
    flow.after_continue = "InProgress"
    polls = {"n": 0}
    plain_get = flow.get

    def get(params: dict) -> dict:
        found = plain_get(params)
        if found["deploymentInfo"]["status"] == "InProgress":
            polls["n"] += 1
            if polls["n"] > 2:
                found["deploymentInfo"]["status"] = "Succeeded"
        return found

    answers["codedeploy"]["get_deployment"] = get
    recorder = Recorder(answers)
    result = ensure_deployment(recorder.context, options())
    assert result["status"] == "succeeded"
    assert recorder.mutating == ["create_deployment"]


# --- doubtful behaviour, kept as failing tests --------------------------------------------------------


def test_attaching_to_a_ready_deployment_with_drift_reports_no_change() -> None:
    """An earlier run started d-1 and it waits at Ready; this run attaches (same task definition) and is refused at
    the Ready check. It changed nothing, as _finish says for an attach (changed=decision.action == START), and as the
    ECS-native driver says (follow(..., started=...))."""
    recorder, flow = awaiting(Listeners(production={BLUE: 70, GREEN: 30}))
    with pytest.raises(CutoverError) as raised:
        ensure_deployment(recorder.context, options())
    assert recorder.mutating == []
    assert raised.value.details["changed"] is False


def test_check_mode_continue_predicts_the_refusal() -> None:
    """Check mode of a deploy refuses drift before the start; check mode of action=continue plans a success the real
    run would refuse."""
    recorder, _flow = awaiting(Listeners(production={BLUE: 70, GREEN: 30}), check_mode=True)
    with pytest.raises(CutoverError):
        ensure_deployment(recorder.context, options(action="continue", task_definition=None))


def test_action_check_refuses_production_moved_by_hand_with_read_calls_only() -> None:
    """The deploy role's preflight: the same refusal as a deploy's, before the role registers anything."""
    recorder, _listeners, _flow = start(Listeners(production={BLUE: 80, GREEN: 20}))
    with pytest.raises(CutoverError) as raised:
        ensure_deployment(recorder.context, options(action="check", task_definition=None))
    assert recorder.mutating == []
    assert fields(raised.value.details["listener_drift"]) == {
        ("production", "1", WEIGHT.format(BLUE), "100 %", "80 (80 %)"),
        ("production", "1", WEIGHT.format(GREEN), "0 %", "20 (20 %)"),
    }
    assert "production listener shop:80, rule 1: " + WEIGHT.format(GREEN) + ": expected 0 %, found 20 (20 %)" in raised.value.message


def test_action_check_passes_and_leaves_a_deployment_in_progress_alone() -> None:
    recorder, _listeners, _flow = start(Listeners(test={BLUE: 0, GREEN: 100}))
    result = ensure_deployment(recorder.context, options(action="check", task_definition=None))
    assert (result["changed"], result["status"], recorder.mutating) == (False, "checked", [])
    assert "describe_rules" in recorder.operations
    answers, _listeners, _flow = setup(Listeners(production={BLUE: 50, GREEN: 50}), active=[deployment("d-1", "InProgress", V2)])
    busy = Recorder(answers)
    result = ensure_deployment(busy.context, options(action="check", task_definition=None))
    assert (result["changed"], result["status"]) == (False, "checked")
    assert "describe_rules" not in busy.operations and busy.mutating == []
