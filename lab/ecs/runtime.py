"""Container runtime for ECS tasks: podman (with runc) or a docker engine.

Everything here shells out to the engine's CLI. The argument builders are pure
functions so the exact command lines are unit-tested without an engine.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

LAB_LABEL = "cutover.lab"
TASK_ARN_LABEL = "cutover.lab.ecs.task-arn"
INSTANCE_LABEL = "cutover.lab.instance"  # which lab made the container: `lab down` removes all of its own
CONTAINER_NAME_LABEL = "cutover.lab.ecs.container"
LAB_REGISTRY = "127.0.0.1:5000"

# podman 4.3 with crun fails on these machines, and its default ulimits trip
# runc inside nested containers; the lab always sets both explicitly.
PODMAN_RUN_FLAGS = ("--runtime", "runc", "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024")
DOCKER_RUN_FLAGS = ("--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024")


class ContainerEngineError(Exception):
    """An engine command failed; ``stderr`` carries the engine's own words."""

    def __init__(self, command: list[str], returncode: int, stderr: str) -> None:
        super().__init__(f"{' '.join(command[:3])} ... exited {returncode}: {stderr.strip()}")
        self.command = command
        self.returncode = returncode
        self.stderr = stderr.strip()


@dataclass(frozen=True)
class PortPublish:
    host_ip: str
    host_port: int
    container_port: int
    protocol: str = "tcp"

    def flag(self) -> str:
        return f"{self.host_ip}:{self.host_port}:{self.container_port}/{self.protocol}"


@dataclass(frozen=True)
class ContainerSpec:
    """What to run: the engine-neutral form of one ECS container definition."""

    name: str
    image: str
    env: dict[str, str] = field(default_factory=dict)
    command: list[str] | None = None
    entry_point: list[str] | None = None
    ports: tuple[PortPublish, ...] = ()
    labels: dict[str, str] = field(default_factory=dict)
    network_of: str | None = None  # join this container's network namespace (awsvpc: one ENI per task)
    working_dir: str | None = None
    user: str | None = None
    stop_timeout: int = 30
    add_hosts: tuple[str, ...] = ()


@dataclass(frozen=True)
class ContainerStatus:
    id: str
    name: str
    state: str  # created, running, exited, stopped, ...
    running: bool
    exit_code: int | None
    error: str
    started_at: str
    finished_at: str
    labels: dict[str, str]
    pid: int = 0  # the host pid of the container's first process while it runs (0 when unknown)


# How long the monitor may go on a running container's pid alone before it inspects it again.
FULL_INSPECT_SECONDS = 5.0


