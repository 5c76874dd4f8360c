"""The listener_rule filter: this service's rule on a shared load balancer's listeners, its priority, and refused inputs."""

from __future__ import annotations

import pytest

from ansible_collections.cutover.ecs.plugins.filter.listener_rule import FilterModule, listener_rule

LB = "shared-alb"
ELB = "arn:aws:elasticloadbalancing:us-east-1:123456789012"


def tg(name: str) -> str:
    return f"{ELB}:targetgroup/{name}/0123456789abcdef"


def rule(priority: int, hosts=(), paths=(), to=(), weights=(), forward: str = "both", values: str = "both", other=()) -> dict:
    """A non-default rule as elb_application_lb_info returns it; `values` and `forward` choose where the values and target groups are."""
    conditions = []
    for field, key, given in (("host-header", "host_header_config", hosts), ("path-pattern", "path_pattern_config", paths)):
        if given:
            condition = {"field": field}
            if values in ("plain", "both"):
                condition["values"] = list(given)
            if values in ("config", "both"):
                condition[key] = {"values": list(given)}
            conditions.append(condition)
    conditions += list(other)
    if not to:
        actions = [{"type": "fixed-response", "fixed_response_config": {"status_code": "503", "content_type": "text/plain"}}]
    else:
        action = {"type": "forward"}
        if forward in ("arn", "both"):
            action["target_group_arn"] = tg(to[0])
        if forward in ("config", "both"):
            groups = [{"target_group_arn": tg(name), "weight": weight} for name, weight in zip(to, weights or [1] * len(to), strict=True)]
            action["forward_config"] = {"target_groups": groups}
        actions = [action]
    return {"priority": str(priority), "is_default": False, "conditions": conditions, "actions": actions}


def listener(port: int, *rules: dict, default_to: str = "") -> dict:
    """A listener with its default rule (fixed-response, or a forward to `default_to`) and `rules`, each given an ARN naming port and priority."""
    default_action = {"type": "forward", "target_group_arn": tg(default_to)} if default_to else {"type": "fixed-response"}
    default = {"priority": "default", "is_default": True, "conditions": [], "actions": [default_action]}
    every = [default, *rules]
    for each in every:
        each["rule_arn"] = f"{ELB}:listener-rule/app/{LB}/50dc6c495c0c9188/{port}/{each['priority']}"
    return {"listener_arn": listener_arn(port), "port": port, "protocol": "HTTP", "rules": every}


def listener_arn(port: int) -> str:
    return f"{ELB}:listener/app/{LB}/50dc6c495c0c9188/{port}"


def rule_arn(port: int, priority: int) -> str:
    return f"{ELB}:listener-rule/app/{LB}/50dc6c495c0c9188/{port}/{priority}"


def shop() -> dict:
    return rule(10, hosts=["shop.example.com"], to=["shop-blue", "shop-green"], weights=[100, 0])


def web(priority: int = 11, **given: object) -> dict:
    return rule(priority, **{"hosts": ["web.example.com"], "to": ["web-green", "web-blue"], "weights": [0, 100], "forward": "config", **given})


def shared(production=(), test=()) -> list[dict]:
    """The shared load balancer: another service (shop) at priority 10 on both listeners, plus `production` and `test` rules."""
    return [listener(80, shop(), *production), listener(9000, shop(), *test)]


def run(**asked: object) -> dict:
    request = {
        "load_balancer": LB,
        "listeners": shared(),
        "ports": {"production": 80, "test": 9000},
        "target_groups": ["web-blue", "web-green"],
        "hosts": ["web.example.com"],
        "paths": [],
        "priority": 0,
        **asked,
    }
    return listener_rule(request)


def described(found: dict) -> dict:
    """The keys the filter is described with (it may return more)."""
    return {key: found[key] for key in ("listeners", "rules", "priority", "conditions", "problems")}


def the_problem(found: dict, *words: str) -> str:
    """The one problem of `found`, which must contain every word."""
    assert len(found["problems"]) == 1, found["problems"]
    problem = found["problems"][0]
    for word in words:
        assert word in problem, (word, problem)
    return problem


def some_problem(found: dict, *words: str) -> str:
    """A problem of `found` that contains every word (others may exist)."""
    matching = [p for p in found["problems"] if all(w in p for w in words)]
    assert matching, (words, found["problems"])
    return matching[0]


def test_first_run_on_a_shared_load_balancer_goes_after_every_existing_rule() -> None:
    assert described(run()) == {
        "listeners": {"production": listener_arn(80), "test": listener_arn(9000)},
        "rules": {"production": "", "test": ""},
        "priority": 11,
        "conditions": [{"field": "host-header", "values": ["web.example.com"]}],
        "problems": [],
    }
    # The highest priority over both listeners, and 1 on listeners with only their default rule.
    assert run(listeners=shared(test=[rule(40, paths=["/admin/*"], to=["admin-blue"])]))["priority"] == 41
    assert run(listeners=[listener(80), listener(9000)])["priority"] == 1


