#!/usr/bin/env python3
"""The least-privilege IAM policy of cutover.ecs: from lab call logs, and a static scan of the collection.

  iam_policy.py generate LOG... [--static] [-o FILE]  the policy for the calls in LOG(s) (lab calls.jsonl files);
                                                      --static adds every operation the scan finds
  iam_policy.py scan [--json]                         every AWS operation plugins/ can call, and its IAM actions
  iam_policy.py check POLICY                          exit 1 when the scan finds an action POLICY does not allow
  iam_policy.py collect [-o FILE]                     start a lab of its own, run the full flow (deploy with each
                                                      strategy, rollback, teardown), stop it, write the policy

The static scan reads the source (ast), it imports nothing from plugins/: boto3 calls are
``<client>.<method>(...)`` on a name that is a client (``client``, ``*_client`` or a name assigned
from ``context.client("svc")``), and ``paginate(client, "method", ...)``. Which service a ``client``
parameter is comes from the ``_<service>`` package the file is in; a method that service lacks is
looked up in the other services the collection makes clients for, and must be found in exactly one.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PLUGINS = REPO / "plugins"
DEFAULT_POLICY = REPO / "policy" / "cutover-ecs-policy.json"
POLICY_VERSION = "2012-10-17"

# boto3 client name of each ``plugins/module_utils/_<package>``.
PACKAGE_SERVICES = {"_ecs": "ecs", "_elbv2": "elbv2", "_ecr": "ecr", "_codedeploy": "codedeploy"}

# Actions AWS authorizes besides the operation's own (each with where AWS says so).
DEPENDENT_ACTIONS: dict[str, tuple[str, ...]] = {
    # ECS authorizes tags given to a create call as ecs:TagResource ("Grant permission to tag resources on
    # creation", ECS developer guide), and the roles in a request (task/execution role, the load balancer
    # infrastructure role, lifecycle hook roles) as iam:PassRole.
    "ecs:CreateCluster": ("ecs:TagResource",),
    "ecs:CreateService": ("ecs:TagResource", "iam:PassRole"),
    "ecs:RegisterTaskDefinition": ("ecs:TagResource", "iam:PassRole"),
    "ecs:UpdateService": ("iam:PassRole",),
    # ELB authorizes tags given to a create call as elasticloadbalancing:AddTags ("ELB API permissions to tag
    # resources during creation").
    "elasticloadbalancing:CreateLoadBalancer": ("elasticloadbalancing:AddTags",),
    "elasticloadbalancing:CreateTargetGroup": ("elasticloadbalancing:AddTags",),
    "elasticloadbalancing:CreateListener": ("elasticloadbalancing:AddTags",),
    "elasticloadbalancing:CreateRule": ("elasticloadbalancing:AddTags",),
    # CloudWatch Logs authorizes tags given to CreateLogGroup as logs:TagLogGroup or logs:TagResource
    # (CreateLogGroup, CloudWatch Logs API reference); amazon.aws.cloudwatchlogs_log_group adds tags with TagLogGroup.
    "logs:CreateLogGroup": ("logs:TagLogGroup",),
    # EC2 authorizes the TagSpecifications of a create call as ec2:CreateTags ("Grant permission to tag resources
    # during creation", EC2 user guide); amazon.aws.ec2_security_group creates its group with its tags.
    "ec2:CreateSecurityGroup": ("ec2:CreateTags",),
    # The deployment group's service role is passed to CodeDeploy.
    "codedeploy:CreateDeploymentGroup": ("iam:PassRole",),
    "codedeploy:UpdateDeploymentGroup": ("iam:PassRole",),
    # The image module fetches a token only to push with a builder, whose registry calls are no boto3
    # calls and never reach the lab's log ("IAM permissions for pushing an image to an Amazon ECR
    # private repository", ECR user guide).
    "ecr:GetAuthorizationToken": (
        "ecr:BatchCheckLayerAvailability",
        "ecr:BatchGetImage",
        "ecr:CompleteLayerUpload",
        "ecr:InitiateLayerUpload",
        "ecr:PutImage",
        "ecr:UploadLayerPart",
    ),
}

# iam:PassRole only to the services that use the roles the collection creates and names.
PASS_ROLE_SERVICES = ("codedeploy.amazonaws.com", "ecs-tasks.amazonaws.com", "ecs.amazonaws.com")

# Log lines that are no AWS call: the lab's own endpoints.
LAB_SERVICES = frozenset({"", "unknown", "lab"})


# --- operations and actions -----------------------------------------------------------------


@dataclass(frozen=True, order=True)
class Operation:
    """One AWS API operation: the IAM prefix (the SigV4 signing name) and the operation name."""

    prefix: str
    name: str

    @property
    def action(self) -> str:
        return f"{self.prefix}:{self.name}"


def actions_for(operations: Iterable[Operation]) -> set[str]:
    """The IAM actions that allow ``operations``, dependent actions included."""
    actions: set[str] = set()
    for operation in operations:
        actions.add(operation.action)
        actions.update(DEPENDENT_ACTIONS.get(operation.action, ()))
    return actions


def operations_from_log(records: Iterable[Mapping[str, object]]) -> set[Operation]:
    """Operations of lab call records (calls that failed need the permission too: they were authorized first)."""
    found: set[Operation] = set()
    for record in records:
        service = str(record.get("service") or "")
        operation = str(record.get("operation") or "")
        if service in LAB_SERVICES or not operation or not operation[:1].isupper() or " " in operation:
            continue
        found.add(Operation(service, operation))
    return found


def read_log(path: Path) -> Iterator[dict]:
    """Records of a calls.jsonl; a torn line (a writer killed mid-write) is skipped."""
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            try:
                yield json.loads(line)
            except ValueError:
                continue


# --- the policy document ----------------------------------------------------------------------


def _sid(prefix: str) -> str:
    return "".join(part.capitalize() for part in prefix.replace("-", " ").split()) or "Other"


def build_policy(actions: Iterable[str]) -> dict:
    """One statement per service, actions sorted; iam:PassRole in a statement of its own, scoped by service.

    Resource is "*": the collection works on resources whose names the user picks (cluster, service,
    load balancer, repository...), several of its read calls (ecs:DescribeTaskDefinition,
    ecs:RegisterTaskDefinition, ecr:GetAuthorizationToken, ec2:Describe*, elasticloadbalancing:Describe*)
    support no resource-level permission at all, and a policy that names resources would have to be
    generated per deployment. Narrow it with the user's own ARNs where that is wanted (policy/README.md).
    """
    by_prefix: dict[str, set[str]] = {}
    for action in set(actions):
        prefix, _, _name = action.partition(":")
        by_prefix.setdefault(prefix, set()).add(action)
    statements = []
    pass_role = "iam:PassRole" in by_prefix.get("iam", set())
    for prefix in sorted(by_prefix):
        listed = sorted(by_prefix[prefix] - {"iam:PassRole"})
        if listed:
            statements.append({"Sid": _sid(prefix), "Effect": "Allow", "Action": listed, "Resource": "*"})
    if pass_role:
        statements.append(
            {
                "Sid": "PassRolesToEcsAndCodeDeploy",
                "Effect": "Allow",
                "Action": ["iam:PassRole"],
                "Resource": "*",
                "Condition": {"StringEquals": {"iam:PassedToService": list(PASS_ROLE_SERVICES)}},
            }
        )
    return {"Version": POLICY_VERSION, "Statement": statements}


def allowed_actions(policy: Mapping) -> set[str]:
    """Every action an Allow statement of ``policy`` names (no wildcards are generated, none are expanded)."""
    allowed: set[str] = set()
    statements = policy.get("Statement", [])
    for statement in [statements] if isinstance(statements, Mapping) else statements:
        if statement.get("Effect") != "Allow":
            continue
        action = statement.get("Action", [])
        allowed.update([action] if isinstance(action, str) else action)
    return allowed


def missing_actions(required: Iterable[str], policy: Mapping) -> list[str]:
    return sorted(set(required) - allowed_actions(policy))


def ansible_calls_not_allowed(records: Iterable[Mapping[str, object]], policy: Mapping) -> tuple[int, list[str]]:
    """(how many calls of a lab call log Ansible made, the actions of those calls ``policy`` does not
    allow). Only calls marked ``ansible`` count: a test's own boto3 calls are not the collection's."""
    made = [record for record in records if record.get("ansible")]
    return len(made), missing_actions(actions_for(operations_from_log(made)), policy)


def assert_log_allowed(log: Path, policy_path: Path = DEFAULT_POLICY, require_calls: bool = True) -> None:
    """For test fixtures: fail when Ansible made a call the committed policy does not allow (or,
    with ``require_calls``, none at all: a test selection may make none, a full run must make some)."""
    made, missing = ansible_calls_not_allowed(read_log(log), json.loads(policy_path.read_text()))
    assert made or not require_calls, f"no call in {log} is marked as Ansible's: the check would pass whatever was called"
    assert not missing, f"Ansible called what {policy_path.name} does not allow: {missing}; run make iam-policy"


# --- the static scan ----------------------------------------------------------------------------


@cache
def _service_operations(service: str) -> dict[str, Operation]:
    """boto3 method name -> Operation, from botocore's service model (what boto3 itself uses)."""
    import botocore.session
    from botocore import xform_name

    model = botocore.session.get_session().get_service_model(service)
    prefix = model.signing_name or model.endpoint_prefix
    return {xform_name(name): Operation(prefix, name) for name in model.operation_names}


