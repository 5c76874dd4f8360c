# Copyright: cutover.ecs contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Task definition plans (part of the ECS plan, see ``plan.py``). Pure functions.

A task definition is compared as a whole: the desired definition is what the
options give, the current one is the latest ACTIVE revision of the family, and
both are normalised the same way before comparing: AWS's defaults filled in
(``essential``, ``protocol``, ``hostPort``, health check timings...), lists
whose order AWS ignores sorted (environment, secrets, port mappings...), task
cpu and memory in units ("0.25 vCPU" is "256"), and empty or false values
dropped. Any remaining difference means a new revision.

Tags are not part of a revision's content: a tag change alone is applied to
the latest revision with TagResource and registers nothing.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Mapping, Sequence
from typing import Any, Optional

from ansible_collections.cutover.ecs.plugins.module_utils._compare import DifferenceTracker
from ansible_collections.cutover.ecs.plugins.module_utils._ecs.plan import plan_tags
from ansible_collections.cutover.ecs.plugins.module_utils._errors import InvalidInput

# Fields of a DescribeTaskDefinition answer that RegisterTaskDefinition does not take.
READ_ONLY_FIELDS = frozenset(
    (
        "taskDefinitionArn",
        "revision",
        "status",
        "compatibilities",
        "requiresAttributes",
        "registeredAt",
        "registeredBy",
        "deregisteredAt",
        "deleteRequestedAt",
    )
)

# Task-level fields of RegisterTaskDefinition (botocore 1.44.8) besides family,
# containerDefinitions and tags. Only these are compared, so a read-only field
# AWS adds later cannot cause a new revision on every run.
TASK_FIELDS = (
    "taskRoleArn",
    "executionRoleArn",
    "networkMode",
    "volumes",
    "placementConstraints",
    "requiresCompatibilities",
    "cpu",
    "memory",
    "pidMode",
    "ipcMode",
    "proxyConfiguration",
    "inferenceAccelerators",
    "ephemeralStorage",
    "runtimePlatform",
    "enableFaultInjection",
    "trustedExecutionConfiguration",
)

# Option name -> RegisterTaskDefinition field, for the task-level options.
TASK_OPTIONS = {
    "cpu": "cpu",
    "memory": "memory",
    "network_mode": "networkMode",
    "task_role": "taskRoleArn",
    "execution_role": "executionRoleArn",
    "requires_compatibilities": "requiresCompatibilities",
    "volumes": "volumes",
    "placement_constraints": "placementConstraints",
    "pid_mode": "pidMode",
    "ipc_mode": "ipcMode",
}

DEFAULT_NETWORK_MODE = "awsvpc"

# Container lists whose order means nothing to ECS; compared sorted.
UNORDERED_CONTAINER_LISTS = (
    "environment",
    "secrets",
    "portMappings",
    "mountPoints",
    "volumesFrom",
    "ulimits",
    "dependsOn",
    "extraHosts",
    "systemControls",
    "resourceRequirements",
    "links",
    "credentialSpecs",
)

# AWS fills these when a container leaves them out.
CONTAINER_DEFAULTS = {"essential": True, "cpu": 0, "versionConsistency": "enabled"}
HEALTH_CHECK_DEFAULTS = {"interval": 30, "timeout": 5, "retries": 3, "startPeriod": 0}

# ``False`` is the default of every boolean of a task definition but these.
KEEP_FALSE = frozenset(("essential",))
# Values that are the user's own document, passed on untouched.
OPAQUE_KEYS = frozenset(("hookDetails",))

_NUMBER = r"(\d+(?:\.\d+)?|\.\d+)"
_CPU = re.compile(rf"^\s*{_NUMBER}\s*(vcpu)?\s*$", re.IGNORECASE)
_MEMORY = re.compile(rf"^\s*{_NUMBER}\s*(gb|mib|mb)?\s*$", re.IGNORECASE)


# --- small normalisers ----------------------------------------------------------


def freeze(value: Any) -> str:
    """A stable sort key for nested data."""
    return json.dumps(value, sort_keys=True, default=str)


