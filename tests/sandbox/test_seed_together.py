"""Replicas of the development service seeding one PostgreSQL database together:
they take turns, the rows are inserted once, none fails at start-up."""

from __future__ import annotations

import threading
from datetime import date

import pytest
from sqlalchemy import Engine, text

from db.engine import make_engine
from db.schema import create_schema
from sandbox.population import population
from sandbox.seed import seed_registry
from tests.registry.conftest import _admin_url, create_database, drop_database


@pytest.mark.postgres
def test_replicas_seeding_together_insert_each_row_once() -> None:
    admin = _admin_url()
    url = create_database(admin, "hoi_test_seed")
    engines = [make_engine(url.render_as_string(hide_password=False)) for _ in range(3)]
    pop = population(date(2026, 11, 26))
    create_schema(engines[0])
    added: list[int] = []
    failures: list[BaseException] = []
    start = threading.Barrier(len(engines))

    def seed(engine: Engine) -> None:
        start.wait()
        try:
            added.append(seed_registry(engine, pop))
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=seed, args=(e,)) for e in engines]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert failures == []
        total = len(pop.consents) + len(pop.objections) + len(pop.blocks)
        assert sorted(added) == [0, 0, total]
        with engines[0].connect() as connection:
            rows: int = connection.execute(text("SELECT count(*) FROM consent")).scalar_one()
        assert rows == len(pop.consents)
    finally:
        for engine in engines:
            engine.dispose()
        drop_database(admin, url)
