"""The adoption filter: whether the infrastructure role made the service and the load balancer it finds by name, and what it refuses."""

from __future__ import annotations

import re

import pytest

from ansible_collections.cutover.ecs.plugins.filter.adoption import FilterModule, adoption

NAME = "web"
ELB = "arn:aws:elasticloadbalancing:us-east-1:123456789012"


def tg(name: str) -> str:
    return f"{ELB}:targetgroup/{name}/0123456789abcdef"


def forward(*names: str, weights=()) -> dict:
    """A forward action as elb_application_lb_info returns it: target_group_arn with one group, forward_config always."""
    groups = [{"target_group_arn": tg(name), "weight": weight} for name, weight in zip(names, weights or [1] * len(names), strict=True)]
    action = {"type": "forward", "forward_config": {"target_groups": groups, "target_group_stickiness_config": {"enabled": False}}}
    if len(names) == 1:
        action["target_group_arn"] = tg(names[0])
    return action


def redirect() -> dict:
    return {"type": "redirect", "redirect_config": {"protocol": "HTTPS", "port": "443", "status_code": "HTTP_301"}}


def fixed_response() -> dict:
    return {"type": "fixed-response", "fixed_response_config": {"status_code": "404", "content_type": "text/plain"}}


def rule(priority: int, *actions: dict) -> dict:
    """A non-default rule with a path condition."""
    return {"priority": str(priority), "is_default": False, "conditions": [{"field": "path-pattern", "values": [f"/r{priority}/*"]}], "actions": list(actions)}


def listener(port: int, *rules: dict, default: dict | None = None) -> dict:
    """A listener with include_listener_rules: its default actions (a forward to web-blue unless given), the default rule, then `rules`."""
    action = default if default is not None else forward(f"{NAME}-blue")
    arn = f"{ELB}:listener/app/{NAME}/50dc6c495c0c9188/{port}"
    every = [{"priority": "default", "is_default": True, "conditions": [], "actions": [action]}, *rules]
    for each in every:
        each["rule_arn"] = f"{ELB}:listener-rule/app/{NAME}/50dc6c495c0c9188/{port}/{each['priority']}"
    return {"listener_arn": arn, "port": port, "protocol": "HTTP", "default_actions": [action], "rules": every}


def load_balancer(*listeners: dict, security_groups=("sg-0alb1", "sg-0alb2")) -> dict:
    """A load balancer named like the service, as elb_application_lb_info returns it."""
    return {
        "load_balancer_name": NAME,
        "load_balancer_arn": f"{ELB}:loadbalancer/app/{NAME}/50dc6c495c0c9188",
        "scheme": "internet-facing",
        "security_groups": list(security_groups),
        "listeners": list(listeners),
    }


def own_listeners() -> list[dict]:
    """The role's own production (80) and test (9000) listeners."""
    return [listener(80), listener(9000, default=forward(f"{NAME}-green"))]


def service(
    to=("web-blue",),
    controller: str | None = "ECS",
    launch_type: str | None = "FARGATE",
    capacity=(),
    scheduling: str = "REPLICA",
    security_groups=("sg-0task1", "sg-0task2"),
    tags=None,
) -> dict:
    """A service as cutover.ecs.service_info returns it (DescribeServices in snake_case, tags a dict)."""
    found = {
        "service_name": NAME,
        "service_arn": f"arn:aws:ecs:us-east-1:123456789012:service/shop/{NAME}",
        "status": "ACTIVE",
        "desired_count": 2,
        "scheduling_strategy": scheduling,
        "load_balancers": [{"target_group_arn": tg(name), "container_name": "app", "container_port": 8080} for name in to],
        "network_configuration": {
            "awsvpc_configuration": {"subnets": ["subnet-0a", "subnet-0b"], "security_groups": list(security_groups), "assign_public_ip": "DISABLED"}
        },
        "tags": dict(tags or {}),
    }
    if controller is not None:
        found["deployment_controller"] = {"type": controller}
    if launch_type is not None:
        found["launch_type"] = launch_type
    if capacity:
        found["capacity_provider_strategy"] = [dict(item) for item in capacity]
    return found