@dataclass(frozen=True)
class ClientCall:
    """A boto3 method called in the source: where, on which client name, and the service if the source says."""

    path: str
    line: int
    method: str
    service: str | None  # from ``X = context.client("svc")`` in the same function, else None


@dataclass
class ScanResult:
    operations: dict[Operation, list[str]] = field(default_factory=dict)  # operation -> "path:line" of its calls
    unresolved: list[str] = field(default_factory=list)  # calls no single service explains

    @property
    def actions(self) -> set[str]:
        return actions_for(self.operations)


def _is_client_name(name: str) -> bool:
    return name == "client" or name.endswith("_client")


def _client_service(node: ast.AST) -> str | None:
    """ "svc" when ``node`` is ``<anything>.client("svc")``."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "client":
        return _string_arg(node, 0)
    return None


def _assigned_clients(function: ast.AST) -> dict[str, str]:
    """Names bound to ``context.client("svc")`` in a function body."""
    names: dict[str, str] = {}
    for node in ast.walk(function):
        if isinstance(node, ast.Assign):
            service = _client_service(node.value)
            if service:
                for target in node.targets:
                    if isinstance(target, ast.Name):
                        names[target.id] = service
    return names


def _string_arg(node: ast.Call, index: int) -> str | None:
    if len(node.args) > index and isinstance(node.args[index], ast.Constant) and isinstance(node.args[index].value, str):
        return node.args[index].value
    return None


def client_calls(source: str, path: str) -> Iterator[ClientCall]:
    """boto3 calls in one file: ``client.method()``, ``paginate(client, "method")`` and ``get_paginator("method")``."""
    tree = ast.parse(source)
    scopes = [node for node in ast.walk(tree) if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))] or [tree]
    seen: set[int] = set()  # nested functions are walked twice; a call counts once
    for scope in scopes:
        clients = _assigned_clients(scope)
        for node in ast.walk(scope):
            if not isinstance(node, ast.Call) or id(node) in seen:
                continue
            seen.add(id(node))
            call = _client_call(node, clients, path)
            if call:
                yield call


def _client_call(node: ast.Call, clients: Mapping[str, str], path: str) -> ClientCall | None:
    func = node.func
    if isinstance(func, ast.Name) and func.id == "paginate" and node.args and isinstance(node.args[0], ast.Name):
        method = _string_arg(node, 1)
        receiver = node.args[0].id
    elif isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
        receiver = func.value.id
        if func.attr in ("get_paginator", "get_waiter"):
            method = _string_arg(node, 0)
            # A waiter's operations are describe calls the scan cannot name; none is used today.
            method = method if func.attr == "get_paginator" else None
        elif func.attr == "client":
            return None
        else:
            method = func.attr
    else:
        return None
    if method is None or not (_is_client_name(receiver) or receiver in clients):
        return None
    return ClientCall(path, node.lineno, method, clients.get(receiver))


def _package_service(path: Path) -> str | None:
    for part in path.parts:
        if part in PACKAGE_SERVICES:
            return PACKAGE_SERVICES[part]
    return None


def created_client_services(files: Iterable[Path]) -> set[str]:
    """Every service the collection makes a client for (``context.client("svc")``)."""
    services: set[str] = set(PACKAGE_SERVICES.values())
    for path in files:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            service = _client_service(node)
            if service:
                services.add(service)
    return services


def resolve(call: ClientCall, default_service: str | None, services: Iterable[str]) -> list[Operation]:
    """The operations ``call`` can be: its own service's, else those of every candidate service that has the method."""
    for service in (call.service, default_service):
        if service and call.method in _service_operations(service):
            return [_service_operations(service)[call.method]]
    return [_service_operations(service)[call.method] for service in sorted(services) if call.method in _service_operations(service)]


