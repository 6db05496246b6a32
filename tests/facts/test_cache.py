"""Facts reused within their lifetime, and never beyond it (facts/cache.py)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import pytest

from facts.cache import CachedFacts, one_registry_reading
from policy.catalogue import FactLifetimes, catalogue
from policy.facts import (
    ChildRecord,
    FactsUnavailable,
    RegistryState,
    Relation,
    StaffMember,
    start_noting_reuse,
)

CHILD = "0101150000"
T0 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
LIFETIMES = FactLifetimes(cpr_s=60, relations_s=30, staff_register_s=60)

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def _child(*holders: str) -> ChildRecord:
    return ChildRecord(cpr=CHILD, name="Alma", birth_date=date(2015, 1, 1), custody_holders=holders)


@dataclass
class Clock:
    now: datetime = T0

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@dataclass
class Source:
    """The CPR register, the relation service and the staff register, counting calls."""

    record: ChildRecord | None = field(default_factory=lambda: _child("P1", "P2"))
    evidence: list[Relation] = field(default_factory=list)
    failing: bool = False
    calls: list[str] = field(default_factory=list)
    delay: float = 0.0

    async def child(self, cpr: str) -> ChildRecord | None:
        self.calls.append("cpr")
        await asyncio.sleep(self.delay)
        if self.failing:
            raise FactsUnavailable("the CPR register did not answer (timeout)")
        return self.record

    async def relations(self, organisation_id: str, cpr: str) -> list[Relation]:
        self.calls.append("relations")
        return list(self.evidence)

    async def registry(self, cpr: str) -> RegistryState:
        self.calls.append("registry")
        return RegistryState()

    async def part_of(self, organisation_id: str) -> list[str]:
        return []

    async def staff_member(self, organisation_id: str, staff_id: str) -> StaffMember | None:
        self.calls.append("staff")
        return None


def _cached(source: Source, clock: Clock, lifetimes: FactLifetimes = LIFETIMES) -> CachedFacts:
    return CachedFacts(source, lifetimes, clock)


async def test_a_custody_change_is_seen_once_the_lifetime_is_over() -> None:
    source, clock = Source(), Clock()
    facts = _cached(source, clock)
    assert (await facts.child(CHILD)).custody_holders == ("P1", "P2")  # type: ignore[union-attr]
    source.record = _child("P1")  # custody changes in the CPR register
    clock.advance(60)
    reused = start_noting_reuse()
    assert (await facts.child(CHILD)).custody_holders == ("P1", "P2")  # type: ignore[union-attr]
    assert reused == [T0]  # the decision is told how old the fact is
    clock.advance(1)  # 61 s: older than the lifetime, never served
    reused = start_noting_reuse()
    assert (await facts.child(CHILD)).custody_holders == ("P1",)  # type: ignore[union-attr]
    assert reused == []
    assert source.calls == ["cpr", "cpr"]


async def test_an_expired_fact_is_not_a_fallback_when_the_source_fails() -> None:
    source, clock = Source(), Clock()
    facts = _cached(source, clock)
    await facts.child(CHILD)
    clock.advance(61)
    source.failing = True
    with pytest.raises(FactsUnavailable):
        await facts.child(CHILD)


async def test_failures_are_not_kept() -> None:
    source, clock = Source(failing=True), Clock()
    facts = _cached(source, clock)
    with pytest.raises(FactsUnavailable):
        await facts.child(CHILD)
    source.failing = False
    assert await facts.child(CHILD) == source.record
    assert source.calls == ["cpr", "cpr"]


async def test_concurrent_decisions_share_one_read() -> None:
    source, clock = Source(delay=0.01), Clock()
    facts = _cached(source, clock)
    answers = await asyncio.gather(*(facts.child(CHILD) for _ in range(10)))
    assert answers == [source.record] * 10
    assert source.calls == ["cpr"]


async def test_concurrent_decisions_share_a_failure_too() -> None:
    source, clock = Source(delay=0.01, failing=True), Clock()
    facts = _cached(source, clock)
    answers = await asyncio.gather(*(facts.child(CHILD) for _ in range(3)), return_exceptions=True)
    assert all(isinstance(a, FactsUnavailable) for a in answers)
    assert source.calls == ["cpr"]


async def test_lifetimes_are_per_source_and_per_key() -> None:
    source, clock = Source(), Clock()
    facts = _cached(source, clock)
    await facts.relations("org-a", CHILD)
    await facts.relations("org-b", CHILD)  # another organisation's evidence: its own read
    clock.advance(31)  # relations live 30 s, the CPR record 60 s
    await facts.relations("org-a", CHILD)
    assert source.calls == ["relations", "relations", "relations"]


async def test_the_registry_is_always_read_afresh() -> None:
    source, clock = Source(), Clock()
    facts = _cached(source, clock)
    await facts.registry(CHILD)
    await facts.registry(CHILD)
    assert source.calls == ["registry", "registry"]


async def test_a_lifetime_of_zero_reads_every_time() -> None:
    source, clock = Source(), Clock()
    facts = _cached(source, clock, FactLifetimes(cpr_s=0, relations_s=0, staff_register_s=0))
    reused = start_noting_reuse()
    await facts.child(CHILD)
    await facts.child(CHILD)
    assert source.calls == ["cpr", "cpr"]
    assert reused == []


async def test_a_kept_relation_list_cannot_be_changed_by_a_caller() -> None:
    source, clock = Source(evidence=[Relation(type="case", organisation_id="org-a")]), Clock()
    facts = _cached(source, clock)
    (await facts.relations("org-a", CHILD)).clear()
    assert len(await facts.relations("org-a", CHILD)) == 1


def test_the_policy_data_gives_every_source_a_short_lifetime() -> None:
    lifetimes = catalogue().fact_lifetimes
    assert 0 < lifetimes.cpr_s <= 300  # the custody holders come with the CPR record
    assert 0 < lifetimes.relations_s <= 300
    assert 0 < lifetimes.staff_register_s <= 300
    assert lifetimes.review.startswith("unconfirmed")


async def test_within_one_registry_reading_each_child_is_read_once() -> None:
    source, clock = Source(), Clock()
    facts = _cached(source, clock)
    with one_registry_reading():
        await asyncio.gather(*(facts.registry(CHILD) for _ in range(5)))
        await facts.registry("0202150000")
    await facts.registry(CHILD)  # the block is over: read afresh
    assert source.calls == ["registry", "registry", "registry"]
