"""Issue 7's fault matrix: each entry a test, with ~100 requests a second through the
production listener throughout, cutovers driven by ansible-playbook (tests/faults/cutover.yml).

What every test records (conftest.py writes bench-results/faults.json): the load report, what
the deploy module returned per run, and the deployments the service's history shows.
"""

from __future__ import annotations

import re
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from faultkit import deploy_result, failed_outside, first_failure, in_flight_bound, kill_group, orphan_task_sets, parse_output, what_the_tool_did
from world import Background, Service, ServicePool, forward_weights, in_phase, load_summary, other, watch

from lab.loadgen import LoadReport

CODEDEPLOY_AND_ROLLING = ["codedeploy", "rolling"]
REPO = Path(__file__).resolve().parents[2]


def settled_tail(report: LoadReport, count: int = 30) -> set:
    """Versions of the last answers: production ended on one version."""
    return set(report.sequence()[-count:])


def assert_no_failed_requests(report: LoadReport) -> None:
    assert report.total > 0, "the load generator sent nothing"
    assert report.failed == 0, f"{report.failed} of {report.total} requests failed: {report.failures()}"


def note_deployments(record: dict[str, Any], service: Service, before: set[str]) -> list[str]:
    if service.strategy != "codedeploy":
        record["deployment_ids"] = [d.get("id") for d in service.describe().get("deployments") or []]
        return record["deployment_ids"]
    started = service.started_deployments(before)
    record["deployment_ids"] = sorted(service.deployment_ids() - before)
    record["deployments_started"] = started
    return started


def assert_production_stayed_on(report: LoadReport, version: str) -> None:
    versions = report.versions()
    assert set(versions) == {version}, f"production served {dict(versions)}; it must never leave {version}"


# --- 1. green tasks fail their health checks ------------------------------------------------------


@pytest.mark.fault(entry=1, title="Green tasks fail their health checks: automatic rollback; production never leaves blue")
@pytest.mark.parametrize("strategy", CODEDEPLOY_AND_ROLLING + ["ecs"])
def test_green_fails_health_checks(strategy: str, pool: ServicePool, record: dict[str, Any]) -> None:
    with pool.service(strategy) as service:
        before, blue = service.deployment_ids() if strategy == "codedeploy" else set(), service.version
        with service.load() as load:
            run = service.deploy(service.images.unhealthy)
        report = load.report()
        record["load"] = load_summary(report)
        note_deployments(record, service, before)
        result = run.deploy
        assert result is not None, run.explain()
        assert run.returncode != 0, "a release whose health checks fail must fail the playbook"
        assert (result["status"], result["rolled_back"]) == ("rolled_back", True), what_the_tool_did(result)
        # every strategy names the health checks: codedeploy's own reason, the circuit breaker's
        # followed by the last stopped task's stoppedReason
        assert "health check" in (result["rollback_reason"] or "").lower(), result["rollback_reason"]
        assert_production_stayed_on(report, blue)
        assert_no_failed_requests(report)
        if strategy in ("codedeploy", "ecs"):
            # The deploy module's green watch stopped it, not CodeDeploy's own timeout (an hour on AWS) or ECS's circuit
            # breaker: the report says which target or task failed (issue 29).
            watch = result.get("green_watch") or {}
            # A target seen unhealthy, or a task ECS stopped for it (the target state lasts until ECS replaces the task)
            assert watch.get("check") in ("target_health", "task_stops") and "health checks" in watch["reason"], what_the_tool_did(result)
            assert result["rollback_reason"] == watch["reason"] and watch["target_group"].endswith("-green"), watch
            record["green_watch"] = watch
        if strategy == "codedeploy":
            # Kept for the README: within two health-check intervals and one poll of green's first failed check.
            # The lab's check interval: the role's 30 s at the matrix's time scale, within the lab's 0.2-2 s
            interval = min(2.0, max(0.2, 30 / float(service.lab.env["LAB_TIME_SCALE"])))
            record["rollback_after_test_traffic_s"] = service.rollback_after_test_traffic(result["deployment_id"])
            # the same bound, as the module reports it
            record["module_rollback_after_checks_began_s"] = result["green_watch"].get("rollback_after_checks_began_s")
            record["bound_s"] = {"health_check_interval": interval, "poll": 1, "two_intervals_and_a_poll": round(2 * interval + 1, 2)}


# --- 2. green tasks crash on start ------------------------------------------------------------------


