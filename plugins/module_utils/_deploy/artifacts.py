# Copyright: cutover.ecs contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""cutover.ecs.pipeline_artifacts: the files a CodePipeline deploy action reads, from a live service.

- ``appspec.yaml`` and ``taskdef.json``: the inputs of the "Amazon ECS (Blue/Green)" action
  (CodeDeployToECS). The AppSpec is the one cutover.ecs.deploy sends (``plan.build_appspec``),
  with CodePipeline's ``<TASK_DEFINITION>`` placeholder; the task definition is a
  RegisterTaskDefinition input with ``<IMAGE1_NAME>`` where the image artifact's URI goes.
- ``imagedefinitions.json``: the input of the standard "Amazon ECS" deploy action.
- ``imageDetail.json``: the image artifact of the blue/green action (what an ECR source writes).

The documents are built by pure functions (table-tested); :func:`ensure_pipeline_artifacts`
reads the service and the task definition, then writes only the files whose content differs,
each one atomically.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping, Sequence
from typing import Any, Optional

from ansible_collections.cutover.ecs.plugins.module_utils._deploy import plan
from ansible_collections.cutover.ecs.plugins.module_utils._deploy.ensure import _read_service, _resolve_task_definition
from ansible_collections.cutover.ecs.plugins.module_utils._ecs import api as ecs_api
from ansible_collections.cutover.ecs.plugins.module_utils._errors import CutoverError, InvalidInput
from ansible_collections.cutover.ecs.plugins.module_utils._module import Context

APPSPEC = "appspec.yaml"
TASKDEF = "taskdef.json"
IMAGE_DEFINITIONS = "imagedefinitions.json"
IMAGE_DETAIL = "imageDetail.json"
FILES = (APPSPEC, TASKDEF, IMAGE_DEFINITIONS, IMAGE_DETAIL)
DEFAULT_FILES = (APPSPEC, TASKDEF, IMAGE_DEFINITIONS)

# The texts CodePipeline's CodeDeployToECS action replaces: the task definition it registers
# from taskdef.json, and the image URI of the action's first image artifact (Image1ArtifactName).
TASK_DEFINITION_PLACEHOLDER = "<TASK_DEFINITION>"
IMAGE_PLACEHOLDER = "<IMAGE1_NAME>"

# DescribeTaskDefinition's TaskDefinition members that RegisterTaskDefinition does not take
# (botocore's ecs model; a unit test keeps this list equal to the model's difference).
READ_ONLY_FIELDS = (
    "compatibilities",
    "deleteRequestedAt",
    "deregisteredAt",
    "registeredAt",
    "registeredBy",
    "requiresAttributes",
    "revision",
    "status",
    "taskDefinitionArn",
)


# --- input ---------------------------------------------------------------------------------


def validate_options(options: Mapping[str, Any]) -> tuple[str, ...]:
    """The files to write, checked; raises :class:`InvalidInput` before anything is read."""
    files = tuple(options.get("files") or ())
    if not files:
        raise InvalidInput(f"files must name at least one of {', '.join(FILES)}", option="files")
    unknown = [name for name in files if name not in FILES]
    if unknown:
        raise InvalidInput(f"files has unknown names {', '.join(unknown)}; choose from {', '.join(FILES)}", option="files")
    if len(set(files)) != len(files):
        raise InvalidInput(f"files names a file twice: {', '.join(files)}", option="files")
    if not options.get("dest"):
        raise InvalidInput("dest (the directory to write the files to) is required", option="dest")
    port = options.get("container_port")
    if port is not None and not 1 <= port <= 65535:
        raise InvalidInput(f"container_port must be between 1 and 65535 (got {port})", option="container_port")
    return files


