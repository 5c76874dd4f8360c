"""ELBv2 state -> HAProxy configuration and routing maps. Pure: no I/O, no clock.

Layout of what is rendered (names are stable across renders):

- one ``frontend`` per listener, bound on the load balancer's loopback address;
- one ``backend`` per target group that some rule forwards to (``unused``
  groups get none: AWS does not health-check them either);
- one small backend per fixed-response or redirect rule, and ``be_no_route``.

Forward actions are routed through a map file per listener: each request draws
a bucket in ``0..BUCKETS-1`` and the map sends ``<rule>/<bucket>`` to a target
group's backend. The buckets of a rule are split among its target groups by
weight, so weight changes (and swapping which group a rule forwards to) are map
commits at run time, never reloads. The rest (listeners, rules, conditions,
health-check settings) is the *structure*: when it changes the config is
reloaded.

Servers are not part of the structure either. They come in as ``ServerLine``s
so a reload keeps every server HAProxy already has (their state comes back
from the server-state file); new ones are rendered ``disabled`` and activated
by the controller exactly like servers added at run time.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from lab.elb.model import Action, Condition, ElbWorld, HealthCheck, Listener, LoadBalancer, Rule, Target, TargetGroup, short_hash

BUCKETS = 1000  # AWS weights are 0..999: a thousand buckets give every weight its exact share
NO_ROUTE = "be_no_route"
FAULT_CHECK_PORT = 1  # nothing listens on port 1 of a task address: checks fail with "connection refused"
HEALTH_CHECK_USER_AGENT = "ELB-HealthChecker/2.0"

# Lab seconds. AWS's defaults (30 s interval, 5 healthy checks, 300 s delay) would make a
# rolling update of two tasks take minutes at LAB_TIME_SCALE=1; these keep it near 30 s.
INTERVAL_CAP = 2.0
INTERVAL_FLOOR = 0.2
# A scaled 5 s timeout is 0.25 s at LAB_TIME_SCALE=20: a healthy task on a busy 2-core machine
# answered later than that and HAProxy took it out (failed requests no AWS ELB would cause). A dead
# task refuses at once, so the floor slows only the detection of a hung one.
TIMEOUT_FLOOR = 1.5
DRAIN_CAP = 10.0

Scale = Callable[[float], float]


def identity(seconds: float) -> float:
    return seconds


@dataclass(frozen=True)
class Timing:
    """AWS seconds -> lab seconds. ``scale`` is ``lab.clock.scaled`` in the lab, identity in tests."""

    scale: Scale = identity

    def interval(self, health: HealthCheck) -> float:
        return max(INTERVAL_FLOOR, min(self.scale(health.interval), INTERVAL_CAP))

    def timeout(self, health: HealthCheck) -> float:
        # AWS requires timeout < interval; keep that order after capping the interval.
        return max(TIMEOUT_FLOOR, min(self.scale(health.timeout), self.interval(health)))

    def drain(self, group: TargetGroup) -> float:
        return max(0.0, min(self.scale(group.deregistration_delay), DRAIN_CAP))


@dataclass(frozen=True)
class Paths:
    """Where HAProxy's files go. ``sockets``: a short directory for the two UNIX sockets
    (their paths must stay under 108 bytes, and a test's LAB_DIR can be long); ``directory``
    when not given."""

    directory: Path
    sockets: Path | None = None
    socket_prefix: str = ""  # another HAProxy of the same lab (the registry's gate) in the same socket directory

    @property
    def config(self) -> Path:
        return self.directory / "haproxy.cfg"

    @property
    def admin_socket(self) -> Path:
        return (self.sockets or self.directory) / f"{self.socket_prefix}admin.sock"

    @property
    def master_socket(self) -> Path:
        return (self.sockets or self.directory) / f"{self.socket_prefix}master.sock"

    @property
    def server_state(self) -> Path:
        return self.directory / "server-state"

    @property
    def certificate(self) -> Path:
        """Self-signed certificate and key (PEM) that HTTPS and TLS listeners present."""
        return self.directory / "lab-tls.pem"

    @property
    def pid_file(self) -> Path:
        return self.directory / "haproxy.pid"

    @property
    def maps(self) -> Path:
        return self.directory / "maps"

    def map_file(self, listener_arn: str) -> Path:
        return self.maps / f"{frontend_name_hash(listener_arn)}.map"


@dataclass(frozen=True)
class ServerLine:
    """A server to put in the config: what HAProxy has now, or a new one (``disabled``); ``fail_open``: the
    target's unchecked backup twin (:func:`fail_open_name`)."""

    target: Target
    disabled: bool = False
    fail_open: bool = False


@dataclass(frozen=True)
class RenderedConfig:
    text: str
    structure_hash: str
    maps: dict[Path, str] = field(default_factory=dict)  # map file -> content


# names -------------------------------------------------------------------------------


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name)[:40]


