#!/usr/bin/python
# Copyright: cutover.ecs contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: task_definition
short_description: Register Amazon ECS task definition revisions only when something changed
version_added: 0.1.0
description:
  - Makes sure the latest ACTIVE revision of a task definition family (or, with O(running_in), the revision a service
    runs) matches the options, and registers a new revision only when it does not.
  - In an C(awslogs) log configuration without C(awslogs-region), the region of the connection is filled in.
  - The comparison covers every field of the definition, not a few. Containers are compared field by field (image,
    environment and secrets regardless of order, port mappings, health check, log configuration, command, entry point,
    essential, memory, cpu, stop timeout, dependencies, mount points, ulimits and the rest), and so are the task cpu and
    memory, network mode, task and execution roles, requires compatibilities, volumes, placement constraints and
    runtime platform.
  - Both sides are normalised first, so a re-run never registers a revision for nothing. AWS's defaults are filled in
    (C(essential=true), C(protocol=tcp), C(hostPort) equal to C(containerPort) under C(awsvpc), the health check's
    interval, timeout and retries, empty lists), C(0.25 vCPU) equals C(256) and C(0.5GB) equals C(512).
  - Tags are not part of a revision. A change of tags alone is applied to the latest revision and registers nothing.
  - Supports check mode (the predicted revision is returned) and diff mode (only the differing fields are shown).
options:
  family:
    description: Name of the task definition family.
    type: str
    required: true
  state:
    description:
      - V(present) registers a revision when the latest ACTIVE one differs from the options.
      - V(absent) deregisters every ACTIVE revision of the family, or only O(revision).
    type: str
    choices: [present, absent]
    default: present
  revision:
    description: With O(state=absent), the one revision to deregister.
    type: int
  containers:
    description:
      - The container definitions, as in the C(containerDefinitions) of the ECS API.
      - Keys are AWS's camelCase names exactly as the AWS console and CLI show them (C(portMappings), C(logConfiguration),
        C(healthCheck), C(memoryReservation) ...), so a definition can be pasted from AWS. Unknown keys and wrong types
        are rejected before anything is registered.
      - When left out, the latest ACTIVE revision is the starting point and the other options given override it; this
        is how O(container_image) alone rolls out a new image.
    type: list
    elements: dict
  running_in:
    description:
      - Compare with the revision this service runs instead of the family's latest ACTIVE one, so that any declared
        change to what runs (an environment value, a secret, a sidecar) registers a revision, and nothing else does.
      - When the desired definition equals the family's latest ACTIVE revision (registered by an earlier run but not yet
        rolled out), that revision is returned and nothing is registered.
      - When O(containers) is left out, the running revision is also the starting point that O(container_image) and
        the other options override.
      - The running revision is the PRIMARY task set's (CODE_DEPLOY) or the PRIMARY deployment's (ECS), so a deployment
        in progress counts as what runs.
      - The service's load balancers are checked against the definition before anything is registered. The container
        and port each sends traffic to must be declared.
      - A service that does not exist yet (or runs another family) falls back to the latest ACTIVE revision, so check
        mode plans on an empty account.
      - This module is the one place that decides whether what runs differs from what is declared;
        M(cutover.ecs.deploy) only cuts over to the revision it returns.
    type: dict
    suboptions:
      cluster:
        description: Name or ARN of the service's cluster.
        type: str
        required: true
      service:
        description: Name of the service.
        type: str
        required: true
  load_balancers:
    description:
      - Containers and ports that load balancers send traffic to. Each must be a container of the definition with that
        C(containerPort) in its C(portMappings); checked before anything is registered.
      - With O(running_in) the service's own load balancers are checked too, without listing them here.
    type: list
    elements: dict
    suboptions:
      container_name:
        description: Name of the container.
        type: str
        required: true
      container_port:
        description: Its port.
        type: int
        required: true
  container_image:
    description:
      - Replace the image of one container, in O(containers) or, when O(containers) is left out, in the latest ACTIVE
        revision (or the running one, with O(running_in)).
      - Fails when the container is not in the definition.
    type: dict
    suboptions:
      container:
        description: Name of the container.
        type: str
        required: true
      image:
        description: The new image URI.
        type: str
        required: true
  cpu:
    description:
      - Task-level cpu, in CPU units (V(256)) or vCPUs (V(0.25 vCPU)).
      - With O(containers), left out means no task-level cpu; otherwise the latest revision's is kept.
    type: str
  memory:
    description:
      - Task-level memory, in MiB (V(512)) or GB (V(0.5GB)).
      - With O(containers), left out means no task-level memory; otherwise the latest revision's is kept.
    type: str
  network_mode:
    description:
      - The Docker network mode of the containers.
      - Defaults to V(awsvpc) when O(containers) is given; otherwise the latest revision's is kept.
    type: str
    choices: [awsvpc, bridge, host, none]
  task_role:
    description:
      - The IAM role the containers assume, as a name or an ARN.
      - A name is turned into an ARN in the caller's account (found with sts:GetCallerIdentity); give the ARN for a
        role in another account.
    type: str
    aliases: [task_role_arn]
  execution_role:
    description:
      - The IAM role the ECS agent uses to pull images and write logs, as a name or an ARN (see O(task_role)).
    type: str
    aliases: [execution_role_arn]
  requires_compatibilities:
    description: Launch types the definition is validated against, compared as a set.
    type: list
    elements: str
    choices: [EC2, FARGATE, EXTERNAL, MANAGED_INSTANCES]
  volumes:
    description:
      - Volumes, as in the C(volumes) of the ECS API (camelCase keys, for example C(efsVolumeConfiguration)).
      - Compared as a set, by content.
    type: list
    elements: dict
  placement_constraints:
    description: Task placement constraints (C(type) and C(expression)).
    type: list
    elements: dict
  runtime_platform:
    description: The operating system and CPU architecture the task needs.
    type: dict
    suboptions:
      cpu_architecture:
        description: CPU architecture.
        type: str
        choices: [X86_64, ARM64]
        aliases: [cpuArchitecture]
      operating_system_family:
        description: Operating system family, for example V(LINUX).
        type: str
        aliases: [operatingSystemFamily]
  ephemeral_storage:
    description: Ephemeral storage of a Fargate task, in GiB (21 to 200).
    type: int
  pid_mode:
    description: Process namespace of the containers.
    type: str
    choices: [host, task]
  ipc_mode:
    description: IPC resource namespace of the containers.
    type: str
    choices: [host, task, none]
  tags:
    description:
      - Tags of the revision. When left out, a new revision takes the tags of the latest one.
    type: dict
    aliases: [resource_tags]
  purge_tags:
    description: Remove tags that are not in O(tags).
    type: bool
    default: true
  keep_revisions:
    description:
      - Keep only the newest N ACTIVE revisions of the family (counting a new one) and deregister the older ones.
      - The deregistered ARNs are returned in RV(deregistered). Left out, nothing is deregistered.
    type: int