def prune(value: Any, key: str = "") -> Any:
    """Drop what AWS treats as unset: None, "", [], {}, and False (the default
    of every boolean here but ``essential``)."""
    if isinstance(value, Mapping):
        pruned = {name: item if name in OPAQUE_KEYS else prune(item, name) for name, item in value.items()}
        return {name: item for name, item in pruned.items() if not _is_unset(item, name)}
    if isinstance(value, list):
        pruned_list = [prune(item) for item in value]
        return [item for item in pruned_list if not _is_unset(item, "")]
    return value


def _is_unset(value: Any, key: str) -> bool:
    if value is False:
        return key not in KEEP_FALSE
    return value is None or (isinstance(value, (str, list, dict)) and len(value) == 0)


def _parse_units(value: Any, pattern: re.Pattern, what: str, hint: str) -> Optional[str]:
    """A number in the small unit as a string; the big unit (vCPU, GB) counts 1024."""
    if value is None or value == "":
        return None
    match = pattern.match(str(value))
    if not match:
        raise InvalidInput(f"{what} {value!r} is not understood: {hint}.")
    number, unit = float(match.group(1)), (match.group(2) or "").lower()
    return str(int(round(number * 1024))) if unit in ("vcpu", "gb") else str(int(number))


def parse_cpu(value: Any) -> Optional[str]:
    """Task cpu in CPU units as a string: "0.25 vCPU", "256" and 256 are all "256"."""
    return _parse_units(value, _CPU, "cpu", "give CPU units (256) or vCPUs ('0.25 vCPU')")


def parse_memory(value: Any) -> Optional[str]:
    """Task memory in MiB as a string: "0.5GB", "512" and 512 are all "512"."""
    return _parse_units(value, _MEMORY, "memory", "give MiB (512) or GB ('0.5GB')")


def role_arn(role: Optional[str], account_id: Optional[str], partition: str = "aws") -> Optional[str]:
    """A role name as an ARN; an ARN as it is. A name may carry a path ("service-role/x")."""
    if not role or role.startswith("arn:"):
        return role
    if not account_id:
        raise InvalidInput(f"Role {role!r} is a name and the account id is unknown: give the role's ARN.")
    return f"arn:{partition}:iam::{account_id}:role/{role.lstrip('/')}"


def roles_needing_account(options: Mapping[str, Any]) -> bool:
    """Whether a role option is a name, so the account id must be looked up."""
    return any(options.get(key) and not str(options[key]).startswith("arn:") for key in ("task_role", "execution_role"))


def revision_number(arn: str) -> int:
    return int(arn.rsplit(":", 1)[-1])


def family_of(arn: str) -> str:
    return arn.rsplit("/", 1)[-1].rsplit(":", 1)[0]


def exposed_ports(container: Mapping[str, Any]) -> set:
    """The container ports a container's portMappings declare (ranges expanded)."""
    ports: set = set()
    for mapping in container.get("portMappings") or []:
        if mapping.get("containerPort") is not None:
            ports.add(int(mapping["containerPort"]))
        elif mapping.get("containerPortRange"):
            low, _sep, high = str(mapping["containerPortRange"]).partition("-")
            ports.update(range(int(low), int(high or low) + 1))
    return ports


# --- normalisation for comparison ----------------------------------------------


def _port_mapping(mapping: Mapping[str, Any], network_mode: str) -> dict:
    result = dict(mapping)
    result.setdefault("protocol", "tcp")
    if result.get("containerPort") is not None and result.get("hostPort") is None:
        # awsvpc and host publish the container port itself; bridge picks a dynamic port (0).
        result["hostPort"] = result["containerPort"] if network_mode in ("awsvpc", "host") else 0
    return result


