"""Registry reads asked for in the same turn are made together, and each decision
still sees everything committed before it asked."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from facts.registry_reads import RegistryReads
from policy.facts import ConsentFact, RegistryState


def consent(consent_id: str) -> ConsentFact:
    return ConsentFact.model_validate(
        {
            "id": consent_id,
            "regime": "sul-43-1",
            "giver": "0101804321",
            "capacity": "custody_holder",
            "categories": ["psychiatry_appointments"],
            "recipient": {"organisation_type": "municipality", "organisation_id": "851-family"},
            "purposes": ["social_case_work"],
            "form": "written",
            "given_on": "2026-11-01",
            "valid_until": "2027-11-01",
        }
    )


class Store:
    """A registry in memory that counts how it was read."""

    def __init__(self) -> None:
        self.consents: dict[str, list[str]] = {}
        self.reads: list[list[str]] = []
        self.failing = False

    def read_many(self, cprs: Sequence[str]) -> dict[str, RegistryState]:
        self.reads.append(list(cprs))
        if self.failing:
            raise OSError("database gone")
        return {
            cpr: RegistryState(consents=[consent(c) for c in self.consents.get(cpr, [])])
            for cpr in cprs
        }


def ids(state: RegistryState) -> list[str]:
    return [c.id for c in state.consents]


def test_reads_asked_together_are_one_read() -> None:
    store = Store()
    store.consents = {"a": ["c1"], "b": ["c2", "c3"]}
    reads = RegistryReads(store.read_many)

    async def asked() -> list[RegistryState]:
        return list(await asyncio.gather(reads.read("a"), reads.read("b"), reads.read("a")))

    states = asyncio.run(asked())
    assert [ids(s) for s in states] == [["c1"], ["c2", "c3"], ["c1"]]
    assert store.reads == [["a", "b"]]


def test_a_read_asked_after_a_write_sees_it() -> None:
    """The registry is read afresh for every decision: a later turn reads again."""
    store = Store()
    reads = RegistryReads(store.read_many)

    async def before_and_after() -> tuple[RegistryState, RegistryState]:
        first = await reads.read("a")
        store.consents["a"] = ["revoking-write"]
        return first, await reads.read("a")

    first, second = asyncio.run(before_and_after())
    assert ids(first) == []
    assert ids(second) == ["revoking-write"]
    assert store.reads == [["a"], ["a"]]


def test_a_failed_read_fails_every_decision_that_asked() -> None:
    store = Store()
    store.failing = True
    reads = RegistryReads(store.read_many)

    async def asked() -> list[RegistryState | BaseException]:
        return list(await asyncio.gather(reads.read("a"), reads.read("b"), return_exceptions=True))

    outcomes = asyncio.run(asked())
    assert all(isinstance(o, OSError) for o in outcomes)
    with pytest.raises(OSError):
        asyncio.run(RegistryReads(store.read_many).read("c"))


def test_a_read_from_another_event_loop_is_made_alone() -> None:
    """Two loops on two threads never share a gathered read (a future belongs to
    its own loop)."""
    import threading

    store = Store()
    store.consents = {"a": ["c1"], "b": ["c2"]}
    reads = RegistryReads(store.read_many)
    seen: list[list[str]] = []

    async def first_loop() -> None:
        pending = asyncio.ensure_future(reads.read("a"))
        await asyncio.sleep(0)  # "a" is asked; its read not yet started
        other = threading.Thread(target=lambda: seen.append(ids(asyncio.run(reads.read("b")))))
        other.start()
        other.join()
        assert ids(await pending) == ["c1"]

    asyncio.run(first_loop())
    assert seen == [["c2"]]
    assert sorted(store.reads) == [["a"], ["b"]]