SPOT = ({"capacity_provider": "FARGATE_SPOT", "weight": 3, "base": 1}, {"capacity_provider": "FARGATE", "weight": 1, "base": 0})


def run(**asked: object) -> dict:
    request = {
        "name": NAME,
        "cluster": "shop",
        "strategy": "rolling",
        "adopt": False,
        "capacity_provider_strategy": [],
        "tags": {},
        "purge_tags": True,
        "ports": {"production": 80, "test": 9000},
        "service": {},
        "load_balancer": {},
        **asked,
    }
    return adoption(request)


def verdict(found: dict) -> tuple:
    return (found["service_exists"], found["service_owned"], found["load_balancer_owned"], found["problems"])


def the_problem(found: dict, *words: str) -> str:
    """The one problem of `found`, which must contain every word."""
    assert len(found["problems"]) == 1, found["problems"]
    problem = found["problems"][0]
    for word in words:
        assert word in problem, (word, problem)
    return problem


def removed_tags(problem: str) -> str:
    """The tag keys the service takeover message says are removed, or '' when it names none."""
    match = re.search(r"its tags \(([^)]*) removed\)", problem)
    return match.group(1) if match else ""


# Nothing there


def test_nothing_exists() -> None:
    assert run() == {"service_exists": False, "service_owned": False, "load_balancer_owned": False, "problems": []}
    assert run(adopt=True, strategy="codedeploy") == {"service_exists": False, "service_owned": False, "load_balancer_owned": False, "problems": []}
    assert verdict(run(service=None, load_balancer=None)) == (False, False, False, [])


# The service: made by the role or not


@pytest.mark.parametrize("to", [("web-blue",), ("web-green",), ("web-blue", "web-green")])
def test_a_service_forwarding_to_its_own_target_groups_is_owned(to: tuple) -> None:
    assert verdict(run(service=service(to=to))) == (True, True, False, [])


def test_a_codedeploy_service_after_a_cutover_to_green_is_owned() -> None:
    found = run(strategy="codedeploy", service=service(to=("web-green",), controller="CODE_DEPLOY"))
    assert verdict(found) == (True, True, False, [])


def test_a_service_made_elsewhere_is_refused_naming_what_would_be_replaced() -> None:
    tags = {"team": "payments", "Owner": "ops", "env": "prod", "aws:cloudformation:stack-name": "legacy", "cutover.ecs:strategy": "rolling"}
    found = run(service=service(to=("n-tg",), tags=tags), tags={"env": "prod"})
    assert verdict(found)[:3] == (True, False, False)
    problem = the_problem(
        found,
        "The service web in cluster shop",
        "n-tg",
        "web-blue",
        "sg-0task1, sg-0task2",
        "web-tasks",
        "infrastructure_adopt: true",
        "--check --diff",
        "use the deploy role alone",
        "infrastructure_name or infrastructure_cluster",
    )
    # Removed: the keys not asked for, but neither aws: keys nor the collection's own, sorted.
    assert removed_tags(problem) == "Owner, team"
    for kept in ("aws:cloudformation", "cutover.ecs:strategy", "env"):
        assert kept not in removed_tags(problem)
    # An ECS-controlled service gets its tasks replaced, and what forwards to n-tg loses them.
    assert "ECS then replaces its tasks, and what forwards to n-tg loses its targets" in problem


def test_no_tags_removed_without_purge_or_with_nothing_extra() -> None:
    tags = {"team": "payments", "Owner": "ops"}
    problem = the_problem(run(service=service(to=("n-tg",), tags=tags), purge_tags=False), "n-tg", "infrastructure_adopt")
    assert "its tags" not in problem
    assert "removed" not in problem
    problem = the_problem(run(service=service(to=("n-tg",), tags={"aws:x": "1", "team": "a"}), tags={"team": "b"}), "n-tg")
    assert "its tags" not in problem
    problem = the_problem(run(service=service(to=("n-tg",))), "n-tg")
    assert "its tags" not in problem


def test_a_service_made_elsewhere_is_taken_over_with_adopt() -> None:
    found = run(service=service(to=("n-tg",), tags={"team": "payments"}), adopt=True)
    assert verdict(found) == (True, False, False, [])