@pytest.mark.fault(entry=2, title="Green tasks crash on start: rollback, with a clear reason in the report")
@pytest.mark.parametrize("strategy", CODEDEPLOY_AND_ROLLING)
def test_green_crashes_on_start(strategy: str, pool: ServicePool, record: dict[str, Any]) -> None:
    with pool.service(strategy) as service:
        before, blue = service.deployment_ids() if strategy == "codedeploy" else set(), service.version
        with service.load() as load:
            run = service.deploy(service.images.broken)
        report = load.report()
        record["load"] = load_summary(report)
        note_deployments(record, service, before)
        result = run.deploy
        assert result is not None, run.explain()
        assert run.returncode != 0
        assert (result["status"], result["rolled_back"]) == ("rolled_back", True), what_the_tool_did(result)
        reason = result.get("rollback_reason") or ""
        # A clear reason names what happened to the containers, not only "failed".
        assert re.search(r"essential container in task exited", reason, re.IGNORECASE), reason
        assert reason in result["msg"], "the failure message should carry the reason"
        assert_production_stayed_on(report, blue)
        assert_no_failed_requests(report)


# --- 3 and 4. a CloudWatch alarm goes into ALARM ------------------------------------------------------


def alarm(service: Service) -> str:
    cloudwatch = service.lab.client("cloudwatch")
    name = f"{service.name}-5xx"
    cloudwatch.put_metric_alarm(
        AlarmName=name,
        MetricName="HTTPCode_Target_5XX_Count",
        Namespace="AWS/ApplicationELB",
        Statistic="Sum",
        Period=60,
        EvaluationPeriods=1,
        Threshold=1,
        ComparisonOperator="GreaterThanOrEqualToThreshold",
    )
    return name


def set_alarm(service: Service, name: str, state: str) -> None:
    service.lab.client("cloudwatch").set_alarm_state(AlarmName=name, StateValue=state, StateReason="fault matrix")


@pytest.mark.fault(entry=3, title="A CloudWatch alarm enters ALARM during the canary shift: rollback")
def test_alarm_during_canary_shift(pool: ServicePool, record: dict[str, Any]) -> None:
    alarm_rolls_back(pool, record, "shift", {"type": "canary", "percent": 20, "interval_minutes": 3})


@pytest.mark.fault(entry=4, title="The alarm enters ALARM during the bake (termination wait): rollback")
def test_alarm_during_termination_wait(pool: ServicePool, record: dict[str, Any]) -> None:
    alarm_rolls_back(pool, record, "termination-wait", {})


def alarm_rolls_back(pool: ServicePool, record: dict[str, Any], phase: str, traffic: dict) -> None:
    with pool.service("codedeploy") as service:
        name = alarm(service)
        before, blue = service.deployment_ids(), service.version
        with service.load() as load:
            running = Background(lambda: service.deploy(service.images.good(other(blue)), fault_alarms=[name], fault_traffic=traffic))
            deployment = watch("the deployment", service.active_deployments, bool)[0]
            watch(f"phase {phase}", lambda: service.lifecycle(deployment), lambda seen: in_phase(phase, *seen))
            set_alarm(service, name, "ALARM")
            record["alarm_set_in"] = phase
            run = running.join()
        set_alarm(service, name, "OK")
        report = load.report()
        record["load"] = load_summary(report)
        started = note_deployments(record, service, before)
        result = run.deploy
        assert result is not None, run.explain()
        assert (result["status"], result["rolled_back"]) == ("rolled_back", True), what_the_tool_did(result)
        assert name in (result.get("rollback_reason") or ""), result.get("rollback_reason")
        assert started == [deployment]
        assert settled_tail(report) == {blue}, f"production must end on blue {blue}: {report.sequence()[-30:]}"
        service.wait_version(blue)
        assert_no_failed_requests(report)


# --- 8 and 9. throttling and server errors --------------------------------------------------------------

API_SERVICES = ("ecs", "elasticloadbalancing", "codedeploy")


def inject(service: Service, kind: str, share: float, apis: tuple[str, ...] = API_SERVICES) -> None:
    for api in apis:
        extra = ["--status", "500"] if kind == "fail" else []
        done = service.lab.cli("fault", kind, "--service", api, "--share", str(share), *extra)
        assert done.returncode == 0, done.stderr


