# Copyright: cutover.ecs contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What git says about a build context: its last commit and its uncommitted changes.

The commit is the last one that touched the context (and the Dockerfile, when
it lives elsewhere), not HEAD: a commit elsewhere in the repository does not
make a new image, so a re-run stays a no-op.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Sequence

from ansible_collections.cutover.ecs.plugins.module_utils._ecr.plan import Source, dirty_fingerprint
from ansible_collections.cutover.ecs.plugins.module_utils._errors import CutoverError, InvalidInput

GIT_TIMEOUT = 120


def parse_porcelain_z(output: bytes) -> list[str]:
    """Paths from ``git status --porcelain=v1 -z``; a rename's entry is followed by its old path, which is skipped."""
    paths: list[str] = []
    entries = output.split(b"\0")
    index = 0
    while index < len(entries):
        entry = entries[index]
        index += 1
        if len(entry) < 4:
            continue
        status, path = entry[:2], entry[3:]
        paths.append(path.decode("utf-8", "surrogateescape"))
        if b"R" in status or b"C" in status:
            index += 1
    return paths


def _git(top: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["git", "-C", top, *args], stdin=subprocess.DEVNULL, capture_output=True, timeout=GIT_TIMEOUT, check=False)


def _checked(top: str, *args: str) -> bytes:
    proc = _git(top, *args)
    if proc.returncode != 0:
        raise CutoverError(f"git {' '.join(args[:2])} failed in {top}: {proc.stderr.decode('utf-8', 'replace').strip()}")
    return proc.stdout


def work_tree(path: str) -> str:
    if shutil.which("git") is None:
        raise InvalidInput(
            "git is not installed, so the default tag (the context's commit) is unknown; install git (apt-get install git) or set tag", option="tag"
        )
    proc = _git(path, "rev-parse", "--show-toplevel")
    if proc.returncode != 0:
        reason = proc.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["not a git work tree"]
        raise InvalidInput(f"{path} is not in a git work tree ({reason[0]}); set tag, or build from a git checkout", option="tag")
    return proc.stdout.decode("utf-8", "surrogateescape").strip()


def _pathspecs(top: str, paths: Sequence[str]) -> list[str]:
    specs = []
    for path in paths:
        relative = os.path.relpath(os.path.realpath(path), os.path.realpath(top))
        if relative != ".." and not relative.startswith(".." + os.sep):
            specs.append(relative)
    return sorted(set(specs)) or ["."]


def read_source(context: str, dockerfile: str) -> Source:
    """The commit and uncommitted changes of ``context`` and ``dockerfile``."""
    top = work_tree(context)
    specs = _pathspecs(top, [context, dockerfile])
    commit = _checked(top, "log", "-1", "--format=%H", "--", *specs).decode().strip()
    if not commit:
        raise InvalidInput(f"no git commit contains {context} yet; commit it, or set tag", option="tag")
    dirty_paths = parse_porcelain_z(_checked(top, "status", "--porcelain=v1", "-z", "--untracked-files=all", "--", *specs))
    if not dirty_paths:
        return Source(commit=commit)
    # Options that pin the patch format, so a user's diff settings cannot change the fingerprint.
    diff = _checked(
        top, "diff", "--binary", "--no-color", "--no-ext-diff", "--no-textconv", "--no-renames", "--src-prefix=a/", "--dst-prefix=b/", "HEAD", "--", *specs
    )
    untracked = []
    for path in _checked(top, "ls-files", "--others", "--exclude-standard", "-z", "--", *specs).split(b"\0"):
        if path:
            name = path.decode("utf-8", "surrogateescape")
            untracked.append((name, _read_bytes(os.path.join(top, name))))
    return Source(commit=commit, dirty_paths=tuple(sorted(dirty_paths)), fingerprint=dirty_fingerprint(diff, untracked))


def _read_bytes(path: str) -> bytes:
    # A symlink is hashed by its target path; its target may be outside the tree or missing.
    try:
        if os.path.islink(path):
            return os.readlink(path).encode("utf-8", "surrogateescape")
        with open(path, "rb") as handle:
            return handle.read()
    except OSError:
        return b""
