"""Unit tests of the pure parts of lab/ecs: the rolling planner, the circuit breaker
threshold, task set counts, and the argument builders. No lab, no containers."""

from __future__ import annotations

import json

import pytest

from lab.ecs import healthcheck, planner
from lab.ecs.intercept import list_tasks_matches
from lab.ecs.model import TaskRecord
from lab.ecs.planner import Fleet, RollingStep, plan_rolling_step
from lab.ecs.runtime import ContainerSpec, PortPublish, create_args, parse_inspect, resolve_image
from lab.ecs.services import normalized_deployment_configuration
from lab.ecs.tasksets import stability


@pytest.mark.parametrize(
    ("desired", "percent", "expected"),
    [(2, 100, 2), (2, 50, 1), (3, 50, 2), (1, 50, 1), (4, 0, 0), (0, 100, 0)],
)
def test_min_healthy_rounds_up(desired: int, percent: int, expected: int) -> None:
    """deployment-type-ecs.html: minimumHealthyPercent is rounded up."""
    assert planner.min_healthy_tasks(desired, percent) == expected


@pytest.mark.parametrize(
    ("desired", "percent", "expected"),
    [(2, 200, 4), (3, 150, 4), (1, 150, 1), (4, 125, 5), (2, 100, 2)],
)
def test_max_tasks_rounds_down(desired: int, percent: int, expected: int) -> None:
    """deployment-type-ecs.html: maximumPercent is rounded down."""
    assert planner.max_tasks(desired, percent) == expected


@pytest.mark.parametrize(
    ("desired", "expected"),
    [(0, 3), (1, 3), (2, 3), (6, 3), (7, 4), (10, 5), (399, 200), (400, 200), (1000, 200)],
)
def test_circuit_breaker_threshold(desired: int, expected: int) -> None:
    """API_ServiceDeploymentCircuitBreaker.html: 0.5 x desired count, min 3, max 200."""
    assert planner.circuit_breaker_threshold(desired) == expected


ROLLING_CASES = [
    # (case, fleet, step)
    ("100/200 starts the whole new set first", Fleet(2, 100, 200, old_healthy=2), RollingStep(start_new=2)),
    ("100/200 keeps old tasks while new ones start", Fleet(2, 100, 200, new_starting=2, old_healthy=2), RollingStep()),
    ("100/200 stops one old per healthy new", Fleet(2, 100, 200, new_healthy=1, new_starting=1, old_healthy=2), RollingStep(stop_old_healthy=1)),
    ("100/200 stops the old set once new is healthy", Fleet(2, 100, 200, new_healthy=2, old_healthy=2), RollingStep(stop_old_healthy=2)),
    ("50/100 makes room by stopping half first", Fleet(2, 50, 100, old_healthy=2), RollingStep(stop_old_healthy=1)),
    ("50/100 waits while the stopped task drains", Fleet(2, 50, 100, old_healthy=1, stopping=1), RollingStep()),
    ("50/100 starts once room is free", Fleet(2, 50, 100, old_healthy=1), RollingStep(start_new=1)),
    ("50/100 keeps the last old task until the new one is healthy", Fleet(2, 50, 100, new_starting=1, old_healthy=1), RollingStep()),
    ("0/100 stops every old task at once", Fleet(4, 0, 100, old_healthy=4), RollingStep(stop_old_healthy=4)),
    ("unhealthy old tasks go at once", Fleet(2, 100, 200, old_healthy=2, old_starting=1), RollingStep(stop_old_starting=1, start_new=1)),
    ("scale in stops excess new tasks", Fleet(1, 100, 200, new_healthy=2), RollingStep(stop_new_healthy=1)),
    ("scale in stops starting tasks before healthy ones", Fleet(1, 100, 200, new_healthy=1, new_starting=1), RollingStep(stop_new_starting=1)),
    ("a failed task is replaced", Fleet(2, 100, 200, new_healthy=1), RollingStep(start_new=1)),
    ("desired 0 stops everything", Fleet(0, 100, 200, new_healthy=2), RollingStep(stop_new_healthy=2)),
    ("150 % of 3 allows one extra task", Fleet(3, 100, 150, old_healthy=3), RollingStep(start_new=1)),
    ("steady fleet does nothing", Fleet(2, 100, 200, new_healthy=2), RollingStep()),
    ("stopping tasks count against the maximum", Fleet(2, 100, 200, new_healthy=2, stopping=2), RollingStep()),
]


@pytest.mark.parametrize(("case", "fleet", "expected"), ROLLING_CASES, ids=[c[0] for c in ROLLING_CASES])
def test_plan_rolling_step(case: str, fleet: Fleet, expected: RollingStep) -> None:
    """deployment-type-ecs.html: the scheduler starts and stops within min/max percent."""
    assert plan_rolling_step(fleet) == expected


