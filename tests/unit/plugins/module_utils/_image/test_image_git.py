"""The default tag from git: porcelain parsing (pure) and read_source on a throwaway repository."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from ansible_collections.cutover.ecs.plugins.module_utils._ecr.plan import tag_for_source
from ansible_collections.cutover.ecs.plugins.module_utils._errors import InvalidInput
from ansible_collections.cutover.ecs.plugins.module_utils._image import git


@pytest.mark.parametrize(
    ("output", "paths"),
    [
        (b"", []),
        (b" M service/app.py\0", ["service/app.py"]),
        (b"?? service/new file.txt\0 D service/old.py\0", ["service/new file.txt", "service/old.py"]),
        (b"R  service/new.py\0service/old.py\0M  service/x\0", ["service/new.py", "service/x"]),  # a rename's old path is skipped
    ],
)
def test_parse_porcelain_z(output, paths):
    assert git.parse_porcelain_z(output) == paths


def _git(repo: Path, *args: str) -> str:
    env_args = ["-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "commit.gpgsign=false"]
    return subprocess.run(["git", *env_args, "-C", str(repo), *args], check=True, capture_output=True, text=True).stdout.strip()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    _git(tmp_path, "init", "-q")
    (tmp_path / ".gitignore").write_text("__pycache__/\n")
    service = tmp_path / "service"
    service.mkdir()
    (service / "app.py").write_text("print('v1')\n")
    (service / "Dockerfile").write_text("FROM scratch\n")
    (tmp_path / "README").write_text("docs\n")
    _git(tmp_path, "add", "-A")
    _git(tmp_path, "commit", "-q", "-m", "one")
    return tmp_path


def _source(repo: Path):
    return git.read_source(str(repo / "service"), str(repo / "service" / "Dockerfile"))


def test_clean_tree_is_tagged_with_the_context_commit(repo):
    source = _source(repo)
    assert source.commit == _git(repo, "rev-parse", "HEAD")
    assert not source.dirty
    assert tag_for_source(source, "refuse") == source.commit[:12]


def test_commit_elsewhere_keeps_the_tag(repo):
    before = _source(repo).commit
    (repo / "README").write_text("more docs\n")
    _git(repo, "commit", "-q", "-am", "docs only")
    assert _source(repo).commit == before
    (repo / "service" / "app.py").write_text("print('v2')\n")
    _git(repo, "commit", "-q", "-am", "service change")
    assert _source(repo).commit == _git(repo, "rev-parse", "HEAD") != before


def test_dirty_tree_fingerprint_follows_the_changes(repo):
    (repo / "service" / "app.py").write_text("print('edited')\n")
    first = _source(repo)
    assert first.dirty_paths == ("service/app.py",)
    assert _source(repo) == first  # same edits, same fingerprint: re-runs stay idempotent
    (repo / "service" / "app.py").write_text("print('edited again')\n")
    assert _source(repo).fingerprint != first.fingerprint
    (repo / "service" / "new.py").write_text("x = 1\n")
    untracked = _source(repo)
    assert untracked.dirty_paths == ("service/app.py", "service/new.py")
    (repo / "service" / "new.py").write_text("x = 2\n")
    assert _source(repo).fingerprint != untracked.fingerprint  # untracked contents count
    with pytest.raises(InvalidInput, match="uncommitted changes"):
        tag_for_source(_source(repo), "refuse")


def test_ignored_and_outside_files_do_not_make_it_dirty(repo):
    (repo / "service" / "__pycache__").mkdir()
    (repo / "service" / "__pycache__" / "app.cpython-311.pyc").write_bytes(b"\0")
    (repo / "README").write_text("uncommitted docs\n")
    assert not _source(repo).dirty


def test_not_a_git_tree(tmp_path):
    (tmp_path / "Dockerfile").write_text("FROM scratch\n")
    with pytest.raises(InvalidInput, match="is not in a git work tree.*set tag"):
        git.read_source(str(tmp_path), str(tmp_path / "Dockerfile"))


def test_context_never_committed(repo):
    other = repo / "other"
    other.mkdir()
    (other / "Dockerfile").write_text("FROM scratch\n")
    with pytest.raises(InvalidInput, match="no git commit contains"):
        git.read_source(str(other), str(other / "Dockerfile"))