def artifact_container(
    service: Mapping[str, Any], task_definition: Mapping[str, Any], files: Sequence[str], name: Optional[str] = None, port: Optional[int] = None
) -> tuple[str, Optional[int]]:
    """The container (and, for the AppSpec, its port) the artifacts are about.

    The AppSpec needs both, checked as cutover.ecs.deploy checks them. The other files need
    only the container, so a service without a load balancer (the standard ECS action's
    rolling services) can still get them by naming it.
    """
    if APPSPEC in files or port is not None:
        return plan.container_target(service, task_definition, name, port)
    balancer = next(iter(service.get("loadBalancers") or []), {})
    name = name or balancer.get("containerName")
    containers = [str(c.get("name")) for c in task_definition.get("containerDefinitions") or []]
    if not name:
        if len(containers) == 1:
            # One container: there is no choice to make.
            return containers[0], None
        raise InvalidInput(
            f"The service {service.get('serviceName')} has no load balancer to take the container from: give container_name "
            f"(one of {', '.join(sorted(containers)) or 'none'})",
            option="container_name",
        )
    if name not in containers:
        family = f"{task_definition.get('family')}:{task_definition.get('revision')}"
        raise InvalidInput(
            f"container_name {name} is not a container of the task definition {family} (its containers: {', '.join(sorted(containers)) or 'none'})",
            option="container_name",
        )
    return name, None


# --- the documents -------------------------------------------------------------------------


def appspec_document(task_definition_arn: str, container_name: str, container_port: int, service: Mapping[str, Any], placeholders: bool = True) -> dict:
    """The AppSpec cutover.ecs.deploy sends, with CodePipeline's placeholder for the task definition."""
    reference = TASK_DEFINITION_PLACEHOLDER if placeholders else task_definition_arn
    return plan.build_appspec(reference, container_name, container_port, service)


def _container_image(task_definition: Mapping[str, Any], container_name: str) -> str:
    container = next(c for c in task_definition.get("containerDefinitions") or [] if c.get("name") == container_name)
    return str(container.get("image") or "")


def taskdef_document(task_definition: Mapping[str, Any], container_name: str, placeholders: bool = True) -> dict:
    """DescribeTaskDefinition's taskDefinition as RegisterTaskDefinition input: the read-only
    fields dropped and, with placeholders, the container's image replaced by ``<IMAGE1_NAME>``."""
    document = {key: value for key, value in task_definition.items() if key not in READ_ONLY_FIELDS}
    containers = []
    for container in document.get("containerDefinitions") or []:
        if placeholders and container.get("name") == container_name:
            container = {**container, "image": IMAGE_PLACEHOLDER}
        containers.append(dict(container))
    document["containerDefinitions"] = containers
    return document


def image_definitions_document(task_definition: Mapping[str, Any], container_name: str) -> list:
    """imagedefinitions.json: the container and the image it runs now."""
    return [{"name": container_name, "imageUri": _container_image(task_definition, container_name)}]


def image_detail_document(task_definition: Mapping[str, Any], container_name: str) -> dict:
    """imageDetail.json: the image URI the blue/green action puts where ``<IMAGE1_NAME>`` is."""
    return {"ImageURI": _container_image(task_definition, container_name)}


def build_documents(
    service: Mapping[str, Any],
    task_definition: Mapping[str, Any],
    files: Sequence[str],
    container_name: str,
    container_port: Optional[int],
    placeholders: bool = True,
) -> dict:
    """{file name: document} for the files asked for, in their order."""
    builders = {
        APPSPEC: lambda: appspec_document(task_definition["taskDefinitionArn"], container_name, int(container_port or 0), service, placeholders),
        TASKDEF: lambda: taskdef_document(task_definition, container_name, placeholders),
        IMAGE_DEFINITIONS: lambda: image_definitions_document(task_definition, container_name),
        IMAGE_DETAIL: lambda: image_detail_document(task_definition, container_name),
    }
    return {name: builders[name]() for name in files}


def render(name: str, document: Any) -> str:
    """The file's text. Sorted JSON keys and a fixed YAML key order keep it byte-stable, so a
    re-run with nothing new compares equal."""
    if name == APPSPEC:
        return _yaml_text(document)
    return json.dumps(document, indent=2, sort_keys=True, default=str) + "\n"