@pytest.mark.parametrize("fleet", [c[1] for c in ROLLING_CASES])
def test_plan_never_breaks_its_limits(fleet: Fleet) -> None:
    """Whatever the step, the healthy count stays at or above the floor it started
    above, and the started tasks never push the total above the ceiling."""
    step = plan_rolling_step(fleet)
    healthy_before = fleet.new_healthy + fleet.old_healthy
    healthy_after = healthy_before - step.stop_old_healthy - step.stop_new_healthy
    floor = planner.min_healthy_tasks(fleet.desired, fleet.min_percent)
    if healthy_before >= floor and fleet.desired >= healthy_after:
        assert healthy_after >= min(floor, healthy_before)
    active = fleet.new_healthy + fleet.new_starting + fleet.old_healthy + fleet.old_starting + fleet.stopping
    if step.start_new:
        assert active + step.start_new <= planner.max_tasks(fleet.desired, fleet.max_percent)


@pytest.mark.parametrize(
    ("fleet", "steady"),
    [
        (Fleet(2, new_healthy=2), True),
        (Fleet(2, new_healthy=2, old_healthy=1), False),
        (Fleet(2, new_healthy=1, new_starting=1), False),
        (Fleet(2, new_healthy=2, stopping=1), False),
        (Fleet(0), True),
    ],
)
def test_deployment_is_steady(fleet: Fleet, steady: bool) -> None:
    assert planner.deployment_is_steady(fleet) is steady


@pytest.mark.parametrize(
    ("desired", "scale", "expected"),
    [(4, 50.0, 2), (3, 50.0, 2), (2, 0.0, 0), (2, 100.0, 2), (5, 10.0, 1), (0, 100.0, 0), (10, 33.3, 4)],
)
def test_task_set_computed_count(desired: int, scale: float, expected: int) -> None:
    """API_Scale.html: a task set runs its scale (percent) of the service's desired count."""
    assert planner.task_set_computed_count(desired, scale) == expected


@pytest.mark.parametrize(
    ("computed", "healthy", "starting", "stopping", "expected"),
    [(2, 2, 0, 0, "STEADY_STATE"), (2, 1, 1, 0, "STABILIZING"), (1, 1, 0, 1, "STABILIZING"), (0, 0, 0, 0, "STEADY_STATE")],
)
def test_task_set_stability(computed: int, healthy: int, starting: int, stopping: int, expected: str) -> None:
    assert stability(computed, healthy, starting, stopping) == expected


def test_deployment_configuration_defaults() -> None:
    """API_DeploymentConfiguration.html: max 200 %, min 100 %, circuit breaker off."""
    assert normalized_deployment_configuration(None, "ECS") == {
        "maximumPercent": 200,
        "minimumHealthyPercent": 100,
        "deploymentCircuitBreaker": {"enable": False, "rollback": False},
    }
    assert normalized_deployment_configuration({"minimumHealthyPercent": 50}, "ECS", {"maximumPercent": 150})["maximumPercent"] == 150
    assert "deploymentCircuitBreaker" not in normalized_deployment_configuration(None, "EXTERNAL")


def test_create_args_for_podman() -> None:
    spec = ContainerSpec(
        name="lab-ecs-abc-app",
        image="localhost/x:1",
        env={"B": "2", "A": "1"},
        command=["python3", "app.py"],
        entry_point=["/bin/sh", "-c"],
        ports=(PortPublish("127.0.2.7", 8080, 8080),),
        labels={"k": "v"},
        stop_timeout=5,
    )
    args = create_args("podman", spec)
    assert args[:2] == ["podman", "create"]
    assert args[2:8] == ["--runtime", "runc", "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024"]
    assert args[args.index("--publish") + 1] == "127.0.2.7:8080:8080/tcp"
    assert args[args.index("--entrypoint") + 1] == json.dumps(["/bin/sh", "-c"])
    assert [args[i + 1] for i, a in enumerate(args) if a == "--env"] == ["A=1", "B=2"]
    assert "cutover.lab=1" in args and "k=v" in args
    assert args[-3:] == ["localhost/x:1", "python3", "app.py"]
    assert args[args.index("--stop-timeout") + 1] == "5"


def test_create_args_second_container_joins_the_first_network() -> None:
    args = create_args("docker", ContainerSpec(name="b", image="i", network_of="a"))
    assert "--runtime" not in args
    assert args[args.index("--network") + 1] == "container:a"
    assert "--publish" not in args