def normalise_container(container: Mapping[str, Any], network_mode: str) -> dict:
    """One container definition with AWS's defaults filled and order-free lists sorted."""
    result = copy.deepcopy(dict(container))
    for key, default in CONTAINER_DEFAULTS.items():
        if result.get(key) is None:
            result[key] = default
    result["portMappings"] = [_port_mapping(item, network_mode) for item in result.get("portMappings") or []]
    if result.get("healthCheck"):
        check = {key: value for key, value in result["healthCheck"].items() if value is not None}
        result["healthCheck"] = {**HEALTH_CHECK_DEFAULTS, **check}
    log = result.get("logConfiguration")
    if log and log.get("secretOptions"):
        log["secretOptions"] = sorted(log["secretOptions"], key=freeze)
    capabilities = (result.get("linuxParameters") or {}).get("capabilities")
    if capabilities:
        for key in ("add", "drop"):
            if capabilities.get(key):
                capabilities[key] = sorted(capabilities[key])
    result = prune(result)
    for key in UNORDERED_CONTAINER_LISTS:
        if key in result:
            result[key] = sorted(result[key], key=freeze)
    return result


def normalise_volume(volume: Mapping[str, Any]) -> dict:
    result = copy.deepcopy(dict(volume))
    efs = result.get("efsVolumeConfiguration")
    if efs:
        efs.setdefault("rootDirectory", "/")
        efs.setdefault("transitEncryption", "DISABLED")
    docker = result.get("dockerVolumeConfiguration")
    if docker:
        docker.setdefault("scope", "task")
    return prune(result)


def normalise_definition(definition: Mapping[str, Any]) -> dict:
    """A RegisterTaskDefinition-shaped definition in the one shape compared.

    Containers are keyed by name (their order means nothing), and only
    :data:`TASK_FIELDS` are kept of the task level.
    """
    network_mode = definition.get("networkMode") or "bridge"
    result: dict = {field: copy.deepcopy(definition.get(field)) for field in TASK_FIELDS}
    result["networkMode"] = network_mode
    result["cpu"] = parse_cpu(definition.get("cpu"))
    result["memory"] = parse_memory(definition.get("memory"))
    result["requiresCompatibilities"] = sorted(set(definition.get("requiresCompatibilities") or []))
    result["volumes"] = sorted((normalise_volume(item) for item in definition.get("volumes") or []), key=freeze)
    for key in ("placementConstraints", "inferenceAccelerators"):
        result[key] = sorted(prune(definition.get(key) or []), key=freeze)
    proxy = copy.deepcopy(definition.get("proxyConfiguration"))
    if proxy and proxy.get("properties"):
        proxy["properties"] = sorted(proxy["properties"], key=freeze)
    result["proxyConfiguration"] = proxy
    result = prune(result)
    result["family"] = definition.get("family")
    result["containerDefinitions"] = {
        container.get("name"): normalise_container(container, network_mode) for container in definition.get("containerDefinitions") or []
    }
    return result


# --- the desired definition ---------------------------------------------------


def registrable(definition: Optional[Mapping[str, Any]]) -> Optional[dict]:
    """A DescribeTaskDefinition ``taskDefinition`` reduced to what RegisterTaskDefinition
    takes (a read-only field AWS adds later is dropped, not sent back)."""
    if not definition:
        return None
    wanted = set(TASK_FIELDS) | {"family", "containerDefinitions"}
    return {key: copy.deepcopy(value) for key, value in definition.items() if key in wanted}


def replace_image(containers: Sequence[Mapping[str, Any]], container: str, image: str) -> list:
    """The containers with ``container``'s image replaced; an unknown name is bad input."""
    names = [item.get("name") for item in containers]
    if container not in names:
        raise InvalidInput(
            f"container_image.container {container!r} is not a container of the task definition; use one of: {', '.join(map(str, names)) or 'none'}."
        )
    return [dict(item, image=image) if item.get("name") == container else dict(item) for item in containers]