def _yaml_text(document: Any) -> str:
    try:
        import yaml
    except ImportError as exc:
        raise CutoverError("PyYAML is needed to write appspec.yaml on the host the module runs on; install it or leave appspec.yaml out of files") from exc

    # AppSpec order (version first), as AWS's examples show it.
    return yaml.safe_dump(document, sort_keys=False, default_flow_style=False)


def changed_files(rendered: Mapping[str, str], existing: Mapping[str, Optional[str]]) -> list:
    """The files whose content differs from what is on disk (missing files differ)."""
    return [name for name, text in rendered.items() if existing.get(name) != text]


def file_diffs(rendered: Mapping[str, str], existing: Mapping[str, Optional[str]], paths: Mapping[str, str]) -> list:
    """Ansible's per-file diff list, for the files that change."""
    return [
        {"before_header": paths[name], "after_header": paths[name], "before": existing.get(name) or "", "after": rendered[name]}
        for name in changed_files(rendered, existing)
    ]


def taskdef_problems(client: Any, document: Mapping[str, Any]) -> Optional[str]:
    """botocore's check of taskdef.json as RegisterTaskDefinition input (no call is made): a field
    AWS adds to DescribeTaskDefinition that registration does not take shows up here."""
    return ecs_api.request_problems(client, "RegisterTaskDefinition", dict(document))


# --- I/O -----------------------------------------------------------------------------------


def _read_text(path: str) -> Optional[str]:
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise CutoverError(f"Cannot read {path}: {exc}", path=path) from exc


def _write_atomically(path: str, text: str) -> None:
    """Write through a temporary file in the same directory and rename it over the target, so a
    reader (a pipeline picking up the artifacts) never sees half a file."""
    directory = os.path.dirname(path)
    try:
        mode = os.stat(path).st_mode & 0o7777
    except FileNotFoundError:
        mode = 0o644
    handle, temporary = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", dir=directory)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except OSError as exc:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise CutoverError(f"Cannot write {path}: {exc}", path=path) from exc


def _make_directory(dest: str) -> None:
    try:
        os.makedirs(dest, exist_ok=True)
    except OSError as exc:
        raise CutoverError(f"Cannot create the directory {dest}: {exc}", path=dest) from exc


def ensure_pipeline_artifacts(context: Context, options: Mapping[str, Any]) -> dict:
    """cutover.ecs.pipeline_artifacts: read, build, write what differs (nothing in check mode)."""
    files = validate_options(options)
    dest = os.path.abspath(os.path.expanduser(str(options["dest"])))
    if os.path.exists(dest) and not os.path.isdir(dest):
        raise InvalidInput(f"dest {dest} exists and is not a directory", option="dest")
    client = context.client("ecs")
    service = _read_service(context, options)
    reference = options.get("task_definition") or service.get("taskDefinition")
    if not reference:
        raise InvalidInput(f"The service {options['service']} names no task definition: give task_definition", option="task_definition")
    task_definition = _resolve_task_definition(context, reference)
    container_name, container_port = artifact_container(service, task_definition, files, options.get("container_name"), options.get("container_port"))
    placeholders = options.get("placeholders", True)
    documents = build_documents(service, task_definition, files, container_name, container_port, placeholders)
    if TASKDEF in documents:
        problems = taskdef_problems(client, documents[TASKDEF])
        if problems:
            raise CutoverError(f"taskdef.json would not be valid RegisterTaskDefinition input: {problems}")
    rendered = {name: render(name, document) for name, document in documents.items()}
    paths = {name: os.path.join(dest, name) for name in files}
    existing = {name: _read_text(path) for name, path in paths.items()}
    changed = changed_files(rendered, existing)
    if changed and not context.check_mode:
        _make_directory(dest)
        for name in changed:
            _write_atomically(paths[name], rendered[name])
    result: dict = {
        "changed": bool(changed),
        "dest": dest,
        "task_definition_arn": task_definition.get("taskDefinitionArn"),
        "container_name": container_name,
        "container_port": container_port,
        "placeholders": placeholders,
        "files": [{"name": name, "path": paths[name], "changed": name in changed} for name in files],
        "documents": documents,
    }
    if context.diff_mode:
        result["diff"] = file_diffs(rendered, existing, paths)
    return result
