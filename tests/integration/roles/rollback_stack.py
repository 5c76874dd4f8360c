"""A service stack for the rollback and teardown role tests: provisioned with the
infrastructure role, deployed v1 then v2 with the deploy role, through ansible-playbook
against a lab of the test module's own (real tasks, HAProxy, the CodeDeploy engine).

One test module per strategy (test_rollback_teardown_rolling.py, _codedeploy.py), so the
two stacks run on two workers; each module checks, in file order, what both strategies share
(``check_rollback``, ``check_teardown``) and what is its own. The ``lab`` and ``service``
fixtures (conftest.py) provision the stack of the module's ``STRATEGY``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml
from botocore.exceptions import ClientError

from lab.ecs.sampleimage import SampleImages
from lab.ecs.testkit import unique, version_at, wait_for
from lab.testing import LabHandle

REPO = Path(__file__).resolve().parents[3]
BIN = Path(sys.executable).parent
PROD_PORT, TEST_PORT = 80, 9000
# Fast health checks and draining, so a cutover takes seconds in the lab.
INFRASTRUCTURE_VARS = {
    "infrastructure_desired_count": 1,
    "infrastructure_health_interval": 5,
    "infrastructure_health_timeout": 2,
    "infrastructure_healthy_threshold": 2,
    "infrastructure_unhealthy_threshold": 2,
    "infrastructure_deregistration_delay": 2,
    "infrastructure_production_port": PROD_PORT,
    "infrastructure_test_port": TEST_PORT,
    # The tests read green on the test listener from this host; it admits nobody by default.
    "infrastructure_test_allowed_cidrs": ["127.0.0.1/32"],
}


def playbook_env(lab: LabHandle) -> dict[str, str]:
    env = dict(
        lab.env,
        ANSIBLE_CONFIG=str(REPO / "ansible.cfg"),
        ANSIBLE_LOAD_CALLBACK_PLUGINS="1",
        ANSIBLE_STDOUT_CALLBACK="json",
        ANSIBLE_NOCOLOR="1",
        AWS_REGION="us-east-1",
        AWS_URL=lab.url,
    )
    return env


class Run:
    """One ansible-playbook run: return code, the JSON callback's output, the lab calls it made."""

    def __init__(self, rc: int, output: dict, calls: list[dict]) -> None:
        self.rc, self.output, self.calls = rc, output, calls

    @property
    def changed(self) -> int:
        return self.output["stats"]["localhost"]["changed"]

    @property
    def mutating(self) -> list[str]:
        return [f"{c['service']}:{c['operation']}" for c in self.calls if c.get("mutating")]

    def results(self) -> dict[str, Any]:
        """Results by task name (without the ``role : `` prefix); a looped task's last one wins."""
        found: dict[str, Any] = {}
        for play in self.output["plays"]:
            for task in play["tasks"]:
                found[task["task"]["name"].split(" : ", 1)[-1]] = task["hosts"].get("localhost", {})
        return found

    def changed_tasks(self) -> list[str]:
        return [name for name, result in self.results().items() if result.get("changed")]

    def tail(self) -> str:
        return json.dumps(self.output, default=str)[-4000:]


def run_playbook(lab: LabHandle, playbook: Path, extra_vars: dict | None = None) -> Run:
    mark = len(lab.calls())
    command = [str(BIN / "ansible-playbook"), str(playbook)]
    if extra_vars:
        command += ["-e", json.dumps(extra_vars)]
    proc = subprocess.run(command, cwd=REPO, env=playbook_env(lab), capture_output=True, text=True, timeout=900)
    # Progress lines of the deploy module may come first; the JSON callback's document starts with a "{" line.
    start = 0 if proc.stdout.startswith("{") else proc.stdout.find("\n{") + 1
    try:
        output = json.loads(proc.stdout[start:])
    except ValueError as exc:
        raise AssertionError(f"no JSON from ansible-playbook: {exc}\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}") from exc
    return Run(proc.returncode, output, lab.calls()[mark:])