def test_a_service_forwarding_to_its_group_and_another_is_not_owned() -> None:
    problem = the_problem(run(service=service(to=("web-blue", "n-tg"))), "n-tg, web-blue", "infrastructure_adopt")
    assert "web-blue-canary" not in problem
    # A target group whose name only starts with the service's is another's.
    found = run(service=service(to=("web-blue-canary",)))
    assert verdict(found)[:3] == (True, False, False)
    the_problem(found, "web-blue-canary", "infrastructure_adopt")


@pytest.mark.parametrize("none", [[], None])
def test_a_service_without_load_balancers_is_not_owned(none) -> None:
    found_service = service()
    found_service["load_balancers"] = none
    found = run(service=found_service)
    assert verdict(found)[:3] == (True, False, False)
    problem = the_problem(found, "its load balancers forward to none", "infrastructure_adopt")
    # Nothing forwards to it, so nothing loses targets.
    assert "ECS then replaces its tasks; the deploy role in the same play moves it to the task definition family web" in problem
    assert "loses its targets" not in problem
    assert verdict(run(service=found_service, adopt=True)) == (True, False, False, [])


def test_a_codedeploy_service_made_elsewhere() -> None:
    found = run(strategy="codedeploy", service=service(to=("n-tg",), controller="CODE_DEPLOY"))
    problem = the_problem(found, "n-tg", "CodeDeploy deployment", "deployment group web", "infrastructure_adopt")
    assert "ECS then replaces" not in problem


# What AWS cannot change, refused whoever made the service


@pytest.mark.parametrize("strategy", ["rolling", "ecs"])
def test_a_codedeploy_controller_with_an_ecs_strategy_is_refused(strategy: str) -> None:
    found = run(strategy=strategy, adopt=True, service=service(controller="CODE_DEPLOY"))
    assert found["service_owned"] is True
    words = ("infrastructure_strategy", "CODE_DEPLOY deployment controller", f"strategy {strategy} needs ECS", "keep infrastructure_strategy: codedeploy")
    the_problem(found, *words)


@pytest.mark.parametrize("controller", ["ECS", None])
def test_an_ecs_controller_with_strategy_codedeploy_is_refused(controller) -> None:
    found = run(strategy="codedeploy", adopt=True, service=service(controller=controller))
    words = ("infrastructure_strategy", "ECS deployment controller", "strategy codedeploy needs CODE_DEPLOY", "infrastructure_strategy rolling or ecs")
    the_problem(found, *words)


@pytest.mark.parametrize("strategy", ["rolling", "ecs", "codedeploy"])
def test_an_external_controller_is_refused(strategy: str) -> None:
    found = run(strategy=strategy, adopt=True, service=service(controller="EXTERNAL"))
    the_problem(found, "EXTERNAL deployment controller", "the service out of this role")


@pytest.mark.parametrize(("strategy", "controller"), [("rolling", "ECS"), ("ecs", "ECS"), ("rolling", None), ("ecs", None), ("codedeploy", "CODE_DEPLOY")])
def test_the_strategys_own_controller_is_not_refused(strategy: str, controller) -> None:
    assert verdict(run(strategy=strategy, service=service(controller=controller))) == (True, True, False, [])


def test_launch_type_ec2_is_refused() -> None:
    found = run(adopt=True, service=service(launch_type="EC2"))
    problem = the_problem(found, "launch type EC2", "Fargate", "infrastructure_name or infrastructure_cluster")
    assert "infrastructure_capacity_provider_strategy" not in problem
    # Asking for capacity providers does not help: the launch type stays.
    asked = [{"capacity_provider": "FARGATE", "weight": 1}]
    the_problem(run(adopt=True, service=service(launch_type="EC2"), capacity_provider_strategy=asked), "launch type EC2")


