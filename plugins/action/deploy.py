# Copyright: cutover.ecs contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of cutover.ecs.deploy: live progress in the default ansible-playbook output.

A module cannot print while it runs; ansible shows its result only at the end. So when the
module runs on the controller, this plugin gives it a temporary ``progress_file``, runs it,
and meanwhile prints every line the module appends (phase, traffic split, healthy counts)
to stderr.
Elsewhere (a remote host, async tasks) the module runs as it is; the lines are still in
its ``progress`` result.
"""

from __future__ import annotations

import os
import tempfile
import threading
from typing import Any, Optional

from ansible.plugins.action import ActionBase
from ansible.utils.display import Display

display = Display()

MODULE = "cutover.ecs.deploy"
# How often the controller looks for new lines; the module polls far less often.
TAIL_INTERVAL = 0.25


def _show(line: str) -> None:
    # stderr: the terminal shows it in line with the task output, and stdout stays
    # clean for machine-readable callbacks (json, yaml files).
    display.display(line, stderr=True)


class ProgressTail:
    """Prints the lines appended to a file, from a thread, until stopped."""

    def __init__(self, path: str, prefix: str, show: Any = None) -> None:
        self.path = path
        self.prefix = prefix
        self.show = show or _show
        self._offset = 0
        self._partial = ""
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="cutover-progress", daemon=True)

    def start(self) -> ProgressTail:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.flush()

    def _run(self) -> None:
        while not self._stop.wait(TAIL_INTERVAL):
            self.flush()

    def flush(self) -> None:
        for line in self._new_lines():
            self.show(f"{self.prefix}{line}")

    def _new_lines(self) -> list[str]:
        try:
            with open(self.path, encoding="utf-8") as handle:
                handle.seek(self._offset)
                chunk = handle.read()
                self._offset = handle.tell()
        except OSError:
            return []
        # Only whole lines: the module may be half-way through writing one.
        text = self._partial + chunk
        lines = text.split("\n")
        self._partial = lines.pop()
        return [line for line in lines if line]


class ActionModule(ActionBase):
    _supports_check_mode = True
    _supports_async = True

    def run(self, tmp: Optional[str] = None, task_vars: Optional[dict] = None) -> dict:
        task_vars = task_vars or {}
        result = super().run(tmp, task_vars)
        del tmp
        args = dict(self._task.args)
        if not self._live_progress_possible(args):
            result.update(self._execute_module(module_name=MODULE, module_args=args, task_vars=task_vars, wrap_async=self._task.async_val))
            return result

        handle, path = tempfile.mkstemp(prefix="cutover-progress-", suffix=".log")
        os.close(handle)
        args["progress_file"] = path
        host = task_vars.get("inventory_hostname", "localhost")
        tail = ProgressTail(path, prefix=f"  [{host}] {args.get('service', '')} ").start()
        try:
            result.update(self._execute_module(module_name=MODULE, module_args=args, task_vars=task_vars))
        finally:
            tail.stop()
            os.unlink(path)
        result.get("invocation", {}).get("module_args", {}).pop("progress_file", None)
        return result

    def _live_progress_possible(self, args: dict) -> bool:
        """The module writes the file where it runs; only on the controller can this plugin read it."""
        if self._task.async_val or self._play_context.check_mode or args.get("progress_file"):
            return False
        if args.get("wait") is False:
            return False
        return self._connection.transport in ("local", "ansible.builtin.local")
