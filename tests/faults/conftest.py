"""The fault matrix of issue 7 (``make faults``): one lab for the session, services provisioned
by the infrastructure role, load through the production listener, and bench-results/faults.json
written at the end from what every test recorded.

Each test is marked ``@pytest.mark.fault(entry, title)`` and fills the ``record`` fixture:
load report, what the tool did per playbook run, deployment ids seen. The outcome (passed,
failed, skipped and why) comes from pytest itself.
"""

from __future__ import annotations

import datetime
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

FAULTS_DIR = Path(__file__).resolve().parent
REPO = FAULTS_DIR.parents[1]
for path in (str(REPO), str(FAULTS_DIR)):
    if path not in sys.path:
        sys.path.insert(0, path)  # `lab` is a top-level package of the repo; faultkit lives here

from faultkit import Playbook  # noqa: E402
from world import Images, ServicePool  # noqa: E402

from lab.testing import LabHandle, running_lab  # noqa: E402
from scripts.iam_policy import assert_log_allowed  # noqa: E402

RESULTS = REPO / "bench-results" / "faults.json"
# Lab minutes pass this much faster: a 5-minute bake is 15 s, a 3-minute canary step 9 s.
DEFAULT_TIME_SCALE = "20"
_RECORDS: dict[str, dict[str, Any]] = {}


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "fault(entry, title): an entry of issue 7's fault matrix")


def time_scale() -> str:
    return os.environ.get("LAB_TIME_SCALE") or DEFAULT_TIME_SCALE


@pytest.fixture(scope="session")
def faults_lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabHandle]:
    handle = LabHandle(tmp_path_factory.mktemp("faults-lab"))
    handle.env["LAB_TIME_SCALE"] = time_scale()
    yield from running_lab(handle)
    # every call Ansible made through the matrix (roles, rollback.yml, re-runs) is in the committed policy
    assert_log_allowed(handle.dir / "calls.jsonl", require_calls=False)


@pytest.fixture(scope="session")
def images() -> Images:
    return Images.ensure()


@pytest.fixture(scope="session")
def playbook(faults_lab: LabHandle) -> Playbook:
    return Playbook(faults_lab.env, faults_lab.url)


@pytest.fixture(scope="session")
def pool(faults_lab: LabHandle, playbook: Playbook, images: Images) -> Iterator[ServicePool]:
    services = ServicePool(faults_lab, playbook, images)
    yield services
    services.close()


@pytest.fixture
def record(request: pytest.FixtureRequest, faults_lab: LabHandle, playbook: Playbook) -> Iterator[dict[str, Any]]:
    """What a test saw; faults are cleared after it, whatever happened."""
    marker = request.node.get_closest_marker("fault")
    entry = dict(marker.kwargs) if marker else {}
    callspec = getattr(request.node, "callspec", None)
    data: dict[str, Any] = {"entry": entry.get("entry"), "title": entry.get("title"), "test": request.node.nodeid}
    if callspec is not None:
        data["params"] = {key: str(value) for key, value in callspec.params.items()}
    _RECORDS.setdefault(request.node.nodeid, {}).update(data)
    first_run = len(playbook.runs)
    try:
        yield _RECORDS[request.node.nodeid]
    finally:
        _RECORDS[request.node.nodeid]["playbook_runs"] = playbook.runs[first_run:]
        faults_lab.clear_faults()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    if item.get_closest_marker("fault") is None:
        return
    entry = _RECORDS.setdefault(item.nodeid, {"test": item.nodeid})
    marker = item.get_closest_marker("fault")
    entry.setdefault("entry", marker.kwargs.get("entry"))
    entry.setdefault("title", marker.kwargs.get("title"))
    entry["wall_s"] = round(entry.get("wall_s", 0.0) + report.duration, 1)
    if report.when == "call" or report.outcome != "passed":
        entry["outcome"] = report.outcome
        entry["passed"] = report.outcome == "passed"
        if report.skipped:
            entry["skip_reason"] = _skip_reason(report)
        elif report.failed:
            entry["failure"] = str(report.longrepr)[-1500:]


def _skip_reason(report: pytest.TestReport) -> str:
    longrepr = report.longrepr
    return longrepr[2] if isinstance(longrepr, tuple) and len(longrepr) == 3 else str(longrepr)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    # FAULTS_RESULTS=- (make test's smoke run): the matrix's committed record is left as it is
    if not _RECORDS or session.config.option.collectonly or os.environ.get("FAULTS_RESULTS") == "-":
        return
    date = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
    for entry in _RECORDS.values():
        entry["date"] = date
    entries = sorted(merged_entries(_RECORDS), key=lambda e: (e.get("entry") or 0, e.get("test", "")))
    document = {
        "date": date,
        "machine": {"cores": os.cpu_count(), "platform": sys.platform},
        "lab_time_scale": float(time_scale()),
        "load_rate_per_s": 100,
        "git_commit": _git_commit(),
        "summary": {
            "passed": sum(1 for e in entries if e.get("outcome") == "passed"),
            "failed": sum(1 for e in entries if e.get("outcome") == "failed"),
            "skipped": sum(1 for e in entries if e.get("outcome") == "skipped"),
            "wall_s": round(sum(e.get("wall_s", 0.0) for e in entries), 1),
        },
        "entries": entries,
    }
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(document, indent=2, default=str) + "\n")


def merged_entries(records: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """This session's entries, plus those an earlier run recorded for tests not run now
    (``make faults -k ...`` re-runs a few without losing the rest; each entry has its date)."""
    earlier: list[dict[str, Any]] = []
    if RESULTS.exists():
        try:
            earlier = json.loads(RESULTS.read_text()).get("entries") or []
        except ValueError:
            earlier = []
    kept = [entry for entry in earlier if entry.get("test") not in records]
    return kept + list(records.values())


def _git_commit() -> str | None:
    found = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True)
    return found.stdout.strip() or None if found.returncode == 0 else None


def now() -> float:
    return time.monotonic()