notes:
  - Values in C(environment) are visible to anyone who may describe the task definition; use C(secrets) with
    Secrets Manager or SSM Parameter Store ARNs for passwords. The module returns what AWS stores and adds nothing.
  - A C(secrets) item whose C(valueFrom) is not such an ARN is rejected (and not quoted in the message), so a secret's
    value pasted there by mistake is never registered. Environment values are sent as text (V(true), V(8080)).
author:
  - cutover.ecs developers (@cutover-ecs)
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - cutover.ecs.boto3
"""

EXAMPLES = r"""
- name: Register the web task definition (a new revision only when something changed)
  cutover.ecs.task_definition:
    family: shop-web
    cpu: 0.25 vCPU
    memory: 0.5GB
    network_mode: awsvpc
    requires_compatibilities: [FARGATE]
    execution_role: ecsTaskExecutionRole
    containers:
      - name: web
        image: 123456789012.dkr.ecr.us-east-1.amazonaws.com/shop-web:3f2a91c
        essential: true
        portMappings:
          - containerPort: 8080
        environment:
          - name: LOG_LEVEL
            value: info
        secrets:
          - name: DB_PASSWORD
            valueFrom: arn:aws:secretsmanager:us-east-1:123456789012:secret:shop/db
        healthCheck:
          command: [CMD-SHELL, "curl -fs http://localhost:8080/healthcheck || exit 1"]
        logConfiguration:
          logDriver: awslogs
          options:
            awslogs-group: /ecs/shop-web
            awslogs-region: us-east-1
            awslogs-stream-prefix: web
    tags:
      team: payments
    keep_revisions: 5
  register: web_task

- name: Roll out a new image on top of the latest revision
  cutover.ecs.task_definition:
    family: shop-web
    container_image:
      container: web
      image: 123456789012.dkr.ecr.us-east-1.amazonaws.com/shop-web:9b1c0de

- name: Declare what the service should run; a revision only when it differs from the running one
  cutover.ecs.task_definition:
    family: shop-web
    running_in:
      cluster: shop
      service: shop-web
    cpu: "256"
    memory: "512"
    execution_role: shop-web-task-execution
    containers:
      - name: web
        image: 123456789012.dkr.ecr.us-east-1.amazonaws.com/shop-web:3f2a91c
        portMappings:
          - containerPort: 8080
        environment:
          - name: LOG_LEVEL
            value: debug
  register: web_definition

- name: Deregister every ACTIVE revision of the family
  cutover.ecs.task_definition:
    family: shop-web
    state: absent