def test_a_service_on_capacity_providers_needs_them_declared() -> None:
    on_providers = service(launch_type=None, capacity=SPOT)
    problem = the_problem(
        run(adopt=True, service=on_providers),
        "infrastructure_capacity_provider_strategy",
        "FARGATE_SPOT weight 3 base 1, FARGATE weight 1 base 0",
    )
    assert "launch type" in problem
    asked = [{"capacity_provider": "FARGATE_SPOT", "weight": 1, "base": 0}]
    assert verdict(run(service=on_providers, capacity_provider_strategy=asked)) == (True, True, False, [])


def test_a_fargate_service_may_move_to_capacity_providers() -> None:
    assert verdict(run(service=service(), capacity_provider_strategy=list(SPOT))) == (True, True, False, [])
    # And a Fargate service is not refused for having none asked.
    assert verdict(run(service=service(), capacity_provider_strategy=[])) == (True, True, False, [])


def test_a_daemon_service_is_refused() -> None:
    the_problem(run(adopt=True, service=service(scheduling="DAEMON")), "DAEMON", "REPLICA")


def test_an_immutable_refusal_beside_the_takeover() -> None:
    found = run(strategy="codedeploy", service=service(to=("n-tg",)))
    assert len(found["problems"]) == 2, found["problems"]
    assert any("ECS deployment controller" in problem for problem in found["problems"])
    assert any("infrastructure_adopt" in problem and "n-tg" in problem for problem in found["problems"])
    # With adopt, only what AWS cannot change is left.
    the_problem(run(strategy="codedeploy", adopt=True, service=service(to=("n-tg",))), "ECS deployment controller")


# The load balancer named like the service


def test_its_own_load_balancer_is_owned() -> None:
    weighted = forward("web-blue", "web-green", weights=(100, 0))
    lb = load_balancer(
        listener(80, rule(5, weighted), rule(6, fixed_response())),
        listener(9000, rule(5, forward("web-green")), default=forward("web-green")),
        listener(443, rule(7, forward("web-blue")), default=fixed_response()),
        listener(8080, default=forward("web-green", "web-blue", weights=(1, 1))),
    )
    assert verdict(run(load_balancer=lb)) == (False, False, True, [])
    assert verdict(run(load_balancer=lb, service=service(to=("web-green",)))) == (True, True, True, [])
    # Ports as text compare as numbers.
    assert run(load_balancer=lb, ports={"production": "80", "test": "9000"})["problems"] == []


def test_a_load_balancer_without_listeners_is_owned() -> None:
    assert verdict(run(load_balancer=load_balancer())) == (False, False, True, [])
    without = load_balancer()
    del without["listeners"]
    assert verdict(run(load_balancer=without)) == (False, False, True, [])


def test_a_listener_forwarding_elsewhere_is_refused() -> None:
    found = run(load_balancer=load_balancer(listener(80, default=forward("n-tg")), listener(9000)))
    assert verdict(found)[:3] == (False, False, False)
    the_problem(
        found,
        "The load balancer web was not made by the infrastructure role: listener 80 forwards to n-tg.",
        "sg-0alb1, sg-0alb2",
        "web-alb",
        "listeners 80 and 9000 at web-blue",
        "infrastructure_load_balancer",
        "infrastructure_rule_hosts",
        "infrastructure_adopt: true",
    )
    assert verdict(run(load_balancer=load_balancer(listener(80, default=forward("n-tg"))), adopt=True)) == (False, False, False, [])


def test_a_foreign_forward_anywhere_makes_it_foreign() -> None:
    # A non-default rule on another port.
    found = run(load_balancer=load_balancer(*own_listeners(), listener(8443, rule(3, forward("n-tg")))))
    problem = the_problem(found, "listener 8443 forwards to n-tg.")
    assert "listener 80 " not in problem
    # A weighted forward with one of its own groups and another's: only the other's is named.
    weighted = forward("web-blue", "n-tg", weights=(50, 50))
    the_problem(run(load_balancer=load_balancer(listener(80, rule(4, weighted)), listener(9000))), "listener 80 forwards to n-tg.")
    # Several: every group of a listener, sorted, and every listener.
    lb = load_balancer(listener(80, rule(4, forward("z-tg")), default=forward("a-tg")), listener(9000, default=forward("n-tg")))
    the_problem(run(load_balancer=lb), "listener 80 forwards to a-tg, z-tg; listener 9000 forwards to n-tg.")


