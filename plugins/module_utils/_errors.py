# Copyright: cutover.ecs contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one error type of the collection.

Every layer raises :class:`CutoverError`; only :func:`run_module` in ``_module``
turns it into ``fail_json``. The message says what the user should change.
"""

from __future__ import annotations

from typing import Any


class CutoverError(Exception):
    """A failure the module reports to the user.

    ``details`` become extra keys of the failed result (for example the last
    state seen, or the name of the offending option).
    """

    def __init__(self, message: str, *, code: str | None = None, exception: BaseException | None = None, **details: Any):
        super().__init__(message)
        self.message = message
        self.code = code
        self.exception = exception
        self.details = details

    def __str__(self) -> str:
        return self.message


class InvalidInput(CutoverError):
    """Bad input, always raised before the first mutating call."""


class WaitTimeout(CutoverError):
    """A wait ran out of time. ``last_state`` is what was seen last."""

    def __init__(self, message: str, *, last_state: Any = None, **details: Any):
        super().__init__(message, last_state=last_state, **details)
        self.last_state = last_state