"""

RETURN = r"""
plan:
  description:
    - What this run did to the resource, or would do in check mode, for a plan or a report.
    - C(action) is V(create), V(update), V(delete) or V(none); C(fields) names the fields that differ, as the AWS API
      names them (every given field for a create, none for a delete).
  returned: always
  type: dict
  contains:
    action:
      description: V(create), V(update), V(delete) or V(none).
      type: str
      sample: update
    fields:
      description: The fields that differ, sorted.
      type: list
      elements: str
      sample: [HealthyThresholdCount]
task_definition:
  description:
    - The latest ACTIVE revision after the run (the prediction in check mode), in snake_case; empty with O(state=absent).
    - Docker labels, log driver options and tag keys are returned as written.
  returned: always
  type: dict
  contains:
    task_definition_arn:
      description: ARN of the revision. Unknown in check mode for a family that has no revision yet.
      type: str
      sample: arn:aws:ecs:us-east-1:123456789012:task-definition/shop-web:7
    family:
      description: The family.
      type: str
      sample: shop-web
    revision:
      description: Revision number.
      type: int
      sample: 7
    status:
      description: Status of the revision.
      type: str
      sample: ACTIVE
    container_definitions:
      description: The container definitions.
      type: list
      elements: dict
    cpu:
      description: Task-level cpu.
      type: str
      sample: "256"
    memory:
      description: Task-level memory.
      type: str
      sample: "512"
    network_mode:
      description: Network mode.
      type: str
      sample: awsvpc
    task_role_arn:
      description: The task role.
      type: str
    execution_role_arn:
      description: The execution role.
      type: str
    requires_compatibilities:
      description: Launch types the definition was validated against.
      type: list
      elements: str
    volumes:
      description: The volumes.
      type: list
      elements: dict
    tags:
      description: Tags of the revision.
      type: dict
revision_created:
  description: Whether a new revision was registered (would be, in check mode).
  returned: always
  type: bool
differing_fields:
  description: Paths of the fields in which the options differ from the revision compared with (empty when nothing registers).
  returned: always
  type: list
  elements: str
  sample: [containerDefinitions.web.environment]
running_task_definition:
  description: With O(running_in), the ARN of the revision the service runs (null when it does not exist yet).
  returned: always
  type: str
  sample: arn:aws:ecs:us-east-1:123456789012:task-definition/shop-web:3
deregistered:
  description: ARNs of the revisions deregistered (or to be, in check mode) by O(keep_revisions) or O(state=absent).
  returned: always
  type: list
  elements: str
  sample: [arn:aws:ecs:us-east-1:123456789012:task-definition/shop-web:1]
"""

from ansible_collections.cutover.ecs.plugins.module_utils._ecs.ensure import ensure_task_definition
from ansible_collections.cutover.ecs.plugins.module_utils._module import build_module, run_module

ARGUMENT_SPEC = dict(
    family=dict(type="str", required=True),
    state=dict(type="str", choices=["present", "absent"], default="present"),
    revision=dict(type="int"),
    containers=dict(type="list", elements="dict"),
    running_in=dict(
        type="dict",
        options=dict(
            cluster=dict(type="str", required=True),
            service=dict(type="str", required=True),
        ),
    ),
    load_balancers=dict(
        type="list",
        elements="dict",
        options=dict(
            container_name=dict(type="str", required=True),
            container_port=dict(type="int", required=True),
        ),
    ),
    container_image=dict(
        type="dict",
        options=dict(
            container=dict(type="str", required=True),
            image=dict(type="str", required=True),
        ),
    ),
    cpu=dict(type="str"),
    memory=dict(type="str"),
    network_mode=dict(type="str", choices=["awsvpc", "bridge", "host", "none"]),
    task_role=dict(type="str", aliases=["task_role_arn"]),
    execution_role=dict(type="str", aliases=["execution_role_arn"]),
    requires_compatibilities=dict(type="list", elements="str", choices=["EC2", "FARGATE", "EXTERNAL", "MANAGED_INSTANCES"]),
    volumes=dict(type="list", elements="dict"),
    placement_constraints=dict(type="list", elements="dict"),
    runtime_platform=dict(
        type="dict",
        options=dict(
            cpu_architecture=dict(type="str", choices=["X86_64", "ARM64"], aliases=["cpuArchitecture"]),
            operating_system_family=dict(type="str", aliases=["operatingSystemFamily"]),
        ),
    ),
    ephemeral_storage=dict(type="int"),
    pid_mode=dict(type="str", choices=["host", "task"]),
    ipc_mode=dict(type="str", choices=["host", "task", "none"]),
    tags=dict(type="dict", aliases=["resource_tags"]),
    purge_tags=dict(type="bool", default=True),
    keep_revisions=dict(type="int"),
)


def main() -> None:
    run_module(build_module(ARGUMENT_SPEC, mutually_exclusive=[("revision", "containers")]), ensure_task_definition)


if __name__ == "__main__":
    main()
