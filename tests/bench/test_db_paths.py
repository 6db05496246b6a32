"""The database-paths bench: both ways of reading the registry give the same
facts, and every row of its table is measured (a small run)."""

from __future__ import annotations

from pathlib import Path

from bench.db_paths import CHILDREN, measure, sqlalchemy_read
from db.engine import make_engine
from db.schema import create_schema
from registry.state import read_registry_states


def test_the_bench_times_every_call_on_the_same_facts_both_ways(tmp_path: Path) -> None:
    db = make_engine(f"sqlite:///{tmp_path / 'bench.db'}")
    create_schema(db)
    try:
        results = measure(db, repeat=4)
        before, now = sqlalchemy_read(db, CHILDREN), read_registry_states(db, CHILDREN)
    finally:
        db.dispose()
    assert [what for what, _, _ in results][:2] == [
        "registry read, 1 child, SQLAlchemy Core (before)",
        "registry read, 1 child, driver cursor",
    ]
    assert len(results) == 6 and all(wall > 0 and cpu >= 0 for _, wall, cpu in results)
    assert now == before
    assert sum(len(state.consents) for state in now.values()) == 2 * len(CHILDREN)
