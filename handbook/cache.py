"""The handbook the service serves: built once (per day), off the event loop.

Building the handbook decides every scenario and the whole matrix: seconds of
CPU. It runs in a worker thread with its own event loop and, when the service
gives one, its own policy engine (`build_engine`), so the service's loop and its
decision engine stay free for decisions meanwhile. `start()` begins the build in
the background at start-up; a request that comes before it is done waits for it
without blocking the loop (other requests are answered meanwhile).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import Callable

from engine.base import PolicyEngine
from handbook.build import Handbook, build_handbook
from policy.legal import LegalCatalogue

SERVED_AT = "/policy/"

log = logging.getLogger("hoi.handbook")


class HandbookCache:
    """Builds the handbook once per day (the matrix is evaluated as of a date).

    `build_engine` makes an engine for the build's own thread (closed after it);
    without one, the build asks the service's engine from the service's loop
    (still in the background, never inside a request's critical path)."""

    def __init__(
        self,
        engine: PolicyEngine,
        legal: LegalCatalogue,
        today: Callable[[], dt.date],
        *,
        build_engine: Callable[[], PolicyEngine] | None = None,
    ) -> None:
        self._engine = engine
        self._legal = legal
        self._today = today
        self._build_engine = build_engine
        self._built: Handbook | None = None
        self._building: asyncio.Task[Handbook] | None = None
        self._building_day: dt.date | None = None

    def start(self) -> None:
        """Begin building today's handbook in the background (call from the loop)."""
        self._task_for(self._today())

    async def get(self) -> Handbook:
        day = self._today()
        if self._built is not None and self._built.day == day:
            return self._built
        return await asyncio.shield(self._task_for(day))

    async def aclose(self) -> None:
        """Stop waiting for a build in flight (its thread ends on its own)."""
        task = self._building
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):  # shutting down
                await task

    def _task_for(self, day: dt.date) -> asyncio.Task[Handbook]:
        task = self._building
        if task is None or self._building_day != day or (task.done() and _failed(task)):
            task = asyncio.get_running_loop().create_task(
                self._build(day), name="hoi-handbook-build"
            )
            task.add_done_callback(_log_failure)
            self._building, self._building_day = task, day
        return task

    async def _build(self, day: dt.date) -> Handbook:
        if self._build_engine is None:
            built = await build_handbook(self._engine, self._legal, day=day, base_href=SERVED_AT)
        else:
            built = await asyncio.to_thread(asyncio.run, self._build_apart(day))
        if self._built is None or self._built.day <= day:
            self._built = built
        return built

    async def _build_apart(self, day: dt.date) -> Handbook:
        """In the worker thread's own loop, with an engine of its own."""
        assert self._build_engine is not None
        engine = self._build_engine()
        try:
            return await build_handbook(engine, self._legal, day=day, base_href=SERVED_AT)
        finally:
            await engine.aclose()


def _failed(task: asyncio.Task[Handbook]) -> bool:
    return task.cancelled() or task.exception() is not None


def _log_failure(task: asyncio.Task[Handbook]) -> None:
    """A failed build is logged (and retried by the next request that wants it)."""
    if not task.cancelled() and task.exception() is not None:
        log.error(
            "the handbook could not be built", extra={"error_type": type(task.exception()).__name__}
        )
