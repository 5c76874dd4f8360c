"""``python -m lab up|down|status|serve|fault|calls``.

``up`` starts ``serve`` detached (its own session, output to ``.lab/lab.log``) and
returns once ``/_lab/health`` answers. ``down`` stops what ``.lab/state.json``
lists, by pid and container id only, and works after the serve process was
SIGKILLed. Both are idempotent.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from lab.calls import format_summary, read_calls, summarize
from lab.config import LabConfig
from lab.ecs.runtime import INSTANCE_LABEL
from lab.state import State, process_start_time, same_process_alive

UP_TIMEOUT = 60.0
SERVE_STOP_TIMEOUT = 40.0
PROCESS_STOP_TIMEOUT = 5.0
KEPT_ON_DOWN = ("lab.log", "calls.jsonl")
MARKER = ".cutover-lab"  # written by serve into LAB_DIR: this directory is the lab's own
KNOWN_ENTRIES = ("state.json", "registry", "haproxy", MARKER)


# talking to a running lab ----------------------------------------------------------


def lab_get(config: LabConfig, path: str, timeout: float = 2.0) -> dict[str, Any] | None:
    try:
        with urllib.request.urlopen(f"{config.endpoint}{path}", timeout=timeout) as response:
            return json.loads(response.read())
    except (OSError, ValueError):
        return None


def lab_post(config: LabConfig, path: str, body: dict[str, Any], method: str = "POST") -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(f"{config.endpoint}{path}", data=json.dumps(body).encode(), method=method, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


def serve_entry(state: State) -> dict[str, Any] | None:
    entry = state.processes().get("serve")
    if entry and same_process_alive(entry["pid"], entry.get("start_time")):
        return entry
    return None


# up ------------------------------------------------------------------------------


def cmd_up(config: LabConfig, args: argparse.Namespace) -> int:
    state = State.load(config.state_file)
    running = serve_entry(state)
    if running and wait_healthy(config, running["pid"], timeout=UP_TIMEOUT):
        print(f"lab already up at {config.endpoint} (pid {running['pid']})")
        return 0
    if running or not state.is_empty():
        print("cleaning up what a previous lab left behind")
        teardown(config)
    started = time.monotonic()
    pid = start_serve(config)
    if not wait_healthy(config, pid, timeout=args.timeout):
        reason = "exited" if process_start_time(pid) is None else f"did not answer within {args.timeout:.0f} s"
        print(f"lab serve {reason}; last lines of {config.log_file}:", file=sys.stderr)
        print(tail(config.log_file, 30), file=sys.stderr)
        teardown(config)
        return 1
    print(f"lab up at {config.endpoint} in {time.monotonic() - started:.1f} s (pid {pid}, registry {config.registry_host}, log {config.log_file})")
    return 0


def start_serve(config: LabConfig) -> int:
    config.dir.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, LAB_DIR=str(config.dir), LAB_PORT=str(config.port), LAB_ROOT=str(config.root), PYTHONUNBUFFERED="1")
    with config.log_file.open("ab") as log_file:
        process = subprocess.Popen(
            [sys.executable, "-m", "lab", "serve"],
            cwd=config.root,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return process.pid


def wait_healthy(config: LabConfig, pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        health = lab_get(config, "/_lab/health", timeout=1.0)
        if health and health.get("pid") == pid:
            return True
        if process_start_time(pid) is None or _reap(pid):
            return False
        time.sleep(0.05)
    return False


def _reap(pid: int) -> bool:
    """True if ``pid`` is our exited child (reaps it so it is no zombie)."""
    try:
        done, _status = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return False
    return done == pid


def tail(path: Path, lines: int) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


# down ----------------------------------------------------------------------------


def cmd_down(config: LabConfig, args: argparse.Namespace) -> int:
    if not config.state_file.exists():
        print("lab is not up")
        return 0
    leftovers = teardown(config)
    if leftovers:
        print(f"lab down, but could not stop: {leftovers}", file=sys.stderr)
        return 1
    print("lab down")
    return 0


def teardown(config: LabConfig) -> list[str]:
    """Stop serve (it stops its children), then whatever is still recorded. Returns what survived."""
    state = State.load(config.state_file)
    serve = state.processes().get("serve")
    if serve:
        stop_process(serve["pid"], serve.get("start_time"), SERVE_STOP_TIMEOUT)
    state = State.load(config.state_file)
    leftovers = []
    for name, entry in state.processes().items():
        if not stop_process(entry["pid"], entry.get("start_time"), PROCESS_STOP_TIMEOUT):
            leftovers.append(f"process {name} pid {entry['pid']}")
    if serve:
        leftovers += stop_process_group(serve["pid"], serve.get("start_time"))
    for name, entry in state.containers().items():
        if not remove_container(entry.get("runtime", config.runtime), entry.get("id") or name):
            leftovers.append(f"container {name}")
    for container_id in labelled_containers(config.runtime, config.instance):
        if not remove_container(config.runtime, container_id):
            leftovers.append(f"container {container_id[:12]}")
    for path in state.files():
        Path(path).unlink(missing_ok=True)
    clear_lab_dir(config)
    remove_socket_dir(config)
    return leftovers


def remove_socket_dir(config: LabConfig) -> None:
    """The lab's sockets and their directory (nothing else is ever in it)."""
    for socket in config.socket_dir.glob("*.sock"):
        socket.unlink(missing_ok=True)
    with contextlib.suppress(OSError):
        config.socket_dir.rmdir()


def stop_process(pid: int, start_time: int | None, timeout: float) -> bool:
    """SIGTERM, wait, SIGKILL; only if ``pid`` is still the recorded process. True if gone."""
    if not same_process_alive(pid, start_time):
        return True
    _signal(pid, signal.SIGTERM)
    if _wait_gone(pid, start_time, timeout):
        return True
    _signal(pid, signal.SIGKILL)
    return _wait_gone(pid, start_time, 5.0)


def stop_process_group(leader: int, leader_start: int | None) -> list[str]:
    """Kill what is left in serve's process group (serve runs as a session leader, pgid == pid).

    Only processes started after serve count, so a recycled group id is never hit.
    """
    if leader_start is None:
        return []
    members = [pid for pid in _group_members(leader) if (process_start_time(pid) or 0) >= leader_start]
    for pid in members:
        _signal(pid, signal.SIGKILL)
    return [f"process pid {pid}" for pid in members if not _wait_gone(pid, process_start_time(pid), 5.0)]


def _group_members(pgid: int) -> list[int]:
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            raw = (entry / "stat").read_text()
        except OSError:
            continue
        fields = raw[raw.rindex(")") + 2 :].split()
        if int(fields[2]) == pgid and fields[0] != "Z":
            members.append(int(entry.name))
    return members


def _signal(pid: int, signum: int) -> None:
    try:
        os.kill(pid, signum)
    except ProcessLookupError:
        pass
    _reap_quietly(pid)


def _reap_quietly(pid: int) -> None:
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass


def _wait_gone(pid: int, start_time: int | None, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        _reap_quietly(pid)
        if not same_process_alive(pid, start_time):
            return True
        time.sleep(0.05)
    return not same_process_alive(pid, start_time)


def labelled_containers(runtime: str, instance: str) -> list[str]:
    """Containers this lab made that its state no longer names: a task container created
    while serve was being stopped, or one whose removal failed after its task stopped."""
    if not shutil.which(runtime):
        return []
    proc = subprocess.run(
        [runtime, "ps", "--all", "--quiet", "--no-trunc", "--filter", f"label={INSTANCE_LABEL}={instance}"], capture_output=True, text=True, timeout=60
    )
    return [line.strip() for line in proc.stdout.splitlines() if line.strip()]


def remove_container(runtime: str, ident: str) -> bool:
    if not shutil.which(runtime):
        return False
    proc = subprocess.run([runtime, "rm", "-f", "-t", "2", ident], capture_output=True, text=True, timeout=60)
    if proc.returncode == 0:
        return True
    gone = subprocess.run([runtime, "container", "exists", ident], capture_output=True, timeout=30).returncode != 0
    return gone


def clear_lab_dir(config: LabConfig) -> None:
    """Remove what the lab wrote under its directory; logs stay for the post-mortem.

    Everything but the logs goes only from a directory serve marked as its own
    and that is not a shared place (``/``, ``/tmp``, home, the repo or a parent of
    it): a mistaken ``LAB_DIR`` then loses only the lab's known files.
    """
    lab_dir = config.dir
    if not lab_dir.is_dir():
        return
    entries = list(lab_dir.iterdir()) if owns_whole_dir(config) else [lab_dir / name for name in KNOWN_ENTRIES]
    for entry in entries:
        if entry.name in KEPT_ON_DOWN or not (entry.exists() or entry.is_symlink()):
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)


def owns_whole_dir(config: LabConfig) -> bool:
    lab_dir = config.dir.resolve()
    shared = {Path("/"), Path("/tmp"), Path.home().resolve()}
    if lab_dir in shared or lab_dir == config.root or lab_dir in config.root.parents:
        return False
    return (lab_dir / MARKER).exists()


# status, calls, fault --------------------------------------------------------------


def cmd_status(config: LabConfig, args: argparse.Namespace) -> int:
    state = State.load(config.state_file)
    live = lab_get(config, "/_lab/status") if serve_entry(state) else None
    snapshot = live["state"] if live else state.snapshot()
    report = {
        "up": live is not None,
        "endpoint": config.endpoint if live else None,
        "processes": snapshot["processes"],
        "containers": snapshot["containers"],
        "registry": (live or {}).get("registry"),
        "loopback": snapshot["data"].get("loopback", {}),
        "controllers": (live or {}).get("controllers", []),
        "controller_errors": (live or {}).get("controller_errors", {}),
        "faults": (live or {}).get("faults"),
    }
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    print(format_status(report))
    return 0