def process_start(pid: int) -> str | None:
    """The start time of process ``pid`` (field 22 of /proc/<pid>/stat), None when it is gone; with the
    pid it names one process for good (a pid can be reused, a pid and start time cannot)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return fields[19] if len(fields) > 19 and fields[0] not in ("Z", "X") else None


def create_args(engine: str, spec: ContainerSpec) -> list[str]:
    """The full ``<engine> create ...`` command line for ``spec``."""
    args = [engine, "create", *(PODMAN_RUN_FLAGS if engine == "podman" else DOCKER_RUN_FLAGS)]
    args += ["--name", spec.name, "--stop-timeout", str(max(0, int(spec.stop_timeout)))]
    labels = {LAB_LABEL: "1", **spec.labels}
    for key in sorted(labels):
        args += ["--label", f"{key}={labels[key]}"]
    for key in sorted(spec.env):
        args += ["--env", f"{key}={spec.env[key]}"]
    if spec.network_of:
        args += ["--network", f"container:{spec.network_of}"]
    for port in spec.ports:
        args += ["--publish", port.flag()]
    for host in spec.add_hosts:
        args += ["--add-host", host]
    if spec.working_dir:
        args += ["--workdir", spec.working_dir]
    if spec.user:
        args += ["--user", spec.user]
    if spec.entry_point is not None:
        # the JSON form keeps every element of ECS's entryPoint list as one argv word
        args += ["--entrypoint", json.dumps(spec.entry_point)]
    args.append(spec.image)
    args += list(spec.command or [])
    return args


def resolve_image(image: str, registry: str = LAB_REGISTRY) -> str:
    """Maps an ECR image URI (``<acct>.dkr.ecr.<region>.amazonaws.com/repo:tag``)
    to the lab registry; any other reference is used as given."""
    host, sep, rest = image.partition("/")
    if sep and ".dkr.ecr." in host and host.endswith((".amazonaws.com", ".amazonaws.com.cn")):
        return f"{registry}/{rest}"
    return image


def needs_pull(image: str, registry: str = LAB_REGISTRY) -> bool:
    """Images in the lab registry are always pulled (tags move, as on ECR);
    others only when missing locally."""
    return image.startswith(registry + "/") or image.startswith("localhost:5000/")


def parse_inspect(payload: str) -> list[ContainerStatus]:
    """Reads ``<engine> inspect`` JSON (podman and docker share these fields)."""
    statuses = []
    for item in json.loads(payload or "[]"):
        state = item.get("State") or {}
        config = item.get("Config") or {}
        running = bool(state.get("Running"))
        status = str(state.get("Status") or ("running" if running else "unknown"))
        exit_code = state.get("ExitCode")
        statuses.append(
            ContainerStatus(
                id=item.get("Id", ""),
                name=str(item.get("Name", "")).lstrip("/"),
                state=status,
                running=running,
                exit_code=None if running or status == "created" else int(exit_code or 0),
                error=str(state.get("Error") or ""),
                started_at=str(state.get("StartedAt") or ""),
                finished_at=str(state.get("FinishedAt") or ""),
                labels=dict(config.get("Labels") or {}),
                pid=int(state.get("Pid") or 0) if running else 0,
            )
        )
    return statuses


class ContainerRuntime:
    """Runs, stops, inspects and removes lab containers through one engine CLI.

    ``on_created(container_id)`` is called as soon as the engine knows the id,
    before the container starts, so the lab state can record it for ``lab down``.
    """

    def __init__(
        self,
        engine: str = "podman",
        on_created: Callable[[str], None] | None = None,
        on_removed: Callable[[str], None] | None = None,
        registry: str = LAB_REGISTRY,
        timeout: float = 120.0,
        authfile: str | None = None,
    ) -> None:
        self.engine = engine
        self.authfile = authfile
        self.on_created = on_created
        self.on_removed = on_removed
        self.registry = registry
        self.timeout = timeout
        # Running containers by id: their last status and the (pid, start time) of their first process.
        self._running: dict[str, tuple[ContainerStatus, int, str]] = {}
        self._inspected_at = 0.0

    @classmethod
    def detect(cls, preference: str = "auto", **kwargs) -> ContainerRuntime:
        """``preference`` is ``podman``, ``docker`` or ``auto`` (docker when an
        engine answers, podman otherwise)."""
        if preference in ("podman", "docker"):
            return cls(preference, **kwargs)
        if shutil.which("docker") and _docker_engine_answers():
            return cls("docker", **kwargs)
        return cls("podman", **kwargs)

    # -- engine calls -----------------------------------------------------
    def _call(self, args: list[str], timeout: float | None = None, check: bool = True) -> subprocess.CompletedProcess:
        proc = subprocess.run(args, capture_output=True, text=True, timeout=timeout or self.timeout, stdin=subprocess.DEVNULL)
        if check and proc.returncode != 0:
            raise ContainerEngineError(args, proc.returncode, proc.stderr or proc.stdout)
        return proc

    def image_exists(self, image: str) -> bool:
        if self.engine == "podman":
            return self._call([self.engine, "image", "exists", image], check=False).returncode == 0
        return self._call([self.engine, "image", "inspect", image], check=False).returncode == 0

    def pull(self, image: str) -> None:
        args = [self.engine, "pull", "--quiet"]
        if self.engine == "podman" and image.startswith((self.registry + "/", "localhost:5000/", "127.0.0.1:")):
            args.append("--tls-verify=false")
        if self.authfile and image.startswith(self.registry + "/"):
            # podman reads containers-auth.json; docker reads config.json in a --config directory.
            args = [*args, "--authfile", self.authfile] if self.engine == "podman" else [self.engine, "--config", os.path.dirname(self.authfile), *args[1:]]
        self._call([*args, image], timeout=max(self.timeout, 300))

    def ensure_image(self, image: str) -> None:
        """Pulls when the image lives in the lab registry or is missing locally."""
        if needs_pull(image, self.registry) or not self.image_exists(image):
            self.pull(image)

    def create(self, spec: ContainerSpec) -> str:
        proc = self._call(create_args(self.engine, spec))
        container_id = proc.stdout.strip().splitlines()[-1]
        if self.on_created:
            self.on_created(container_id)
        return container_id

    def start(self, container_id: str) -> None:
        self._call([self.engine, "start", container_id])

    def run(self, spec: ContainerSpec) -> str:
        container_id = self.create(spec)
        self.start(container_id)
        return container_id

    def stop(self, container_id: str, timeout: int) -> None:
        """SIGTERM (or the image's stop signal), then SIGKILL after ``timeout`` seconds."""
        self._call([self.engine, "stop", "--time", str(max(0, int(timeout))), container_id], timeout=timeout + 60, check=False)

    def kill(self, container_id: str, signal: str = "KILL") -> None:
        self._call([self.engine, "kill", "--signal", signal, container_id], check=False)

    def remove(self, container_id: str) -> None:
        self._running.pop(container_id, None)
        self._call([self.engine, "rm", "--force", container_id], check=False)
        if self.on_removed:
            self.on_removed(container_id)

    def inspect(self, container_ids: Iterable[str]) -> dict[str, ContainerStatus]:
        """Status by full id; ids the engine no longer knows are left out."""
        ids = list(container_ids)
        if not ids:
            return {}
        proc = self._call([self.engine, "container", "inspect", *ids], check=False)
        if proc.returncode != 0 and not proc.stdout.strip().startswith("["):
            # one unknown id fails the whole call: fall back to one by one
            if len(ids) == 1:
                return {}
            merged: dict[str, ContainerStatus] = {}
            for one in ids:
                merged.update(self.inspect([one]))
            return merged
        statuses = parse_inspect(proc.stdout)
        self._remember(statuses)
        return {s.id: s for s in statuses}

    def poll(self, container_ids: Iterable[str]) -> dict[str, ContainerStatus]:
        """:meth:`inspect` for the lab's monitor, which asks every tick: while every container of
        ``container_ids`` was running at the last inspect and its first process still runs (read from
        /proc, no engine call), the last statuses stand, for up to FULL_INSPECT_SECONDS."""
        ids = list(container_ids)
        known = [self._running.get(one) for one in ids]
        if self.engine == "podman" and ids and time.monotonic() - self._inspected_at < FULL_INSPECT_SECONDS:
            alive = {one: entry[0] for one, entry in zip(ids, known, strict=True) if entry is not None and process_start(entry[1]) == entry[2]}
            if len(alive) == len(ids):
                return alive
        statuses = self.inspect(ids)
        if ids and set(statuses) == set(ids):
            self._inspected_at = time.monotonic()
        return statuses

    def _remember(self, statuses: Iterable[ContainerStatus]) -> None:
        for status in statuses:
            start = process_start(status.pid) if status.running and status.pid > 0 else None
            if start is None:
                self._running.pop(status.id, None)
            else:
                self._running[status.id] = (status, status.pid, start)

    def list_lab_containers(self) -> list[str]:
        """Ids of every container carrying the lab label (for cleanup checks)."""
        proc = self._call([self.engine, "ps", "--all", "--quiet", "--no-trunc", "--filter", f"label={LAB_LABEL}=1"], check=False)
        return [line.strip() for line in proc.stdout.splitlines() if line.strip()]

    def logs(self, container_id: str, tail: int | None = None) -> str:
        """stdout and stderr of a container (all of it, or the last ``tail`` lines)."""
        args = [self.engine, "logs", container_id] if tail is None else [self.engine, "logs", "--tail", str(tail), container_id]
        proc = self._call(args, check=False)
        return (proc.stdout + proc.stderr).strip()


def _docker_engine_answers() -> bool:
    try:
        proc = subprocess.run(["docker", "info", "--format", "{{.ServerVersion}}"], capture_output=True, text=True, timeout=3, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return proc.returncode == 0 and bool(proc.stdout.strip())
