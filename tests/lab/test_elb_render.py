"""Unit tests of the pure HAProxy rendering (lab/elb/render.py): table-driven, no running HAProxy.

The last tests hand the rendered config to ``haproxy -c`` (the Debian binary) to
prove it is a config HAProxy accepts, not just text that looks right.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from types import SimpleNamespace

import pytest

from lab.elb.model import (
    DEFAULT_PRIORITY,
    Action,
    Condition,
    ElbWorld,
    HealthCheck,
    Listener,
    LoadBalancer,
    Rule,
    Target,
    TargetGroup,
    WeightedGroup,
    admitted_sources,
)
from lab.elb.render import (
    BUCKETS,
    FAULT_CHECK_PORT,
    NO_ROUTE,
    Paths,
    ServerLine,
    Timing,
    admission,
    apportion,
    backend_name,
    bucket_backends,
    check_port,
    codes_regex,
    condition_acl,
    expand_codes,
    http_check_expect,
    parse_map,
    quoted_string,
    redirect_location,
    render,
    render_map,
    server_args,
    wildcard_regex,
)

BLUE = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/blue/0123456789abcdef"
GREEN = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/green/fedcba9876543210"
LISTENER = "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/web/1111/2222"


def group(arn: str = BLUE, name: str = "blue", targets: tuple[Target, ...] = (), **health: object) -> TargetGroup:
    return TargetGroup(arn, name, "HTTP", 8080, HealthCheck(**health), 300.0, targets)  # type: ignore[arg-type]


def default_rule(*groups: WeightedGroup) -> Rule:
    return Rule(f"{LISTENER}/default", DEFAULT_PRIORITY, (), Action("forward", groups))


def world(*rules: Rule, groups: tuple[TargetGroup, ...] = (), lb_type: str = "application", protocol: str = "HTTP") -> ElbWorld:
    listener = Listener(LISTENER, 80, protocol, rules)
    lb = LoadBalancer("arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/web/1111", "web", lb_type, "127.0.1.1", (listener,))
    return ElbWorld((lb,), groups or (group(), group(GREEN, "green")))


# matcher -> http-check expect -----------------------------------------------------------


@pytest.mark.parametrize(
    ("matcher", "codes"),
    [
        ("200", [200]),
        ("200,302", [200, 302]),
        ("200-204", [200, 201, 202, 203, 204]),
        ("200-201, 404", [200, 201, 404]),
        ("302,200,200", [200, 302]),
    ],
)
def test_expand_codes(matcher: str, codes: list[int]) -> None:
    assert expand_codes(matcher) == codes


@pytest.mark.parametrize(
    "matcher",
    ["200", "200,302", "200-299", "200-399", "200-499", "201-215", "200,204,299,301-308,404", "250-262"],
)
def test_codes_regex_admits_exactly_the_matcher_codes(matcher: str) -> None:
    pattern = re.compile(codes_regex(expand_codes(matcher)))
    admitted = [code for code in range(100, 600) if pattern.match(str(code))]
    assert admitted == expand_codes(matcher)


@pytest.mark.parametrize(
    ("matcher", "line"),
    [
        ("200", "http-check expect status 200"),
        ("200-299", "http-check expect rstatus '^(2[0-9][0-9])$'"),
        ("200,302", "http-check expect rstatus '^(200|302)$'"),
        ("200-209,302", "http-check expect rstatus '^(20[0-9]|302)$'"),
    ],
)
def test_http_check_expect(matcher: str, line: str) -> None:
    assert http_check_expect(matcher) == line


# wildcards and conditions ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "matches", "misses"),
    [
        ("/api/*", ["/api/", "/api/v1/x"], ["/api", "/apix", "/x/api/"]),
        ("/v?/x", ["/v1/x", "/vA/x"], ["/v12/x", "/v/x"]),
        ("*.example.com", ["a.example.com", ".example.com"], ["example.com", "a.exampleXcom"]),
        ("a+b(c)", ["a+b(c)"], ["aab(c)", "a+bc"]),
        ("it's", ["it's"], ["its"]),
    ],
)
def test_wildcard_regex(pattern: str, matches: list[str], misses: list[str]) -> None:
    regex = re.compile(f"^{wildcard_regex(pattern)}$")
    assert [m for m in matches if regex.match(m)] == matches
    assert [m for m in misses if regex.match(m)] == []
    assert "'" not in wildcard_regex(pattern)  # it goes between single quotes


@pytest.mark.parametrize(
    ("condition", "acl"),
    [
        (Condition("path-pattern", ("/api/*",)), "{ path -m reg '^/api/.*$' }"),
        (Condition("path-pattern", ("/a", "/b")), "{ path -m reg '^/a$' '^/b$' }"),
        (Condition("host-header", ("*.example.com",)), "{ req.hdr(host),field(1,:) -i -m reg '^.*\\x2eexample\\x2ecom$' }"),
        (Condition("http-header", ("blue*",), header="X-Env"), "{ req.fhdr(X-Env) -i -m reg '^blue.*$' }"),
        (Condition("http-request-method", ("GET", "POST")), "{ method -m str GET POST }"),
        (Condition("source-ip", ("10.0.0.0/8", "bad value")), "{ src 10.0.0.0/8 }"),
        (Condition("query-string", (), pairs=(("v", "beta"),)), "{ query -i -m reg '^(.*&)?(v=beta)(&.*)?$' }"),
        (Condition("something-new", ("x",)), "{ always_false }"),
    ],
)
def test_condition_acl(condition: Condition, acl: str) -> None:
    assert condition_acl(condition) == acl


def test_conditions_of_a_rule_are_anded_in_one_use_backend_line() -> None:
    rule = Rule(
        "arn:rule/1",
        10,
        (Condition("path-pattern", ("/api/*",)), Condition("http-header", ("blue",), header="X-Env")),
        Action("forward", (WeightedGroup(GREEN),)),
    )
    text = render(world(rule, default_rule(WeightedGroup(BLUE))), Paths(Path("/tmp/lab-elb")), {}, Timing()).text
    line = next(li for li in text.splitlines() if li.strip().startswith("use_backend") and "path -m reg" in li)
    # Two anonymous ACLs after one "if", no "||": HAProxy ANDs them.
    assert line.count("{") == 2 and "||" not in line and " if " in line


def test_rules_render_in_priority_order_with_the_default_last() -> None:
    rules = (
        Rule("arn:rule/a", 5, (Condition("path-pattern", ("/a",)),), Action("fixed-response", status=200, body="a")),
        Rule("arn:rule/b", 7, (Condition("path-pattern", ("/b",)),), Action("forward", (WeightedGroup(GREEN),))),
        default_rule(WeightedGroup(BLUE)),
    )
    text = render(world(*rules), Paths(Path("/tmp/lab-elb")), {}, Timing()).text
    comments = [li.strip() for li in text.splitlines() if li.strip().startswith("# priority")]
    assert comments == ["# priority 5: arn:rule/a", "# priority 7: arn:rule/b", f"# priority default: {LISTENER}/default"]


# weights ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("weights", "counts"),
    [
        ([1], [BUCKETS]),
        ([90, 10], [900, 100]),
        ([1, 1, 1], [334, 333, 333]),
        ([0, 100], [0, 1000]),
        ([999, 1], [999, 1]),
        ([0, 0], [0, 0]),
        ([2, 1], [667, 333]),
    ],
)
def test_apportion(weights: list[int], counts: list[int]) -> None:
    assert apportion(weights) == counts


def test_bucket_backends_split_by_weight_and_unknown_groups_do_not_route() -> None:
    rule = default_rule(WeightedGroup(BLUE, 30), WeightedGroup(GREEN, 70), WeightedGroup("arn:gone", 0))
    table = bucket_backends(rule, {BLUE: "tg_blue", GREEN: "tg_green"})
    assert len(table) == BUCKETS
    assert table.count("tg_blue") == 300 and table.count("tg_green") == 700
    zero_weight_unknown = bucket_backends(default_rule(WeightedGroup("arn:gone", 1)), {})
    assert set(zero_weight_unknown) == {NO_ROUTE}


def test_render_map_has_every_bucket_of_every_forward_rule() -> None:
    rules = (
        Rule("arn:rule/fixed", 1, (), Action("fixed-response", status=404)),
        default_rule(WeightedGroup(BLUE, 1), WeightedGroup(GREEN, 1)),
    )
    entries = parse_map(render_map(Listener(LISTENER, 80, "HTTP", rules), {BLUE: "tg_blue", GREEN: "tg_green"}))
    assert len(entries) == BUCKETS
    assert sorted(set(entries.values())) == ["tg_blue", "tg_green"]


# timing ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("scale", "interval", "timeout", "delay", "expected"),
    [
        (1.0, 30, 5, 300, (2.0, 2.0, 10.0)),  # capped so a rolling update stays near 30 s
        (10.0, 10, 5, 20, (1.0, 1.5, 2.0)),  # the timeout floor: a busy machine's healthy task stays in
        (100.0, 5, 2, 0, (0.2, 1.5, 0.0)),  # floors keep HAProxy's checks sane
        (1.0, 1, 0.6, 3, (1.0, 1.5, 3.0)),
        (1.0, 30, 1.8, 3, (2.0, 1.8, 3.0)),
    ],
)
def test_timing_scales_and_clamps(scale: float, interval: float, timeout: float, delay: float, expected: tuple[float, float, float]) -> None:
    timing = Timing(lambda s: s / scale)
    health = HealthCheck(interval=interval, timeout=timeout)
    tg = TargetGroup(BLUE, "blue", "HTTP", 80, health, delay)
    assert (timing.interval(health), timing.timeout(health), timing.drain(tg)) == pytest.approx(expected)


# servers ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("health", "fault", "expected_port"),
    [
        (HealthCheck(port="traffic-port"), False, 8080),
        (HealthCheck(port="9000"), False, 9000),
        (HealthCheck(port="9000"), True, FAULT_CHECK_PORT),
        (HealthCheck(port="traffic-port"), True, FAULT_CHECK_PORT),
    ],
)
def test_check_port(health: HealthCheck, fault: bool, expected_port: int) -> None:
    tg = TargetGroup(BLUE, "blue", "HTTP", 8080, health, unhealthy_fault=fault)
    assert check_port(tg, Target("127.0.2.1", 8080)) == expected_port


@pytest.mark.parametrize(
    ("tg", "explicit", "args"),
    [
        (group(), False, ["check"]),
        (group(interval=1, healthy_threshold=3, unhealthy_threshold=4), True, ["check", "inter", "1000ms", "fall", "4", "rise", "3"]),
        (group(port="9000"), False, ["check", "port", "9000"]),
        (group(enabled=False), True, []),
        (TargetGroup(BLUE, "blue", "HTTPS", 8080, HealthCheck(protocol="HTTPS")), False, ["ssl", "verify", "none", "check", "check-ssl", "verify", "none"]),
    ],
)
def test_server_args(tg: TargetGroup, explicit: bool, args: list[str]) -> None:
    assert server_args(tg, Target("127.0.2.1", 8080), Timing(), explicit) == args


# the structure hash ------------------------------------------------------------------------------


def test_structure_hash_ignores_servers_and_weights_but_not_rules_or_health_settings() -> None:
    paths, timing = Paths(Path("/tmp/lab-elb")), Timing()
    base = world(default_rule(WeightedGroup(BLUE, 90), WeightedGroup(GREEN, 10)))
    reweighted = world(default_rule(WeightedGroup(BLUE, 10), WeightedGroup(GREEN, 90)))
    swapped = world(default_rule(WeightedGroup(GREEN, 90), WeightedGroup(BLUE, 10)))
    with_rule = world(
        Rule("arn:rule/x", 1, (Condition("path-pattern", ("/x",)),), Action("forward", (WeightedGroup(GREEN),))), *base.load_balancers[0].listeners[0].rules
    )
    slower_checks = ElbWorld(base.load_balancers, (group(healthy_threshold=3), group(GREEN, "green")))
    servers = {BLUE: [ServerLine(Target("127.0.2.1", 8080)), ServerLine(Target("127.0.2.2", 8080), disabled=True)]}

    reference = render(base, paths, {}, timing)
    assert render(base, paths, servers, timing).structure_hash == reference.structure_hash
    assert render(reweighted, paths, {}, timing).structure_hash == reference.structure_hash
    assert render(swapped, paths, {}, timing).structure_hash == reference.structure_hash
    assert render(reweighted, paths, {}, timing).maps != reference.maps
    assert render(with_rule, paths, {}, timing).structure_hash != reference.structure_hash
    assert render(slower_checks, paths, {}, timing).structure_hash != reference.structure_hash


def test_unused_target_groups_get_no_backend() -> None:
    text = render(world(default_rule(WeightedGroup(BLUE))), Paths(Path("/tmp/lab-elb")), {}, Timing()).text
    assert f"backend {backend_name(BLUE, 'blue')}" in text
    assert f"backend {backend_name(GREEN, 'green')}" not in text


def test_render_refuses_paths_that_would_break_sample_expressions() -> None:
    with pytest.raises(ValueError):
        render(world(default_rule(WeightedGroup(BLUE))), Paths(Path("/tmp/a dir,with(odd)")), {}, Timing())


# fixed responses and redirects ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "word"),
    [
        ("plain", '"plain"'),
        ('say "hi"', '"say \\x22hi\\x22"'),
        ("$HOME 100%\n", '"\\x24HOME 100\\x25\\x0a"'),
        ("é", '"\\xc3\\xa9"'),
    ],
)
def test_quoted_string(text: str, word: str) -> None:
    assert quoted_string(text) == word


@pytest.mark.parametrize(
    ("config", "location", "passes_query"),
    [
        ({}, "http://%[req.hdr(host),field(1,:)]:80/%[path,regsub(^/,)]", True),
        ({"Protocol": "HTTPS", "Port": "443", "StatusCode": "HTTP_301"}, "https://%[req.hdr(host),field(1,:)]:443/%[path,regsub(^/,)]", True),
        ({"Host": "new.example.com", "Path": "/moved", "Query": ""}, "http://new.example.com:80/moved", False),
        ({"Path": "/x/#{path}", "Query": "a=1&#{query}"}, "http://%[req.hdr(host),field(1,:)]:80/x/%[path,regsub(^/,)]?a=1&%[query]", False),
        ({"Path": "/100%"}, "http://%[req.hdr(host),field(1,:)]:80/100%%", True),
    ],
)
def test_redirect_location(config: dict[str, str], location: str, passes_query: bool) -> None:
    action = Action("redirect", redirect=tuple(sorted(config.items())))
    assert redirect_location(action, Listener(LISTENER, 80, "HTTP", ())) == (location, passes_query)


# HAProxy accepts what is rendered -----------------------------------------------------------------


def full_world() -> ElbWorld:
    rules = (
        Rule(
            "arn:rule/1",
            1,
            (Condition("path-pattern", ("/api/*", "/v?/x")), Condition("http-header", ("blue*",), header="X-Env")),
            Action("fixed-response", status=418, content_type="text/plain", body='tea "pot" $HOME'),
        ),
        Rule(
            "arn:rule/2",
            2,
            (Condition("host-header", ("*.example.com",)), Condition("query-string", (), pairs=(("a", "b*"), ("", "x")))),
            Action("redirect", redirect=(("StatusCode", "HTTP_301"),)),
        ),
        Rule(
            "arn:rule/3", 3, (Condition("http-request-method", ("GET",)), Condition("source-ip", ("127.0.0.0/8",))), Action("forward", (WeightedGroup(GREEN),))
        ),
        Rule("arn:rule/4", 4, (Condition("path-pattern", ("/empty",)),), Action("fixed-response", status=204)),
        default_rule(WeightedGroup(BLUE, 90), WeightedGroup(GREEN, 10)),
    )
    alb = LoadBalancer("arn:lb/app", "web", "application", "127.0.1.1", (Listener(LISTENER, 80, "HTTP", rules, admits=("10.0.0.0/8", "127.0.0.3/32")),))
    tcp_group = TargetGroup("arn:tg/tcp", "tcp", "TCP", 9000, HealthCheck(protocol="TCP"), targets=(Target("127.0.2.9", 9000),))
    nlb = LoadBalancer(
        "arn:lb/net",
        "net",
        "network",
        "127.0.1.2",
        (
            Listener(
                "arn:listener/net",
                9000,
                "TCP",
                (Rule("arn:listener/net/default", DEFAULT_PRIORITY, (), Action("forward", (WeightedGroup(tcp_group.arn),))),),
                admits=(),
            ),
        ),
    )
    groups = (
        group(targets=(Target("127.0.2.1", 8080),), matcher="200-299,302", path="/health?deep=1"),
        group(GREEN, "green", targets=(Target("127.0.2.2", 8080),), port="9000"),
        tcp_group,
    )
    return ElbWorld((alb, nlb), groups)


@pytest.mark.skipif(shutil.which("haproxy") is None, reason="haproxy is not installed")
def test_haproxy_accepts_the_rendered_config(tmp_path: Path) -> None:
    w = full_world()
    servers = {g.arn: [ServerLine(t, disabled=(i % 2 == 1)) for i, t in enumerate(g.targets)] for g in w.target_groups}
    rendered = render(w, Paths(tmp_path), servers, Timing())
    (tmp_path / "maps").mkdir()
    for path, content in rendered.maps.items():
        path.write_text(content)
    (tmp_path / "server-state").write_text("")
    config = tmp_path / "haproxy.cfg"
    config.write_text(rendered.text)
    result = subprocess.run(["haproxy", "-c", "-f", str(config)], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "[ALERT]" not in result.stderr


@pytest.mark.parametrize(
    ("protocol", "tls", "bind"),
    [
        ("HTTP", True, "  bind 127.0.1.1:80"),
        ("HTTPS", True, "  bind 127.0.1.1:80 ssl crt /tmp/lab-elb/lab-tls.pem"),
        ("HTTPS", False, "  bind 127.0.1.1:80"),  # no certificate (no openssl): served as plain HTTP
    ],
)
def test_https_listeners_terminate_tls_with_the_lab_certificate(protocol: str, tls: bool, bind: str) -> None:
    text = render(world(default_rule(WeightedGroup(BLUE)), protocol=protocol), Paths(Path("/tmp/lab-elb")), {}, Timing(), tls).text
    assert bind in text.splitlines()
    assert f"X-Forwarded-Proto {protocol.lower()}" in text


def test_a_listener_admits_the_sources_of_its_security_groups_inbound_rules() -> None:
    """Rules for the port (or every protocol) give the sources; 0.0.0.0/0 or no group but the default one: everyone."""

    def rule(cidr: str, low: int | None = 80, high: int | None = 80, protocol: str = "tcp", source_group: str = "") -> SimpleNamespace:
        return SimpleNamespace(ip_protocol=protocol, from_port=low, to_port=high, ip_range={"CidrIp": cidr} if cidr else {}, source_group=source_group)

    listeners = SimpleNamespace(is_default=False, ingress_rules=[rule("10.0.0.0/8", 80, 443), rule("127.0.0.3/32", 9000, 9000), rule("", source_group="sg-x")])
    everything = SimpleNamespace(is_default=False, ingress_rules=[rule("192.0.2.0/24", None, None, protocol="-1"), rule("198.51.100.0/24", protocol="udp")])
    default = SimpleNamespace(is_default=True, ingress_rules=[])
    assert admitted_sources([listeners], 80) == ("10.0.0.0/8",)
    assert admitted_sources([listeners], 9000) == ("127.0.0.3/32",)
    assert admitted_sources([listeners], 8080) == ()
    assert admitted_sources([listeners, everything, default], 8080) == ("192.0.2.0/24",)
    assert admitted_sources([SimpleNamespace(is_default=False, ingress_rules=[rule("0.0.0.0/0")])], 80) is None
    assert admitted_sources([default], 80) is None and admitted_sources([], 80) is None

    assert admission(Listener(LISTENER, 80, "HTTP", ())) == []
    assert admission(Listener(LISTENER, 80, "HTTP", (), admits=()))[-1] == "  tcp-request connection reject"
    assert admission(Listener(LISTENER, 80, "HTTP", (), admits=("10.0.0.0/8", "127.0.0.3/32"))) == [
        "  tcp-request connection reject unless { src 10.0.0.0/8 127.0.0.3/32 }"
    ]
