"""Local images of the sample service (service/) for lab tests, without Docker Hub.

``ensure_sample_images(engine)`` builds, once per machine (under a machine-wide lock):
- the Debian base image with ``scripts/base-image.sh`` (mmdebstrap, ~15 s);
- ``<repo>:v1`` and ``<repo>:v2``: service/Containerfile with VERSION 1 and 2;
- ``<repo>:broken``: v1 whose command exits 1 at start ("tasks failed to start").
"""

from __future__ import annotations

import fcntl
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from lab.loopback import claims_dir

REPO_ROOT = Path(__file__).resolve().parents[2]
BASE_IMAGE = "localhost/cutover/python-base:bookworm"
SAMPLE_REPOSITORY = "localhost/cutover-lab/sample"


@dataclass(frozen=True)
class SampleImages:
    v1: str
    v2: str
    broken: str


def _run(args: list[str], cwd: Path | None = None, timeout: float = 600) -> None:
    proc = subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(args[:3])} failed ({proc.returncode}): {proc.stderr.strip()[-2000:]}")


def image_exists(engine: str, image: str) -> bool:
    args = [engine, "image", "exists", image] if engine == "podman" else [engine, "image", "inspect", image]
    return subprocess.run(args, capture_output=True, stdin=subprocess.DEVNULL).returncode == 0


def ensure_base_image(engine: str = "podman") -> str:
    if not image_exists(engine, BASE_IMAGE):
        _run(["sh", str(REPO_ROOT / "scripts" / "base-image.sh")], cwd=REPO_ROOT, timeout=900)
    return BASE_IMAGE


def build_sample(engine: str, version: str, tag: str, rebuild: bool = False) -> str:
    image = f"{SAMPLE_REPOSITORY}:{tag}"
    if rebuild or not image_exists(engine, image):
        base = ensure_base_image(engine)
        _run(
            [
                engine,
                "build",
                "--quiet",
                "--no-cache",
                "--build-arg",
                f"BASE_IMAGE={base}",
                "--build-arg",
                f"VERSION={version}",
                "--build-arg",
                "GIT_COMMIT=lab-test",
                "-t",
                image,
                str(REPO_ROOT / "service"),
            ]
        )
    return image


def build_broken(engine: str, from_image: str, rebuild: bool = False) -> str:
    image = f"{SAMPLE_REPOSITORY}:broken"
    if rebuild or not image_exists(engine, image):
        with tempfile.TemporaryDirectory() as context:
            Path(context, "Containerfile").write_text(f'FROM {from_image}\nCMD ["python3", "-c", "raise SystemExit(\'broken release: exits at start\')"]\n')
            _run([engine, "build", "--quiet", "--no-cache", "-t", image, context])
    return image


def ensure_sample_images(engine: str = "podman") -> SampleImages:
    """The three images, built by the first caller on the machine; callers at the same time
    (test workers, two test runs) wait for it rather than build and tag them twice."""
    with machine_lock("sample-images"):
        v1 = build_sample(engine, "1", "v1")
        v2 = build_sample(engine, "2", "v2")
        return SampleImages(v1=v1, v2=v2, broken=build_broken(engine, v1))


@contextmanager
def machine_lock(name: str) -> Iterator[None]:
    """An exclusive lock over every process on this machine (next to the lab's prefix claims)."""
    directory = claims_dir()
    directory.mkdir(mode=0o1777, parents=True, exist_ok=True)
    with open(directory / f"{name}.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield
