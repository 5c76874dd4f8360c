"""The one place that changes moto's internals. ``tests/lab/test_moto_pin.py`` fails when the pin moves.

Each patch fixes a moto behaviour that differs from AWS where the lab depends on it:

1. ``ListTasks`` ignores ``serviceName`` (moto: "TODO") and matches clusters by
   substring (cluster ``c`` lists the tasks of ``c1``). AWS lists the tasks a
   service started; ECS marks them with ``group = "service:<name>"``, which is
   what the lab's ECS controller sets, so the filter uses it. moto also lists
   stopped tasks when no ``desiredStatus`` is given; AWS's default filter is RUNNING.
2. ``RunTask`` / ``StartTask`` crash (``int += None``) when a container has no
   own ``memory`` or ``memoryReservation`` and only the task-level ``memory`` is
   set, which is the usual Fargate task definition.
3. ``CreateService`` drops ``deploymentConfiguration`` and
   ``healthCheckGracePeriodSeconds`` (``UpdateService`` keeps them). AWS also
   returns the default deployment configuration when none was given.

4. ``RunTask`` and ``CreateService`` with ``awsvpc`` crash (``KeyError``) when the
   ``awsvpcConfiguration`` has no ``securityGroups``; AWS uses the default
   security group of the subnet's VPC.
5. ``DescribeClusters`` (and every cluster response) leaves out ``capacityProviders``
   and ``defaultCapacityProviderStrategy`` for a cluster created without them; AWS
   returns both, empty. community.aws ``ecs_cluster`` reads them unguarded
   (``KeyError: 'capacityProviders'`` on a re-run).

``apply()`` is idempotent and runs when the lab's moto store is created.
"""

from __future__ import annotations

from typing import Any

PINNED_MOTO_VERSION = "5.2.5"

# (module, class, attribute) of every moto internal patched below.
PATCH_TARGETS = (
    ("moto.ecs.models", "EC2ContainerServiceBackend", "list_tasks"),
    ("moto.ecs.models", "EC2ContainerServiceBackend", "_calculate_task_resource_requirements"),
    ("moto.ecs.responses", "EC2ContainerServiceResponse", "create_service"),
    ("moto.ecs.responses", "EC2ContainerServiceResponse", "list_tasks"),
    ("moto.ecs.models", "Task", "__init__"),
    ("moto.ecs.models", "Service", "_validate_network"),
    ("moto.ec2.models.security_groups", "SecurityGroupBackend", "get_default_security_group"),
    ("moto.ecs.models", "Cluster", "__init__"),
)

# AWS's answer for a service with the ECS deployment controller created without deploymentConfiguration.
DEFAULT_DEPLOYMENT_CONFIGURATION = {
    "deploymentCircuitBreaker": {"enable": False, "rollback": False},
    "maximumPercent": 200,
    "minimumHealthyPercent": 100,
}

_applied = False

# "Class.attribute" -> moto's own implementation, kept for tests that compare against it.
ORIGINALS: dict[str, Any] = {}


def apply() -> None:
    global _applied
    if _applied:
        return
    import importlib
    import inspect

    from moto.ecs.models import Cluster, EC2ContainerServiceBackend, Service, Task
    from moto.ecs.responses import EC2ContainerServiceResponse

    for module, owner, attribute in PATCH_TARGETS:
        ORIGINALS[f"{owner}.{attribute}"] = inspect.getattr_static(getattr(importlib.import_module(module), owner), attribute)

    EC2ContainerServiceBackend.list_tasks = _list_tasks
    EC2ContainerServiceBackend._calculate_task_resource_requirements = staticmethod(task_resource_requirements)
    EC2ContainerServiceResponse.create_service = _wrap_create_service(EC2ContainerServiceResponse.create_service)
    EC2ContainerServiceResponse.list_tasks = _list_tasks_response
    Task.__init__ = _wrap_task_init(Task.__init__)
    Service._validate_network = _wrap_validate_network(Service._validate_network)
    Cluster.__init__ = _wrap_cluster_init(Cluster.__init__)
    _applied = True


# 1. ListTasks ------------------------------------------------------------------------


def service_group(service: str) -> str:
    """The task ``group`` ECS gives tasks of a service: ``service:<name>`` (ARNs reduced to the name)."""
    return f"service:{service.rsplit('/', 1)[-1]}"


def task_matches(task: Any, cluster_name: str | None, service_name: str | None, started_by: str | None, desired_status: str | None) -> bool:
    if cluster_name is not None and task.cluster_name != cluster_name:
        return False
    if service_name and task.group != service_group(service_name):
        return False
    if started_by and task.started_by != started_by:
        return False
    return not (desired_status and task.desired_status != desired_status)


def _list_tasks(
    self: Any,
    cluster_str: str | None = None,
    container_instance: str | None = None,
    family: str | None = None,
    started_by: str | None = None,
    service_name: str | None = None,
    desiredStatus: str | None = None,  # noqa: N803 - moto's parameter name
) -> list[Any]:
    cluster_name = self._get_cluster(cluster_str).name if cluster_str else None
    tasks = [task for by_arn in self.tasks.values() for task in by_arn.values()]
    tasks = [task for task in tasks if task_matches(task, cluster_name, service_name, started_by, desiredStatus)]
    if container_instance:
        tasks = [task for task in tasks if container_instance in (task.container_instance_arn or "")]
    if family:
        arns = set(self.list_task_definitions(family))
        tasks = [task for task in tasks if task.task_definition_arn in arns]
    return tasks