@pytest.mark.parametrize(("port", "action", "kind"), [(80, redirect(), "redirect"), (9000, fixed_response(), "fixed-response")])
def test_a_production_or_test_listener_that_does_not_forward_is_refused(port: int, action: dict, kind: str) -> None:
    listeners = {80: listener(80), 9000: listener(9000)}
    listeners[port] = listener(port, default=action)
    found = run(load_balancer=load_balancer(*listeners.values()))
    assert found["load_balancer_owned"] is False
    the_problem(found, f"listener {port}'s default action is {kind}", "infrastructure_load_balancer", "infrastructure_adopt")
    assert verdict(run(load_balancer=load_balancer(*listeners.values()), adopt=True)) == (False, False, False, [])


def test_the_listener_ports_are_the_ones_asked() -> None:
    # A redirect on 80 is fine when the role's listeners are 443 and 8443, and refused on 443 when 443 is production.
    lb = load_balancer(listener(80, default=redirect()), listener(443), listener(8443))
    assert run(load_balancer=lb, ports={"production": 443, "test": 8443})["problems"] == []
    lb = load_balancer(listener(80), listener(443, default=fixed_response()), listener(8443))
    the_problem(run(load_balancer=lb, ports={"production": 443, "test": 8443}), "listener 443's default action is fixed-response", "listeners 443 and 8443")


def test_a_fixed_response_default_on_another_port_is_not_foreign() -> None:
    lb = load_balancer(*own_listeners(), listener(443, default=fixed_response()))
    assert verdict(run(load_balancer=lb)) == (False, False, True, [])


def test_strategy_ecs_would_delete_the_other_rules() -> None:
    lb = load_balancer(listener(80, default=forward("n-tg")), listener(9000))
    the_problem(run(load_balancer=lb, strategy="ecs"), "point listeners 80 and 9000 at web-blue and delete their other rules.")
    for strategy in ("rolling", "codedeploy"):
        problem = the_problem(run(load_balancer=lb, strategy=strategy), "point listeners 80 and 9000 at web-blue.")
        assert "delete" not in problem


def test_a_load_balancer_without_security_groups() -> None:
    lb = load_balancer(listener(80, default=forward("n-tg")), security_groups=())
    the_problem(run(load_balancer=lb), "its security groups (none)")


# Both


def test_both_made_elsewhere_are_two_problems() -> None:
    lb = load_balancer(listener(80, default=forward("n-tg")), listener(9000))
    found = run(service=service(to=("n-tg",)), load_balancer=lb)
    assert verdict(found)[:3] == (True, False, False)
    assert len(found["problems"]) == 2, found["problems"]
    assert sorted(problem.split(":")[0] for problem in found["problems"]) == [
        "The load balancer web was not made by the infrastructure role",
        "The service web in cluster shop was not made by the infrastructure role",
    ]
    assert verdict(run(service=service(to=("n-tg",)), load_balancer=lb, adopt=True)) == (True, False, False, [])
    # Only the load balancer another's.
    the_problem(run(service=service(), load_balancer=lb), "The load balancer web", "listener 80 forwards to n-tg")


def test_the_filter_module() -> None:
    assert FilterModule().filters()["adoption"] is adoption


def test_an_external_service_made_elsewhere_is_told_nothing_of_codedeploy_or_ecs() -> None:
    found = run(service=service(to=("n-tg",), controller="EXTERNAL"))
    takeover = [problem for problem in found["problems"] if "was not made by the infrastructure role" in problem]
    assert len(found["problems"]) == 2 and len(takeover) == 1, found["problems"]
    assert "CodeDeploy" not in takeover[0] and "ECS then replaces" not in takeover[0]


def test_a_classic_load_balancer_is_named() -> None:
    found_service = service()
    found_service["load_balancers"] = [{"load_balancer_name": "legacy-elb", "container_name": "app", "container_port": 8080}]
    problem = the_problem(run(service=found_service), "its load balancers forward to legacy-elb", "its load balancers (legacy-elb) with web-blue")
    assert "what forwards to legacy-elb loses its targets" in problem
