"""Facts read from a source, reused for a short while (the lifetimes are policy
data: rego/hoi/config/data.json `fact_lifetimes`).

A decision reads the child's CPR record, the organisation's relation evidence and
the staff register; the sources answer in milliseconds but are themselves updated
hours or days after the events they record. Reusing an answer for a minute spares
every source a call per decision, and the decision says so: each reused fact is
noted (policy.facts.note_reuse) and the decision states when the oldest fact it
used was read. A fact is never reused once it is older than its lifetime (then
the source is asked again, and if it fails the decision fails closed: there is no
falling back to an old answer). Failures are never cached. The registry (consents,
objections, blocks) is ours and is read afresh for every decision, except within
`one_registry_reading()`: a batch of decisions (an AuthZEN evaluations call) is
decided on one reading of each child's registry, so every evaluation in the call
sees the same consents, objections and blocks.

Concurrent decisions that need the same fact while it is being read share the one
read."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from typing import Generic, TypeVar

from cachetools import TTLCache

from metrics.instruments import FACTS_CACHE
from policy.catalogue import FactLifetimes
from policy.facts import (
    ChildRecord,
    FactsProvider,
    RegistryState,
    Relation,
    StaffMember,
    note_reuse,
)

T = TypeVar("T")

MAX_ENTRIES = 50_000
"""Per source; the least recently used fall out first."""


@dataclass
class _Reuse(Generic[T]):
    """One source's answers by key, each with when it was read."""

    fact: str
    """The fact's name in the metrics (cpr, relations, staff_register)."""
    lifetime_s: int
    clock: Callable[[], datetime]
    _answers: TTLCache[Hashable, tuple[T, datetime]] = field(init=False)
    _reading: dict[Hashable, asyncio.Future[tuple[T, datetime]]] = field(
        init=False, default_factory=dict
    )

    def __post_init__(self) -> None:
        self._answers = TTLCache(
            maxsize=MAX_ENTRIES,
            ttl=self.lifetime_s + 1,  # the age check below is the rule; this frees memory
            timer=lambda: self.clock().timestamp(),
        )

    async def get(self, key: Hashable, read: Callable[[], Awaitable[T]]) -> T:
        if self.lifetime_s <= 0:
            return await read()
        now = self.clock()
        kept = self._answers.get(key)
        # The cache expires entries itself; the explicit age check makes the
        # lifetime a guarantee rather than a property of the cache library.
        if kept is not None and (now - kept[1]).total_seconds() <= self.lifetime_s:
            FACTS_CACHE.labels(self.fact, "hit").inc()
            note_reuse(kept[1])
            return kept[0]
        pending = self._reading.get(key)
        if pending is not None:  # another decision is reading it now: share that read
            FACTS_CACHE.labels(self.fact, "shared").inc()
            return (await asyncio.shield(pending))[0]
        FACTS_CACHE.labels(self.fact, "miss").inc()
        future: asyncio.Future[tuple[T, datetime]] = asyncio.get_running_loop().create_future()
        self._reading[key] = future
        try:
            value = await read()
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: nobody else waiting is not an error
            raise
        else:
            future.set_result((value, now))
            self._answers[key] = (value, now)
            return value
        finally:
            del self._reading[key]


_readings: ContextVar[dict[str, asyncio.Task[RegistryState]] | None] = ContextVar(
    "hoi_registry_readings", default=None
)


@contextmanager
def one_registry_reading() -> Iterator[None]:
    """Within this block (and the tasks it starts), each child's registry is read
    once and that reading is used by every decision."""
    token = _readings.set({})
    try:
        yield
    finally:
        _readings.reset(token)


@dataclass
class CachedFacts:
    """`inner`'s facts from the CPR register, the relation evidence and the staff
    register, reused within their lifetimes; the registry and the organisation
    register are passed through."""

    inner: FactsProvider
    lifetimes: FactLifetimes
    clock: Callable[[], datetime]
    _children: _Reuse[ChildRecord | None] = field(init=False)
    _relations: _Reuse[list[Relation]] = field(init=False)
    _staff: _Reuse[StaffMember | None] = field(init=False)

    def __post_init__(self) -> None:
        self._children = _Reuse("cpr", self.lifetimes.cpr_s, self.clock)
        self._relations = _Reuse("relations", self.lifetimes.relations_s, self.clock)
        self._staff = _Reuse("staff_register", self.lifetimes.staff_register_s, self.clock)

    async def child(self, cpr: str) -> ChildRecord | None:
        return await self._children.get(cpr, lambda: self.inner.child(cpr))

    async def relations(self, organisation_id: str, cpr: str) -> list[Relation]:
        kept = await self._relations.get(
            (organisation_id, cpr), lambda: self.inner.relations(organisation_id, cpr)
        )
        return list(kept)  # the kept list is never handed out to be changed

    async def registry(self, cpr: str) -> RegistryState:
        readings = _readings.get()
        if readings is None:
            return await self.inner.registry(cpr)
        reading = readings.get(cpr)
        if reading is None:
            reading = readings[cpr] = asyncio.ensure_future(self.inner.registry(cpr))
        return await asyncio.shield(reading)

    async def part_of(self, organisation_id: str) -> list[str]:
        return await self.inner.part_of(organisation_id)

    async def staff_member(self, organisation_id: str, staff_id: str) -> StaffMember | None:
        return await self._staff.get(
            (organisation_id, staff_id), lambda: self.inner.staff_member(organisation_id, staff_id)
        )