def _list_tasks_response(self: Any) -> Any:
    from moto.core.responses import ActionResult

    tasks = self.ecs_backend.list_tasks(
        self._get_param("cluster", "default"),
        self._get_param("containerInstance"),
        self._get_param("family"),
        self._get_param("startedBy"),
        self._get_param("serviceName"),
        self._get_param("desiredStatus") or "RUNNING",
    )
    return ActionResult({"taskArns": [task.task_arn for task in tasks]})


# 2. resource requirements --------------------------------------------------------------


def _first(definition: dict[str, Any], *keys: str) -> Any:
    """The first present key; CloudFormation passes capitalised keys, the API lower-case ones."""
    for key in keys:
        if definition.get(key) is not None:
            return definition[key]
    return None


def task_resource_requirements(task_definition: Any) -> dict[str, Any]:
    """CPU, memory and host ports a task needs; containers without memory share the task's."""
    requirements: dict[str, Any] = {"CPU": 0, "MEMORY": 0, "PORTS": [], "PORTS_UDP": []}
    for container in task_definition.container_definitions:
        requirements["CPU"] += int(_first(container, "cpu", "Cpu") or 0)
        requirements["MEMORY"] += int(_first(container, "memory", "Memory", "memoryReservation", "MemoryReservation") or 0)
        for mapping in _first(container, "portMappings", "PortMappings") or []:
            host_port = _first(mapping, "hostPort", "HostPort")
            if host_port is not None:
                requirements["PORTS"].append(host_port)
    if not requirements["MEMORY"] and getattr(task_definition, "memory", None):
        requirements["MEMORY"] = int(task_definition.memory)
    return requirements


# 3. CreateService ------------------------------------------------------------------------


def _wrap_create_service(original: Any) -> Any:
    def create_service(self: Any) -> Any:
        result = original(self)
        keep_create_service_settings(
            result.result["service"],
            self._get_param("deploymentConfiguration"),
            self._get_param("healthCheckGracePeriodSeconds"),
        )
        return result

    create_service.__wrapped__ = original  # type: ignore[attr-defined]
    return create_service


def merged_deployment_configuration(controller: str, given: dict[str, Any] | None) -> dict[str, Any] | None:
    """What DescribeServices shows: for the ECS controller AWS fills in the defaults of missing fields."""
    if controller != "ECS":
        return dict(given) if given is not None else None
    merged: dict[str, Any] = {key: (dict(value) if isinstance(value, dict) else value) for key, value in DEFAULT_DEPLOYMENT_CONFIGURATION.items()}
    merged.update(given or {})
    return merged


def keep_create_service_settings(service: Any, deployment_configuration: dict[str, Any] | None, grace_period: int | None) -> None:
    """Store what moto dropped, under the attribute names its UpdateService and serializer use."""
    controller = (service.deployment_controller or {}).get("type", "ECS")
    kept = merged_deployment_configuration(controller, deployment_configuration)
    if kept is not None:
        service.deployment_configuration = kept
    if grace_period is not None:
        service.health_check_grace_period_seconds = int(grace_period)


# 4. awsvpc without security groups ---------------------------------------------------------


def _wrap_task_init(original: Any) -> Any:
    def __init__(self: Any, cluster: Any, task_definition: Any, *args: Any, **kwargs: Any) -> None:  # noqa: N807
        network = kwargs.get("networking_configuration")
        if task_definition.network_mode == "awsvpc" and network:
            backend = kwargs.get("backend") or args[2]
            kwargs["networking_configuration"] = with_default_security_group(network, backend.account_id, cluster.region_name)
        original(self, cluster, task_definition, *args, **kwargs)

    __init__.__wrapped__ = original  # type: ignore[attr-defined]
    return __init__


def _wrap_validate_network(original: Any) -> Any:
    def _validate_network(self: Any, network: dict[str, Any]) -> Any:
        return original(self, with_default_security_group(network, self._account_id, self.region_name))

    _validate_network.__wrapped__ = original  # type: ignore[attr-defined]
    return _validate_network


def with_default_security_group(network: dict[str, Any], account_id: str, region: str) -> dict[str, Any]:
    """The network configuration with the subnet VPC's default security group if none was given."""
    awsvpc = network.get("awsvpcConfiguration") or {}
    if awsvpc.get("securityGroups") or not awsvpc.get("subnets"):
        return network
    from moto.ec2.models import ec2_backends

    ec2 = ec2_backends[account_id][region]
    group = ec2.get_default_security_group(ec2.get_subnet(awsvpc["subnets"][0]).vpc_id)
    return {**network, "awsvpcConfiguration": {**awsvpc, "securityGroups": [group.id] if group else []}}


# 5. a cluster's capacity providers, empty rather than left out -------------------------------


def _wrap_cluster_init(original: Any) -> Any:
    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:  # noqa: N807
        original(self, *args, **kwargs)
        self.capacity_providers = self.capacity_providers or []
        self.default_capacity_provider_strategy = self.default_capacity_provider_strategy or []

    __init__.__wrapped__ = original  # type: ignore[attr-defined]
    return __init__