def source_files(root: Path = PLUGINS) -> list[Path]:
    return sorted([*root.glob("module_utils/**/*.py"), *root.glob("modules/*.py")])


def scan(root: Path = PLUGINS) -> ScanResult:
    files = source_files(root)
    services = created_client_services(files)
    result = ScanResult()
    for path in files:
        relative = str(path.relative_to(root.parent))
        for call in client_calls(path.read_text(encoding="utf-8"), relative):
            found = resolve(call, _package_service(path), services)
            where = f"{call.path}:{call.line}"
            if len(found) != 1:
                result.unresolved.append(f"{where}: {call.method} ({'no service has it' if not found else 'several: ' + ', '.join(o.action for o in found)})")
                continue
            result.operations.setdefault(found[0], []).append(where)
    return result


# --- collect: a full run against a lab of our own ----------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def lab_environment(lab_dir: Path) -> dict[str, str]:
    port = _free_port()
    env = dict(
        os.environ,
        LAB_DIR=str(lab_dir),
        LAB_PORT=str(port),
        LAB_REGISTRY_PORT=str(_free_port()),
        LAB_LOOPBACK_PREFIX="auto",  # the lab claims a free prefix (lab/loopback.py)
        LAB_TIME_SCALE=os.environ.get("LAB_TIME_SCALE", "10"),
        AWS_ACCESS_KEY_ID="lab",
        AWS_SECRET_ACCESS_KEY="lab",
        AWS_REGION="us-east-1",
        AWS_DEFAULT_REGION="us-east-1",
        AWS_URL=f"http://127.0.0.1:{port}",
        ANSIBLE_CONFIG=str(REPO / "ansible.cfg"),
    )
    env.pop("AWS_PROFILE", None)
    return env


