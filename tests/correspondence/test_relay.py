"""The relay delivers the outbox to the sandbox message network (in process, over
httpx's ASGI transport): exactly once, acknowledged, and the content gone after."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, select

from correspondence.outbox import OUTBOX, message_status
from correspondence.relay import Relay, RelayConfig
from sandbox.network import MessageNetwork
from sandbox.pilot import organisations
from tests.correspondence.outbox_world import (
    MUNICIPAL_ID,
    NOW,
    SENDER_ID,
    child_with_open_case,
    child_without_case,
    outbox_db,
    party,
    queue,
    world,
)


class Clock:
    """A clock the test moves."""

    def __init__(self, at: datetime = NOW) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at

    def advance(self, seconds: float) -> None:
        self.at += timedelta(seconds=seconds)


@dataclass
class Rig:
    db: Engine
    network: MessageNetwork
    clock: Clock

    def relay(self, **config: object) -> Relay:
        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.network.source.app), base_url="http://network"
        )
        settings: dict[str, object] = {"network_url": "http://network", "max_attempts": 3}
        settings.update(config)
        return Relay(
            self.db,
            RelayConfig(**settings),  # type: ignore[arg-type]
            client=client,
            clock=self.clock,
            rng=random.Random(7),
        )

    def bundle_of(self, message_id: str) -> str | None:
        with self.db.connect() as conn:
            found: str | None = conn.execute(
                select(OUTBOX.c.bundle).where(OUTBOX.c.message_id == message_id)
            ).scalar_one()
        return found


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[Rig]:
    db = outbox_db(tmp_path)
    network = MessageNetwork(world(), organisations(), tmp_path / "network.db", clock=lambda: NOW)
    yield Rig(db, network, Clock())
    db.dispose()


def once(relay: Relay) -> int:
    async def go() -> int:
        try:
            return await relay.run_once()
        finally:
            await relay.aclose()

    return asyncio.run(go())


def test_a_message_is_delivered_acknowledged_filed_and_its_content_cleared(rig: Rig) -> None:
    child, case_id = child_with_open_case()
    message_id = queue(rig.db, child=child)
    assert once(rig.relay()) == 1
    status = message_status(rig.db, message_id)
    assert status is not None and status.status == "delivered"
    assert status.attempts == 1 and status.delivered_at == NOW
    ack = status.acknowledgement
    assert ack is not None
    assert (ack.acknowledges, ack.code, ack.filing, ack.filed_on_case) == (
        message_id,
        "ok",
        "filed-on-case",
        case_id,
    )
    assert rig.bundle_of(message_id) is None  # no content kept after delivery
    [entry] = rig.network.messages(party(MUNICIPAL_ID).gln)
    assert (entry["id"], entry["filed_on_case"], entry["deliveries"]) == (message_id, case_id, 1)


def test_a_child_without_an_open_case_at_the_unit_is_not_filed_and_the_ack_says_so(
    rig: Rig,
) -> None:
    message_id = queue(rig.db, child=child_without_case())
    once(rig.relay())
    status = message_status(rig.db, message_id)
    assert status is not None and status.acknowledgement is not None
    assert status.status == "delivered"
    assert (status.acknowledgement.filing, status.acknowledgement.filed_on_case) == (
        "not-filed",
        None,
    )


def test_a_message_to_psychiatry_is_not_a_matter_of_municipal_filing(rig: Rig) -> None:
    message_id = queue(rig.db, receiver="bup-rn-hjoerring")
    once(rig.relay())
    status = message_status(rig.db, message_id)
    assert status is not None and status.acknowledgement is not None
    assert status.status == "delivered" and status.acknowledgement.filing is None


def test_a_503_is_retried_after_a_backoff_and_then_delivered_once(rig: Rig) -> None:
    message_id = queue(rig.db)
    rig.network.control.fail_next = 1
    assert once(rig.relay()) == 1
    status = message_status(rig.db, message_id)
    assert status is not None
    assert (status.status, status.attempts, status.last_error) == (
        "pending",
        1,
        "http 503: no acknowledgement",
    )
    assert once(rig.relay()) == 0  # not due before its backoff
    rig.clock.advance(2)  # the first backoff is at most backoff_base_s (1 s)
    assert once(rig.relay()) == 1
    status = message_status(rig.db, message_id)
    assert status is not None and (status.status, status.attempts) == ("delivered", 2)
    assert [m["deliveries"] for m in rig.network.messages()] == [1]


def test_a_lost_answer_is_retried_and_the_network_does_not_deliver_twice(rig: Rig) -> None:
    """The network stored the message but its answer never came back (500): the
    relay posts again with the same idempotency key and gets the first
    acknowledgement; the inbox holds the message once."""
    message_id = queue(rig.db)
    rig.network.fail_after_store_next = 1
    once(rig.relay())
    assert message_status(rig.db, message_id).status == "pending"  # type: ignore[union-attr]
    stored = rig.network.messages()[0]
    rig.clock.advance(2)
    once(rig.relay())
    status = message_status(rig.db, message_id)
    assert status is not None and status.status == "delivered"
    [entry] = rig.network.messages()
    assert entry["id"] == stored["id"] == message_id
    assert entry["deliveries"] == 2 and rig.network.duplicates() == 1


def test_a_fatal_acknowledgement_fails_the_message_at_once_and_it_is_not_retried(
    rig: Rig,
) -> None:
    """Sent to an inbox it is not addressed to: the network refuses it for good."""
    message_id = queue(rig.db, inbox=SENDER_ID)
    once(rig.relay())
    status = message_status(rig.db, message_id)
    assert status is not None and status.acknowledgement is not None
    assert (status.status, status.attempts) == ("failed", 1)
    assert status.acknowledgement.code == "fatal-error"
    assert status.last_error == "http 422: fatal-error MSG_Receiver_Identifier_UNKNOWN"
    rig.clock.advance(3600)
    assert once(rig.relay()) == 0
    assert rig.network.messages() == []
    assert rig.bundle_of(message_id) is not None  # kept for whoever follows it up


def test_after_the_last_attempt_the_message_is_failed(rig: Rig) -> None:
    message_id = queue(rig.db)
    rig.network.control.fail_status = 503
    for _ in range(3):
        once(rig.relay(max_attempts=3))
        rig.clock.advance(600)
    status = message_status(rig.db, message_id)
    assert status is not None
    assert (status.status, status.attempts, status.last_error) == (
        "failed",
        3,
        "http 503: no acknowledgement",
    )


def test_no_answer_at_all_is_retried(rig: Rig) -> None:
    message_id = queue(rig.db)
    relay = Relay(
        rig.db,
        RelayConfig(network_url="http://127.0.0.1:9", timeout_s=0.5, lease_s=5),
        clock=rig.clock,
    )
    once(relay)
    status = message_status(rig.db, message_id)
    assert status is not None
    assert (status.status, status.last_error) == ("pending", "no answer: ConnectError")


def test_two_relays_racing_for_the_same_rows_post_each_message_once(rig: Rig) -> None:
    ids = [queue(rig.db, n) for n in range(1, 21)]
    first, second = rig.relay(concurrency=3), rig.relay(concurrency=3)

    async def race() -> list[int]:
        try:
            return list(await asyncio.gather(first.run_once(), second.run_once()))
        finally:
            await first.aclose()
            await second.aclose()

    counts = asyncio.run(race())
    assert sum(counts) == 20
    assert sorted(m["id"] for m in rig.network.messages()) == sorted(ids)
    assert rig.network.duplicates() == 0  # no message was posted twice
    assert {message_status(rig.db, i).status for i in ids} == {"delivered"}  # type: ignore[union-attr]


def test_the_running_relay_sends_a_new_message_when_notified(rig: Rig) -> None:
    """The poll is long; `notify()` makes a just-written message leave at once."""
    relay = rig.relay(poll_interval_s=30)

    async def scenario() -> str | None:
        stop = asyncio.Event()
        task = asyncio.create_task(relay.run(stop))
        await asyncio.sleep(0.05)  # the first round found nothing and waits
        message_id = await asyncio.to_thread(queue, rig.db)
        relay.notify()
        for _ in range(200):
            status = await asyncio.to_thread(message_status, rig.db, message_id)
            if status is not None and status.status == "delivered":
                break
            await asyncio.sleep(0.01)
        stop.set()
        await asyncio.wait_for(task, 2)
        await relay.aclose()
        found = await asyncio.to_thread(message_status, rig.db, message_id)
        return found.status if found else None

    assert asyncio.run(scenario()) == "delivered"


def test_the_backoff_doubles_with_jitter_up_to_its_ceiling(rig: Rig) -> None:
    relay = rig.relay(backoff_base_s=1, backoff_max_s=8)
    waits = [relay.backoff(n).total_seconds() for n in (1, 2, 3, 4, 5, 9)]
    ceilings = [1, 2, 4, 8, 8, 8]
    assert all(c / 2 <= w <= c for w, c in zip(waits, ceilings, strict=True))
    asyncio.run(relay.aclose())