def desired_definition(
    options: Mapping[str, Any],
    base: Optional[Mapping[str, Any]],
    account_id: Optional[str] = None,
    partition: str = "aws",
) -> dict:
    """The RegisterTaskDefinition parameters (camelCase, without tags) the options ask for.

    With ``containers`` the options are the whole definition; options left out
    are absent from it (``network_mode`` defaults to awsvpc). Without
    ``containers`` the latest ACTIVE revision (``base``) is the starting point
    and the options given override its fields.
    """
    if options.get("containers") is not None:
        definition: dict = {"containerDefinitions": copy.deepcopy(list(options["containers"]))}
        definition["networkMode"] = options.get("network_mode") or DEFAULT_NETWORK_MODE
    elif base is not None:
        definition = registrable(base) or {}
        definition.pop("tags", None)
    else:
        raise InvalidInput(f"Task definition family {options['family']!r} has no ACTIVE revision to start from: give containers to register the first one.")
    definition["family"] = options["family"]
    for option, field in TASK_OPTIONS.items():
        if options.get(option) is not None:
            definition[field] = copy.deepcopy(options[option])
    if options.get("runtime_platform") is not None:
        platform = options["runtime_platform"]
        definition["runtimePlatform"] = prune(
            {"cpuArchitecture": platform.get("cpu_architecture"), "operatingSystemFamily": platform.get("operating_system_family")}
        )
    if options.get("ephemeral_storage") is not None:
        definition["ephemeralStorage"] = {"sizeInGiB": options["ephemeral_storage"]}
    for field in ("taskRoleArn", "executionRoleArn"):
        if definition.get(field):
            definition[field] = role_arn(definition[field], account_id, partition)
    image = options.get("container_image")
    if image:
        definition["containerDefinitions"] = replace_image(definition.get("containerDefinitions") or [], image["container"], image["image"])
    definition["containerDefinitions"] = [_environment_as_text(container) for container in definition.get("containerDefinitions") or []]
    return definition