# Declared with every deploy of the flow, so the policy allows what the roles do for them: the execution
# role's inline policy for a secret (and its deletion by teardown), alarms on the service or group.
FLOW_DECLARATIONS = {
    "infrastructure_secrets": {"API_KEY": "arn:aws:ssm:us-east-1:123456789012:parameter/iam-flow/api-key"},
    "infrastructure_alarms": ["iam-flow-5xx"],
}
# Tags per deploy (deploy.yml's cutover_tags): the first tags every resource, the second drops one tag, so the
# policy allows what the roles call to tag and to untag each kind of resource, the ECR repository included.
FLOW_TAGS = {"1": {"team": "iam-flow", "stage": "first"}, "2": {"team": "iam-flow"}}
# Who may reach the test listener per deploy: the second changes it, so the policy allows revoking a rule.
FLOW_TEST_CIDRS = {"1": ["127.0.0.1/32"], "2": ["127.0.0.2/32"]}


def flow_steps(strategies: Iterable[str], base_image: str) -> list[tuple[str, list[str]]]:
    """(label, ansible-playbook arguments) of the full flow: two deploys per strategy (with a secret and
    an alarm declared), rollback, teardown (which deletes the image repository as well)."""
    steps: list[tuple[str, list[str]]] = []
    for strategy in strategies:
        name = f"iam-{strategy}"
        common = ["-e", f"cutover_name={name}", "-e", f"cutover_strategy={strategy}"]
        for version in ("1", "2"):
            extra = ["-e", f"cutover_version={version}", "-e", f"cutover_image_tag=v{version}", "-e", f"cutover_base_image={base_image}"]
            extra += [
                "-e",
                json.dumps({**FLOW_DECLARATIONS, "cutover_tags": FLOW_TAGS[version], "cutover_test_allowed_cidrs": FLOW_TEST_CIDRS[version]}),
            ]
            steps.append((f"deploy {strategy} v{version}", ["deploy.yml", *common, *extra]))
        steps.append((f"rollback {strategy}", ["rollback.yml", *common]))
        # with the ECR repository too, so the policy allows what teardown can delete
        steps.append((f"teardown {strategy}", ["teardown.yml", *common, "-e", "cutover_delete_images=true"]))
    return steps


