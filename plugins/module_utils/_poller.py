# Copyright: cutover.ecs contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one poller. Readiness checks are pure predicates passed in by callers.

It uses a monotonic clock, so wall-clock jumps do not shorten or stretch a
wait, and on a timeout it raises :class:`WaitTimeout` carrying the last state
it saw.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, Optional, TypeVar

from ansible_collections.cutover.ecs.plugins.module_utils._errors import CutoverError, WaitTimeout

T = TypeVar("T")


class Poller:
    """Polls ``fetch`` until ``ready(state)`` is true.

    ``failed(state)`` may return a reason string to stop early with a
    :class:`CutoverError`. ``on_poll(state, elapsed)`` is called after every
    fetch (progress reporting).
    """

    def __init__(
        self,
        timeout: float,
        interval: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        on_poll: Optional[Callable[[Any, float], None]] = None,
    ) -> None:
        self.timeout = timeout
        self.interval = interval
        self._clock = clock
        self._sleep = sleep
        self._on_poll = on_poll

    def wait(
        self,
        fetch: Callable[[], T],
        ready: Callable[[T], bool],
        description: str,
        failed: Optional[Callable[[T], Optional[str]]] = None,
    ) -> T:
        start = self._clock()
        while True:
            state = fetch()
            elapsed = self._clock() - start
            if self._on_poll is not None:
                self._on_poll(state, elapsed)
            if ready(state):
                return state
            if failed is not None:
                reason = failed(state)
                if reason:
                    raise CutoverError(f"{description} failed: {reason}", last_state=state)
            if elapsed >= self.timeout:
                raise WaitTimeout(
                    f"Timed out after {self.timeout:g}s waiting for {description}. Raise wait_timeout or check the resource.",
                    last_state=state,
                )
            self._sleep(min(self.interval, self.timeout - elapsed))