def role_play(lab: LabHandle, tasks: list[dict]) -> list[dict]:
    """A play like playbooks/deploy.yml's: the lab as endpoint for our modules and amazon.aws's."""
    endpoint = {"region": "us-east-1", "endpoint_url": lab.url}
    return [
        {
            "name": "test play",
            "hosts": "localhost",
            "connection": "local",
            "gather_facts": False,
            "module_defaults": {"group/cutover.ecs.aws": endpoint, "group/amazon.aws.aws": endpoint},
            "tasks": tasks,
        }
    ]


def include_role(name: str, role_vars: dict) -> dict:
    return {"name": f"Role {name}", "ansible.builtin.include_role": {"name": f"cutover.ecs.{name}"}, "vars": role_vars}


# --- one provisioned service ------------------------------------------------------------------


class Service:
    """A service the infrastructure role provisioned, deployed v1 then v2 with the deploy role."""

    def __init__(self, lab: LabHandle, images: SampleImages, strategy: str, work: Path) -> None:
        self.lab, self.images, self.strategy, self.work = lab, images, strategy, work
        self.name = unique(f"rb-{strategy[:4]}")
        self.ecs, self.elbv2, self.codedeploy = lab.client("ecs"), lab.client("elbv2"), lab.client("codedeploy")

    def provision_and_deploy(self, image: str) -> Run:
        tasks = [
            include_role(
                "infrastructure",
                {"infrastructure_name": self.name, "infrastructure_image": self.images.v1, "infrastructure_strategy": self.strategy, **INFRASTRUCTURE_VARS},
            ),
            include_role("deploy", {"deploy_service": self.name, "deploy_image": image, "deploy_wait_timeout": 600}),
        ]
        playbook = self.work / f"{self.name}-deploy.yml"
        playbook.write_text(yaml.safe_dump(role_play(self.lab, tasks), sort_keys=False))
        return run_playbook(self.lab, playbook)

    def rollback(self, **extra: Any) -> Run:
        return run_playbook(self.lab, REPO / "rollback.yml", {"cutover_name": self.name, **extra})

    def teardown(self, **extra: Any) -> Run:
        return run_playbook(self.lab, REPO / "teardown.yml", {"cutover_name": self.name, **extra})

    def url(self, port: int = PROD_PORT) -> str:
        dns = self.elbv2.describe_load_balancers(Names=[self.name])["LoadBalancers"][0]["DNSName"]
        return f"http://{dns}:{port}/version"

    def wait_version(self, wanted: str, port: int = PROD_PORT, samples: int = 5) -> None:
        """``samples`` answers in a row from ``wanted`` (HAProxy follows weights asynchronously)."""
        url = self.url(port)
        streak = {"n": 0}

        def probe() -> int:
            streak["n"] = streak["n"] + 1 if version_at(url) == wanted else 0
            return streak["n"]

        wait_for(f"{samples} answers of version {wanted} at {url}", probe, lambda n: n >= samples, timeout=120, interval=0.2)

    def service(self) -> dict:
        return self.ecs.describe_services(cluster=self.name, services=[self.name], include=["TAGS"])["services"][0]

    def serving(self) -> list[str]:
        """The task definitions of the running tasks."""
        arns = self.ecs.list_tasks(cluster=self.name, serviceName=self.name, desiredStatus="RUNNING")["taskArns"]
        tasks = self.ecs.describe_tasks(cluster=self.name, tasks=arns)["tasks"] if arns else []
        return sorted({task["taskDefinitionArn"] for task in tasks if task.get("lastStatus") == "RUNNING"})

    def revision(self, number: int) -> str:
        return self.ecs.describe_task_definition(taskDefinition=f"{self.name}:{number}")["taskDefinition"]["taskDefinitionArn"]


def provisioned(lab: LabHandle, images: SampleImages, strategy: str, work: Path) -> Service:
    service = Service(lab, images, strategy, work)
    first = service.provision_and_deploy(images.v1)
    assert first.rc == 0, first.tail()
    service.wait_version("1")
    second = service.provision_and_deploy(images.v2)
    assert second.rc == 0, second.tail()
    assert second.results()["Cut over | Production traffic to the new task definition"]["status"] == "succeeded", second.tail()
    service.wait_version("2")
    return service


ROLLBACK_TASK = "Roll back | Redeploy the previous task definition"
STOP_TASK = "Roll back | Stop the deployment in progress, with rollback"
REPORT_TASK = "Report | Rollback"


