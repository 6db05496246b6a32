"""Registry reads made together: the decisions that ask for a child's registry in
the same turn of the event loop share one trip to a worker thread, and one query
per table for all their children.

Every decision reads the child's consents, objections and blocks afresh (a
revocation counts from the next decision). Made one by one, each read is a hop to
a worker thread that must win the interpreter lock back from the event loop, and
three queries; under load, and in an AuthZEN batch of many children, those hops
were most of the time a decision waited. Reads asked for together are made
together instead: the read starts after every one of them was asked, so each
decision still sees everything committed before it asked."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence

from policy.facts import RegistryState

ReadMany = Callable[[Sequence[str]], dict[str, RegistryState]]
"""Reads the registries of several children (synchronous; run on a worker thread)."""


class RegistryReads:
    """`read(cpr)` for many concurrent decisions, made with one `read_many` a turn.

    The reads of one event loop are gathered; a read from another loop while one
    loop's are gathered (a second loop on another thread) is made on its own."""

    def __init__(self, read_many: ReadMany) -> None:
        self._read_many = read_many
        self._loop: asyncio.AbstractEventLoop | None = None
        self._asked: dict[str, asyncio.Future[RegistryState]] = {}

    async def read(self, cpr: str) -> RegistryState:
        loop = asyncio.get_running_loop()
        if self._loop is None:
            self._loop = loop
            loop.call_soon(self._start, loop)  # after this turn's other askers
        elif self._loop is not loop:
            alone = await loop.run_in_executor(None, self._read_many, [cpr])
            return alone[cpr]
        future = self._asked.get(cpr)
        if future is None:
            future = self._asked[cpr] = loop.create_future()
        return await asyncio.shield(future)

    def _start(self, loop: asyncio.AbstractEventLoop) -> None:
        asked, self._asked, self._loop = self._asked, {}, None
        reading = loop.run_in_executor(None, self._read_many, list(asked))

        def hand_out(done: asyncio.Future[dict[str, RegistryState]]) -> None:
            failure = done.exception()
            for cpr, future in asked.items():
                if failure is not None:
                    future.set_exception(failure)
                    future.exception()  # retrieved: an asker that left is no error
                else:
                    future.set_result(done.result()[cpr])

        reading.add_done_callback(hand_out)