def injected(service: Service) -> dict[str, int]:
    counts: dict[str, int] = {}
    for call in service.lab.calls():
        if call.get("fault"):
            counts[call["fault"]] = counts.get(call["fault"], 0) + 1
    return counts


@pytest.mark.fault(entry=8, title="20% of ECS, ELBv2 and CodeDeploy calls are throttled: the cutover succeeds through retries")
@pytest.mark.parametrize("strategy", CODEDEPLOY_AND_ROLLING)
def test_throttled_calls(strategy: str, pool: ServicePool, record: dict[str, Any]) -> None:
    with pool.service(strategy) as service:
        before, green = service.deployment_ids() if strategy == "codedeploy" else set(), other(service.version)
        faults_before = injected(service).get("throttle", 0)
        with service.load() as load:
            inject(service, "throttle", 0.2)
            # Both roles, as deploy.yml runs them: provisioning again under throttling too.
            run = service.deploy(service.images.good(green), fault_provision=True)
            service.lab.clear_faults()
            if run.returncode == 0:
                service.wait_version(green)
        report = load.report()
        record["load"] = load_summary(report)
        record["throttled_calls"] = injected(service).get("throttle", 0) - faults_before
        started = note_deployments(record, service, before)
        assert run.returncode == 0, run.explain()
        assert record["throttled_calls"] > 0, "no call was throttled: the fault did not apply"
        assert run.deploy["status"] == "succeeded"
        service.version = green
        if strategy == "codedeploy":
            assert len(started) == 1, started
        assert_no_failed_requests(report)


@pytest.mark.fault(entry=9, title="5% of calls fail with HTTP 500: it succeeds, or fails cleanly with state a re-run repairs")
@pytest.mark.parametrize("strategy", CODEDEPLOY_AND_ROLLING)
def test_server_errors(strategy: str, pool: ServicePool, record: dict[str, Any]) -> None:
    with pool.service(strategy) as service:
        before, green = service.deployment_ids() if strategy == "codedeploy" else set(), other(service.version)
        faults_before = injected(service).get("fail", 0)
        with service.load() as load:
            # "5% of calls": one share over every call the playbook makes, whatever the service
            # (a share per service fired on no call when a service saw fewer than 20)
            inject(service, "fail", 0.05, ("*",))
            run = service.deploy(service.images.good(green), fault_provision=True)
            service.lab.clear_faults()
            record["first_run"] = "succeeded" if run.returncode == 0 else f"failed: {run.explain()[:300]}"
            if run.returncode != 0:
                rerun = service.deploy(service.images.good(green), fault_provision=True)
                assert rerun.returncode == 0, f"the re-run did not repair: {rerun.explain()}"
            service.wait_version(green)
        report = load.report()
        record["load"] = load_summary(report)
        record["failed_calls"] = injected(service).get("fail", 0) - faults_before
        started = note_deployments(record, service, before)
        assert record["failed_calls"] > 0, "no call failed: the fault did not apply"
        service.version = green
        if strategy == "codedeploy":
            assert len(started) == 1, f"a re-run must attach, never start a second deployment: {started}"
        assert settled_tail(report) == {green}
        assert_no_failed_requests(report)


# --- 10. a blue task is killed ----------------------------------------------------------------------------


@pytest.mark.fault(entry=10, title="A blue task is killed during the cutover: the service heals; no failed request beyond those in flight on it")
def test_blue_task_killed(pool: ServicePool, record: dict[str, Any]) -> None:
    with pool.service("codedeploy") as service:
        before, blue = service.deployment_ids(), service.version
        green = other(blue)
        with service.load() as load:
            running = Background(lambda: service.deploy(service.images.good(green)))
            deployment = watch("the deployment", service.active_deployments, bool)[0]
            watch("green starting", lambda: service.lifecycle(deployment), lambda seen: in_phase("green-started", *seen))
            blue_sets = {ts["id"] for ts in service.task_sets() if ts["status"] == "PRIMARY"}
            victim = next(t for t in service.running_tasks() if t.get("startedBy") in blue_sets)
            killed_from = time.monotonic()
            done = service.lab.cli("fault", "kill-task", "--cluster", service.name, "--task", victim["taskArn"])
            assert done.returncode == 0, done.stderr
            watch("the killed task stopped", lambda: describe_task(service, victim["taskArn"]), lambda t: t.get("lastStatus") == "STOPPED", timeout=60)
            stopped_by = time.monotonic()
            run = running.join()
            service.wait_version(green)
        report = load.report()
        record["load"] = load_summary(report)
        record["killed_task"] = victim["taskArn"]
        record["allowed_failed_requests"] = in_flight_bound(report.samples, killed_from, stopped_by)
        record["task_stopped_after_s"] = round(stopped_by - killed_from, 2)
        failed_at = [round(s.started - killed_from, 2) for s in report.samples if not s.ok]
        record["failures_after_kill_s"] = [min(failed_at), max(failed_at)] if failed_at else []
        started = note_deployments(record, service, before)
        assert run.returncode == 0, run.explain()
        service.version = green
        assert started == [deployment]
        desired = service.describe()["desiredCount"]
        watch("the service healed", lambda: len(service.running_tasks()), lambda n: n >= desired, timeout=120, interval=0.5)
        beyond = failed_outside(report.samples, killed_from, stopped_by)
        assert beyond == [], f"{len(beyond)} failed requests were not in flight on the killed task: {beyond[:10]}"
        assert report.failed <= record["allowed_failed_requests"]