def backend_name(group_arn: str, group_name: str) -> str:
    return f"tg_{_safe(group_name)}_{short_hash(group_arn)}"


def frontend_name_hash(listener_arn: str) -> str:
    return f"l{short_hash(listener_arn, 10)}"


def frontend_name(lb: LoadBalancer, listener: Listener) -> str:
    return f"fe_{_safe(lb.name)}_{listener.port}_{short_hash(listener.arn)}"


def rule_key(rule: Rule) -> str:
    return f"r{short_hash(rule.arn, 10)}"


def action_backend_name(rule: Rule) -> str:
    return f"be_{'fixed' if rule.action.kind == 'fixed-response' else 'redirect'}_{short_hash(rule.arn, 10)}"


def server_name(target: Target) -> str:
    return f"t-{target.ip}-{target.port}"


# Fail-open: "If a target group contains only unhealthy registered targets, the load balancer routes
# requests to all those targets" (Application Load Balancers, "Health checks for your target groups").
# Every registered target of a checked group has a twin: the same address, a ``backup`` server without
# checks, which HAProxy uses only while no checked server is in service (up, and not held in drain
# before its first passing check); ``option allbackups`` spreads requests over all of them. A target
# that deregisters loses its twin at once: draining targets get no new requests, fail-open or not.
FAIL_OPEN_PREFIX = "o-"


def fail_open_name(target: Target) -> str:
    return f"{FAIL_OPEN_PREFIX}{target.ip}-{target.port}"


def is_fail_open(name: str) -> bool:
    return name.startswith(FAIL_OPEN_PREFIX)


def fail_open_args(group: TargetGroup) -> list[str]:
    return (["ssl", "verify", "none"] if group.protocol == "HTTPS" else []) + ["backup"]


# quoting -----------------------------------------------------------------------------

_PLAIN = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
_REGEX_PLAIN = _PLAIN | frozenset("/-_~%:@,;=&!<>")
_STRING_PLAIN = _PLAIN | frozenset(" .,-_/:;=+()!?*@&<>[]{}|~^")


def _hex_escape(text: str, keep: frozenset[str]) -> str:
    return "".join(c if c in keep else "".join(f"\\x{b:02x}" for b in c.encode()) for c in text)


def quoted_string(text: str) -> str:
    """A double-quoted config word holding ``text`` exactly (``$``, quotes, newlines escaped)."""
    return f'"{_hex_escape(text, _STRING_PLAIN)}"'


def wildcard_regex(pattern: str, star: str = ".*") -> str:
    """AWS condition wildcards (``*`` any run, ``?`` one character) as an anchored PCRE body."""
    parts = []
    for char in pattern:
        if char == "*":
            parts.append(star)
        elif char == "?":
            parts.append(".")
        else:
            parts.append(_hex_escape(char, _REGEX_PLAIN))
    return "".join(parts)