@pytest.mark.parametrize(
    ("image", "expected"),
    [
        ("123456789012.dkr.ecr.us-east-1.amazonaws.com/web:2", "127.0.0.1:5000/web:2"),
        ("123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/web@sha256:ab", "127.0.0.1:5000/team/web@sha256:ab"),
        ("localhost/cutover/web:1", "localhost/cutover/web:1"),
        ("127.0.0.1:5000/web:1", "127.0.0.1:5000/web:1"),
    ],
)
def test_resolve_image(image: str, expected: str) -> None:
    assert resolve_image(image, "127.0.0.1:5000") == expected


def test_parse_inspect() -> None:
    payload = json.dumps(
        [
            {"Id": "a", "Name": "/x", "State": {"Status": "running", "Running": True, "ExitCode": 0}, "Config": {"Labels": {"k": "v"}}},
            {"Id": "b", "Name": "y", "State": {"Status": "exited", "Running": False, "ExitCode": 137, "Error": ""}, "Config": {}},
        ]
    )
    running, exited = parse_inspect(payload)
    assert (running.running, running.exit_code, running.name, running.labels) == (True, None, "x", {"k": "v"})
    assert (exited.running, exited.exit_code, exited.state) == (False, 137, "exited")


def _task(**kwargs: object) -> TaskRecord:
    base: dict[str, object] = dict(
        arn="arn:t/1",
        id="1",
        region="us-east-1",
        account_id="1",
        cluster_arn="c",
        cluster_name="c1",
        task_definition_arn="td",
        family="web",
        network_mode="awsvpc",
        launch_type="FARGATE",
        group="service:svc",
        started_by="ecs-svc/1",
        containers=[],
        stop_timeout=30,
        service_name="svc",
    )
    base.update(kwargs)
    return TaskRecord(**base)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("params", "task", "listed"),
    [
        ({}, _task(), True),
        ({"serviceName": "svc"}, _task(), True),
        ({"serviceName": "arn:aws:ecs:us-east-1:1:service/c1/svc"}, _task(), True),
        ({"serviceName": "other"}, _task(), False),
        ({}, _task(desired_status="STOPPED"), False),
        ({"desiredStatus": "STOPPED"}, _task(desired_status="STOPPED"), True),
        ({"family": "api"}, _task(), False),
        ({"startedBy": "ecs-svc/1"}, _task(), True),
        ({}, _task(cluster_name="c2"), False),
    ],
)
def test_list_tasks_filters(params: dict[str, str], task: TaskRecord, listed: bool) -> None:
    """API_ListTasks.html: serviceName, family, startedBy; desiredStatus defaults to RUNNING."""
    assert list_tasks_matches(task, "c1", params) is listed


@pytest.mark.parametrize(
    ("status", "failures", "passed", "in_start_period", "expected"),
    [
        ("UNKNOWN", 0, True, False, ("HEALTHY", 0)),
        ("HEALTHY", 0, False, False, ("HEALTHY", 1)),
        ("HEALTHY", 1, False, False, ("HEALTHY", 2)),
        ("HEALTHY", 2, False, False, ("UNHEALTHY", 3)),
        ("UNKNOWN", 0, False, True, ("UNKNOWN", 0)),
        ("UNHEALTHY", 5, True, False, ("HEALTHY", 0)),
    ],
)
def test_container_health_status(status: str, failures: int, passed: bool, in_start_period: bool, expected: tuple[str, int]) -> None:
    """API_HealthCheck.html: UNHEALTHY after `retries` (3) consecutive failures; failures in startPeriod do not count."""
    assert healthcheck.next_status(status, failures, passed, in_start_period, retries=3) == expected


@pytest.mark.parametrize(
    ("containers", "expected"),
    [
        ([(True, True, "HEALTHY"), (True, False, "UNKNOWN")], "HEALTHY"),
        ([(True, True, "HEALTHY"), (True, True, "UNHEALTHY")], "UNHEALTHY"),
        ([(True, True, "HEALTHY"), (False, True, "UNHEALTHY")], "HEALTHY"),
        ([(True, True, "UNKNOWN")], "UNKNOWN"),
        ([(True, False, "UNKNOWN")], "UNKNOWN"),
    ],
)
def test_task_health_from_essential_containers(containers: list[tuple[bool, bool, str]], expected: str) -> None:
    """API_Task.html (healthStatus): an unhealthy essential container makes the task UNHEALTHY."""
    assert healthcheck.task_health(containers) == expected


def test_health_check_exec_args() -> None:
    assert healthcheck.exec_args("podman", "c1", ("CMD-SHELL", "curl -f localhost || exit 1")) == [
        "podman",
        "exec",
        "c1",
        "/bin/sh",
        "-c",
        "curl -f localhost || exit 1",
    ]
    assert healthcheck.exec_args("podman", "c1", ("CMD", "python3", "-c", "pass")) == ["podman", "exec", "c1", "python3", "-c", "pass"]