def format_status(report: dict[str, Any]) -> str:
    if not report["up"] and not report["processes"] and not report["containers"]:
        return "lab is not up"
    lines = [f"endpoint: {report['endpoint'] or 'DOWN'}"]
    for name, entry in sorted(report["processes"].items()):
        lines.append(f"process {name}: pid {entry['pid']}")
    if report["registry"]:
        lines.append(f"registry: {report['registry'].get('host')} ({report['registry'].get('auth')})")
    for name, entry in sorted(report["containers"].items()):
        lines.append(f"container {name}: {entry.get('id', '')[:12]} {entry.get('runtime', '')}")
    for owner, address in sorted(report["loopback"].items(), key=lambda item: item[1]):
        lines.append(f"loopback {address}: {owner}")
    lines.append(f"controllers: {', '.join(report['controllers']) or '-'}")
    for name, error in report["controller_errors"].items():
        lines.append(f"controller {name} failing: {error}")
    return "\n".join(lines)


def cmd_calls(config: LabConfig, args: argparse.Namespace) -> int:
    summary = summarize(read_calls(Path(args.file) if args.file else config.calls_file))
    print(json.dumps(summary, indent=2) if args.json else format_summary(summary))
    return 0


def fault_spec(args: argparse.Namespace) -> dict[str, Any]:
    """The JSON body of ``POST /_lab/faults`` for a ``fault`` subcommand."""
    kind = args.fault_kind
    if kind == "throttle":
        return {"kind": kind, "service": args.service, "operation": args.operation, "share": args.share}
    if kind == "fail":
        return {"kind": kind, "service": args.service, "operation": args.operation, "share": args.share, "status": args.status, "code": args.code}
    if kind == "latency":
        return {"kind": kind, "service": args.service, "operation": args.operation, "ms": args.ms}
    if kind == "unhealthy":
        return {"kind": kind, "target_group": args.target_group, "off": args.off}
    if kind == "kill-task":
        return {"kind": kind, "cluster": args.cluster, "task": args.task}
    return {"kind": "clear"}


def cmd_fault(config: LabConfig, args: argparse.Namespace) -> int:
    try:
        status, body = lab_post(config, "/_lab/faults", fault_spec(args))
    except OSError as exc:
        print(f"lab is not reachable at {config.endpoint}: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(body, indent=2))
    return 0 if status == 200 else 1


def cmd_serve(config: LabConfig, args: argparse.Namespace) -> int:
    from lab.server import serve

    return serve(config)


# argument parsing ------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m lab", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    up = sub.add_parser("up", help="start the lab in the background")
    up.add_argument("--timeout", type=float, default=UP_TIMEOUT)
    sub.add_parser("down", help="stop everything the lab started")
    sub.add_parser("serve", help="run the lab in the foreground")
    status = sub.add_parser("status", help="what runs")
    status.add_argument("--json", action="store_true")
    calls = sub.add_parser("calls", help="summary of .lab/calls.jsonl")
    calls.add_argument("--json", action="store_true")
    calls.add_argument("--file", help="another calls.jsonl")
    add_fault_parser(sub)
    return parser


def add_fault_parser(sub: Any) -> None:
    fault = sub.add_parser("fault", help="inject a fault").add_subparsers(dest="fault_kind", required=True)
    throttle = fault.add_parser("throttle", help="answer a share of an operation's calls with a throttling error")
    throttle.add_argument("--service", required=True, help="signing name (ecs, elasticloadbalancing, ...) or * for every service")
    throttle.add_argument("--operation", default="*")
    throttle.add_argument("--share", type=float, required=True)
    fail = fault.add_parser("fail", help="answer a share of an operation's calls with a server error")
    fail.add_argument("--service", required=True, help="signing name (ecs, elasticloadbalancing, ...) or * for every service")
    fail.add_argument("--operation", default="*")
    fail.add_argument("--share", type=float, required=True)
    fail.add_argument("--status", type=int, default=500)
    fail.add_argument("--code", default=None)
    latency = fault.add_parser("latency", help="delay a service's calls")
    latency.add_argument("--service", required=True)
    latency.add_argument("--operation", default="*")
    latency.add_argument("--ms", type=float, required=True)
    unhealthy = fault.add_parser("unhealthy", help="make a target group's targets fail health checks")
    unhealthy.add_argument("--target-group", required=True, help="ARN or name")
    unhealthy.add_argument("--off", action="store_true")
    kill = fault.add_parser("kill-task", help="kill a task's containers")
    kill.add_argument("--cluster", required=True)
    kill.add_argument("--task", required=True)
    fault.add_parser("clear", help="remove every fault")


COMMANDS = {"up": cmd_up, "down": cmd_down, "status": cmd_status, "calls": cmd_calls, "fault": cmd_fault, "serve": cmd_serve}


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    config = LabConfig.from_env()
    return COMMANDS[args.command](config, args)


if __name__ == "__main__":
    sys.exit(main())