def test_a_rerun_finds_its_own_rule_on_both_listeners() -> None:
    found = run(listeners=shared(production=[web()], test=[web()]))
    assert described(found) == {
        "listeners": {"production": listener_arn(80), "test": listener_arn(9000)},
        "rules": {"production": rule_arn(80, 11), "test": rule_arn(9000, 11)},
        "priority": 11,
        "conditions": [{"field": "host-header", "values": ["web.example.com"]}],
        "problems": [],
    }
    # Given the priority it has, with the numbers as strings; its rule found by target_group_arn alone, values only in host_header_config.
    ports = {"production": "80", "test": "9000"}
    own = [web(forward="arn", values="config"), rule(20, hosts=["later.example.com"], to=["later-blue"])]
    found = run(listeners=shared(production=own, test=[web(forward="both", values="plain")]), ports=ports, priority="11")
    assert (found["rules"], found["priority"], found["problems"]) == ({"production": rule_arn(80, 11), "test": rule_arn(9000, 11)}, 11, [])


def test_rules_that_are_not_its_own() -> None:
    # A default rule forwarding to web-blue, and a rule whose target group only starts with web-blue's name, are not web's.
    production = [listener(80, shop(), rule(12, hosts=["canary.example.com"], to=["web-blue-canary"]), default_to="web-blue")]
    found = run(listeners=production + [listener(9000, shop(), default_to="web-green")])
    assert (found["rules"], found["priority"], found["problems"]) == ({"production": "", "test": ""}, 13, [])


def test_own_rule_on_one_listener_only_gives_the_priority() -> None:
    found = run(listeners=shared(production=[web(priority=7)]))
    assert (found["rules"], found["priority"], found["problems"]) == ({"production": rule_arn(80, 7), "test": ""}, 7, [])
    found = run(listeners=shared(test=[web(priority=8)]))
    assert (found["rules"], found["priority"], found["problems"]) == ({"production": "", "test": rule_arn(9000, 8)}, 8, [])


def test_a_given_free_priority_is_used() -> None:
    found = run(priority="30", hosts=["web.example.com", "www.example.com"], paths=["/app/*", "/static/*"])
    assert found["priority"] == 30
    assert found["problems"] == []
    assert found["conditions"] == [
        {"field": "host-header", "values": ["web.example.com", "www.example.com"]},
        {"field": "path-pattern", "values": ["/app/*", "/static/*"]},
    ]
    assert run(hosts=[], paths=["/web/*"])["conditions"] == [{"field": "path-pattern", "values": ["/web/*"]}]


def test_a_priority_held_by_another_service_is_refused() -> None:
    # Held on both listeners: one problem per listener, or one naming both.
    found = run(priority=10)
    some_problem(found, "10", "80", "infrastructure_rule_priority")
    some_problem(found, "10", "9000", "infrastructure_rule_priority")
    # Held on the test listener only: the message names that listener's port.
    found = run(priority=25, listeners=shared(test=[rule(25, hosts=["api.example.com"], to=["api-blue"])]))
    the_problem(found, "25", "9000", "infrastructure_rule_priority")
    # Its own rule's priority taken on the other listener by another rule.
    found = run(listeners=[listener(80, web(priority=10)), listener(9000, shop())])
    the_problem(found, "10", "9000", "infrastructure_rule_priority")


def test_priority_out_of_range() -> None:
    for priority in (50001, -1, "60000"):
        the_problem(run(priority=priority), "infrastructure_rule_priority")
    found = run(priority=50000)
    assert (found["priority"], found["problems"]) == (50000, [])


def test_after_priority_50000_the_lowest_priority_free_on_both_listeners() -> None:
    production = [rule(50000, hosts=["last.example.com"], to=["last-blue"]), rule(1, hosts=["first.example.com"], to=["first-blue"])]
    test = [rule(2, hosts=["second.example.com"], to=["second-blue"])]
    found = run(listeners=[listener(80, *production), listener(9000, *test)])
    assert (found["priority"], found["problems"]) == (3, [])


def test_two_own_rules_on_one_listener() -> None:
    found = run(listeners=shared(production=[web(priority=11), web(priority=12, hosts=["www.example.com"])], test=[web(priority=11)]))
    some_problem(found, "11", "12")


def test_moving_its_rule_is_refused() -> None:
    the_problem(run(priority=12, listeners=shared(production=[web()], test=[web()])), "11", "infrastructure_rule_priority")
    # At 11 on production and 12 on test: the production rule's priority is the current one.
    some_problem(run(listeners=shared(production=[web(priority=11)], test=[web(priority=12)])), "11", "infrastructure_rule_priority")