def collect(output: Path, strategies: list[str], base_image: str, keep_log: Path | None, step_timeout: float) -> int:
    python = sys.executable
    playbook = str(Path(python).parent / "ansible-playbook")
    with tempfile.TemporaryDirectory(prefix="cutover-iam-") as tmp:
        env = lab_environment(Path(tmp) / "lab")
        started = subprocess.run([python, "-m", "lab", "up"], cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
        if started.returncode != 0:
            print(f"lab up failed:\n{started.stdout}{started.stderr}", file=sys.stderr)
            return 2
        failed: list[str] = []
        try:
            for label, arguments in flow_steps(strategies, base_image):
                print(f"==> {label}", flush=True)
                done = subprocess.run([playbook, *arguments], cwd=REPO, env=env, capture_output=True, text=True, timeout=step_timeout)
                if done.returncode != 0:
                    failed.append(label)
                    print(f"    failed (rc {done.returncode}):\n{done.stdout[-3000:]}{done.stderr[-2000:]}", file=sys.stderr)
        finally:
            subprocess.run([python, "-m", "lab", "down"], cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
        log = Path(env["LAB_DIR"]) / "calls.jsonl"
        if keep_log:
            keep_log.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(log, keep_log)
        write_policy(output, [log], include_static=True)
    if failed:
        print(f"steps that failed: {', '.join(failed)} (the policy holds the calls that were made)", file=sys.stderr)
        return 1
    return 0


# --- command line -----------------------------------------------------------------------------


def policy_for(logs: Iterable[Path], include_static: bool) -> dict:
    operations: set[Operation] = set()
    for log in logs:
        operations |= operations_from_log(read_log(log))
    actions = actions_for(operations)
    if include_static:
        actions |= scan().actions
    return build_policy(actions)


def write_policy(output: Path, logs: Iterable[Path], include_static: bool) -> None:
    policy = policy_for(logs, include_static)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(policy, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {output} ({len(allowed_actions(policy))} actions)")


def _print_scan(as_json: bool) -> int:
    result = scan()
    if as_json:
        print(json.dumps({op.action: where for op, where in sorted(result.operations.items())}, indent=2))
    else:
        for operation, where in sorted(result.operations.items()):
            extra = DEPENDENT_ACTIONS.get(operation.action, ())
            print(f"{operation.action:55s} {len(where):3d} call(s){'  + ' + ', '.join(extra) if extra else ''}")
    for line in result.unresolved:
        print(f"unresolved: {line}", file=sys.stderr)
    return 1 if result.unresolved else 0


def _check(policy_path: Path) -> int:
    result = scan()
    missing = missing_actions(result.actions, json.loads(policy_path.read_text(encoding="utf-8")))
    for action in missing:
        print(f"not allowed by {policy_path}: {action}", file=sys.stderr)
    for line in result.unresolved:
        print(f"unresolved: {line}", file=sys.stderr)
    return 1 if missing or result.unresolved else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    generate = commands.add_parser("generate", help="the policy of lab call logs")
    generate.add_argument("logs", nargs="+", type=Path)
    generate.add_argument("--static", action="store_true", help="add every operation the static scan finds")
    generate.add_argument("-o", "--output", type=Path)
    scan_parser = commands.add_parser("scan", help="every AWS operation plugins/ can call")
    scan_parser.add_argument("--json", action="store_true")
    check = commands.add_parser("check", help="exit 1 when the policy lacks an action the scan finds")
    check.add_argument("policy", type=Path, nargs="?", default=DEFAULT_POLICY)
    run = commands.add_parser("collect", help="run the full flow against a lab of its own and write the policy")
    run.add_argument("-o", "--output", type=Path, default=DEFAULT_POLICY)
    run.add_argument("--strategies", default="codedeploy,rolling,ecs", help="comma-separated (default: %(default)s)")
    run.add_argument("--base-image", default="localhost/cutover/python-base:bookworm")
    run.add_argument("--keep-log", type=Path, help="copy the run's calls.jsonl here")
    run.add_argument("--step-timeout", type=float, default=1800)
    args = parser.parse_args(argv)

    if args.command == "generate":
        if args.output:
            write_policy(args.output, args.logs, args.static)
        else:
            print(json.dumps(policy_for(args.logs, args.static), indent=2))
        return 0
    if args.command == "scan":
        return _print_scan(args.json)
    if args.command == "check":
        return _check(args.policy)
    strategies = [name.strip() for name in args.strategies.split(",") if name.strip()]
    return collect(args.output, strategies, args.base_image, args.keep_log, args.step_timeout)


if __name__ == "__main__":
    sys.exit(main())