def check_rollback(service: Service) -> None:
    """rollback.yml brings v1 back to production (real HTTP through the ALB); a re-run changes nothing."""
    v1, v2 = service.revision(1), service.revision(2)
    assert service.serving() == [v2]

    rolled = service.rollback()
    assert rolled.rc == 0, rolled.tail()
    result = rolled.results()[ROLLBACK_TASK]
    assert (result["changed"], result["status"], result["strategy"]) == (True, "succeeded", service.strategy)
    assert (result["previous_task_definition"], result["task_definition"]) == (v2, v1)
    service.wait_version("1")
    wait_for("only v1 tasks", service.serving, lambda tds: tds == [v1], timeout=120)
    tags = {tag["key"]: tag["value"] for tag in service.service().get("tags") or []}
    assert tags["cutover.ecs:rollback-deployment"] == result["deployment_id"]
    report = "\n".join(rolled.results()[REPORT_TASK]["msg"])
    assert f"redeployed {v2.rsplit(':', 1)[0]}:1" in report and "task definition now: " + v1 in report, report

    again = service.rollback()
    assert again.rc == 0, again.tail()
    assert (again.changed, again.mutating) == (0, []), again.tail()
    assert "nothing to do" in "\n".join(again.results()[REPORT_TASK]["msg"])
    assert version_at(service.url()) == "1"
    assert service.serving() == [v1]


def gone(call: Any) -> bool:
    """Whether a describe call says the resource does not exist (an error or nothing found)."""
    try:
        return not call()
    except ClientError:
        return True


def leftovers(lab: LabHandle, name: str) -> dict[str, bool]:
    """For each resource the infrastructure role makes for ``name``: whether the lab still has it."""
    ecs, elbv2, ec2, iam, codedeploy, logs = (lab.client(s) for s in ("ecs", "elbv2", "ec2", "iam", "codedeploy", "logs"))
    checks = {
        "service": lambda: [s for s in ecs.describe_services(cluster=name, services=[name])["services"] if s["status"] != "INACTIVE"],
        "cluster": lambda: [c for c in ecs.describe_clusters(clusters=[name])["clusters"] if c["status"] != "INACTIVE"],
        "task definitions": lambda: ecs.list_task_definitions(familyPrefix=name, status="ACTIVE")["taskDefinitionArns"],
        "load balancer": lambda: elbv2.describe_load_balancers(Names=[name])["LoadBalancers"],
        "target groups": lambda: elbv2.describe_target_groups(Names=[f"{name}-blue", f"{name}-green"])["TargetGroups"],
        "codedeploy application": lambda: codedeploy.get_application(applicationName=name)["application"],
        "execution role": lambda: iam.get_role(RoleName=f"{name}-task-execution")["Role"],
        "codedeploy role": lambda: iam.get_role(RoleName=f"{name}-codedeploy")["Role"],
        "security groups": lambda: ec2.describe_security_groups(Filters=[{"Name": "group-name", "Values": [f"{name}-alb", f"{name}-tasks"]}])["SecurityGroups"],
        "log group": lambda: [g for g in logs.describe_log_groups(logGroupNamePrefix=f"/ecs/{name}")["logGroups"] if g["logGroupName"] == f"/ecs/{name}"],
        "task containers": lambda: [c for c in (lab.state().get("containers") or {}).values() if f"/{name}/" in str(c.get("task", ""))],
    }
    return {what: not gone(check) for what, check in checks.items()}


def check_teardown(service: Service) -> None:
    """teardown.yml leaves none of the service's resources in the lab; a re-run changes nothing."""
    before = leftovers(service.lab, service.name)
    expected = {what for what in before if service.strategy == "codedeploy" or what not in ("codedeploy application", "codedeploy role")}
    assert {what for what, there in before.items() if there} == expected
    url = service.url()

    down = service.teardown()
    assert down.rc == 0, down.tail()
    assert {what for what, there in leftovers(service.lab, service.name).items() if there} == set()
    assert version_at(url) is None, "the load balancer still answers"

    again = service.teardown()
    assert again.rc == 0, again.tail()
    assert (again.changed, again.mutating) == (0, []), again.changed_tasks()
