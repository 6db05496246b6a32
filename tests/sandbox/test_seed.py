"""The demo registry seeds once, with the same rules and history as recorded rows."""

from __future__ import annotations

from sqlmodel import Session, func, select

from db.engine import make_engine
from db.schema import create_schema
from registry.tables import BlockRow, ConsentRow, EventRow, ObjectionRow
from sandbox.population import population
from sandbox.seed import seed_registry
from tests.registry.conftest import TODAY


def test_seeding_is_idempotent_and_leaves_a_history(db_url: str) -> None:
    engine = make_engine(db_url)
    create_schema(engine)
    pop = population(TODAY)
    added = seed_registry(engine, pop)
    assert added == len(pop.consents) + len(pop.objections) + len(pop.blocks)
    assert seed_registry(engine, pop) == 0
    with Session(engine) as session:
        rows = sum(
            session.exec(select(func.count()).select_from(table)).one()
            for table in (ConsentRow, ObjectionRow, BlockRow)
        )
        events = session.exec(select(func.count()).select_from(EventRow)).one()
        longest = max(
            (c.valid_until - c.given_on).days for c in session.exec(select(ConsentRow)).all()
        )
    assert rows == events == added
    assert longest < 366  # the one-year cap holds for seeded consents too
    engine.dispose()