def as_text(value: Any) -> Any:
    """An environment value as ECS keeps it: text (YAML's ``true`` is "true", 8080 is "8080")."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if value is None or isinstance(value, str) else str(value)


def _environment_as_text(container: Any) -> Any:
    if not isinstance(container, Mapping) or not isinstance(container.get("environment"), list):
        return container
    environment = [dict(item, value=as_text(item.get("value"))) if isinstance(item, Mapping) else item for item in container["environment"]]
    return dict(container, environment=environment)


def with_log_region(definition: Mapping[str, Any], region: Optional[str]) -> dict:
    """The definition with ``awslogs-region`` set to ``region`` in every awslogs log
    configuration that leaves it out (AWS requires it; roles do not know the region)."""
    result = copy.deepcopy(dict(definition))
    for container in result.get("containerDefinitions") or []:
        logging = container.get("logConfiguration") or {}
        if region and logging.get("logDriver") == "awslogs":
            logging["options"] = {"awslogs-region": region, **(logging.get("options") or {})}
    return result


# --- bad input ------------------------------------------------------------------


# Docker's reference grammar, simplified: an optional registry host (with a port), path
# components in lower case, then an optional tag and digest.
_IMAGE_REFERENCE = re.compile(
    r"^(?:[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?(?::[0-9]+)?/)?"
    r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*"
    r"(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$"
)


SECRET_ARN = re.compile(r"^arn:aws[a-z-]*:(secretsmanager|ssm):[a-z0-9-]+:[0-9]{12}:(secret:|parameter/)\S+$")


def image_reference_ok(image: Any) -> bool:
    """Whether ``image`` can name an image; templated placeholders such as CodePipeline's
    ``<IMAGE1_NAME>`` are not references."""
    return isinstance(image, str) and len(image) <= 1024 and _IMAGE_REFERENCE.match(image) is not None


def _container_problems(containers: Sequence[Mapping[str, Any]], task_memory: Optional[str], volume_names: set) -> list[str]:
    problems: list[str] = []
    names = [item.get("name") for item in containers]
    for index, container in enumerate(containers):
        name = container.get("name")
        label = f"containers[{index}]" if not name else f"container {name!r}"
        if not name:
            problems.append(f"{label} has no name: give each container a unique name.")
        if not container.get("image"):
            problems.append(f"{label} has no image: give its image (a registry URI).")
        elif not image_reference_ok(container["image"]):
            problems.append(
                f"{label} image {container['image']!r} is not an image reference: give [registry[:port]/]repository[:tag][@sha256:digest], "
                "for example 123456789012.dkr.ecr.us-east-1.amazonaws.com/web:3f2a1b0c."
            )
        if task_memory is None and container.get("memory") is None and container.get("memoryReservation") is None:
            problems.append(f"{label} has no memory or memoryReservation and the task has no memory: set one of them.")
        for secret in container.get("secrets") or []:
            # The value itself is never quoted: a secret's value may have been put here by mistake.
            if not SECRET_ARN.match(str(secret.get("valueFrom") or "")):
                problems.append(
                    f"{label} secret {secret.get('name')!r} does not take its value from an ARN: give the ARN of a Secrets Manager "
                    "secret (arn:aws:secretsmanager:...) or an SSM parameter (arn:aws:ssm:...); a task definition never holds a secret's value."
                )
        for dependency in container.get("dependsOn") or []:
            if dependency.get("containerName") not in names:
                problems.append(f"{label} dependsOn unknown container {dependency.get('containerName')!r}: name a container of this task definition.")
        for mount in container.get("mountPoints") or []:
            if mount.get("sourceVolume") not in volume_names:
                problems.append(f"{label} mounts unknown volume {mount.get('sourceVolume')!r}: add it to volumes or fix sourceVolume.")
        for source in container.get("volumesFrom") or []:
            if source.get("sourceContainer") not in names:
                problems.append(f"{label} takes volumesFrom unknown container {source.get('sourceContainer')!r}.")
    duplicates = sorted({str(name) for name in names if name and names.count(name) > 1})
    if duplicates:
        problems.append(f"Container names must be unique; repeated: {', '.join(duplicates)}.")
    if containers and not any(container.get("essential", True) for container in containers):
        problems.append("No container is essential: mark at least one container essential: true.")
    return problems


def validate_options(options: Mapping[str, Any]) -> None:
    """Option values the argument spec cannot check."""
    keep = options.get("keep_revisions")
    if keep is not None and keep < 1:
        raise InvalidInput(f"keep_revisions is {keep}: give 1 or more (the newest revision always stays), or leave it out.")


def validate_definition(definition: Mapping[str, Any]) -> None:
    """Reject a malformed definition before anything is registered."""
    containers = definition.get("containerDefinitions") or []
    if not containers:
        raise InvalidInput("The task definition has no containers: give at least one in containers.")
    memory = parse_memory(definition.get("memory"))
    parse_cpu(definition.get("cpu"))
    volume_names = {volume.get("name") for volume in definition.get("volumes") or []}
    problems = _container_problems(containers, memory, volume_names)
    if "FARGATE" in (definition.get("requiresCompatibilities") or []):
        if definition.get("networkMode") != "awsvpc":
            problems.append("requires_compatibilities FARGATE needs network_mode awsvpc.")
        if not definition.get("cpu") or not memory:
            problems.append("requires_compatibilities FARGATE needs task-level cpu and memory.")
    if problems:
        raise InvalidInput("Invalid task definition: " + " ".join(problems), problems=problems)


def served_port_problems(definition: Mapping[str, Any], served: Sequence[tuple[str, Any, Any]]) -> list[str]:
    """Load balancer targets (where they come from, container name, container port) that the
    definition does not declare: ECS would register the task and the target never answers."""
    containers = {item.get("name"): item for item in definition.get("containerDefinitions") or []}
    names = ", ".join(sorted(map(str, containers))) or "none"
    problems = []
    for source, name, port in served:
        if name not in containers:
            problems.append(f"{source} sends traffic to container {name!r}, which the task definition does not declare (its containers: {names}).")
        elif port is not None and int(port) not in exposed_ports(containers[name]):
            declared = ", ".join(str(item) for item in sorted(exposed_ports(containers[name]))) or "none"
            problems.append(
                f"{source} sends traffic to port {port} of container {name!r}, which no portMappings containerPort declares (it declares: {declared})."
            )
    return problems


# --- the plan -------------------------------------------------------------------


def plan_task_definition(desired: Mapping[str, Any], current: Optional[Mapping[str, Any]]) -> list[str]:
    """Paths of the fields that differ (``cpu``, ``containerDefinitions.web.environment``).

    Both sides are normalised whole definitions, so a field on one side only
    is a difference too; ``compare_generic``'s "None is unmanaged" rule does
    not fit here and is not used.
    """
    if current is None:
        return sorted(key for key in desired if key != "family")
    changed = [key for key in sorted((set(desired) | set(current)) - {"family", "containerDefinitions"}) if desired.get(key) != current.get(key)]
    wanted, have = desired.get("containerDefinitions", {}), current.get("containerDefinitions", {})
    for name in sorted(set(wanted) | set(have), key=str):
        if name not in wanted or name not in have:
            changed.append(f"containerDefinitions.{name}")
            continue
        for key in sorted(set(wanted[name]) | set(have[name])):
            if wanted[name].get(key) != have[name].get(key):
                changed.append(f"containerDefinitions.{name}.{key}")
    return changed


def closest_revision(desired: Mapping[str, Any], candidates: Sequence[tuple[Any, Mapping[str, Any]]]) -> tuple[Any, Optional[dict], list[str]]:
    """(revision, its normalised definition, the paths that differ) of the first
    candidate equal to ``desired``, else of the first candidate; (None, None, all)
    without candidates. Candidates are (revision, normalised definition) pairs,
    the service's running revision first, then the family's latest."""
    for revision, normalised in candidates:
        if not plan_task_definition(desired, normalised):
            return revision, dict(normalised), []
    if candidates:
        revision, normalised = candidates[0]
        return revision, dict(normalised), plan_task_definition(desired, normalised)
    return None, None, plan_task_definition(desired, None)


def _at_path(definition: Optional[Mapping[str, Any]], path: str) -> Any:
    if definition is None:
        return None
    if not path.startswith("containerDefinitions."):
        return definition.get(path)
    rest = path[len("containerDefinitions.") :]
    containers = definition.get("containerDefinitions", {})
    for name in sorted(containers, key=lambda item: -len(str(item))):
        # Container names may hold dots; match the longest name first.
        if rest == name:
            return containers[name]
        if rest.startswith(f"{name}."):
            return containers[name].get(rest[len(name) + 1 :])
    return None


def difference(paths: Sequence[str], desired: Mapping[str, Any], current: Optional[Mapping[str, Any]]) -> tuple[dict, dict]:
    """(before, after) of the differing fields only, for diff mode; all of
    ``desired`` for a new family."""
    if current is None:
        return {}, copy.deepcopy(dict(desired))
    tracker = DifferenceTracker()
    for path in paths:
        tracker.add(path, _at_path(current, path), _at_path(desired, path))
    return tracker.get_before_after()


def plan_revision_tags(new_revision: bool, desired: Optional[Mapping[str, str]], current: Mapping[str, str], purge: bool) -> tuple[dict, dict, list]:
    """(tags after the run, tags to set, keys to remove).

    A new revision is registered with the desired tags, or with the latest
    revision's when none are given; otherwise the latest one is retagged.
    """
    if new_revision:
        tags = dict(current if desired is None else desired)
        return tags, tags, []
    to_set, to_remove = plan_tags(desired, current, purge)
    if desired is None:
        return dict(current), to_set, to_remove
    return (dict(desired) if purge else {**current, **desired}), to_set, to_remove


def revisions_to_deregister(active_arns: Sequence[str], keep: Optional[int]) -> list[str]:
    """The ACTIVE revisions older than the newest ``keep``, oldest first."""
    if not keep:
        return []
    newest_first = sorted(active_arns, key=revision_number, reverse=True)
    return sorted(newest_first[keep:], key=revision_number)


def latest_revision(active_arns: Sequence[str], family: str) -> Optional[str]:
    """The newest ACTIVE revision of exactly ``family`` (ListTaskDefinitions filters by prefix)."""
    own = [arn for arn in active_arns if family_of(arn) == family]
    return max(own, key=revision_number) if own else None


def predicted_arn(latest_arn: Optional[str], family: str) -> tuple[Optional[str], int]:
    """(ARN, revision) the next registration will get; the ARN is unknown for a new family."""
    if latest_arn is None:
        return None, 1
    revision = revision_number(latest_arn) + 1
    return f"{latest_arn.rsplit(':', 1)[0]}:{revision}", revision
