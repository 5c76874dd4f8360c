"""The lab for tests: one per session, on free ports, in a temporary directory.

Nothing here touches a user's lab: the endpoint and registry ports are free
ports, ``LAB_DIR`` is a temp directory and the loopback prefix is not 127.0.
``LAB_TIME_SCALE`` passes through from the environment.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))  # `lab` is a top-level package of the repo, not installed


from lab.testing import LabHandle, free_port, running_lab  # noqa: E402,F401 (the path is set above)


@pytest.fixture(scope="session")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabHandle]:
    """The session's lab, up; torn down (and checked down) at the end."""
    handle = LabHandle(tmp_path_factory.mktemp("lab"))
    yield from running_lab(handle)


def build_tiny_rootfs(root: Path) -> None:
    """A root filesystem holding /bin/sleep and the libraries it needs: a runnable image without Docker Hub."""
    sleep = Path(shutil.which("sleep") or "/bin/sleep").resolve()
    libraries = [
        Path(line.split("=>")[-1].split("(")[0].strip())
        for line in subprocess.run(["ldd", str(sleep)], capture_output=True, text=True, check=True).stdout.splitlines()
        if "/" in line
    ]
    (root / "bin").mkdir(parents=True)
    shutil.copy2(sleep, root / "bin" / "sleep")
    for library in libraries:
        target = root / library.relative_to("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(library.resolve(), target)
    (root / "hello.txt").write_text("cutover lab test image\n")


@pytest.fixture(scope="session")
def tiny_image(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A local podman image (``sleep`` and a text file, about 2 MB), removed by id afterwards."""
    if not shutil.which("podman"):
        pytest.skip("podman is not installed")
    work = tmp_path_factory.mktemp("tiny-image")
    build_tiny_rootfs(work / "rootfs")
    with tarfile.open(work / "rootfs.tar", "w") as tar:
        tar.add(work / "rootfs", arcname=".")
    reference = f"localhost/cutover-lab-test/tiny:{os.getpid()}"
    imported = subprocess.run(["podman", "import", str(work / "rootfs.tar"), reference], capture_output=True, text=True, timeout=120)
    assert imported.returncode == 0, imported.stderr
    image_id = imported.stdout.strip().splitlines()[-1]
    try:
        yield reference
    finally:
        subprocess.run(["podman", "rmi", "-f", image_id], capture_output=True, timeout=120)
