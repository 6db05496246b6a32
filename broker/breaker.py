"""A circuit breaker per source: stop calling a source that keeps failing.

Small on purpose: closed (calls go through, failures in a row are counted),
open (no calls until `reset_after_s` has passed), half-open (exactly one trial
call; its success closes the breaker, its failure opens it again). The clock
is injected so tests decide when time passes. We wrote it rather than take
purgatory or pybreaker: purgatory routes every call through a message bus and
reads the wall clock, pybreaker is synchronous; both would make the state
machine harder to test than it is to write.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

State = Literal["closed", "open", "half_open"]


@dataclass
class CircuitBreaker:
    failure_threshold: int = 5
    reset_after_s: float = 30.0
    clock: Callable[[], float] = time.monotonic
    _failures: int = field(default=0, init=False)
    _opened_at: float | None = field(default=None, init=False)
    _trial_running: bool = field(default=False, init=False)

    @property
    def state(self) -> State:
        if self._opened_at is None:
            return "closed"
        if self.clock() - self._opened_at >= self.reset_after_s:
            return "half_open"
        return "open"

    def allow(self) -> bool:
        """May a call go out now? In half-open state only one trial at a time."""
        state = self.state
        if state == "closed":
            return True
        if state == "open" or self._trial_running:
            return False
        self._trial_running = True
        return True

    def success(self) -> None:
        self._failures = 0
        self._opened_at = None
        self._trial_running = False

    def failure(self) -> None:
        self._trial_running = False
        if self._opened_at is not None:  # a failed trial: open again, for a full period
            self._opened_at = self.clock()
            return
        self._failures += 1
        if self._failures >= self.failure_threshold:
            self._opened_at = self.clock()

    def abandon(self) -> None:
        """A call was cancelled before it could tell: free the trial slot, count nothing."""
        self._trial_running = False
