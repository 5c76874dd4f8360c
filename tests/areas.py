"""The integration and lab tests of one area, for ``make check`` (the inner loop).

    python tests/areas.py elb              the test files of the area elb
    python tests/areas.py elb codedeploy   of both
    python tests/areas.py tests/lab/x.py   paths pass through as they are
    python tests/areas.py --changed        the areas the work tree's changes touch (git)
    python tests/areas.py --list           every area and its files

An area is a part of the collection or of the lab, named after its folder: the modules and
module_utils of one AWS service, the roles, the lab's core. A path under an area's source
folders (``SOURCES``) selects that area with ``--changed``.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
INTEGRATION = "tests/integration"
MODULES = f"{INTEGRATION}/modules"

# area -> the test files (globs, relative to the repository) that exercise it
TESTS: dict[str, tuple[str, ...]] = {
    "ecs": (
        f"{MODULES}/test_cluster.py",
        f"{MODULES}/test_task_definition.py",
        f"{MODULES}/test_service.py",
        f"{MODULES}/test_service_info.py",
        "tests/lab/test_ecs_*.py",
    ),
    "elb": (
        f"{MODULES}/test_load_balancer.py",
        f"{MODULES}/test_listener.py",
        f"{MODULES}/test_target_group.py",
        "tests/lab/test_elb_*.py",
    ),
    "codedeploy": (
        f"{MODULES}/test_codedeploy_*.py",
        f"{MODULES}/test_deploy_codedeploy.py",
        "tests/lab/test_codedeploy_*.py",
        "tests/lab/test_e2e_codedeploy.py",
        "tests/lab/test_third_party_deploy_tools.py",
    ),
    "deploy": (
        f"{MODULES}/test_deploy_*.py",
        f"{MODULES}/test_pipeline_artifacts.py",
        "tests/lab/test_e2e_*.py",
    ),
    "image": (
        f"{MODULES}/test_image.py",
        f"{INTEGRATION}/roles/test_image_role.py",
        f"{INTEGRATION}/test_secrets.py",
        "tests/lab/test_registry_*.py",
    ),
    "roles": (
        f"{INTEGRATION}/roles/test_*.py",
        f"{INTEGRATION}/test_bad_input.py",
    ),
    "lab": (
        "tests/lab/test_core_*.py",
        "tests/lab/test_loadgen.py",
        "tests/lab/test_moto_pin.py",
        "tests/lab/test_third_party_clients.py",
    ),
    "faults": ("tests/faults/test_faultkit.py",),
}

# source folder or file (prefix) -> the areas a change there touches; first match wins
SOURCES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("plugins/module_utils/_ecs/", ("ecs",)),
    ("plugins/module_utils/_elbv2/", ("elb",)),
    ("plugins/module_utils/_codedeploy/", ("codedeploy",)),
    ("plugins/module_utils/_deploy/", ("deploy",)),
    ("plugins/module_utils/_ecr/", ("image",)),
    ("plugins/module_utils/_image/", ("image",)),
    ("plugins/module_utils/", ("ecs", "elb", "codedeploy", "deploy")),  # shared helpers
    ("plugins/modules/cluster.py", ("ecs",)),
    ("plugins/modules/task_definition.py", ("ecs",)),
    ("plugins/modules/service", ("ecs",)),
    ("plugins/modules/load_balancer.py", ("elb",)),
    ("plugins/modules/listener.py", ("elb",)),
    ("plugins/modules/target_group.py", ("elb",)),
    ("plugins/modules/codedeploy_", ("codedeploy",)),
    ("plugins/modules/deploy", ("deploy",)),
    ("plugins/modules/pipeline_artifacts.py", ("deploy",)),
    ("plugins/modules/image.py", ("image",)),
    ("plugins/action/", ("deploy",)),
    ("roles/", ("roles",)),
    ("playbooks/", ("roles",)),
    ("lab/ecs/", ("ecs",)),
    ("lab/elb/", ("elb",)),
    ("lab/codedeploy/", ("codedeploy",)),
    ("lab/registry/", ("image",)),
    ("lab/", ("lab",)),
    ("service/", ("image",)),
    ("tests/faults/", ("faults",)),
)


def files_of(area: str) -> list[str]:
    found = sorted({str(path.relative_to(REPO)) for pattern in TESTS[area] for path in REPO.glob(pattern)})
    if not found:
        raise SystemExit(f"area {area!r} matches no test file: update TESTS in {Path(__file__).name}")
    return found


def areas_of(changed: list[str]) -> list[str]:
    """The areas the changed paths touch: a test file selects its own area(s) too."""
    areas: list[str] = []
    for path in changed:
        owners = next((owned for prefix, owned in SOURCES if path.startswith(prefix)), ())
        owners += tuple(area for area in TESTS if any(Path(path).match(pattern) for pattern in TESTS[area]))
        areas += [area for area in owners if area not in areas]
    return areas


def changed_paths() -> list[str]:
    """Files changed in the work tree against HEAD, and new files git does not ignore."""
    git = ["git", "-C", str(REPO)]
    tracked = subprocess.run([*git, "diff", "--name-only", "HEAD"], capture_output=True, text=True, check=True).stdout
    untracked = subprocess.run([*git, "ls-files", "--others", "--exclude-standard"], capture_output=True, text=True, check=True).stdout
    return [line for line in (tracked + untracked).splitlines() if line]


def select(words: list[str]) -> list[str]:
    """Test paths for areas, paths and ``--changed``; an unknown word is an error that lists the areas."""
    selected: list[str] = []
    for word in words:
        if word == "--changed":
            names = areas_of(changed_paths())
            print(f"areas the changes touch: {' '.join(names) or '(none)'}", file=sys.stderr)
            paths = [path for name in names for path in files_of(name)]
        elif word in TESTS:
            paths = files_of(word)
        elif (REPO / word).exists():
            paths = [word]
        else:
            raise SystemExit(f"unknown area or path {word!r}; areas: {', '.join(TESTS)}")
        selected += [path for path in paths if path not in selected]
    return selected


def main(argv: list[str]) -> int:
    if argv == ["--list"]:
        for area in TESTS:
            print(f"{area}: {' '.join(files_of(area))}")
        return 0
    print(" ".join(select(argv)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
