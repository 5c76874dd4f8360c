"""The action plugin's tail of the module's progress file: whole lines, once each, in order."""

from __future__ import annotations

from pathlib import Path

from ansible_collections.cutover.ecs.plugins.action.deploy import ProgressTail
from ansible_collections.cutover.ecs.plugins.module_utils._deploy.target import append_line


def _tail(path: Path) -> tuple[ProgressTail, list[str]]:
    shown: list[str] = []
    return ProgressTail(str(path), prefix="[web] ", show=shown.append), shown


def test_prints_each_whole_line_once(tmp_path: Path) -> None:
    path = tmp_path / "progress.log"
    tail, shown = _tail(path)
    append_line(str(path), "1.0s Install: traffic blue 100% / green 0%")
    tail.flush()
    append_line(str(path), "6.0s AllowTraffic: traffic blue 0% / green 100%")
    tail.flush()
    tail.flush()
    assert shown == ["[web] 1.0s Install: traffic blue 100% / green 0%", "[web] 6.0s AllowTraffic: traffic blue 0% / green 100%"]


def test_a_half_written_line_waits_for_its_end(tmp_path: Path) -> None:
    path = tmp_path / "progress.log"
    tail, shown = _tail(path)
    path.write_text("2.0s Inst")
    tail.flush()
    assert shown == []
    with path.open("a") as handle:
        handle.write("all: traffic blue 100% / green 0%\n")
    tail.flush()
    assert shown == ["[web] 2.0s Install: traffic blue 100% / green 0%"]


def test_missing_file_prints_nothing(tmp_path: Path) -> None:
    tail, shown = _tail(tmp_path / "never-written.log")
    tail.flush()
    assert shown == []


def test_thread_flushes_what_is_left_on_stop(tmp_path: Path) -> None:
    path = tmp_path / "progress.log"
    tail, shown = _tail(path)
    tail.start()
    append_line(str(path), "9.0s Succeeded")
    tail.stop()
    assert shown == ["[web] 9.0s Succeeded"]


def test_unwritable_progress_file_never_fails_the_deployment(tmp_path: Path) -> None:
    append_line(str(tmp_path / "no-such-dir" / "progress.log"), "line")