def regex_word(body: str) -> str:
    """A regex as a strongly quoted config word. The body never holds a quote (those are ``\\x27``)."""
    return f"'^{body}$'"


# health checks -----------------------------------------------------------------------


def expand_codes(matcher: str) -> list[int]:
    """``"200,302"`` or ``"200-299"`` (or a mix) -> every code it admits, sorted."""
    codes: set[int] = set()
    for part in matcher.replace(" ", "").split(","):
        if not part:
            continue
        if "-" in part:
            low, high = (int(x) for x in part.split("-", 1))
            codes.update(range(low, high + 1))
        else:
            codes.add(int(part))
    return sorted(codes)


def codes_regex(codes: Sequence[int]) -> str:
    """An exact regex for a set of 3-digit codes: full hundreds and tens collapse to ``[0-9]``."""
    wanted = set(codes)
    alternatives: list[str] = []
    for hundred in sorted({c // 100 for c in wanted}):
        base = hundred * 100
        if all(base + i in wanted for i in range(100)):
            alternatives.append(f"{hundred}[0-9][0-9]")
            continue
        for ten in range(10):
            start = base + ten * 10
            units = [u for u in range(10) if start + u in wanted]
            if len(units) == 10:
                alternatives.append(f"{hundred}{ten}[0-9]")
            elif len(units) == 1:
                alternatives.append(str(start + units[0]))
            elif units:
                alternatives.append(f"{hundred}{ten}[{''.join(str(u) for u in units)}]")
    return f"^({'|'.join(alternatives)})$"


def http_check_expect(matcher: str) -> str:
    codes = expand_codes(matcher)
    if len(codes) == 1:
        return f"http-check expect status {codes[0]}"
    return f"http-check expect rstatus {regex_word(codes_regex(codes)[1:-1])}"


def check_port(group: TargetGroup, target: Target) -> int:
    """The port HAProxy checks: the fault port, the configured health port, or the traffic port."""
    if group.unhealthy_fault:
        return FAULT_CHECK_PORT
    if group.health.port.isdigit():
        return int(group.health.port)
    return target.port


def server_args(group: TargetGroup, target: Target, timing: Timing, explicit: bool) -> list[str]:
    """Arguments after ``<ip>:<port>``. ``explicit``: for ``add server``, which ignores default-server."""
    args: list[str] = []
    if group.protocol == "HTTPS":
        args += ["ssl", "verify", "none"]
    if group.health.enabled:
        args.append("check")
        if group.health.protocol == "HTTPS":
            args += ["check-ssl", "verify", "none"]
        port = check_port(group, target)
        if port != target.port:
            args += ["port", str(port)]
        if explicit:
            args += health_args(group.health, timing)
    return args


def health_args(health: HealthCheck, timing: Timing) -> list[str]:
    return ["inter", _ms(timing.interval(health)), "fall", str(health.unhealthy_threshold), "rise", str(health.healthy_threshold)]


def _ms(seconds: float) -> str:
    return f"{max(1, round(seconds * 1000))}ms"


# conditions --------------------------------------------------------------------------


def condition_acl(condition: Condition) -> str:
    """One AWS condition as an anonymous ACL; its values are ORed inside it."""
    kind = condition.field
    if kind == "path-pattern":
        return "{ path -m reg " + " ".join(regex_word(wildcard_regex(v)) for v in condition.values) + " }"
    if kind == "host-header":
        return "{ req.hdr(host),field(1,:) -i -m reg " + " ".join(regex_word(wildcard_regex(v)) for v in condition.values) + " }"
    if kind == "http-header":
        header = _safe(condition.header) or "x"
        return "{ req.fhdr(" + header + ") -i -m reg " + " ".join(regex_word(wildcard_regex(v)) for v in condition.values) + " }"
    if kind == "http-request-method":
        return "{ method -m str " + " ".join(_safe(v) for v in condition.values) + " }"
    if kind == "source-ip":
        return "{ src " + " ".join(v for v in condition.values if all(c in "0123456789abcdefABCDEF.:/" for c in v)) + " }"
    if kind == "query-string":
        alternatives = []
        for key, value in condition.pairs:
            key_re = wildcard_regex(key, "[^&=]*") if key else "[^&=]*"
            alternatives.append(f"{key_re}={wildcard_regex(value, '[^&]*')}")
        return "{ query -i -m reg " + regex_word(f"(.*&)?({'|'.join(alternatives)})(&.*)?") + " }"
    # An unknown condition must never widen a rule: make it match nothing.
    return "{ always_false }"


def rule_condition(rule: Rule) -> str:
    return " ".join(condition_acl(c) for c in rule.conditions)


# weights -----------------------------------------------------------------------------


def apportion(weights: Sequence[int], buckets: int = BUCKETS) -> list[int]:
    """Buckets per weight, summing to ``buckets`` (largest remainder); all zero weights get none."""
    total = sum(max(0, w) for w in weights)
    if total == 0:
        return [0 for _ in weights]
    exact = [max(0, w) * buckets / total for w in weights]
    counts = [int(x) for x in exact]
    by_remainder = sorted(range(len(weights)), key=lambda i: (-(exact[i] - counts[i]), i))
    for i in by_remainder[: buckets - sum(counts)]:
        counts[i] += 1
    return counts


def bucket_backends(rule: Rule, backends: Mapping[str, str]) -> list[str]:
    """The backend of each bucket of a forward rule (``backends``: group ARN -> backend name)."""
    groups = rule.action.groups
    counts = apportion([g.weight for g in groups])
    table: list[str] = []
    for group, count in zip(groups, counts, strict=True):
        table += [backends.get(group.arn, NO_ROUTE)] * count
    return table + [NO_ROUTE] * (BUCKETS - len(table))


def render_map(listener: Listener, backends: Mapping[str, str]) -> str:
    lines = []
    for rule in listener.rules:
        if rule.action.kind != "forward":
            continue
        key = rule_key(rule)
        lines += [f"{key}/{i} {backend}" for i, backend in enumerate(bucket_backends(rule, backends))]
    return "\n".join(lines) + ("\n" if lines else "")


def parse_map(text: str) -> dict[str, str]:
    entries = {}
    for line in text.splitlines():
        key, _, value = line.strip().partition(" ")
        if key and not key.startswith("#"):
            entries[key] = value.strip()
    return entries


# sections ----------------------------------------------------------------------------


def process_global(paths: Paths) -> list[str]:
    """The ``global`` lines every lab HAProxy has: the runtime API socket (which hands the listeners
    to the next worker on a reload), a bound on old workers, one thread."""
    return [
        "global",
        f"  stats socket {paths.admin_socket} mode 600 level admin expose-fd listeners",
        "  stats timeout 30s",
        "  hard-stop-after 30s",
        # One thread: HAProxy 2.6.12 (Debian 12's) corrupted its heap deleting servers at run time
        # (see REMOVAL_GRACE_SECONDS in lab/elb/haproxy.py).
        "  nbthread 1",
    ]


def global_section(paths: Paths) -> list[str]:
    return [
        *process_global(paths),
        f"  server-state-file {paths.server_state}",
        "",
        "defaults",
        "  mode http",
        "  timeout connect 5s",
        "  timeout client 60s",
        "  timeout server 60s",
        "  timeout http-request 10s",
        "  timeout http-keep-alive 60s",
        "  retries 3",
        "  option idle-close-on-response",  # a reload answers the next request on idle connections before closing them
        "  load-server-state-from-file global",
        "",
        f"backend {NO_ROUTE}",
        '  http-request return status 503 content-type text/plain string "no route\\n"',
        "",
    ]


def target_group_backend(group: TargetGroup, servers: Sequence[ServerLine], timing: Timing) -> list[str]:
    health = group.health
    lines = [f"backend {backend_name(group.arn, group.name)}", f"  # {group.arn}", f"  mode {'http' if group.is_http else 'tcp'}", "  balance roundrobin"]
    if health.enabled:
        lines.append(f"  default-server {' '.join(health_args(health, timing))}")
        lines.append(f"  timeout check {_ms(timing.timeout(health))}")
        if health.is_http:
            lines += [
                "  option httpchk",
                f"  http-check send meth GET uri {quoted_string(health.path)} ver HTTP/1.1 hdr Host localhost hdr User-Agent {HEALTH_CHECK_USER_AGENT}",
                f"  {http_check_expect(health.matcher)}",
            ]
        lines.append("  option allbackups")  # fail-open: every twin at once
    if group.is_http:
        lines.append("  option forwardfor")
    for server in sorted(servers, key=lambda s: (s.fail_open, server_name(s.target))):
        name = fail_open_name(server.target) if server.fail_open else server_name(server.target)
        args = fail_open_args(group) if server.fail_open else server_args(group, server.target, timing, explicit=False)
        if server.disabled:
            args.append("disabled")
        lines.append(f"  server {name} {server.target.ip}:{server.target.port} {' '.join(args)}".rstrip())
    return lines + [""]


def fixed_response_backend(rule: Rule) -> list[str]:
    action = rule.action
    parts = [f"status {action.status}"]
    if action.body:
        parts += ["content-type", quoted_string(action.content_type or "text/plain"), "string", quoted_string(action.body)]
    return [f"backend {action_backend_name(rule)}", "  mode http", f"  http-request return {' '.join(parts)}", ""]


def _logformat_literal(text: str) -> str:
    return text.replace("%", "%%")


def redirect_location(action: Action, listener: Listener) -> tuple[str, bool]:
    """HAProxy log-format of the Location AWS builds from RedirectConfig; True if the query is appended."""
    config = action.redirect_config
    tokens = {
        "#{protocol}": listener.protocol.lower(),
        "#{host}": "%[req.hdr(host),field(1,:)]",
        "#{port}": str(listener.port),
        "#{path}": "%[path,regsub(^/,)]",
        "#{query}": "%[query]",
    }

    def expand(value: str) -> str:
        out = _logformat_literal(value)
        for token, replacement in tokens.items():
            out = out.replace(token, replacement)
        return out

    protocol = expand(config.get("Protocol", "#{protocol}")).lower()
    host = expand(config.get("Host", "#{host}"))
    port = expand(config.get("Port", "#{port}"))
    path = expand(config.get("Path", "/#{path}"))
    query = config.get("Query", "#{query}")
    location = f"{protocol}://{host}:{port}{path}"
    if query == "#{query}":
        return location, True
    return location + (f"?{expand(query)}" if query else ""), False


def redirect_backend(rule: Rule, listener: Listener) -> list[str]:
    location, pass_query = redirect_location(rule.action, listener)
    code = 301 if rule.action.redirect_config.get("StatusCode", "HTTP_302") == "HTTP_301" else 302
    lines = [f"backend {action_backend_name(rule)}", "  mode http"]
    if pass_query:
        lines.append(f"  http-request redirect location {quoted_string(location + '?%[query]')} code {code} if {{ query -m len gt 0 }}")
    lines.append(f"  http-request redirect location {quoted_string(location)} code {code}")
    return lines + [""]


TLS_PROTOCOLS = frozenset({"HTTPS", "TLS"})


def bind_line(lb: LoadBalancer, listener: Listener, certificate: Path | None) -> str:
    """HTTPS and TLS listeners terminate TLS with the lab's certificate; without one they serve plain text."""
    line = f"  bind {lb.address}:{listener.port}"
    if listener.protocol in TLS_PROTOCOLS and certificate is not None:
        line += f" ssl crt {certificate}"
    return line


def admission(listener: Listener) -> list[str]:
    """The security groups' inbound rules for the listener's port: a connection from any other source is
    refused (*lab*: AWS drops it unanswered, so a client waits for its connect timeout)."""
    if listener.admits is None:
        return []
    if not listener.admits:
        return ["  # no inbound rule of the load balancer's security groups admits this port", "  tcp-request connection reject"]
    return [f"  tcp-request connection reject unless {{ src {' '.join(listener.admits)} }}"]


def frontend(lb: LoadBalancer, listener: Listener, map_file: Path, certificate: Path | None = None) -> list[str]:
    http = listener.is_http and lb.type != "network"
    lines = [f"frontend {frontend_name(lb, listener)}", f"  # {listener.arn}", f"  mode {'http' if http else 'tcp'}", bind_line(lb, listener, certificate)]
    lines += admission(listener)
    if http:
        lines += [
            f"  http-request set-header X-Forwarded-Proto {listener.protocol.lower()}",
            f"  http-request set-header X-Forwarded-Port {listener.port}",
            f"  http-request set-var(txn.bucket) rand({BUCKETS})",
        ]
    else:
        lines += ["  no option idle-close-on-response", f"  tcp-request content set-var(txn.bucket) rand({BUCKETS})"]
    for rule in listener.rules:
        condition = rule_condition(rule)
        suffix = f" if {condition}" if condition else ""
        lines.append(f"  # priority {'default' if rule.is_default else rule.priority}: {rule.arn}")
        if rule.action.kind == "forward":
            lookup = f"%[str(),concat({rule_key(rule)}/,txn.bucket,),map({map_file},{NO_ROUTE})]"
            lines.append(f"  use_backend {lookup}{suffix}")
        elif rule.action.kind in ("fixed-response", "redirect") and http:
            lines.append(f"  use_backend {action_backend_name(rule)}{suffix}")
        else:
            lines.append(f"  use_backend {NO_ROUTE}{suffix}")
    lines += [f"  default_backend {NO_ROUTE}", ""]
    return lines


def check_path_usable(path: Path, socket: bool = True) -> None:
    """Paths go unquoted into sample expressions and socket names: refuse what would break them."""
    text = str(path)
    if any(c in text for c in " ,()'\"#$\\"):
        raise ValueError(f"HAProxy paths must not contain spaces, commas, parentheses or quotes: {text}")
    if socket and len(str(path)) > 100:
        raise ValueError(f"HAProxy socket paths must stay under 108 bytes: {text}")


def structure_of(text: str) -> str:
    """The config without its server lines: what needs a reload when it changes."""
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("server "))


def render(world: ElbWorld, paths: Paths, servers: Mapping[str, Sequence[ServerLine]], timing: Timing, tls: bool = False) -> RenderedConfig:
    """The whole config and its maps. ``servers``: target group ARN -> servers to render.

    ``tls``: ``paths.certificate`` exists, so HTTPS and TLS listeners terminate TLS.
    """
    check_path_usable(paths.admin_socket)
    used = world.used_target_group_arns()
    groups = [g for g in world.target_groups if g.arn in used]
    backends = {g.arn: backend_name(g.arn, g.name) for g in groups}
    lines = global_section(paths)
    maps: dict[Path, str] = {}
    for lb in sorted(world.load_balancers, key=lambda b: b.arn):
        for listener in lb.listeners:
            map_file = paths.map_file(listener.arn)
            lines += frontend(lb, listener, map_file, paths.certificate if tls else None)
            maps[map_file] = render_map(listener, backends)
            for rule in listener.rules:
                if rule.action.kind == "fixed-response":
                    lines += fixed_response_backend(rule)
                elif rule.action.kind == "redirect":
                    lines += redirect_backend(rule, listener)
    for group in sorted(groups, key=lambda g: g.arn):
        lines += target_group_backend(group, servers.get(group.arn, ()), timing)
    text = "\n".join(lines) + "\n"
    return RenderedConfig(text, hashlib.sha256(structure_of(text).encode()).hexdigest(), maps)
