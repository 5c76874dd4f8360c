"""The container runtime wrapper against the real engine (podman with runc here).

Follows the ECS stop behaviour of
https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_StopTask.html
(SIGTERM, then SIGKILL after the stop timeout) and publishes ports on an own
loopback address as awsvpc tasks get their own ENI address.
"""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator

import pytest

from lab.ecs.runtime import LAB_LABEL, ContainerRuntime, ContainerSpec, PortPublish
from lab.ecs.sampleimage import SampleImages, ensure_sample_images
from lab.ecs.testkit import unique, wait_for

ADDRESS = "127.201.9.7"  # outside every lab prefix the tests use


@pytest.fixture(scope="module")
def images() -> SampleImages:
    return ensure_sample_images("podman")


@pytest.fixture
def runtime() -> Iterator[ContainerRuntime]:
    created: list[str] = []
    runtime = ContainerRuntime("podman", on_created=created.append)
    yield runtime
    for container_id in created:
        runtime.remove(container_id)


def _get(url: str) -> bytes | None:
    try:
        with urllib.request.urlopen(url, timeout=1) as response:
            return response.read()
    except OSError:
        return None


def test_run_publishes_on_own_address_with_env(runtime: ContainerRuntime, images: SampleImages) -> None:
    spec = ContainerSpec(
        name=unique("lab-rt"),
        image=images.v1,
        env={"SERVICE_VERSION": "41"},
        ports=(PortPublish(ADDRESS, 8080, 8080),),
        labels={"cutover.lab.test": "runtime"},
    )
    container_id = runtime.run(spec)
    body = wait_for("the container to answer", lambda: _get(f"http://{ADDRESS}:8080/version"), lambda b: b is not None, timeout=30)
    assert b'"Version 41"' in body
    status = runtime.inspect([container_id])[container_id]
    assert status.running and status.labels[LAB_LABEL] == "1" and status.labels["cutover.lab.test"] == "runtime"
    assert container_id in runtime.list_lab_containers()


def test_stop_is_sigterm_first(runtime: ContainerRuntime, images: SampleImages) -> None:
    """The sample service exits on SIGTERM: exit code 0, no SIGKILL needed."""
    container_id = runtime.run(ContainerSpec(name=unique("lab-rt"), image=images.v1, env={"SHUTDOWN_TIMEOUT": "1"}))
    # the handler exists once the service says it listens; SIGTERM before that is ignored by PID 1
    wait_for("the service to listen", lambda: runtime.logs(container_id), lambda text: "listening" in text, timeout=30)
    runtime.stop(container_id, 20)
    status = runtime.inspect([container_id])[container_id]
    assert (status.running, status.exit_code) == (False, 0)


def test_stop_kills_after_the_timeout(runtime: ContainerRuntime, images: SampleImages) -> None:
    """A process that ignores SIGTERM is SIGKILLed after the stop timeout: exit code 137."""
    ignore = "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); print('up', flush=True); time.sleep(600)"
    container_id = runtime.run(ContainerSpec(name=unique("lab-rt"), image=images.v1, command=["python3", "-c", ignore]))
    wait_for("running", lambda: runtime.logs(container_id), lambda text: "up" in text, timeout=30)
    runtime.stop(container_id, 1)
    status = runtime.inspect([container_id])[container_id]
    assert (status.running, status.exit_code) == (False, 137)


def test_entry_point_and_command(runtime: ContainerRuntime, images: SampleImages) -> None:
    container_id = runtime.run(ContainerSpec(name=unique("lab-rt"), image=images.v1, entry_point=["/bin/sh", "-c"], command=["echo from-entrypoint; exit 3"]))
    status = wait_for("exit", lambda: runtime.inspect([container_id])[container_id], lambda s: not s.running and s.state != "created", timeout=30)
    assert status.exit_code == 3
    assert "from-entrypoint" in runtime.logs(container_id)


def test_inspect_skips_unknown_ids(runtime: ContainerRuntime) -> None:
    assert runtime.inspect(["0" * 64]) == {}


def test_poll_reads_a_running_container_from_proc_and_sees_its_exit(runtime: ContainerRuntime, images: SampleImages) -> None:
    """The monitor's poll: while the container's first process runs, no engine call; once it exits
    (here: killed outside the lab's own stop), the next poll inspects and reports the exit."""
    container_id = runtime.run(ContainerSpec(name=unique("lab-rt"), image=images.v1))
    first = wait_for("running", lambda: runtime.poll([container_id]).get(container_id), lambda s: s is not None and s.running, timeout=30)
    assert first.pid > 0
    calls: list[list[str]] = []
    engine_call = runtime._call

    def counting(args: list[str], *rest, **options):  # type: ignore[no-untyped-def]
        calls.append(args)
        return engine_call(args, *rest, **options)

    runtime._call = counting  # type: ignore[method-assign]
    assert runtime.poll([container_id])[container_id].running
    assert calls == []
    runtime.kill(container_id)
    calls.clear()
    status = wait_for("the exit", lambda: runtime.poll([container_id])[container_id], lambda s: not s.running, timeout=30)
    assert status.exit_code == 137 and ["podman", "container", "inspect", container_id] in calls, calls