def describe_task(service: Service, arn: str) -> dict:
    found = service.ecs.describe_tasks(cluster=service.name, tasks=[arn])["tasks"]
    return found[0] if found else {}


# --- 11. a deployment times out ----------------------------------------------------------------------------


@pytest.mark.fault(entry=11, title="A wait_timeout shorter than the deployment: a clear error; a re-run attaches and finishes")
def test_wait_timeout_then_attach(pool: ServicePool, record: dict[str, Any]) -> None:
    with pool.service("codedeploy") as service:
        before, green = service.deployment_ids(), other(service.version)
        with service.load() as load, service.termination_wait(20):
            # the bake alone (20 lab minutes: 60 s) outlasts the 8 s wait_timeout and the re-run's start
            first = service.deploy(service.images.good(green), fault_wait_timeout=8)
            again = service.deploy(service.images.good(green))
            if again.returncode == 0:
                service.wait_version(green)
        report = load.report()
        record["load"] = load_summary(report)
        started = note_deployments(record, service, before)
        assert first.returncode != 0, "the short wait_timeout should fail the first run"
        message = (first.deploy or {}).get("msg") or ""
        assert "Timed out" in message and "wait_timeout" in message, message
        assert again.returncode == 0, again.explain()
        service.version = green
        assert len(started) == 1, f"the re-run must attach to the first deployment: {started}"
        assert (again.deploy["status"], again.deploy["deployment_id"]) == ("succeeded", started[0]), "the re-run must attach to the deployment"
        assert_no_failed_requests(report)


# --- 6. ansible-playbook killed with SIGKILL -------------------------------------------------------------


@pytest.mark.fault(entry=6, title="ansible-playbook SIGKILLed mid-cutover: the re-run attaches and finishes or rolls back; one deployment, no orphan task set")
@pytest.mark.parametrize("phase", ["green-started", "test-traffic", "shift", "termination-wait"])
def test_sigkill_then_rerun(phase: str, pool: ServicePool, record: dict[str, Any], tmp_path: Path) -> None:
    traffic = {"type": "canary", "percent": 20, "interval_minutes": 3} if phase == "shift" else {}
    # A ready gate (the group stops at Ready) holds test traffic until the module continues.
    with pool.service("codedeploy", verification_minutes=60 if phase == "test-traffic" else 0) as service:
        before, green = service.deployment_ids(), other(service.version)
        with service.load() as load, service.termination_wait(20):
            # A longer poll keeps a deployment at Ready (test traffic) long enough to be caught there.
            poll = 3 if phase == "test-traffic" else 1
            proc = service.start_deploy(service.images.good(green), tmp_path / "killed.log", fault_traffic=traffic, fault_poll_interval=poll)
            try:
                deployment = watch("the deployment", service.active_deployments, bool)[0]
                watch(f"phase {phase}", lambda: service.lifecycle(deployment), lambda seen: in_phase(phase, *seen))
            finally:
                kill_group(proc)
            record["killed_in"] = phase
            rerun = service.deploy(service.images.good(green), fault_traffic=traffic)
            if rerun.returncode == 0:
                service.wait_version(green)
        report = load.report()
        record["load"] = load_summary(report)
        started = note_deployments(record, service, before)
        assert proc.returncode == -9
        assert started == [deployment], f"one deployment in total, the killed run's: {started}"
        assert rerun.returncode == 0, rerun.explain()
        assert rerun.deploy["deployment_id"] == deployment
        service.version = green
        watch("no orphan task set", service.task_sets, lambda sets: len(sets) == 1 and not orphan_task_sets(sets), timeout=60, interval=0.5)
        assert settled_tail(report) == {green}
        assert_no_failed_requests(report)


