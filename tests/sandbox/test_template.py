"""A database started from the template holds exactly what migrating and seeding
would have made, and a template is never reused for another population."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from sqlalchemy import Engine, MetaData, select

from db.engine import make_engine
from db.schema import create_schema, current_revision, head_revision
from sandbox.population import population
from sandbox.seed import seed_registry
from sandbox.template import sqlite_file, start_from_template, template_key

DAY = date(2026, 11, 26)


def _content(engine: Engine) -> dict[str, list[tuple[object, ...]]]:
    tables = MetaData()
    tables.reflect(engine)
    with engine.connect() as conn:
        return {
            name: sorted(conn.execute(select(table)).all(), key=repr)
            for name, table in tables.tables.items()
            if name != "alembic_version"
        }


def test_a_copy_of_the_template_is_the_seeded_database(tmp_path: Path) -> None:
    pop = population(DAY)
    copied_url = f"sqlite:///{tmp_path / 'copied.db'}"
    assert start_from_template(copied_url, pop)
    seeded = make_engine(f"sqlite:///{tmp_path / 'seeded.db'}")
    create_schema(seeded)
    assert seed_registry(seeded, pop) > 0
    copied = make_engine(copied_url)
    try:
        assert current_revision(copied) == head_revision()
        assert seed_registry(copied, pop) == 0, "the copy already holds every seeded row"
        assert _content(copied) == _content(seeded)
    finally:
        copied.dispose()
        seeded.dispose()


def test_an_existing_database_is_never_overwritten(tmp_path: Path) -> None:
    existing = tmp_path / "hoi.db"
    existing.write_bytes(b"not a template")
    assert not start_from_template(f"sqlite:///{existing}", None)
    assert existing.read_bytes() == b"not a template"


def test_only_plain_sqlite_files_start_from_a_template() -> None:
    assert sqlite_file("sqlite:////var/hoi/hoi.db") == Path("/var/hoi/hoi.db")
    assert sqlite_file("sqlite://") is None
    assert sqlite_file("sqlite:///:memory:") is None
    assert sqlite_file("postgresql+psycopg://u:p@host/db") is None


def test_each_population_and_the_empty_schema_have_their_own_template() -> None:
    keys = {
        template_key(population(DAY)),
        template_key(population(date(2026, 11, 27))),
        template_key(None),
    }
    assert len(keys) == 3