def test_a_rule_with_the_same_host_is_a_conflict_whatever_the_case() -> None:
    taken = rule(20, hosts=["OTHER.EXAMPLE.COM", "WEB.Example.com"], to=["old-web-blue"])
    problem = the_problem(run(listeners=shared(test=[taken])), "20", "9000", "infrastructure_rule_hosts")
    assert "web.example.com" in problem.lower()
    assert "other.example.com" not in problem.lower()


def test_paths_are_compared_with_their_case() -> None:
    upper = rule(20, paths=["/API/*"], to=["api-blue"])
    assert run(hosts=[], paths=["/api/*"], listeners=shared(production=[upper]))["problems"] == []
    same = rule(20, paths=["/other/*", "/api/*"], values="config", to=["api-blue"])
    problem = the_problem(run(hosts=[], paths=["/api/*"], listeners=shared(production=[same])), "/api/*", "20", "80", "infrastructure_rule_paths")
    assert "/other/*" not in problem
    # Host and path both shared: a conflict.
    both = rule(20, hosts=["web.example.com"], paths=["/api/*"], to=["api-blue"])
    the_problem(run(paths=["/api/*"], listeners=shared(production=[both])), "20")


def test_rules_with_other_fields_or_other_conditions_are_no_conflict() -> None:
    header = {"field": "http-header", "http_header_config": {"http_header_name": "X-Canary", "values": ["1"]}}
    source = {"field": "source-ip", "source_ip_config": {"values": ["10.0.0.0/8"]}}

    def others() -> list[dict]:
        return [
            rule(20, hosts=["web.example.com"], to=["canary-blue"], other=[header]),
            rule(21, hosts=["web.example.com"], to=["office-blue"], other=[source]),
            rule(22, hosts=["web.example.com"], to=["legacy-blue"]),  # host only, ours host and path
            rule(23, hosts=["web.example.com"], paths=["/api/*"], to=["cms-blue"], values="config"),  # same fields, no shared path
        ]

    found = run(paths=["/app/*"], listeners=shared(production=others(), test=others()[:2]))
    assert (found["priority"], found["problems"]) == (24, [])
    # Without the extra condition the same rule is a conflict.
    the_problem(run(listeners=shared(production=[rule(20, hosts=["web.example.com"], to=["canary-blue"])])), "20", "80")


def test_a_missing_listener() -> None:
    found = run(listeners=[listener(80, shop()), listener(443, shop())])
    problem = the_problem(found, "9000", LB, "infrastructure_test_port", "80", "443")
    assert "infrastructure_production_port" not in problem
    assert found["listeners"] == {"production": listener_arn(80), "test": ""}
    assert found["rules"]["test"] == ""
    found = run(ports={"production": 8080, "test": 9000})
    the_problem(found, "8080", LB, "infrastructure_production_port", "80", "9000")
    assert found["listeners"] == {"production": "", "test": listener_arn(9000)}


def test_conditions_asked_for() -> None:
    found = run(hosts=[], paths=[])
    the_problem(found, "infrastructure_rule_hosts", "infrastructure_rule_paths")
    assert found["conditions"] == []
    # Five values of 128 characters at most are fine; a sixth value, or a 129th character, is refused.
    long = "a" * 124 + ".com"
    assert run(hosts=[long, "web.example.com"], paths=["/a", "/b", "/c"])["problems"] == []
    the_problem(run(hosts=["web.example.com", "www.example.com"], paths=["/a", "/b", "/c", "/d"]), "5")
    assert len(run(hosts=["b" + long])["problems"]) == 1
    assert len(run(paths=["/" + "p" * 128])["problems"]) == 1


@pytest.mark.parametrize("host", ["*.example.com", "api-v2.example.com", "web_1.example.co", "shop?.example.com", "example.*"])
def test_hosts_aws_takes(host: str) -> None:
    assert run(hosts=[host])["problems"] == []


@pytest.mark.parametrize("host", ["localhost", "web.example.com.", "web example.com", "web.example.com:80", "wëb.example.com", "web.example/x"])
def test_hosts_aws_refuses(host: str) -> None:
    the_problem(run(hosts=[host]), "infrastructure_rule_hosts", host, "at least one '.'")


def test_paths_aws_takes_and_refuses() -> None:
    assert run(hosts=[], paths=["/api/*", "/a-b_c.d/$x~'@:+;&?", '/q"'])["problems"] == []
    for path in ["/a b", "/a%20b", "/a#b", "/a/{id}"]:
        the_problem(run(hosts=[], paths=[path]), "infrastructure_rule_paths", path)


def test_bad_input_and_the_filter_module() -> None:
    with pytest.raises(TypeError):
        listener_rule([{"load_balancer": LB}])
    with pytest.raises(TypeError):
        listener_rule("shared-alb")
    assert FilterModule().filters()["listener_rule"] is listener_rule