# --- 7. two runs at once -------------------------------------------------------------------------------------


@pytest.mark.fault(entry=7, title="Two deploy runs on one service at once: exactly one deployment; the other attaches or refuses clearly")
def test_two_runs_at_once(pool: ServicePool, record: dict[str, Any], tmp_path: Path) -> None:
    with pool.service("codedeploy") as service:
        before, green = service.deployment_ids(), other(service.version)
        with service.load() as load:
            logs = [tmp_path / "first.log", tmp_path / "second.log"]
            procs = [service.start_deploy(service.images.good(green), log) for log in logs]
            for proc in procs:
                proc.wait(timeout=600)
            service.wait_version(green, timeout=60) if any(p.returncode == 0 for p in procs) else None
        report = load.report()
        record["load"] = load_summary(report)
        results = [deploy_result(parse_output(log.read_text())) for log in logs]
        record["runs"] = [what_the_tool_did(result) | {"returncode": proc.returncode} for result, proc in zip(results, procs, strict=True)]
        started = note_deployments(record, service, before)
        assert len(started) == 1, f"exactly one deployment: {started}"
        winners = [r for r, p in zip(results, procs, strict=True) if p.returncode == 0]
        assert winners, record["runs"]
        for result, proc in zip(results, procs, strict=True):
            if proc.returncode == 0:
                assert result["deployment_id"] == started[0]
            else:
                message = (result or {}).get("msg") or ""
                assert re.search(r"in progress|active deployment", message, re.IGNORECASE), f"refusal without a clear message: {message!r}"
        service.version = green
        assert settled_tail(report) == {green}
        assert_no_failed_requests(report)


# --- 5. the verification task file fails --------------------------------------------------------------------


@pytest.mark.fault(entry=5, title="The verification task file fails: rollback; production never saw green")
def test_verification_fails(pool: ServicePool, record: dict[str, Any], tmp_path: Path) -> None:
    verify = tmp_path / "verify.yml"
    verify.write_text(
        "---\n- name: Green must answer version 0 on the test listener (it does not)\n"
        '  ansible.builtin.uri:\n    url: "{{ deploy_test_url }}/version"\n    return_content: true\n'
        "  register: __faults_green\n  failed_when: (__faults_green.content | from_json).version != '0'\n"
    )
    with pool.service("codedeploy", verification_minutes=60) as service:
        before, blue = service.deployment_ids(), service.version
        with service.load() as load:
            run = service.deploy(
                service.images.good(other(blue)),
                fault_verify_tasks=str(verify),
                fault_test_url=f"http://{service.dns}:9000",
            )
        report = load.report()
        record["load"] = load_summary(report)
        started = note_deployments(record, service, before)
        record["playbook_failure"] = run.explain()[:600]
        assert run.returncode != 0, "a failed verification must fail the playbook"
        assert len(started) == 1
        status, _events = service.lifecycle(started[0])
        assert status == "Stopped", f"deployment {started[0]} is {status}, not rolled back; the playbook: {run.explain()}"
        assert_production_stayed_on(report, blue)
        assert_no_failed_requests(report)


# --- 12. rollback.yml during the termination wait -------------------------------------------------------------


@pytest.mark.fault(entry=12, title="rollback.yml during the termination wait: production returns to blue at once")
def test_rollback_playbook_during_termination_wait(pool: ServicePool, record: dict[str, Any]) -> None:
    rollback = REPO / "playbooks" / "rollback.yml"
    with pool.service("codedeploy") as service:
        before, blue = service.deployment_ids(), service.version
        with service.load() as load:
            running = Background(lambda: service.deploy(service.images.good(other(blue))))
            deployment = watch("the deployment", service.active_deployments, bool)[0]
            watch("the termination wait", lambda: service.lifecycle(deployment), lambda seen: in_phase("termination-wait", *seen))
            service.wait_version(other(blue), samples=3, timeout=30)
            asked = time.monotonic()
            rolled = subprocess.run(
                [str(REPO / ".venv" / "bin" / "ansible-playbook"), str(rollback), "-e", f"cutover_name={service.name}"],
                cwd=REPO,
                env=service.playbook.env(),
                capture_output=True,
                text=True,
                timeout=600,
            )
            service.wait_version(blue, samples=3, timeout=60)
            back_on_blue = time.monotonic()
            run = running.join()
        report = load.report()
        record["load"] = load_summary(report)
        record["rollback_playbook_rc"] = rolled.returncode
        record["rollback_to_blue_s"] = round(back_on_blue - asked, 2)
        record["cutover_run"] = what_the_tool_did(run.deploy)
        started = note_deployments(record, service, before)
        assert rolled.returncode == 0, rolled.stdout[-3000:]
        assert started == [deployment]
        assert settled_tail(report) == {blue}
        assert (run.deploy or {}).get("rolled_back") is True, what_the_tool_did(run.deploy)
        assert_no_failed_requests(report)


