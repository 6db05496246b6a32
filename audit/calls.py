"""Recording the source calls a request makes (source, status, duration).

A request starts a recording; every `timed(...)` block inside it, in this task
or in tasks it spawns, adds one SourceCall. `RecordingFacts` wraps the policy
information point so the facts the decision needed are recorded; the broker can
time its data-source calls with `timed` the same way."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from audit.models import CallStatus, SourceCall
from metrics.instruments import source_call
from policy.facts import ChildRecord, FactsProvider, RegistryState, Relation, StaffMember

_calls: ContextVar[list[SourceCall] | None] = ContextVar("hoi_source_calls", default=None)


def start_recording() -> list[SourceCall]:
    """Begin recording for the current request; the returned list fills up."""
    calls: list[SourceCall] = []
    _calls.set(calls)
    return calls


@asynccontextmanager
async def timed(source: str) -> AsyncIterator[None]:
    start = time.perf_counter_ns()
    status: CallStatus = "error"
    try:
        yield
        status = "ok"
    except TimeoutError:
        status = "timeout"
        raise
    finally:
        duration = (time.perf_counter_ns() - start) // 1000
        source_call(source, status, duration / 1e6)
        calls = _calls.get()
        if calls is not None:
            calls.append(SourceCall(source=source, status=status, duration_us=duration))


@dataclass
class RecordingFacts:
    """Facts, with each call recorded for the audit record."""

    inner: FactsProvider

    async def child(self, cpr: str) -> ChildRecord | None:
        async with timed("cpr"):
            return await self.inner.child(cpr)

    async def relations(self, organisation_id: str, cpr: str) -> list[Relation]:
        async with timed("relations"):
            return await self.inner.relations(organisation_id, cpr)

    async def registry(self, cpr: str) -> RegistryState:
        async with timed("consent_registry"):
            return await self.inner.registry(cpr)

    async def part_of(self, organisation_id: str) -> list[str]:
        async with timed("organisations"):
            return await self.inner.part_of(organisation_id)

    async def staff_member(self, organisation_id: str, staff_id: str) -> StaffMember | None:
        async with timed("staff_register"):
            return await self.inner.staff_member(organisation_id, staff_id)
