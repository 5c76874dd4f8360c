"""One service provisioned by the infrastructure role and deployed by the deploy role, through
ansible-playbook against the lab, with the default (human) output: what a user sees."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml
from moto_counting_server import mutating_calls

from lab.ecs.sampleimage import SampleImages
from lab.ecs.testkit import unique, version_at, wait_for
from lab.loadgen import LoadGenerator

REPO = Path(__file__).resolve().parents[3]
BIN = Path(sys.executable).parent
RECAP = re.compile(r"localhost\s+: ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)")


class Stack:
    """One service provisioned by the infrastructure role, deployed by the deploy role."""

    def __init__(
        self,
        lab: Any,
        images: SampleImages,
        strategy: str,
        tmp: Path,
        verification_minutes: int = 0,
        collections_path: Path | None = None,
        **infrastructure: Any,
    ) -> None:
        """``collections_path``: play as a user of an installed collection does, from ``tmp`` (outside the
        repository) with no ansible.cfg and only that collections path; by default from the repository."""
        self.lab, self.images, self.strategy, self.tmp = lab, images, strategy, tmp
        self.name = unique(strategy[:4])
        self.verification_minutes = verification_minutes
        # More infrastructure_* variables, for every play of this stack (a play may override them)
        self.infrastructure = infrastructure
        self.env = dict(lab.env, ANSIBLE_CONFIG=str(REPO / "ansible.cfg"), ANSIBLE_NOCOLOR="1", AWS_URL=lab.url, AWS_REGION="us-east-1")
        self.env.pop("ANSIBLE_STDOUT_CALLBACK", None)
        self.cwd = REPO
        if collections_path is not None:
            self.env = {key: value for key, value in self.env.items() if not key.startswith("ANSIBLE_")}
            self.env.update(ANSIBLE_COLLECTIONS_PATH=str(collections_path), ANSIBLE_NOCOLOR="1")
            self.cwd = tmp

    def play(
        self,
        image: str,
        deploy: bool = True,
        check: bool = False,
        infrastructure: dict | None = None,
        provision: bool = True,
        plan_file: Path | None = None,
        **deploy_vars: Any,
    ) -> subprocess.CompletedProcess[str]:
        """ansible-playbook of the two roles (without the infrastructure role when not ``provision``);
        ``check`` adds --check --diff; ``plan_file`` gets the plan the roles publish, as a CI job keeps it."""
        tasks: list[dict] = [
            {
                "name": "Provision",
                "ansible.builtin.include_role": {"name": "cutover.ecs.infrastructure"},
                "vars": {
                    "infrastructure_name": self.name,
                    "infrastructure_image": self.images.v1,
                    "infrastructure_strategy": self.strategy,
                    "infrastructure_desired_count": 1,
                    "infrastructure_bake_time": 0,
                    "infrastructure_deregistration_delay": 2,
                    "infrastructure_health_interval": 5,
                    "infrastructure_health_timeout": 2,
                    "infrastructure_healthy_threshold": 2,
                    "infrastructure_verification_minutes": self.verification_minutes,
                    # deploy_verify_tasks read green on the test listener from this host; it admits nobody by default
                    # (a shared load balancer's listeners are its owner's).
                    **({} if self.shared else {"infrastructure_test_allowed_cidrs": ["127.0.0.1/32"]}),
                    **self.infrastructure,
                    **(infrastructure or {}),
                },
            }
        ]
        if not provision:
            tasks = []
        if deploy:
            tasks.append(
                {
                    "name": "Cut over",
                    "ansible.builtin.include_role": {"name": "cutover.ecs.deploy"},
                    "vars": {
                        "deploy_service": self.name,
                        "deploy_image": image,
                        "deploy_test_url": "{{ infrastructure_test_url | default('') }}",
                        "deploy_wait_timeout": 300,
                        **deploy_vars,
                    },
                }
            )
        if plan_file is not None:
            tasks.append(
                {
                    "name": "Keep the plan",
                    "ansible.builtin.copy": {
                        "content": "{{ {'infrastructure': infrastructure_plan | default([]), 'deploy': deploy_plan | default({})} | to_nice_json }}",
                        "dest": str(plan_file),
                        "mode": "0644",
                    },
                    "check_mode": False,
                    "diff": False,
                }
            )
        return self._run(tasks, check)

    def teardown(self, **teardown_vars: Any) -> subprocess.CompletedProcess[str]:
        """The teardown role for this stack's service, in a playbook of its own."""
        return self._run(
            [{"name": "Tear down", "ansible.builtin.include_role": {"name": "cutover.ecs.teardown"}, "vars": {"teardown_name": self.name, **teardown_vars}}]
        )

    def _run(self, tasks: list[dict], check: bool = False) -> subprocess.CompletedProcess[str]:
        playbook = self.tmp / f"{self.name}.yml"
        playbook.write_text(yaml.safe_dump([{"hosts": "localhost", "connection": "local", "gather_facts": False, "tasks": tasks}], sort_keys=False))
        command = [str(BIN / "ansible-playbook"), str(playbook), *(["--check", "--diff"] if check else [])]
        return subprocess.run(command, cwd=self.cwd, env=self.env, capture_output=True, text=True, timeout=900)

    @property
    def shared(self) -> str:
        """The shared load balancer's name (infrastructure_load_balancer), or empty."""
        return self.infrastructure.get("infrastructure_load_balancer", "")

    @property
    def headers(self) -> dict[str, str]:
        """The Host header of requests to this service: its rule's first host on a shared load balancer."""
        hosts = self.infrastructure.get("infrastructure_rule_hosts") or []
        return {"Host": hosts[0]} if hosts else {}

    def rollback(self) -> subprocess.CompletedProcess[str]:
        """ansible-playbook rollback.yml for this stack's service, as a user runs it."""
        command = [str(BIN / "ansible-playbook"), str(REPO / "rollback.yml"), "-e", f"cutover_name={self.name}"]
        return subprocess.run(command, cwd=REPO, env=self.env, capture_output=True, text=True, timeout=900)

    def production_url(self) -> str:
        dns = self.lab.client("elbv2").describe_load_balancers(Names=[self.shared or self.name])["LoadBalancers"][0]["DNSName"]
        port = self.infrastructure.get("infrastructure_production_port", 80)
        return f"http://{dns}:{port}/version"

    def service(self) -> dict:
        return self.lab.client("ecs").describe_services(cluster=self.name, services=[self.name])["services"][0]

    def cut_over_under_load(self, image: str, version: str, **play: Any) -> subprocess.CompletedProcess[str]:
        """Plays the stack with ``image`` while 50 requests a second go to production, waits for ``version``
        to answer; asserts the play did not fail and no request failed. Returns the play."""
        with LoadGenerator(self.production_url(), rate=50, headers=self.headers) as load:
            run = self.play(image, **play)
            self.wait_version(version)
        report = load.report()
        assert recap(run)["failed"] == 0, run.stdout[-4000:]
        assert report.total > 100 and report.failed == 0, report.failures()[:5]
        return run

    def refused(self, **infrastructure: Any) -> str:
        """Plays the infrastructure role with ``infrastructure``; asserts it failed with no mutating call and returns the output."""
        mark = self.lab.app.mark()
        run = self.play(self.images.v1, deploy=False, infrastructure=infrastructure)
        assert run.returncode != 0 and recap(run)["failed"] == 1, run.stdout[-3000:]
        assert mutating_calls(self.lab.app.since(mark)) == []
        return run.stdout

    def rerun_changes_nothing(self, image: str, **play: Any) -> None:
        """Plays the stack again: no task reports a change and the lab sees no mutating call."""
        mark = self.lab.app.mark()
        again = self.play(image, **play)
        assert recap(again)["changed"] == 0, changed_tasks(again)
        assert mutating_calls(self.lab.app.since(mark)) == []

    def wait_version(self, wanted: str, samples: int = 5) -> None:
        streak = {"n": 0}
        url = self.production_url()

        def probe() -> int:
            streak["n"] = streak["n"] + 1 if version_at(url, self.headers) == wanted else 0
            return streak["n"]

        wait_for(f"{samples} answers of version {wanted}", probe, lambda n: n >= samples, timeout=120, interval=0.2)


def recap(proc: subprocess.CompletedProcess[str]) -> dict[str, int]:
    found = RECAP.search(proc.stdout)
    assert found, f"no PLAY RECAP\n{proc.stdout[-3000:]}\n{proc.stderr[-2000:]}"
    return dict(zip(("ok", "changed", "unreachable", "failed"), map(int, found.groups()), strict=True))


def changed_tasks(proc: subprocess.CompletedProcess[str]) -> list[str]:
    """Names of the tasks the default callback reported as changed."""
    names, current = [], None
    for line in proc.stdout.splitlines():
        if line.startswith("TASK ["):
            current = line[6:].split("]")[0]
        elif line.startswith("changed:") and current:
            names.append(current)
    return names