# --- 13. a listener rule changed by hand between two deployments ---------------------------------------------


def forwarded_to(actions: list[dict]) -> set[str]:
    return {arn for action in actions for arn in forward_weights(action)}


def ansible_mutating_calls(service: Service, since: int) -> list[str]:
    """The mutating AWS calls Ansible's modules made since the ``since``-th call of the lab's log."""
    return [f"{c['service']}:{c['operation']}" for c in service.lab.calls()[since:] if c.get("ansible") and c.get("mutating")]


@pytest.mark.fault(
    entry=13,
    title="A production listener rule changed by hand: the next deployment refuses before any change, naming the rule and the field; "
    "told to proceed, it cuts over and says so",
)
@pytest.mark.parametrize("strategy", ["codedeploy", "ecs"])
def test_listener_rule_changed_by_hand(strategy: str, pool: ServicePool, record: dict[str, Any]) -> None:
    with pool.service(strategy) as service:
        green = other(service.version)
        # By hand, between two deployments: 10 % of production to a target group of the user's own (with the serving
        # tasks in it, so production still answers).
        debug = service.debug_target_group()
        rule, _default, original = service.production_forward()
        weights = forward_weights(next(a for a in original if a["Type"] == "forward"))
        groups = [{"TargetGroupArn": arn, "Weight": weight} for arn, weight in weights.items()] + [{"TargetGroupArn": debug, "Weight": 10}]
        changed = [{"Type": "forward", "ForwardConfig": {"TargetGroups": groups}}]
        service.set_production_forward(changed)
        try:
            with service.load() as load:
                since = len(service.lab.calls())
                refused = service.deploy(service.images.good(green))
                mutating = ansible_mutating_calls(service, since)
                failure = first_failure(refused.output)
                assert refused.returncode != 0 and failure is not None, refused.explain()
                name, result = failure
                record["refused"] = {"task": name, "msg": result.get("msg"), "mutating_calls": mutating}
                assert mutating == [], f"the refusal came after {mutating}"
                field = f"Actions[0].ForwardConfig.TargetGroups[{service.name}-dbg]"
                (finding,) = result["listener_drift"]
                assert (finding["role"], finding["rule"], finding["field"], finding["found"]) == ("production", rule, field, "weight 10"), finding
                assert f"{finding['where']}: {field}: expected absent (not blue or green), found weight 10" in result["msg"], result["msg"]
                assert "on_listener_drift=proceed" in result["msg"]

                proceeded = service.deploy(service.images.good(green), fault_on_listener_drift="proceed")
            report = load.report()
            record["load"] = load_summary(report)
            result = proceeded.deploy
            assert proceeded.returncode == 0 and result is not None, proceeded.explain()
            record["proceeded"] = what_the_tool_did(result) | {"listener_drift": result.get("listener_drift")}
            assert result["status"] == "succeeded", what_the_tool_did(result)
            assert [(f["field"], f["when"]) for f in result["listener_drift"]] == [(field, "before it starts")]
            assert any(line.startswith("Proceeding before it starts although the listener rules differ") for line in result.get("warnings") or []), result.get(
                "warnings"
            )
            # The deployment set the weights it needed: the user's target group is out of production's forward.
            assert debug not in forwarded_to(service.production_forward()[2])
            service.version = green
            assert settled_tail(report) == {green}
            assert_no_failed_requests(report)
        finally:
            if debug in forwarded_to(service.production_forward()[2]):
                service.set_production_forward(original)
            service.elbv2.delete_target_group(TargetGroupArn=debug)
