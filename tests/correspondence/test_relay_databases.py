"""The claim holds on both databases the service runs on: relays racing for the same
rows post each message once (on PostgreSQL as on SQLite)."""

from __future__ import annotations

import asyncio
import random

import httpx

from correspondence.outbox import message_status
from correspondence.relay import Relay, RelayConfig
from db.engine import make_engine
from db.schema import create_schema
from sandbox.network import MessageNetwork
from sandbox.pilot import organisations
from tests.correspondence.outbox_world import NOW, queue, world
from tests.registry.conftest import fresh_db_url, postgres_run_database

__all__ = ["fresh_db_url", "postgres_run_database"]  # the fixtures, on SQLite and PostgreSQL


def test_three_relays_racing_post_each_message_once(fresh_db_url: str) -> None:
    db = make_engine(fresh_db_url)
    create_schema(db)
    ids = [queue(db, n) for n in range(1, 31)]
    network = MessageNetwork(world(), organisations(), clock=lambda: NOW)

    def relay(seed: int) -> Relay:
        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=network.source.app), base_url="http://network"
        )
        return Relay(
            db,
            RelayConfig(network_url="http://network", concurrency=4),
            client=client,
            clock=lambda: NOW,
            rng=random.Random(seed),
        )

    relays = [relay(n) for n in range(3)]

    async def race() -> list[int]:
        try:
            return list(await asyncio.gather(*(r.run_once() for r in relays)))
        finally:
            for r in relays:
                await r.aclose()

    assert sum(asyncio.run(race())) == len(ids)
    assert sorted(m["id"] for m in network.messages()) == sorted(ids)
    assert network.duplicates() == 0
    statuses = {message_status(db, i).status for i in ids}  # type: ignore[union-attr]
    assert statuses == {"delivered"}
    db.dispose()
